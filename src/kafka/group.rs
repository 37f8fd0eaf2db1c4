//! The consumer-group side of `rta.agent-events`: what happens when partitions move.
//!
//! - **Assigned**: each partition starts at the oldest record within the retention window, so
//!   its accounts are rebuilt from retained input (outputs of records before the committed
//!   offset are dropped: they were published before). The worker learns where the rebuild ends.
//! - **Revoked**: outputs in flight are flushed, acknowledged offsets committed synchronously,
//!   then the partitions go (the next owner starts exactly where this instance stopped).

use super::acks::{AckContext, Tracker};
use crate::metrics::Metrics;
use crate::time::Millis;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaResult;
use rdkafka::producer::{Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Statistics};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A partition given to this instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assigned {
    pub partition: i32,
    /// First offset read.
    pub start: i64,
    /// Records before this offset were processed before (their outputs are dropped).
    /// `None`: the start is a logical offset (end of partition): nothing to replay.
    pub replay_until: Option<i64>,
}

#[derive(Debug)]
pub enum GroupEvent {
    Assigned(Vec<Assigned>),
    Revoked(Vec<i32>),
}

pub struct GroupContext {
    pub topic: String,
    pub retention: Millis,
    pub metrics: Arc<Metrics>,
    pub tracker: Arc<Mutex<Tracker>>,
    pub producer: OnceLock<Arc<ThreadedProducer<AckContext>>>,
    pub events: Mutex<Vec<GroupEvent>>,
}

impl ClientContext for GroupContext {
    fn stats(&self, s: Statistics) {
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
        tracing::warn!(%error, reason, "Kafka consumer error");
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
                let r = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "cannot take the assigned partitions");
                }
                tracing::info!(
                    partitions = ?assigned.iter().map(|a| a.partition).collect::<Vec<_>>(),
                    "partitions assigned"
                );
                self.push(GroupEvent::Assigned(assigned));
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let span = tracing::info_span!("rebalance", kind = "revoke");
                let _g = span.enter();
                self.metrics.rebalances.with_label_values(&["revoke"]).inc();
                let parts: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
                if !consumer.assignment_lost() {
                    self.commit_before_revoke(consumer, &parts);
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

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        // successes are counted where commits are made; failures of async commits arrive here
        match result {
            Ok(()) => {}
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
    /// the committed offset, if older), and where replay ends (the committed offset).
    fn plan_assignment(
        &self,
        consumer: &BaseConsumer<Self>,
        tpl: &mut TopicPartitionList,
    ) -> Vec<Assigned> {
        let committed = consumer.committed_offsets(tpl.clone(), TIMEOUT).ok();
        let since = crate::service::wall_clock_ms() - self.retention;
        let by_time = consumer.offsets_for_timestamp(since, TIMEOUT).ok();
        let by_time = by_time.or_else(|| {
            let mut t = tpl.clone();
            for e in tpl.elements() {
                let _ = t.set_partition_offset(e.topic(), e.partition(), Offset::Offset(since));
            }
            consumer.offsets_for_times(t, TIMEOUT).ok()
        });
        let mut out = Vec::new();
        let elems: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        for (topic, p) in elems {
            let committed = committed
                .as_ref()
                .and_then(|c| c.find_partition(&topic, p))
                .and_then(|e| match e.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                });
            let window = by_time
                .as_ref()
                .and_then(|c| c.find_partition(&topic, p))
                .map(|e| e.offset());
            let start = match (window, committed) {
                (Some(Offset::Offset(w)), Some(c)) => Offset::Offset(w.min(c)),
                (Some(Offset::Offset(w)), None) => Offset::Offset(w),
                // no record within the window: continue where the group stopped
                (Some(Offset::End), Some(c)) => Offset::Offset(c),
                (Some(Offset::End), None) => Offset::End,
                // window unknown: replay everything retained
                (_, _) => Offset::Beginning,
            };
            let _ = tpl.set_partition_offset(&topic, p, start);
            let start_n = match start {
                Offset::Offset(o) => o,
                _ => 0,
            };
            out.push(Assigned {
                partition: p,
                start: start_n,
                replay_until: match start {
                    Offset::End => None,
                    _ => Some(committed.unwrap_or(start_n)),
                },
            });
            tracing::info!(
                partition = p,
                start = ?start,
                committed = ?committed,
                "partition rebuilds from retained input"
            );
        }
        out
    }

    /// Flush outputs in flight and commit what they acknowledged, for partitions about to go.
    fn commit_before_revoke(&self, consumer: &BaseConsumer<Self>, parts: &[i32]) {
        let span = tracing::info_span!("commit", reason = "revoke");
        let _g = span.enter();
        if let Ok(mut t) = self.tracker.lock() {
            t.seal();
        }
        if let Some(p) = self.producer.get() {
            if let Err(e) = p.flush(TIMEOUT) {
                tracing::warn!(error = %e, "outputs still in flight at revoke; their inputs stay uncommitted");
            }
        }
        let Ok(mut t) = self.tracker.lock() else {
            return;
        };
        if t.settle(&self.metrics, crate::service::wall_clock_ms())
            .is_err()
        {
            tracing::error!("outputs failed at revoke; their inputs stay uncommitted");
            return;
        }
        let offsets = t.to_commit(Some(parts));
        if !offsets.is_empty() {
            let mut tpl = TopicPartitionList::new();
            for (p, o) in &offsets {
                let _ = tpl.add_partition_offset(&self.topic, *p, Offset::Offset(*o));
            }
            match consumer.commit(&tpl, rdkafka::consumer::CommitMode::Sync) {
                Ok(()) => tracing::info!(offsets = ?offsets, "committed before revoke"),
                Err(e) => tracing::warn!(error = %e, "commit before revoke failed"),
            }
        }
        t.forget(parts);
    }
}
