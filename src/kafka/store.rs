//! The worker's state-store duties (SPEC §11, [`super::changelog`]): writing what a commit
//! covers to the changelog before the commit, and restoring assigned partitions from it.

use super::acks;
use super::changelog;
use super::worker::Worker;
use crate::engine::snapshot::SnapshotError;
use crate::engine::Origin;
use crate::reason::Reason;
use rdkafka::consumer::Consumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// A drain before a commit longer than this pauses the input and polls the consumer.
const KEEP_GROUP_AFTER: Duration = Duration::from_secs(2);

/// A changelog record that could not be restored.
struct Failed {
    offset: i64,
    payload: Option<Vec<u8>>,
    why: String,
    /// Of an older format version: no dead letter (the whole partition is written again).
    older: bool,
}

impl Worker<'_> {
    /// Send the changelog records of everything changed since the last call (and of the
    /// partitions to write whole, and tombstones for unreadable records of partitions live
    /// again), tagged with the open batch; exactly-once, inside the open transaction. A full
    /// producer queue waits with the input paused, the group kept. Returns how many were sent.
    pub(super) fn write_changelog(&mut self) -> usize {
        let Some(store) = self.changelog.as_mut() else {
            return 0;
        };
        let mut pending = std::mem::take(&mut store.pending);
        let mut whole: Vec<i32> = Vec::new();
        if !store.whole.is_empty() {
            whole = std::mem::take(&mut store.whole).into_iter().collect();
            self.proc.snapshot_partitions(&whole, &mut pending);
        }
        self.proc.collect_changelog(&mut pending);
        // a partition rebuilding from input is written whole when it goes live
        let rebuilding: Vec<i32> = self
            .rebuilds
            .keys()
            .map(|s| super::sources::partition(*s))
            .collect();
        let (tombstones, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut store.bad_keys)
            .into_iter()
            .partition(|(p, _)| !rebuilding.contains(p) && self.proc.owns_partition(*p));
        store.bad_keys = keep;
        let topic = store.topic.clone();
        // a bad key gets its tombstone before this batch's records: one that the batch
        // writes again (its partition written whole) keeps the new record
        let rewritten: BTreeSet<&[u8]> = match tombstones.is_empty() {
            true => BTreeSet::new(),
            false => pending.iter().map(|(k, _)| k.as_bytes()).collect(),
        };
        let records = tombstones
            .iter()
            .filter(|(_, k)| !rewritten.contains(k.as_slice()))
            .map(|(p, k)| (k.as_slice(), None, *p))
            .chain(pending.iter().filter_map(|(key, value)| {
                let p = self.proc.changelog_partition(key)?;
                (!rebuilding.contains(&p)).then_some((key.as_bytes(), value, p))
            }))
            // a partition written whole holds at least this record, so an empty changelog
            // partition always means a lost one (even for a partition without accounts)
            .chain(
                whole
                    .iter()
                    .map(|p| (changelog::PARTITION_KEY.as_bytes(), Some(&[1u8][..]), *p)),
            );
        let (sent, bytes) = self.send_changelog(&topic, records);
        pending.clear();
        if let Some(store) = self.changelog.as_mut() {
            store.pending = pending;
        }
        self.metrics
            .changelog_records
            .with_label_values(&["written"])
            .inc_by(sent as u64);
        self.metrics
            .changelog_bytes
            .with_label_values(&["written"])
            .inc_by(bytes as u64);
        sent
    }

    /// Produce (key, value, partition) records to the changelog; (records, bytes) sent.
    fn send_changelog<'r>(
        &self,
        topic: &str,
        records: impl Iterator<Item = (&'r [u8], Option<&'r [u8]>, i32)>,
    ) -> (usize, usize) {
        let batch = match self.tracker.lock() {
            Ok(t) => t.current().clone(),
            Err(_) => return (0, 0),
        };
        if let Some(txn) = &self.txn {
            txn.sending.store(true, Ordering::Release);
        }
        let (mut sent, mut bytes) = (0, 0);
        let mut paused = None;
        for (key, value, p) in records {
            batch.add();
            let mut rec: BaseRecord<'_, [u8], [u8], Arc<acks::Batch>> =
                BaseRecord::with_opaque_to(topic, batch.clone())
                    .key(key)
                    .partition(p);
            if let Some(v) = value {
                rec = rec.payload(v);
            }
            loop {
                match self.producer.send(rec) {
                    Ok(()) => {
                        sent += 1;
                        bytes += key.len() + value.map_or(0, <[u8]>::len);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        if paused.is_none() {
                            paused = self.pause_input();
                        }
                        self.keep_membership();
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
        self.resume_input(paused);
        if let Some(txn) = &self.txn {
            txn.sending.store(false, Ordering::Release);
        }
        (sent, bytes)
    }

    /// Wait until every record handed to the producer is acknowledged; past [`KEEP_GROUP_AFTER`]
    /// the input is paused and the consumer polled, to keep the group. `false`: not within the
    /// timeout (or stopping).
    fn drain_in_group(&self) -> bool {
        let started = Instant::now();
        let deadline = started + TIMEOUT;
        let mut paused = None;
        let mut pause = Duration::from_micros(100);
        let mut done = true;
        while self.producer.in_flight_count() > 0 {
            if Instant::now() >= deadline {
                done = false;
                break;
            }
            // a usual drain (tens of ms) neither pauses nor polls: pausing, and seeking back
            // to a record a poll returned, left the input idle for several commit intervals
            // after each commit (measured: at-least-once 4.3k records/s with the changelog
            // against 55k without)
            if paused.is_none() && started.elapsed() >= KEEP_GROUP_AFTER {
                paused = self.pause_input();
            }
            if paused.is_some() {
                self.keep_membership();
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(1));
        }
        self.resume_input(paused);
        done
    }

    /// At-least-once, before a commit: outputs in flight acknowledged, then the changelog
    /// written and acknowledged — so the committed offsets' state is in the changelog, and no
    /// snapshot holds an input whose outputs were not acknowledged. `false`: the broker did
    /// not acknowledge in time (nothing is committed now; the next commit tries again).
    pub(super) fn flush_changelog(&mut self) -> bool {
        self.send_outputs();
        self.seal_batch();
        if !self.drain_in_group() {
            tracing::warn!("outputs still in flight before a commit; committing later");
            return false;
        }
        if self.write_changelog() > 0 {
            self.seal_batch();
            if !self.drain_in_group() {
                tracing::warn!(
                    "changelog records still in flight before a commit; committing later"
                );
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
        self.views.set_shard_ready(self.proc.shard, false);
        self.metrics.set_restoring(
            self.proc.shard,
            (self.rebuilds.len() + partitions.len()) as i64,
        );
        let started = Instant::now();
        let proc = &mut self.proc;
        let mut newer: Option<SnapshotError> = None;
        // a key's record that cannot be read counts only if no later record of the key could
        // (the log may not be compacted yet): (partition, key) → the record and why
        let mut failed: BTreeMap<(i32, Vec<u8>), Failed> = BTreeMap::new();
        let r = changelog::restore(&store.reader, &store.topic, partitions, self.stop, |o| {
            let key = o.key.unwrap_or_default();
            match proc.restore(key, o.payload) {
                Ok(()) => {
                    if !failed.is_empty() {
                        failed.remove(&(o.partition, key.to_vec()));
                    }
                    true
                }
                Err(e) => {
                    if matches!(e, SnapshotError::NewerVersion { .. }) {
                        newer.get_or_insert(e);
                    } else {
                        // an older format: the partition is rebuilt and written again
                        // in the current one, without a dead letter per record
                        let older = matches!(e, SnapshotError::OlderVersion { .. });
                        failed.insert(
                            (o.partition, key.to_vec()),
                            Failed {
                                offset: o.offset,
                                payload: o.payload.map(<[u8]>::to_vec).filter(|_| !older),
                                why: e.to_string(),
                                older,
                            },
                        );
                    }
                    false
                }
            }
        });
        for (partition, key, e) in self.proc.finish_restore() {
            failed.insert(
                (partition, key.into_bytes()),
                Failed {
                    offset: -1,
                    payload: None,
                    why: e.to_string(),
                    older: false,
                },
            );
        }
        if !failed.is_empty() {
            let topic = store.topic.clone();
            let older: Vec<_> = failed.iter().filter(|(_, f)| f.older).collect();
            if let Some((_, f)) = older.first() {
                let partitions: BTreeSet<i32> = older.iter().map(|((p, _), _)| *p).collect();
                tracing::warn!(records = older.len(), ?partitions, "{}", f.why);
            }
            for ((partition, key), f) in failed.iter().filter(|(_, f)| !f.older) {
                // the key names a person: not logged above debug
                tracing::warn!(error = %f.why, partition, offset = f.offset, "changelog record skipped; the partition is rebuilt from the retained input");
                let origin = Origin {
                    topic: &topic,
                    partition: *partition,
                    offset: f.offset,
                    key: Some(key),
                    payload: f.payload.as_deref(),
                };
                self.proc
                    .dead_letter(&origin, Reason::BadChangelogRecord, &f.why);
            }
            self.metrics
                .changelog_records
                .with_label_values(&["unreadable"])
                .inc_by(failed.len() as u64);
            if let Ok(mut n) = self.consumer.context().no_restore.lock() {
                n.extend(failed.keys().map(|(p, _)| *p));
            }
            if let Some(store) = self.changelog.as_mut() {
                store.bad_keys.extend(failed.into_keys());
            }
            self.replan = true;
        }
        // a marked partition whose changelog holds nothing (the topic was deleted and
        // created again): its state is rebuilt from the retained input
        if let Ok(Some(got)) = &r {
            if !got.empty.is_empty() {
                tracing::warn!(partitions = ?got.empty, "the changelog holds nothing for partitions whose committed offsets carry its mark; rebuilding them from the retained input");
                if let Ok(mut n) = self.consumer.context().no_restore.lock() {
                    n.extend(got.empty.iter().copied());
                }
                self.replan = true;
            }
        }
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
