//! Start → ready of one `rta run` instance holding 1,000,000 persons (issue 11 §4), on the
//! local Apache Kafka 4.4.0 broker of the tests (`tests/common/broker.rs`).
//!
//! Setting up a million persons through `rta run` would take an hour of this machine, so the
//! bench writes what such an instance leaves behind after a clean stop, with rta's own code:
//! - `rta.config`: every account's config records (simulated day: settings, activities,
//!   integrations, statuses, match rules, and per person a person, an identifier and a
//!   schedule record);
//! - `rta.agent-events`: every account's simulated day of Odigo events (~23 per person, agent
//!   events only), keyed by account as the relays do;
//! - `rta.changelog`: the state of every account after its day — the engine fed that day
//!   (`rta::cli::process::feed_envelope`, event time) and asked for its whole state
//!   (`Engine::snapshot_all`), each record produced to its account's partition as the service
//!   does, plus the `/partition` record of a partition written whole: the changelog as the
//!   broker's cleaner leaves it (latest record per key);
//! - the group's committed offsets at the end of the input with the changelog's mark
//!   (`rta-changelog/1`): the changelog holds the state through them.
//!
//! Then `rta run` starts (default worker threads: the cores it sees) and is timed from spawn
//! to `/readyz` 200: the config table's catch-up, every account materialized, the changelog
//! read and installed, each partition live. Beside it, the replay rebuild: a second group
//! whose committed offsets carry no mark, run with `--changelog false`, rebuilds every person
//! from the retained input (outputs discarded, as a rebuild does).
//!
//! Run: `cargo bench --bench restore_scale` (env `SCALE_ACCOUNTS` default 100, `SCALE_PERSONS`
//! per account default 10,000, `SCALE_PARTITIONS` default 4, `SCALE_STARTS` restores timed one
//! after the other, default 1, `SCALE_REPLAY=0` skips the replay rebuild, `SCALE_ARGS` more
//! `rta run` arguments, `SCALE_ENV_B=NAME=value` set for the even-numbered starts only: an A/B
//! in one run). Reported: records and bytes of each topic, the restarted instance's phases from
//! its log, CPU seconds and resident memory. Bounded: every wait has a deadline; nothing is
//! asserted on time.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/rta_proc.rs"]
mod rta_proc;

use common::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;
use rta::cli::process::feed_envelope;
use rta::engine::{Changelog, Engine, EngineOptions, Outputs};
use rta::envelope::Envelope;
use rta::service::ownership::partition_of;
use rta::settings::PartitionerSetting;
use rta::simulate::{generate, SimOptions};
use rta_proc::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Records and bytes (key + value) produced to one topic.
#[derive(Default)]
struct Count {
    records: AtomicUsize,
    bytes: AtomicUsize,
}

impl Count {
    fn add(&self, key: &[u8], value: Option<&[u8]>) {
        self.records.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(key.len() + value.map_or(0, <[u8]>::len), Ordering::Relaxed);
    }
    fn show(&self, what: &str) {
        let r = self.records.load(Ordering::Relaxed);
        let b = self.bytes.load(Ordering::Relaxed);
        println!(
            "  {what}: {r} records, {:.1} MB, {} bytes/record",
            b as f64 / 1e6,
            b / r.max(1)
        );
    }
}

struct Written {
    config: Count,
    events: Count,
    changelog: Count,
    persons: AtomicUsize,
}

fn main() {
    let accounts: usize = env_or("SCALE_ACCOUNTS", 100);
    let persons: usize = env_or("SCALE_PERSONS", 10_000);
    let partitions: i32 = env_or("SCALE_PARTITIONS", 4);
    let replay: u8 = env_or("SCALE_REPLAY", 1);
    let starts: usize = env_or("SCALE_STARTS", 1).max(1);
    let broker = Broker::start();
    let names = Names::new("scale.");
    create_topics(&broker, &names, partitions);
    let changelog_topic = names.topic("rta.changelog");
    create(&broker, &[(changelog_topic.clone(), partitions, true)]);
    println!(
        "{accounts} accounts × {persons} persons, {partitions} partitions: writing the config, the day's events and the changelog"
    );

    let written = Written {
        config: Count::default(),
        events: Count::default(),
        changelog: Count::default(),
        persons: AtomicUsize::new(0),
    };
    let p = producer(
        &broker,
        &[
            ("compression.type", "lz4"),
            ("linger.ms", "50"),
            ("batch.size", "1000000"),
            ("queue.buffering.max.messages", "1000000"),
            ("queue.buffering.max.kbytes", "1048576"),
        ],
    );
    let t0 = Instant::now();
    let threads = 2;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (p, names, written) = (&p, &names, &written);
            let changelog_topic = &changelog_topic;
            s.spawn(move || {
                for a in (t..accounts).step_by(threads) {
                    one_account(p, names, changelog_topic, a, persons, partitions, written);
                }
            });
        }
    });
    for part in 0..partitions {
        send(
            &p,
            BaseRecord::to(&changelog_topic)
                .partition(part)
                .key(rta::wire::CHANGELOG_PARTITION_KEY)
                .payload(&[1u8][..]),
        );
    }
    p.flush(Duration::from_secs(600))
        .expect("every record acknowledged");
    println!("written in {:.0} s:", t0.elapsed().as_secs_f64());
    written.config.show("rta.config");
    written.events.show("rta.agent-events");
    written
        .changelog
        .show("rta.changelog (latest record per key)");
    let total = written.persons.load(Ordering::Relaxed);

    let input = names.topic("rta.agent-events");
    let contacts = names.topic("rta.contact-events");
    let log_dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let mut best = f64::MAX;
    // A/B in one run: `SCALE_ENV_B=NAME=value` is set for the even-numbered starts only
    let env_b = std::env::var("SCALE_ENV_B").ok();
    for i in 1..=starts {
        if let Some((k, v)) = env_b.as_deref().and_then(|e| e.split_once('=')) {
            if i % 2 == 0 {
                std::env::set_var(k, v);
                println!("\n(start {i}: {k}={v})");
            } else {
                std::env::remove_var(k);
            }
        }
        // a group of its own per start: no session of the previous start to wait out
        let restore = start(
            &broker,
            &names,
            &format!("scale-restore-{i}"),
            partitions,
            &[&input, &contacts],
            true,
            &["--changelog", "true"],
            &log_dir.join(format!("scale-restore-{i}.log")),
        );
        report(
            &format!("restore from the changelog, start {i} of {starts}"),
            total,
            &restore,
        );
        best = best.min(restore.ready_s);
    }
    if replay != 0 {
        let rebuild = start(
            &broker,
            &names,
            "scale-replay",
            partitions,
            &[&input, &contacts],
            false,
            &["--changelog", "false"],
            &log_dir.join("scale-replay.log"),
        );
        report(
            "replay of the retained input (--changelog false)",
            total,
            &rebuild,
        );
        println!(
            "= restore ready (best of {starts}) in {:.2}× the replay's time",
            best / rebuild.ready_s
        );
    }
}

/// One account: its day simulated, produced, fed to an engine whose whole state then goes
/// to the changelog partition of the account.
fn one_account(
    p: &ThreadedProducer<DefaultProducerContext>,
    names: &Names,
    changelog_topic: &str,
    a: usize,
    persons: usize,
    partitions: i32,
    written: &Written,
) {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let mut o = SimOptions::new(persons, date, 11 + a as u64);
    o.account = format!("acct{a}");
    o.contacts_per_day = 0;
    let day = generate(&o);
    let mut engine = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    for (i, e) in day.iter().enumerate() {
        feed_envelope(&mut engine, e, i as i64, &mut out);
        out.clear();
        produce_envelope(p, names, e, written);
    }
    let mut cl = Changelog::default();
    engine.snapshot_all(&mut cl);
    let part = partition_of(&o.account, partitions, PartitionerSetting::Murmur2);
    for (k, v) in cl.iter() {
        let mut rec = BaseRecord::to(changelog_topic).partition(part).key(k);
        if let Some(v) = v {
            rec = rec.payload(v);
        }
        written.changelog.add(k.as_bytes(), v);
        send(p, rec);
    }
    written
        .persons
        .fetch_add(engine.person_count(), Ordering::Relaxed);
}

fn produce_envelope(
    p: &ThreadedProducer<DefaultProducerContext>,
    names: &Names,
    e: &Envelope,
    written: &Written,
) {
    let topic = names.topic(&e.topic);
    let rec = record_of(&topic, e);
    let count = match e.topic.as_str() {
        "rta.config" => &written.config,
        _ => &written.events,
    };
    count.add(
        e.key.as_deref().unwrap_or("").as_bytes(),
        e.value.as_deref(),
    );
    send(p, rec);
}

/// Send, waiting while the producer's queue is full.
fn send<K: rdkafka::message::ToBytes + ?Sized, V: rdkafka::message::ToBytes + ?Sized>(
    p: &ThreadedProducer<DefaultProducerContext>,
    mut rec: BaseRecord<'_, K, V>,
) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        match p.send(rec) {
            Ok(()) => return,
            Err((e, back)) => {
                assert!(Instant::now() < deadline, "producer stuck: {e}");
                rec = back;
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// Commit the end of `topics` for `group` (with the changelog's mark or without), start
/// `rta run` in that group and time it to ready.
#[allow(clippy::too_many_arguments)]
fn start(
    broker: &Broker,
    names: &Names,
    group: &str,
    partitions: i32,
    topics: &[&str],
    mark: bool,
    extra: &[&str],
    log: &std::path::Path,
) -> Restart {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("committing consumer");
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        for (part, end) in end_offsets(broker, topic) {
            let _ = tpl.add_partition_offset(topic, part, Offset::Offset(end));
            if let (true, Some(mut e)) = (mark, tpl.find_partition(topic, part)) {
                e.set_metadata(rta::kafka::changelog::MARK);
            }
        }
    }
    c.commit(&tpl, CommitMode::Sync).expect("offsets committed");
    drop(c);
    // more `rta run` arguments, space-separated (e.g. `--kafka name=value` to try a client
    // property)
    let more = std::env::var("SCALE_ARGS").unwrap_or_default();
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(more.split_whitespace());
    start_timed(
        broker,
        names,
        group,
        partitions,
        &args,
        log,
        Duration::from_secs(1800),
    )
}

fn report(what: &str, persons: usize, r: &Restart) {
    println!("\n== {what} ==");
    println!(
        "ready {:.2} s after spawn; {:.2} s CPU (user + sys); {persons} persons = {:.0} persons/s to ready",
        r.ready_s,
        r.cpu_s,
        persons as f64 / r.ready_s
    );
    println!(
        "restored {:.0} records, {:.1} MB; RSS {:.1} MB = {:.0} bytes/person",
        r.restored_records,
        r.restored_bytes / 1e6,
        r.rss as f64 / 1e6,
        r.rss as f64 / persons.max(1) as f64
    );
    for l in &r.log {
        println!("  log: {l}");
    }
}
