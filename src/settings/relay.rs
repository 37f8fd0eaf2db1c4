//! Settings of the webhook relay (`rta relay`, SPEC §9), read like `rta run`'s from a
//! declaration of keys (`relay_keys.rs`): a TOML file (`deploy/relay.example.toml`), `RTA_*`
//! environment variables and flags, merged in that order (flags win), then checked once at
//! start. The relay's file has keys of its own (unknown keys are refused), so a service file is
//! not mistaken for a relay file.

use super::{layers, LogFormat, Overrides, PartitionerSetting, Settings};
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Everything `rta relay` needs, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct RelaySettings {
    pub brokers: String,
    /// Prefix of every topic name, applied once after every source is read.
    pub topic_prefix: String,
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
            topic_prefix: String::new(),
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

impl RelaySettings {
    /// Defaults, then the file (if any), then `RTA_*` variables, then flags; then checks.
    /// Every error is one line naming its source, as for `rta run`.
    pub fn load(file: Option<&Path>, over: &Overrides) -> Result<RelaySettings> {
        let mut s: RelaySettings = layers::load(file, &over.env, &over.flags)?;
        let p = s.topic_prefix.clone();
        for t in [
            &mut s.config_topic,
            &mut s.agent_events_topic,
            &mut s.contact_events_topic,
        ] {
            *t = format!("{p}{t}");
        }
        s.check()?;
        Ok(s)
    }

    /// Every check that can be made before connecting; one line per failure.
    pub fn check(&self) -> Result<()> {
        if self.brokers.trim().is_empty() {
            bail!("the relay needs Kafka: set --brokers, RTA_BROKERS or brokers in the file");
        }
        if self.max_in_flight_bytes < self.body_limit {
            bail!(
                "max_in_flight_bytes must be at least body_limit_bytes ({})",
                self.body_limit
            );
        }
        for t in [
            &self.config_topic,
            &self.agent_events_topic,
            &self.contact_events_topic,
        ] {
            if !super::valid_name(t, 249) {
                bail!("topic name {t:?} is not a valid Kafka topic name (letters, digits, '.', '_', '-'); check topics.prefix and the [topics] table");
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

    fn over(env: &[(&str, &str)], flags: &[(&str, &str)]) -> Overrides {
        let own = |p: &[(&str, &str)]| {
            p.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        Overrides {
            env: own(env),
            flags: own(flags),
        }
    }

    #[test]
    fn file_then_variables_then_flags_and_checks() {
        let p = std::env::temp_dir().join(format!("rta-relay-{}.toml", std::process::id()));
        std::fs::write(
            &p,
            "brokers = \"k:9092\"\nbody_limit_bytes = 2048\nretry_after_seconds = 3\n[topics]\nprefix = \"t.\"\n[kafka]\n\"linger.ms\" = 1\n",
        )
        .unwrap();
        let o = over(
            &[
                ("RTA_RETRY_AFTER_SECONDS", "5"),
                ("RTA_ACK_TIMEOUT_MS", "700"),
            ],
            &[("ack-timeout-ms", "500"), ("http-max-connections", "9")],
        );
        let s = RelaySettings::load(Some(&p), &o).unwrap();
        let _ = std::fs::remove_file(&p);
        assert_eq!(s.brokers, "k:9092");
        assert_eq!(s.body_limit, 2048);
        assert_eq!(s.retry_after_seconds, 5);
        assert_eq!(s.http_max_connections, 9);
        assert_eq!(s.agent_events_topic, "t.rta.agent-events");
        assert_eq!(s.contact_events_topic, "t.rta.contact-events");
        assert_eq!(s.ack_timeout, Duration::from_millis(500));
        assert_eq!(s.kafka["linger.ms"], "1");
        let bad = over(&[("RTA_BROKERS", "k:9092")], &[("kafka", "acks=1")]);
        let e = RelaySettings::load(None, &bad).unwrap_err().to_string();
        assert!(
            e.contains("--kafka") && e.contains("managed by the relay"),
            "{e}"
        );
        let none = RelaySettings::load(None, &Overrides::default()).unwrap_err();
        assert!(none.to_string().contains("--brokers"), "{none}");
        let range = over(&[("RTA_BODY_LIMIT_BYTES", "12")], &[("brokers", "k:9092")]);
        let e = RelaySettings::load(None, &range).unwrap_err().to_string();
        assert!(e.contains("RTA_BODY_LIMIT_BYTES"), "{e}");
        let unknown = std::env::temp_dir().join(format!("rta-relay-u{}.toml", std::process::id()));
        std::fs::write(&unknown, "brokers = \"k:9092\"\nclock = \"wall\"\n").unwrap();
        let e = RelaySettings::load(Some(&unknown), &Overrides::default())
            .unwrap_err()
            .to_string();
        let _ = std::fs::remove_file(&unknown);
        assert!(
            e.contains("unknown key \"clock\"") && e.contains("line 2"),
            "{e}"
        );
    }

    #[test]
    fn the_example_file_loads_as_the_defaults() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/relay.example.toml");
        let s = RelaySettings::load(Some(&p), &over(&[], &[("brokers", "k:9092")])).unwrap();
        let d = RelaySettings {
            brokers: "k:9092".into(),
            http_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            kafka: [("linger.ms".to_string(), "1".to_string())].into(),
            ..RelaySettings::default()
        };
        assert_eq!(s, d);
    }
}
