//! The worker loop of the Kafka service: poll input, run the processing core, hand outputs to
//! the producer, and make progress durable under the configured guarantee.
//!
//! - **at-least-once**: batches of inputs are sealed every few milliseconds; their offsets are
//!   committed (asynchronously, every `commit_interval_ms`) once every output of the batch and
//!   of every batch before it is acknowledged ([`super::acks`]).
//! - **exactly-once**: outputs go into the open transaction; the transaction commits with its
//!   input offsets when it reaches `transaction_max_ms` or `transaction_max_records`
//!   ([`super::txn`]). An aborted transaction rewinds every assigned partition to its committed
//!   offset and rebuilds from retained input.
//!
//! A full producer queue is backpressure: the partitions are paused and the consumer keeps
//! polling (so the instance stays in its group past `max.poll.interval.ms`) until the queue
//! drains.

use super::acks::{self, AckContext, Tracker};
use super::group::GroupContext;
use super::sources::{self, Sources};
use super::txn::{Txn, TxnError};
use crate::engine::Origin;
use crate::metrics::Metrics;
use crate::service::{wall_clock_ms, LiveViews, Processor};
use crate::settings::{ClockSetting, Settings};
use anyhow::{bail, Result};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Most input records in one batch.
const BATCH_RECORDS: usize = 5_000;
/// How often config changes are picked up and liveness is reported.
const HOUSEKEEPING: Duration = Duration::from_millis(10);
/// Longest a batch stays open.
const BATCH_AGE: Duration = Duration::from_millis(5);

/// A partition rebuilding its accounts from retained input.
#[derive(Debug, Clone, Copy)]
pub struct Rebuild {
    pub replay_until: i64,
}

pub struct Worker<'a> {
    pub s: &'a Settings,
    pub sources: Sources,
    pub proc: Processor,
    pub producer: Arc<ThreadedProducer<AckContext>>,
    pub tracker: Arc<Mutex<Tracker>>,
    pub consumer: Arc<BaseConsumer<GroupContext>>,
    /// The instance's config reader: the shared table and this worker's fed records.
    pub config: &'a crate::service::config_feed::ConfigFeed,
    /// Exactly-once: the transaction state (shared with the rebalance callback).
    pub txn: Option<Arc<Txn>>,
    pub rebuilds: BTreeMap<i32, Rebuild>,
    pub stop: &'a AtomicBool,
    pub partition_count: i32,
    pub assigned_once: bool,
    pub views: Arc<LiveViews>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<super::health::BrokerHealth>,
    /// The state store's changelog (`None`: off, every assignment rebuilds from input).
    pub changelog: Option<super::changelog::Store>,
    /// A restore found unreadable changelog records: re-plan the assignment after this poll.
    pub replan: bool,
    /// Partitions assigned while the instance's join gate was closed: paused, not yet taken
    /// ([`super::group::JoinGate`]).
    pub held: Option<Vec<super::group::Assigned>>,
}

impl Worker<'_> {
    pub fn run_loop(&mut self) -> Result<()> {
        let tick = Duration::from_millis(self.s.tick as u64);
        let commit_every = Duration::from_millis(self.s.commit_interval as u64);
        let txn_age = Duration::from_millis(self.s.transaction_max as u64);
        let mut last_tick = Instant::now();
        let mut last_commit = Instant::now();
        let mut batch_started = Instant::now();
        let mut batch_records = 0usize;
        let consumer = self.consumer.clone();
        let consumed = self
            .sources
            .topics()
            .map(|t| self.metrics.records_consumed.with_label_values(&[t]));
        let mut last_housekeeping = Instant::now() - HOUSEKEEPING;
        while !self.stop.load(Ordering::Acquire) {
            let polled = consumer.poll(Duration::from_millis(50));
            // after a rewind the partitions start again from their committed offsets: a
            // record polled before it would be applied ahead of the records it follows
            let polled = if self.after_poll()? { None } else { polled };
            // one clock read per turn: the receive time and every periodic duty
            let now = Instant::now();
            match polled {
                Some(Ok(m)) => {
                    if let Some(src) = self.sources.id(m.topic(), m.partition()) {
                        consumed[sources::is_contacts(src) as usize].inc();
                        self.on_record(&m, src, now);
                        batch_records += 1;
                    }
                }
                Some(Err(e)) => {
                    self.health
                        .warn_throttled("consumer", &e.to_string(), "input read error")
                }
                None => {}
            }
            if batch_records >= BATCH_RECORDS || now.duration_since(batch_started) >= BATCH_AGE {
                self.seal_batch();
                batch_records = 0;
                batch_started = now;
            }
            if now.duration_since(last_housekeeping) >= HOUSEKEEPING {
                self.views.beat_shard(self.proc.shard);
                // config changes, as the config reader feeds them
                for r in self.config.take(self.proc.shard) {
                    self.proc.on_config_fed(&r);
                }
                self.send_outputs();
                last_housekeeping = now;
            }
            if now.duration_since(last_tick) >= tick {
                self.on_tick();
                last_tick = now;
            }
            match &self.txn {
                Some(txn) => {
                    if txn.due(txn_age, self.s.transaction_max_records) {
                        self.commit_transaction()?;
                    }
                }
                None => {
                    if now.duration_since(last_commit) >= commit_every {
                        self.seal_batch();
                        self.commit(CommitMode::Async)?;
                        last_commit = now;
                    }
                }
            }
        }
        Ok(())
    }

    /// What a poll may have done: rebalances, a fatal condition, an aborted transaction.
    /// `true`: the partitions were rewound, so a record the poll returned is stale.
    fn after_poll(&mut self) -> Result<bool> {
        for e in self.consumer.context().take_events() {
            self.on_group_event(e);
        }
        self.release_held();
        if let Some(why) = self.consumer.context().fatal() {
            bail!("{why}");
        }
        if self.txn.as_ref().is_some_and(|t| t.take_aborted()) {
            tracing::warn!("rewinding to the committed offsets after an aborted transaction");
            self.metrics.transactions_aborted.inc();
            self.rewind();
            return Ok(true);
        }
        if std::mem::take(&mut self.replan) {
            tracing::warn!(
                "partitions whose changelog could not be read are rebuilt from the retained input"
            );
            self.rewind();
            return Ok(true);
        }
        Ok(false)
    }

    /// One input record of source `src` (an agent-events or contact-events partition).
    fn on_record<M: Message>(&mut self, m: &M, src: i32, received: Instant) {
        let o = m.offset();
        // a rebuild whose replayed range is behind us ends before this record
        if self.rebuilds.get(&src).is_some_and(|r| o >= r.replay_until) {
            self.end_rebuild(src);
        }
        let rebuild = self.rebuilds.get(&src).copied();
        let replay = rebuild.is_some_and(|r| o < r.replay_until);
        let integration = m.headers().and_then(|h| {
            h.iter()
                .find(|h| h.key == crate::wire::INTEGRATION_HEADER)
                .and_then(|h| h.value)
                .and_then(|v| std::str::from_utf8(v).ok())
        });
        let origin = Origin {
            topic: m.topic(),
            partition: m.partition(),
            offset: o,
            key: m.key(),
            payload: m.payload(),
        };
        let event_time = if sources::is_contacts(src) {
            self.proc
                .on_contacts(&origin, integration, replay, rebuild.is_some());
            None
        } else {
            self.proc
                .on_event(&origin, integration, replay, rebuild.is_some());
            (!replay).then_some(self.proc.last_event_time()).flatten()
        };
        if let Ok(mut t) = self.tracker.lock() {
            t.consumed(src, o, received, event_time);
        }
        if let (Some(txn), false) = (&self.txn, replay) {
            txn.note_record();
        }
        if rebuild.is_some_and(|r| o + 1 >= r.replay_until) {
            self.end_rebuild(src);
        }
        self.send_outputs();
    }

    /// A source caught up with its replay; the partition's accounts go live once every
    /// source of the partition has.
    fn end_rebuild(&mut self, src: i32) {
        if self.rebuilds.remove(&src).is_some() {
            let p = sources::partition(src);
            if !self.rebuilds.keys().any(|s| sources::partition(*s) == p) {
                self.proc.end_rebuild(p);
                if let Some(store) = self.changelog.as_mut() {
                    store.whole.insert(p);
                    if let Ok(mut n) = self.consumer.context().no_restore.lock() {
                        n.remove(&p);
                    }
                }
                tracing::info!(partition = p, "partition rebuilt; live");
            }
            self.update_readiness();
        }
    }

    pub(super) fn update_readiness(&self) {
        let ready = self.assigned_once && self.rebuilds.is_empty();
        self.views.set_shard_ready(self.proc.shard, ready);
        self.metrics
            .set_restoring(self.proc.shard, self.rebuilds.len() as i64);
    }

    fn on_tick(&mut self) {
        if self.s.clock == ClockSetting::Wall {
            self.proc.advance_clock(wall_clock_ms());
            self.send_outputs();
        }
        // rebuilds whose partition holds nothing more to replay
        if !self.rebuilds.is_empty() {
            if let Ok(pos) = self.consumer.position() {
                let done: Vec<i32> = self
                    .rebuilds
                    .iter()
                    .filter(|(src, r)| {
                        let (topic, p) = self.sources.topic_partition(**src);
                        pos.find_partition(topic, p).is_some_and(
                            |e| matches!(e.offset(), Offset::Offset(o) if o >= r.replay_until),
                        )
                    })
                    .map(|(p, _)| *p)
                    .collect();
                for p in done {
                    self.end_rebuild(p);
                }
                self.send_outputs();
            }
        }
        self.metrics
            .set_producer_queue(self.proc.shard, self.producer.in_flight_count() as i64);
        if let crate::service::Ownership::Partitions { assigned, .. } = &self.proc.ownership {
            self.metrics
                .worker_partitions
                .with_label_values(&[&self.proc.shard.to_string()])
                .set(assigned.len() as i64);
        }
        self.proc.refresh_summaries();
    }

    /// Hand pending outputs to the producer, tagged with the open batch (and, exactly-once,
    /// inside the open transaction). A full queue is backpressure, never a drop.
    pub(super) fn send_outputs(&mut self) {
        if self.proc.outputs().is_empty() {
            return;
        }
        if let Some(txn) = &self.txn {
            if let Err(e) = txn.ensure_open() {
                self.on_txn_error(e);
                self.proc.clear_outputs();
                return;
            }
            txn.sending.store(true, Ordering::Release);
        }
        self.proc.note_outputs();
        let batch = match self.tracker.lock() {
            Ok(t) => t.current().clone(),
            Err(_) => return,
        };
        let mut paused: Option<TopicPartitionList> = None;
        'outputs: for o in self.proc.outputs().iter() {
            let topic = self.s.topics.output(o.topic);
            batch.add();
            let mut rec: BaseRecord<'_, str, [u8], Arc<acks::Batch>> =
                BaseRecord::with_opaque_to(topic, batch.clone());
            if let Some(k) = o.key {
                rec = rec.key(k);
            }
            if let Some(v) = o.value {
                rec = rec.payload(v);
            }
            loop {
                match self.producer.send(rec) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        // backpressure: wait for the broker, but not past a shutdown request
                        // (the record's input then stays uncommitted)
                        if self.stop.load(Ordering::Acquire) {
                            back.delivery_opaque.done(false);
                            break 'outputs;
                        }
                        if paused.is_none() {
                            paused = self.pause_input();
                        }
                        self.keep_membership();
                        if self.txn.as_ref().is_some_and(|t| !t.is_open()) {
                            // a revoke aborted the transaction meanwhile: what is left is
                            // produced again after the rewind
                            back.delivery_opaque.done(false);
                            break 'outputs;
                        }
                        rec = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, back)) => {
                        tracing::error!(error = %e, topic, "cannot send an output record");
                        self.metrics.delivery_failures.inc();
                        back.delivery_opaque.done(false);
                        break;
                    }
                }
            }
        }
        self.resume_input(paused);
        if let Some(txn) = &self.txn {
            txn.sending.store(false, Ordering::Release);
        }
        self.proc.clear_outputs();
    }

    /// Fetch input again after [`Worker::pause_input`].
    pub(super) fn resume_input(&self, paused: Option<TopicPartitionList>) {
        if let Some(tpl) = paused {
            if let Err(e) = self.consumer.resume(&tpl) {
                tracing::warn!(error = %e, "cannot resume the input partitions");
            }
            tracing::info!("producer queue drained; consumption resumed");
        }
    }

    /// Stop fetching input while the producer queue is full.
    pub(super) fn pause_input(&self) -> Option<TopicPartitionList> {
        let tpl = self.consumer.assignment().ok()?;
        if let Err(e) = self.consumer.pause(&tpl) {
            tracing::warn!(error = %e, "cannot pause the input partitions");
            return None;
        }
        self.metrics.backpressure_pauses.inc();
        tracing::info!("producer queue full; consumption paused until it drains");
        Some(tpl)
    }

    /// Poll the (paused) consumer so the group sees this instance alive. A record fetched
    /// before the pause is not processed now: its partition is moved back to it.
    pub(super) fn keep_membership(&self) {
        self.views.beat_shard(self.proc.shard);
        if let Some(Ok(m)) = self.consumer.poll(Duration::ZERO) {
            let (topic, p, o) = (m.topic().to_string(), m.partition(), m.offset());
            drop(m);
            if let Err(e) = self.consumer.seek(&topic, p, Offset::Offset(o), TIMEOUT) {
                self.consumer.context().fail(&format!(
                    "cannot return to offset {o} of partition {p} after backpressure ({e}); restart to resume"
                ));
            }
        }
    }

    pub(super) fn seal_batch(&mut self) {
        if let Ok(mut t) = self.tracker.lock() {
            t.seal();
        }
    }

    /// Exactly-once: commit the open transaction with its offsets.
    fn commit_transaction(&mut self) -> Result<()> {
        let Some(txn) = self.txn.clone() else {
            return Ok(());
        };
        if self.changelog.is_some() {
            // the transaction commits the offsets with the state they lead to
            self.send_outputs();
            if let Err(e) = txn.ensure_open() {
                self.on_txn_error(e);
                return Ok(());
            }
            self.write_changelog();
        }
        let views = self.views.clone();
        let stop = self.stop;
        let shard = self.proc.shard;
        let keep_trying = || {
            views.beat_shard(shard);
            !stop.load(Ordering::Acquire)
        };
        match txn.commit(
            &self.consumer,
            &self.tracker,
            &self.sources,
            &self.metrics,
            &keep_trying,
        ) {
            Ok(_) => Ok(()),
            Err(TxnError::Fatal(why)) => bail!("{why}"),
            Err(e) => {
                self.on_txn_error(e);
                Ok(())
            }
        }
    }

    fn on_txn_error(&mut self, e: TxnError) {
        match e {
            TxnError::Fatal(why) => self.consumer.context().fail(&why),
            TxnError::Aborted(_) => {} // the rewind follows in after_poll
            TxnError::Stopped => tracing::info!("stopped before the transaction committed"),
        }
    }

    /// At-least-once: commit the acknowledged offsets.
    fn commit(&mut self, mode: CommitMode) -> Result<()> {
        if self.changelog.is_some() && !self.flush_changelog() {
            return Ok(());
        }
        let offsets = {
            let Ok(mut t) = self.tracker.lock() else {
                return Ok(());
            };
            if t.settle(&self.metrics, wall_clock_ms()).is_err() {
                let detail = self
                    .producer
                    .context()
                    .last_error
                    .lock()
                    .ok()
                    .and_then(|e| e.clone())
                    .unwrap_or_default();
                bail!("the broker did not acknowledge output records ({detail}); stopped without committing them, their inputs will be consumed again on restart");
            }
            t.to_commit(None)
        };
        if offsets.is_empty() {
            return Ok(());
        }
        let span = tracing::debug_span!("commit", records = offsets.len());
        let _g = span.enter();
        let tpl = self.sources.tpl(&offsets);
        match self.consumer.commit(&tpl, mode) {
            Ok(()) => {
                self.metrics.commits.with_label_values(&["ok"]).inc();
                // async commits are marked done by the commit callback, when they are
                if matches!(mode, CommitMode::Sync) {
                    if let Ok(mut t) = self.tracker.lock() {
                        t.mark_committed(&offsets);
                    }
                    tracing::info!(offsets = ?offsets, "offsets committed");
                }
            }
            Err(e) => {
                self.metrics.commits.with_label_values(&["failed"]).inc();
                tracing::warn!(error = %e, "offset commit failed (retried with the next commit)");
            }
        }
        Ok(())
    }

    /// Stop fetching, flush outputs in flight, commit what they acknowledged (exactly-once:
    /// commit the open transaction). An error when outputs could not all be delivered (their
    /// inputs stay uncommitted).
    pub fn shutdown(&mut self, commit: bool) -> Result<()> {
        let span = tracing::info_span!("shutdown");
        let _g = span.enter();
        // stop fetching, but keep the partitions: the final commit still needs them
        if let Ok(assigned) = self.consumer.assignment() {
            let _ = self.consumer.pause(&assigned);
        }
        self.send_outputs();
        self.seal_batch();
        let mut result = Ok(());
        if let Some(txn) = self.txn.clone() {
            if commit && self.changelog.is_some() {
                match txn.ensure_open() {
                    Ok(()) => {
                        self.write_changelog();
                    }
                    Err(e) => self.on_txn_error(e),
                }
            }
            if commit {
                let deadline = Instant::now() + TIMEOUT;
                let keep_trying = || Instant::now() < deadline;
                match txn.commit(
                    &self.consumer,
                    &self.tracker,
                    &self.sources,
                    &self.metrics,
                    &keep_trying,
                ) {
                    Ok(n) => tracing::info!(partitions = n, "final transaction committed"),
                    Err(e) => {
                        result = Err(anyhow::anyhow!(
                            "the final transaction did not commit ({e:?}); its inputs will be consumed again on restart"
                        ))
                    }
                }
            } else {
                txn.abort(&self.tracker, "stopping after an error");
            }
        } else {
            let flushed = super::acks::drain(&self.producer, TIMEOUT);
            if let Err(e) = &flushed {
                result = Err(anyhow::anyhow!(
                    "outputs still in flight after {} s at shutdown ({e}); their inputs stay uncommitted and will be consumed again on restart",
                    TIMEOUT.as_secs()
                ));
            }
            if commit {
                if let Err(e) = self.commit(CommitMode::Sync) {
                    result = Err(e);
                }
            }
        }
        self.consumer.unsubscribe();
        tracing::info!("stopped");
        result
    }
}
