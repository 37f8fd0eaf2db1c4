//! `rta run`: the streaming service. With brokers it is the Kafka service; without, the
//! embedded default (simulated agents through the same engine). Either way one HTTP port
//! serves metrics, probes and the JSON views.

use crate::http::HttpServer;
use crate::metrics::Metrics;
use crate::service::LiveViews;
use crate::settings::{split_kafka_env, ClockSetting, Guarantee, LogFormat, Overrides, Settings};
use anyhow::Result;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// TOML settings file (see deploy/rta.example.toml).
    #[arg(long, short, env = "RTA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Kafka bootstrap servers; empty or absent runs the embedded default.
    #[arg(long, env = "RTA_BROKERS")]
    pub brokers: Option<String>,
    /// Consumer group id.
    #[arg(long, env = "RTA_GROUP_ID")]
    pub group_id: Option<String>,
    /// wall (live) or event-time (backfills, tests).
    #[arg(long, value_enum, env = "RTA_CLOCK")]
    pub clock: Option<ClockSetting>,
    /// HTTP address for /metrics, /healthz, /readyz and /api (default 127.0.0.1:8080).
    #[arg(long, env = "RTA_HTTP")]
    pub http: Option<String>,
    /// text or json.
    #[arg(long, value_enum, env = "RTA_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// How late events may arrive and still count (hours).
    #[arg(long, env = "RTA_RETENTION_HOURS")]
    pub retention_hours: Option<u32>,
    /// Partitions of topics rta creates.
    #[arg(long, env = "RTA_PARTITIONS")]
    pub partitions: Option<i32>,
    /// Replication factor of topics rta creates.
    #[arg(long, env = "RTA_REPLICATION_FACTOR")]
    pub replication_factor: Option<i32>,
    /// Create missing topics at start (true/false).
    #[arg(long, env = "RTA_CREATE_TOPICS")]
    pub create_topics: Option<bool>,
    /// Prefix of every topic name.
    #[arg(long, env = "RTA_TOPIC_PREFIX")]
    pub topic_prefix: Option<String>,
    /// at-least-once or exactly-once (SPEC §11).
    #[arg(long, value_enum, env = "RTA_PROCESSING_GUARANTEE")]
    pub processing_guarantee: Option<Guarantee>,
    /// This instance's name in its transactional id (default: the host name).
    #[arg(long, env = "RTA_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// librdkafka property KEY=VALUE, passed through (repeatable; values may contain commas).
    /// RTA_KAFKA holds pairs separated by newlines or commas.
    #[arg(long = "kafka")]
    pub kafka: Vec<String>,
    /// Embedded default: number of simulated persons.
    #[arg(long, env = "RTA_EMBEDDED_PERSONS")]
    pub persons: Option<usize>,
    /// Embedded default: simulated seconds per second (1 = real time).
    #[arg(long, env = "RTA_EMBEDDED_SPEED")]
    pub speed: Option<f64>,
}

impl RunArgs {
    pub fn settings(&self) -> Result<Settings> {
        let over = Overrides {
            brokers: self.brokers.clone(),
            group_id: self.group_id.clone(),
            clock: self.clock,
            http_addr: self.http.clone(),
            log_format: self.log_format,
            retention_hours: self.retention_hours,
            partitions: self.partitions,
            replication_factor: self.replication_factor,
            create_topics: self.create_topics,
            topic_prefix: self.topic_prefix.clone(),
            guarantee: self.processing_guarantee,
            instance_id: self.instance_id.clone(),
            // the environment first, so flags win
            kafka: std::env::var("RTA_KAFKA")
                .map(|v| split_kafka_env(&v))
                .unwrap_or_default()
                .into_iter()
                .chain(self.kafka.iter().cloned())
                .collect(),
            embedded_persons: self.persons,
            embedded_speed: self.speed,
        };
        Settings::load(self.config.as_deref(), &over)
    }
}

/// Run the service with validated settings until SIGTERM/SIGINT.
pub fn run(s: &Settings) -> Result<()> {
    let metrics = Arc::new(Metrics::new());
    let views = Arc::new(LiveViews::default());
    views.beat();
    // Every engine of this process (embedded or Kafka) takes its input limits from here.
    s.limits.clone().install();
    let limits = crate::http::HttpLimits {
        header_timeout: std::time::Duration::from_millis(s.http_header_timeout as u64),
        idle_timeout: std::time::Duration::from_millis(s.http_idle_timeout as u64),
        max_connections: s.http_max_connections,
    };
    let http = HttpServer::start(s.http_addr, views.clone(), metrics.clone(), limits)?;
    let stop = http.shutdown_signal();
    let result = match &s.brokers {
        Some(brokers) => {
            tracing::info!(brokers = %brokers, clock = ?s.clock, "rta run: Kafka service");
            crate::kafka::run(s, brokers, views, metrics, &stop)
        }
        None => {
            crate::embedded::run(s, views, metrics, &stop);
            Ok(())
        }
    };
    http.stop();
    result
}

pub fn log_json(s: &Settings, flag: bool) -> bool {
    flag || s.log_format == LogFormat::Json
}
