//! The sweep: a cursor that moves a person's evaluation forward in time over their timeline
//! and schedule, applying the adherence rules (SPEC §5) piece by piece and accumulating day
//! scores and interval totals. The live path and every recomputation run this same code, which
//! is what makes outputs a function of the retained input and the current config.

use super::schedule::Segment;
use super::timeline::{is_offline, Entry, NO_STATUS};
use crate::config::{Rules, PRESENT};
use crate::time::Millis;

mod acc;
pub use acc::{DayAcc, IntervalAcc};

/// Status index of an agent never seen.
pub const NEVER: u32 = u32::MAX - 1;

/// Out-of-adherence types; the discriminant indexes the buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Ooo {
    NotPresent = 0,
    WrongActivity = 1,
    NotScheduled = 2,
}

impl Ooo {
    pub const ALL: [Ooo; 3] = [Ooo::NotPresent, Ooo::WrongActivity, Ooo::NotScheduled];

    pub fn as_str(self) -> &'static str {
        match self {
            Ooo::NotPresent => "notPresent",
            Ooo::WrongActivity => "wrongActivity",
            Ooo::NotScheduled => "notScheduled",
        }
    }
}

/// The actual status in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actual {
    /// Interned status, [`NO_STATUS`] (offline, no status) or [`NEVER`].
    pub status: u32,
    pub ident: u32,
    pub since: Millis,
}

/// The current episode: a maximal run of one out-of-adherence type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Episode {
    pub ooo: Option<Ooo>,
    pub since: Millis,
    /// The buffer has been exceeded (an outOfAdherence event is due or was sent).
    pub alerted: bool,
}

/// What the sweep reports as it goes.
#[derive(Clone, Debug)]
pub enum SweepEvent {
    /// The visible state changed at `at` (live sweeps only).
    State(StateView),
    IntervalClosed(IntervalAcc),
    /// An episode exceeded its buffer (live sweeps only).
    AlertOut {
        ooo: Ooo,
        since: Millis,
        at: Millis,
    },
    /// An alerted episode ended (live sweeps only).
    AlertIn {
        ooo: Ooo,
        since: Millis,
        at: Millis,
    },
}

/// Everything an agent-state record shows, at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct StateView {
    pub at: Millis,
    pub actual: Actual,
    pub segment: Option<Segment>,
    pub episode: Episode,
    pub scheduled_working: bool,
    pub day: DayAcc,
}

/// Where sweep events go, and whether this sweep is the live one.
pub struct Sink<'a> {
    pub events: &'a mut Vec<SweepEvent>,
    /// Live sweeps report state changes and alerts; quiet ones (recomputations) only intervals.
    pub live: Option<&'a mut u64>,
}

/// Read-only inputs of a sweep.
pub struct Inputs<'a> {
    pub rules: &'a Rules,
    pub timeline: &'a [Entry],
    pub schedule: &'a [Segment],
}

/// A person's evaluation state at instant `t`, having applied `pos` timeline entries.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub t: Millis,
    pub pos: u32,
    /// Index of the first segment ending after `t`.
    pub seg: u32,
    pub actual: Actual,
    pub episode: Episode,
    pub day: DayAcc,
    pub interval: IntervalAcc,
}

impl Cursor {
    /// A fresh cursor at `t` (which should be an interval boundary): nothing seen yet.
    pub fn new(t: Millis, rules: &Rules, schedule: &[Segment]) -> Cursor {
        Cursor {
            t,
            pos: 0,
            seg: schedule.partition_point(|s| s.end <= t) as u32,
            actual: Actual {
                status: NEVER,
                ident: 0,
                since: t,
            },
            episode: Episode {
                ooo: None,
                since: t,
                alerted: false,
            },
            day: DayAcc::at(rules, t),
            interval: IntervalAcc::at(rules, t),
        }
    }

    #[inline]
    pub fn online(&self, rules: &Rules) -> bool {
        self.actual.status != NEVER && !is_offline(rules, self.actual.status)
    }

    /// Activity of the actual status when online (unmapped statuses count as activity 1).
    #[inline]
    pub fn actual_activity(&self, rules: &Rules) -> Option<u32> {
        if self.online(rules) {
            Some(rules.status(self.actual.status).activity.unwrap_or(PRESENT))
        } else {
            None
        }
    }

    #[inline]
    pub fn segment<'s>(&self, schedule: &'s [Segment]) -> Option<&'s Segment> {
        schedule
            .get(self.seg as usize)
            .filter(|s| s.start <= self.t)
    }

    /// Adherence at the cursor: the out-of-adherence type, if any.
    fn evaluate(&self, inp: &Inputs) -> Option<Ooo> {
        let rules = inp.rules;
        let activity = self.actual_activity(rules);
        match self.segment(inp.schedule) {
            Some(seg) if rules.activity_type(seg.activity).is_working() => {
                let rule = rules.match_rule(seg.activity);
                match activity {
                    None => match rule {
                        Some(r) if r.offline => None,
                        _ => Some(Ooo::NotPresent),
                    },
                    Some(a) => {
                        let ok = a == seg.activity
                            || match rule {
                                Some(r) => {
                                    r.actual.contains(&a) || r.accepts_type(rules.activity_type(a))
                                }
                                None => rules.activity_type(a) == rules.activity_type(seg.activity),
                            };
                        if ok {
                            None
                        } else {
                            Some(Ooo::WrongActivity)
                        }
                    }
                }
            }
            _ => activity.map(|_| Ooo::NotScheduled),
        }
    }

    /// The state an agent-state record shows now.
    pub fn view(&self, inp: &Inputs) -> StateView {
        let segment = self.segment(inp.schedule).copied();
        StateView {
            at: self.t,
            actual: self.actual,
            segment,
            episode: self.episode,
            scheduled_working: segment
                .is_some_and(|s| inp.rules.activity_type(s.activity).is_working()),
            day: self.day,
        }
    }

    /// A cheap fingerprint of the visible (discrete) state.
    fn visible_key(&self, inp: &Inputs) -> u64 {
        let seg = self.segment(inp.schedule);
        let words = [
            self.actual.status as u64 | ((self.actual.ident as u64) << 32),
            self.actual.since as u64,
            seg.map_or(u64::MAX, |s| s.start as u64),
            seg.map_or(u64::MAX, |s| (s.end as u64) ^ ((s.activity as u64) << 48)),
            self.episode.ooo.map_or(7, |o| o as u64) | ((!self.episode.alerted as u64) << 8),
            self.episode.since as u64,
        ];
        let mut h: u64 = 0x243f_6a88_85a3_08d3;
        for w in words {
            h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
        }
        h
    }

    /// Report the state at `at` when its visible part changed (or `force`: the day rolled).
    fn emit_state_if_changed(&self, inp: &Inputs, sink: &mut Sink, at: Millis, force: bool) {
        if let Some(last) = sink.live.as_deref_mut() {
            let key = self.visible_key(inp);
            if key != *last || force {
                *last = key;
                let mut v = self.view(inp);
                v.at = at;
                sink.events.push(SweepEvent::State(v));
            }
        }
    }

    fn apply(&mut self, e: &Entry) {
        if e.status != self.actual.status {
            self.actual = Actual {
                status: e.status,
                ident: e.ident(),
                since: e.t,
            };
        }
    }

    /// Re-evaluate adherence at the cursor after something changed (`rolled`: a new local day
    /// began here, which is reported even when nothing else changed).
    fn reevaluate(&mut self, inp: &Inputs, sink: &mut Sink, rolled: bool) {
        let ooo = self.evaluate(inp);
        if ooo != self.episode.ooo {
            if let (Some(old), true) = (self.episode.ooo, self.episode.alerted) {
                if sink.live.is_some() {
                    sink.events.push(SweepEvent::AlertIn {
                        ooo: old,
                        since: self.episode.since,
                        at: self.t,
                    });
                }
            }
            self.episode = Episode {
                ooo,
                since: self.t,
                alerted: false,
            };
        }
        self.emit_state_if_changed(inp, sink, self.t, rolled);
    }

    /// Start the local day at `t` (a day boundary). Returns whether the day that ended had
    /// anything in it (its end is then a visible change).
    fn next_day(&mut self, rules: &Rules, t: Millis) -> bool {
        let had = self.day.present;
        self.day = DayAcc::at(rules, t);
        had
    }

    /// Move forward to `until`, applying timeline entries up to it.
    pub fn advance(&mut self, until: Millis, inp: &Inputs, sink: &mut Sink) {
        let tl = inp.timeline;
        let segs = inp.schedule;
        // A new local day began at the cursor and the last one had something in it.
        let mut rolled = false;
        loop {
            while let Some(e) = tl.get(self.pos as usize) {
                if e.t > self.t {
                    break;
                }
                self.apply(e);
                self.pos += 1;
            }
            while segs.get(self.seg as usize).is_some_and(|s| s.end <= self.t) {
                self.seg += 1;
            }
            self.reevaluate(inp, sink, std::mem::take(&mut rolled));
            if self.t >= until {
                return;
            }
            // Moving past a buffer expiry: the episode outlasts its buffer.
            if let (Some(ooo), false) = (self.episode.ooo, self.episode.alerted) {
                let expiry = self.episode.since + inp.rules.buffer(ooo as usize);
                if self.t >= expiry {
                    self.episode.alerted = true;
                    if sink.live.is_some() {
                        sink.events.push(SweepEvent::AlertOut {
                            ooo,
                            since: self.episode.since,
                            at: expiry,
                        });
                    }
                    self.emit_state_if_changed(inp, sink, expiry, false);
                }
            }
            let next_entry = tl.get(self.pos as usize).map_or(Millis::MAX, |e| e.t);
            let next_seg = segs.get(self.seg as usize).map_or(Millis::MAX, |s| {
                if s.start > self.t {
                    s.start
                } else {
                    s.end
                }
            });
            let mut target = until.min(next_entry).min(next_seg);
            if self.day.present {
                // The end of a day with something in it is a stop of its own.
                target = target.min(self.day.end);
            }
            let online = self.online(inp.rules);
            let in_segment = next_seg != Millis::MAX && segs[self.seg as usize].start <= self.t;
            if !online
                && !in_segment
                && self.episode.ooo.is_none()
                && !self.interval.present
                && target > self.interval.end
            {
                // Idle: nothing accrues until the next entry or segment; jump there.
                self.t = target;
                self.interval = IntervalAcc::at(inp.rules, target);
                if target >= self.day.end {
                    rolled = self.next_day(inp.rules, target);
                }
                continue;
            }
            let mut next = target.min(self.interval.end).min(self.day.end);
            if let (Some(ooo), false) = (self.episode.ooo, self.episode.alerted) {
                next = next.min(self.episode.since + inp.rules.buffer(ooo as usize));
            }
            self.integrate(next, inp);
            self.t = next;
            if next >= self.interval.end {
                let fresh = IntervalAcc::at(inp.rules, next);
                let done = std::mem::replace(&mut self.interval, fresh);
                if done.present {
                    sink.events.push(SweepEvent::IntervalClosed(done));
                }
            }
            if next >= self.day.end {
                rolled = self.next_day(inp.rules, next);
            }
        }
    }

    /// Accrue the piece [t, to) at the current state.
    fn integrate(&mut self, to: Millis, inp: &Inputs) {
        if to <= self.t {
            return;
        }
        // Pieces never cross an interval end, so they fit 32 bits.
        let len = (to - self.t).min(u32::MAX as Millis) as u32;
        let rules = inp.rules;
        let seg = self.segment(inp.schedule);
        let scheduled = seg.is_some_and(|s| rules.activity_type(s.activity).is_working());
        let activity = self.actual_activity(rules);
        let working = activity.is_some_and(|a| rules.activity_type(a).is_working());
        let ooo = self.episode.ooo;
        let in_buffer = ooo.is_some() && !self.episode.alerted;
        let adherent = scheduled && (ooo.is_none() || in_buffer);
        let iv = &mut self.interval;
        if scheduled {
            self.day.scheduled += len;
            iv.scheduled += len;
        }
        if adherent {
            self.day.in_adherence += len;
            iv.in_adherence += len;
        }
        if working {
            self.day.actual += len;
            iv.actual += len;
        }
        if let Some(o) = ooo {
            if !in_buffer {
                iv.ooo[o as usize] += len;
            }
            if o == Ooo::NotScheduled {
                iv.not_scheduled += len;
            }
        }
        if let Some(a) = activity {
            match iv.activities.iter_mut().find(|(x, _)| *x == a) {
                Some((_, ms)) => *ms += len,
                None => iv.activities.push((a, len)),
            }
        }
        let present = seg.is_some() || activity.is_some();
        iv.present |= present;
        self.day.present |= present;
    }

    /// When this person next needs the clock: a schedule boundary, just past a buffer expiry,
    /// the end of an interval or local day that has something to report, or the next entry
    /// not applied yet.
    pub fn next_wake(&self, inp: &Inputs) -> Option<Millis> {
        let mut w = Millis::MAX;
        let segs = inp.schedule;
        let mut in_segment = false;
        if let Some(s) = segs.get(self.seg as usize) {
            if s.start > self.t {
                w = s.start;
            } else {
                w = s.end;
                in_segment = true;
            }
        }
        if let (Some(ooo), false) = (self.episode.ooo, self.episode.alerted) {
            let expiry = self.episode.since + inp.rules.buffer(ooo as usize);
            w = w.min(expiry.max(self.t) + 1);
        }
        if self.interval.present || in_segment || self.online(inp.rules) {
            w = w.min(self.interval.end);
        }
        if self.day.present {
            w = w.min(self.day.end);
        }
        // An entry ahead of the cursor (the external clock had not reached it yet).
        if let Some(e) = inp.timeline.get(self.pos as usize) {
            w = w.min(e.t.max(self.t));
        }
        (w != Millis::MAX).then_some(w)
    }
}

/// Whether the status is an offline one, for views.
pub fn status_offline(rules: &Rules, status: u32) -> bool {
    status == NEVER || status == NO_STATUS || rules.status(status).offline
}

impl Cursor {
    /// Fingerprint of the visible state (to decide whether a state record is due).
    pub fn visible_fingerprint(&self, inp: &Inputs) -> u64 {
        self.visible_key(inp)
    }

    /// Re-align interval and day to a changed local grid, keeping the evaluation state. The
    /// interval and day straddling the cursor restart from zero.
    pub fn realign(&mut self, rules: &Rules, schedule: &[Segment]) {
        self.day = DayAcc::at(rules, self.t);
        self.interval = IntervalAcc::at(rules, self.t);
        self.seg = schedule.partition_point(|s| s.end <= self.t) as u32;
    }
}
