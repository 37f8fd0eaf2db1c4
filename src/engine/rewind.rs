//! Rewind checkpoints of one person: copies of their cursor at a few recent timeline positions,
//! so that a change shortly before the live cursor (a late event, an injixo item starting where
//! the previous one ended) is recomputed from the nearest checkpoint before it instead of from
//! the retention checkpoint (`Person::base`) — a replay of the entries after the change plus
//! at most about as many again, not of the whole retained timeline.
//!
//! The structure is a **logarithmically thinned list of cursor snapshots** (checkpoints whose
//! spacing doubles with their distance from the newest, as in checkpointed re-execution),
//! plus a **head** slot holding the cursor the last recomputation ended at:
//!
//! - the live sweep adds a snapshot once it is [`EVERY`] entries past the newest one; then
//!   every interior snapshot whose removal leaves a gap of at most `max(EVERY, distance of the
//!   gap's newer end from the newest snapshot)` entries is dropped. Any two steps back the
//!   distance at least doubles, so a person holds O(log n) snapshots (at most [`MAX`]), and a
//!   change `d` entries before the newest snapshot finds one at most `d + EVERY` entries
//!   before it: the replay is O(d + EVERY);
//! - the head makes a change at the instant the last recomputation ended at (back-to-back
//!   items: each start changes the end the cursor has just passed) replay only the entries
//!   since.
//!
//! A snapshot at instant `s` is the sweep of the current inputs from the base to `s` (a
//! cursor has applied every entry at or before its instant). It stays valid while nothing at
//! or before `s` changes: a recomputation from `from` drops the snapshots at or after `from`,
//! pruning shifts their positions, any other change (rules, schedule, a new base) drops them
//! all. Persons whose cursor has applied fewer than [`EVERY`] entries keep none: the state is
//! one empty pointer (not state: never serialized, rebuilt as the sweep goes).

use super::cursor::Cursor;
use super::schedule::Segment;
use crate::time::Millis;

/// Entries between snapshots of the live sweep; no snapshot before this many entries.
pub const EVERY: u32 = 64;
/// Most snapshots a person keeps (the thinning keeps far fewer: about 2·log2(n / EVERY)).
const MAX: usize = 48;

#[derive(Clone, Debug, Default)]
struct Snaps {
    /// Ordered by instant (and so by position).
    list: Vec<Cursor>,
    head: Option<Cursor>,
}

/// A person's rewind checkpoints (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Rewind(Option<Box<Snaps>>);

impl Rewind {
    /// Note the live cursor after it moved: a snapshot once it is [`EVERY`] entries past the
    /// newest. One comparison for a person with a short timeline.
    #[inline]
    pub fn note(&mut self, c: &Cursor) {
        if c.pos < EVERY {
            return;
        }
        self.note_long(c);
    }

    fn note_long(&mut self, c: &Cursor) {
        let s = self.0.get_or_insert_with(Default::default);
        if let Some(last) = s.list.last() {
            if c.t <= last.t || c.pos < last.pos + EVERY {
                return;
            }
        }
        s.list.push(c.clone());
        thin(&mut s.list);
    }

    /// Note the cursor a recomputation ended at (the head) and, when due, a snapshot.
    pub fn note_head(&mut self, c: &Cursor) {
        if c.pos < EVERY {
            return;
        }
        self.note_long(c);
        if let Some(s) = self.0.as_mut() {
            s.head = Some(c.clone());
        }
    }

    /// The latest checkpoint strictly before instant `t` at position at most `max_pos`.
    pub fn before(&self, t: Millis, max_pos: usize) -> Option<&Cursor> {
        let s = self.0.as_deref()?;
        let ok = |c: &Cursor| c.t < t && c.pos as usize <= max_pos;
        let n = s.list.partition_point(ok);
        let listed = n.checked_sub(1).map(|i| &s.list[i]);
        match (listed, s.head.as_ref().filter(|h| ok(h))) {
            (Some(a), Some(h)) if h.t > a.t => Some(h),
            (Some(a), _) => Some(a),
            (None, h) => h,
        }
    }

    /// The inputs changed from instant `t` on: drop the checkpoints at or after it.
    pub fn forget_from(&mut self, t: Millis) {
        if let Some(s) = self.0.as_mut() {
            let keep = s.list.partition_point(|c| c.t < t);
            s.list.truncate(keep);
            if s.head.as_ref().is_some_and(|h| h.t >= t) {
                s.head = None;
            }
        }
    }

    /// Drop every checkpoint (the rules, the schedule or the base changed).
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// The base moved to `horizon`, dropping the first `entries` timeline entries and `segs`
    /// schedule segments: drop the checkpoints before it and shift the others' positions.
    pub fn prune(&mut self, horizon: Millis, entries: u32, segs: u32) {
        let Some(s) = self.0.as_mut() else { return };
        let shift = |c: &mut Cursor| {
            c.pos = c.pos.saturating_sub(entries);
            c.seg = c.seg.saturating_sub(segs);
        };
        s.list.retain(|c| c.t >= horizon);
        s.list.iter_mut().for_each(shift);
        s.head = s.head.take().filter(|h| h.t >= horizon);
        if let Some(h) = s.head.as_mut() {
            shift(h);
        }
        if s.list.is_empty() && s.head.is_none() {
            self.0 = None;
        }
    }

    /// The schedule changed after every checkpoint's instant (only future segments): re-find
    /// their segment positions.
    pub fn reseg(&mut self, schedule: &[Segment]) {
        if let Some(s) = self.0.as_mut() {
            for c in s.list.iter_mut().chain(s.head.as_mut()) {
                c.seg = schedule.partition_point(|x| x.end <= c.t) as u32;
            }
        }
    }

    /// How many snapshots are kept (head included), for tests.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0
            .as_deref()
            .map_or(0, |s| s.list.len() + usize::from(s.head.is_some()))
    }
}

/// Drop interior snapshots whose gap may widen (see the module doc), newest kept; then the
/// oldest interior ones beyond [`MAX`].
fn thin(list: &mut Vec<Cursor>) {
    let Some(newest) = list.last().map(|c| c.pos) else {
        return;
    };
    let mut j = 1;
    while j + 1 < list.len() {
        let (older, newer) = (list[j - 1].pos, list[j + 1].pos);
        if newer - older <= EVERY.max(newest - newer) {
            list.remove(j);
        } else {
            j += 1;
        }
    }
    while list.len() > MAX {
        list.remove(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Rules;

    fn at(pos: u32) -> Cursor {
        let mut c = Cursor::new(0, &Rules::default(), &[]);
        c.pos = pos;
        c.t = pos as Millis * 1000;
        c
    }

    #[test]
    fn short_sweeps_keep_nothing() {
        let mut r = Rewind::default();
        for p in 0..EVERY {
            r.note(&at(p));
        }
        assert_eq!(r.len(), 0);
        assert!(r.0.is_none());
    }

    #[test]
    fn snapshots_thin_logarithmically_and_stay_close_to_any_change() {
        let mut r = Rewind::default();
        let n = 100_000u32;
        for p in 0..=n {
            r.note(&at(p));
        }
        let len = r.len();
        assert!((8..=2 * 17).contains(&len), "{len} snapshots");
        // A change d entries back finds a snapshot at most d + EVERY entries before it.
        for d in [1u32, 10, 100, 1000, 10_000, 50_000] {
            let x = n - d;
            let c = r
                .before(x as Millis * 1000, usize::MAX)
                .expect("a snapshot");
            assert!(c.pos < x, "strictly before the change");
            let back = n - c.pos;
            assert!(back <= 2 * d + 2 * EVERY, "d {d}: replay of {back}");
        }
    }

    #[test]
    fn head_forget_and_prune() {
        let mut r = Rewind::default();
        for p in (0..=1000).step_by(10) {
            r.note(&at(p));
        }
        r.note_head(&at(1005));
        assert_eq!(r.before(1_006_000, usize::MAX).map(|c| c.pos), Some(1005));
        // Not at or after the change, and not past the position limit.
        assert!(r
            .before(1_005_000, usize::MAX)
            .is_some_and(|c| c.pos < 1005));
        assert!(r.before(1_006_000, 900).is_some_and(|c| c.pos <= 900));
        r.forget_from(900_000);
        assert!(r
            .before(Millis::MAX, usize::MAX)
            .is_some_and(|c| c.t < 900_000));
        r.prune(500_000, 500, 0);
        let c = r.before(Millis::MAX, usize::MAX).expect("kept");
        assert_eq!(c.pos as Millis * 1000 + 500_000, c.t);
        r.prune(950_000, 1, 0);
        assert_eq!(r.len(), 0);
    }
}
