//! Whether the brokers answer, for `/readyz` and `rta_broker_reachable`, and librdkafka's
//! error callbacks logged without flooding: while a broker is down every client reports every
//! reconnect attempt, so each error code is logged on its first occurrence and then at most
//! once per [`LOG_EVERY`], with the count of the ones held back.

use crate::metrics::Metrics;
use crate::service::LiveViews;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LOG_EVERY: Duration = Duration::from_secs(10);

pub struct BrokerHealth {
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    /// Error code → (last logged, held back since).
    logged: Mutex<HashMap<String, (Instant, u64)>>,
}

impl BrokerHealth {
    pub fn new(views: Arc<LiveViews>, metrics: Arc<Metrics>) -> Arc<BrokerHealth> {
        Arc::new(BrokerHealth {
            views,
            metrics,
            logged: Mutex::new(HashMap::new()),
        })
    }

    /// Some broker answered (statistics show one UP, a delivery was acknowledged).
    pub fn up(&self) {
        self.set(true);
    }

    fn set(&self, up: bool) {
        let was = self.views.broker_reachable.swap(up, Ordering::AcqRel);
        self.metrics.broker_reachable.set(i64::from(up));
        if was != up {
            if up {
                tracing::info!("Kafka brokers reachable");
            } else {
                tracing::warn!("all Kafka brokers are down; /readyz answers 503 until one is back");
            }
        }
    }

    /// A client's error callback.
    pub fn on_error(&self, client: &str, error: &KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.set(false);
        }
        self.warn_throttled(client, &error.to_string(), reason);
    }

    /// Log a warning unless the same one was logged within [`LOG_EVERY`].
    pub fn warn_throttled(&self, client: &str, what: &str, reason: &str) {
        let key = format!("{client}: {what}");
        let Ok(mut m) = self.logged.lock() else {
            return;
        };
        let now = Instant::now();
        match m.get_mut(&key) {
            Some((at, held)) if now.duration_since(*at) < LOG_EVERY => *held += 1,
            Some((at, held)) => {
                tracing::warn!(client, error = %what, reason, repeated = *held, "Kafka client error");
                *at = now;
                *held = 0;
            }
            None => {
                tracing::warn!(client, error = %what, reason, "Kafka client error");
                m.insert(key, (now, 0));
            }
        }
    }

    /// Statistics of a client: some broker with a node id is UP.
    pub fn on_stats(&self, s: &rdkafka::Statistics) {
        if s.brokers.values().any(|b| b.nodeid >= 0 && b.state == "UP") {
            self.up();
        }
    }
}
