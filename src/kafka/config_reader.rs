//! The config topic as a global table: every partition read from the beginning up to the end
//! offsets taken at start (before any event is processed), then followed live — once per
//! instance, feeding every worker thread ([`ConfigFeed`]).

use super::client;
use super::partition_count;
use crate::config::{ConfigChange, ConfigError};
use crate::engine::Origin;
use crate::metrics::Metrics;
use crate::service::config_feed::ConfigFeed;
use crate::settings::Settings;
use anyhow::{Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Catch-up records checked together (see [`apply_batch`]).
const CATCH_UP_BATCH: usize = 8192;
/// Fewer records than this per thread are checked on the reader's thread alone.
const PARALLEL_MIN: usize = 256;

/// Read every partition of the config topic from the beginning up to its end offsets at start.
/// `None`: stopped (SIGTERM) before the end.
pub fn catch_up_config(
    s: &Settings,
    brokers: &str,
    feed: &ConfigFeed,
    metrics: &Metrics,
    stop: &AtomicBool,
) -> Result<Option<BaseConsumer>> {
    let span = tracing::info_span!("config_catch_up", topic = %s.topics.config);
    let _g = span.enter();
    let c: BaseConsumer = client::config_consumer(s, brokers)
        .create()
        .context("cannot create the config consumer; check the [kafka] properties")?;
    let n = partition_count(c.client(), &s.topics.config)?;
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for p in 0..n {
        tpl.add_partition_offset(&s.topics.config, p, Offset::Beginning)?;
        let (low, high) = c
            .fetch_watermarks(&s.topics.config, p, TIMEOUT)
            .with_context(|| format!("cannot read the end offsets of {}", s.topics.config))?;
        if high > low {
            ends.insert(p, high);
        }
    }
    c.assign(&tpl)
        .with_context(|| format!("cannot read {}", s.topics.config))?;
    let total: i64 = ends.values().sum();
    tracing::info!(end_offsets = total, "catching up on the config topic");
    let started = Instant::now();
    let mut last_log = Instant::now();
    let mut read = 0u64;
    let threads = s.workers.max(1);
    let mut batch: Vec<OwnedMessage> = Vec::with_capacity(CATCH_UP_BATCH);
    while !ends.is_empty() {
        if stop.load(Ordering::Acquire) {
            return Ok(None);
        }
        let check = match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                read += 1;
                // the last record before the end: ask now rather than after an idle poll
                let last = ends
                    .get(&m.partition())
                    .is_some_and(|h| m.offset() + 1 >= *h);
                batch.push(m.detach());
                last
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "config topic read error");
                true
            }
            None => true,
        };
        if check || batch.len() >= CATCH_UP_BATCH {
            apply_batch(feed, metrics, &mut batch, threads);
        }
        // the position passes transaction markers and deleted ranges; message offsets do not.
        // Asked at a partition's last record, when the queue ran dry, and every 1,024 records
        // (not per record: it copies the assignment each time)
        if check || read.is_multiple_of(1024) {
            if let Ok(pos) = c.position() {
                ends.retain(|p, high| {
                    !matches!(
                        pos.find_partition(&s.topics.config, *p).map(|e| e.offset()),
                        Some(Offset::Offset(o)) if o >= *high
                    )
                });
            }
        }
        if last_log.elapsed() > Duration::from_secs(2) {
            tracing::info!(read, end_offsets = total, "config catch-up progress");
            last_log = Instant::now();
        }
    }
    apply_batch(feed, metrics, &mut batch, threads);
    tracing::info!(
        records = read,
        keys = feed.records(),
        seconds = started.elapsed().as_secs_f64(),
        "config topic caught up"
    );
    Ok(Some(c))
}

/// Follow the config topic after the catch-up until `stop`, feeding every worker.
pub fn follow(
    c: &BaseConsumer,
    feed: &ConfigFeed,
    metrics: &Metrics,
    health: &super::health::BrokerHealth,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Acquire) {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => apply_config(feed, metrics, &m, false),
            Some(Err(e)) => {
                health.warn_throttled("config reader", &e.to_string(), "config topic read error")
            }
            None => {}
        }
    }
}

fn apply_config<M: Message>(feed: &ConfigFeed, metrics: &Metrics, m: &M, catching_up: bool) {
    metrics
        .records_consumed
        .with_label_values(&[m.topic()])
        .inc();
    feed.apply(&origin_of(m), catching_up);
}

fn origin_of<M: Message>(m: &M) -> Origin<'_> {
    Origin {
        topic: m.topic(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key(),
        payload: m.payload(),
    }
}

/// Catch-up records checked together: a batch is parsed and validated on `threads` threads
/// (the worker threads have not started yet; this is most of a start's config cost), then
/// applied to the table in order.
fn apply_batch(
    feed: &ConfigFeed,
    metrics: &Metrics,
    batch: &mut Vec<OwnedMessage>,
    threads: usize,
) {
    let Some(first) = batch.first() else {
        return;
    };
    metrics
        .records_consumed
        .with_label_values(&[first.topic()])
        .inc_by(batch.len() as u64);
    let per = batch.len().div_ceil(threads.max(1)).max(1);
    let checked: Vec<Result<ConfigChange, ConfigError>> =
        if threads <= 1 || batch.len() < 2 * PARALLEL_MIN {
            batch.iter().map(|m| feed.check(&origin_of(m))).collect()
        } else {
            std::thread::scope(|scope| {
                let parts: Vec<_> = batch
                    .chunks(per)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter()
                                .map(|m| feed.check(&origin_of(m)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
    if checked.len() == batch.len() {
        for (m, change) in batch.iter().zip(checked) {
            feed.apply_checked(&origin_of(m), change, true);
        }
    } else {
        // a checking thread panicked: check again here, one by one
        for m in batch.iter() {
            feed.apply(&origin_of(m), true);
        }
    }
    batch.clear();
}
