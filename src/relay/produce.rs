//! Producing request bodies: an idempotent producer with `acks=all` whose delivery report is
//! awaited within a bound, the broker's reachability (for `/readyz`), and the in-flight limit
//! (requests and body bytes) that turns overload into `503` instead of memory growth.

use super::metrics::RelayMetrics;
use crate::settings::{PartitionerSetting, RelaySettings};
use anyhow::{Context, Result};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The producer's context: broker reachability from statistics and error callbacks.
pub struct RelayContext {
    pub reachable: Arc<AtomicBool>,
    pub metrics: Arc<RelayMetrics>,
}

impl RelayContext {
    fn set(&self, up: bool) {
        let was = self.reachable.swap(up, Ordering::AcqRel);
        self.metrics.broker_reachable.set(i64::from(up));
        if was != up {
            match up {
                true => tracing::info!("Kafka brokers reachable"),
                false => tracing::warn!("all Kafka brokers are down; /readyz answers 503"),
            }
        }
    }
}

impl ClientContext for RelayContext {
    fn stats(&self, s: rdkafka::Statistics) {
        let up = s.brokers.values().any(|b| b.nodeid >= 0 && b.state == "UP");
        self.set(up);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.set(false);
        }
        // librdkafka's reasons name brokers and mechanisms, never record contents
        tracing::debug!(error = %error, reason, "Kafka producer error");
    }
}

pub type Producer = FutureProducer<RelayContext>;

/// The relay's producer: idempotent, `acks=all`, giving up on a record after the ack bound.
pub fn producer(
    s: &RelaySettings,
    metrics: Arc<RelayMetrics>,
) -> Result<(Producer, Arc<AtomicBool>)> {
    let ks = s.kafka_settings();
    let mut c = crate::kafka::client::base(&ks, &s.brokers);
    c.set("client.id", "rta-relay")
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set(
            "partitioner",
            match s.partitioner {
                PartitionerSetting::Murmur2 => "murmur2_random",
                PartitionerSetting::Crc32 => "consistent_random",
            },
        );
    let ack_ms = s.ack_timeout.as_millis().to_string();
    for (k, v) in [
        ("linger.ms", "1"),
        ("message.timeout.ms", ack_ms.as_str()),
        ("statistics.interval.ms", "1000"),
    ] {
        if c.get(k).is_none() {
            c.set(k, v);
        }
    }
    let reachable = Arc::new(AtomicBool::new(false));
    let ctx = RelayContext {
        reachable: reachable.clone(),
        metrics,
    };
    let p: Producer = c
        .create_with_context(ctx)
        .context("cannot create the Kafka producer; check the [kafka] properties")?;
    Ok((p, reachable))
}

/// Why a record was not acknowledged (both answer 503 + Retry-After).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAcked {
    /// No acknowledgement within the bound.
    Timeout,
    /// The broker or the producer refused or failed it.
    Failed,
}

/// Produce one record (key = account, header `rta-integration`) and wait for its
/// acknowledgement, at most `bound`.
pub async fn produce(
    p: &Producer,
    topic: &str,
    account: &str,
    integration: &str,
    body: &[u8],
    bound: Duration,
    metrics: &RelayMetrics,
) -> Result<(), NotAcked> {
    let headers = OwnedHeaders::new().insert(Header {
        key: crate::wire::INTEGRATION_HEADER,
        value: Some(integration.as_bytes()),
    });
    let rec = FutureRecord::to(topic)
        .key(account)
        .payload(body)
        .headers(headers);
    let started = Instant::now();
    let delivery = p.send_result(rec).map_err(|(e, _)| {
        tracing::warn!(error = %e, "cannot queue a record for Kafka");
        NotAcked::Failed
    })?;
    // librdkafka gives up after message.timeout.ms (the same bound); this is a safety net
    let result = tokio::time::timeout(bound + Duration::from_millis(500), delivery).await;
    match result {
        Ok(Ok(Ok(_))) => {
            metrics
                .produce_latency
                .observe(started.elapsed().as_secs_f64());
            Ok(())
        }
        Ok(Ok(Err((e, _)))) => {
            if e.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageTimedOut) {
                return Err(NotAcked::Timeout);
            }
            tracing::warn!(error = %e, "Kafka did not acknowledge a record");
            Err(NotAcked::Failed)
        }
        Ok(Err(_)) => Err(NotAcked::Failed),
        Err(_) => Err(NotAcked::Timeout),
    }
}

/// Requests and bytes in flight, with their limits.
pub struct InFlight {
    requests: AtomicUsize,
    bytes: AtomicUsize,
    max_requests: usize,
    max_bytes: usize,
    metrics: Arc<RelayMetrics>,
}

impl InFlight {
    pub fn new(max_requests: usize, max_bytes: usize, metrics: Arc<RelayMetrics>) -> InFlight {
        InFlight {
            requests: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            max_requests,
            max_bytes,
            metrics,
        }
    }

    /// A request slot, or `None` at the limit.
    pub fn request(self: &Arc<Self>) -> Option<Slot> {
        let n = self.requests.fetch_add(1, Ordering::AcqRel);
        let slot = Slot {
            owner: self.clone(),
            bytes: 0,
        };
        self.metrics.in_flight_requests.inc();
        (n < self.max_requests).then_some(slot)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Acquire)
    }
}

/// One request in flight; released on drop.
pub struct Slot {
    owner: Arc<InFlight>,
    bytes: usize,
}

impl Slot {
    /// Account for `n` body bytes; `false` when that crosses the byte limit.
    pub fn add_bytes(&mut self, n: usize) -> bool {
        let before = self.owner.bytes.fetch_add(n, Ordering::AcqRel);
        self.bytes += n;
        self.owner.metrics.in_flight_bytes.add(n as i64);
        before + n <= self.owner.max_bytes
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.owner.requests.fetch_sub(1, Ordering::AcqRel);
        self.owner.bytes.fetch_sub(self.bytes, Ordering::AcqRel);
        self.owner.metrics.in_flight_requests.dec();
        self.owner.metrics.in_flight_bytes.sub(self.bytes as i64);
    }
}
