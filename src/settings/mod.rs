//! Settings of the streaming service (`rta run`): a TOML file, `RTA_*` environment variables and
//! command-line flags, merged in that order (flags win), then checked once at start so that a
//! bad value fails with one clear line. `deploy/rta.example.toml` documents every key.

mod file;

pub use file::FileSettings;

use crate::engine::OutTopic;
use crate::time::Millis;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

/// Clock of the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ClockSetting {
    /// Wall-clock time: timers fire without new events (live operation).
    Wall,
    /// Each account's clock is its largest event time (backfills, tests).
    EventTime,
}

/// How producers assign an account's records to partitions (to know which accounts an instance
/// owns before their first event arrives).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionerSetting {
    /// Java client default and librdkafka `murmur2_random`.
    Murmur2,
    /// librdkafka's default `consistent_random` (CRC32).
    Crc32,
}

/// SPEC §11: what a crash may do to the outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Guarantee {
    /// Offsets committed after every output they caused is acknowledged; a crash republishes
    /// the outputs since the last commit.
    AtLeastOnce,
    /// Outputs and input offsets commit in one Kafka transaction; `read_committed` readers see
    /// each output once.
    ExactlyOnce,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    Text,
    Json,
}

/// Topic names (SPEC §2 defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topics {
    pub agent_events: String,
    pub config: String,
    pub agent_states: String,
    pub adherence_events: String,
    pub intervals: String,
    pub unmapped: String,
    pub dlq: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            agent_events: "rta.agent-events".into(),
            config: "rta.config".into(),
            agent_states: OutTopic::AgentStates.default_name().into(),
            adherence_events: OutTopic::AdherenceEvents.default_name().into(),
            intervals: OutTopic::Intervals.default_name().into(),
            unmapped: OutTopic::Unmapped.default_name().into(),
            dlq: OutTopic::Dlq.default_name().into(),
        }
    }
}

impl Topics {
    /// Every topic with whether it is compacted: the two inputs, then the outputs.
    pub fn all(&self) -> [(&str, bool); 7] {
        [
            (&self.agent_events, false),
            (&self.config, true),
            (&self.agent_states, OutTopic::AgentStates.compacted()),
            (
                &self.adherence_events,
                OutTopic::AdherenceEvents.compacted(),
            ),
            (&self.intervals, OutTopic::Intervals.compacted()),
            (&self.unmapped, OutTopic::Unmapped.compacted()),
            (&self.dlq, OutTopic::Dlq.compacted()),
        ]
    }

    pub fn output(&self, t: OutTopic) -> &str {
        match t {
            OutTopic::AgentStates => &self.agent_states,
            OutTopic::AdherenceEvents => &self.adherence_events,
            OutTopic::Intervals => &self.intervals,
            OutTopic::Unmapped => &self.unmapped,
            OutTopic::Dlq => &self.dlq,
        }
    }
}

/// The embedded default: simulated agents instead of Kafka.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddedSettings {
    pub persons: usize,
    pub seed: u64,
    pub time_zone: String,
    /// Simulated seconds per wall-clock second (1 = real time).
    pub speed: f64,
}

/// Everything `rta run` needs, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `bootstrap.servers`; `None` runs the embedded default.
    pub brokers: Option<String>,
    pub group_id: String,
    pub topics: Topics,
    pub clock: ClockSetting,
    pub retention: Millis,
    pub lateness: Millis,
    pub future_tolerance: Millis,
    /// How often the wall clock is applied (timers fire), and summaries refreshed.
    pub tick: Millis,
    pub commit_interval: Millis,
    pub guarantee: Guarantee,
    /// Exactly-once: longest a transaction stays open, and most input records in one.
    pub transaction_max: Millis,
    pub transaction_max_records: usize,
    /// Names this instance in its `transactional.id` (`{group_id}.{instance_id}`): stable across
    /// restarts of one instance (a restart then aborts what its predecessor left open), unique
    /// in the group. Default: the host name.
    pub instance_id: String,
    pub create_topics: bool,
    pub partitions: i32,
    pub replication_factor: i32,
    pub partitioner: PartitionerSetting,
    pub http_addr: SocketAddr,
    /// HTTP: a request's headers must arrive within this; a connection without traffic for
    /// `http_idle_timeout` is closed; at most `http_max_connections` are open (beyond: closed
    /// at once).
    pub http_header_timeout: Millis,
    pub http_idle_timeout: Millis,
    pub http_max_connections: usize,
    /// Limits on hostile input (the `[limits]` table), installed for every engine at start.
    pub limits: crate::engine::Limits,
    pub log_format: LogFormat,
    /// librdkafka properties passed through unchanged (TLS, SASL, tuning).
    pub kafka: BTreeMap<String, String>,
    pub embedded: EmbeddedSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            brokers: None,
            group_id: "rta".into(),
            topics: Topics::default(),
            clock: ClockSetting::Wall,
            retention: 48 * 3_600_000,
            lateness: 2_000,
            future_tolerance: 5 * 60_000,
            tick: 1_000,
            commit_interval: 1_000,
            guarantee: Guarantee::AtLeastOnce,
            transaction_max: 100,
            transaction_max_records: 10_000,
            instance_id: host_name(),
            create_topics: true,
            partitions: 12,
            replication_factor: 1,
            partitioner: PartitionerSetting::Murmur2,
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            http_header_timeout: 5_000,
            http_idle_timeout: 60_000,
            http_max_connections: 256,
            limits: crate::engine::Limits::builtin(),
            log_format: LogFormat::Text,
            kafka: BTreeMap::new(),
            embedded: EmbeddedSettings {
                persons: 200,
                seed: 1,
                time_zone: "Europe/Berlin".into(),
                speed: 1.0,
            },
        }
    }
}

/// Values given on the command line or in `RTA_*` variables (clap merges those two); `None`
/// leaves the file's value or the default.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub brokers: Option<String>,
    pub group_id: Option<String>,
    pub clock: Option<ClockSetting>,
    pub http_addr: Option<String>,
    pub log_format: Option<LogFormat>,
    pub retention_hours: Option<u32>,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i32>,
    pub create_topics: Option<bool>,
    pub topic_prefix: Option<String>,
    pub guarantee: Option<Guarantee>,
    pub instance_id: Option<String>,
    /// `KEY=VALUE` pairs; a value may contain commas.
    pub kafka: Vec<String>,
    pub embedded_persons: Option<usize>,
    pub embedded_speed: Option<f64>,
}

impl Settings {
    /// Defaults, then the file (if any), then overrides; then checks.
    pub fn load(file: Option<&Path>, over: &Overrides) -> Result<Settings> {
        let mut s = Settings::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the config file {}", path.display()))?;
            let f: FileSettings = toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "the config file {} is not valid: {}",
                    path.display(),
                    e.message()
                )
            })?;
            f.apply(&mut s)?;
        }
        s.apply_overrides(over)?;
        s.check()?;
        Ok(s)
    }

    fn apply_overrides(&mut self, o: &Overrides) -> Result<()> {
        if let Some(b) = &o.brokers {
            self.brokers = Some(b.clone()).filter(|b| !b.trim().is_empty());
        }
        if let Some(g) = &o.group_id {
            self.group_id = g.clone();
        }
        if let Some(c) = o.clock {
            self.clock = c;
        }
        if let Some(a) = &o.http_addr {
            self.http_addr = parse_addr(a, "--http")?;
        }
        if let Some(f) = o.log_format {
            self.log_format = f;
        }
        if let Some(h) = o.retention_hours {
            self.retention = h as Millis * 3_600_000;
        }
        if let Some(p) = o.partitions {
            self.partitions = p;
        }
        if let Some(r) = o.replication_factor {
            self.replication_factor = r;
        }
        if let Some(c) = o.create_topics {
            self.create_topics = c;
        }
        if let Some(prefix) = &o.topic_prefix {
            self.topics.prefix(prefix);
        }
        if let Some(g) = o.guarantee {
            self.guarantee = g;
        }
        if let Some(i) = &o.instance_id {
            self.instance_id = i.clone();
        }
        for kv in &o.kafka {
            let Some((k, v)) = kv.split_once('=') else {
                bail!("--kafka {kv:?} is not KEY=VALUE; use e.g. --kafka security.protocol=SSL");
            };
            self.kafka
                .insert(k.trim().to_string(), v.trim().to_string());
        }
        if let Some(n) = o.embedded_persons {
            self.embedded.persons = n;
        }
        if let Some(s) = o.embedded_speed {
            self.embedded.speed = s;
        }
        Ok(())
    }

    /// Every check that can be made before connecting; one line per failure.
    pub fn check(&self) -> Result<()> {
        if self.group_id.trim().is_empty() {
            bail!("group id is empty; set --group-id, RTA_GROUP_ID or group_id in the file");
        }
        if self.retention < 3_600_000 {
            bail!("retention must be at least 1 hour (retention_hours)");
        }
        if self.partitions < 1 {
            bail!(
                "partitions must be at least 1 (got {}); set --partitions",
                self.partitions
            );
        }
        if self.replication_factor < 1 && self.replication_factor != -1 {
            bail!(
                "replication factor must be at least 1, or -1 for the broker default (got {})",
                self.replication_factor
            );
        }
        if self.instance_id.trim().is_empty()
            || !self
                .instance_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            bail!(
                "instance id {:?} must be letters, digits, '.', '_' or '-'; set --instance-id or RTA_INSTANCE_ID",
                self.instance_id
            );
        }
        if !(1..=60_000).contains(&self.transaction_max) || self.transaction_max_records == 0 {
            bail!("transaction_max_ms must be 1..60000 and transaction_max_records at least 1");
        }
        if self.tick < 10 || self.commit_interval < 10 {
            bail!("tick_ms and commit_interval_ms must be at least 10 ms");
        }
        if self.embedded.persons == 0 || self.embedded.persons > 1_000_000 {
            bail!("embedded persons must be between 1 and 1000000");
        }
        if !(self.embedded.speed.is_finite() && self.embedded.speed > 0.0) {
            bail!("embedded speed must be a positive number (1 = real time)");
        }
        if self.embedded.time_zone.parse::<chrono_tz::Tz>().is_err() {
            bail!(
                "embedded time zone {:?} is not an IANA time zone; use e.g. Europe/Berlin",
                self.embedded.time_zone
            );
        }
        let names = self.topics.all().map(|(n, _)| n);
        for n in names {
            if n.is_empty()
                || n.len() > 249
                || !n
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                bail!("topic name {n:?} is not a valid Kafka topic name (letters, digits, '.', '_', '-')");
            }
        }
        for (i, a) in names.iter().enumerate() {
            if names[i + 1..].contains(a) {
                bail!("topic {a:?} is configured for two roles; every topic must be distinct");
            }
        }
        if self.http_header_timeout < 100 || self.http_idle_timeout < 100 {
            bail!("http_header_timeout_ms and http_idle_timeout_ms must be at least 100 ms");
        }
        if self.http_max_connections < 4 {
            bail!("http_max_connections must be at least 4");
        }
        let l = &self.limits;
        if l.min_time >= l.max_time {
            bail!("limits: min_time must be before max_time");
        }
        if l.max_record_bytes < 1024 || l.max_field_bytes < 16 || l.max_elements < 1 {
            bail!("limits: max_record_bytes must be at least 1024, max_field_bytes at least 16, max_elements at least 1");
        }
        if l.max_clock_jump < 3_600_000 {
            bail!("limits: max_clock_jump_hours must be at least 1");
        }
        for k in self.kafka.keys() {
            if MANAGED_PROPERTIES.contains(&k.as_str()) {
                bail!("kafka property {k:?} is managed by rta; remove it from the [kafka] table");
            }
        }
        Ok(())
    }
}

/// librdkafka properties rta sets itself (its guarantees depend on them).
pub const MANAGED_PROPERTIES: [&str; 6] = [
    "enable.auto.commit",
    "enable.auto.offset.store",
    "enable.idempotence",
    "group.id",
    "transactional.id",
    "isolation.level",
];

/// `RTA_KAFKA`: `KEY=VALUE` pairs separated by newlines, or by commas where the next part
/// starts a new `key=` (librdkafka names are lowercase letters, digits and dots), so values
/// such as `debug=broker,topic,msg` keep their commas. A value with a comma followed by
/// `word=` needs the newline form.
pub fn split_kafka_env(v: &str) -> Vec<String> {
    if v.contains('\n') {
        return v
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
    }
    let starts_pair = |part: &str| {
        part.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        })
    };
    let mut out: Vec<String> = Vec::new();
    for part in v.split(',') {
        match out.last_mut() {
            Some(last) if !starts_pair(part.trim_start()) => {
                last.push(',');
                last.push_str(part);
            }
            _ if part.trim().is_empty() => {}
            _ => out.push(part.trim_start().to_string()),
        }
    }
    out
}

/// The host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`), as an instance id.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "rta".into())
}

impl Topics {
    /// Prefix every topic name (e.g. `staging.` → `staging.rta.config`).
    pub fn prefix(&mut self, p: &str) {
        for t in [
            &mut self.agent_events,
            &mut self.config,
            &mut self.agent_states,
            &mut self.adherence_events,
            &mut self.intervals,
            &mut self.unmapped,
            &mut self.dlq,
        ] {
            *t = format!("{p}{t}");
        }
    }
}

pub(crate) fn parse_addr(a: &str, what: &str) -> Result<SocketAddr> {
    a.parse().map_err(|_| {
        anyhow::anyhow!("{what} {a:?} is not an address:port; use e.g. 127.0.0.1:8080")
    })
}

#[cfg(test)]
mod tests;
