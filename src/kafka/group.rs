//! The consumer-group side of `rta.agent-events`: what happens when partitions move.
//!
//! - **Assigned**: each partition starts at the oldest record within the retention window, so
//!   its accounts are rebuilt from retained input (outputs of records before the committed
//!   offset are dropped: they were published before). The worker learns where the rebuild ends.
//!   With the changelog, a partition whose committed offset carries [`super::changelog::MARK`]
//!   starts at that offset instead, its state restored from the changelog.
//! - **Revoked**: outputs in flight are flushed, acknowledged offsets committed synchronously,
//!   then the partitions go (the next owner starts exactly where this instance stopped). With
//!   the changelog, only offsets whose state it holds are committed: at a revoke nothing more
//!   is committed (at-least-once) or the open transaction is aborted (exactly-once), and the
//!   next owner continues from the last commit.
//! - **Held**: an instance's worker threads join the group together ([`JoinGate`]). A member
//!   that joins before the others would be given every partition and restore them all, and
//!   only then see the rebalance their joining started (a worker polls the group between
//!   records, not during a restore): half of that restore thrown away. Until every worker of
//!   the instance has had its first assignment (or [`JOIN_WAIT`] passed), an assignment is
//!   taken paused and handled only once the gate opens.

use super::acks::{AckContext, Tracker};
use super::txn::{Txn, TxnError};
use crate::metrics::Metrics;
use crate::time::Millis;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaResult;
use rdkafka::producer::ThreadedProducer;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Statistics};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Longest an instance's first assignments are held for its other workers to join: a member
/// learns of the rebalance another's joining starts at its next heartbeat
/// (`heartbeat.interval.ms`, 3 s by default).
pub const JOIN_WAIT: Duration = Duration::from_secs(5);

/// Open once every worker thread of the instance had its first assignment, or at a deadline.
#[derive(Debug)]
pub struct JoinGate {
    workers: usize,
    joined: AtomicUsize,
    until: Instant,
}

impl JoinGate {
    pub fn new(workers: usize, wait: Duration) -> JoinGate {
        JoinGate {
            workers,
            joined: AtomicUsize::new(0),
            until: Instant::now() + wait,
        }
    }

    pub fn is_open(&self) -> bool {
        self.joined.load(Ordering::Acquire) >= self.workers || Instant::now() >= self.until
    }
}

/// A partition given to this instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assigned {
    /// The source id ([`super::sources`]): the partition for agent events.
    pub partition: i32,
    /// First offset read.
    pub start: i64,
    /// Records before this offset were processed before (their outputs are dropped).
    /// `None`: the start is a logical offset (end of partition): nothing to replay.
    pub replay_until: Option<i64>,
    /// The group had committed an offset: the outputs of materializing the partition's
    /// accounts from config were published by an earlier owner.
    pub committed: bool,
    /// The committed offset carries the changelog's mark: the state is restored from the
    /// changelog and nothing is replayed.
    pub restore: bool,
}

#[derive(Debug)]
pub enum GroupEvent {
    Assigned(Vec<Assigned>),
    /// Assigned while the instance's [`JoinGate`] is closed: taken paused, handled when it
    /// opens.
    Held(Vec<Assigned>),
    Revoked(Vec<i32>),
}

pub struct GroupContext {
    /// The agent-events topic (its statistics feed the lag metrics).
    pub topic: String,
    pub sources: super::sources::Sources,
    pub retention: Millis,
    /// The state store's changelog is on: commits carry its mark, restores start from it.
    pub changelog: bool,
    /// Partitions whose changelog could not be read whole: rebuilt from the retained input
    /// until they are live again.
    pub no_restore: Mutex<std::collections::BTreeSet<i32>>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<super::health::BrokerHealth>,
    pub tracker: Arc<Mutex<Tracker>>,
    pub producer: OnceLock<Arc<ThreadedProducer<AckContext>>>,
    /// Exactly-once: the open transaction is committed (or aborted) before partitions go.
    pub txn: OnceLock<Arc<Txn>>,
    pub events: Mutex<Vec<GroupEvent>>,
    pub fatal: Mutex<Option<String>>,
    /// Raised at SIGTERM: a rebalance callback stops retrying and returns.
    pub stop: Arc<AtomicBool>,
    /// The instance's workers join together; `joined`: this member had its first assignment.
    pub gate: Arc<JoinGate>,
    pub joined: AtomicBool,
}

impl ClientContext for GroupContext {
    fn stats(&self, s: Statistics) {
        self.health.on_stats(&s);
        if let Some(t) = s.topics.get(&self.topic) {
            for (p, ps) in &t.partitions {
                if ps.partition < 0 {
                    continue;
                }
                if ps.consumer_lag >= 0 {
                    self.metrics
                        .consumer_lag
                        .with_label_values(&[&self.topic, &p.to_string()])
                        .set(ps.consumer_lag);
                }
            }
        }
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.health.on_error("consumer", &error, reason);
    }
}

impl ConsumerContext for GroupContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let span = tracing::info_span!("rebalance", kind = "assign");
                let _g = span.enter();
                self.metrics.rebalances.with_label_values(&["assign"]).inc();
                let assigned = self.plan_assignment(consumer, tpl);
                if !cooperative {
                    // every partition starts from its committed offset again: nothing of an
                    // aborted transaction is left to rewind
                    if let Some(t) = self.txn.get() {
                        t.clear_aborted();
                    }
                }
                let r = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "cannot take the assigned partitions");
                }
                if !self.joined.swap(true, Ordering::AcqRel) {
                    self.gate.joined.fetch_add(1, Ordering::AcqRel);
                }
                let held = !assigned.is_empty() && !self.gate.is_open();
                if held {
                    if let Err(e) = consumer.pause(tpl) {
                        tracing::warn!(error = %e, "cannot pause the partitions held for the other workers");
                    }
                }
                tracing::info!(
                    partitions = ?assigned.iter().map(|a| a.partition).collect::<Vec<_>>(),
                    held,
                    "partitions assigned"
                );
                self.push(if held {
                    GroupEvent::Held(assigned)
                } else {
                    GroupEvent::Assigned(assigned)
                });
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let span = tracing::info_span!("rebalance", kind = "revoke");
                let _g = span.enter();
                self.metrics.rebalances.with_label_values(&["revoke"]).inc();
                let parts: Vec<i32> = tpl
                    .elements()
                    .iter()
                    .filter_map(|e| self.sources.id(e.topic(), e.partition()))
                    .collect();
                if let Some(txn) = self.txn.get() {
                    let lost = consumer.assignment_lost();
                    self.end_transaction_before_revoke(consumer, txn, lost);
                } else if !consumer.assignment_lost() && !self.changelog {
                    self.commit_before_revoke(consumer, &parts);
                }
                if let Ok(mut t) = self.tracker.lock() {
                    t.forget(&parts);
                }
                let r = if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "cannot give up the revoked partitions");
                }
                tracing::info!(partitions = ?parts, "partitions revoked");
                self.push(GroupEvent::Revoked(parts));
            }
            other => {
                self.metrics.rebalances.with_label_values(&["error"]).inc();
                tracing::error!(error = ?other, "rebalance failed");
                let _ = consumer.unassign();
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        // successes are counted where commits are made; failures of async commits arrive here
        match result {
            Ok(()) => {
                // only now is an async commit done (a failed one is retried by the next)
                if let Ok(mut t) = self.tracker.lock() {
                    t.mark_committed(&self.sources.offsets_of(offsets));
                }
            }
            Err(e) => {
                self.metrics.commits.with_label_values(&["failed"]).inc();
                tracing::warn!(error = %e, "offset commit failed (retried with the next commit)");
            }
        }
    }
}

impl GroupContext {
    fn push(&self, e: GroupEvent) {
        if let Ok(mut v) = self.events.lock() {
            v.push(e);
        }
    }

    pub fn take_events(&self) -> Vec<GroupEvent> {
        self.events
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// Where each assigned partition starts: the first record of the retention window (or
    /// the committed offset, if older), and where replay ends (the committed offset, capped
    /// at the partition's end).
    pub(super) fn plan_assignment(
        &self,
        consumer: &BaseConsumer<Self>,
        tpl: &mut TopicPartitionList,
    ) -> Vec<Assigned> {
        // The committed offsets decide what is published again: never guess them.
        let mut committed = None;
        for attempt in 0..5 {
            if self.stop.load(std::sync::atomic::Ordering::Acquire) {
                // shutting down: nothing is read from these partitions, nothing committed
                tracing::info!("stopping; the assignment is not planned");
                return Vec::new();
            }
            match consumer.committed_offsets(tpl.clone(), TIMEOUT) {
                Ok(c) => {
                    committed = Some(c);
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "cannot read committed offsets; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
        let Some(committed) = committed else {
            self.fail("cannot read the group's committed offsets after 5 attempts; restart when the group coordinator is reachable");
            return Vec::new();
        };
        // High watermarks before the window query: a partition with no record in the window
        // starts at its end, and records produced after this read must not be skipped
        // (read after the query, the end could already lie past them).
        let highs: Vec<(String, i32, Option<i64>)> = tpl
            .elements()
            .iter()
            .map(|e| {
                let high = consumer
                    .fetch_watermarks(e.topic(), e.partition(), TIMEOUT)
                    .map(|(_, h)| h)
                    .ok();
                (e.topic().to_string(), e.partition(), high)
            })
            .collect();
        let since = crate::service::wall_clock_ms() - self.retention;
        let mut query = TopicPartitionList::new();
        for e in tpl.elements() {
            let _ = query.add_partition_offset(e.topic(), e.partition(), Offset::Offset(since));
        }
        // by explicit list: offsets_for_timestamp would use the current (old) assignment
        let by_time = consumer.offsets_for_times(query, TIMEOUT).ok();
        let mut out = Vec::new();
        for (topic, p, high) in highs {
            let mut marked = false;
            let committed_at = committed.find_partition(&topic, p).and_then(|e| {
                if e.error().is_err() {
                    self.fail("a committed offset could not be read; restart to retry");
                }
                match e.offset() {
                    Offset::Offset(o) => {
                        marked = e.metadata() == super::changelog::MARK;
                        Some(o)
                    }
                    _ => None,
                }
            });
            let restore =
                self.changelog && marked && !self.no_restore.lock().is_ok_and(|n| n.contains(&p));
            let window = by_time
                .as_ref()
                .and_then(|c| c.find_partition(&topic, p))
                .map(|e| e.offset());
            let start = match (window, committed_at) {
                // the changelog holds the state through the committed offset
                (_, Some(c)) if restore => Offset::Offset(c),
                (Some(Offset::Offset(w)), Some(c)) => Offset::Offset(w.min(c)),
                (Some(Offset::Offset(w)), None) => Offset::Offset(w),
                // no record within the window: continue where the group stopped
                (Some(Offset::End), Some(c)) => Offset::Offset(c),
                // nothing recent and never committed: from the current end
                (Some(Offset::End), None) => high.map_or(Offset::End, Offset::Offset),
                // window unknown: replay everything retained
                _ => Offset::Beginning,
            };
            let _ = tpl.set_partition_offset(&topic, p, start);
            let Some(src) = self.sources.id(&topic, p) else {
                continue;
            };
            let start_n = match start {
                Offset::Offset(o) => o,
                _ => 0,
            };
            // a committed offset beyond the end (truncated log): replay what exists
            let replay_until = committed_at.map(|c| high.map_or(c, |h| c.min(h)));
            if let Ok(mut t) = self.tracker.lock() {
                t.assign(src, committed_at);
                if let (None, Offset::Offset(s)) = (committed_at, start) {
                    t.start_at(src, s);
                }
            }
            out.push(Assigned {
                partition: src,
                start: start_n,
                replay_until: match start {
                    Offset::End => None,
                    _ => Some(replay_until.unwrap_or(start_n)),
                },
                committed: committed_at.is_some(),
                restore,
            });
            tracing::info!(
                topic = %topic,
                partition = p,
                start = ?start,
                committed = ?committed_at,
                restore,
                "partition assigned"
            );
        }
        out
    }

    /// A problem the worker must stop on (reported after the current poll).
    pub(super) fn fail(&self, why: &str) {
        tracing::error!("{why}");
        if let Ok(mut f) = self.fatal.lock() {
            f.get_or_insert_with(|| why.to_string());
        }
    }

    pub fn fatal(&self) -> Option<String> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// Exactly-once: commit the open transaction before its partitions go — or abort it when
    /// the partitions are already lost or outputs are half sent (the next owner, or this
    /// instance after its rewind, produces them again).
    fn end_transaction_before_revoke(&self, consumer: &BaseConsumer<Self>, txn: &Txn, lost: bool) {
        let span = tracing::info_span!("commit", reason = "revoke");
        let _g = span.enter();
        if self.changelog {
            // the changelog is written at the worker's commits only: a transaction committed
            // here would commit offsets whose state it does not hold
            if txn.is_open() {
                txn.abort(
                    &self.tracker,
                    "partitions revoked; the next owner restores the last commit",
                );
            }
            return;
        }
        if lost || txn.sending.load(std::sync::atomic::Ordering::Acquire) {
            txn.abort(
                &self.tracker,
                "partitions revoked while outputs were being sent",
            );
            return;
        }
        let deadline = std::time::Instant::now() + TIMEOUT;
        let keep_trying = || std::time::Instant::now() < deadline;
        match txn.commit(
            consumer,
            &self.tracker,
            &self.sources,
            &self.metrics,
            &keep_trying,
        ) {
            Ok(n) => tracing::info!(partitions = n, "transaction committed before revoke"),
            Err(TxnError::Fatal(why)) => self.fail(&why),
            Err(e) => {
                tracing::warn!(error = ?e, "transaction before revoke did not commit");
                txn.abort(
                    &self.tracker,
                    "the transaction before revoke did not commit",
                );
            }
        }
    }

    /// Flush outputs in flight and commit what they acknowledged, for partitions about to go.
    fn commit_before_revoke(&self, consumer: &BaseConsumer<Self>, parts: &[i32]) {
        let span = tracing::info_span!("commit", reason = "revoke");
        let _g = span.enter();
        if let Ok(mut t) = self.tracker.lock() {
            t.seal();
        }
        if let Some(p) = self.producer.get() {
            if let Err(e) = super::acks::drain(p, TIMEOUT) {
                tracing::warn!(error = %e, "outputs still in flight at revoke; their inputs stay uncommitted");
            }
        }
        let Ok(mut t) = self.tracker.lock() else {
            return;
        };
        if t.settle(&self.metrics, crate::service::wall_clock_ms())
            .is_err()
        {
            self.fail("the broker did not acknowledge output records; stopped without committing them, their inputs will be consumed again on restart");
            return;
        }
        let offsets = t.to_commit(Some(parts));
        if !offsets.is_empty() {
            let tpl = self.sources.tpl(&offsets);
            match consumer.commit(&tpl, rdkafka::consumer::CommitMode::Sync) {
                Ok(()) => tracing::info!(offsets = ?offsets, "committed before revoke"),
                Err(e) => tracing::warn!(error = %e, "commit before revoke failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_join_gate_opens_when_every_worker_joined_or_at_its_deadline() {
        let gate = JoinGate::new(2, Duration::from_secs(3600));
        assert!(!gate.is_open());
        gate.joined.fetch_add(1, Ordering::AcqRel);
        assert!(!gate.is_open());
        gate.joined.fetch_add(1, Ordering::AcqRel);
        assert!(gate.is_open());
        let late = JoinGate::new(2, Duration::ZERO);
        assert!(
            late.is_open(),
            "a worker that never joins holds nobody past the deadline"
        );
    }
}
