//! librdkafka client configurations built from the settings: the user's pass-through
//! properties first, then what rta's guarantees depend on.

use crate::settings::{Guarantee, Settings};
use rdkafka::ClientConfig;

/// Properties shared by every client: brokers and the pass-through table.
pub fn base(s: &Settings, brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c.set("client.id", "rta");
    for (k, v) in &s.kafka {
        c.set(k, v);
    }
    c
}

/// The group consumer of `rta.agent-events` of worker `shard`: offsets are committed by rta,
/// only after every output of a record has been acknowledged. Each worker is a member of the
/// group; a static membership (`group.instance.id`) gets the worker's suffix.
pub fn events_consumer(s: &Settings, brokers: &str, shard: usize) -> ClientConfig {
    let mut c = base(s, brokers);
    if let Some(id) = c.get("group.instance.id").map(str::to_string) {
        c.set("group.instance.id", shard_name(&id, shard));
    }
    c.set("group.id", &s.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        // never see outputs or inputs of aborted transactions (SPEC §11)
        .set("isolation.level", "read_committed")
        .set_default("auto.offset.reset", "earliest")
        // fetch.wait.max.ms stays librdkafka's 500 ms: a Kafka broker answers a waiting fetch
        // as soon as a record arrives (fetch.min.bytes = 1), so the wait costs no latency
        // (measured: p50 10 ms with 10 ms, 11 ms with 500 ms) and saves empty fetches
        .set_default("statistics.interval.ms", "5000");
    // partition n of agent events and of contact events (same count, keyed by account) must
    // go to the same member: the range assignor does that, per topic, in member order
    if c.get("group.protocol") == Some("consumer") {
        c.set("group.remote.assignor", "range");
    } else {
        c.set("partition.assignment.strategy", "range");
    }
    c
}

/// The config reader: every partition of `rta.config` from the beginning, no group.
pub fn config_consumer(s: &Settings, brokers: &str) -> ClientConfig {
    let mut c = base(s, brokers);
    c.set("group.id", format!("{}-config-reader", s.group_id))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed")
        .set_default("auto.offset.reset", "earliest")
        .set_default("max.partition.fetch.bytes", TABLE_FETCH_BYTES);
    c
}

/// Bytes a table reader (config catch-up, changelog restore) asks of a partition per fetch:
/// these read whole topics from the beginning, and librdkafka's default (1 MiB) made the
/// start of a million persons wait on fetch round trips (`benches/restore_scale.rs`: the
/// config catch-up of 295,166 records 2.5 s → 1.3 s).
const TABLE_FETCH_BYTES: &str = "16777216";

/// A table reader (`rta dashboard`): topics assigned from the beginning, nothing committed.
pub fn table_consumer(s: &Settings, brokers: &str) -> ClientConfig {
    let mut c = base(s, brokers);
    c.set("group.id", format!("{}-dashboard", s.group_id))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed")
        .set_default("auto.offset.reset", "earliest")
        .set_default("max.partition.fetch.bytes", TABLE_FETCH_BYTES);
    c
}

/// The output producer: idempotent, pipelined, acknowledged by all in-sync replicas; for
/// exactly-once also transactional, with a `transactional.id` stable across restarts of this
/// instance (so a restart aborts what a crash left open).
pub fn producer(s: &Settings, brokers: &str, shard: usize) -> ClientConfig {
    let mut c = base(s, brokers);
    c.set("enable.idempotence", "true")
        .set_default("linger.ms", "5")
        .set_default("statistics.interval.ms", "5000");
    if s.guarantee == Guarantee::ExactlyOnce {
        c.set("transactional.id", transactional_id(s, shard))
            // a crashed instance's open transaction blocks read_committed readers until the
            // broker aborts it: keep that short (transactions last ~transaction_max_ms)
            .set_default("transaction.timeout.ms", "10000");
    }
    c
}

/// `{group_id}.{instance_id}` for the first worker, `{group_id}.{instance_id}.w{n}` for worker
/// `n` > 0 (the first keeps the name of a single-worker instance, so a restart with more or
/// fewer workers still fences what the first left open).
pub fn transactional_id(s: &Settings, shard: usize) -> String {
    shard_name(&format!("{}.{}", s.group_id, s.instance_id), shard)
}

/// A per-worker name: `name` for worker 0, `name.w{n}` for the others.
fn shard_name(name: &str, shard: usize) -> String {
    match shard {
        0 => name.to_string(),
        n => format!("{name}.w{n}"),
    }
}

trait SetDefault {
    fn set_default(&mut self, key: &str, value: &str) -> &mut Self;
}

impl SetDefault for ClientConfig {
    fn set_default(&mut self, key: &str, value: &str) -> &mut Self {
        if self.get(key).is_none() {
            self.set(key, value);
        }
        self
    }
}
