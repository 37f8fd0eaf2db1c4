//! The one HTTP port: Prometheus metrics, health and readiness probes, and JSON endpoints with
//! every person's current agent state and per-account summaries. Handlers only read the shared
//! views; they never touch the engine.

use crate::metrics::Metrics;
use crate::service::LiveViews;
use anyhow::{Context, Result};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::Arc;

mod serve;
pub use serve::{serve, HttpLimits};

/// The worker is considered stuck after this long without a loop turn.
const STUCK_MS: u64 = 30_000;

#[derive(Clone)]
struct AppState {
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
}

pub fn router(views: Arc<LiveViews>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/accounts", get(accounts))
        .route("/api/accounts/{account}", get(account))
        .route("/api/accounts/{account}/states", get(states))
        .route("/api/accounts/{account}/queues", get(queues))
        .route("/api/accounts/{account}/persons/{person}", get(person))
        .with_state(AppState { views, metrics })
}

/// A running HTTP server; dropped or stopped with [`HttpServer::stop`].
pub struct HttpServer {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl HttpServer {
    /// Bind (failing at once with one clear line when the port is taken) and serve on a small
    /// runtime of its own.
    pub fn start(
        addr: SocketAddr,
        views: Arc<LiveViews>,
        metrics: Arc<Metrics>,
        limits: HttpLimits,
    ) -> Result<HttpServer> {
        let std_listener = std::net::TcpListener::bind(addr).with_context(|| {
            format!("cannot listen on {addr} for HTTP; choose another with --http ADDR:PORT")
        })?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rta-http")
            .enable_all()
            .build()
            .context("cannot start the HTTP runtime")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(views, metrics);
        runtime.spawn(async move {
            let listener = match tokio::net::TcpListener::from_std(std_listener) {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "HTTP listener failed");
                    return;
                }
            };
            serve::serve(listener, app, limits, stopped).await;
        });
        tracing::info!(%addr, "HTTP listening: /metrics /healthz /readyz /api/accounts");
        Ok(HttpServer {
            addr,
            runtime: Some(runtime),
            stop: Some(stop),
        })
    }

    /// A flag raised on SIGTERM or SIGINT (served by this server's runtime).
    pub fn shutdown_signal(&self) -> Arc<std::sync::atomic::AtomicBool> {
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if let Some(rt) = &self.runtime {
            let f = flag.clone();
            rt.spawn(async move {
                wait_for_signal().await;
                tracing::info!("shutdown requested: finishing in-flight work");
                f.store(true, std::sync::atomic::Ordering::Release);
            });
        }
        flag
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// SIGTERM or SIGINT.
pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn index() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "service": "rta",
        "endpoints": [
            "/metrics", "/healthz", "/readyz", "/api/accounts",
            "/api/accounts/{account}", "/api/accounts/{account}/states?adherence=out",
            "/api/accounts/{account}/persons/{person}", "/api/accounts/{account}/queues"
        ]
    }))
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
        .into_response()
}

async fn healthz(State(s): State<AppState>) -> Response {
    let since = s.views.since_beat();
    if since > STUCK_MS {
        let msg = format!("worker has not made progress for {} s", since / 1000);
        return (StatusCode::SERVICE_UNAVAILABLE, msg).into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

async fn readyz(State(s): State<AppState>) -> Response {
    use std::sync::atomic::Ordering;
    if !s.views.config_caught_up.load(Ordering::Acquire) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "catching up on the config topic",
        )
            .into_response();
    }
    if !s.views.broker_reachable.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "Kafka brokers unreachable").into_response();
    }
    if !s.views.partitions_ready.load(Ordering::Acquire) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for partitions, or rebuilding their state",
        )
            .into_response();
    }
    (StatusCode::OK, "ready").into_response()
}

async fn accounts(State(s): State<AppState>) -> Response {
    Json(s.views.summaries()).into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "error": format!("{what} is not known here") })),
    )
        .into_response()
}

async fn account(State(s): State<AppState>, Path(account): Path<String>) -> Response {
    match s.views.summary(&account) {
        Some(sum) => Json(sum).into_response(),
        None => not_found("this account"),
    }
}

/// The values of an agent state's `adherence` (SPEC §6.1), the filter of `/states`.
const ADHERENCE_VALUES: [&str; 4] = ["in", "out", "notScheduled", "none"];

#[derive(serde::Deserialize)]
struct StatesQuery {
    /// in, out, notScheduled or none
    adherence: Option<String>,
}

async fn states(
    State(s): State<AppState>,
    Path(account): Path<String>,
    Query(q): Query<StatesQuery>,
) -> Response {
    if let Some(a) = q.adherence.as_deref() {
        if !ADHERENCE_VALUES.contains(&a) {
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({
                    "error": "adherence must be one of in, out, notScheduled, none"
                })),
            )
                .into_response();
        }
    }
    let needle = q.adherence.map(|a| format!("\"adherence\":\"{a}\""));
    let filter = |v: &[u8]| match &needle {
        None => true,
        Some(n) => v.windows(n.len()).any(|w| w == n.as_bytes()),
    };
    match s.views.states_json(&account, filter) {
        Some(body) => json_bytes(body),
        None => not_found("this account"),
    }
}

async fn person(
    State(s): State<AppState>,
    Path((account, person)): Path<(String, String)>,
) -> Response {
    match s.views.state(&account, &person) {
        Some(v) => json_bytes(v),
        None => not_found("this person"),
    }
}

/// Today's queue intervals of an account (SPEC §10), per queue with totals and AHT.
async fn queues(State(s): State<AppState>, Path(account): Path<String>) -> Response {
    match s.views.queues(&account) {
        Some(body) => json_bytes(body),
        None => not_found("this account"),
    }
}

fn json_bytes(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
