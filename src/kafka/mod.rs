//! The Kafka transport of `rta run`: read `rta.config` as a global table (caught up before any
//! event is processed), consume `rta.agent-events` as a consumer group, run the processing
//! core, and publish every output with an idempotent pipelined producer — committing input
//! offsets only once their outputs are acknowledged (at-least-once), or committing outputs and
//! offsets in one transaction (exactly-once).
//!
//! `workers` worker threads each run a shard: a member of the consumer group with an engine of
//! its own (accounts share nothing), its own producer (and transactional.id) and changelog
//! store; the group spreads the partitions over the members, and a rebalance moves a partition
//! between workers as between instances (restored from the changelog). One config reader
//! thread keeps the config table for all of them; the HTTP views and the metrics are shared. librdkafka does its network I/O on threads of its
//! own; rebalance callbacks run inside a worker's poll, so they see that worker's state
//! between two records.

pub mod acks;
pub mod assignment;
pub mod changelog;
pub mod client;
pub mod config_reader;
pub mod group;
pub mod health;
pub mod preflight;
pub mod sources;
pub mod store;
pub mod tables;
pub mod topics;
pub mod txn;
pub mod worker;

use crate::engine::{ClockMode, EngineOptions};
use crate::metrics::Metrics;
use crate::service::config_feed::ConfigFeed;
use crate::service::{wall_clock_ms, LiveViews, Ownership, Processor};
use crate::settings::{ClockSetting, Guarantee, Settings};
use acks::{AckContext, Tracker};
use anyhow::{bail, Context, Result};
use group::GroupContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::ThreadedProducer;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use worker::Worker;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Run the service until `stop` is raised; returns an error only for start-up problems and
/// for outputs the broker refused (then nothing more is committed).
pub fn run(
    s: &Settings,
    brokers: &str,
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    stop: &Arc<AtomicBool>,
) -> Result<()> {
    // reachable, credentials accepted, topics as rta needs them: or one line and exit 1
    preflight::connect(s, brokers)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the admin runtime")?;
    rt.block_on(topics::ensure(s, brokers))?;
    let health = health::BrokerHealth::new(views.clone(), metrics.clone());
    health.up();

    let workers = s.workers.clamp(1, crate::service::views::MAX_SHARDS);
    views.set_shards(workers);

    // 1. The config table, caught up to its end offsets: once, for every worker.
    let feed = ConfigFeed::new(workers, s.limits.clone());
    let Some(config_consumer) = config_reader::catch_up_config(s, brokers, &feed, &metrics, stop)?
    else {
        tracing::info!("stopped while catching up on the config topic");
        return Ok(());
    };
    views.config_caught_up.store(true, Ordering::Release);
    metrics.config_caught_up.set(1);

    // 2. The event stream, as `workers` members of the group; the config followed live.
    tracing::info!(workers, "starting the worker threads");
    let gate = Arc::new(group::JoinGate::new(workers, group::JOIN_WAIT));
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    // one thread down stops the instance: a worker's partitions must not sit unprocessed in a
    // member that still heartbeats
    let fail = |e: anyhow::Error| {
        stop.store(true, Ordering::Release);
        if let Ok(mut f) = first_error.lock() {
            f.get_or_insert(e);
        }
    };
    std::thread::scope(|scope| {
        let (feed, metrics_c, health_c) = (&feed, metrics.clone(), health.clone());
        let follower = std::thread::Builder::new()
            .name("rta-config".into())
            .spawn_scoped(scope, move || {
                config_reader::follow(&config_consumer, feed, &metrics_c, &health_c, stop)
            });
        if let Err(e) = follower {
            return fail(anyhow::anyhow!(
                "cannot start the config reader thread: {e}"
            ));
        }
        for shard in 0..workers {
            let shared = Shared {
                views: views.clone(),
                metrics: metrics.clone(),
                health: health.clone(),
                config: feed,
                gate: gate.clone(),
            };
            let fail = &fail;
            let spawned = std::thread::Builder::new()
                .name(format!("rta-worker-{shard}"))
                .spawn_scoped(scope, move || {
                    let span = tracing::info_span!("worker", shard);
                    let _g = span.enter();
                    if let Err(e) = run_shard(s, brokers, shard, shared, stop) {
                        fail(e);
                    }
                });
            if let Err(e) = spawned {
                fail(anyhow::anyhow!("cannot start worker thread {shard}: {e}"));
                break;
            }
        }
    });
    match first_error.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// What the worker threads share.
struct Shared<'a> {
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    health: Arc<health::BrokerHealth>,
    config: &'a ConfigFeed,
    gate: Arc<group::JoinGate>,
}

/// One worker thread: a group member with its own engine shard, producer and changelog store,
/// fed by the shared config reader, until `stop` is raised.
fn run_shard(
    s: &Settings,
    brokers: &str,
    shard: usize,
    shared: Shared<'_>,
    stop: &Arc<AtomicBool>,
) -> Result<()> {
    let Shared {
        views,
        metrics,
        health,
        config,
        gate,
    } = shared;
    let producer: Arc<ThreadedProducer<AckContext>> = Arc::new(
        client::producer(s, brokers, shard)
            .create_with_context(AckContext {
                metrics: metrics.clone(),
                health: health.clone(),
                shard,
                last_error: Mutex::new(None),
            })
            .context("cannot create the Kafka producer; check the [kafka] properties")?,
    );
    let txn = match s.guarantee {
        Guarantee::AtLeastOnce => None,
        Guarantee::ExactlyOnce => {
            let t = txn::Txn::init(producer.clone(), stop)?;
            tracing::info!(transactional_id = %client::transactional_id(s, shard), "exactly-once: transactions initialised");
            Some(Arc::new(t))
        }
    };

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
    let mut proc = Processor::new(opts, ownership, views.clone(), metrics.clone())
        .with_shard(shard)
        .with_shared_table(config.table.clone());
    if s.clock == ClockSetting::Wall {
        proc.advance_clock(wall_clock_ms());
    }

    // the event stream, as a member of the group
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let sources = sources::Sources::new(s);
    let ctx = GroupContext {
        topic: s.topics.agent_events.clone(),
        sources: sources.clone(),
        retention: s.retention,
        changelog: s.changelog,
        no_restore: Mutex::new(Default::default()),
        metrics: metrics.clone(),
        health: health.clone(),
        tracker: tracker.clone(),
        producer: OnceLock::new(),
        txn: OnceLock::new(),
        events: Mutex::new(Vec::new()),
        fatal: Mutex::new(None),
        stop: stop.clone(),
        gate,
        joined: AtomicBool::new(false),
    };
    let _ = ctx.producer.set(producer.clone());
    if let Some(t) = &txn {
        let _ = ctx.txn.set(t.clone());
    }
    let consumer: BaseConsumer<GroupContext> = client::events_consumer(s, brokers, shard)
        .create_with_context(ctx)
        .context("cannot create the Kafka consumer; check the [kafka] properties")?;
    let contact_partitions = partition_count(consumer.client(), &s.topics.contact_events)?;
    let changelog_partitions = match s.changelog {
        true => Some(partition_count(consumer.client(), &s.topics.changelog)?),
        false => None,
    };
    let partition_count = partition_count(consumer.client(), &s.topics.agent_events)?;
    if contact_partitions != partition_count {
        bail!(
            "topic {} has {contact_partitions} partitions but {} has {partition_count}; both are partitioned by account and must have the same count (add partitions with kafka-topics --alter)",
            s.topics.contact_events,
            s.topics.agent_events
        );
    }
    let changelog = if let Some(n) = changelog_partitions {
        if n != partition_count {
            bail!(
                "topic {} has {n} partitions but {} has {partition_count}; the changelog is partitioned like the input and must have the same count (recreate it with that count, or set changelog = false)",
                s.topics.changelog,
                s.topics.agent_events
            );
        }
        Some(changelog::Store::new(s, brokers)?)
    } else {
        None
    };
    consumer.subscribe(&sources.topics()).with_context(|| {
        format!(
            "cannot subscribe to {} and {}",
            sources.events, sources.contacts
        )
    })?;
    tracing::info!(
        topic = %s.topics.agent_events,
        contacts = %s.topics.contact_events,
        group = %s.group_id,
        partitions = partition_count,
        guarantee = ?s.guarantee,
        "consuming agent and contact events"
    );

    let mut w = Worker {
        s,
        sources,
        proc,
        producer,
        tracker,
        consumer: Arc::new(consumer),
        config,
        txn,
        rebuilds: BTreeMap::new(),
        stop,
        partition_count,
        assigned_once: false,
        views,
        metrics,
        health,
        changelog,
        replan: false,
        held: None,
    };
    let result = w.run_loop();
    let shutdown = w.shutdown(result.is_ok());
    result.and(shutdown)
}

/// Partitions of an input topic (for account ownership); an error when it has none.
///
/// Takes any client: the group consumer's connection may be holding a fetch at the end of the
/// input for `fetch.wait.max.ms` (500 ms), and a metadata request on it waits behind that
/// fetch (the broker answers a connection's requests in order), so the worker asks through the
/// producer's connection after an assignment.
fn partition_count<C: rdkafka::ClientContext>(
    c: &rdkafka::client::Client<C>,
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
