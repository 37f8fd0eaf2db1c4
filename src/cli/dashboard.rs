//! `rta dashboard`: the supervisor's page and API over Kafka (see [`crate::dashboard`]). It
//! takes `rta run`'s settings (brokers, topics and prefix, `[kafka]` properties, `http`,
//! `http_token`) and `--account` to keep and show one account only.

use super::run::RunArgs;
use crate::http::HttpServer;
use crate::metrics::Metrics;
use crate::service::LiveViews;
use crate::settings::Settings;
use anyhow::{bail, Result};
use std::sync::Arc;

#[derive(clap::Args, Debug, Default)]
pub struct DashboardArgs {
    /// Keep and show this account only (default: every account on the topics).
    #[arg(long)]
    pub account: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Serve the page and API from the topics until SIGTERM/SIGINT.
pub fn run(s: &Settings, account: Option<&str>) -> Result<()> {
    let Some(brokers) = &s.brokers else {
        bail!("rta dashboard reads Kafka: set --brokers, RTA_BROKERS or brokers in the config file (the embedded default serves the same page from rta run)");
    };
    let metrics = Arc::new(Metrics::new());
    let views = Arc::new(LiveViews::default());
    views.beat();
    let limits = crate::http::HttpLimits {
        header_timeout: std::time::Duration::from_millis(s.http_header_timeout as u64),
        idle_timeout: std::time::Duration::from_millis(s.http_idle_timeout as u64),
        max_connections: s.http_max_connections,
    };
    let access = crate::http::Access::new(s.http_token.as_ref());
    let http =
        HttpServer::start_with_access(s.http_addr, views.clone(), metrics.clone(), limits, access)?;
    let stop = http.shutdown_signal();
    tracing::info!(brokers = %brokers, addr = %http.addr, "rta dashboard: serving the page");
    let result = crate::dashboard::run(s, brokers, account, views, metrics, &stop);
    http.stop();
    result
}
