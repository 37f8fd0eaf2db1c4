//! The relay's Prometheus catalogue (README "Metrics"): `rta_relay_*` plus `rta_build_info` and
//! the standard `process_*` metrics. Labels are routes, status codes and reasons — never a
//! secret, a path token or an account.

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Produce latency buckets in seconds: 0.5 ms … 30 s (the ack bound is 10 s by default).
const PRODUCE_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0,
];

/// Route labels.
pub const ROUTES: [&str; 7] = [
    "odigo",
    "agent_statuses",
    "contact_events",
    "healthz",
    "readyz",
    "metrics",
    "other",
];

/// Rejection reasons (the error codes of SPEC §9; `unavailable` split by cause).
pub const REASONS: [&str; 12] = [
    "invalid_json",
    "invalid_item",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "too_large",
    "unsupported_media_type",
    "ack_timeout",
    "broker_error",
    "in_flight_limit",
    "shutting_down",
];

pub struct RelayMetrics {
    registry: Registry,
    process_registry: Registry,
    pub requests: IntCounterVec,
    pub received_bytes: IntCounterVec,
    pub produce_latency: Histogram,
    pub rejections: IntCounterVec,
    pub in_flight_requests: IntGauge,
    pub in_flight_bytes: IntGauge,
    pub integrations: IntGauge,
    pub config_caught_up: IntGauge,
    pub broker_reachable: IntGauge,
}

impl Default for RelayMetrics {
    fn default() -> Self {
        RelayMetrics::new()
    }
}

impl RelayMetrics {
    /// The catalogue. Names and labels are constants, so registration cannot fail.
    pub fn new() -> RelayMetrics {
        let r = Registry::new_custom(Some("rta".into()), None).expect("valid prefix");
        let reg = |c: Box<dyn prometheus::core::Collector>| r.register(c).expect("unique metric");
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            reg(Box::new(c.clone()));
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            reg(Box::new(g.clone()));
            g
        };
        let build = IntGaugeVec::new(
            Opts::new("build_info", "Always 1; the labels name the running build."),
            &["version", "target"],
        )
        .expect("valid metric");
        reg(Box::new(build.clone()));
        build
            .with_label_values(&[env!("CARGO_PKG_VERSION"), crate::metrics::BUILD_TARGET])
            .set(1);
        let produce_latency = Histogram::with_opts(
            HistogramOpts::new(
                "relay_produce_latency_seconds",
                "From handing a request body to the producer to the broker's acknowledgement (acks=all).",
            )
            .buckets(PRODUCE_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        reg(Box::new(produce_latency.clone()));
        let process_registry = Registry::new();
        #[cfg(target_os = "linux")]
        process_registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("unique metric");
        let m = RelayMetrics {
            requests: counter_vec(
                "relay_requests_total",
                "HTTP requests answered, by route and status code.",
                &["route", "status"],
            ),
            received_bytes: counter_vec(
                "relay_received_bytes_total",
                "Request body bytes received, by route.",
                &["route"],
            ),
            produce_latency,
            rejections: counter_vec(
                "relay_rejections_total",
                "Requests answered with an error, by reason.",
                &["reason"],
            ),
            in_flight_requests: gauge(
                "relay_in_flight_requests",
                "Requests being read or waiting for the broker's acknowledgement.",
            ),
            in_flight_bytes: gauge(
                "relay_in_flight_bytes",
                "Body bytes of the requests in flight.",
            ),
            integrations: gauge(
                "relay_integrations",
                "Integrations with a secret, as read from rta.config.",
            ),
            config_caught_up: gauge(
                "relay_config_caught_up",
                "1 once rta.config has been read to its end offsets at start-up.",
            ),
            broker_reachable: gauge(
                "relay_broker_reachable",
                "1 while the producer has a connection to at least one broker.",
            ),
            registry: r,
            process_registry,
        };
        for reason in REASONS {
            m.rejections.with_label_values(&[reason]);
        }
        for route in &ROUTES[..3] {
            m.received_bytes.with_label_values(&[route]);
            m.requests.with_label_values(&[route, "202"]);
        }
        m
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut families = self.registry.gather();
        families.extend(self.process_registry.gather());
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&families, &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
