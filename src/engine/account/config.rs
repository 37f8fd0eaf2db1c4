//! Config effects on an account: each config change updates the rules, identifiers or
//! schedules and recomputes only the persons it affects.

use super::{Account, Before, OldTimeline};
use crate::config::{ConfigKey, ConfigRecord, Rules, SettingsRec};
use crate::engine::output::UnmappedKind;
use crate::engine::person::Person;
use crate::engine::schedule::{holds_date, replace_date, Segment};
use crate::engine::timeline::Entry;
use crate::engine::Ctx;
use crate::time::Millis;

impl Account {
    /// Apply one config change of this account.
    pub fn on_config(&mut self, key: &ConfigKey, record: Option<&ConfigRecord>, ctx: &mut Ctx) {
        match (key, record) {
            (_, Some(ConfigRecord::Settings(s))) => self.set_settings(s.clone(), ctx),
            (ConfigKey::Settings, None) => self.set_settings(SettingsRec::default(), ctx),
            (_, Some(ConfigRecord::Integration(rec))) => {
                let was_paused = self
                    .rules
                    .integration_idx(&rec.id)
                    .map(|i| self.rules.integration(i).paused);
                let i = self.rules.upsert_integration(rec);
                if was_paused == Some(true) && !rec.paused {
                    self.release_held(i, ctx);
                }
            }
            (ConfigKey::Integration(id), None) => {
                if let Some(i) = self.rules.deactivate_integration(id) {
                    // What it already delivered stays: held events are applied.
                    self.release_held(i, ctx);
                }
            }
            (_, Some(ConfigRecord::Activity(a))) => {
                let old = self.rules_if_started();
                self.rules.define_activity(&a.id, &a.name, a.activity_type);
                self.revise_where(old.as_ref(), |_| true, ctx);
            }
            (ConfigKey::Activity(id), None) => {
                let old = self.rules_if_started();
                self.rules.undefine_activity(id);
                self.revise_where(old.as_ref(), |_| true, ctx);
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
            ) => self.unmap_identifier(integration, external_id, ctx),
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
                let integ = self.rules.intern_integration(integration);
                self.map_status(integ, external_status, None, ctx);
            }
            (_, Some(ConfigRecord::Match(m))) => {
                let old = self.rules_if_started();
                let prev = self.rules.match_scheduled(&m.id);
                let sched = self.rules.upsert_match(m);
                self.revise_where(
                    old.as_ref(),
                    |p| {
                        p.schedule
                            .iter()
                            .any(|s| s.activity == sched || Some(s.activity) == prev)
                    },
                    ctx,
                );
            }
            (ConfigKey::Match(id), None) => {
                let old = self.rules_if_started();
                if let Some(sched) = self.rules.delete_match(id) {
                    self.revise_where(
                        old.as_ref(),
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
                if self.person_idx(person).is_some() {
                    self.set_schedule(person, *date, &[], ctx);
                }
            }
            (_, Some(ConfigRecord::Person(rec))) => {
                let p = self.person_or_create(&rec.id);
                let old = self.person_info.insert(rec.id.as_str().into(), rec.clone());
                let now = self.person_info.get(&self.persons[p as usize].id);
                if old.as_ref() != now {
                    self.names_changed(p, ctx);
                }
            }
            (ConfigKey::Person(id), None) => {
                if self.person_info.remove(id.as_str()).is_some() {
                    if let Some(p) = self.person_idx(id) {
                        self.names_changed(p, ctx);
                    }
                }
            }
        }
    }

    /// A person's name or team changed: a person already published shows the new names at
    /// once (their state record carries them).
    fn names_changed(&mut self, p: u32, ctx: &mut Ctx) {
        let live_t = self.persons[p as usize].live.as_ref().map(|c| c.t);
        if live_t.is_some_and(|t| self.clock.is_some_and(|c| t <= c)) {
            ctx.emit(|e| self.state_record(e, p));
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

    /// A copy of the rules for recomputing under old vs new rules, only when some person has
    /// started (a config load before any event copies nothing).
    fn rules_if_started(&self) -> Option<Rules> {
        self.persons
            .iter()
            .any(|p| p.base.is_some())
            .then(|| self.rules.clone())
    }

    /// Recompute every started person matching `affected` under `old` vs the current rules.
    fn revise_where(
        &mut self,
        old: Option<&Rules>,
        affected: impl Fn(&Person) -> bool,
        ctx: &mut Ctx,
    ) {
        let Some(old) = old else { return };
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

    /// Map or unmap a status. A remap of a status already seen recomputes the persons whose
    /// timeline holds it, with the one old mapping restored for the old replay (no copy of the
    /// rules per record: a load of n mappings is O(n)).
    fn map_status(&mut self, integ: u32, external: &str, activity: Option<u32>, ctx: &mut Ctx) {
        let prev = self
            .rules
            .status_idx(integ, external)
            .map(|i| self.rules.status(i).activity);
        let idx = self.rules.map_status(integ, external, activity);
        let Some(was) = prev.filter(|a| *a != activity) else {
            return;
        };
        for p in 0..self.persons.len() as u32 {
            let person = &self.persons[p as usize];
            if person.base.is_some() && person.timeline.iter().any(|e| e.status == idx) {
                let b = Before {
                    status_was: Some((idx, was)),
                    ..Before::default()
                };
                self.revise(p, b, Millis::MIN, ctx);
            }
        }
    }

    fn set_schedule(&mut self, person: &str, date: i32, segs: &[Segment], ctx: &mut Ctx) {
        let p = self.person_or_create(person);
        let pr = &mut self.persons[p as usize];
        // a schedule applied again unchanged (every one after a restore) costs no copy
        if holds_date(&pr.schedule, date, segs) {
            return;
        }
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
                pr.rewind.reseg(&pr.schedule);
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
                qp.ids.invalidate();
                moved = before
                    .iter()
                    .filter(|e| e.ident() == ident)
                    .copied()
                    .collect();
                let from = moved.first().map_or(Millis::MIN, |e| e.t);
                self.revise(
                    q,
                    Before {
                        timeline: Some(OldTimeline::whole(before)),
                        ..Before::default()
                    },
                    from,
                    ctx,
                );
            }
        }
        // Replay parked events as if they had arrived in time.
        if let Some(parked) = self.unpark(integ, external) {
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
        qp.ids.invalidate();
        let gone: Vec<Entry> = before
            .iter()
            .filter(|e| e.ident() == ident)
            .copied()
            .collect();
        let from = gone.first().map_or(Millis::MIN, |e| e.t);
        self.revise(
            q,
            Before {
                timeline: Some(OldTimeline::whole(before)),
                ..Before::default()
            },
            from,
            ctx,
        );
        // Its events are unmapped again: park them for a future mapping.
        for e in gone {
            if !self.park(integ, external, e, ctx) {
                ctx.stats.dropped += 1;
            }
        }
    }
}
