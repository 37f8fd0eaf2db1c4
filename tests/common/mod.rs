//! Harness of the Kafka integration tests: an Apache Kafka broker on free loopback ports
//! ([`broker`]), the `rta` binary as a child process, producing inputs and reading outputs
//! back. Every wait is bounded in time.

#![allow(dead_code)]

pub mod broker;
pub mod dashboard;
pub mod relay;
pub use broker::*;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;
use rta::engine::{ClockMode, Engine, EngineOptions, OutTopic, Outputs};
use rta::envelope::Envelope;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A record read back or expected: (key, value).
pub type Rec = (Option<String>, Option<Vec<u8>>);

/// Topic names of one test (a prefix keeps tests apart on one broker).
#[derive(Clone)]
pub struct Names {
    pub prefix: String,
}

impl Names {
    pub fn new(prefix: &str) -> Names {
        Names {
            prefix: prefix.to_string(),
        }
    }
    pub fn topic(&self, default: &str) -> String {
        format!("{}{}", self.prefix, default)
    }
    pub fn out(&self, t: OutTopic) -> String {
        self.topic(t.default_name())
    }
}

pub fn producer(
    broker: &Broker,
    extra: &[(&str, &str)],
) -> ThreadedProducer<DefaultProducerContext> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &broker.addr)
        .set("partitioner", "murmur2_random")
        // a retried batch must not land behind later ones: the expected outputs are computed
        // from the input in produce order
        .set("enable.idempotence", "true")
        .set("linger.ms", "5");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c.create().expect("test producer")
}

/// Produce envelopes to their topics (prefixed), in order, and wait for every ack.
pub fn produce(broker: &Broker, names: &Names, envs: &[Envelope]) {
    produce_with(broker, names, envs, &[]);
}

/// [`produce`] with extra producer properties.
pub fn produce_with(broker: &Broker, names: &Names, envs: &[Envelope], extra: &[(&str, &str)]) {
    let p = producer(broker, extra);
    for e in envs {
        let topic = names.topic(&e.topic);
        let rec = record_of(&topic, e);
        let mut rec = rec;
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    rec = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    p.flush(Duration::from_secs(30))
        .expect("test records acknowledged");
}

/// An envelope as a record to `topic` (its key, value and headers).
pub fn record_of<'a>(topic: &'a str, e: &'a Envelope) -> BaseRecord<'a, str, [u8]> {
    let mut headers = OwnedHeaders::new();
    for (k, v) in &e.headers {
        headers = headers.insert(Header {
            key: k,
            value: Some(v.as_bytes()),
        });
    }
    let mut rec: BaseRecord<'_, str, [u8]> = BaseRecord::to(topic).headers(headers);
    if let Some(k) = &e.key {
        rec = rec.key(k.as_str());
    }
    if let Some(v) = &e.value {
        rec = rec.payload(v.as_slice());
    }
    rec
}

/// Create topics up front (as an operator would), so the producer and rta agree on partitions.
pub fn create_topics(broker: &Broker, names: &Names, partitions: i32) {
    let mut topics = vec![
        (names.topic("rta.agent-events"), partitions, false),
        (names.topic("rta.contact-events"), partitions, false),
        (names.topic("rta.config"), 1, true),
    ];
    for t in OutTopic::ALL {
        topics.push((names.out(t), partitions, t.compacted()));
    }
    create(broker, &topics);
}

/// Create the config topic only (rta creates the others).
pub fn create_config_topic(broker: &Broker, names: &Names) {
    create(broker, &[(names.topic("rta.config"), 1, true)]);
}

/// Create topics: (name, partitions, compacted).
pub fn create(broker: &Broker, topics: &[(String, i32, bool)]) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<_> = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .expect("admin client");
    let new: Vec<NewTopic> = topics
        .iter()
        .map(|(n, p, c)| {
            let t = NewTopic::new(n, *p, TopicReplication::Fixed(1));
            if *c {
                t.set("cleanup.policy", "compact")
            } else {
                t
            }
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let res = rt
        .block_on(admin.create_topics(&new, &AdminOptions::new()))
        .expect("create topics");
    for r in res {
        match r {
            Ok(_) | Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err(e) => panic!("topic not created: {e:?}"),
        }
    }
}

/// SIGTERM a child process and wait (at most 60 s) for its exit code.
pub fn terminate_child(mut child: Child, what: &str) -> Option<i32> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not stop within 60 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `rta run` against the broker, on event time, killed on drop unless stopped.
pub struct Rta {
    pub child: Option<Child>,
    pub http: u16,
}

impl Rta {
    pub fn start(broker: &Broker, names: &Names, group: &str, extra: &[&str]) -> Rta {
        Rta::start_with_clock(broker, names, group, "event-time", extra)
    }

    pub fn start_with_clock(
        broker: &Broker,
        names: &Names,
        group: &str,
        clock: &str,
        extra: &[&str],
    ) -> Rta {
        let http = free_port();
        // RTA_WRAPPER="perf record -g -o /tmp/perf.data --" profiles the service in load runs
        let wrapper = std::env::var("RTA_WRAPPER").unwrap_or_default();
        let mut words: Vec<&str> = wrapper.split_whitespace().collect();
        words.push(env!("CARGO_BIN_EXE_rta"));
        let child = Command::new(words[0])
            .args(&words[1..])
            .args([
                "run",
                "--brokers",
                &broker.addr,
                "--group-id",
                group,
                "--topic-prefix",
                &names.prefix,
                "--clock",
                clock,
                "--http",
                &format!("127.0.0.1:{http}"),
                "--partitions",
                "3",
                // a killed instance's partitions move after 6 s, not the default 45 s
                "--kafka",
                "session.timeout.ms=6000",
                "--kafka",
                "heartbeat.interval.ms=1000",
            ])
            .args(extra)
            // RTA_TEST_LOG=debug shows librdkafka's `debug` contexts in load runs
            .env(
                "RTA_LOG",
                std::env::var("RTA_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run rta");
        Rta {
            child: Some(child),
            http,
        }
    }

    /// SIGTERM, and the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        terminate_child(self.child.take()?, "rta")
    }

    /// SIGKILL: a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.http)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        let code = buf.split_whitespace().nth(1)?.parse().ok()?;
        let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((code, body))
    }

    /// Wait until the HTTP port answers `/readyz` with 200.
    pub fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some((200, _)) = self.get("/readyz") {
                return;
            }
            assert!(Instant::now() < deadline, "rta not ready within {within:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rta {
    fn drop(&mut self) {
        self.kill();
    }
}

/// End offsets of every partition of a topic.
pub fn end_offsets(broker: &Broker, topic: &str) -> BTreeMap<i32, i64> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .unwrap();
    let md = c.fetch_metadata(Some(topic), TIMEOUT).expect("metadata");
    let mut out = BTreeMap::new();
    for t in md.topics() {
        for p in t.partitions() {
            // a topic created a moment ago may not have its leader yet: retry for 20 s
            let deadline = Instant::now() + Duration::from_secs(20);
            let high = loop {
                match c.fetch_watermarks(topic, p.id(), TIMEOUT) {
                    Ok((_, high)) => break high,
                    Err(e) if Instant::now() < deadline => {
                        eprintln!("end offsets of {topic}/{}: {e}; retrying", p.id());
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Err(e) => panic!("end offsets of {topic}/{}: {e}", p.id()),
                }
            };
            out.insert(p.id(), high);
        }
    }
    out
}

/// Wait until `group` has committed every partition of `topic` up to `ends`.
pub fn wait_committed(
    broker: &Broker,
    group: &str,
    topic: &str,
    ends: &BTreeMap<i32, i64>,
    within: Duration,
) {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in ends.keys() {
        tpl.add_partition(topic, *p);
    }
    let deadline = Instant::now() + within;
    loop {
        if let Ok(done) = c.committed_offsets(tpl.clone(), TIMEOUT) {
            let all = ends.iter().all(|(p, end)| {
                *end == 0
                    || matches!(done.find_partition(topic, *p).map(|e| e.offset()), Some(Offset::Offset(o)) if o >= *end)
            });
            if all {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "group {group} did not commit {topic} up to {ends:?} within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every record of a topic, from the beginning to its current end: (key, value).
pub fn read_all(broker: &Broker, topic: &str) -> Vec<Rec> {
    let mut out = Vec::new();
    read_each(broker, topic, Duration::from_secs(60), |k, v| {
        out.push((
            k.map(|k| String::from_utf8_lossy(k).into_owned()),
            v.map(<[u8]>::to_vec),
        ))
    });
    out
}

/// Read a topic from the beginning to its current end (read_committed) within `within`,
/// handing each record's key and value to `each`.
pub fn read_each(
    broker: &Broker,
    topic: &str,
    within: Duration,
    mut each: impl FnMut(Option<&[u8]>, Option<&[u8]>),
) {
    let ends = end_offsets(broker, topic);
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("group.id", "rta-test-reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in ends.keys() {
        tpl.add_partition_offset(topic, *p, Offset::Beginning)
            .unwrap();
    }
    c.assign(&tpl).unwrap();
    let mut remaining: BTreeMap<i32, i64> = ends.into_iter().filter(|(_, e)| *e > 0).collect();
    let deadline = Instant::now() + within;
    let mut n = 0u64;
    while !remaining.is_empty() {
        assert!(
            Instant::now() < deadline,
            "could not read {topic} to its end ({remaining:?} left)"
        );
        let idle = match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                each(m.key(), m.payload());
                false
            }
            _ => true,
        };
        n += 1;
        // the position passes transaction markers and aborted records; offsets of records do
        // not (asked when idle and every 1,024 records: it copies the whole assignment)
        if idle || n.is_multiple_of(1024) || remaining.len() == 1 {
            if let Ok(pos) = c.position() {
                remaining.retain(|p, end| {
                    !matches!(pos.find_partition(topic, *p).map(|e| e.offset()), Some(Offset::Offset(o)) if o >= *end)
                });
            }
        }
    }
}

/// Records per key, in order (Kafka keeps order per key), values as text.
pub fn by_key(recs: &[Rec]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in recs {
        m.entry(k.clone().unwrap_or_default()).or_default().push(
            v.as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_else(|| "null".into()),
        );
    }
    m
}

/// Assert two per-key record lists are equal, showing the first difference.
pub fn assert_same(
    what: &str,
    got: &BTreeMap<String, Vec<String>>,
    want: &BTreeMap<String, Vec<String>>,
) {
    let keys: std::collections::BTreeSet<&String> = got.keys().chain(want.keys()).collect();
    for k in keys {
        let (g, w) = (
            got.get(k).cloned().unwrap_or_default(),
            want.get(k).cloned().unwrap_or_default(),
        );
        for i in 0..g.len().max(w.len()) {
            assert_eq!(
                g.get(i),
                w.get(i),
                "{what}: key {k}, record {i} of {} (service) / {} (rta process)",
                g.len(),
                w.len()
            );
        }
    }
}

/// The latest value per key.
pub fn latest(recs: &[Rec]) -> BTreeMap<String, Option<Vec<u8>>> {
    recs.iter()
        .map(|(k, v)| (k.clone().unwrap_or_default(), v.clone()))
        .collect()
}

/// What `rta process` publishes for the same input, on event time, without the end-of-input
/// republish (the service has no end of input): per output topic, (key, value) in order.
pub fn offline(envs: &[Envelope]) -> BTreeMap<OutTopic, Vec<Rec>> {
    let mut engine = Engine::new(EngineOptions {
        clock: ClockMode::EventTime,
        ..EngineOptions::default()
    });
    let mut outputs = Outputs::default();
    for (i, e) in envs.iter().enumerate() {
        rta::cli::process::feed_envelope(&mut engine, e, i as i64, &mut outputs);
    }
    let mut m: BTreeMap<OutTopic, Vec<_>> = BTreeMap::new();
    for o in outputs.iter() {
        m.entry(o.topic)
            .or_default()
            .push((o.key.map(str::to_string), o.value.map(<[u8]>::to_vec)));
    }
    m
}

pub fn read_envelopes(path: &str) -> Vec<Envelope> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Envelope::parse_line(l).unwrap())
        .collect()
}

/// A topic's configuration value (DescribeConfigs).
pub fn topic_config(broker: &Broker, topic: &str, name: &str) -> Option<String> {
    use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
    let admin: AdminClient<_> = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .expect("admin client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let res = rt
        .block_on(admin.describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new()))
        .expect("describe configs");
    let r = res.into_iter().next()?.ok()?;
    r.get(name).and_then(|e| e.value.clone())
}

/// Every output record of every output topic, as a multiset of (topic, key, value).
pub type Multiset = BTreeMap<(OutTopic, String, String), usize>;

pub fn multiset_of(per_topic: &BTreeMap<OutTopic, Vec<Rec>>) -> Multiset {
    let mut m = Multiset::new();
    for (t, recs) in per_topic {
        for (k, v) in recs {
            let v = v
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_else(|| "null".into());
            *m.entry((*t, k.clone().unwrap_or_default(), v)).or_default() += 1;
        }
    }
    m
}

/// What the service published on every output topic (read_committed).
pub fn published(broker: &Broker, names: &Names) -> BTreeMap<OutTopic, Vec<Rec>> {
    OutTopic::ALL
        .into_iter()
        .map(|t| (t, read_all(broker, &names.out(t))))
        .collect()
}

/// Records missing from `got` and records `got` has too often, against `want`.
pub fn multiset_diff(got: &Multiset, want: &Multiset) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    for (k, n) in want {
        let g = got.get(k).copied().unwrap_or(0);
        if g < *n {
            missing.push(format!("{:?} {} ×{} (got {g}): {}", k.0, k.1, n, k.2));
        }
    }
    for (k, n) in got {
        let w = want.get(k).copied().unwrap_or(0);
        if *n > w {
            extra.push(format!("{:?} {} ×{n} (want {w}): {}", k.0, k.1, k.2));
        }
    }
    (missing, extra)
}

/// Exactly-once: every record of `want` published exactly as often in `got` (nothing lost,
/// nothing twice).
pub fn assert_published_once(
    what: &str,
    got: &BTreeMap<OutTopic, Vec<Rec>>,
    want: &BTreeMap<OutTopic, Vec<Rec>>,
) {
    let (missing, extra) = multiset_diff(&multiset_of(got), &multiset_of(want));
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} records missing, {} too many; first missing: {:?}; first extra: {:?}",
        missing.len(),
        extra.len(),
        missing.first(),
        extra.first()
    );
}

/// Final record per key of the compacted topics equals `rta process`'s.
pub fn assert_final_states_equal(
    what: &str,
    got: &BTreeMap<OutTopic, Vec<Rec>>,
    want: &BTreeMap<OutTopic, Vec<Rec>>,
) {
    for t in [
        OutTopic::AgentStates,
        OutTopic::Intervals,
        OutTopic::Unmapped,
    ] {
        let g = latest(got.get(&t).map(Vec::as_slice).unwrap_or_default());
        let w = latest(want.get(&t).map(Vec::as_slice).unwrap_or_default());
        assert_eq!(
            g.len(),
            w.len(),
            "{what}: {t:?} has {} keys, rta process {}",
            g.len(),
            w.len()
        );
        for (k, v) in &w {
            assert_eq!(
                g.get(k).map(|x| x.as_deref().map(String::from_utf8_lossy)),
                Some(v.as_deref().map(String::from_utf8_lossy)),
                "{what}: the final {t:?} record of {k} differs from rta process"
            );
        }
    }
}

/// A small deterministic generator for test schedules (the seed is printed by the caller).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// Simulated days of several accounts, interleaved so that each account's records keep their
/// order (accounts are independent; partitions keep per-key order).
pub fn accounts_day(accounts: usize, persons: usize, seed: u64) -> Vec<Envelope> {
    use rta::simulate::{generate, SimOptions};
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let lists: Vec<Vec<Envelope>> = (0..accounts)
        .map(|a| {
            let mut o = SimOptions::new(persons, date, seed + a as u64);
            o.account = format!("acct{a}");
            // agent events only: these days are compared record for record with the offline
            // run on event time, where the interleaving of a second input topic would change
            // when timers fire (contact events through Kafka: kafka_service's contact test)
            o.contacts_per_day = 0;
            generate(&o)
        })
        .collect();
    let mut config = Vec::new();
    let mut events: Vec<(f64, Envelope)> = Vec::new();
    for l in lists {
        let n = l.len().max(1) as f64;
        for (i, e) in l.into_iter().enumerate() {
            if e.topic == "rta.config" {
                config.push(e);
            } else {
                events.push((i as f64 / n, e));
            }
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    config
        .into_iter()
        .chain(events.into_iter().map(|(_, e)| e))
        .collect()
}

/// Produce `events` in `chunks` pieces spread over `over` (run it in a scoped thread to
/// do something meanwhile).
pub fn produce_spread(
    broker: &Broker,
    names: &Names,
    events: &[Envelope],
    chunks: usize,
    over: Duration,
) {
    let per = events.len().div_ceil(chunks.max(1));
    let pause = over / chunks.max(1) as u32;
    for c in events.chunks(per.max(1)) {
        produce(broker, names, c);
        std::thread::sleep(pause);
    }
}
