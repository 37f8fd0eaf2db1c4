//! The state store's changelog on Kafka (SPEC §11, docs/changelog.md): snapshots of the persons
//! and accounts a batch touched, written to `rta.changelog` (compacted, partition n holding the
//! accounts of input partition n), and read back when a partition is assigned.
//!
//! A committed input offset whose metadata is [`MARK`] promises that the changelog holds the
//! state of the partition's accounts through that offset:
//! - **exactly-once**: the snapshots go into the transaction that commits the offsets;
//! - **at-least-once**: at each commit the outputs in flight are drained first, then the
//!   snapshots are written and drained, then the offsets are committed — so a snapshot never
//!   holds an input whose outputs were not acknowledged, and an input past the committed offset
//!   that a snapshot already holds is a duplicate on replay (SPEC §5) whose outputs were
//!   acknowledged.
//!
//! An assigned partition whose committed offset carries the mark restores from the changelog
//! and continues at the committed offset; one without it (never committed, or committed by an
//! rta without a changelog) rebuilds from the retained input as before.

use super::client;
use crate::engine::snapshot::Changelog;
use crate::engine::Origin;
use crate::settings::Settings;
use anyhow::{Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Commit metadata of an input offset whose state the changelog holds (format version 1).
pub const MARK: &str = "rta-changelog/1";

/// Key of the record every changelog partition holds once it was written whole (value `[1]`):
/// an empty partition then means a lost changelog, not a partition without accounts. The
/// empty account part keeps it apart from every state key.
pub const PARTITION_KEY: &str = crate::wire::CHANGELOG_PARTITION_KEY;

const TIMEOUT: Duration = Duration::from_secs(30);

/// What a restore read.
#[derive(Debug, Default, Clone)]
pub struct Restored {
    pub records: u64,
    pub bytes: u64,
    pub tombstones: u64,
    /// Records that could not be read (each reported by the caller's `apply`).
    pub unreadable: u64,
    /// Partitions that held no record at all.
    pub empty: Vec<i32>,
}

/// The reader of the changelog: no group, nothing committed, transactions read committed.
pub fn reader(s: &Settings, brokers: &str) -> Result<BaseConsumer> {
    client::table_consumer(s, brokers)
        .set("group.id", format!("{}-changelog-restore", s.group_id))
        .create()
        .context("cannot create the changelog reader; check the [kafka] properties")
}

/// Read `partitions` of the changelog from the beginning to the end offsets they have now,
/// handing each record (its key and value, `None` = tombstone, in an [`Origin`]) to `apply`,
/// which answers whether it could be read. `None`: stopped before the end.
pub fn restore(
    c: &BaseConsumer,
    topic: &str,
    partitions: &[i32],
    stop: &AtomicBool,
    mut apply: impl FnMut(&Origin) -> bool,
) -> Result<Option<Restored>> {
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for &p in partitions {
        let (low, high) = c
            .fetch_watermarks(topic, p, TIMEOUT)
            .with_context(|| format!("cannot read the end offsets of {topic} partition {p}"))?;
        if high > low {
            tpl.add_partition_offset(topic, p, Offset::Beginning)?;
            ends.insert(p, high);
        }
    }
    let mut got = Restored {
        empty: partitions
            .iter()
            .copied()
            .filter(|p| !ends.contains_key(p))
            .collect(),
        ..Restored::default()
    };
    if ends.is_empty() {
        return Ok(Some(got));
    }
    c.assign(&tpl)
        .with_context(|| format!("cannot read {topic}"))?;
    let started = Instant::now();
    let mut last_log = Instant::now();
    while !ends.is_empty() {
        if stop.load(Ordering::Acquire) {
            let _ = c.unassign();
            return Ok(None);
        }
        let check = match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                if let Some(key) = m.key() {
                    got.records += 1;
                    got.bytes += (key.len() + m.payload().map_or(0, <[u8]>::len)) as u64;
                    if m.payload().is_none() {
                        got.tombstones += 1;
                    }
                    let origin = Origin {
                        topic,
                        partition: m.partition(),
                        offset: m.offset(),
                        key: Some(key),
                        payload: m.payload(),
                    };
                    if !apply(&origin) {
                        got.unreadable += 1;
                    }
                }
                // the last record before the end: ask now rather than after an idle poll
                ends.get(&m.partition())
                    .is_some_and(|h| m.offset() + 1 >= *h)
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "changelog read error");
                true
            }
            None => true,
        };
        // the position passes transaction markers and compacted ranges; message offsets do not
        if check || got.records.is_multiple_of(1024) {
            if let Ok(pos) = c.position() {
                ends.retain(|p, high| {
                    !matches!(
                        pos.find_partition(topic, *p).map(|e| e.offset()),
                        Some(Offset::Offset(o)) if o >= *high
                    )
                });
            }
        }
        if last_log.elapsed() >= Duration::from_secs(5) {
            tracing::info!(
                records = got.records,
                bytes = got.bytes,
                "restoring from the changelog"
            );
            last_log = Instant::now();
        }
    }
    let _ = c.unassign();
    tracing::info!(
        partitions = ?partitions,
        records = got.records,
        bytes = got.bytes,
        unreadable = got.unreadable,
        seconds = started.elapsed().as_secs_f64(),
        "restored from the changelog"
    );
    Ok(Some(got))
}

/// The worker's changelog: the reader for restores, records collected and not yet sent, and
/// the partitions to be written whole.
pub struct Store {
    pub topic: String,
    pub reader: BaseConsumer,
    pub pending: Changelog,
    /// Partitions that went live without a restore (fresh, rebuilt from input, or committed
    /// without the mark): all their keys are written at the next commit.
    pub whole: BTreeSet<i32>,
    /// Keys of records that could not be restored, by partition: replaced by tombstones once
    /// the partition, rebuilt from the retained input, is written whole.
    pub bad_keys: Vec<(i32, Vec<u8>)>,
}

impl Store {
    pub fn new(s: &Settings, brokers: &str) -> Result<Store> {
        Ok(Store {
            topic: s.topics.changelog.clone(),
            reader: reader(s, brokers)?,
            pending: Changelog::default(),
            whole: BTreeSet::new(),
            bad_keys: Vec::new(),
        })
    }
}
