//! A person's schedule: segments of all retained dates, sorted and non-overlapping.

use crate::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub start: Millis,
    pub end: Millis,
    pub activity: u32,
    /// The schedule record (local date) this segment came from.
    pub date: i32,
}

/// Whether `schedule`'s segments of `date` are `new` (replacing them would change nothing).
pub fn holds_date(schedule: &[Segment], date: i32, new: &[Segment]) -> bool {
    schedule.iter().filter(|s| s.date == date).eq(new.iter())
}

/// Replace the segments of `date` with `new` (sorted, non-overlapping among themselves).
/// Segments of other dates that overlap are clipped by the newer ones. Returns the earliest
/// instant whose schedule changed, or None when nothing changed.
pub fn replace_date(schedule: &mut Vec<Segment>, date: i32, new: &[Segment]) -> Option<Millis> {
    if holds_date(schedule, date, new) {
        return None;
    }
    let before = schedule.clone();
    schedule.retain(|s| s.date != date);
    schedule.extend_from_slice(new);
    // newer date records win overlaps; then clip by start order
    schedule.sort_by(|a, b| a.start.cmp(&b.start).then(b.date.cmp(&a.date)));
    let mut out: Vec<Segment> = Vec::with_capacity(schedule.len());
    for s in schedule.drain(..) {
        if let Some(prev) = out.last_mut() {
            if s.start < prev.end {
                if s.date >= prev.date {
                    prev.end = s.start;
                    if prev.end <= prev.start {
                        out.pop();
                    }
                } else {
                    let clipped = Segment {
                        start: prev.end,
                        ..s
                    };
                    if clipped.start < clipped.end {
                        out.push(clipped);
                    }
                    continue;
                }
            }
        }
        out.push(s);
    }
    *schedule = out;
    first_difference(&before, schedule)
}

/// Earliest instant at which two schedules differ.
fn first_difference(a: &[Segment], b: &[Segment]) -> Option<Millis> {
    let n = a
        .iter()
        .zip(b)
        .take_while(|(x, y)| x.start == y.start && x.end == y.end && x.activity == y.activity)
        .count();
    match (a.get(n), b.get(n)) {
        (None, None) => None,
        (Some(x), None) => Some(x.start),
        (None, Some(y)) => Some(y.start),
        (Some(x), Some(y)) if x.start == y.start && x.activity == y.activity => {
            Some(x.end.min(y.end))
        }
        (Some(x), Some(y)) => Some(x.start.min(y.start)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: Millis, end: Millis, activity: u32, date: i32) -> Segment {
        Segment {
            start,
            end,
            activity,
            date,
        }
    }

    #[test]
    fn replaces_a_date_and_reports_the_change() {
        let mut s = Vec::new();
        assert_eq!(
            replace_date(&mut s, 1, &[seg(10, 20, 0, 1), seg(20, 30, 1, 1)]),
            Some(10)
        );
        assert_eq!(
            replace_date(&mut s, 1, &[seg(10, 20, 0, 1), seg(20, 30, 1, 1)]),
            None
        );
        assert_eq!(
            replace_date(&mut s, 1, &[seg(10, 20, 0, 1), seg(20, 25, 1, 1)]),
            Some(25)
        );
        assert_eq!(replace_date(&mut s, 2, &[seg(100, 200, 0, 2)]), Some(100));
        assert_eq!(s.len(), 3);
        assert_eq!(replace_date(&mut s, 1, &[]), Some(10));
        assert_eq!(s, vec![seg(100, 200, 0, 2)]);
    }

    #[test]
    fn newer_dates_clip_overlaps() {
        let mut s = Vec::new();
        replace_date(&mut s, 1, &[seg(0, 100, 0, 1)]);
        replace_date(&mut s, 2, &[seg(50, 150, 1, 2)]);
        assert_eq!(s, vec![seg(0, 50, 0, 1), seg(50, 150, 1, 2)]);
    }
}
