//! End-to-end load runs of `rta run` on a local Apache Kafka 4.4.0 broker (the tests' broker:
//! `tests/common/broker.rs`; Java 17 and Maven).
//!
//! 1. Throughput, side by side in one run: a pass-through consumer→producer (same client
//!    settings and the same at-least-once machinery as rta: idempotent pipelined producer,
//!    batches settled by delivery reports, offsets of the assigned partitions committed after
//!    acks; a child process of its own) with 1 and 3 outputs per input, then `rta run` on event
//!    time at-least-once and exactly-once, all over the same simulated day. Rate = slope of the
//!    group's committed offsets between 10 % and 90 % of the input; CPU = user + sys seconds
//!    of that process alone (`/proc/PID/stat`), per input record.
//! 2. Latency at a steady 2,000 events/s, at-least-once and exactly-once: `rta run` (wall
//!    clock); each event's timestamp is its produce time, and the latency is the time until
//!    its agent-state output is read back (read_committed) from `rta.agent-states`.
//!
//! 3. Worker threads (`E2E_WORKERS`, e.g. `"1 2"`): `rta run` with each `--workers` count over a
//!    day of 20 accounts on 8 partitions, both guarantees: rate and CPU per input record, and
//!    the ratios to the first count, measured in the same run.
//!
//! Run: `cargo bench --bench kafka_e2e` (env `E2E_PERSONS`, default 50000, since the
//! rates need windows of seconds; `E2E_SKIP_THROUGHPUT`,
//! `E2E_SKIP_PASS_THROUGH`, `E2E_SKIP_LATENCY` leave parts out).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "kafka_e2e/rate.rs"]
mod rate;
#[path = "kafka_e2e/workers.rs"]
mod workers;

use common::*;
use rate::{cpu_seconds, produce_day, rta_rate, shown, watch_rate};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::{ClientConfig, ClientContext};
use rta::envelope::Envelope;
use rta::kafka::acks::{AckContext, Batch, Tracker};
use rta::metrics::Metrics;
use rta::simulate::{generate, SimOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    // the pass-through child: E2E_PASS_THROUGH="addr group input output fan_out"
    if let Ok(args) = std::env::var("E2E_PASS_THROUGH") {
        let a: Vec<&str> = args.split(' ').collect();
        let stop = Arc::new(AtomicBool::new(false));
        pass_through(a[0], a[1], a[2], a[3], a[4].parse().unwrap(), stop);
        return;
    }
    let persons: usize = std::env::var("E2E_PERSONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let broker = Broker::start();
    if std::env::var("E2E_SKIP_THROUGHPUT").is_err() {
        throughput(&broker, persons);
    }
    if std::env::var("E2E_SKIP_LATENCY").is_err() {
        latency(&broker);
    }
    if let Ok(list) = std::env::var("E2E_WORKERS") {
        let counts: Vec<usize> = list
            .split([' ', ','])
            .filter_map(|w| w.parse().ok())
            .collect();
        workers::workers_throughput(&broker, persons, &counts);
    }
}

/// The pass-through consumer's group callbacks, as rta's (`rta::kafka::group`) minus the
/// rebuild: the tracker commits only partitions it was told are assigned (from the group's
/// committed offset on), and an async commit counts once the broker has confirmed it.
struct PassContext {
    topic: String,
    tracker: Arc<Mutex<Tracker>>,
}

impl ClientContext for PassContext {}

impl ConsumerContext for PassContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            self.tracker.lock().unwrap().forget(&parts);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            // a failure here would panic across librdkafka's callback (an abort): report it
            let committed = consumer.committed_offsets((*tpl).clone(), TIMEOUT);
            if let Err(e) = &committed {
                eprintln!("pass-through: cannot read the committed offsets ({e})");
            }
            let mut t = self.tracker.lock().unwrap();
            for e in tpl.elements() {
                let at = committed
                    .as_ref()
                    .ok()
                    .and_then(|c| c.find_partition(e.topic(), e.partition()))
                    .and_then(|c| match c.offset() {
                        Offset::Offset(o) => Some(o),
                        _ => None,
                    });
                t.assign(e.partition(), at);
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if result.is_ok() {
            let done = rta::kafka::acks::offsets_of(offsets, &self.topic);
            self.tracker.lock().unwrap().mark_committed(&done);
        }
    }
}

/// A consumer→producer copy with rta's at-least-once machinery and client settings.
fn pass_through(
    addr: &str,
    group: &str,
    input: &str,
    output: &str,
    fan_out: usize,
    stop: Arc<AtomicBool>,
) {
    let metrics = Arc::new(Metrics::new());
    let producer: ThreadedProducer<AckContext> = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create_with_context(AckContext {
            metrics: metrics.clone(),
            health: rta::kafka::health::BrokerHealth::new(
                Arc::new(rta::service::LiveViews::default()),
                metrics.clone(),
            ),
            shard: 0,
            last_error: Mutex::new(None),
        })
        .unwrap();
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let consumer: BaseConsumer<PassContext> = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .create_with_context(PassContext {
            topic: input.to_string(),
            tracker: tracker.clone(),
        })
        .unwrap();
    consumer.subscribe(&[input]).unwrap();
    let mut sealed = Instant::now();
    let mut committed = Instant::now();
    while !stop.load(Ordering::Acquire) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50)) {
            let batch: Arc<Batch> = tracker.lock().unwrap().current().clone();
            for _ in 0..fan_out {
                batch.add();
                let mut rec: BaseRecord<'_, [u8], [u8], Arc<Batch>> =
                    BaseRecord::with_opaque_to(output, batch.clone());
                if let Some(k) = m.key() {
                    rec = rec.key(k);
                }
                if let Some(v) = m.payload() {
                    rec = rec.payload(v);
                }
                loop {
                    match producer.send(rec) {
                        Ok(()) => break,
                        Err((_, back)) => {
                            rec = back;
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                }
            }
            tracker
                .lock()
                .unwrap()
                .consumed(m.partition(), m.offset(), Instant::now(), None);
        }
        if sealed.elapsed() >= Duration::from_millis(20) {
            tracker.lock().unwrap().seal();
            sealed = Instant::now();
        }
        if committed.elapsed() >= Duration::from_millis(200) {
            let offsets = {
                let mut t = tracker.lock().unwrap();
                t.seal();
                if t.settle(&metrics, 0).is_err() {
                    let why = producer.context().last_error.lock().unwrap().clone();
                    panic!("{group}: an output was refused ({why:?}); no more commits");
                }
                t.to_commit(None)
            };
            if !offsets.is_empty() {
                let mut tpl = TopicPartitionList::new();
                for (p, o) in &offsets {
                    tpl.add_partition_offset(input, *p, Offset::Offset(*o))
                        .unwrap();
                }
                // marked committed by the commit callback; a failed one is retried next time
                if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
                    eprintln!("{group}: offset commit failed ({e}); retried");
                }
            }
            committed = Instant::now();
        }
    }
}

/// Output topics of the pass-throughs, created up front (not left to auto-creation, whose
/// first produce requests may be refused).
fn create_plain_topics(broker: &Broker, names: &[String], partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<_> = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .unwrap();
    let new: Vec<NewTopic> = names
        .iter()
        .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1)))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for r in rt
        .block_on(admin.create_topics(&new, &AdminOptions::new()))
        .unwrap()
    {
        r.unwrap();
    }
}

fn throughput(broker: &Broker, persons: usize) {
    let names = Names::new("tp.");
    create_topics(broker, &names, 3);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let (input, total) = produce_day(
        broker,
        &names,
        generate(&SimOptions::new(persons, date, 11)),
    );
    println!("input: {total} agent-event records ({persons} persons, one simulated day)");

    // pass-through: one output per input, and as many outputs per input as rta writes
    let mut pt = Vec::new();
    create_plain_topics(broker, &[names.topic("pt1"), names.topic("pt3")], 3);
    let groups: &[(&str, usize)] = if std::env::var("E2E_SKIP_PASS_THROUGH").is_ok() {
        &[]
    } else {
        &[("pt1", 1), ("pt3", 3)]
    };
    for &(group, fan_out) in groups {
        // a child process of its own, so that its CPU time is its own
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .env(
                "E2E_PASS_THROUGH",
                format!(
                    "{} {group} {input} {} {fan_out}",
                    broker.addr,
                    names.topic(group)
                ),
            )
            .spawn()
            .expect("start the pass-through");
        let pid = child.id();
        let rate = watch_rate(
            broker,
            group,
            &input,
            total,
            || cpu_seconds(pid),
            || !matches!(child.try_wait(), Ok(None)),
        );
        let _ = child.kill();
        let _ = child.wait();
        println!(
            "pass-through consumer→producer, {fan_out} output(s) per input: {}",
            shown(rate)
        );
        pt.push(rate);
    }

    // rta on event time, commit interval as the pass-through's, under each guarantee
    let cfg = std::env::temp_dir().join("rta-e2e.toml");
    std::fs::write(&cfg, "commit_interval_ms = 200\n").unwrap();
    let mut alo = None;
    for guarantee in ["at-least-once", "exactly-once"] {
        let group = format!("rta-tp-{guarantee}");
        let before: i64 = output_records(broker, &names);
        let r = rta_rate(
            broker,
            &names,
            &group,
            &input,
            total,
            &[
                "--config",
                cfg.to_str().unwrap(),
                "--processing-guarantee",
                guarantee,
                "--instance-id",
                "tp",
            ],
        );
        // end offsets: under exactly-once they count one transaction marker per partition
        // and transaction as well
        let outputs = output_records(broker, &names) - before;
        println!(
            "rta run (event time, {guarantee}): {} ({outputs} output offsets, {:.2} per input)",
            shown(r),
            outputs as f64 / total as f64
        );
        if let (Some(r), [Some(one), Some(three)]) = (r, &pt[..]) {
            println!(
                "= {:.0} % of the 1:1 pass-through's rate, {:.0} % of the 1:3 one's; CPU per input {:.2}× the 1:3 pass-through's",
                100.0 * r.per_second / one.per_second,
                100.0 * r.per_second / three.per_second,
                r.cpu_us_per_record / three.cpu_us_per_record
            );
        }
        match (guarantee, r, alo) {
            ("at-least-once", Some(r), _) => alo = Some(r),
            ("exactly-once", Some(r), Some(a)) => println!(
                "= exactly-once at {:.0} % of at-least-once's rate, {:.2}× its CPU per input",
                100.0 * r.per_second / a.per_second,
                r.cpu_us_per_record / a.cpu_us_per_record
            ),
            _ => {}
        }
    }
}

/// Records (offsets) in all of rta's output topics.
fn output_records(broker: &Broker, names: &Names) -> i64 {
    rta::engine::OutTopic::ALL
        .iter()
        .map(|t| end_offsets(broker, &names.out(*t)).values().sum::<i64>())
        .sum()
}

fn latency(broker: &Broker) {
    for guarantee in ["at-least-once", "exactly-once"] {
        latency_of(broker, guarantee);
    }
}

fn latency_of(broker: &Broker, guarantee: &str) {
    const PERSONS: usize = 2000;
    const RATE: u64 = 2000;
    const SECONDS: u64 = 20;
    let names = Names::new(&format!("lat-{guarantee}."));
    create_topics(broker, &names, 3);
    let now = rta::service::wall_clock_ms();
    let day = rta::time::format_date(now.div_euclid(86_400_000) as i32);
    let mut config = vec![
        Envelope::json(
            "rta.config",
            "lat/integration/1",
            &serde_json::json!({"kind":"integration","account":"lat","id":"1","vendor":"odigo","name":"ACD","paused":false}),
        ),
        Envelope::json(
            "rta.config",
            "lat/status/1/READY",
            &serde_json::json!({"kind":"status","account":"lat","integration":"1","externalStatus":"READY","activity":"1"}),
        ),
    ];
    for p in 0..PERSONS {
        config.push(Envelope::json(
            "rta.config",
            format!("lat/identifier/1/agent{p}@example.com"),
            &serde_json::json!({"kind":"identifier","account":"lat","integration":"1","externalId":format!("agent{p}@example.com"),"person":format!("p{p}")}),
        ));
        config.push(Envelope::json(
            "rta.config",
            format!("lat/schedule/p{p}/{day}"),
            &serde_json::json!({"kind":"schedule","account":"lat","person":format!("p{p}"),"date":day,
                "segments":[{"activity":"1","start":rta::time::format_rfc3339(now - 3_600_000),"end":rta::time::format_rfc3339(now + 3_600_000)}]}),
        ));
    }
    produce(broker, &names, &config);
    let extra = std::env::var("E2E_RTA_ARGS").unwrap_or_default();
    let mut extra: Vec<&str> = extra.split_whitespace().collect();
    extra.extend(["--processing-guarantee", guarantee]);
    let mut rta = Rta::start_with_clock(broker, &names, "rta-lat", "wall", &extra);
    rta.wait_ready(Duration::from_secs(120));

    // read agent states back as they come
    let out_topic = names.out(rta::engine::OutTopic::AgentStates);
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let addr = broker.addr.clone();
    let reader = std::thread::spawn(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &addr)
            .set("group.id", "lat-reader")
            .set("auto.offset.reset", "latest")
            .set("fetch.wait.max.ms", "5")
            .create()
            .unwrap();
        c.subscribe(&[&out_topic]).unwrap();
        let mut lat = Vec::new();
        while !d2.load(Ordering::Acquire) {
            if let Some(Ok(m)) = c.poll(Duration::from_millis(20)) {
                let recv = rta::service::wall_clock_ms();
                let v: serde_json::Value =
                    serde_json::from_slice(m.payload().unwrap_or_default()).unwrap_or_default();
                if let Some(since) = v["actual"]["since"]
                    .as_str()
                    .and_then(rta::time::parse_rfc3339)
                {
                    if v["actual"]["externalStatus"].is_string() {
                        lat.push(recv - since);
                    }
                }
            }
        }
        lat
    });
    std::thread::sleep(Duration::from_secs(5)); // reader joins its group
    let producer = producer(broker, &[]);
    let topic = names.topic("rta.agent-events");
    let start = Instant::now();
    let states = ["READY", "BUSY", "WRAPUP", "PAUSE"];
    let mut sent = 0u64;
    while sent < RATE * SECONDS {
        let due = start + Duration::from_micros(sent * 1_000_000 / RATE);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let p = sent as usize % PERSONS;
        let state = states[(sent as usize / PERSONS) % states.len()];
        let body = format!(
            r#"{{"eventId":"l{sent}","timestamp":{},"login":"agent{p}@example.com","state":"{state}"}}"#,
            rta::service::wall_clock_ms()
        );
        let rec: BaseRecord<'_, str, [u8]> = BaseRecord::to(&topic)
            .key("lat")
            .payload(body.as_bytes())
            .headers(
                rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                    key: "rta-integration",
                    value: Some("1"),
                }),
            );
        let _ = producer.send(rec);
        sent += 1;
    }
    producer.flush(Duration::from_secs(10)).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    done.store(true, Ordering::Release);
    let mut lat = reader.join().unwrap();
    if let Some((_, m)) = rta.get("/metrics") {
        for l in m.lines().filter(|l| {
            l.starts_with("rta_processing_latency_seconds_bucket")
                || l.starts_with("rta_transaction_seconds")
        }) {
            println!("  {l}");
        }
    }
    rta.terminate();
    lat.sort_unstable();
    let pct = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "latency ({guarantee}) at {RATE} events/s for {SECONDS} s ({} agent states read back of {sent} events): p50 {} ms, p99 {} ms, max {} ms",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or(0)
    );
}
