//! Before anything else: can rta talk to the brokers with the configured security settings?
//! A refused password or certificate fails at once with one line, instead of librdkafka
//! retrying forever in the background while the service looks hung.

use crate::settings::Settings;
use anyhow::{bail, Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the brokers may take to answer at start.
const CONNECT_WITHIN: Duration = Duration::from_secs(30);

/// Remembers the first error librdkafka reports that retrying cannot fix.
#[derive(Default)]
struct Probe {
    refused: Mutex<Option<String>>,
    last: Mutex<Option<String>>,
}

impl ClientContext for Probe {
    fn error(&self, error: KafkaError, reason: &str) {
        let hint = match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::Authentication) => Some(
                "Kafka refused the credentials; check sasl.mechanism, sasl.username and sasl.password",
            ),
            Some(RDKafkaErrorCode::SaslAuthenticationFailed) => Some(
                "Kafka refused the credentials; check sasl.mechanism, sasl.username and sasl.password",
            ),
            Some(RDKafkaErrorCode::SSL) => Some(
                "the TLS handshake with Kafka failed; check security.protocol and ssl.ca.location (the CA that signed the brokers' certificates)",
            ),
            _ => None,
        };
        if let Some(h) = hint {
            if let Ok(mut r) = self.refused.lock() {
                // the reason names the broker and mechanism, never the secret
                r.get_or_insert_with(|| format!("{h} ({})", first_line(reason)));
            }
        }
        if let Ok(mut l) = self.last.lock() {
            *l = Some(first_line(reason).to_string());
        }
    }
}

impl rdkafka::consumer::ConsumerContext for Probe {}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

/// Connect and read the cluster metadata, or fail with one line saying what to fix.
pub fn connect(s: &Settings, brokers: &str) -> Result<()> {
    let mut cfg = super::client::base(s, brokers);
    // what goes wrong is reported below in one line, not as librdkafka's log lines
    cfg.set_log_level(rdkafka::config::RDKafkaLogLevel::Emerg);
    let c: BaseConsumer<Probe> = cfg
        .create_with_context(Probe::default())
        .map_err(|e| {
            anyhow::anyhow!(
                "the Kafka client settings are not valid: {e}; check the [kafka] properties"
            )
        })
        .context("cannot create a Kafka client")?;
    let started = Instant::now();
    loop {
        let attempt = c.fetch_metadata(None, Duration::from_millis(500));
        // error events are served by poll
        let _ = c.poll(Duration::from_millis(100));
        let refused = c.context().refused.lock().ok().and_then(|r| r.clone());
        if let Some(why) = refused {
            bail!("{why}");
        }
        if attempt.is_ok() {
            return Ok(());
        }
        if started.elapsed() > CONNECT_WITHIN {
            let last = c.context().last.lock().ok().and_then(|l| l.clone());
            bail!(
                "cannot reach Kafka at {brokers} within {} s ({}); check --brokers and the network",
                CONNECT_WITHIN.as_secs(),
                last.unwrap_or_else(|| "no answer".into())
            );
        }
    }
}
