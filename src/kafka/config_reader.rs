//! The config topic as a global table: every partition read from the beginning up to the end
//! offsets taken at start (before any event is processed; in parallel lanes of offset ranges,
//! laid over each other in order), then followed live — once per instance, feeding every
//! worker thread ([`ConfigFeed`]).

use super::client;
use super::partition_count;
use crate::engine::Origin;
use crate::metrics::Metrics;
use crate::service::config_feed::ConfigFeed;
use crate::service::config_table::{ConfigTable, TablePart};
use crate::settings::Settings;
use anyhow::{Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Read every partition of the config topic from the beginning up to its end offsets at start,
/// in [`lanes`] read in parallel, then return a consumer positioned at those ends to follow
/// the topic. `None`: stopped (SIGTERM) before the end.
pub fn catch_up_config(
    s: &Settings,
    brokers: &str,
    feed: &ConfigFeed,
    metrics: &Metrics,
    stop: &AtomicBool,
) -> Result<Option<BaseConsumer>> {
    let topic = &s.topics.config;
    let span = tracing::info_span!("config_catch_up", topic = %topic);
    let _g = span.enter();
    let c: BaseConsumer = client::config_consumer(s, brokers)
        .create()
        .context("cannot create the config consumer; check the [kafka] properties")?;
    let n = partition_count(c.client(), topic)?;
    let mut marks = Vec::new();
    for p in 0..n {
        let (low, high) = c
            .fetch_watermarks(topic, p, TIMEOUT)
            .with_context(|| format!("cannot read the end offsets of {topic}"))?;
        marks.push(Range {
            partition: p,
            from: low,
            to: high,
        });
    }
    let total: i64 = marks.iter().map(|r| r.to - r.from).sum();
    let lanes = lanes(&marks, s.workers.max(1));
    tracing::info!(
        end_offsets = total,
        lanes = lanes.len(),
        "catching up on the config topic"
    );
    let started = Instant::now();
    let Some((parts, read)) = read_lanes(s, brokers, feed, metrics, stop, &lanes, total)? else {
        return Ok(None);
    };
    let mut table = ConfigTable::default();
    for part in parts {
        table.overlay(part);
    }
    feed.install(table);
    // followed from where the lanes ended: a record written since is applied as it comes
    let mut tpl = TopicPartitionList::new();
    for r in &marks {
        tpl.add_partition_offset(topic, r.partition, Offset::Offset(r.to))?;
    }
    c.assign(&tpl)
        .with_context(|| format!("cannot read {topic}"))?;
    tracing::info!(
        records = read,
        keys = feed.records(),
        seconds = started.elapsed().as_secs_f64(),
        "config topic caught up"
    );
    Ok(Some(c))
}

/// Offsets `from..to` of one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Range {
    partition: i32,
    from: i64,
    to: i64,
}

/// The catch-up split into at most `n` lanes read in parallel, each its own consumer (its own
/// fetches: one consumer's fetch round trips left both cores half idle) and thread: lane `i`
/// reads the `i`th of `n` equal offset ranges of every partition into a [`TablePart`]. Every
/// record of a key is in one partition, so laying the lanes' parts over each other in lane
/// order gives the table of the whole log. Lanes without a range are left out.
fn lanes(marks: &[Range], n: usize) -> Vec<Vec<Range>> {
    let n = n.max(1) as i64;
    (0..n)
        .map(|i| {
            marks
                .iter()
                .filter_map(|m| {
                    let len = m.to - m.from;
                    let r = Range {
                        partition: m.partition,
                        from: m.from + len * i / n,
                        to: m.from + len * (i + 1) / n,
                    };
                    (r.to > r.from).then_some(r)
                })
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// Read every lane on a thread of its own; their parts in lane order and the records read.
/// `None`: stopped.
fn read_lanes(
    s: &Settings,
    brokers: &str,
    feed: &ConfigFeed,
    metrics: &Metrics,
    stop: &AtomicBool,
    lanes: &[Vec<Range>],
    total: i64,
) -> Result<Option<(Vec<TablePart>, u64)>> {
    let read = &AtomicU64::new(0);
    std::thread::scope(|scope| {
        let mut running = Vec::new();
        for (i, ranges) in lanes.iter().enumerate() {
            let spawned = std::thread::Builder::new()
                .name(format!("rta-config-lane-{i}"))
                .spawn_scoped(scope, move || read_lane(s, brokers, feed, stop, ranges, read))
                .with_context(|| format!("cannot start config catch-up thread {i}"))?;
            running.push(spawned);
        }
        let mut last_log = Instant::now();
        while !running.iter().all(|t| t.is_finished()) {
            std::thread::sleep(Duration::from_millis(20));
            if last_log.elapsed() > Duration::from_secs(2) {
                let read = read.load(Ordering::Relaxed);
                tracing::info!(read, end_offsets = total, "config catch-up progress");
                last_log = Instant::now();
            }
        }
        let mut parts = Vec::with_capacity(running.len());
        for t in running {
            match t.join() {
                Ok(Ok(Some(part))) => parts.push(part),
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(e)) => return Err(e),
                Err(_) => anyhow::bail!("a config catch-up thread panicked"),
            }
        }
        let read = read.load(Ordering::Relaxed);
        metrics
            .records_consumed
            .with_label_values(&[s.topics.config.as_str()])
            .inc_by(read);
        Ok(Some((parts, read)))
    })
}

/// One lane: its ranges read to their ends, each record checked ([`ConfigFeed::check`]) and
/// applied to the lane's part; an invalid one is queued for whichever worker takes its
/// account over. `None`: stopped.
fn read_lane(
    s: &Settings,
    brokers: &str,
    feed: &ConfigFeed,
    stop: &AtomicBool,
    ranges: &[Range],
    read: &AtomicU64,
) -> Result<Option<TablePart>> {
    let topic = &s.topics.config;
    let c: BaseConsumer = client::config_consumer(s, brokers)
        .create()
        .context("cannot create the config consumer; check the [kafka] properties")?;
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for r in ranges {
        tpl.add_partition_offset(topic, r.partition, Offset::Offset(r.from))?;
        ends.insert(r.partition, r.to);
    }
    c.assign(&tpl)
        .with_context(|| format!("cannot read {topic}"))?;
    let mut part = TablePart::default();
    let mut n = 0u64;
    while !ends.is_empty() {
        if stop.load(Ordering::Acquire) {
            return Ok(None);
        }
        let mut counted = false;
        let check = match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => match ends.get(&m.partition()) {
                Some(&to) if m.offset() < to => {
                    n += 1;
                    counted = true;
                    match feed.check(&origin_of(&m)) {
                        Ok(change) => part.apply(&change),
                        Err(e) => feed.apply_checked(&origin_of(&m), Err(e), true),
                    }
                    // the range's last record: ask now rather than after an idle poll
                    m.offset() + 1 >= to
                }
                // past the range (the next lane's) or a partition already done
                _ => true,
            },
            Some(Err(e)) => {
                tracing::warn!(error = %e, "config topic read error");
                true
            }
            None => true,
        };
        let thousand = counted && n.is_multiple_of(1024);
        if thousand {
            read.fetch_add(1024, Ordering::Relaxed);
        }
        // the position passes transaction markers and deleted ranges; message offsets do
        // not. Asked at a range's last record, when the queue ran dry, and every 1,024
        // records (not per record: it copies the assignment each time)
        if check || thousand {
            if let Ok(pos) = c.position() {
                let done: Vec<i32> = ends
                    .iter()
                    .filter(|(p, to)| {
                        matches!(
                            pos.find_partition(topic, **p).map(|e| e.offset()),
                            Some(Offset::Offset(o)) if o >= **to
                        )
                    })
                    .map(|(p, _)| *p)
                    .collect();
                for p in done {
                    ends.remove(&p);
                    // fetching on would read the next lane's range
                    let mut one = TopicPartitionList::new();
                    if one.add_partition_offset(topic, p, Offset::Invalid).is_ok() {
                        let _ = c.pause(&one);
                    }
                }
            }
        }
    }
    read.fetch_add(n % 1024, Ordering::Relaxed);
    Ok(Some(part))
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
