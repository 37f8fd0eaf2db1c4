//! `rta relay`: the webhook ingest (SPEC §9). Settings as for `rta run`: a TOML file
//! (`deploy/relay.example.toml`), `RTA_*` variables and flags.

use crate::settings::{split_kafka_env, LogFormat, RelayOverrides, RelaySettings};
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug, Default)]
pub struct RelayArgs {
    /// TOML settings file of the relay (see deploy/relay.example.toml).
    #[arg(long, short, env = "RTA_RELAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Kafka bootstrap servers.
    #[arg(long, env = "RTA_BROKERS")]
    pub brokers: Option<String>,
    /// HTTP address of the endpoints, /healthz, /readyz and /metrics (default 127.0.0.1:8080).
    #[arg(long, env = "RTA_HTTP")]
    pub http: Option<String>,
    /// Prefix of every topic name.
    #[arg(long, env = "RTA_TOPIC_PREFIX")]
    pub topic_prefix: Option<String>,
    /// Largest request body in bytes (default 1 MiB; 413 beyond).
    #[arg(long, env = "RTA_BODY_LIMIT_BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// Longest wait for the broker's acknowledgement in ms (default 10000; 503 beyond).
    #[arg(long, env = "RTA_ACK_TIMEOUT_MS")]
    pub ack_timeout_ms: Option<u64>,
    /// text or json.
    #[arg(long, value_enum, env = "RTA_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// librdkafka property KEY=VALUE, passed through (repeatable). RTA_KAFKA holds pairs
    /// separated by newlines or commas.
    #[arg(long = "kafka")]
    pub kafka: Vec<String>,
}

impl RelayArgs {
    pub fn settings(&self) -> Result<RelaySettings> {
        let over = RelayOverrides {
            brokers: self.brokers.clone(),
            http_addr: self.http.clone(),
            topic_prefix: self.topic_prefix.clone(),
            body_limit: self.body_limit_bytes,
            ack_timeout_ms: self.ack_timeout_ms,
            log_format: self.log_format,
            kafka: std::env::var("RTA_KAFKA")
                .map(|v| split_kafka_env(&v))
                .unwrap_or_default()
                .into_iter()
                .chain(self.kafka.iter().cloned())
                .collect(),
        };
        RelaySettings::load(self.config.as_deref(), &over)
    }
}
