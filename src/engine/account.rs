//! All state of one account: its rules, identifiers, persons, timers, parked and held events
//! and unmapped reports. Accounts share nothing, so they can be split across workers and
//! instances. Every entry point takes the time it acts at; nothing here reads a clock.

use super::cursor::{Cursor, Inputs, IntervalAcc, Sink, SweepEvent};
use super::idents::Idents;
use super::output::{self, Origin, UnmappedKind};
use super::person::Person;
use super::schedule::{replace_date, Segment};
use super::timeline::{insert, Entry, Inserted, NO_STATUS};
use super::{ClockMode, Ctx};
use crate::config::{ConfigKey, ConfigRecord, PersonRec, Rules, SettingsRec};
use crate::decode::{DecodedEvent, EventKind};
use crate::time::Millis;
use ahash::AHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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
    timeline: Option<Vec<Entry>>,
    schedule: Option<Vec<Segment>>,
    rules: Option<&'r Rules>,
    /// The local grid changed: cursors must be re-aligned.
    regrid: bool,
}

#[derive(Clone)]
pub struct Account {
    pub name: Box<str>,
    pub rules: Rules,
    pub idents: Idents,
    pub persons: Vec<Person>,
    person_index: AHashMap<Box<str>, u32>,
    pub person_info: AHashMap<Box<str>, PersonRec>,
    timers: BinaryHeap<Reverse<(Millis, u32)>>,
    /// The account's clock: wall-clock time, or the largest event time seen (event-time mode).
    pub clock: Option<Millis>,
    /// The clock follows event time even when the engine's clock is external: set while the
    /// service rebuilds the account from retained input.
    pub event_clock: bool,
    /// Per integration index: unmapped externalId → parked entries.
    parked: Vec<AHashMap<Box<str>, Vec<Entry>>>,
    parked_total: usize,
    /// Per integration index: events held while the integration is paused.
    held: Vec<Vec<Held>>,
    reports: AHashMap<(UnmappedKind, u32, Box<str>), Report>,
}

impl Account {
    pub fn new(name: &str, clock: Option<Millis>) -> Account {
        Account {
            name: name.into(),
            rules: Rules::default(),
            idents: Idents::default(),
            persons: Vec::new(),
            person_index: AHashMap::new(),
            person_info: AHashMap::new(),
            timers: BinaryHeap::new(),
            clock,
            event_clock: false,
            parked: Vec::new(),
            parked_total: 0,
            held: Vec::new(),
            reports: AHashMap::new(),
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
        p
    }

    /// Oldest event time still accepted.
    fn horizon(&self, ctx: &Ctx) -> Option<Millis> {
        self.clock.map(|c| c.saturating_sub(ctx.opts.retention))
    }

    // ---- events -----------------------------------------------------------------------------

    /// Apply the decoded events of one input record.
    pub fn on_events(
        &mut self,
        integ: u32,
        events: crate::decode::Decoded<'_>,
        origin: &Origin,
        ctx: &mut Ctx,
    ) {
        for ev in events {
            match ev {
                Err(e) => ctx.dead_letter(origin, e.reason, &e.detail),
                Ok(ev) => self.on_event(integ, ev, origin, ctx),
            }
        }
    }

    fn on_event(&mut self, integ: u32, ev: DecodedEvent<'_>, origin: &Origin, ctx: &mut Ctx) {
        if let Some(h) = self.horizon(ctx) {
            if ev.time < h {
                let detail = format!(
                    "event time {} is more than the retention ({} s) before the clock {}",
                    output::fmt_time(ev.time),
                    ctx.opts.retention / 1000,
                    output::fmt_time(self.clock.unwrap_or_default())
                );
                return ctx.dead_letter(origin, "too_late", &detail);
            }
        }
        match ctx.opts.clock {
            _ if self.event_clock => self.advance_clock(ev.time, ctx),
            ClockMode::EventTime => self.advance_clock(ev.time, ctx),
            ClockMode::External => {
                if let Some(c) = self.clock {
                    if ev.time > c + ctx.opts.future_tolerance {
                        let detail = format!(
                            "event time {} is ahead of the clock {}",
                            output::fmt_time(ev.time),
                            output::fmt_time(c)
                        );
                        return ctx.dead_letter(origin, "future_timestamp", &detail);
                    }
                }
            }
        }
        let status = match ev.kind {
            EventKind::ItemEnd => NO_STATUS,
            _ => self.rules.intern_status(integ, &ev.status, ev.offline),
        };
        let entry = Entry::new(ev.time, ev.event_id, status, 0, ev.kind);
        if self.rules.integration(integ).paused {
            let held = self.held_slot(integ);
            if held.len() >= ctx.opts.hold_limit {
                return ctx.dead_letter(
                    origin,
                    "hold_full",
                    "the integration is paused and its hold buffer is full",
                );
            }
            held.push(Held {
                external: ev.external_id.as_ref().into(),
                entry,
            });
            ctx.stats.held += 1;
            return;
        }
        if let Some(p) = self.resolve(integ, &ev.external_id, entry, Some(origin), ctx) {
            let mut e = entry;
            e.set_ident(self.idents.lookup(integ, &ev.external_id).unwrap_or(0));
            self.apply_entries(p, &[e], ctx);
        }
    }

    fn held_slot(&mut self, integ: u32) -> &mut Vec<Held> {
        while self.held.len() <= integ as usize {
            self.held.push(Vec::new());
        }
        &mut self.held[integ as usize]
    }

    /// Report an unmapped status and find the person of an identifier; unmapped identifiers
    /// park the entry (bounded) and are reported.
    fn resolve(
        &mut self,
        integ: u32,
        external: &str,
        entry: Entry,
        origin: Option<&Origin>,
        ctx: &mut Ctx,
    ) -> Option<u32> {
        if entry.status != NO_STATUS {
            let st = self.rules.status(entry.status);
            if st.activity.is_none() && !st.offline {
                ctx.stats.unmapped_status_events += 1;
                let value: Box<str> = st.external.clone();
                self.report(UnmappedKind::Status, integ, &value, entry.t, ctx);
            }
        }
        if let Some(p) = self
            .idents
            .lookup(integ, external)
            .and_then(|i| self.idents.person_of(i))
        {
            return Some(p);
        }
        ctx.stats.unmapped_identifier_events += 1;
        self.report(UnmappedKind::Identifier, integ, external, entry.t, ctx);
        while self.parked.len() <= integ as usize {
            self.parked.push(AHashMap::new());
        }
        let horizon = self.horizon(ctx);
        let slot = self.parked[integ as usize]
            .entry(external.into())
            .or_default();
        if let Some(h) = horizon {
            let before = slot.len();
            slot.retain(|e| e.t >= h);
            self.parked_total -= before - slot.len();
            ctx.stats.dropped += (before - slot.len()) as u64;
        }
        if slot.len() >= ctx.opts.park_limit || self.parked_total >= ctx.opts.park_total_limit {
            match origin {
                Some(o) => ctx.dead_letter(
                    o,
                    "parking_full",
                    "too many events of this unmapped identifier are parked; map it",
                ),
                None => ctx.stats.dropped += 1,
            }
            return None;
        }
        slot.push(entry);
        self.parked_total += 1;
        ctx.stats.parked += 1;
        None
    }

    fn report(&mut self, kind: UnmappedKind, integ: u32, value: &str, t: Millis, ctx: &mut Ctx) {
        let r = self
            .reports
            .entry((kind, integ, value.into()))
            .or_insert(Report {
                count: 0,
                first: t,
                last: t,
            });
        r.count += 1;
        r.first = r.first.min(t);
        r.last = r.last.max(t);
        let (count, first, last) = (r.count, r.first, r.last);
        let suggestions = match kind {
            UnmappedKind::Identifier => self.idents.near_misses(integ, value),
            UnmappedKind::Status => self.rules.status_near_misses(integ, value),
        };
        let integration = &self.rules.integration(integ).id;
        ctx.emit(|e| {
            output::unmapped_report(
                e,
                &self.name,
                integration,
                kind,
                value,
                count,
                first,
                last,
                &suggestions,
            )
        });
    }

    fn clear_report(&mut self, kind: UnmappedKind, integ: u32, value: &str, ctx: &mut Ctx) {
        if self.reports.remove(&(kind, integ, value.into())).is_some() {
            let integration = &self.rules.integration(integ).id;
            ctx.emit(|e| output::unmapped_tombstone(e, &self.name, integration, kind, value));
        }
    }

    /// Insert entries into a person's timeline and bring the person up to date: the fast path
    /// when they extend the timeline at the live edge, a recomputation otherwise.
    fn apply_entries(&mut self, p: u32, entries: &[Entry], ctx: &mut Ctx) {
        let person = &mut self.persons[p as usize];
        let live_t = person.live.as_ref().map(|c| c.t);
        // Item ends re-resolve other entries, so their old timeline is kept up front; for point
        // events it is rebuilt below, and only when a recomputation is needed.
        let all_points = entries.iter().all(|e| e.kind() == EventKind::Point);
        let mut before = if live_t.is_none() || all_points {
            None
        } else {
            Some(person.timeline.clone())
        };
        let mut changed: Option<Millis> = None;
        let mut last_t = Millis::MIN;
        for e in entries {
            match insert(&mut person.timeline, &self.rules, *e) {
                Inserted::Duplicate => ctx.stats.duplicates += 1,
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
            self.advance_person(p, last_t, ctx);
            self.after_change(p, ctx);
        } else {
            if before.is_none() && live_t.is_some() && all_points {
                let mut old = person.timeline.clone();
                for e in entries {
                    if let Some(i) = old.iter().position(|x| x == e) {
                        old.remove(i);
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
        self.flush_timers(now - ctx.opts.lateness, ctx);
    }

    /// Fire every timer due at or before `watermark`.
    pub fn flush_timers(&mut self, watermark: Millis, ctx: &mut Ctx) {
        while let Some(&Reverse((due, p))) = self.timers.peek() {
            if due > watermark {
                break;
            }
            self.timers.pop();
            if self.persons[p as usize].timer != due {
                continue; // superseded
            }
            self.persons[p as usize].timer = Millis::MAX;
            self.advance_person(p, due, ctx);
            self.after_change(p, ctx);
        }
        if self.timers.len() > 2 * self.persons.len() + 1024 {
            self.timers = self
                .persons
                .iter()
                .enumerate()
                .filter(|(_, x)| x.timer != Millis::MAX)
                .map(|(i, x)| Reverse((x.timer, i as u32)))
                .collect();
        }
    }

    /// Live-advance a person to `until`, publishing what happens on the way.
    fn advance_person(&mut self, p: u32, until: Millis, ctx: &mut Ctx) {
        let person = &mut self.persons[p as usize];
        let Some(live) = person.live.as_mut() else {
            return;
        };
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
        self.publish(p, ctx);
    }

    /// Turn the sweep events in `ctx.scratch` into output records.
    fn publish(&mut self, p: u32, ctx: &mut Ctx) {
        let person = &mut self.persons[p as usize];
        let mut events = std::mem::take(ctx.scratch);
        let (name, rules, idents) = (&*self.name, &self.rules, &self.idents);
        for ev in events.drain(..) {
            ctx.emit(|e| match ev {
                SweepEvent::State(v) => output::agent_state(e, name, &person.id, &v, rules, idents),
                SweepEvent::IntervalClosed(iv) => {
                    let rev = match person.revision(iv.start) {
                        Some(r) => {
                            person.set_revision(iv.start, r + 1);
                            r + 1
                        }
                        None => 0,
                    };
                    output::interval(e, name, &person.id, &iv, rev, rules)
                }
                SweepEvent::AlertOut { ooo, since, at } => {
                    person.announced = Some((ooo, since));
                    output::adherence_event(e, name, &person.id, false, ooo, since, at, false)
                }
                SweepEvent::AlertIn { ooo, since, at } => {
                    person.announced = None;
                    output::adherence_event(e, name, &person.id, true, ooo, since, at, false)
                }
            });
        }
        *ctx.scratch = events;
    }

    /// Re-arm the person's timer and prune what fell out of retention.
    fn after_change(&mut self, p: u32, ctx: &mut Ctx) {
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
                self.timers.push(Reverse((wake, p)));
            }
        }
    }

    // ---- recomputation ----------------------------------------------------------------------

    /// Recompute a person after a change that reaches back before their live cursor (late
    /// event, config change): replay the old and the new inputs from the checkpoint, publish
    /// revised intervals, reconcile alerts and publish the current state.
    fn revise(&mut self, p: u32, before: Before, from: Millis, ctx: &mut Ctx) {
        ctx.stats.recomputations += 1;
        let floor = self.horizon(ctx);
        let clock = self.clock;
        let person = &mut self.persons[p as usize];
        // 1. What was published: the old inputs replayed to the old live time.
        let mut old_ivs = Vec::new();
        let old_live_t = person.live.as_ref().map(|c| c.t);
        if let (Some(base), Some(old_t)) = (person.base.as_ref(), old_live_t) {
            let rules = before.rules.unwrap_or(&self.rules);
            let inputs = Inputs {
                rules,
                timeline: before.timeline.as_deref().unwrap_or(&person.timeline),
                schedule: before.schedule.as_deref().unwrap_or(&person.schedule),
            };
            let mut c = base.clone();
            ctx.scratch.clear();
            c.advance(
                old_t,
                &inputs,
                &mut Sink {
                    events: ctx.scratch,
                    live: None,
                },
            );
            old_ivs.extend(ctx.scratch.drain(..).filter_map(|e| match e {
                SweepEvent::IntervalClosed(iv) => Some(iv),
                _ => None,
            }));
        }
        // 2. The checkpoint under the new inputs.
        if !person.has_data() && person.base.is_none() {
            return;
        }
        let fresh = person.fresh_base_time(&self.rules, floor);
        match (person.base.as_mut(), fresh) {
            (None, Some(t0)) => person.base = Some(Cursor::new(t0, &self.rules, &person.schedule)),
            (Some(b), Some(t0)) if person.pristine && (t0 < b.t || before.regrid) => {
                *b = Cursor::new(t0, &self.rules, &person.schedule)
            }
            (Some(b), _) if before.regrid => b.realign(&self.rules, &person.schedule),
            (Some(b), _) if before.schedule.is_some() => {
                b.seg = person.schedule.partition_point(|s| s.end <= b.t) as u32
            }
            _ => {}
        }
        let Some(base) = person.base.as_ref() else {
            return;
        };
        // 3. How far to replay: where the live cursor was, but never past what is known.
        let last_entry = person.timeline.last().map(|e| e.t);
        let known = match (clock, last_entry) {
            (Some(c), Some(e)) => Some(c.max(e)),
            (c, e) => c.or(e),
        };
        let target = match (old_live_t, known) {
            (Some(lt), Some(k)) if lt <= k => lt.max(from.min(k)),
            (Some(lt), Some(k)) => lt.min(k.max(from)),
            (Some(lt), None) => lt,
            (None, Some(k)) => k,
            (None, None) => base.t,
        }
        .max(base.t);
        let mut c = base.clone();
        ctx.scratch.clear();
        c.advance(
            target,
            &person.inputs(&self.rules),
            &mut Sink {
                events: ctx.scratch,
                live: None,
            },
        );
        let new_ivs: Vec<IntervalAcc> = ctx
            .scratch
            .drain(..)
            .filter_map(|e| match e {
                SweepEvent::IntervalClosed(iv) => Some(iv),
                _ => None,
            })
            .collect();
        // 4. Publish the differences.
        diff_intervals(&self.name, person, &old_ivs, &new_ivs, &self.rules, ctx);
        let now_alerted = c
            .episode
            .ooo
            .filter(|_| c.episode.alerted)
            .map(|o| (o, c.episode.since));
        if person.announced != now_alerted {
            if let Some((o, s)) = person.announced {
                ctx.emit(|e| {
                    output::adherence_event(e, &self.name, &person.id, true, o, s, c.t.max(s), true)
                });
            }
            if let Some((o, s)) = now_alerted {
                let at = s + self.rules.buffer(o as usize);
                ctx.emit(|e| {
                    output::adherence_event(e, &self.name, &person.id, false, o, s, at, true)
                });
            }
            person.announced = now_alerted;
        }
        let inputs = Inputs {
            rules: &self.rules,
            timeline: &person.timeline,
            schedule: &person.schedule,
        };
        let fingerprint = c.visible_fingerprint(&inputs);
        let view = c.view(&inputs);
        person.last_visible = fingerprint;
        ctx.emit(|e| {
            output::agent_state(e, &self.name, &person.id, &view, &self.rules, &self.idents)
        });
        person.live = Some(c);
        self.after_change(p, ctx);
    }

    // ---- config -----------------------------------------------------------------------------

    /// Apply one config change of this account.
    pub fn on_config(&mut self, key: ConfigKey, record: Option<ConfigRecord>, ctx: &mut Ctx) {
        match (key, record) {
            (_, Some(ConfigRecord::Settings(s))) => self.set_settings(s, ctx),
            (ConfigKey::Settings, None) => self.set_settings(SettingsRec::default(), ctx),
            (_, Some(ConfigRecord::Integration(rec))) => {
                let was_paused = self
                    .rules
                    .integration_idx(&rec.id)
                    .map(|i| self.rules.integration(i).paused);
                let i = self.rules.upsert_integration(&rec);
                if was_paused == Some(true) && !rec.paused {
                    self.release_held(i, ctx);
                }
            }
            (ConfigKey::Integration(id), None) => {
                if let Some(i) = self.rules.deactivate_integration(&id) {
                    // What it already delivered stays: held events are applied.
                    self.release_held(i, ctx);
                }
            }
            (_, Some(ConfigRecord::Activity(a))) => {
                let old = self.rules.clone();
                self.rules.define_activity(&a.id, &a.name, a.activity_type);
                self.revise_where(&old, |_| true, ctx);
            }
            (ConfigKey::Activity(id), None) => {
                let old = self.rules.clone();
                self.rules.undefine_activity(&id);
                self.revise_where(&old, |_| true, ctx);
            }
            (_, Some(ConfigRecord::Identifier(rec))) => {
                self.map_identifier(&rec.integration, &rec.external_id, &rec.person, ctx)
            }
            (
                ConfigKey::Identifier {
                    integration,
                    external_id,
                },
                None,
            ) => self.unmap_identifier(&integration, &external_id, ctx),
            (_, Some(ConfigRecord::Status(rec))) => {
                let integ = self.rules.intern_integration(&rec.integration);
                let act = self.rules.intern_activity(&rec.activity);
                self.map_status(integ, &rec.external_status, Some(act), ctx);
                self.clear_report(UnmappedKind::Status, integ, &rec.external_status, ctx);
            }
            (
                ConfigKey::Status {
                    integration,
                    external_status,
                },
                None,
            ) => {
                let integ = self.rules.intern_integration(&integration);
                self.map_status(integ, &external_status, None, ctx);
            }
            (_, Some(ConfigRecord::Match(m))) => {
                let old = self.rules.clone();
                let prev = self.rules.match_scheduled(&m.id);
                let sched = self.rules.upsert_match(&m);
                self.revise_where(
                    &old,
                    |p| {
                        p.schedule
                            .iter()
                            .any(|s| s.activity == sched || Some(s.activity) == prev)
                    },
                    ctx,
                );
            }
            (ConfigKey::Match(id), None) => {
                let old = self.rules.clone();
                if let Some(sched) = self.rules.delete_match(&id) {
                    self.revise_where(
                        &old,
                        |p| p.schedule.iter().any(|s| s.activity == sched),
                        ctx,
                    );
                }
            }
            (_, Some(ConfigRecord::Schedule(s))) => {
                let segs: Vec<Segment> = s
                    .segments
                    .iter()
                    .map(|x| Segment {
                        start: x.start,
                        end: x.end,
                        activity: self.rules.intern_activity(&x.activity),
                        date: s.date,
                    })
                    .collect();
                self.set_schedule(&s.person, s.date, &segs, ctx);
            }
            (ConfigKey::Schedule { person, date }, None) => {
                if self.person_idx(&person).is_some() {
                    self.set_schedule(&person, date, &[], ctx);
                }
            }
            (_, Some(ConfigRecord::Person(rec))) => {
                self.person_or_create(&rec.id);
                self.person_info.insert(rec.id.as_str().into(), rec);
            }
            (ConfigKey::Person(id), None) => {
                self.person_info.remove(id.as_str());
            }
        }
    }

    fn set_settings(&mut self, s: SettingsRec, ctx: &mut Ctx) {
        let old = self.rules.clone();
        match self.rules.set_settings(s) {
            Ok(regrid) => {
                for p in 0..self.persons.len() as u32 {
                    if self.persons[p as usize].base.is_some() {
                        let b = Before {
                            rules: Some(&old),
                            regrid,
                            ..Before::default()
                        };
                        self.revise(p, b, Millis::MIN, ctx);
                    }
                }
            }
            Err(_) => self.rules = old, // validated at parse time; keep the old settings
        }
    }

    /// Recompute every started person matching `affected` under `old` vs the current rules.
    fn revise_where(&mut self, old: &Rules, affected: impl Fn(&Person) -> bool, ctx: &mut Ctx) {
        for p in 0..self.persons.len() as u32 {
            let person = &self.persons[p as usize];
            if person.base.is_some() && affected(person) {
                let b = Before {
                    rules: Some(old),
                    ..Before::default()
                };
                self.revise(p, b, Millis::MIN, ctx);
            }
        }
    }

    fn map_status(&mut self, integ: u32, external: &str, activity: Option<u32>, ctx: &mut Ctx) {
        let old = self.rules.clone();
        let idx = self.rules.map_status(integ, external, activity);
        if old
            .status_idx(integ, external)
            .is_some_and(|i| old.status(i).activity != activity)
        {
            self.revise_where(&old, |p| p.timeline.iter().any(|e| e.status == idx), ctx);
        }
    }

    fn set_schedule(&mut self, person: &str, date: i32, segs: &[Segment], ctx: &mut Ctx) {
        let p = self.person_or_create(person);
        let pr = &mut self.persons[p as usize];
        let old = pr.schedule.clone();
        let Some(from) = replace_date(&mut pr.schedule, date, segs) else {
            return;
        };
        match pr.live.as_ref() {
            Some(live) if from > live.t => {
                // Only the future changed: fix segment positions and re-arm the timer.
                let n = pr.schedule.partition_point(|s| s.end <= live.t) as u32;
                if let Some(l) = pr.live.as_mut() {
                    l.seg = n;
                }
                self.after_change(p, ctx);
            }
            _ => {
                let b = Before {
                    schedule: Some(old),
                    ..Before::default()
                };
                self.revise(p, b, from, ctx);
            }
        }
    }

    fn map_identifier(&mut self, integration: &str, external: &str, person: &str, ctx: &mut Ctx) {
        let integ = self.rules.intern_integration(integration);
        let p = self.person_or_create(person);
        let (ident, prev) = self.idents.map(integ, external, p);
        if prev == Some(p) {
            return;
        }
        // Move what this identifier delivered from the previous person.
        let mut moved = Vec::new();
        if let Some(q) = prev {
            let qp = &mut self.persons[q as usize];
            if qp.timeline.iter().any(|e| e.ident() == ident) {
                let before = qp.timeline.clone();
                qp.timeline.retain(|e| e.ident() != ident);
                moved = before
                    .iter()
                    .filter(|e| e.ident() == ident)
                    .copied()
                    .collect();
                let from = moved.first().map_or(Millis::MIN, |e| e.t);
                self.revise(
                    q,
                    Before {
                        timeline: Some(before),
                        ..Before::default()
                    },
                    from,
                    ctx,
                );
            }
        }
        // Replay parked events as if they had arrived in time.
        if let Some(parked) = self
            .parked
            .get_mut(integ as usize)
            .and_then(|m| m.remove(external))
        {
            self.parked_total -= parked.len();
            let h = self.horizon(ctx);
            for mut e in parked {
                if h.is_some_and(|h| e.t < h) {
                    ctx.stats.dropped += 1;
                    continue;
                }
                e.set_ident(ident);
                moved.push(e);
            }
        }
        self.clear_report(UnmappedKind::Identifier, integ, external, ctx);
        if !moved.is_empty() {
            moved.sort_by_key(|e| e.t);
            self.apply_entries(p, &moved, ctx);
        }
    }

    fn unmap_identifier(&mut self, integration: &str, external: &str, ctx: &mut Ctx) {
        let Some(integ) = self.rules.integration_idx(integration) else {
            return;
        };
        let Some((ident, Some(q))) = self.idents.unmap(integ, external) else {
            return;
        };
        let qp = &mut self.persons[q as usize];
        if !qp.timeline.iter().any(|e| e.ident() == ident) {
            return;
        }
        let before = qp.timeline.clone();
        qp.timeline.retain(|e| e.ident() != ident);
        let gone: Vec<Entry> = before
            .iter()
            .filter(|e| e.ident() == ident)
            .copied()
            .collect();
        let from = gone.first().map_or(Millis::MIN, |e| e.t);
        self.revise(
            q,
            Before {
                timeline: Some(before),
                ..Before::default()
            },
            from,
            ctx,
        );
        // Its events are unmapped again: park them for a future mapping.
        while self.parked.len() <= integ as usize {
            self.parked.push(AHashMap::new());
        }
        let slot = self.parked[integ as usize]
            .entry(external.into())
            .or_default();
        for e in gone {
            if slot.len() < ctx.opts.park_limit && self.parked_total < ctx.opts.park_total_limit {
                slot.push(e);
                self.parked_total += 1;
            } else {
                ctx.stats.dropped += 1;
            }
        }
    }

    /// Apply the events held while an integration was paused.
    fn release_held(&mut self, integ: u32, ctx: &mut Ctx) {
        let Some(held) = self.held.get_mut(integ as usize).map(std::mem::take) else {
            return;
        };
        let h = self.horizon(ctx);
        let mut per_person: AHashMap<u32, Vec<Entry>> = AHashMap::new();
        for Held { external, entry } in held {
            if h.is_some_and(|h| entry.t < h) {
                ctx.stats.dropped += 1;
                continue;
            }
            if let Some(p) = self.resolve(integ, &external, entry, None, ctx) {
                let mut e = entry;
                e.set_ident(self.idents.lookup(integ, &external).unwrap_or(0));
                per_person.entry(p).or_default().push(e);
            }
        }
        let mut ps: Vec<_> = per_person.into_iter().collect();
        ps.sort_by_key(|(p, _)| *p);
        for (p, mut entries) in ps {
            entries.sort_by_key(|e| e.t);
            self.apply_entries(p, &entries, ctx);
        }
    }

    // ---- reading ----------------------------------------------------------------------------

    /// Bring every person to the clock and publish each one's current state once more.
    pub fn publish_all_states(&mut self, ctx: &mut Ctx) {
        let clock = self.clock;
        for p in 0..self.persons.len() as u32 {
            if let (Some(c), Some(live)) = (clock, self.persons[p as usize].live.as_ref()) {
                if c > live.t {
                    self.advance_person(p, c, ctx);
                    self.after_change(p, ctx);
                }
            }
            let view = self.current_view(p);
            let person = &self.persons[p as usize];
            ctx.emit(|e| {
                output::agent_state(e, &self.name, &person.id, &view, &self.rules, &self.idents)
            });
        }
    }

    /// The current state of a person as an agent-state view.
    pub fn current_view(&self, p: u32) -> super::cursor::StateView {
        let person = &self.persons[p as usize];
        let inputs = person.inputs(&self.rules);
        match person.live.as_ref() {
            Some(c) => c.view(&inputs),
            None => {
                Cursor::new(self.clock.unwrap_or(0), &self.rules, &person.schedule).view(&inputs)
            }
        }
    }

    /// Write every person's current agent-state record into `out`.
    pub fn write_states(&self, out: &mut output::Outputs) {
        for (p, person) in self.persons.iter().enumerate() {
            let view = self.current_view(p as u32);
            output::agent_state(
                out,
                &self.name,
                &person.id,
                &view,
                &self.rules,
                &self.idents,
            );
        }
    }

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

/// Publish intervals whose totals differ between the old and the new replay.
fn diff_intervals(
    account: &str,
    person: &mut Person,
    old: &[IntervalAcc],
    new: &[IntervalAcc],
    rules: &Rules,
    ctx: &mut Ctx,
) {
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let a = old.get(i);
        let b = new.get(j);
        match (a, b) {
            (Some(x), Some(y)) if x.start == y.start => {
                if !x.same_totals(y) {
                    let rev = person.revision(y.start).unwrap_or(0) + 1;
                    person.set_revision(y.start, rev);
                    ctx.stats.interval_revisions += 1;
                    ctx.emit(|e| output::interval(e, account, &person.id, y, rev, rules));
                }
                i += 1;
                j += 1;
            }
            (Some(x), None) => {
                tombstone(account, person, x.start, ctx);
                i += 1;
            }
            (Some(x), Some(y)) if x.start < y.start => {
                tombstone(account, person, x.start, ctx);
                i += 1;
            }
            (_, Some(y)) => {
                let rev = match person.revision(y.start) {
                    Some(r) => {
                        person.set_revision(y.start, r + 1);
                        r + 1
                    }
                    None => 0,
                };
                ctx.emit(|e| output::interval(e, account, &person.id, y, rev, rules));
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// An interval the person no longer has (neither scheduled nor online in it any more).
fn tombstone(account: &str, person: &mut Person, start: Millis, ctx: &mut Ctx) {
    let rev = person.revision(start).unwrap_or(0) + 1;
    person.set_revision(start, rev);
    ctx.stats.interval_revisions += 1;
    ctx.emit(|e| output::interval_tombstone(e, account, &person.id, start));
}
