//! One person's state: retained timeline and schedule, the checkpoint cursor at the retention
//! horizon (`base`), the live cursor, and what was last published. A plain serializable value
//! (its indexes and rewind checkpoints are rebuilt on demand).

use super::cursor::{Cursor, Inputs, IntervalAcc, Ooo, Sink, SweepEvent};
use super::rewind::Rewind;
use super::schedule::Segment;
use super::timeline::{Entry, TimelineIndex};
use crate::config::Rules;
use crate::time::Millis;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub id: Box<str>,
    pub timeline: Vec<Entry>,
    pub schedule: Vec<Segment>,
    /// Checkpoint every recomputation starts from; `None` until the person has any data.
    pub base: Option<Cursor>,
    pub live: Option<Cursor>,
    /// The base has never been moved forward by pruning (so it may still move back).
    pub pristine: bool,
    /// Fingerprint of the last published visible state.
    pub last_visible: u64,
    /// The alerted episode last announced with an outOfAdherence event and not yet closed.
    pub announced: Option<(Ooo, Millis)>,
    /// Latest revision of intervals published more than once.
    pub revisions: Vec<(Millis, u32)>,
    /// Due time of this person's pending timer (`Millis::MAX` = none).
    pub timer: Millis,
    /// Indexes of the timeline: event ids, injixo items (rebuilt on demand; not state).
    #[serde(skip)]
    pub ids: TimelineIndex,
    /// Cursor snapshots near the live cursor, where recomputations start (not state).
    #[serde(skip)]
    pub rewind: Rewind,
    /// Touched since the changelog last collected it (see `engine::snapshot`; not state).
    #[serde(skip)]
    pub dirty: bool,
    /// Digest of the history record the changelog last got for this person (0: none, or a
    /// tombstone); an unchanged history is not written again (see `engine::snapshot`).
    #[serde(skip)]
    pub history_digest: u64,
}

impl Person {
    pub fn new(id: &str) -> Person {
        Person {
            id: id.into(),
            timeline: Vec::new(),
            schedule: Vec::new(),
            base: None,
            live: None,
            pristine: true,
            last_visible: 0,
            announced: None,
            revisions: Vec::new(),
            timer: Millis::MAX,
            ids: TimelineIndex::default(),
            rewind: Rewind::default(),
            dirty: false,
            history_digest: 0,
        }
    }

    pub fn inputs<'a>(&'a self, rules: &'a Rules) -> Inputs<'a> {
        Inputs {
            rules,
            timeline: &self.timeline,
            schedule: &self.schedule,
        }
    }

    /// Earliest instant with data (first entry or first segment start).
    pub fn first_data(&self) -> Option<Millis> {
        let e = self.timeline.first().map(|e| e.t);
        let s = self.schedule.first().map(|s| s.start);
        match (e, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether this person has anything to evaluate.
    pub fn has_data(&self) -> bool {
        !self.timeline.is_empty() || !self.schedule.is_empty()
    }

    /// Where a fresh (pristine) base should start: the interval holding the first data, not
    /// before `floor` (the retention horizon) and not after `now` (the clock: data that lies
    /// ahead, such as tomorrow's schedule, is met by the sweep when its time comes).
    pub fn fresh_base_time(
        &self,
        rules: &Rules,
        floor: Option<Millis>,
        now: Millis,
    ) -> Option<Millis> {
        let first = self.first_data()?;
        let t = match floor {
            Some(f) => first.max(f),
            None => first,
        };
        Some(rules.grid.interval_at(t.min(now)).0)
    }

    /// Without a clock: wait at the interval before the first data with nothing shown yet
    /// (the state there counts as published), so the first data is the first visible change
    /// and the person's first state is published when the clock reaches it.
    pub fn wait(&mut self, rules: &Rules) {
        let Some(first) = self.first_data() else {
            return;
        };
        let t0 = rules.grid.interval_at(first.saturating_sub(1)).0;
        let c = Cursor::new(t0, rules, &self.schedule);
        self.last_visible = c.visible_fingerprint(&self.inputs(rules));
        self.rewind.clear();
        self.base = Some(c.clone());
        self.live = Some(c);
    }

    pub fn revision(&self, start: Millis) -> Option<u32> {
        self.revisions
            .iter()
            .find(|(s, _)| *s == start)
            .map(|(_, r)| *r)
    }

    pub fn set_revision(&mut self, start: Millis, rev: u32) {
        match self.revisions.iter_mut().find(|(s, _)| *s == start) {
            Some(slot) => slot.1 = rev,
            None => self.revisions.push((start, rev)),
        }
    }

    /// Sweep quietly from the base to `until` under `rules`, collecting closed intervals.
    /// Returns the resulting cursor (None without a base).
    pub fn replay(
        &self,
        rules: &Rules,
        base: Option<&Cursor>,
        until: Millis,
        intervals: &mut Vec<IntervalAcc>,
        scratch: &mut Vec<SweepEvent>,
    ) -> Option<Cursor> {
        let mut c = base?.clone();
        if c.t > until {
            return Some(c);
        }
        scratch.clear();
        c.advance(
            until,
            &self.inputs(rules),
            &mut Sink {
                events: scratch,
                live: None,
            },
        );
        for ev in scratch.drain(..) {
            if let SweepEvent::IntervalClosed(iv) = ev {
                intervals.push(iv);
            }
        }
        Some(c)
    }

    /// Move the base forward to `horizon` (an interval boundary) and drop what it has passed:
    /// timeline entries, segments and revision marks older than the horizon.
    pub fn prune(&mut self, rules: &Rules, horizon: Millis, scratch: &mut Vec<SweepEvent>) {
        let (Some(base), Some(live)) = (self.base.as_ref(), self.live.as_ref()) else {
            return;
        };
        if horizon <= base.t || live.t < horizon {
            return;
        }
        let mut c = base.clone();
        scratch.clear();
        c.advance(
            horizon,
            &self.inputs(rules),
            &mut Sink {
                events: scratch,
                live: None,
            },
        );
        scratch.clear();
        let drained = c.pos as usize;
        let dropped_segs = self
            .schedule
            .iter()
            .take_while(|s| s.end <= horizon)
            .count();
        self.timeline.drain(..drained);
        self.ids.invalidate();
        self.schedule.drain(..dropped_segs);
        c.pos = 0;
        c.seg -= dropped_segs as u32;
        if let Some(live) = self.live.as_mut() {
            live.pos -= drained as u32;
            live.seg -= dropped_segs as u32;
        }
        self.rewind
            .prune(horizon, drained as u32, dropped_segs as u32);
        self.revisions.retain(|(s, _)| *s >= horizon);
        self.base = Some(c);
        self.pristine = false;
    }
}
