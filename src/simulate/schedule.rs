//! Shift planning: what each person is scheduled to do on the simulated day.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::clock::{local_ms, Millis};
use super::config::{BACK_OFFICE, BREAK, LUNCH, MEETING, PRESENT, SICK, TRAINING, VACATION};
use super::rng::Rng;

/// One scheduled segment, in UTC milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub activity: &'static str,
    pub start: Millis,
    pub end: Millis,
}

/// What kind of day a person has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// No schedule at all.
    Off,
    /// One whole-day vacation segment.
    Vacation,
    /// One whole-day sick segment.
    Sick,
    /// A shift of 6–9 h.
    Working,
}

/// A person's day: its kind and (except for `Off`) contiguous, non-overlapping segments.
#[derive(Clone, Debug)]
pub struct PersonDay {
    pub kind: DayKind,
    pub segments: Vec<Segment>,
}

/// A block of the shift in minutes from the shift start.
#[derive(Clone, Copy, Debug)]
struct Block {
    activity: &'static str,
    start: i64,
    end: i64,
}

/// Down to the 15-minute grid.
fn grid(minutes: i64) -> i64 {
    minutes.div_euclid(15) * 15
}

/// Plans one person's day: ~5% off, ~3% vacation, ~1% sick, the rest a working shift.
pub fn plan_person(rng: &mut Rng, tz: Tz, date: NaiveDate) -> PersonDay {
    let r = rng.unit();
    let whole_day = |activity| {
        vec![Segment {
            activity,
            start: local_ms(tz, date, 0),
            end: local_ms(tz, date, 24 * 60),
        }]
    };
    if r < 0.05 {
        PersonDay {
            kind: DayKind::Off,
            segments: Vec::new(),
        }
    } else if r < 0.08 {
        PersonDay {
            kind: DayKind::Vacation,
            segments: whole_day(VACATION),
        }
    } else if r < 0.09 {
        PersonDay {
            kind: DayKind::Sick,
            segments: whole_day(SICK),
        }
    } else {
        PersonDay {
            kind: DayKind::Working,
            segments: plan_shift(rng, tz, date),
        }
    }
}

/// A working shift: 6–9 h starting 06:00–14:00 local (skewed to the morning, ending by 22:00),
/// or (~2%) an 8 h night shift starting 20:00–22:00; a 15-min break mid-morning and
/// mid-afternoon, a 30–60 min lunch, and in ~30% of shifts a 30–60 min meeting, training or
/// back-office block. Presence (`1`) fills the rest.
pub fn plan_shift(rng: &mut Rng, tz: Tz, date: NaiveDate) -> Vec<Segment> {
    let (start, len) = if rng.chance(0.02) {
        (20 * 60 + 60 * rng.below(3) as i64, 8 * 60)
    } else {
        let step = rng.below(33).min(rng.below(33)) as i64;
        let start = 6 * 60 + 15 * step;
        let len = (6 * 60 + 30 * rng.below(7) as i64).min(22 * 60 - start);
        (start, len)
    };
    let blocks = shift_blocks(rng, len);
    let mut segments: Vec<Segment> = Vec::with_capacity(blocks.len());
    for b in blocks {
        let s = local_ms(tz, date, start + b.start);
        let e = local_ms(tz, date, start + b.end);
        // DST gaps can collapse local minutes onto one instant: keep it monotonic, drop empties.
        let s = segments.last().map_or(s, |prev| s.max(prev.end));
        if e > s {
            segments.push(Segment {
                activity: b.activity,
                start: s,
                end: e,
            });
        }
    }
    segments
}

/// The blocks of a shift of `len` minutes, contiguous from 0 to `len`. Callers pass at least
/// 6 h, which leaves room for both breaks around the lunch.
fn shift_blocks(rng: &mut Rng, len: i64) -> Vec<Block> {
    let lunch_len = 30 + 15 * rng.below(3) as i64;
    let lunch_start = grid(len / 2 - lunch_len / 2) + 15 * rng.range(-2, 2);
    let lunch_end = lunch_start + lunch_len;
    let break1 = (grid(lunch_start / 2) + 15 * rng.range(-1, 1))
        .max(60)
        .min(lunch_start - 45);
    let break2 = (lunch_end + grid((len - lunch_end) / 2) + 15 * rng.range(-1, 1))
        .max(lunch_end + 45)
        .min(len - 45);
    let mut special = vec![
        Block {
            activity: BREAK,
            start: break1,
            end: break1 + 15,
        },
        Block {
            activity: LUNCH,
            start: lunch_start,
            end: lunch_end,
        },
        Block {
            activity: BREAK,
            start: break2,
            end: break2 + 15,
        },
    ];
    if rng.chance(0.30) {
        let activity = match rng.below(4) {
            0 | 1 => MEETING,
            2 => TRAINING,
            _ => BACK_OFFICE,
        };
        let extra_len = 30 + 15 * rng.below(3) as i64;
        // Presence gaps long enough to hold the block.
        let mut gaps = Vec::new();
        let mut cursor = 0;
        for b in &special {
            if b.start - cursor >= extra_len {
                gaps.push((cursor, b.start));
            }
            cursor = b.end;
        }
        if len - cursor >= extra_len {
            gaps.push((cursor, len));
        }
        if let Some(&(gs, ge)) = rng.pick(&gaps) {
            let slots = (ge - gs - extra_len) / 15 + 1;
            let s = gs + 15 * rng.below(slots as u64) as i64;
            special.push(Block {
                activity,
                start: s,
                end: s + extra_len,
            });
            special.sort_by_key(|b| b.start);
        }
    }
    let mut blocks = Vec::with_capacity(special.len() * 2 + 1);
    let mut cursor = 0;
    for b in special {
        if b.start > cursor {
            blocks.push(Block {
                activity: PRESENT,
                start: cursor,
                end: b.start,
            });
        }
        cursor = b.end;
        blocks.push(b);
    }
    if len > cursor {
        blocks.push(Block {
            activity: PRESENT,
            start: cursor,
            end: len,
        });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_contiguous_for_every_length() {
        let mut rng = Rng::new(3);
        for _ in 0..2_000 {
            let len = 6 * 60 + 30 * rng.below(7) as i64;
            let blocks = shift_blocks(&mut rng, len);
            assert_eq!(blocks.first().map(|b| b.start), Some(0));
            assert_eq!(blocks.last().map(|b| b.end), Some(len));
            for w in blocks.windows(2) {
                assert_eq!(w[0].end, w[1].start, "{blocks:?}");
            }
            assert!(blocks.iter().all(|b| b.end > b.start), "{blocks:?}");
            assert_eq!(blocks.iter().filter(|b| b.activity == BREAK).count(), 2);
            assert_eq!(blocks.iter().filter(|b| b.activity == LUNCH).count(), 1);
        }
    }
}
