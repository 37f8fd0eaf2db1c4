//! All state of one account: its rules, identifiers, persons, timers, parked and held events
//! and unmapped reports. Accounts share nothing, so they can be split across workers and
//! instances. Every entry point takes the time it acts at; nothing here reads a clock.

use super::cursor::{Inputs, Sink, SweepEvent};
use super::idents::Idents;
use super::output::{self, UnmappedKind, Who};
use super::person::Person;
use super::queues::Queues;
use super::schedule::Segment;
use super::timeline::{change_from, insert, Entry, Inserted, NO_STATUS};
use super::timers::Timers;
use super::{ClockMode, Ctx};
use crate::config::{PersonRec, Rules};
use crate::decode::{DecodedEvent, EventKind};
use crate::reason::{Reason, Reject};
use crate::time::Millis;
use ahash::AHashMap;

mod config;
mod contacts;
mod diff;
mod intake;
mod parked_snapshot;
mod revise;
mod snapshot;
mod states;

use diff::diff_intervals;
use revise::OldTimeline;

/// An event of a paused integration, waiting for the resume.
#[derive(Clone, Debug)]
struct Held {
    external: Box<str>,
    entry: Entry,
}

#[derive(Clone, Debug)]
struct Report {
    count: u64,
    first: Millis,
    last: Millis,
}

/// What a person looked like before a change, for recomputation.
#[derive(Default)]
struct Before<'r> {
    timeline: Option<OldTimeline>,
    schedule: Option<Vec<Segment>>,
    rules: Option<&'r Rules>,
    /// A status remap: the status index and its previous activity (the old rules are the
    /// current ones with this one mapping restored, so no copy of the rules is made).
    status_was: Option<(u32, Option<u32>)>,
    /// The local grid changed: cursors must be re-aligned.
    regrid: bool,
}

#[derive(Clone)]
pub struct Account {
    pub name: Box<str>,
    /// The name rendered for record keys and values (derived from `name`).
    pub head: output::AccountHead,
    pub rules: Rules,
    pub idents: Idents,
    pub persons: Vec<Person>,
    person_index: AHashMap<Box<str>, u32>,
    pub person_info: AHashMap<Box<str>, PersonRec>,
    timers: Timers,
    /// The account's clock: wall-clock time, or the largest event time seen (event-time mode).
    pub clock: Option<Millis>,
    /// The clock follows event time even when the engine's clock is external: set while the
    /// service rebuilds the account from retained input.
    pub event_clock: bool,
    /// Per integration index: unmapped externalId → parked entries.
    parked: Vec<AHashMap<Box<str>, Vec<Entry>>>,
    parked_total: usize,
    /// Bytes of parked entries and identifier slots (see `intake`).
    parked_bytes: usize,
    /// Per integration index: events held while the integration is paused, and their bytes.
    held: Vec<Vec<Held>>,
    held_bytes: Vec<usize>,
    reports: AHashMap<(UnmappedKind, u32, Box<str>), Report>,
    /// Clock when the unmapped reports were last pruned (at the cap).
    reports_pruned_at: Option<Millis>,
    /// Contact counters of the account's queues (SPEC §10).
    pub queues: Queues,
    /// Persons touched since the changelog last collected them (see `engine::snapshot`).
    dirty_persons: Vec<u32>,
    /// The account's own state (clock, parked, held, reports) changed since then.
    core_dirty: bool,
    /// Persons installed by a restore and not yet checked (see `snapshot::finish_restore`).
    restoring: AHashMap<u32, snapshot::Restoring>,
    /// Digest of the record the changelog last got for each identifier's parked events.
    parked_digests: AHashMap<(u32, Box<str>), u64>,
}

impl Account {
    pub fn new(name: &str, clock: Option<Millis>) -> Account {
        Account {
            name: name.into(),
            head: output::AccountHead::new(name),
            rules: Rules::default(),
            idents: Idents::default(),
            persons: Vec::new(),
            person_index: AHashMap::new(),
            person_info: AHashMap::new(),
            timers: Timers::default(),
            clock,
            event_clock: false,
            parked: Vec::new(),
            parked_total: 0,
            parked_bytes: 0,
            held: Vec::new(),
            held_bytes: Vec::new(),
            reports: AHashMap::new(),
            reports_pruned_at: None,
            queues: Queues::default(),
            dirty_persons: Vec::new(),
            core_dirty: false,
            restoring: AHashMap::new(),
            parked_digests: AHashMap::new(),
        }
    }

    pub fn person_idx(&self, id: &str) -> Option<u32> {
        self.person_index.get(id).copied()
    }

    fn person_or_create(&mut self, id: &str) -> u32 {
        if let Some(&p) = self.person_index.get(id) {
            return p;
        }
        let p = self.persons.len() as u32;
        self.persons.push(Person::new(id));
        self.person_index.insert(id.into(), p);
        self.touch(p);
        p
    }

    /// Oldest event time still accepted.
    fn horizon(&self, ctx: &Ctx) -> Option<Millis> {
        self.clock.map(|c| c.saturating_sub(ctx.opts.retention))
    }

    // ---- events -----------------------------------------------------------------------------

    /// Whether an element at `t` may enter: inside the accepted range, not older than the
    /// retention before the clock, not too far ahead of it.
    fn check_time(&self, t: Millis, ctx: &Ctx) -> Result<(), Reject> {
        let lim = &ctx.opts.limits;
        if !lim.time_ok(t) {
            let detail = format!(
                "event time {} is outside the accepted range {}",
                output::fmt_time(t),
                lim.range_text()
            );
            return Err(Reject::new(Reason::BadTimestamp, detail));
        }
        if let Some(h) = self.horizon(ctx) {
            if t < h {
                let detail = format!(
                    "event time {} is more than the retention ({} s) before the clock {}",
                    output::fmt_time(t),
                    ctx.opts.retention / 1000,
                    output::fmt_time(self.clock.unwrap_or_default())
                );
                return Err(Reject::new(Reason::TooLate, detail));
            }
        }
        let ahead = match self.follows_event_time(ctx) {
            true => ctx.opts.limits.max_clock_jump,
            false => ctx.opts.future_tolerance,
        };
        if let Some(c) = self.clock {
            if t > c.saturating_add(ahead) {
                let detail = format!(
                    "event time {} is more than {} s ahead of the clock {}",
                    output::fmt_time(t),
                    ahead / 1000,
                    output::fmt_time(c)
                );
                return Err(Reject::new(Reason::FutureTimestamp, detail));
            }
        }
        Ok(())
    }

    /// The account's clock is its largest event time (offline, or rebuilding).
    fn follows_event_time(&self, ctx: &Ctx) -> bool {
        self.event_clock || ctx.opts.clock == ClockMode::EventTime
    }

    /// Apply one decoded agent event, or refuse it (the engine's edge dead-letters the reject).
    pub fn on_event(
        &mut self,
        integ: u32,
        ev: DecodedEvent<'_>,
        ctx: &mut Ctx,
    ) -> Result<(), Reject> {
        let lim = &ctx.opts.limits;
        if !lim.time_ok(ev.time) {
            self.check_time(ev.time, ctx)?;
        }
        if ev.external_id.len() > lim.max_field_bytes || ev.status.len() > lim.max_field_bytes {
            let detail = format!(
                "an identifier or status is longer than {} bytes",
                lim.max_field_bytes
            );
            return Err(Reject::new(Reason::TooLarge, detail));
        }
        self.check_time(ev.time, ctx)?;
        let event_clock = self.follows_event_time(ctx);
        let status = match ev.kind {
            EventKind::ItemEnd => NO_STATUS,
            _ => match self.rules.status_idx(integ, &ev.status) {
                Some(i) => i,
                None => {
                    if !ev.offline && !self.unmapped_room(ctx) {
                        return Err(Reject::new(
                            Reason::UnmappedFull,
                            "too many distinct unmapped values in this account; map them",
                        ));
                    }
                    self.rules.intern_status(integ, &ev.status, ev.offline)
                }
            },
        };
        if event_clock {
            self.advance_clock(ev.time, ctx);
        }
        let entry = Entry::new(ev.time, ev.event_id, status, 0, ev.kind);
        if self.rules.integration(integ).paused {
            if !self.hold(integ, &ev.external_id, entry, ctx) {
                return Err(Reject::new(
                    Reason::HoldFull,
                    "the integration is paused and its hold buffer is full",
                ));
            }
            return Ok(());
        }
        if let Some(p) = self.resolve(integ, &ev.external_id, entry, true, ctx)? {
            let mut e = entry;
            e.set_ident(self.idents.lookup(integ, &ev.external_id).unwrap_or(0));
            let person = &mut self.persons[p as usize];
            if person.timeline.len() >= ctx.opts.limits.max_timeline {
                if super::timeline::is_duplicate(&person.timeline, &mut person.ids, &e) {
                    ctx.stats.duplicates += 1;
                    return Ok(());
                }
                let detail = format!(
                    "the person already has {} retained events",
                    ctx.opts.limits.max_timeline
                );
                return Err(Reject::new(Reason::PersonFull, detail));
            }
            self.apply_entries(p, &[e], ctx);
        }
        Ok(())
    }

    /// Insert entries into a person's timeline and bring the person up to date: the fast path
    /// when they extend the timeline at the live edge, a recomputation otherwise.
    fn apply_entries(&mut self, p: u32, entries: &[Entry], ctx: &mut Ctx) {
        let person = &mut self.persons[p as usize];
        let live_t = person.live.as_ref().map(|c| c.t);
        // Item starts and ends re-resolve other entries, so their old timeline is kept up front
        // when a recomputation may follow (not for one entry that changes nothing before the
        // live cursor: no O(n) copy per item); for point events it is rebuilt below, and only
        // when a recomputation is needed.
        // Only the tail from the rewind checkpoint the recomputation starts at is kept.
        let all_points = entries.iter().all(|e| e.kind() == EventKind::Point);
        let reach = match live_t {
            Some(lt) if !all_points => {
                let ids = &mut person.ids;
                let from = entries
                    .iter()
                    .map(|e| change_from(&person.timeline, ids, e))
                    .min()
                    .unwrap_or(Millis::MIN);
                (entries.len() > 1 || from <= lt).then_some(from)
            }
            _ => None,
        };
        let mut before = reach.map(|from| OldTimeline::tail(person, from));
        let mut changed: Option<Millis> = None;
        let mut last_t = Millis::MIN;
        // Entries of `entries` that were duplicates (not inserted), rarely any.
        let mut dups: Vec<usize> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match insert(&mut person.timeline, &mut person.ids, &self.rules, *e) {
                Inserted::Duplicate => {
                    ctx.stats.duplicates += 1;
                    dups.push(i);
                }
                Inserted::ChangedFrom(from) => {
                    ctx.stats.events_applied += 1;
                    changed = Some(changed.map_or(from, |c| c.min(from)));
                    last_t = last_t.max(e.t);
                }
            }
        }
        let Some(from) = changed else { return };
        // Fast path: nothing before the live cursor changed (an item end may re-resolve
        // earlier entries of the same identifier, which makes `from` earlier).
        let fast = live_t.is_some_and(|lt| from > lt);
        if fast {
            // (an entry ahead of the external clock waits for its timer: see advance_person)
            self.advance_person(p, last_t, ctx);
            self.after_change(p, ctx);
        } else {
            if before.is_none() && live_t.is_some() && all_points {
                // Nothing before `from` changed: the tail from the checkpoint before it,
                // without the entries just inserted.
                let mut old = OldTimeline::tail(person, from);
                let mut dup = dups.iter().copied().peekable();
                for (i, e) in entries.iter().enumerate() {
                    if dup.next_if_eq(&i).is_some() {
                        continue;
                    }
                    if let Some(i) = old.tail.iter().position(|x| x == e) {
                        old.tail.remove(i);
                    }
                }
                before = Some(old);
            }
            let b = Before {
                timeline: before,
                ..Before::default()
            };
            self.revise(p, b, from.min(last_t), ctx);
        }
    }

    // ---- time -------------------------------------------------------------------------------

    /// Advance the account clock to `now`, firing due timers (schedule boundaries, buffer
    /// expiries, interval ends) in time order.
    pub fn advance_clock(&mut self, now: Millis, ctx: &mut Ctx) {
        if self.clock.is_some_and(|c| c >= now) {
            return;
        }
        self.clock = Some(now);
        self.core_dirty = true;
        self.flush_timers(now - ctx.opts.lateness, ctx);
    }

    /// Fire every timer due at or before `watermark` (never past the clock).
    pub fn flush_timers(&mut self, watermark: Millis, ctx: &mut Ctx) {
        let Some(clock) = self.clock else { return };
        let watermark = watermark.min(clock);
        while let Some((due, p)) = self.timers.pop_due(watermark) {
            if self.persons[p as usize].timer != due {
                continue; // superseded
            }
            self.persons[p as usize].timer = Millis::MAX;
            self.advance_person(p, due, ctx);
            self.after_change(p, ctx);
        }
        self.flush_queues(watermark, ctx);
        if self.timers.len() > 2 * self.persons.len() + 1024 {
            self.timers
                .rebuild(self.persons.iter().map(|x| x.timer).enumerate());
        }
    }

    /// Live-advance a person to `until`, publishing what happens on the way. Never past the
    /// clock: what lies ahead of it is evaluated when its time comes (a timer).
    fn advance_person(&mut self, p: u32, until: Millis, ctx: &mut Ctx) {
        let person = &mut self.persons[p as usize];
        let (Some(live), Some(clock)) = (person.live.as_mut(), self.clock) else {
            return;
        };
        let until = until.min(clock);
        if until < live.t {
            return;
        }
        ctx.scratch.clear();
        let inputs = Inputs {
            rules: &self.rules,
            timeline: &person.timeline,
            schedule: &person.schedule,
        };
        live.advance(
            until,
            &inputs,
            &mut Sink {
                events: ctx.scratch,
                live: Some(&mut person.last_visible),
            },
        );
        person.rewind.note(live);
        self.publish(p, ctx);
    }

    /// Turn the sweep events in `ctx.scratch` into output records.
    fn publish(&mut self, p: u32, ctx: &mut Ctx) {
        let person = &mut self.persons[p as usize];
        let mut events = std::mem::take(ctx.scratch);
        let (head, rules, idents) = (&self.head, &self.rules, &self.idents);
        // the person's config record, looked up for the first agent state only
        let mut info = None;
        for ev in events.drain(..) {
            ctx.emit(|e| match ev {
                SweepEvent::State(v) => {
                    let info = *info.get_or_insert_with(|| self.person_info.get(&person.id));
                    output::agent_state(e, Who::new(head, &person.id), info, &v, rules, idents)
                }
                SweepEvent::IntervalClosed(iv) => {
                    let rev = match person.revision(iv.start) {
                        Some(r) => {
                            person.set_revision(iv.start, r + 1);
                            r + 1
                        }
                        None => 0,
                    };
                    output::interval(e, Who::new(head, &person.id), &iv, rev, rules)
                }
                SweepEvent::AlertOut { ooo, since, at } => {
                    person.announced = Some((ooo, since));
                    let who = Who::new(head, &person.id);
                    output::adherence_event(e, who, false, ooo, since, at, false)
                }
                SweepEvent::AlertIn { ooo, since, at } => {
                    person.announced = None;
                    let who = Who::new(head, &person.id);
                    output::adherence_event(e, who, true, ooo, since, at, false)
                }
            });
        }
        *ctx.scratch = events;
    }

    /// Re-arm the person's timer and prune what fell out of retention.
    fn after_change(&mut self, p: u32, ctx: &mut Ctx) {
        self.touch(p);
        let horizon = self.horizon(ctx);
        let person = &mut self.persons[p as usize];
        if let (Some(h), Some(base), Some(live)) =
            (horizon, person.base.as_ref(), person.live.as_ref())
        {
            if live.t - base.t > ctx.opts.retention + ctx.opts.prune_slack {
                let cut = self.rules.grid.interval_at(h - 1).0;
                person.prune(&self.rules, cut, ctx.scratch);
            }
        }
        let wake = person
            .live
            .as_ref()
            .and_then(|c| c.next_wake(&person.inputs(&self.rules)))
            .unwrap_or(Millis::MAX);
        if wake != person.timer {
            person.timer = wake;
            if wake != Millis::MAX {
                self.timers.push(wake, p);
            }
        }
    }

    // ---- reading (and account/states.rs) ---------------------------------------------------

    /// Distinct unmapped identifiers and statuses currently reported.
    pub fn unmapped_counts(&self) -> (usize, usize) {
        let ids = self
            .reports
            .keys()
            .filter(|(k, _, _)| *k == UnmappedKind::Identifier)
            .count();
        (ids, self.reports.len() - ids)
    }

    pub fn parked_count(&self) -> usize {
        self.parked_total
    }

    pub fn held_count(&self) -> usize {
        self.held.iter().map(Vec::len).sum()
    }
}
