//! Recomputation of one person after a change that reaches back before their live cursor:
//! the old and the new inputs replayed from a checkpoint — the latest rewind checkpoint before
//! the change (`engine::rewind`) when only the timeline changed, else the base — and only the
//! differences published.

use super::{diff_intervals, Account, Before};
use crate::config::Rules;
use crate::engine::cursor::{Cursor, Inputs, IntervalAcc, Sink, StateView, SweepEvent};
use crate::engine::output;
use crate::engine::person::Person;
use crate::engine::rewind::EVERY;
use crate::engine::timeline::Entry;
use crate::engine::Ctx;
use crate::time::Millis;

/// A person's timeline before a change, from position `skip` on: the entries before `skip`
/// are the same before and after (the change is later), so only the tail is copied.
pub(super) struct OldTimeline {
    pub(super) skip: usize,
    pub(super) tail: Vec<Entry>,
}

impl OldTimeline {
    /// The whole timeline (`skip` 0).
    pub(super) fn whole(timeline: Vec<Entry>) -> OldTimeline {
        OldTimeline {
            skip: 0,
            tail: timeline,
        }
    }

    /// The tail of `timeline` from the person's latest rewind checkpoint before instant `from`
    /// (nothing at or after it has changed yet): O(entries after that checkpoint).
    pub(super) fn tail(person: &Person, from: Millis) -> OldTimeline {
        let skip = person
            .rewind
            .before(from, usize::MAX)
            .map_or(0, |c| c.pos as usize);
        OldTimeline {
            skip,
            tail: person.timeline.get(skip..).unwrap_or_default().to_vec(),
        }
    }
}

impl Account {
    /// Recompute a person after a change that reaches back before their live cursor (late
    /// event, config change): replay the old and the new inputs from the checkpoint, publish
    /// revised intervals, reconcile alerts and publish the current state.
    pub(super) fn revise(&mut self, p: u32, before: Before, from: Millis, ctx: &mut Ctx) {
        ctx.stats.recomputations += 1;
        self.touch(p);
        let floor = self.horizon(ctx);
        let clock = self.clock;
        // 1. What was published: the old inputs replayed to the old live time. A status remap
        // restores the one old mapping for this replay instead of keeping a copy of the rules.
        let restore = before
            .status_was
            .map(|(i, a)| (i, self.rules.set_status_activity(i, a)));
        let rules_changed = before.rules.is_some() || restore.is_some();
        // Both replays start here (None: at the base).
        let start = self.replay_start(p, &before, from, floor, clock);
        let mut old_ivs = Vec::new();
        let mut old_state: Option<(crate::engine::cursor::StateView, Vec<u8>)> = None;
        let person = &self.persons[p as usize];
        let old_live_t = person.live.as_ref().map(|c| c.t);
        if let (Some(base), Some(old_t)) = (person.base.as_ref(), old_live_t) {
            let rules = before.rules.unwrap_or(&self.rules);
            let mut c = start.as_ref().unwrap_or(base).clone();
            // The old timeline from the start's position on (the cursor only reads ahead of
            // its position, so it sweeps that tail with its position rebased to 0).
            let sp = c.pos as usize;
            let joined: Vec<Entry>;
            let timeline: &[Entry] = match before.timeline.as_ref() {
                None => &person.timeline,
                Some(o) => {
                    c.pos = 0;
                    if o.skip == sp {
                        &o.tail
                    } else {
                        let common = person.timeline.get(sp..o.skip).unwrap_or_default();
                        joined = common.iter().chain(&o.tail).copied().collect();
                        &joined
                    }
                }
            };
            let inputs = Inputs {
                rules,
                timeline,
                schedule: before.schedule.as_deref().unwrap_or(&person.schedule),
            };
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
            let view = c.view(&inputs);
            // Under changed rules the same view may render differently: keep its rendering.
            let rendered = match rules_changed {
                true => self.render_state(p, &view, rules),
                false => Vec::new(),
            };
            old_state = Some((view, rendered));
        }
        if let Some((i, a)) = restore {
            self.rules.set_status_activity(i, a);
        }
        let person = &mut self.persons[p as usize];
        // 2. The checkpoint under the new inputs. Without a clock (event time before the first
        // event) nothing has a time to be evaluated at: the person waits just before their
        // first data, and a timer there publishes their first state once the clock gets there.
        let Some(now) = clock else {
            person.wait(&self.rules);
            self.after_change(p, ctx);
            return;
        };
        if !person.has_data() && person.base.is_none() {
            return;
        }
        let fresh = person.fresh_base_time(&self.rules, floor, now);
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
        let base_t = base.t;
        // 3. How far to replay: where the live cursor was (or up to the change after it), never
        // past the clock: no record states an instant the clock has not reached.
        // A person starting here starts where the timers are (the clock less the allowed
        // lateness), so an event arriving just behind the clock still extends it in order.
        let target = match old_live_t {
            Some(lt) => lt.max(from).min(now),
            None => now.saturating_sub(ctx.opts.lateness),
        }
        .max(base_t);
        let mut c = start.unwrap_or_else(|| base.clone());
        ctx.scratch.clear();
        let inputs = Inputs {
            rules: &self.rules,
            timeline: &person.timeline,
            schedule: &person.schedule,
        };
        let mut sink = Sink {
            events: ctx.scratch,
            live: None,
        };
        // A long replay leaves rewind checkpoints behind, stopping at the instant of every
        // EVERY-th entry (a stop the sweep makes anyway, so the result is the same).
        while let Some(e) = person.timeline.get(c.pos as usize + EVERY as usize) {
            if e.t >= target || e.t <= c.t {
                break;
            }
            c.advance(e.t, &inputs, &mut sink);
            person.rewind.note(&c);
        }
        c.advance(target, &inputs, &mut sink);
        let new_ivs: Vec<IntervalAcc> = ctx
            .scratch
            .drain(..)
            .filter_map(|e| match e {
                SweepEvent::IntervalClosed(iv) => Some(iv),
                _ => None,
            })
            .collect();
        // 4. Publish the differences.
        diff_intervals(&self.head, person, &old_ivs, &new_ivs, &self.rules, ctx);
        let now_alerted = c
            .episode
            .ooo
            .filter(|_| c.episode.alerted)
            .map(|o| (o, c.episode.since));
        if person.announced != now_alerted {
            if let Some((o, s)) = person.announced {
                ctx.emit(|e| {
                    let who = output::Who::new(&self.head, &person.id);
                    output::adherence_event(e, who, true, o, s, c.t.max(s), true)
                });
            }
            if let Some((o, s)) = now_alerted {
                let at = s + self.rules.buffer(o as usize);
                // A revision only when something was published for this person before.
                let revised = old_live_t.is_some();
                ctx.emit(|e| {
                    let who = output::Who::new(&self.head, &person.id);
                    output::adherence_event(e, who, false, o, s, at, revised)
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
        person.rewind.note_head(&c);
        person.live = Some(c);
        // Republish the state only when it changed (a config record that changes nothing for
        // this person publishes nothing).
        let unchanged = old_state.is_some_and(|(v, r)| {
            v == view && (!rules_changed || r == self.render_state(p, &view, &self.rules))
        });
        if !unchanged {
            ctx.emit(|e| self.state_record(e, p));
        }
        self.after_change(p, ctx);
    }

    /// Where the replays of a recomputation from `from` start: the latest rewind checkpoint
    /// before `from` (within the kept old timeline's common prefix) when only the timeline
    /// changed, from `from` on, and the base stays where it is; `None` for the base. Drops the
    /// checkpoints the change invalidates (all of them for any other change).
    fn replay_start(
        &mut self,
        p: u32,
        before: &Before,
        from: Millis,
        floor: Option<Millis>,
        clock: Option<Millis>,
    ) -> Option<Cursor> {
        let person = &mut self.persons[p as usize];
        let timeline_only = before.rules.is_none()
            && before.schedule.is_none()
            && before.status_was.is_none()
            && !before.regrid;
        let base_stays = match (clock, person.base.as_ref()) {
            (Some(now), Some(b)) => {
                !(person.pristine
                    && person
                        .fresh_base_time(&self.rules, floor, now)
                        .is_some_and(|t0| t0 < b.t))
            }
            _ => false,
        };
        if !(timeline_only && base_stays) {
            person.rewind.clear();
            return None;
        }
        let common = before.timeline.as_ref().map_or(usize::MAX, |o| o.skip);
        let start = person.rewind.before(from, common).cloned();
        person.rewind.forget_from(from);
        start
    }

    /// An agent-state record's value bytes under `rules`, for comparing what would be
    /// published.
    fn render_state(&self, p: u32, view: &StateView, rules: &Rules) -> Vec<u8> {
        let person = &self.persons[p as usize];
        let info = self.person_info.get(&person.id);
        let mut out = output::Outputs::default();
        output::agent_state(
            &mut out,
            output::Who::new(&self.head, &person.id),
            info,
            view,
            rules,
            &self.idents,
        );
        let bytes = out.iter().next().and_then(|o| o.value).map(<[u8]>::to_vec);
        bytes.unwrap_or_default()
    }
}
