//! What the worker does when partitions move: assigned partitions are restored from the
//! changelog, rebuilt from retained input or started fresh ([`super::group`] plans where each
//! starts); revoked ones are dropped; a rewind re-plans every assigned partition from its
//! committed offset (after an aborted transaction or an unreadable changelog).

use super::group::{Assigned, GroupEvent};
use super::partition_count;
use super::sources;
use super::worker::{Rebuild, Worker};
use crate::service::wall_clock_ms;
use crate::settings::ClockSetting;
use rdkafka::consumer::Consumer;
use rdkafka::producer::Producer;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

impl Worker<'_> {
    pub(super) fn on_group_event(&mut self, e: GroupEvent) {
        match e {
            GroupEvent::Assigned(parts) => {
                self.assigned_once = true;
                if let Ok(n) = partition_count(self.producer.client(), &self.s.topics.agent_events)
                {
                    self.partition_count = n;
                }
                let (live, rebuilding): (Vec<&Assigned>, Vec<&Assigned>) = parts
                    .iter()
                    .partition(|a| a.replay_until.is_none_or(|u| u <= a.start));
                for a in &rebuilding {
                    if let Some(u) = a.replay_until {
                        self.rebuilds
                            .insert(a.partition, Rebuild { replay_until: u });
                    }
                }
                // One account partition has two sources (agent and contact events): it
                // rebuilds if either does. Accounts of a partition the group has committed
                // were published from config by an earlier owner: materialized silently.
                // Those of a partition never committed publish their states, and the tracker
                // commits the partition's start offset with them (`Tracker::start_at`).
                let rebuild_ids: std::collections::BTreeSet<i32> = rebuilding
                    .iter()
                    .map(|a| sources::partition(a.partition))
                    .collect();
                let committed: std::collections::BTreeSet<i32> = live
                    .iter()
                    .filter(|a| a.committed)
                    .map(|a| sources::partition(a.partition))
                    .collect();
                let ids = |known: bool| -> Vec<i32> {
                    let set: std::collections::BTreeSet<i32> = live
                        .iter()
                        .map(|a| sources::partition(a.partition))
                        .filter(|p| !rebuild_ids.contains(p) && committed.contains(p) == known)
                        .collect();
                    set.into_iter().collect()
                };
                let (known, fresh) = (ids(true), ids(false));
                let rebuild_ids: Vec<i32> = rebuild_ids.into_iter().collect();
                // partitions whose committed offsets carry the changelog's mark restore from it
                let restore_ids: Vec<i32> = known
                    .iter()
                    .copied()
                    .filter(|p| {
                        parts
                            .iter()
                            .any(|a| a.restore && sources::partition(a.partition) == *p)
                    })
                    .collect();
                self.send_outputs();
                if let Some(store) = self.changelog.as_mut() {
                    // what live accounts changed so far is kept: restoring forgets what it touched
                    self.proc.collect_changelog(&mut store.pending);
                    let whole = known
                        .iter()
                        .chain(&fresh)
                        .filter(|p| !restore_ids.contains(p));
                    store.whole.extend(whole);
                }
                let (restoring, replaying): (Vec<i32>, Vec<i32>) =
                    known.iter().partition(|p| restore_ids.contains(p));
                self.proc.assign(self.partition_count, &replaying, false);
                self.proc
                    .assign_to_restore(self.partition_count, &restoring);
                self.proc.clear_outputs();
                if !restore_ids.is_empty() {
                    self.restore_partitions(&restore_ids);
                }
                self.proc.assign(self.partition_count, &fresh, false);
                self.proc.assign(self.partition_count, &rebuild_ids, true);
                // accounts materialized from config get their timers fired at once
                if self.s.clock == ClockSetting::Wall {
                    self.proc.advance_clock(wall_clock_ms());
                }
                self.send_outputs();
                self.update_readiness();
            }
            GroupEvent::Held(parts) => {
                self.held.get_or_insert_with(Vec::new).extend(parts);
            }
            GroupEvent::Revoked(parts) => {
                if let Some(held) = self.held.as_mut() {
                    held.retain(|a| !parts.contains(&a.partition));
                }
                for p in &parts {
                    self.rebuilds.remove(p);
                }
                let mut partitions: Vec<i32> =
                    parts.iter().map(|s| sources::partition(*s)).collect();
                partitions.sort_unstable();
                partitions.dedup();
                if let Some(store) = self.changelog.as_mut() {
                    store.whole.retain(|p| !partitions.contains(p));
                }
                self.proc.revoke(&partitions);
                self.update_readiness();
            }
        }
    }

    /// Take the partitions held for the other workers once the join gate is open: resumed
    /// (nothing was taken before them, so the whole assignment) and handled as assigned.
    pub(super) fn release_held(&mut self) {
        if self.held.is_none() || !self.consumer.context().gate.is_open() {
            return;
        }
        let Some(parts) = self.held.take() else {
            return;
        };
        if let Ok(tpl) = self.consumer.assignment() {
            if let Err(e) = self.consumer.resume(&tpl) {
                tracing::warn!(error = %e, "cannot resume the held partitions");
            }
        }
        if !parts.is_empty() {
            tracing::info!(partitions = ?parts.iter().map(|a| a.partition).collect::<Vec<_>>(), "taking the held partitions: the join gate is open");
            self.on_group_event(GroupEvent::Assigned(parts));
        }
    }

    /// After an aborted transaction, or a changelog that could not be read: every assigned
    /// partition starts again from its committed offset, its state restored from the changelog
    /// or rebuilt from retained input (outputs before that offset dropped, as they were
    /// committed before).
    pub(super) fn rewind(&mut self) {
        let Ok(mut tpl) = self.consumer.assignment() else {
            return;
        };
        let parts: Vec<i32> = tpl
            .elements()
            .iter()
            .filter_map(|e| self.sources.id(e.topic(), e.partition()))
            .collect();
        if parts.is_empty() {
            // the assignment was lost meanwhile: the next one starts from committed offsets
            return;
        }
        tracing::info!(partitions = ?parts, "rewinding to the committed offsets");
        self.proc.clear_outputs();
        self.on_group_event(GroupEvent::Revoked(parts.clone()));
        if let Ok(mut t) = self.tracker.lock() {
            t.forget(&parts);
        }
        let assigned = self
            .consumer
            .context()
            .plan_assignment(&self.consumer, &mut tpl);
        if let Err(e) = self.consumer.seek_partitions(tpl, TIMEOUT) {
            self.consumer
                .context()
                .fail(&format!("cannot rewind the input partitions after an aborted transaction ({e}); restart to rebuild"));
            return;
        }
        self.on_group_event(GroupEvent::Assigned(assigned));
    }
}
