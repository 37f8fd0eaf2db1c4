//! `rta run`: the streaming service. With brokers it is the Kafka service; without, the
//! embedded default (simulated agents through the same engine). Either way one HTTP port
//! serves metrics, probes and the JSON views.

use super::flags::KeyFlags;
use crate::http::HttpServer;
use crate::metrics::Metrics;
use crate::service::LiveViews;
use crate::settings::{LogFormat, Overrides, Settings};
use anyhow::Result;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// TOML settings file (docs/configuration.md, deploy/rta.example.toml).
    #[arg(long, short, env = "RTA_CONFIG")]
    pub config: Option<PathBuf>,
    /// One flag per settings key (docs/configuration.md).
    #[command(flatten)]
    pub flags: KeyFlags,
}

impl RunArgs {
    /// The environment and flag layers.
    pub fn overrides(&self) -> Result<Overrides> {
        Ok(Overrides {
            env: crate::settings::env_vars()?,
            flags: self.flags.pairs.clone(),
        })
    }

    /// File, environment and flags, merged and checked.
    pub fn settings(&self) -> Result<Settings> {
        Settings::load(self.config.as_deref(), &self.overrides()?)
    }
}

/// The warning `rta run` logs when it starts the embedded default.
pub const EMBEDDED_WARNING: &str = "no brokers are set: running the embedded default \
(simulated agents, no Kafka). To process real events, point rta at Kafka with \
--brokers HOST:PORT, RTA_BROKERS=HOST:PORT or brokers = \"HOST:PORT\" in the config file";

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
    let access = crate::http::Access::new(s.http_token.as_ref());
    let http =
        HttpServer::start_with_access(s.http_addr, views.clone(), metrics.clone(), limits, access)?;
    let stop = http.shutdown_signal();
    let result = match &s.brokers {
        Some(brokers) => {
            tracing::info!(brokers = %brokers, clock = ?s.clock, "rta run: Kafka service");
            kafka_run(s, brokers, views, metrics, &stop)
        }
        None => {
            tracing::warn!("{EMBEDDED_WARNING}");
            crate::embedded::run(s, views, metrics, &stop);
            Ok(())
        }
    };
    http.stop();
    result
}

#[cfg(feature = "kafka")]
use crate::kafka::run as kafka_run;

#[cfg(not(feature = "kafka"))]
fn kafka_run(
    _: &Settings,
    _: &str,
    _: Arc<LiveViews>,
    _: Arc<Metrics>,
    _: &std::sync::atomic::AtomicBool,
) -> Result<()> {
    anyhow::bail!("this rta was built without the `kafka` feature; rebuild with default features to use brokers")
}

pub fn log_json(s: &Settings, flag: bool) -> bool {
    flag || s.log_format == LogFormat::Json
}
