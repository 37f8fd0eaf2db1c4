//! The declaration of every key of `rta relay` (SPEC §9): the same three sources and
//! precedence as `rta run`'s keys (flags, then `RTA_*` variables, then the TOML file
//! `deploy/relay.example.toml`), generated into the relay's flags and its part of
//! `docs/configuration.md`. Keys both commands have use the same names and variables.

use super::keys::{int, topic, Declared, Key, Table, HOUR};
use super::relay::{RelaySettings, RELAY_MANAGED};
use super::value::{Kind, Val};
use super::{LogFormat, PartitionerSetting};
use std::time::Duration;

impl Declared for RelaySettings {
    fn keys() -> &'static [Key<Self>] {
        RELAY_KEYS
    }
    fn tables() -> &'static [Table] {
        RELAY_TABLES
    }
}

/// The tables of the relay's file.
pub static RELAY_TABLES: &[Table] = &[
    Table {
        name: "",
        heading: "`rta relay`: top-level keys",
        help: "Settings",
    },
    Table {
        name: "topics",
        heading: "`rta relay`: `[topics]`",
        help: "Settings: topics",
    },
    Table {
        name: "kafka",
        heading: "`rta relay`: `[kafka]`",
        help: "Settings: Kafka",
    },
];

fn millis(v: &Val) -> Duration {
    Duration::from_millis(v.int().max(0) as u64)
}

/// Every key of the relay. Precedence: flags, then environment variables, then the file, then
/// the defaults.
#[rustfmt::skip]
pub static RELAY_KEYS: &[Key<RelaySettings>] = &[
    key!("brokers", "RTA_BROKERS", "brokers", None, Kind::Str,
        "Kafka bootstrap servers (`host:port,…`); required.",
        |_s| "(none: required)".into(),
        |s, v| s.brokers = v.text()),
    key!("group_id", "RTA_GROUP_ID", "group-id", None, Kind::Str,
        "Name of the config reader's consumer (it joins no group and commits nothing).",
        |s| s.group_id.clone(),
        |s, v| s.group_id = v.text()),
    key!("partitioner", "RTA_PARTITIONER", "partitioner", None, Kind::Choice(&["murmur2", "crc32"]),
        "How records are assigned to partitions: must be `rta run`'s `partitioner`, so that each account's events land where its instance expects them.",
        |s| if s.partitioner == PartitionerSetting::Murmur2 { "murmur2".into() } else { "crc32".into() },
        |s, v| s.partitioner = if v.text() == "crc32" { PartitionerSetting::Crc32 } else { PartitionerSetting::Murmur2 }),
    key!("http", "RTA_HTTP", "http", None, Kind::Addr,
        "The one HTTP port: the ingest endpoints, /healthz, /readyz and /metrics.",
        |s| s.http_addr.to_string(),
        |s, v| s.http_addr = super::parse_addr(&v.text())?),
    key!("http_header_timeout_ms", "RTA_HTTP_HEADER_TIMEOUT_MS", "http-header-timeout-ms", None, int(100, HOUR),
        "A request's headers must arrive within this.",
        |s| s.http_header_timeout.as_millis().to_string(),
        |s, v| s.http_header_timeout = millis(&v)),
    key!("http_idle_timeout_ms", "RTA_HTTP_IDLE_TIMEOUT_MS", "http-idle-timeout-ms", None, int(100, 24 * HOUR),
        "A connection without traffic for this long is closed.",
        |s| s.http_idle_timeout.as_millis().to_string(),
        |s, v| s.http_idle_timeout = millis(&v)),
    key!("http_max_connections", "RTA_HTTP_MAX_CONNECTIONS", "http-max-connections", None, int(4, 1_000_000),
        "Open connections at most; beyond, a new connection is closed at once.",
        |s| s.http_max_connections.to_string(),
        |s, v| s.http_max_connections = v.int() as usize),
    key!("body_limit_bytes", "RTA_BODY_LIMIT_BYTES", "body-limit-bytes", None, int(1024, 64 << 20),
        "Largest request body; larger ones get 413 too_large.",
        |s| s.body_limit.to_string(),
        |s, v| s.body_limit = v.int() as usize),
    key!("ack_timeout_ms", "RTA_ACK_TIMEOUT_MS", "ack-timeout-ms", None, int(100, 300_000),
        "A request waits this long for the broker's acknowledgement (acks=all), then gets 503 with Retry-After (librdkafka's message.timeout.ms defaults to it too).",
        |s| s.ack_timeout.as_millis().to_string(),
        |s, v| s.ack_timeout = millis(&v)),
    key!("max_in_flight_requests", "RTA_MAX_IN_FLIGHT_REQUESTS", "max-in-flight-requests", None, int(1, 1_000_000),
        "Requests waiting for the broker at once; beyond: 503.",
        |s| s.max_in_flight_requests.to_string(),
        |s, v| s.max_in_flight_requests = v.int() as usize),
    key!("max_in_flight_bytes", "RTA_MAX_IN_FLIGHT_BYTES", "max-in-flight-bytes", None, int(1024, 1 << 40),
        "Body bytes waiting for the broker at once (at least body_limit_bytes); beyond: 503.",
        |s| s.max_in_flight_bytes.to_string(),
        |s, v| s.max_in_flight_bytes = v.int() as usize),
    key!("retry_after_seconds", "RTA_RETRY_AFTER_SECONDS", "retry-after-seconds", None, int(1, 3600),
        "The Retry-After of every 503, in seconds.",
        |s| s.retry_after_seconds.to_string(),
        |s, v| s.retry_after_seconds = v.int() as u32),
    key!("log_format", "RTA_LOG_FORMAT", "log-format", None, Kind::Choice(&["text", "json"]),
        "`text` (human-readable) or `json` (one JSON object a line) on stderr; levels from RTA_LOG.",
        |s| if s.log_format == LogFormat::Json { "json".into() } else { "text".into() },
        |s, v| s.log_format = if v.text() == "json" { LogFormat::Json } else { LogFormat::Text }),
    key!("topics.prefix", "RTA_TOPIC_PREFIX", "topic-prefix", None, Kind::Str,
        "Prefix of every topic name (e.g. `staging.` gives `staging.rta.config`).",
        |s| s.topic_prefix.clone(),
        |s, v| s.topic_prefix = v.text()),
    key!("topics.config", "RTA_TOPICS_CONFIG", "topics-config", None, Kind::Str,
        "Read: the config table (integrations and their secrets' hashes).",
        |s| s.config_topic.clone(),
        |s, v| s.config_topic = topic(v)?),
    key!("topics.agent_events", "RTA_TOPICS_AGENT_EVENTS", "topics-agent-events", None, Kind::Str,
        "Written: agent events (the Odigo and injixo agent-status endpoints).",
        |s| s.agent_events_topic.clone(),
        |s, v| s.agent_events_topic = topic(v)?),
    key!("topics.contact_events", "RTA_TOPICS_CONTACT_EVENTS", "topics-contact-events", None, Kind::Str,
        "Written: contact events (the injixo contact-events endpoint).",
        |s| s.contact_events_topic.clone(),
        |s, v| s.contact_events_topic = topic(v)?),
    key!("kafka", "RTA_KAFKA", "kafka", None, Kind::Pairs,
        "librdkafka properties passed through to the relay's producer and config reader (TLS, SASL, tuning); every source adds to the others. acks, enable.idempotence, transactional.id, group.id and partitioner are managed by the relay.",
        |_s| "(none)".into(),
        |s, v| {
            if let Val::Pairs(pairs) = v {
                for (k, val) in pairs {
                    if RELAY_MANAGED.contains(&k.as_str()) {
                        return Err(format!("kafka property {k:?} is managed by the relay (acks=all, idempotence); remove it"));
                    }
                    s.kafka.insert(k, val);
                }
            }
        }),
];
