//! Settings of the webhook relay (`rta relay`, SPEC §9), in the same pattern as `rta run`'s: a
//! TOML file (`deploy/relay.example.toml`), `RTA_*` environment variables and flags, merged in
//! that order (flags win), then checked once at start. The relay has a file shape of its own
//! (unknown keys are refused), so a service file is not mistaken for a relay file.

use super::{parse_addr, LogFormat, PartitionerSetting, Settings};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Everything `rta relay` needs, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct RelaySettings {
    pub brokers: String,
    /// Topics read (`config`) and written (`agent_events`, `contact_events`).
    pub config_topic: String,
    pub agent_events_topic: String,
    pub contact_events_topic: String,
    /// How records are assigned to partitions (must match `rta run`'s `partitioner`).
    pub partitioner: PartitionerSetting,
    pub http_addr: SocketAddr,
    pub http_header_timeout: Duration,
    pub http_idle_timeout: Duration,
    pub http_max_connections: usize,
    /// Largest request body (413 beyond).
    pub body_limit: usize,
    /// How long a request waits for the broker's acknowledgement (503 + Retry-After beyond).
    pub ack_timeout: Duration,
    /// Requests, and body bytes, being produced at once (503 beyond either).
    pub max_in_flight_requests: usize,
    pub max_in_flight_bytes: usize,
    /// The `Retry-After` of a 503, in seconds.
    pub retry_after_seconds: u32,
    /// Consumer group name of the config reader (it commits nothing; the name shows in tools).
    pub group_id: String,
    pub log_format: LogFormat,
    /// librdkafka properties passed through unchanged (TLS, SASL, tuning).
    pub kafka: BTreeMap<String, String>,
}

impl Default for RelaySettings {
    fn default() -> Self {
        RelaySettings {
            brokers: String::new(),
            config_topic: crate::wire::CONFIG_TOPIC.into(),
            agent_events_topic: crate::wire::AGENT_EVENTS_TOPIC.into(),
            contact_events_topic: crate::wire::CONTACT_EVENTS_TOPIC.into(),
            partitioner: PartitionerSetting::Murmur2,
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            http_header_timeout: Duration::from_secs(5),
            http_idle_timeout: Duration::from_secs(60),
            http_max_connections: 512,
            body_limit: 1 << 20,
            ack_timeout: Duration::from_secs(10),
            max_in_flight_requests: 4096,
            max_in_flight_bytes: 64 << 20,
            retry_after_seconds: 1,
            group_id: "rta-relay".into(),
            log_format: LogFormat::Text,
            kafka: BTreeMap::new(),
        }
    }
}

/// The relay file's shape (`deploy/relay.example.toml`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RelayFile {
    brokers: Option<String>,
    group_id: Option<String>,
    partitioner: Option<PartitionerSetting>,
    http: Option<String>,
    http_header_timeout_ms: Option<u64>,
    http_idle_timeout_ms: Option<u64>,
    http_max_connections: Option<usize>,
    body_limit_bytes: Option<usize>,
    ack_timeout_ms: Option<u64>,
    max_in_flight_requests: Option<usize>,
    max_in_flight_bytes: Option<usize>,
    retry_after_seconds: Option<u32>,
    log_format: Option<LogFormat>,
    #[serde(default)]
    topics: RelayFileTopics,
    #[serde(default)]
    kafka: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RelayFileTopics {
    prefix: Option<String>,
    config: Option<String>,
    agent_events: Option<String>,
    contact_events: Option<String>,
}

/// Values from flags or `RTA_*` variables; `None` keeps the file's value or the default.
#[derive(Clone, Debug, Default)]
pub struct RelayOverrides {
    pub brokers: Option<String>,
    pub http_addr: Option<String>,
    pub topic_prefix: Option<String>,
    pub body_limit: Option<usize>,
    pub ack_timeout_ms: Option<u64>,
    pub log_format: Option<LogFormat>,
    /// `KEY=VALUE` pairs.
    pub kafka: Vec<String>,
}

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

impl RelaySettings {
    /// Defaults, then the file (if any), then overrides; then checks.
    pub fn load(file: Option<&Path>, over: &RelayOverrides) -> Result<RelaySettings> {
        let mut s = RelaySettings::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the relay config file {}", path.display()))?;
            let f: RelayFile = toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "the relay config file {} is not valid: {}",
                    path.display(),
                    e.message()
                )
            })?;
            s.apply_file(f)?;
        }
        s.apply_overrides(over)?;
        s.check()?;
        Ok(s)
    }

    fn apply_file(&mut self, f: RelayFile) -> Result<()> {
        set(&mut self.brokers, f.brokers);
        set(&mut self.group_id, f.group_id);
        set(&mut self.partitioner, f.partitioner);
        if let Some(a) = f.http {
            self.http_addr = parse_addr(&a).map_err(|e| anyhow::anyhow!("http: {e}"))?;
        }
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        set(&mut self.http_header_timeout, ms(f.http_header_timeout_ms));
        set(&mut self.http_idle_timeout, ms(f.http_idle_timeout_ms));
        set(&mut self.http_max_connections, f.http_max_connections);
        set(&mut self.body_limit, f.body_limit_bytes);
        set(&mut self.ack_timeout, ms(f.ack_timeout_ms));
        set(&mut self.max_in_flight_requests, f.max_in_flight_requests);
        set(&mut self.max_in_flight_bytes, f.max_in_flight_bytes);
        set(&mut self.retry_after_seconds, f.retry_after_seconds);
        set(&mut self.log_format, f.log_format);
        set(&mut self.config_topic, f.topics.config);
        set(&mut self.agent_events_topic, f.topics.agent_events);
        set(&mut self.contact_events_topic, f.topics.contact_events);
        if let Some(p) = f.topics.prefix {
            self.prefix(&p);
        }
        for (k, v) in f.kafka {
            let v = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => bail!(
                    "kafka property {k:?} must be a string, number or boolean (got {})",
                    other.type_str()
                ),
            };
            self.kafka.insert(k, v);
        }
        Ok(())
    }

    fn apply_overrides(&mut self, o: &RelayOverrides) -> Result<()> {
        set(&mut self.brokers, o.brokers.clone());
        if let Some(a) = &o.http_addr {
            self.http_addr = parse_addr(a).map_err(|e| anyhow::anyhow!("--http: {e}"))?;
        }
        if let Some(p) = &o.topic_prefix {
            self.prefix(p);
        }
        set(&mut self.body_limit, o.body_limit);
        set(
            &mut self.ack_timeout,
            o.ack_timeout_ms.map(Duration::from_millis),
        );
        set(&mut self.log_format, o.log_format);
        for kv in &o.kafka {
            let Some((k, v)) = kv.split_once('=') else {
                bail!("--kafka {kv:?} is not KEY=VALUE; use e.g. --kafka security.protocol=SSL");
            };
            self.kafka
                .insert(k.trim().to_string(), v.trim().to_string());
        }
        Ok(())
    }

    fn prefix(&mut self, p: &str) {
        for t in [
            &mut self.config_topic,
            &mut self.agent_events_topic,
            &mut self.contact_events_topic,
        ] {
            *t = format!("{p}{t}");
        }
    }

    /// Every check that can be made before connecting; one line per failure.
    pub fn check(&self) -> Result<()> {
        if self.brokers.trim().is_empty() {
            bail!("the relay needs Kafka: set --brokers, RTA_BROKERS or brokers in the file");
        }
        if self.body_limit < 1024 || self.body_limit > 64 << 20 {
            bail!("body_limit_bytes must be between 1024 and 67108864");
        }
        if self.ack_timeout < Duration::from_millis(100)
            || self.ack_timeout > Duration::from_secs(300)
        {
            bail!("ack_timeout_ms must be between 100 and 300000");
        }
        if self.max_in_flight_requests < 1 || self.max_in_flight_bytes < self.body_limit {
            bail!("max_in_flight_requests must be at least 1 and max_in_flight_bytes at least body_limit_bytes");
        }
        if self.http_header_timeout < Duration::from_millis(100)
            || self.http_idle_timeout < Duration::from_millis(100)
        {
            bail!("http_header_timeout_ms and http_idle_timeout_ms must be at least 100 ms");
        }
        if self.http_max_connections < 4 {
            bail!("http_max_connections must be at least 4");
        }
        for t in [
            &self.config_topic,
            &self.agent_events_topic,
            &self.contact_events_topic,
        ] {
            if t.is_empty()
                || t.len() > 249
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                bail!("topic name {t:?} is not a valid Kafka topic name (letters, digits, '.', '_', '-')");
            }
        }
        for k in self.kafka.keys() {
            if RELAY_MANAGED.contains(&k.as_str()) {
                bail!("kafka property {k:?} is managed by the relay (acks=all, idempotence); remove it");
            }
        }
        Ok(())
    }

    /// The service settings the shared Kafka helpers take (brokers, pass-through properties,
    /// the config topic and a group id of the relay's own).
    pub fn kafka_settings(&self) -> Settings {
        let mut s = Settings {
            brokers: Some(self.brokers.clone()),
            group_id: self.group_id.clone(),
            partitioner: self.partitioner,
            kafka: self.kafka.clone(),
            ..Settings::default()
        };
        s.topics.config = self.config_topic.clone();
        s.topics.agent_events = self.agent_events_topic.clone();
        s
    }
}

/// librdkafka properties the relay sets itself (its answers depend on them).
pub const RELAY_MANAGED: [&str; 6] = [
    "acks",
    "request.required.acks",
    "enable.idempotence",
    "transactional.id",
    "group.id",
    "partitioner",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags_and_checks() {
        let p = std::env::temp_dir().join(format!("rta-relay-{}.toml", std::process::id()));
        std::fs::write(
            &p,
            "brokers = \"k:9092\"\nbody_limit_bytes = 2048\n[topics]\nprefix = \"t.\"\n[kafka]\n\"linger.ms\" = 1\n",
        )
        .unwrap();
        let over = RelayOverrides {
            ack_timeout_ms: Some(500),
            ..RelayOverrides::default()
        };
        let s = RelaySettings::load(Some(&p), &over).unwrap();
        let _ = std::fs::remove_file(&p);
        assert_eq!(s.brokers, "k:9092");
        assert_eq!(s.body_limit, 2048);
        assert_eq!(s.agent_events_topic, "t.rta.agent-events");
        assert_eq!(s.contact_events_topic, "t.rta.contact-events");
        assert_eq!(s.ack_timeout, Duration::from_millis(500));
        assert_eq!(s.kafka["linger.ms"], "1");
        let bad = RelayOverrides {
            brokers: Some("k:9092".into()),
            kafka: vec!["acks=1".into()],
            ..RelayOverrides::default()
        };
        let e = RelaySettings::load(None, &bad).unwrap_err().to_string();
        assert!(e.contains("managed by the relay"), "{e}");
        let none = RelaySettings::load(None, &RelayOverrides::default()).unwrap_err();
        assert!(none.to_string().contains("--brokers"), "{none}");
    }

    #[test]
    fn the_example_file_loads_as_the_defaults() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/relay.example.toml");
        let over = RelayOverrides {
            brokers: Some("k:9092".into()),
            ..RelayOverrides::default()
        };
        let s = RelaySettings::load(Some(&p), &over).unwrap();
        let d = RelaySettings {
            brokers: "k:9092".into(),
            http_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            kafka: [("linger.ms".to_string(), "1".to_string())].into(),
            ..RelaySettings::default()
        };
        assert_eq!(s, d);
    }
}
