//! At-least-once bookkeeping. Input records are processed in batches; every output record of a
//! batch carries the batch as its delivery opaque, and the batch counts its unacknowledged
//! outputs. Batches complete in order of sealing, and only a completed batch's input offsets
//! become committable — so an offset is committed only after every output it caused (and
//! every output before it) has been acknowledged by the broker.

use crate::metrics::Metrics;
use crate::time::Millis;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientContext;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Wait until every record handed to the producer has been delivered (or has failed) and its
/// delivery report has been served by the producer's own polling thread.
///
/// `ThreadedProducer::flush` polls the producer's queue from the calling thread in slices of
/// up to 100 ms, racing the polling thread for each delivery report; when the polling thread
/// wins, the flush sleeps out its whole slice. Measured on Apache Kafka: every exactly-once
/// commit took 100–110 ms that way, and well under 10 ms with this wait.
pub fn drain<C: ProducerContext>(
    producer: &ThreadedProducer<C>,
    timeout: Duration,
) -> KafkaResult<()> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(100);
    while producer.in_flight_count() > 0 {
        if Instant::now() >= deadline {
            return Err(KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
    Ok(())
}

/// The (partition, offset) pairs of `topic` in a list of committed offsets.
pub fn offsets_of(tpl: &TopicPartitionList, topic: &str) -> Vec<(i32, i64)> {
    tpl.elements()
        .iter()
        .filter(|e| e.topic() == topic)
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// Outputs of a batch still waiting for the broker.
#[derive(Debug)]
pub struct Batch {
    /// Unacknowledged outputs, plus one while the batch is open.
    pending: AtomicUsize,
    failed: AtomicBool,
    /// When the last output was acknowledged: nanoseconds since [`epoch`].
    completed_at: AtomicU64,
}

/// Reference instant of [`Batch::completed_at`].
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Batch {
    fn new() -> Arc<Batch> {
        Arc::new(Batch {
            pending: AtomicUsize::new(1),
            failed: AtomicBool::new(false),
            completed_at: AtomicU64::new(0),
        })
    }

    /// An output is about to be sent.
    pub fn add(&self) {
        self.pending.fetch_add(1, Ordering::AcqRel);
    }

    /// An output was acknowledged (or failed, or could not be sent).
    pub fn done(&self, ok: bool) {
        if !ok {
            self.failed.store(true, Ordering::Release);
        }
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let at = epoch().elapsed().as_nanos() as u64;
            self.completed_at.store(at, Ordering::Release);
        }
    }

    /// When the batch completed (its last acknowledgement).
    fn completed(&self) -> Instant {
        epoch() + std::time::Duration::from_nanos(self.completed_at.load(Ordering::Acquire))
    }

    fn complete(&self) -> bool {
        self.pending.load(Ordering::Acquire) == 0
    }
}

/// What a batch consumed.
#[derive(Default, Debug)]
struct Consumed {
    /// Partition → next offset to commit.
    next: BTreeMap<i32, i64>,
    received: Vec<Instant>,
    event_times: Vec<Millis>,
}

/// The producer's context: delivery reports settle batches; connection state feeds `/readyz`.
pub struct AckContext {
    pub metrics: Arc<Metrics>,
    pub health: Arc<super::health::BrokerHealth>,
    /// The engine shard (worker thread) whose outputs this producer sends.
    pub shard: usize,
    /// The last delivery error, for the one-line fatal message.
    pub last_error: Mutex<Option<String>>,
}

impl ClientContext for AckContext {
    fn stats(&self, s: rdkafka::Statistics) {
        self.metrics
            .set_producer_queue(self.shard, s.msg_cnt as i64);
        self.health.on_stats(&s);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.health.on_error("producer", &error, reason);
    }
}

impl ProducerContext for AckContext {
    type DeliveryOpaque = Arc<Batch>;

    fn delivery(&self, result: &DeliveryResult<'_>, batch: Arc<Batch>) {
        match result {
            Ok(_) => {
                self.health.up();
                batch.done(true)
            }
            Err((e, _)) => {
                self.metrics.delivery_failures.inc();
                tracing::error!(error = %e, "output record not acknowledged by the broker");
                if let Ok(mut l) = self.last_error.lock() {
                    *l = Some(e.to_string());
                }
                batch.done(false);
            }
        }
    }
}

/// A batch's outputs were not all acknowledged: the service must stop without committing.
#[derive(Debug)]
pub struct DeliveryFailed;

/// The open batch, the sealed ones waiting for acknowledgements, and what may be committed.
///
/// Only partitions announced with [`Tracker::assign`] (from the consumer's rebalance
/// callback) are ever committed: offsets consumed from any other partition are dropped when
/// their batch settles, so a consumer that never calls `assign` never commits anything.
pub struct Tracker {
    open: Arc<Batch>,
    open_consumed: Consumed,
    sealed: VecDeque<(Arc<Batch>, Consumed)>,
    /// Partition → next offset to commit, from completed batches.
    pub committable: BTreeMap<i32, i64>,
    /// Partition → offset already committed (never commit at or below it again).
    pub committed: BTreeMap<i32, i64>,
    /// Partitions currently assigned: nothing is committed for others.
    assigned: std::collections::BTreeSet<i32>,
    /// An output was refused: nothing is ever committed again by this instance.
    failed: bool,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            open: Batch::new(),
            open_consumed: Consumed::default(),
            sealed: VecDeque::new(),
            committable: BTreeMap::new(),
            committed: BTreeMap::new(),
            assigned: Default::default(),
            failed: false,
        }
    }
}

impl Tracker {
    /// The batch that outputs sent now belong to.
    pub fn current(&self) -> &Arc<Batch> {
        &self.open
    }

    /// Note a consumed input record of the open batch.
    pub fn consumed(
        &mut self,
        partition: i32,
        offset: i64,
        received: Instant,
        event_time: Option<Millis>,
    ) {
        let next = self
            .open_consumed
            .next
            .entry(partition)
            .or_insert(offset + 1);
        *next = (*next).max(offset + 1);
        self.open_consumed.received.push(received);
        if let Some(t) = event_time {
            self.open_consumed.event_times.push(t);
        }
    }

    pub fn open_is_empty(&self) -> bool {
        self.open_consumed.next.is_empty() && self.open.pending.load(Ordering::Acquire) <= 1
    }

    /// Close the open batch (its outputs are all handed to the producer) and start a new one.
    pub fn seal(&mut self) {
        if self.open_is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.open, Batch::new());
        let consumed = std::mem::take(&mut self.open_consumed);
        batch.done(true);
        self.sealed.push_back((batch, consumed));
    }

    /// Settle completed batches in order; their offsets become committable.
    pub fn settle(&mut self, metrics: &Metrics, now_ms: Millis) -> Result<(), DeliveryFailed> {
        if self.failed {
            return Err(DeliveryFailed);
        }
        while self.sealed.front().is_some_and(|(b, _)| b.complete()) {
            let Some((batch, consumed)) = self.sealed.pop_front() else {
                break;
            };
            if batch.failed.load(Ordering::Acquire) {
                // permanent: later batches must not be committed past the lost outputs
                self.failed = true;
                self.committable.clear();
                return Err(DeliveryFailed);
            }
            for (p, next) in consumed.next {
                if !self.assigned.contains(&p) {
                    continue; // revoked while in flight: the new owner decides
                }
                let e = self.committable.entry(p).or_insert(next);
                *e = (*e).max(next);
            }
            // measured to the last acknowledgement, not to this (later) settlement
            let acked = batch.completed();
            let lag_ms = Instant::now().saturating_duration_since(acked).as_millis() as i64;
            for r in consumed.received {
                metrics
                    .processing_latency
                    .observe(acked.saturating_duration_since(r).as_secs_f64());
            }
            for t in consumed.event_times {
                metrics
                    .event_age
                    .observe((now_ms - lag_ms - t).max(0) as f64 / 1000.0);
            }
        }
        Ok(())
    }

    /// Offsets to commit now (above what was committed), optionally only some partitions.
    pub fn to_commit(&self, only: Option<&[i32]>) -> Vec<(i32, i64)> {
        if self.failed {
            return Vec::new();
        }
        self.committable
            .iter()
            .filter(|(p, _)| self.assigned.contains(p))
            .filter(|(p, _)| only.is_none_or(|o| o.contains(p)))
            .filter(|(p, n)| self.committed.get(p).is_none_or(|c| *n > c))
            .map(|(p, n)| (*p, *n))
            .collect()
    }

    /// A transaction was aborted: its outputs will never be visible and its inputs are
    /// consumed again, so nothing sealed or committable since the last commit counts.
    pub fn discard_uncommitted(&mut self) {
        self.open = Batch::new();
        self.open_consumed = Consumed::default();
        self.sealed.clear();
        self.committable.clear();
        self.failed = false;
    }

    pub fn mark_committed(&mut self, offsets: &[(i32, i64)]) {
        for (p, n) in offsets {
            let c = self.committed.entry(*p).or_insert(*n);
            *c = (*c).max(*n);
        }
    }

    /// A partition was assigned; `committed` is the group's committed offset (records before
    /// it are replayed to rebuild state and must never be committed again).
    pub fn assign(&mut self, partition: i32, committed: Option<i64>) {
        self.assigned.insert(partition);
        self.committable.remove(&partition);
        match committed {
            Some(c) => self.committed.insert(partition, c),
            None => self.committed.remove(&partition),
        };
    }

    /// A partition the group never committed starts at `offset`: commit that offset with the
    /// open batch, whose outputs are the partition's accounts materialized from config. Once
    /// it is committed, the next owner knows those outputs were published and does not
    /// publish them again.
    pub fn start_at(&mut self, partition: i32, offset: i64) {
        let next = self.open_consumed.next.entry(partition).or_insert(offset);
        *next = (*next).max(offset);
    }

    /// Forget partitions no longer assigned.
    pub fn forget(&mut self, partitions: &[i32]) {
        for p in partitions {
            self.assigned.remove(p);
            self.committable.remove(p);
            self.committed.remove(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_commit_only_after_every_output_is_acked_in_order() {
        let m = Metrics::new();
        let mut t = Tracker::default();
        t.assign(0, None);
        let now = Instant::now();
        // batch 1: offset 10 of partition 0, two outputs
        t.consumed(0, 10, now, None);
        let b1 = t.current().clone();
        b1.add();
        b1.add();
        t.seal();
        // batch 2: offset 11, one output
        t.consumed(0, 11, now, Some(0));
        let b2 = t.current().clone();
        b2.add();
        t.seal();
        b2.done(true); // batch 2 acked first
        t.settle(&m, 0).unwrap();
        assert!(t.to_commit(None).is_empty(), "batch 1 still pending");
        b1.done(true);
        t.settle(&m, 0).unwrap();
        assert!(t.to_commit(None).is_empty());
        b1.done(true);
        t.settle(&m, 1000).unwrap();
        assert_eq!(t.to_commit(None), vec![(0, 12)]);
        t.mark_committed(&[(0, 12)]);
        assert!(t.to_commit(None).is_empty());
        assert_eq!(m.processing_latency.get_sample_count(), 2);
        assert_eq!(m.event_age.get_sample_count(), 1);
    }

    #[test]
    fn a_failed_output_stops_commits() {
        let m = Metrics::new();
        let mut t = Tracker::default();
        t.assign(3, None);
        t.consumed(3, 0, Instant::now(), None);
        let b = t.current().clone();
        b.add();
        t.seal();
        t.consumed(3, 1, Instant::now(), None);
        let b2 = t.current().clone();
        t.seal();
        b.done(false);
        assert!(t.settle(&m, 0).is_err());
        assert!(t.to_commit(None).is_empty());
        // a later, fully acknowledged batch must not be committed past the lost output
        drop(b2);
        assert!(t.settle(&m, 0).is_err());
        assert!(t.to_commit(None).is_empty());
    }

    #[test]
    fn replayed_and_revoked_partitions_are_never_committed() {
        let m = Metrics::new();
        let mut t = Tracker::default();
        t.assign(0, Some(100)); // committed at 100: records 40..100 are a replay
        t.assign(1, None);
        t.consumed(0, 50, Instant::now(), None);
        t.consumed(1, 7, Instant::now(), None);
        t.seal();
        t.settle(&m, 0).unwrap();
        assert_eq!(
            t.to_commit(None),
            vec![(1, 8)],
            "offset 51 < 100 would move backwards"
        );
        t.consumed(0, 120, Instant::now(), None);
        t.consumed(1, 8, Instant::now(), None);
        let b = t.current().clone();
        b.add();
        t.seal();
        t.forget(&[1]); // revoked while in flight
        b.done(true);
        t.settle(&m, 0).unwrap();
        assert_eq!(t.to_commit(None), vec![(0, 121)]);
    }
}
