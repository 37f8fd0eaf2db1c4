//! The worker's state-store duties (SPEC §11, [`super::changelog`]): writing what a commit
//! covers to the changelog before the commit, and restoring assigned partitions from it.

use super::acks;
use super::changelog;
use super::worker::Worker;
use crate::engine::snapshot::SnapshotError;
use rdkafka::consumer::Consumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::BaseRecord;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

impl Worker<'_> {
    /// Send the changelog records of everything changed since the last call (and of the
    /// partitions to write whole), tagged with the open batch; exactly-once, inside the open
    /// transaction. Returns how many were sent.
    pub(super) fn write_changelog(&mut self) -> usize {
        let Some(store) = self.changelog.as_mut() else {
            return 0;
        };
        if !store.whole.is_empty() {
            let parts: Vec<i32> = std::mem::take(&mut store.whole).into_iter().collect();
            self.proc.snapshot_partitions(&parts, &mut store.pending);
        }
        self.proc.collect_changelog(&mut store.pending);
        if store.pending.is_empty() {
            return 0;
        }
        let batch = match self.tracker.lock() {
            Ok(t) => t.current().clone(),
            Err(_) => return 0,
        };
        if let Some(txn) = &self.txn {
            txn.sending.store(true, Ordering::Release);
        }
        let mut sent = 0;
        let mut bytes = 0;
        // a partition rebuilding from input is written whole when it goes live
        let rebuilding: Vec<i32> = self
            .rebuilds
            .keys()
            .map(|s| super::sources::partition(*s))
            .collect();
        for (key, value) in store.pending.iter() {
            let Some(p) = self.proc.changelog_partition(key) else {
                continue;
            };
            if rebuilding.contains(&p) {
                continue;
            }
            batch.add();
            let mut rec: BaseRecord<'_, str, [u8], Arc<acks::Batch>> =
                BaseRecord::with_opaque_to(&store.topic, batch.clone())
                    .key(key)
                    .partition(p);
            if let Some(v) = value {
                rec = rec.payload(v);
            }
            bytes += key.len() + value.map_or(0, <[u8]>::len);
            loop {
                match self.producer.send(rec) {
                    Ok(()) => {
                        sent += 1;
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        // the queue drains on librdkafka's threads; the group is kept by the
                        // caller's polls (a commit is short)
                        self.views.beat();
                        rec = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, back)) => {
                        tracing::error!(error = %e, "cannot send a changelog record");
                        self.metrics.delivery_failures.inc();
                        back.delivery_opaque.done(false);
                        break;
                    }
                }
            }
        }
        if let Some(txn) = &self.txn {
            txn.sending.store(false, Ordering::Release);
        }
        store.pending.clear();
        self.metrics
            .changelog_records
            .with_label_values(&["written"])
            .inc_by(sent);
        self.metrics
            .changelog_bytes
            .with_label_values(&["written"])
            .inc_by(bytes as u64);
        sent as usize
    }

    /// At-least-once, before a commit: outputs in flight acknowledged, then the changelog
    /// written and acknowledged — so the committed offsets' state is in the changelog, and no
    /// snapshot holds an input whose outputs were not acknowledged. `false`: the broker did
    /// not acknowledge in time (nothing is committed now; the next commit tries again).
    pub(super) fn flush_changelog(&mut self) -> bool {
        self.send_outputs();
        self.seal_batch();
        if let Err(e) = acks::drain(&self.producer, TIMEOUT) {
            tracing::warn!(error = %e, "outputs still in flight before a commit; committing later");
            return false;
        }
        if self.write_changelog() > 0 {
            self.seal_batch();
            if let Err(e) = acks::drain(&self.producer, TIMEOUT) {
                tracing::warn!(error = %e, "changelog records still in flight before a commit; committing later");
                return false;
            }
        }
        true
    }

    /// Restore the accounts of `partitions` (already materialized from config) from the
    /// changelog. A record that cannot be read is skipped and counted; a record of a newer
    /// format stops the instance with one line.
    pub(super) fn restore_partitions(&mut self, partitions: &[i32]) {
        let Some(store) = self.changelog.as_mut() else {
            return;
        };
        self.views.partitions_ready.store(false, Ordering::Release);
        self.metrics
            .restoring_partitions
            .set((self.rebuilds.len() + partitions.len()) as i64);
        let started = Instant::now();
        let proc = &mut self.proc;
        let metrics = &self.metrics;
        let mut newer: Option<SnapshotError> = None;
        let r = changelog::restore(
            &store.reader,
            &store.topic,
            partitions,
            self.stop,
            |k, v| match proc.restore(k, v) {
                Ok(()) => true,
                Err(e) => {
                    if matches!(e, SnapshotError::NewerVersion { .. }) {
                        newer.get_or_insert(e);
                    } else {
                        tracing::warn!(error = %e, "changelog record skipped");
                    }
                    metrics
                        .changelog_records
                        .with_label_values(&["unreadable"])
                        .inc();
                    false
                }
            },
        );
        match r {
            Ok(Some(got)) => {
                self.metrics
                    .changelog_records
                    .with_label_values(&["restored"])
                    .inc_by(got.records);
                self.metrics
                    .changelog_bytes
                    .with_label_values(&["restored"])
                    .inc_by(got.bytes);
                tracing::info!(
                    partitions = ?partitions,
                    records = got.records,
                    seconds = started.elapsed().as_secs_f64(),
                    "partitions restored; live"
                );
            }
            Ok(None) => tracing::info!("stopped while restoring from the changelog"),
            Err(e) => self
                .consumer
                .context()
                .fail(&format!("cannot restore from the changelog: {e:#}")),
        }
        if let Some(e) = newer {
            self.consumer.context().fail(&e.to_string());
        }
        self.proc.restored(partitions);
        self.update_readiness();
    }
}
