//! `rta relay` (SPEC §9): the webhook endpoint ACDs and customers' applications send to. It
//! reads `rta.config` as a global table (integration records: the hashes of their secrets),
//! authenticates each request, and produces the body unparsed to `rta.agent-events` or
//! `rta.contact-events` (key = account, header `rta-integration`), answering `202` only after
//! the broker's acknowledgement. It keeps no other state: any number of relays can run behind
//! a load balancer.
//!
//! Shutdown (SIGTERM/SIGINT): stop accepting connections, answer new requests on open ones with
//! `503`, wait for the requests in flight (at most the ack bound), flush the producer.

pub mod auth;
pub mod metrics;
pub mod produce;
pub mod routes;
pub mod table;
pub mod validate;

use crate::settings::RelaySettings;
use anyhow::{Context, Result};
use auth::{Credentials, Principal, SecretKind};
use metrics::RelayMetrics;
use produce::{InFlight, Producer};
use rdkafka::producer::Producer as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The state every request handler shares.
pub struct Relay {
    pub settings: RelaySettings,
    pub creds: Arc<RwLock<Credentials>>,
    pub producer: Producer,
    pub in_flight: Arc<InFlight>,
    pub metrics: Arc<RelayMetrics>,
    pub caught_up: Arc<AtomicBool>,
    pub reachable: Arc<AtomicBool>,
    pub draining: AtomicBool,
}

impl Relay {
    /// The integration a secret belongs to (hash lookup, constant-time compare).
    pub fn authenticate(&self, kind: SecretKind, secret: &[u8]) -> Option<Principal> {
        let c = self.creds.read().ok()?;
        c.authenticate(kind, secret).cloned()
    }
}

/// Run the relay until SIGTERM/SIGINT.
pub fn run(s: &RelaySettings) -> Result<()> {
    // reachable, credentials accepted: or one line and exit 1
    crate::kafka::preflight::connect(&s.kafka_settings(), &s.brokers)?;
    let metrics = Arc::new(RelayMetrics::new());
    let creds = Arc::new(RwLock::new(Credentials::default()));
    let caught_up = Arc::new(AtomicBool::new(false));
    let stop_reader = Arc::new(AtomicBool::new(false));
    let reader = table::spawn(
        s,
        creds.clone(),
        caught_up.clone(),
        metrics.clone(),
        stop_reader.clone(),
    )?;
    let (producer, reachable) = produce::producer(s, metrics.clone())?;
    warn_missing_topics(&producer, s);
    let std_listener = std::net::TcpListener::bind(s.http_addr).with_context(|| {
        format!(
            "cannot listen on {} for HTTP; choose another with --http ADDR:PORT",
            s.http_addr
        )
    })?;
    std_listener.set_nonblocking(true)?;
    let addr: SocketAddr = std_listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("rta-relay")
        .enable_all()
        .build()
        .context("cannot start the relay's runtime")?;
    let relay = Arc::new(Relay {
        settings: s.clone(),
        creds,
        producer: producer.clone(),
        in_flight: Arc::new(InFlight::new(
            s.max_in_flight_requests,
            s.max_in_flight_bytes,
            metrics.clone(),
        )),
        metrics,
        caught_up,
        reachable,
        draining: AtomicBool::new(false),
    });
    let limits = crate::http::HttpLimits {
        header_timeout: s.http_header_timeout,
        idle_timeout: s.http_idle_timeout,
        max_connections: s.http_max_connections,
    };
    let app = routes::router(relay.clone());
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(std_listener)
            .context("cannot use the HTTP listener")?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::http::serve(listener, app, limits, stop_rx));
        tracing::info!(%addr, "relay listening: POST /v1/odigo/{{token}}, /external-systems/agent-statuses, /external-systems/contact-events");
        crate::http::wait_for_signal().await;
        tracing::info!("shutdown requested: draining requests in flight");
        relay.draining.store(true, Ordering::Release);
        let _ = stop_tx.send(());
        let _ = server.await;
        let deadline = Instant::now() + s.ack_timeout + Duration::from_secs(2);
        while relay.in_flight.requests() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::Ok(())
    })?;
    let left = relay.in_flight.requests();
    if let Err(e) = producer.flush(s.ack_timeout) {
        tracing::warn!(error = %e, "the producer could not flush everything at shutdown");
    }
    stop_reader.store(true, Ordering::Release);
    let _ = reader.join();
    runtime.shutdown_timeout(Duration::from_secs(1));
    tracing::info!(unfinished_requests = left, "relay stopped");
    Ok(())
}

/// A missing output topic only shows as 503s later: say so at start.
fn warn_missing_topics(p: &Producer, s: &RelaySettings) {
    for t in [&s.agent_events_topic, &s.contact_events_topic] {
        let found = p
            .client()
            .fetch_metadata(Some(t), Duration::from_secs(10))
            .map(|md| {
                md.topics()
                    .iter()
                    .any(|x| x.name() == t.as_str() && !x.partitions().is_empty())
            })
            .unwrap_or(false);
        if !found {
            tracing::warn!(topic = %t, "topic does not exist: requests for it will get 503 until it is created");
        }
    }
}
