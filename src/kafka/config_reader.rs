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
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Catch-up records checked together (see [`read_to_ends`]).
const CATCH_UP_BATCH: usize = 4096;

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
    let Some(read) = read_to_ends(&c, s, feed, metrics, stop, &mut ends, total) else {
        return Ok(None);
    };
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

/// Each record of a batch, checked.
type Changes = Vec<Result<ConfigChange, ConfigError>>;
/// A batch of catch-up records, its number, and each record checked.
type Checked = (u64, Vec<OwnedMessage>, Changes);

/// The catch-up loop: records are read here, in batches of [`CATCH_UP_BATCH`]; each batch is
/// parsed and validated on one of `workers` checker threads (the worker threads have not
/// started yet, and checking is most of a start's config cost) while the next is read; the
/// batches are applied to the table here, in order. `None`: stopped.
fn read_to_ends(
    c: &BaseConsumer,
    s: &Settings,
    feed: &ConfigFeed,
    metrics: &Metrics,
    stop: &AtomicBool,
    ends: &mut BTreeMap<i32, i64>,
    total: i64,
) -> Option<u64> {
    let threads = s.workers.max(1);
    let (to_check, jobs) = mpsc::channel::<(u64, Vec<OwnedMessage>)>();
    let jobs = &Mutex::new(jobs);
    // `to_check` moves in: dropped when the loop returns, which ends the checkers
    std::thread::scope(move |scope| {
        let (checked_tx, checked) = mpsc::channel::<Checked>();
        let mut checkers = 0;
        for i in 0..threads {
            let checked_tx = checked_tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("rta-config-check-{i}"))
                .spawn_scoped(scope, move || loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((n, batch)) = job else { return };
                    let done = batch.iter().map(|m| feed.check(&origin_of(m))).collect();
                    if checked_tx.send((n, batch, done)).is_err() {
                        return;
                    }
                });
            checkers += spawned.is_ok() as usize;
        }
        drop(checked_tx);
        let mut order = InOrder::default();
        let mut batch: Vec<OwnedMessage> = Vec::with_capacity(CATCH_UP_BATCH);
        let mut last_log = Instant::now();
        let mut read = 0u64;
        let flush = |batch: &mut Vec<OwnedMessage>, order: &mut InOrder, wait_all: bool| {
            if !batch.is_empty() {
                let b = std::mem::replace(batch, Vec::with_capacity(CATCH_UP_BATCH));
                // no checker thread (none could be spawned, or all are gone): checked here
                let job = match checkers {
                    0 => Err(mpsc::SendError((order.sent, b))),
                    _ => to_check.send((order.sent, b)),
                };
                if let Err(mpsc::SendError((n, b))) = job {
                    let done = b.iter().map(|m| feed.check(&origin_of(m))).collect();
                    order.add((n, b, done));
                }
                order.sent += 1;
            }
            while let Ok(r) = checked.try_recv() {
                order.add(r);
            }
            // at most two batches per checker in flight: memory stays bounded
            while order.in_flight() > 2 * checkers as u64 || (wait_all && order.in_flight() > 0) {
                match checked.recv() {
                    Ok(r) => order.add(r),
                    Err(_) => break,
                }
            }
            order.apply(feed, metrics);
        };
        while !ends.is_empty() {
            if stop.load(Ordering::Acquire) {
                return None;
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
            if batch.len() >= CATCH_UP_BATCH {
                flush(&mut batch, &mut order, false);
            }
            // the position passes transaction markers and deleted ranges; message offsets do
            // not. Asked at a partition's last record, when the queue ran dry, and every 1,024
            // records (not per record: it copies the assignment each time)
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
        flush(&mut batch, &mut order, true);
        Some(read)
    })
}

/// Checked batches applied in the order they were read.
#[derive(Default)]
struct InOrder {
    /// Batches handed out so far.
    sent: u64,
    /// The next batch to apply.
    next: u64,
    waiting: BTreeMap<u64, (Vec<OwnedMessage>, Changes)>,
}

impl InOrder {
    fn add(&mut self, (n, batch, checked): Checked) {
        self.waiting.insert(n, (batch, checked));
    }

    fn in_flight(&self) -> u64 {
        self.sent - self.next - self.waiting.len() as u64
    }

    fn apply(&mut self, feed: &ConfigFeed, metrics: &Metrics) {
        while let Some((batch, checked)) = self.waiting.remove(&self.next) {
            if let Some(first) = batch.first() {
                metrics
                    .records_consumed
                    .with_label_values(&[first.topic()])
                    .inc_by(batch.len() as u64);
            }
            for (m, change) in batch.iter().zip(checked) {
                feed.apply_checked(&origin_of(m), change, true);
            }
            self.next += 1;
        }
    }
}
