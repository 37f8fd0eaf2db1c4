//! The one declaration of every settings key: its TOML name, `RTA_*` variable, flag, type,
//! default and documentation. The file reader, the environment reader, the flags and
//! `docs/configuration.md` are all generated from the declarations: [`KEYS`] for `rta run` and
//! `rta dashboard`, [`super::relay_keys::RELAY_KEYS`] for `rta relay` (a settings struct of its
//! own, [`Declared`] ties each struct to its keys).

use super::value::{Kind, Val};
use super::{ClockSetting, Guarantee, LogFormat, PartitionerSetting, Settings, MANAGED_PROPERTIES};
use crate::time::{format_rfc3339, parse_rfc3339};

/// One settings key of the settings struct `S`.
pub struct Key<S: 'static = Settings> {
    /// TOML name; `table.key` for keys of a table (`[topics]`, `[embedded]`, `[limits]`).
    pub name: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// Flag of `rta run`, without `--`.
    pub flag: &'static str,
    /// An older flag name, still accepted.
    pub alias: Option<&'static str>,
    pub kind: Kind,
    /// One or two sentences for the reference and `--help` (first sentence).
    pub doc: &'static str,
    /// The default as shown in the reference; text in parentheses is a description, not a value.
    pub default: fn(&S) -> String,
    /// Store a parsed value; `Err` is a reason, the caller names the source.
    pub set: fn(&mut S, Val) -> Result<(), String>,
}

/// A settings struct read from a declaration of keys: the file, `RTA_*` variables and flags
/// of its command.
pub trait Declared: Default + Sized + 'static {
    /// Every key, in the reference's order.
    fn keys() -> &'static [Key<Self>];
    /// The tables of the file, in the reference's order.
    fn tables() -> &'static [Table];
}

/// A table of the TOML file (`""` for the top level).
pub struct Table {
    pub name: &'static str,
    /// Heading in `docs/configuration.md`.
    pub heading: &'static str,
    /// Heading of its flags in `--help`.
    pub help: &'static str,
}

impl Declared for Settings {
    fn keys() -> &'static [Key<Self>] {
        KEYS
    }
    fn tables() -> &'static [Table] {
        TABLES
    }
}

impl<S> Key<S> {
    /// The table a key belongs to (`""` for top-level keys) and its name within it.
    pub fn split(&self) -> (&'static str, &'static str) {
        match self.kind {
            Kind::Pairs => (self.name, self.name),
            _ => self.name.split_once('.').unwrap_or(("", self.name)),
        }
    }
}

/// A key by its TOML name.
pub fn by_name<S: Declared>(name: &str) -> Option<&'static Key<S>> {
    S::keys().iter().find(|k| k.name == name)
}

/// A key by its flag or the flag's alias (without `--`).
pub fn by_flag<S: Declared>(flag: &str) -> Option<&'static Key<S>> {
    S::keys()
        .iter()
        .find(|k| k.flag == flag || k.alias == Some(flag))
}

/// A key by its environment variable.
pub fn by_env<S: Declared>(env: &str) -> Option<&'static Key<S>> {
    S::keys().iter().find(|k| k.env == env)
}

/// The tables of `rta run`'s file, in the reference's order.
pub static TABLES: &[Table] = &[
    Table {
        name: "",
        heading: "Top-level keys",
        help: "Settings",
    },
    Table {
        name: "topics",
        heading: "`[topics]`: topic names",
        help: "Settings: topics",
    },
    Table {
        name: "kafka",
        heading: "`[kafka]`: librdkafka properties",
        help: "Settings: Kafka",
    },
    Table {
        name: "embedded",
        heading: "`[embedded]`: the embedded default",
        help: "Settings: embedded default",
    },
    Table {
        name: "limits",
        heading: "`[limits]`: limits on hostile input",
        help: "Settings: limits",
    },
];

/// `RTA_*` variables that are not settings keys but are read by rta, its tests or its scripts;
/// they never draw the unknown-variable warning.
pub const OTHER_VARS: &[(&str, &str)] = &[
    (
        "RTA_CONFIG",
        "`rta run`: the TOML settings file (same as `--config`).",
    ),
    (
        "RTA_LOG",
        "Log levels as a tracing filter: `info` (default), `warn`, `rta=debug`, …",
    ),
    (
        "RTA_LOG_JSON",
        "Every command: log JSON lines (same as `--log-json`); a boolean.",
    ),
    (
        "RTA_TEST_SEED",
        "Tests: replays one seed of the exactly-once kill test.",
    ),
    (
        "RTA_TEST_LOG",
        "Tests: the `RTA_LOG` filter of the `rta run` the Kafka tests start (default `info`).",
    ),
    (
        "RTA_WRAPPER",
        "Tests: a command line the Kafka tests start `rta run` under (e.g. `perf record --`).",
    ),
    (
        "RTA_MEM_PERSONS",
        "Benchmarks: persons of the memory benchmark.",
    ),
    (
        "RTA_ARGS",
        "Benchmarks: extra `rta run` arguments of the Kafka end-to-end benchmark.",
    ),
    (
        "RTA_RELAY_CONFIG",
        "`rta relay`: its TOML settings file (same as `--config`; `deploy/relay.example.toml`).",
    ),
    (
        "RTA_RELAY_URL",
        "`rta integration add|secret`: the relay's public URL, to print the Odigo notification URL.",
    ),
    ("RTA_BIN", "`.ci/ops-checks`: the `rta` binary to check."),
    ("RTA_PID", "`.ci/ops-checks`: internal."),
    ("RTA_PORT", "`.ci/ops-checks`: internal."),
];

pub(super) const HOUR: i64 = 3_600_000;
pub(super) const BIG: i64 = 1 << 40;

/// Topic names: letters, digits, `.`, `_`, `-` (at most 249); checked again after the prefix.
pub(super) fn topic(v: Val) -> Result<String, String> {
    let t = v.text();
    if super::valid_name(&t, 249) {
        Ok(t)
    } else {
        Err(format!(
            "topic name {t:?} is not a valid Kafka topic name (letters, digits, '.', '_', '-')"
        ))
    }
}

fn time(v: Val) -> Result<i64, String> {
    let t = v.text();
    parse_rfc3339(&t).ok_or_else(|| format!("{t:?} is not an RFC 3339 time"))
}

/// One [`Key`]; the settings struct is inferred from the table it is in.
macro_rules! key {
    ($name:literal, $env:literal, $flag:literal, $alias:expr, $kind:expr, $doc:literal,
     |$g:ident| $get:expr, |$s:ident, $v:ident| $set:expr) => {
        Key {
            name: $name,
            env: $env,
            flag: $flag,
            alias: $alias,
            kind: $kind,
            doc: $doc,
            default: |$g| $get,
            set: |$s, $v| {
                $set;
                Ok(())
            },
        }
    };
}

pub(super) const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}

/// Every settings key. Precedence: flags, then environment variables, then the file, then the
/// defaults.
#[rustfmt::skip]
pub static KEYS: &[Key<Settings>] = &[
    key!("brokers", "RTA_BROKERS", "brokers", None, Kind::Str,
        "Kafka bootstrap servers (`host:port,…`); absent or empty runs the embedded default (simulated agents through the same engine, no broker needed).",
        |_s| "(none: the embedded default)".into(),
        |s, v| s.brokers = Some(v.text()).filter(|b| !b.trim().is_empty())),
    key!("group_id", "RTA_GROUP_ID", "group-id", None, Kind::Str,
        "Consumer group of the input topics; instances with the same group share the accounts.",
        |s| s.group_id.clone(),
        |s, v| { let g = v.text(); if g.trim().is_empty() { return Err("the group id is empty".into()) } s.group_id = g }),
    key!("clock", "RTA_CLOCK", "clock", None, Kind::Choice(&["wall", "event-time"]),
        "`wall` (live: timers fire on the wall clock) or `event-time` (each account's clock is its largest event time: backfills, tests).",
        |s| if s.clock == ClockSetting::Wall { "wall".into() } else { "event-time".into() },
        |s, v| s.clock = if v.text() == "wall" { ClockSetting::Wall } else { ClockSetting::EventTime }),
    key!("retention_hours", "RTA_RETENTION_HOURS", "retention-hours", None, int(1, 100_000),
        "How late events may arrive and still count; also how far back state is rebuilt on start. Keep the event topic's retention.ms at least this long.",
        |s| (s.retention / HOUR).to_string(),
        |s, v| s.retention = v.int() * HOUR),
    key!("lateness_ms", "RTA_LATENESS_MS", "lateness-ms", None, int(0, HOUR),
        "Timers fire once the clock is this far past them (absorbs relay jitter).",
        |s| s.lateness.to_string(),
        |s, v| s.lateness = v.int()),
    key!("future_tolerance_seconds", "RTA_FUTURE_TOLERANCE_SECONDS", "future-tolerance-seconds", None, int(0, 4_294_967_295),
        "Wall clock: events more than this ahead of the clock are dead letters (`future_timestamp`).",
        |s| (s.future_tolerance / 1000).to_string(),
        |s, v| s.future_tolerance = v.int() * 1000),
    key!("tick_ms", "RTA_TICK_MS", "tick-ms", None, int(10, HOUR),
        "How often the wall clock is applied (timers fire) and summaries are refreshed.",
        |s| s.tick.to_string(),
        |s, v| s.tick = v.int()),
    key!("commit_interval_ms", "RTA_COMMIT_INTERVAL_MS", "commit-interval-ms", None, int(10, HOUR),
        "How often acknowledged input offsets are committed (at-least-once).",
        |s| s.commit_interval.to_string(),
        |s, v| s.commit_interval = v.int()),
    key!("processing_guarantee", "RTA_PROCESSING_GUARANTEE", "processing-guarantee", None, Kind::Choice(&["at-least-once", "exactly-once"]),
        "`at-least-once` or `exactly-once` (SPEC §11). At-least-once: a crash republishes the outputs since the last commit. Exactly-once: outputs and input offsets commit in one Kafka transaction (readers use isolation.level=read_committed).",
        |s| if s.guarantee == Guarantee::AtLeastOnce { "at-least-once".into() } else { "exactly-once".into() },
        |s, v| s.guarantee = if v.text() == "exactly-once" { Guarantee::ExactlyOnce } else { Guarantee::AtLeastOnce }),
    key!("transaction_max_ms", "RTA_TRANSACTION_MAX_MS", "transaction-max-ms", None, int(1, 60_000),
        "Exactly-once: a transaction commits after at most this long.",
        |s| s.transaction_max.to_string(),
        |s, v| s.transaction_max = v.int()),
    key!("transaction_max_records", "RTA_TRANSACTION_MAX_RECORDS", "transaction-max-records", None, int(1, 100_000_000),
        "Exactly-once: a transaction commits after at most this many input records.",
        |s| s.transaction_max_records.to_string(),
        |s, v| s.transaction_max_records = v.int() as usize),
    key!("instance_id", "RTA_INSTANCE_ID", "instance-id", None, Kind::Str,
        "Exactly-once: this instance's name in its transactional.id (`{group_id}.{instance_id}`); stable across restarts of one instance, unique in the group (a StatefulSet's pod name is both).",
        |_s| "(the host name)".into(),
        |s, v| { let i = v.text(); if !super::valid_name(&i, 200) { return Err(format!("instance id {i:?} must be letters, digits, '.', '_' or '-'")) } s.instance_id = i }),
    key!("create_topics", "RTA_CREATE_TOPICS", "create-topics", None, Kind::Bool,
        "Create missing topics at start (the compacted ones with cleanup.policy=compact).",
        |s| s.create_topics.to_string(),
        |s, v| s.create_topics = v.flag()),
    key!("changelog", "RTA_CHANGELOG", "changelog", None, Kind::Bool,
        "Keep every person's and account's state in topics.changelog and restore from it on assignment, continuing from the committed offsets (SPEC §11); off: each assignment rebuilds from the retained input.",
        |s| s.changelog.to_string(),
        |s, v| s.changelog = v.flag()),
    key!("workers", "RTA_WORKERS", "workers", None, int(1, 64),
        "Worker threads of `rta run` on Kafka: each is a member of the consumer group with its own engine shard (accounts share nothing), its own producer and, exactly-once, its own transactional.id (`{group_id}.{instance_id}` for the first, `.w{n}` appended for the others); the HTTP views and metrics are shared.",
        |_s| "(the number of cores)".into(),
        |s, v| s.workers = v.int() as usize),
    key!("partitions", "RTA_PARTITIONS", "partitions", None, int(1, 100_000),
        "Partitions of the topics rta creates.",
        |s| s.partitions.to_string(),
        |s, v| s.partitions = v.int() as i32),
    key!("replication_factor", "RTA_REPLICATION_FACTOR", "replication-factor", None, int(-1, 1000),
        "Replication factor of the topics rta creates; -1 for the broker's default.",
        |s| s.replication_factor.to_string(),
        |s, v| { if v.int() == 0 { return Err("0 is not a replication factor; use at least 1, or -1 for the broker default".into()) } s.replication_factor = v.int() as i32 }),
    key!("partitioner", "RTA_PARTITIONER", "partitioner", None, Kind::Choice(&["murmur2", "crc32"]),
        "How the relays' producers partition the event topic by account: `murmur2` (Java clients, librdkafka murmur2_random) or `crc32` (librdkafka's default consistent_random).",
        |s| if s.partitioner == PartitionerSetting::Murmur2 { "murmur2".into() } else { "crc32".into() },
        |s, v| s.partitioner = if v.text() == "crc32" { PartitionerSetting::Crc32 } else { PartitionerSetting::Murmur2 }),
    key!("http", "RTA_HTTP", "http", None, Kind::Addr,
        "The HTTP port: /metrics, /healthz, /readyz and the JSON endpoints under /api.",
        |s| s.http_addr.to_string(),
        |s, v| s.http_addr = super::parse_addr(&v.text())?),
    key!("http_header_timeout_ms", "RTA_HTTP_HEADER_TIMEOUT_MS", "http-header-timeout-ms", None, int(100, HOUR),
        "A request's headers must arrive within this.",
        |s| s.http_header_timeout.to_string(),
        |s, v| s.http_header_timeout = v.int()),
    key!("http_idle_timeout_ms", "RTA_HTTP_IDLE_TIMEOUT_MS", "http-idle-timeout-ms", None, int(100, 24 * HOUR),
        "A connection without traffic for this long is closed.",
        |s| s.http_idle_timeout.to_string(),
        |s, v| s.http_idle_timeout = v.int()),
    key!("http_max_connections", "RTA_HTTP_MAX_CONNECTIONS", "http-max-connections", None, int(4, 1_000_000),
        "Most HTTP connections open at once; beyond it a new connection is closed at once.",
        |s| s.http_max_connections.to_string(),
        |s, v| s.http_max_connections = v.int() as usize),
    key!("http_token", "RTA_HTTP_TOKEN", "http-token", None, Kind::Str,
        "Access token of the dashboard's data (/api): requests send `Authorization: Bearer TOKEN` or `?token=TOKEN` (at least 16 characters; compared in constant time). Empty: no token. The page itself, /metrics and the probes stay open.",
        |_s| "(none: no token)".into(),
        |s, v| s.http_token = super::token(&v.text())?),
    key!("log_format", "RTA_LOG_FORMAT", "log-format", None, Kind::Choice(&["text", "json"]),
        "`text` (human-readable) or `json` (one JSON object a line) on stderr; levels from RTA_LOG.",
        |s| if s.log_format == LogFormat::Json { "json".into() } else { "text".into() },
        |s, v| s.log_format = if v.text() == "json" { LogFormat::Json } else { LogFormat::Text }),
    key!("topics.prefix", "RTA_TOPIC_PREFIX", "topic-prefix", None, Kind::Str,
        "Prefix of every topic name (e.g. `staging.` gives `staging.rta.config`).",
        |s| s.topic_prefix.clone(),
        |s, v| s.topic_prefix = v.text()),
    key!("topics.agent_events", "RTA_TOPICS_AGENT_EVENTS", "topics-agent-events", None, Kind::Str,
        "Input: agent events from the relays.",
        |s| s.topics.agent_events.clone(),
        |s, v| s.topics.agent_events = topic(v)?),
    key!("topics.config", "RTA_TOPICS_CONFIG", "topics-config", None, Kind::Str,
        "Input: configuration records (compacted).",
        |s| s.topics.config.clone(),
        |s, v| s.topics.config = topic(v)?),
    key!("topics.contact_events", "RTA_TOPICS_CONTACT_EVENTS", "topics-contact-events", None, Kind::Str,
        "Input: injixo API contact-event bodies from the relays (SPEC §10).",
        |s| s.topics.contact_events.clone(),
        |s, v| s.topics.contact_events = topic(v)?),
    key!("topics.agent_states", "RTA_TOPICS_AGENT_STATES", "topics-agent-states", None, Kind::Str,
        "Output: each person's current state (compacted).",
        |s| s.topics.agent_states.clone(),
        |s, v| s.topics.agent_states = topic(v)?),
    key!("topics.adherence_events", "RTA_TOPICS_ADHERENCE_EVENTS", "topics-adherence-events", None, Kind::Str,
        "Output: adherence changes.",
        |s| s.topics.adherence_events.clone(),
        |s, v| s.topics.adherence_events = topic(v)?),
    key!("topics.intervals", "RTA_TOPICS_INTERVALS", "topics-intervals", None, Kind::Str,
        "Output: interval summaries (compacted).",
        |s| s.topics.intervals.clone(),
        |s, v| s.topics.intervals = topic(v)?),
    key!("topics.unmapped", "RTA_TOPICS_UNMAPPED", "topics-unmapped", None, Kind::Str,
        "Output: unmapped identifiers and statuses (compacted).",
        |s| s.topics.unmapped.clone(),
        |s, v| s.topics.unmapped = topic(v)?),
    key!("topics.dlq", "RTA_TOPICS_DLQ", "topics-dlq", None, Kind::Str,
        "Output: dead letters with a reason.",
        |s| s.topics.dlq.clone(),
        |s, v| s.topics.dlq = topic(v)?),
    key!("topics.queue_intervals", "RTA_TOPICS_QUEUE_INTERVALS", "topics-queue-intervals", None, Kind::Str,
        "Output: queue interval statistics from contact events (compacted).",
        |s| s.topics.queue_intervals.clone(),
        |s, v| s.topics.queue_intervals = topic(v)?),
    key!("topics.changelog", "RTA_TOPICS_CHANGELOG", "topics-changelog", None, Kind::Str,
        "State: the changelog rta restores from (compacted; created with the agent-events topic's partition count).",
        |s| s.topics.changelog.clone(),
        |s, v| s.topics.changelog = topic(v)?),
    key!("kafka", "RTA_KAFKA", "kafka", None, Kind::Pairs,
        "librdkafka properties passed through to every client (TLS, SASL, compression, tuning); every source adds to the others. The flag takes one KEY=VALUE (repeatable; the value may hold commas); RTA_KAFKA holds pairs separated by newlines, or by commas where the next part starts a new `key=`.",
        |_s| "(none)".into(),
        |s, v| {
            if let Val::Pairs(pairs) = v {
                for (k, val) in pairs {
                    if MANAGED_PROPERTIES.contains(&k.as_str()) {
                        return Err(format!("kafka property {k:?} is managed by rta; remove it"));
                    }
                    s.kafka.insert(k, val);
                }
            }
        }),
    key!("embedded.persons", "RTA_EMBEDDED_PERSONS", "embedded-persons", Some("persons"), int(1, 1_000_000),
        "Number of simulated persons.",
        |s| s.embedded.persons.to_string(),
        |s, v| s.embedded.persons = v.int() as usize),
    key!("embedded.seed", "RTA_EMBEDDED_SEED", "embedded-seed", None, int(0, i64::MAX),
        "Random seed of the simulation: the same seed gives the same days.",
        |s| s.embedded.seed.to_string(),
        |s, v| s.embedded.seed = v.int() as u64),
    key!("embedded.time_zone", "RTA_EMBEDDED_TIME_ZONE", "embedded-time-zone", None, Kind::Str,
        "IANA time zone of the simulated account.",
        |s| s.embedded.time_zone.clone(),
        |s, v| { let tz = v.text(); if tz.parse::<chrono_tz::Tz>().is_err() { return Err(format!("{tz:?} is not an IANA time zone; use e.g. Europe/Berlin")) } s.embedded.time_zone = tz }),
    key!("embedded.speed", "RTA_EMBEDDED_SPEED", "embedded-speed", Some("speed"), Kind::Float,
        "Simulated seconds per wall-clock second (1 = real time).",
        |s| s.embedded.speed.to_string(),
        |s, v| s.embedded.speed = v.float()),
    key!("embedded.start", "RTA_EMBEDDED_START", "embedded-start", None, Kind::Time,
        "Where the simulated clock starts (RFC 3339), e.g. a weekday morning for a demo; it then runs at `speed`.",
        |_s| "(now)".into(),
        |s, v| s.embedded.start = Some(time(v)?)),
    key!("limits.min_time", "RTA_LIMITS_MIN_TIME", "limits-min-time", None, Kind::Time,
        "Earliest accepted event and schedule time; earlier: `bad_timestamp` / `invalid_config`.",
        |s| format_rfc3339(s.limits.min_time),
        |s, v| s.limits.min_time = time(v)?),
    key!("limits.max_time", "RTA_LIMITS_MAX_TIME", "limits-max-time", None, Kind::Time,
        "End (exclusive) of accepted event and schedule times.",
        |s| format_rfc3339(s.limits.max_time),
        |s, v| s.limits.max_time = time(v)?),
    key!("limits.max_clock_jump_hours", "RTA_LIMITS_MAX_CLOCK_JUMP_HOURS", "limits-max-clock-jump-hours", None, int(1, 1_000_000),
        "Event-time clocks: an event further ahead of its account's clock is `future_timestamp`.",
        |s| (s.limits.max_clock_jump / HOUR).to_string(),
        |s, v| s.limits.max_clock_jump = v.int() * HOUR),
    key!("limits.max_record_bytes", "RTA_LIMITS_MAX_RECORD_BYTES", "limits-max-record-bytes", None, int(1024, BIG),
        "Bytes of one input record's value; beyond: `too_large`.",
        |s| s.limits.max_record_bytes.to_string(),
        |s, v| s.limits.max_record_bytes = v.int() as usize),
    key!("limits.max_field_bytes", "RTA_LIMITS_MAX_FIELD_BYTES", "limits-max-field-bytes", None, int(16, BIG),
        "Bytes of one identifier or status; beyond: `too_large`.",
        |s| s.limits.max_field_bytes.to_string(),
        |s, v| s.limits.max_field_bytes = v.int() as usize),
    key!("limits.max_elements", "RTA_LIMITS_MAX_ELEMENTS", "limits-max-elements", None, int(1, BIG),
        "Elements of one Odigo array or injixo data list; beyond: `too_large`.",
        |s| s.limits.max_elements.to_string(),
        |s, v| s.limits.max_elements = v.int() as usize),
    key!("limits.max_segments", "RTA_LIMITS_MAX_SEGMENTS", "limits-max-segments", None, int(0, BIG),
        "Segments of one schedule record; beyond: `invalid_config`.",
        |s| s.limits.max_segments.to_string(),
        |s, v| s.limits.max_segments = v.int() as usize),
    key!("limits.max_timeline", "RTA_LIMITS_MAX_TIMELINE", "limits-max-timeline", None, int(0, BIG),
        "Retained events per person; beyond: `person_full`.",
        |s| s.limits.max_timeline.to_string(),
        |s, v| s.limits.max_timeline = v.int() as usize),
    key!("limits.park_per_identifier", "RTA_LIMITS_PARK_PER_IDENTIFIER", "limits-park-per-identifier", None, int(0, BIG),
        "Parked events of one unmapped identifier; beyond: `parking_full`.",
        |s| s.limits.park_limit.to_string(),
        |s, v| s.limits.park_limit = v.int() as usize),
    key!("limits.park_per_account", "RTA_LIMITS_PARK_PER_ACCOUNT", "limits-park-per-account", None, int(0, BIG),
        "Parked events of one account; beyond: `parking_full`.",
        |s| s.limits.park_total_limit.to_string(),
        |s, v| s.limits.park_total_limit = v.int() as usize),
    key!("limits.park_bytes", "RTA_LIMITS_PARK_BYTES", "limits-park-bytes", None, int(0, BIG),
        "Parked bytes of one account; beyond: `parking_full`.",
        |s| s.limits.park_bytes_limit.to_string(),
        |s, v| s.limits.park_bytes_limit = v.int() as usize),
    key!("limits.hold_per_integration", "RTA_LIMITS_HOLD_PER_INTEGRATION", "limits-hold-per-integration", None, int(0, BIG),
        "Events held for a paused integration; beyond: `hold_full`.",
        |s| s.limits.hold_limit.to_string(),
        |s, v| s.limits.hold_limit = v.int() as usize),
    key!("limits.hold_bytes", "RTA_LIMITS_HOLD_BYTES", "limits-hold-bytes", None, int(0, BIG),
        "Bytes held for a paused integration; beyond: `hold_full`.",
        |s| s.limits.hold_bytes_limit.to_string(),
        |s, v| s.limits.hold_bytes_limit = v.int() as usize),
    key!("limits.max_unmapped", "RTA_LIMITS_MAX_UNMAPPED", "limits-max-unmapped", None, int(0, BIG),
        "Distinct unmapped values reported per account; beyond: `unmapped_full`.",
        |s| s.limits.max_unmapped.to_string(),
        |s, v| s.limits.max_unmapped = v.int() as usize),
    key!("limits.max_queues", "RTA_LIMITS_MAX_QUEUES", "limits-max-queues", None, int(0, BIG),
        "Distinct queues (integration, queueIdentifier, queueName) per account; beyond: `queues_full`.",
        |s| s.limits.max_queues.to_string(),
        |s, v| s.limits.max_queues = v.int() as usize),
    key!("limits.max_channels", "RTA_LIMITS_MAX_CHANNELS", "limits-max-channels", None, int(0, 65535),
        "Distinct contact channel names per account; beyond: `queues_full`.",
        |s| s.limits.max_channels.to_string(),
        |s, v| s.limits.max_channels = v.int() as usize),
    key!("limits.max_contact_bodies", "RTA_LIMITS_MAX_CONTACT_BODIES", "limits-max-contact-bodies", None, int(0, BIG),
        "Contact-event bodies remembered per account to count resubmissions once; beyond, a body counts unremembered.",
        |s| s.limits.max_contact_bodies.to_string(),
        |s, v| s.limits.max_contact_bodies = v.int() as usize),
];
