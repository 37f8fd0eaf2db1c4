//! The service's processing core, shared by the Kafka transport and the embedded default: the
//! engine, the global config table, which accounts live here, and the views the HTTP endpoints
//! read. Input records go in, output records collect in [`Processor::outputs`] for the
//! transport to send; nothing here touches a network or a clock.

use super::config_feed::FedRecord;
use super::config_table::SharedTable;
use super::ownership::partition_of;
use super::views::{AccountSummary, LiveViews};
use crate::config::{key_account, ConfigChange, ConfigError, ConfigKind};
use crate::engine::output::adherence_label;
use crate::engine::{config_input, Engine, EngineOptions, Origin, OutTopic, Outputs};
use crate::metrics::Metrics;
use crate::settings::PartitionerSetting;
use crate::time::{format_rfc3339, Millis};
use ahash::AHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Which accounts this instance runs.
#[derive(Clone, Debug)]
pub enum Ownership {
    /// Every account (embedded default, single instance).
    All,
    /// Accounts whose records land on an assigned partition of `rta.agent-events`.
    Partitions {
        count: i32,
        assigned: BTreeSet<i32>,
        partitioner: PartitionerSetting,
    },
}

impl Ownership {
    pub fn partition(&self, account: &str) -> i32 {
        match self {
            Ownership::All => 0,
            Ownership::Partitions {
                count, partitioner, ..
            } => partition_of(account, *count, *partitioner),
        }
    }

    pub fn owns(&self, account: &str) -> bool {
        match self {
            Ownership::All => true,
            Ownership::Partitions { assigned, .. } => assigned.contains(&self.partition(account)),
        }
    }
}

/// The one API the transports (Kafka worker, embedded default) use: input records in, output
/// records out ([`Processor::outputs`]), assignments, clock ticks and views; the engine is
/// reached only through it.
pub struct Processor {
    pub(super) engine: Engine,
    pub(super) table: SharedTable,
    /// This processor applies config records to the table itself (one engine); `false`: a
    /// config reader does, for every worker thread, and feeds them the records
    /// ([`Processor::on_config_fed`]).
    owns_table: bool,
    /// Fed records: the table's sequence number an account was materialized at (its records
    /// up to there came from the table; fed ones up to there are skipped).
    materialized_at: AHashMap<Box<str>, u64>,
    pub ownership: Ownership,
    /// Live account → the input partition its records came from (or are expected on).
    pub(super) partition_of: AHashMap<Box<str>, i32>,
    /// Outputs waiting for the transport.
    pub(super) outputs: Outputs,
    /// Outputs of replayed input (already published before a restart): dropped.
    discard: Outputs,
    pub views: Arc<LiveViews>,
    pub metrics: Arc<Metrics>,
    /// Invalid config records not yet dead-lettered (their account is not live here yet).
    invalid_config: Vec<InvalidConfig>,
    /// Schedules of local dates before this day (days since 1970) were dropped.
    pruned_before: i32,
    /// Which engine shard (worker thread) of the process this is: its part of the shared
    /// views and gauges.
    pub shard: usize,
}

/// An invalid `rta.config` record waiting for its account's owner to report it.
struct InvalidConfig {
    account: String,
    topic: String,
    partition: i32,
    offset: i64,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    /// Why it is invalid (its dead letter's reason and detail).
    error: ConfigError,
}

/// Invalid config records kept for reporting (the oldest are dropped beyond this).
const INVALID_CONFIG_KEPT: usize = 1000;

impl Processor {
    pub fn new(
        opts: EngineOptions,
        ownership: Ownership,
        views: Arc<LiveViews>,
        metrics: Arc<Metrics>,
    ) -> Processor {
        Processor {
            engine: Engine::new(opts),
            table: SharedTable::default(),
            owns_table: true,
            materialized_at: AHashMap::new(),
            ownership,
            partition_of: AHashMap::new(),
            outputs: Outputs::default(),
            discard: Outputs::default(),
            views,
            metrics,
            invalid_config: Vec::new(),
            pruned_before: i32::MIN,
            shard: 0,
        }
    }

    /// Outputs waiting for the transport, in order.
    pub fn outputs(&self) -> &Outputs {
        &self.outputs
    }

    /// The transport has taken the outputs (sent, or dropped on purpose).
    pub fn clear_outputs(&mut self) {
        self.outputs.clear();
    }

    /// Largest event time of the latest agent event applied (for the event-age histogram).
    pub fn last_event_time(&self) -> Option<Millis> {
        self.engine.last_event_time
    }

    /// The engine's cumulative counters.
    pub fn stats(&self) -> &crate::engine::Stats {
        &self.engine.stats
    }

    /// The processor of engine shard `shard` (a worker thread of several).
    pub fn with_shard(mut self, shard: usize) -> Processor {
        self.shard = shard;
        self
    }

    /// A processor fed by a config reader that keeps `table` for every worker thread.
    pub fn with_shared_table(mut self, table: SharedTable) -> Processor {
        self.table = table;
        self.owns_table = false;
        self
    }

    /// One `rta.config` record. Valid records update the global table; records of accounts
    /// live here also go to the engine. Invalid records are dead-lettered by the instance that
    /// owns their account (or, without a usable key, by the owner of partition 0), so a bad
    /// record is reported once, not by every instance.
    ///
    /// The record is parsed here, once: the table keeps the change the engine applies.
    pub fn on_config(&mut self, origin: &Origin) {
        let checked = config_input(origin, &self.engine.opts.limits);
        if let (Ok(change), true) = (&checked, self.owns_table) {
            if let Ok(mut table) = self.table.write() {
                table.apply(change);
            }
        }
        self.config_record(origin, checked.as_ref(), None);
    }

    /// A config record the shared table's reader parsed, applied as its `seq`th and fed to
    /// this worker thread (see [`Processor::with_shared_table`]); not parsed again here.
    pub fn on_config_fed(&mut self, rec: &FedRecord) {
        self.config_record(&rec.origin(), rec.checked.as_ref(), Some(rec.seq));
    }

    fn config_record(
        &mut self,
        origin: &Origin,
        checked: Result<&ConfigChange, &ConfigError>,
        seq: Option<u64>,
    ) {
        match checked {
            Ok(change) => {
                let account = change.account();
                if self.engine.has_account(account) {
                    // already in the table when the account was materialized
                    let seen = self.materialized_at.get(account);
                    if seq.zip(seen).is_some_and(|(s, seen)| s <= *seen) {
                        return;
                    }
                    self.engine
                        .on_config_change(origin, Ok(change), &mut self.outputs);
                    self.views.apply_config(change);
                } else if self.ownership.owns(account) {
                    let p = self.ownership.partition(account);
                    self.materialize(account, p, false);
                }
            }
            Err(e) => {
                let key = origin.key.and_then(|k| std::str::from_utf8(k).ok());
                let account = key.and_then(key_account).unwrap_or("").to_string();
                if self.engine.has_account(&account) || self.ownership.owns(&account) {
                    self.engine
                        .on_config_change(origin, Err(e), &mut self.outputs);
                } else {
                    // reported by whoever takes the account over
                    if self.invalid_config.len() >= INVALID_CONFIG_KEPT {
                        self.invalid_config.remove(0);
                    }
                    self.invalid_config.push(InvalidConfig {
                        account,
                        topic: origin.topic.to_string(),
                        partition: origin.partition,
                        offset: origin.offset,
                        key: origin.key.map(<[u8]>::to_vec),
                        payload: origin.payload.map(<[u8]>::to_vec),
                        error: e.clone(),
                    });
                }
            }
        }
    }

    /// One `rta.agent-events` record from `partition`. `replay`: the record was processed
    /// before a restart (its outputs were published then), so its outputs are dropped;
    /// `rebuilding`: the account is being rebuilt on event time.
    pub fn on_event(
        &mut self,
        origin: &Origin,
        integration: Option<&str>,
        replay: bool,
        rebuilding: bool,
    ) {
        self.on_input(origin, replay, rebuilding, |e, out| {
            e.on_event(origin, integration, out)
        });
    }

    /// One `rta.contact-events` record (SPEC §10); `replay` and `rebuilding` as for
    /// [`Processor::on_event`]. Contact events share their account's partition number.
    pub fn on_contacts(
        &mut self,
        origin: &Origin,
        integration: Option<&str>,
        replay: bool,
        rebuilding: bool,
    ) {
        self.on_input(origin, replay, rebuilding, |e, out| {
            e.on_contacts(origin, integration, out)
        });
    }

    /// An input record of an account: the account materialized first if it is new here, the
    /// outputs of a replayed record dropped.
    fn on_input(
        &mut self,
        origin: &Origin,
        replay: bool,
        rebuilding: bool,
        apply: impl FnOnce(&mut Engine, &mut Outputs),
    ) {
        if let Some(Ok(account)) = origin.key.map(std::str::from_utf8) {
            if !account.is_empty() && !self.engine.has_account(account) {
                let account = account.to_string();
                self.materialize(&account, origin.partition, rebuilding);
            }
        }
        let out = if replay {
            &mut self.discard
        } else {
            &mut self.outputs
        };
        apply(&mut self.engine, out);
        self.discard.clear();
    }

    /// Bring an account to life here: a fresh engine account, its config replayed from the
    /// table (typed records, not parsed again). Outputs are published, except while rebuilding
    /// (the previous owner published them).
    pub fn materialize(&mut self, account: &str, partition: i32, rebuilding: bool) {
        self.materialize_with(account, partition, rebuilding, true);
    }

    /// [`Processor::materialize`], the schedule records left out unless `schedules`.
    fn materialize_with(
        &mut self,
        account: &str,
        partition: i32,
        rebuilding: bool,
        schedules: bool,
    ) {
        self.engine.reset_account(account, rebuilding);
        self.partition_of.insert(account.into(), partition);
        self.views.reset_directory(account);
        let table = self.table.clone();
        let Ok(table) = table.read() else {
            return;
        };
        self.materialized_at.insert(account.into(), table.seq());
        for (key, record) in table.records(account) {
            if !schedules && key.kind() == ConfigKind::Schedule {
                continue;
            }
            self.views.apply_record(account, key, Some(record));
            let out = if rebuilding {
                &mut self.discard
            } else {
                &mut self.outputs
            };
            self.engine.replay_config(account, key, Some(record), out);
        }
        self.discard.clear();
        self.report_invalid_config(|a| a == account);
        tracing::debug!(account, partition, rebuilding, "account materialized");
    }

    /// Partitions newly assigned: accounts known from config that land there come alive.
    pub fn assign(&mut self, count: i32, partitions: &[i32], rebuilding: bool) {
        self.assign_with(count, partitions, rebuilding, true);
    }

    /// [`Processor::assign`] for partitions about to be restored from the changelog: their
    /// accounts are materialized without their schedule records, which the restore applies
    /// once, after the persons came back ([`Processor::restored`]) — applied before, each
    /// would build a person's day only for the restore to replace it.
    pub fn assign_to_restore(&mut self, count: i32, partitions: &[i32]) {
        self.assign_with(count, partitions, false, false);
    }

    fn assign_with(&mut self, count: i32, partitions: &[i32], rebuilding: bool, schedules: bool) {
        if let Ownership::Partitions {
            count: c, assigned, ..
        } = &mut self.ownership
        {
            *c = count;
            assigned.extend(partitions.iter().copied());
        }
        let accounts: Vec<String> = self
            .table
            .read()
            .map(|t| t.accounts().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|a| !self.engine.has_account(a))
            .filter(|a| partitions.contains(&self.ownership.partition(a)))
            .collect();
        for a in accounts {
            let p = self.ownership.partition(&a);
            self.materialize_with(&a, p, rebuilding, schedules);
        }
        let own = self.ownership.clone();
        self.report_invalid_config(|a| partitions.contains(&own.partition(a)));
    }

    /// Dead-letter the kept invalid config records of accounts now live here.
    fn report_invalid_config(&mut self, which: impl Fn(&str) -> bool) {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.invalid_config)
            .into_iter()
            .partition(|r| which(&r.account));
        self.invalid_config = later;
        for r in now {
            let origin = Origin {
                topic: &r.topic,
                partition: r.partition,
                offset: r.offset,
                key: r.key.as_deref(),
                payload: r.payload.as_deref(),
            };
            self.engine
                .on_config_change(&origin, Err(&r.error), &mut self.outputs);
        }
    }

    /// Partitions revoked: their accounts are forgotten here (another instance takes over).
    pub fn revoke(&mut self, partitions: &[i32]) {
        if let Ownership::Partitions { assigned, .. } = &mut self.ownership {
            for p in partitions {
                assigned.remove(p);
            }
        }
        let gone: Vec<Box<str>> = self
            .partition_of
            .iter()
            .filter(|(_, p)| partitions.contains(p))
            .map(|(a, _)| a.clone())
            .collect();
        for a in gone {
            self.partition_of.remove(&a);
            self.materialized_at.remove(&a);
            self.engine.remove_account(&a);
            self.views.drop_account(&a);
        }
    }

    /// A partition's rebuild is over: its accounts switch to the service clock and their
    /// current states fill the views.
    pub fn end_rebuild(&mut self, partition: i32) {
        let accounts: Vec<Box<str>> = self
            .partition_of
            .iter()
            .filter(|(_, p)| **p == partition)
            .map(|(a, _)| a.clone())
            .collect();
        for a in accounts {
            self.engine.end_event_clock(&a, &mut self.outputs);
            self.refresh_views(&a);
        }
    }

    /// Put every person's current state of an account into the views.
    pub fn refresh_views(&self, account: &str) {
        let Some(acct) = self.engine.account(account) else {
            return;
        };
        let mut states = crate::engine::Outputs::default();
        acct.write_states(&mut states);
        for rec in states.iter() {
            if let (Some(k), Some(v)) = (rec.key, rec.value) {
                self.views.put_state(k, v);
            }
        }
    }

    /// Service clock tick (wall-clock mode): fire due timers of every live account.
    pub fn advance_clock(&mut self, now: Millis) {
        self.engine.advance_clock(now, &mut self.outputs);
        self.prune_config(now);
    }

    /// Forget schedule records a day older than the retention window (checked once a day).
    pub fn prune_config(&mut self, now: Millis) {
        let cutoff_day = (now - self.engine.opts.retention).div_euclid(86_400_000) as i32 - 1;
        if cutoff_day <= self.pruned_before {
            return;
        }
        self.pruned_before = cutoff_day;
        self.views.prune_schedules(cutoff_day);
        let n = match self.table.write() {
            Ok(mut t) => t.prune_schedules(cutoff_day),
            Err(_) => 0,
        };
        if n > 0 {
            let cutoff = crate::time::format_date(cutoff_day);
            tracing::info!(records = n, before = %cutoff, "old schedules dropped from the config table");
        }
    }

    /// Apply the pending outputs to the views (agent states, intervals, unmapped reports); the
    /// transport then sends them.
    pub fn note_outputs(&self) {
        for o in self.outputs.iter() {
            let Some(k) = o.key else { continue };
            match o.topic {
                OutTopic::AgentStates => {
                    if let Some(v) = o.value {
                        self.views.put_state_with(k, v, o.facts.as_ref());
                    }
                }
                OutTopic::Intervals => self.views.put_interval(k, o.value),
                OutTopic::Unmapped => self.views.put_unmapped(k, o.value),
                _ => {}
            }
        }
    }

    /// Refresh summaries, gauges and queue views: one pass over the live persons, and over
    /// today's queue slots of each account.
    pub fn refresh_summaries(&self) {
        let m = &self.metrics;
        m.sync_shard(self.shard, &self.engine.stats);
        let mut summaries = BTreeMap::new();
        let mut queues = BTreeMap::new();
        let mut gauges: BTreeMap<(String, &'static str), i64> = BTreeMap::new();
        let (mut persons, mut unmapped_ids, mut unmapped_statuses) = (0, 0, 0);
        for acct in self.engine.accounts() {
            let mut s = AccountSummary {
                account: acct.name.to_string(),
                at: acct.clock.map(format_rfc3339),
                ..AccountSummary::default()
            };
            for state in ["in", "out", "notScheduled", "none"] {
                s.adherence.insert(state, 0);
            }
            s.target_percent = acct.rules.settings.target_percent;
            let (mut sched, mut inadh) = (0u64, 0u64);
            for p in 0..acct.persons.len() as u32 {
                let v = acct.current_view(p);
                s.persons += 1;
                if !crate::engine::status_offline(&acct.rules, v.actual.status) {
                    s.online += 1;
                }
                *s.adherence.entry(adherence_label(&v)).or_default() += 1;
                let buffered = v.episode.ooo.is_some() && !v.episode.alerted;
                if let Some(o) = v.episode.ooo {
                    *s.out_of_adherence.entry(o.as_str()).or_default() += 1;
                    s.in_buffer += buffered as u64;
                }
                if v.scheduled_working {
                    s.scheduled_now += 1;
                    s.adhering_now += (v.episode.ooo.is_none() || buffered) as u64;
                }
                sched += v.day.scheduled as u64;
                inadh += v.day.in_adherence as u64;
            }
            s.scheduled_seconds = sched as f64 / 1000.0;
            s.in_adherence_seconds = inadh as f64 / 1000.0;
            s.adherence_percent =
                (sched > 0).then(|| (inadh as f64 * 10000.0 / sched as f64).round() / 100.0);
            s.real_time_adherence_percent = (s.scheduled_now > 0).then(|| {
                (s.adhering_now as f64 * 10000.0 / s.scheduled_now as f64).round() / 100.0
            });
            let (ids, sts) = acct.unmapped_counts();
            s.unmapped_identifiers = ids as u64;
            s.unmapped_statuses = sts as u64;
            unmapped_ids += ids;
            unmapped_statuses += sts;
            persons += s.persons;
            for (state, n) in &s.adherence {
                gauges.insert((s.account.clone(), *state), *n as i64);
            }
            queues.insert(s.account.clone(), super::queue_view::queues_json(acct));
            summaries.insert(s.account.clone(), s);
        }
        m.set_engine_gauges(
            self.shard,
            crate::metrics::EngineGauges {
                persons: persons as i64,
                unmapped_identifiers: unmapped_ids as i64,
                unmapped_statuses: unmapped_statuses as i64,
                adherence: gauges,
            },
        );
        self.views.set_shard_summaries(self.shard, summaries);
        self.views.set_shard_queues(self.shard, queues);
    }

    pub fn config_records(&self) -> usize {
        self.table.read().map_or(0, |t| t.len())
    }
}
