//! The relay's view of `rta.config`: every partition read from the beginning, on a thread of
//! its own, keeping only integration records (their secrets' hashes) in the credential table.
//! Caught up once the end offsets taken at start are reached; then followed live, so a new
//! secret or a deleted integration takes effect within a poll.

use super::auth::Credentials;
use super::metrics::RelayMetrics;
use crate::config::{
    key_kind, parse_config_record, ConfigChange, ConfigKey, ConfigKind, ConfigRecord,
};
use crate::settings::RelaySettings;
use anyhow::{Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The partition count of an existing topic, retried for a while (a topic created a moment
/// ago may not show in the metadata yet); a missing topic is one clear error.
pub fn partitions<C: rdkafka::consumer::ConsumerContext>(
    c: &BaseConsumer<C>,
    topic: &str,
) -> Result<i32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let found = c
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .map(|md| {
                md.topics()
                    .iter()
                    .find(|t| t.name() == topic && t.error().is_none())
                    .map(|t| t.partitions().len() as i32)
                    .unwrap_or(0)
            });
        match found {
            Ok(n) if n > 0 => return Ok(n),
            _ if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250))
            }
            Ok(_) => anyhow::bail!(
                "topic {topic} does not exist; start rta run once (it creates the topics) or check the topic prefix"
            ),
            Err(e) => return Err(e).context("cannot read the Kafka metadata; check the brokers"),
        }
    }
}

/// A partition's (low, high) watermarks, retried for a while: a topic created a moment ago
/// has no leader yet.
pub fn watermarks<C: rdkafka::consumer::ConsumerContext>(
    c: &BaseConsumer<C>,
    topic: &str,
    p: i32,
) -> Result<(i64, i64)> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        match c.fetch_watermarks(topic, p, Duration::from_secs(5)) {
            Ok(w) => return Ok(w),
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, topic, "end offsets not available yet; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read the end offsets of {topic}"))
            }
        }
    }
}

/// Apply one config record to the credential table; `true` when it concerned an integration.
pub fn apply(creds: &RwLock<Credentials>, key: Option<&[u8]>, value: Option<&[u8]>) -> bool {
    let Some(key) = key.and_then(|k| std::str::from_utf8(k).ok()) else {
        return false;
    };
    // only integration records matter here: skip the others without parsing their values
    if key_kind(key) != Some(ConfigKind::Integration) {
        return false;
    }
    match parse_config_record(Some(key), value) {
        Ok(ConfigChange::Upsert {
            account, record, ..
        }) => {
            let ConfigRecord::Integration(rec) = &*record else {
                return false;
            };
            if let Ok(mut c) = creds.write() {
                c.upsert(&account, rec);
            }
            true
        }
        Ok(ConfigChange::Delete {
            account,
            key: ConfigKey::Integration(id),
        }) => {
            if let Ok(mut c) = creds.write() {
                c.remove(&account, &id);
            }
            true
        }
        Ok(_) => false,
        Err(e) => {
            // the previous valid record stays in force, as in the service
            tracing::warn!(error = %e, "invalid integration record in the config topic ignored");
            false
        }
    }
}

/// Start the reader; `caught_up` is raised once the start-up end offsets are reached.
pub fn spawn(
    s: &RelaySettings,
    creds: Arc<RwLock<Credentials>>,
    caught_up: Arc<AtomicBool>,
    metrics: Arc<RelayMetrics>,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>> {
    let ks = s.kafka_settings();
    let brokers = s.brokers.clone();
    let topic = s.config_topic.clone();
    let c: BaseConsumer = crate::kafka::client::config_consumer(&ks, &brokers)
        .create()
        .context("cannot create the config consumer; check the [kafka] properties")?;
    let n = partitions(&c, &topic)?;
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for p in 0..n {
        tpl.add_partition_offset(&topic, p, Offset::Beginning)?;
        let (low, high) = watermarks(&c, &topic, p)?;
        if high > low {
            ends.insert(p, high);
        }
    }
    c.assign(&tpl)
        .with_context(|| format!("cannot read {topic}"))?;
    let handle = std::thread::Builder::new()
        .name("rta-relay-config".into())
        .spawn(move || {
            let mut read = 0u64;
            while !stop.load(Ordering::Acquire) {
                match c.poll(Duration::from_millis(100)) {
                    Some(Ok(m)) => {
                        read += 1;
                        if apply(&creds, m.key(), m.payload()) {
                            let n = creds.read().map(|c| c.len()).unwrap_or(0);
                            metrics.integrations.set(n as i64);
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error = %e, "config topic read error"),
                    None => {}
                }
                if !ends.is_empty() {
                    if let Ok(pos) = c.position() {
                        ends.retain(|p, high| {
                            !matches!(
                                pos.find_partition(&topic, *p).map(|e| e.offset()),
                                Some(Offset::Offset(o)) if o >= *high
                            )
                        });
                    }
                }
                if ends.is_empty() && !caught_up.load(Ordering::Acquire) {
                    caught_up.store(true, Ordering::Release);
                    metrics.config_caught_up.set(1);
                    let n = creds.read().map(|c| c.len()).unwrap_or(0);
                    tracing::info!(records = read, integrations = n, "config topic caught up");
                }
            }
        })
        .context("cannot start the config reader thread")?;
    Ok(handle)
}
