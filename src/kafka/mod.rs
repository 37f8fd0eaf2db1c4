//! The Kafka transport of `rta run`: read `rta.config` as a global table (caught up before any
//! event is processed), consume `rta.agent-events` as a consumer group, run the processing
//! core, publish every output with an idempotent pipelined producer, and commit input offsets
//! only once their outputs are acknowledged.
//!
//! Everything runs on one worker thread (the engine is single-threaded by design; librdkafka
//! does its network I/O on threads of its own). Rebalance callbacks run inside the worker's
//! poll, so they see the worker's state between two records.

pub mod acks;
pub mod client;
pub mod group;
pub mod topics;

use crate::engine::{ClockMode, EngineOptions, Origin};
use crate::metrics::Metrics;
use crate::service::{wall_clock_ms, LiveViews, Ownership, Processor};
use crate::settings::{ClockSetting, Settings};
use acks::{AckContext, Tracker};
use anyhow::{bail, Context, Result};
use group::{Assigned, GroupContext, GroupEvent};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Most input records in one batch.
const BATCH_RECORDS: usize = 5_000;
/// How often config changes are picked up and liveness is reported.
const HOUSEKEEPING: Duration = Duration::from_millis(10);
/// Longest a batch stays open.
const BATCH_AGE: Duration = Duration::from_millis(5);

/// A partition rebuilding its accounts from retained input.
#[derive(Debug, Clone, Copy)]
struct Rebuild {
    replay_until: i64,
}

/// Run the service until `stop` is raised; returns an error only for start-up problems and
/// for outputs the broker refused (then nothing more is committed).
pub fn run(
    s: &Settings,
    brokers: &str,
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    stop: &AtomicBool,
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the admin runtime")?;
    rt.block_on(topics::ensure(s, brokers))?;

    let producer: Arc<ThreadedProducer<AckContext>> = Arc::new(
        client::producer(s, brokers)
            .create_with_context(AckContext {
                metrics: metrics.clone(),
                last_error: Mutex::new(None),
            })
            .context("cannot create the Kafka producer; check the [kafka] properties")?,
    );

    let opts = EngineOptions {
        clock: match s.clock {
            ClockSetting::Wall => ClockMode::External,
            ClockSetting::EventTime => ClockMode::EventTime,
        },
        retention: s.retention,
        lateness: s.lateness,
        future_tolerance: s.future_tolerance,
        ..EngineOptions::default()
    };
    let ownership = Ownership::Partitions {
        count: 1,
        assigned: Default::default(),
        partitioner: s.partitioner,
    };
    let mut proc = Processor::new(opts, ownership, views.clone(), metrics.clone());
    if s.clock == ClockSetting::Wall {
        proc.advance_clock(wall_clock_ms());
    }

    // 1. The config table, caught up to its end offsets.
    let Some(config_consumer) = catch_up_config(s, brokers, &mut proc, stop)? else {
        tracing::info!("stopped while catching up on the config topic");
        return Ok(());
    };
    proc.outputs.clear(); // nothing is owned yet
    views.config_caught_up.store(true, Ordering::Release);
    metrics.config_caught_up.set(1);

    // 2. The event stream, as a group.
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let ctx = GroupContext {
        topic: s.topics.agent_events.clone(),
        retention: s.retention,
        metrics: metrics.clone(),
        tracker: tracker.clone(),
        producer: OnceLock::new(),
        events: Mutex::new(Vec::new()),
        fatal: Mutex::new(None),
    };
    let _ = ctx.producer.set(producer.clone());
    let consumer: BaseConsumer<GroupContext> = client::events_consumer(s, brokers)
        .create_with_context(ctx)
        .context("cannot create the Kafka consumer; check the [kafka] properties")?;
    consumer
        .subscribe(&[&s.topics.agent_events])
        .with_context(|| format!("cannot subscribe to {}", s.topics.agent_events))?;
    let partition_count = partition_count(&consumer, &s.topics.agent_events)?;
    tracing::info!(
        topic = %s.topics.agent_events,
        group = %s.group_id,
        partitions = partition_count,
        "consuming agent events"
    );

    let mut w = Worker {
        s,
        proc,
        producer,
        tracker,
        consumer: Arc::new(consumer),
        config_consumer,
        rebuilds: BTreeMap::new(),
        stop,
        partition_count,
        assigned_once: false,
        views,
        metrics,
    };
    let result = w.run_loop(stop);
    let shutdown = w.shutdown(result.is_ok());
    result.and(shutdown)
}

/// Partitions of the events topic (for account ownership).
fn partition_count<C: rdkafka::consumer::ConsumerContext>(
    c: &BaseConsumer<C>,
    topic: &str,
) -> Result<i32> {
    let md = c
        .fetch_metadata(Some(topic), TIMEOUT)
        .with_context(|| format!("cannot read the metadata of {topic}"))?;
    let n = md
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .map(|t| t.partitions().len() as i32)
        .unwrap_or(0);
    if n == 0 {
        bail!("topic {topic} has no partitions; create it or set create_topics = true");
    }
    Ok(n)
}

/// Read every partition of the config topic from the beginning up to its end offsets at start.
/// `None`: stopped (SIGTERM) before the end.
fn catch_up_config(
    s: &Settings,
    brokers: &str,
    proc: &mut Processor,
    stop: &AtomicBool,
) -> Result<Option<BaseConsumer>> {
    let span = tracing::info_span!("config_catch_up", topic = %s.topics.config);
    let _g = span.enter();
    let c: BaseConsumer = client::config_consumer(s, brokers)
        .create()
        .context("cannot create the config consumer; check the [kafka] properties")?;
    let n = partition_count(&c, &s.topics.config)?;
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
    while !ends.is_empty() {
        if stop.load(Ordering::Acquire) {
            return Ok(None);
        }
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                read += 1;
                apply_config(proc, &m);
            }
            Some(Err(e)) => tracing::warn!(error = %e, "config topic read error"),
            None => {}
        }
        // the position passes transaction markers and deleted ranges; message offsets do not
        if let Ok(pos) = c.position() {
            ends.retain(|p, high| {
                !matches!(
                    pos.find_partition(&s.topics.config, *p).map(|e| e.offset()),
                    Some(Offset::Offset(o)) if o >= *high
                )
            });
        }
        if last_log.elapsed() > Duration::from_secs(2) {
            tracing::info!(read, end_offsets = total, "config catch-up progress");
            last_log = Instant::now();
        }
    }
    tracing::info!(
        records = read,
        keys = proc.config_records(),
        seconds = started.elapsed().as_secs_f64(),
        "config topic caught up"
    );
    Ok(Some(c))
}

fn apply_config<M: Message>(proc: &mut Processor, m: &M) {
    proc.metrics
        .records_consumed
        .with_label_values(&[m.topic()])
        .inc();
    let origin = Origin {
        topic: m.topic(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key(),
        payload: m.payload(),
    };
    proc.on_config(&origin);
}

struct Worker<'a> {
    s: &'a Settings,
    proc: Processor,
    producer: Arc<ThreadedProducer<AckContext>>,
    tracker: Arc<Mutex<Tracker>>,
    consumer: Arc<BaseConsumer<GroupContext>>,
    config_consumer: BaseConsumer,
    rebuilds: BTreeMap<i32, Rebuild>,
    stop: &'a AtomicBool,
    partition_count: i32,
    assigned_once: bool,
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
}

impl Worker<'_> {
    fn run_loop(&mut self, stop: &AtomicBool) -> Result<()> {
        let tick = Duration::from_millis(self.s.tick as u64);
        let commit_every = Duration::from_millis(self.s.commit_interval as u64);
        let mut last_tick = Instant::now();
        let mut last_commit = Instant::now();
        let mut batch_started = Instant::now();
        let mut batch_records = 0usize;
        let events_topic = self.s.topics.agent_events.clone();
        let consumer = self.consumer.clone();
        let consumed = self
            .metrics
            .records_consumed
            .with_label_values(&[&events_topic]);
        let mut last_housekeeping = Instant::now() - HOUSEKEEPING;
        while !stop.load(Ordering::Acquire) {
            // events
            let polled = consumer.poll(Duration::from_millis(50));
            for e in consumer.context().take_events() {
                self.on_group_event(e);
            }
            if let Some(why) = consumer.context().fatal() {
                bail!("{why}");
            }
            // one clock read per turn: the receive time and every periodic duty
            let now = Instant::now();
            match polled {
                Some(Ok(m)) => {
                    consumed.inc();
                    self.on_event(&m, &events_topic, now);
                    batch_records += 1;
                }
                Some(Err(e)) => tracing::warn!(error = %e, "agent-events read error"),
                None => {}
            }
            if batch_records >= BATCH_RECORDS || now.duration_since(batch_started) >= BATCH_AGE {
                self.seal_batch();
                batch_records = 0;
                batch_started = now;
            }
            if now.duration_since(last_housekeeping) >= HOUSEKEEPING {
                self.views.beat();
                // config changes, as they come
                while let Some(r) = self.config_consumer.poll(Duration::ZERO) {
                    match r {
                        Ok(m) => apply_config(&mut self.proc, &m),
                        Err(e) => tracing::warn!(error = %e, "config topic read error"),
                    }
                }
                self.send_outputs();
                last_housekeeping = now;
            }
            if now.duration_since(last_tick) >= tick {
                self.on_tick();
                last_tick = now;
            }
            if now.duration_since(last_commit) >= commit_every {
                self.seal_batch();
                self.commit(CommitMode::Async)?;
                last_commit = now;
            }
        }
        Ok(())
    }

    fn on_event<M: Message>(&mut self, m: &M, topic: &str, received: Instant) {
        let p = m.partition();
        let o = m.offset();
        // a rebuild whose replayed range is behind us ends before this record
        if self.rebuilds.get(&p).is_some_and(|r| o >= r.replay_until) {
            self.end_rebuild(p);
        }
        let rebuild = self.rebuilds.get(&p).copied();
        let replay = rebuild.is_some_and(|r| o < r.replay_until);
        let integration = m.headers().and_then(|h| {
            h.iter()
                .find(|h| h.key == crate::cli::process::INTEGRATION_HEADER)
                .and_then(|h| h.value)
                .and_then(|v| std::str::from_utf8(v).ok())
        });
        let origin = Origin {
            topic,
            partition: p,
            offset: o,
            key: m.key(),
            payload: m.payload(),
        };
        self.proc
            .on_event(&origin, integration, replay, rebuild.is_some());
        let event_time = (!replay)
            .then_some(self.proc.engine.last_event_time)
            .flatten();
        if let Ok(mut t) = self.tracker.lock() {
            t.consumed(p, o, received, event_time);
        }
        if rebuild.is_some_and(|r| o + 1 >= r.replay_until) {
            self.end_rebuild(p);
        }
        self.send_outputs();
    }

    fn end_rebuild(&mut self, p: i32) {
        if self.rebuilds.remove(&p).is_some() {
            self.proc.end_rebuild(p);
            tracing::info!(partition = p, "partition rebuilt; live");
            self.update_readiness();
        }
    }

    fn on_group_event(&mut self, e: GroupEvent) {
        match e {
            GroupEvent::Assigned(parts) => {
                self.assigned_once = true;
                if let Ok(n) = partition_count(&self.consumer, &self.s.topics.agent_events) {
                    self.partition_count = n;
                }
                let (live, rebuilding): (Vec<&Assigned>, Vec<&Assigned>) = parts
                    .iter()
                    .partition(|a| a.replay_until.is_none_or(|u| u <= a.start));
                let rebuild_ids: Vec<i32> = rebuilding.iter().map(|a| a.partition).collect();
                for a in &rebuilding {
                    if let Some(u) = a.replay_until {
                        self.rebuilds
                            .insert(a.partition, Rebuild { replay_until: u });
                    }
                }
                let live_ids: Vec<i32> = live.iter().map(|a| a.partition).collect();
                self.proc.assign(self.partition_count, &live_ids, false);
                self.proc.assign(self.partition_count, &rebuild_ids, true);
                // accounts materialized from config get their timers fired at once
                if self.s.clock == ClockSetting::Wall {
                    self.proc.advance_clock(wall_clock_ms());
                }
                self.send_outputs();
                self.update_readiness();
            }
            GroupEvent::Revoked(parts) => {
                for p in &parts {
                    self.rebuilds.remove(p);
                }
                self.proc.revoke(&parts);
                self.update_readiness();
            }
        }
    }

    fn update_readiness(&self) {
        let ready = self.assigned_once && self.rebuilds.is_empty();
        self.views.partitions_ready.store(ready, Ordering::Release);
        self.metrics
            .restoring_partitions
            .set(self.rebuilds.len() as i64);
    }

    fn on_tick(&mut self) {
        if self.s.clock == ClockSetting::Wall {
            self.proc.advance_clock(wall_clock_ms());
            self.send_outputs();
        }
        // rebuilds whose partition holds nothing more to replay
        if !self.rebuilds.is_empty() {
            if let Ok(pos) = self.consumer.position() {
                let done: Vec<i32> = self
                    .rebuilds
                    .iter()
                    .filter(|(p, r)| {
                        pos.find_partition(&self.s.topics.agent_events, **p)
                            .is_some_and(
                                |e| matches!(e.offset(), Offset::Offset(o) if o >= r.replay_until),
                            )
                    })
                    .map(|(p, _)| *p)
                    .collect();
                for p in done {
                    self.end_rebuild(p);
                }
                self.send_outputs();
            }
        }
        self.metrics
            .producer_queue
            .set(self.producer.in_flight_count() as i64);
        self.proc.refresh_summaries();
    }

    /// Hand pending outputs to the producer, tagged with the open batch. A full queue waits
    /// (backpressure) instead of dropping.
    fn send_outputs(&mut self) {
        if self.proc.outputs.is_empty() {
            return;
        }
        self.proc.note_outputs();
        let batch = match self.tracker.lock() {
            Ok(t) => t.current().clone(),
            Err(_) => return,
        };
        for o in self.proc.outputs.iter() {
            let topic = self.s.topics.output(o.topic);
            batch.add();
            let mut rec: BaseRecord<'_, str, [u8], Arc<acks::Batch>> =
                BaseRecord::with_opaque_to(topic, batch.clone());
            if let Some(k) = o.key {
                rec = rec.key(k);
            }
            if let Some(v) = o.value {
                rec = rec.payload(v);
            }
            loop {
                match self.producer.send(rec) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        // backpressure: wait for the broker, but not past a shutdown request
                        // (the record's input then stays uncommitted)
                        if self.stop.load(Ordering::Acquire) {
                            back.delivery_opaque.done(false);
                            break;
                        }
                        self.views.beat();
                        rec = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, back)) => {
                        tracing::error!(error = %e, topic, "cannot send an output record");
                        self.metrics.delivery_failures.inc();
                        back.delivery_opaque.done(false);
                        break;
                    }
                }
            }
        }
        self.proc.outputs.clear();
    }

    fn seal_batch(&mut self) {
        if let Ok(mut t) = self.tracker.lock() {
            t.seal();
        }
    }

    /// Commit the acknowledged offsets.
    fn commit(&mut self, mode: CommitMode) -> Result<()> {
        let offsets = {
            let Ok(mut t) = self.tracker.lock() else {
                return Ok(());
            };
            if t.settle(&self.metrics, wall_clock_ms()).is_err() {
                let detail = self
                    .producer
                    .context()
                    .last_error
                    .lock()
                    .ok()
                    .and_then(|e| e.clone())
                    .unwrap_or_default();
                bail!("the broker did not acknowledge output records ({detail}); stopped without committing them, their inputs will be consumed again on restart");
            }
            t.to_commit(None)
        };
        if offsets.is_empty() {
            return Ok(());
        }
        let span = tracing::debug_span!("commit", records = offsets.len());
        let _g = span.enter();
        let mut tpl = TopicPartitionList::new();
        for (p, o) in &offsets {
            tpl.add_partition_offset(&self.s.topics.agent_events, *p, Offset::Offset(*o))?;
        }
        match self.consumer.commit(&tpl, mode) {
            Ok(()) => {
                self.metrics.commits.with_label_values(&["ok"]).inc();
                // async commits are marked done by the commit callback, when they are
                if matches!(mode, CommitMode::Sync) {
                    if let Ok(mut t) = self.tracker.lock() {
                        t.mark_committed(&offsets);
                    }
                }
                if matches!(mode, CommitMode::Sync) {
                    tracing::info!(offsets = ?offsets, "offsets committed");
                }
            }
            Err(e) => {
                self.metrics.commits.with_label_values(&["failed"]).inc();
                tracing::warn!(error = %e, "offset commit failed (retried with the next commit)");
            }
        }
        Ok(())
    }

    /// Stop fetching, flush outputs in flight, commit what they acknowledged. An error when
    /// outputs could not all be delivered (their inputs stay uncommitted).
    fn shutdown(&mut self, commit: bool) -> Result<()> {
        let span = tracing::info_span!("shutdown");
        let _g = span.enter();
        // stop fetching, but keep the partitions: the final commit still needs them
        if let Ok(assigned) = self.consumer.assignment() {
            let _ = self.consumer.pause(&assigned);
        }
        self.send_outputs();
        self.seal_batch();
        let flushed = self.producer.flush(TIMEOUT);
        let mut result = Ok(());
        if let Err(e) = &flushed {
            result = Err(anyhow::anyhow!(
                "outputs still in flight after {} s at shutdown ({e}); their inputs stay uncommitted and will be consumed again on restart",
                TIMEOUT.as_secs()
            ));
        }
        if commit {
            if let Err(e) = self.commit(CommitMode::Sync) {
                result = Err(e);
            }
        }
        self.consumer.unsubscribe();
        tracing::info!("stopped");
        result
    }
}
