//! Settings of the streaming service (`rta run`): a TOML file, `RTA_*` environment variables and
//! command-line flags, merged in that order (flags win), then checked once at start so that a
//! bad value fails with one clear line naming its source. Every key is declared once, in
//! `keys.rs`; the readers of each source, the flags and `docs/configuration.md` follow from it.

#[macro_use]
mod keys;
mod layers;
mod reference;
mod relay;
mod relay_keys;
mod value;

pub use keys::{Declared, Key, Table, KEYS, OTHER_VARS};
pub use layers::{env_vars, unknown_env_warnings};
pub use reference::reference_markdown;
pub use relay::RelaySettings;
pub use relay_keys::RELAY_KEYS;
pub use value::{parse_bool, Kind};

use crate::engine::OutTopic;
use crate::time::Millis;
use anyhow::{bail, Result};
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
    pub contact_events: String,
    pub queue_intervals: String,
    /// The state store's changelog (compacted; SPEC §11, docs/changelog.md).
    pub changelog: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            agent_events: crate::wire::AGENT_EVENTS_TOPIC.into(),
            config: crate::wire::CONFIG_TOPIC.into(),
            agent_states: OutTopic::AgentStates.default_name().into(),
            adherence_events: OutTopic::AdherenceEvents.default_name().into(),
            intervals: OutTopic::Intervals.default_name().into(),
            unmapped: OutTopic::Unmapped.default_name().into(),
            dlq: OutTopic::Dlq.default_name().into(),
            contact_events: crate::wire::CONTACT_EVENTS_TOPIC.into(),
            queue_intervals: OutTopic::QueueIntervals.default_name().into(),
            changelog: crate::wire::CHANGELOG_TOPIC.into(),
        }
    }
}

impl Topics {
    /// Every topic with whether it is compacted: the three inputs, the outputs, the changelog.
    pub fn all(&self) -> [(&str, bool); 10] {
        [
            (&self.agent_events, false),
            (&self.config, true),
            (&self.contact_events, false),
            (&self.agent_states, OutTopic::AgentStates.compacted()),
            (
                &self.adherence_events,
                OutTopic::AdherenceEvents.compacted(),
            ),
            (&self.intervals, OutTopic::Intervals.compacted()),
            (&self.unmapped, OutTopic::Unmapped.compacted()),
            (&self.dlq, OutTopic::Dlq.compacted()),
            (&self.queue_intervals, OutTopic::QueueIntervals.compacted()),
            (&self.changelog, true),
        ]
    }

    pub fn output(&self, t: OutTopic) -> &str {
        match t {
            OutTopic::AgentStates => &self.agent_states,
            OutTopic::AdherenceEvents => &self.adherence_events,
            OutTopic::Intervals => &self.intervals,
            OutTopic::Unmapped => &self.unmapped,
            OutTopic::Dlq => &self.dlq,
            OutTopic::QueueIntervals => &self.queue_intervals,
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
    /// Where the simulated clock starts (default: now).
    pub start: Option<Millis>,
}

/// A secret setting: compared, never shown (`Debug` prints a placeholder).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
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
    /// Keep the state in `topics.changelog` and restore from it (SPEC §11); off: every
    /// assignment rebuilds from retained input.
    pub changelog: bool,
    /// Worker threads of the Kafka service (group members with an engine shard each).
    pub workers: usize,
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
    /// The access token of the dashboard's API (`/api`); `None`: no token needed.
    pub http_token: Option<Secret>,
    /// Limits on hostile input (the `[limits]` table), installed for every engine at start.
    pub limits: crate::engine::Limits,
    /// `topics.prefix`, already applied to `topics` by [`Settings::load`].
    pub topic_prefix: String,
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
            changelog: true,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get().min(64)),
            partitions: 12,
            replication_factor: 1,
            partitioner: PartitionerSetting::Murmur2,
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            http_header_timeout: 5_000,
            http_idle_timeout: 60_000,
            http_max_connections: 256,
            http_token: None,
            limits: crate::engine::Limits::builtin(),
            topic_prefix: String::new(),
            log_format: LogFormat::Text,
            kafka: BTreeMap::new(),
            embedded: EmbeddedSettings {
                persons: 200,
                seed: 1,
                time_zone: "Europe/Berlin".into(),
                speed: 1.0,
                start: None,
            },
        }
    }
}

/// The environment and flag layers of [`Settings::load`] (the file is the third).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `RTA_*` variables as (name, value); names that are not keys are ignored here (see
    /// [`unknown_env_warnings`]), empty values count as unset.
    pub env: Vec<(String, String)>,
    /// Flags of `rta run` as (name without `--`, value), in command-line order.
    pub flags: Vec<(String, String)>,
}

impl Overrides {
    /// Whether JSON logs were asked for (`log_format`: flag, then variable, then the file if it
    /// parses), to report an error in the requested format when the settings cannot be loaded.
    pub fn wants_json(&self, file: Option<&Path>) -> bool {
        let flag = self.flags.iter().rev().find(|(f, _)| f == "log-format");
        let env = self
            .env
            .iter()
            .find(|(n, v)| n == "RTA_LOG_FORMAT" && !v.trim().is_empty());
        let from_file = || {
            let text = std::fs::read_to_string(file?).ok()?;
            let table: toml::Table = toml::from_str(&text).ok()?;
            table.get("log_format")?.as_str().map(str::to_string)
        };
        let format = match flag.or(env) {
            Some((_, v)) => Some(v.clone()),
            None => from_file(),
        };
        format.is_some_and(|v| v.trim().eq_ignore_ascii_case("json"))
    }
}

impl Settings {
    /// Defaults, then the file (if any), then environment variables, then flags; then checks.
    /// Every error is one line naming its source (file with line and column, variable, flag).
    pub fn load(file: Option<&Path>, over: &Overrides) -> Result<Settings> {
        let mut s: Settings = layers::load(file, &over.env, &over.flags)?;
        let prefix = s.topic_prefix.clone();
        s.topics.prefix(&prefix);
        s.check()?;
        Ok(s)
    }

    /// The checks that involve more than one key (each key is checked as it is read).
    pub fn check(&self) -> Result<()> {
        let names = self.topics.all().map(|(n, _)| n);
        for n in names {
            if !valid_name(n, 249) {
                bail!("topic name {n:?} is not a valid Kafka topic name (letters, digits, '.', '_', '-'); check topics.prefix and the [topics] table");
            }
        }
        for (i, a) in names.iter().enumerate() {
            if names[i + 1..].contains(a) {
                bail!("topic {a:?} is configured for two roles; every topic must be distinct");
            }
        }
        if self.limits.min_time >= self.limits.max_time {
            bail!("limits: min_time must be before max_time");
        }
        Ok(())
    }
}

/// Letters, digits, `.`, `_` and `-`, 1 to `max` bytes (topic names, instance ids).
pub(crate) fn valid_name(n: &str, max: usize) -> bool {
    !n.is_empty()
        && n.len() <= max
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Warnings for the process's `RTA_*` variables that name no setting (typos such as
/// `RTA_BROKER`), each with the closest known name.
pub fn env_warnings() -> Vec<String> {
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .collect();
    unknown_env_warnings(names.iter().map(String::as_str))
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
            &mut self.contact_events,
            &mut self.queue_intervals,
            &mut self.changelog,
        ] {
            *t = format!("{p}{t}");
        }
    }
}

/// An access token: empty is none; a short one is refused (the message never repeats it).
pub(crate) fn token(t: &str) -> Result<Option<Secret>, String> {
    let t = t.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the access token contains spaces or control characters".into());
    }
    if t.chars().count() < 16 {
        return Err(
            "the access token is shorter than 16 characters; use a random one, \
                    e.g. from `openssl rand -hex 16`"
                .into(),
        );
    }
    Ok(Some(Secret(t.to_string())))
}

pub(crate) fn parse_addr(a: &str) -> Result<SocketAddr, String> {
    a.trim()
        .parse()
        .map_err(|_| format!("{a:?} is not an address:port; use e.g. 127.0.0.1:8080"))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sources;
