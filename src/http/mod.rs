//! The one HTTP port: the dashboard page ([`page`]), its JSON API ([`api`]) and live stream
//! ([`stream`]) behind an optional access token ([`access`]), Prometheus metrics, health and
//! readiness probes. Responses are gzip-compressed when the client asks (not the stream).
//! Handlers only read the shared views; they never touch the engine, so any source that fills
//! [`LiveViews`] can serve the same page and API.

use crate::metrics::Metrics;
use crate::service::LiveViews;
use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::{CompressionLayer, CompressionLevel};

mod access;
pub mod api;
mod page;
mod serve;
mod stream;
mod trim;
pub use access::Access;
pub use serve::{serve, HttpLimits};

/// The worker is considered stuck after this long without a loop turn.
const STUCK_MS: u64 = 30_000;

#[derive(Clone)]
pub struct AppState {
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    access: Access,
}

pub fn router(views: Arc<LiveViews>, metrics: Arc<Metrics>, access: Access) -> Router {
    let state = AppState {
        views,
        metrics,
        access,
    };
    let api = api::routes()
        .route("/api/accounts/{account}/stream", get(stream::stream))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::require,
        ));
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(page::routes())
        .merge(api)
        .with_state(state)
        // fastest: 10,000 agent states (5 MB) compress to 6 % in a few ms, where the default
        // level costs ten times that on the server for little gain
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
}

/// A running HTTP server; dropped or stopped with [`HttpServer::stop`].
pub struct HttpServer {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl HttpServer {
    /// [`HttpServer::start_with_access`] without an access token.
    pub fn start(
        addr: SocketAddr,
        views: Arc<LiveViews>,
        metrics: Arc<Metrics>,
        limits: HttpLimits,
    ) -> Result<HttpServer> {
        HttpServer::start_with_access(addr, views, metrics, limits, Access::open())
    }

    /// Bind (failing at once with one clear line when the port is taken) and serve on a small
    /// runtime of its own; `/api` needs what `access` asks for.
    pub fn start_with_access(
        addr: SocketAddr,
        views: Arc<LiveViews>,
        metrics: Arc<Metrics>,
        limits: HttpLimits,
        access: Access,
    ) -> Result<HttpServer> {
        let std_listener = std::net::TcpListener::bind(addr).with_context(|| {
            format!("cannot listen on {addr} for HTTP; choose another with --http ADDR:PORT")
        })?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            // two: a large response being built or compressed does not hold up the others
            .worker_threads(2)
            .thread_name("rta-http")
            .enable_all()
            .build()
            .context("cannot start the HTTP runtime")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(views, metrics, access);
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
        tracing::info!(
            "dashboard at http://{addr}/ (API under /api, metrics at /metrics, probes /healthz /readyz)"
        );
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
    if !s.views.partitions_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for partitions, or rebuilding their state",
        )
            .into_response();
    }
    (StatusCode::OK, "ready").into_response()
}
