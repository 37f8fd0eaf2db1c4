//! The relay's HTTP routes (SPEC §9, docs/openapi-relay.yaml): three ingest endpoints, the
//! probes and `/metrics`. Each ingest request is authenticated, checked (content type, size,
//! JSON, items) and produced; the answer is `202 {"accepted": N}` only once the broker has
//! acknowledged the record. Error bodies never contain the secret.

use super::auth::{Principal, SecretKind};
use super::produce::{produce, NotAcked};
use super::validate::{injixo, odigo_items, InjixoBody, Invalid};
use super::Relay;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The one answer to a missing, unknown or revoked secret.
const UNAUTHORIZED: &str =
    "a valid secret is required: the integration's URL token, or its API key as Authorization: Bearer";

pub fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/v1/odigo/{token}", post(odigo))
        .route("/external-systems/agent-statuses", post(agent_statuses))
        .route("/external-systems/contact-events", post(contact_events))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(relay)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Odigo,
    AgentStatuses,
    ContactEvents,
}

impl Route {
    fn label(self) -> &'static str {
        match self {
            Route::Odigo => "odigo",
            Route::AgentStatuses => "agent_statuses",
            Route::ContactEvents => "contact_events",
        }
    }
}

/// An error answer: `{"errors":[{"status","code","detail"}]}`, counted by reason.
fn reject(r: &Relay, status: StatusCode, code: &str, reason: &str, detail: &str) -> Response {
    r.metrics.rejections.with_label_values(&[reason]).inc();
    let body = serde_json::json!({
        "errors": [{ "status": status.as_str(), "code": code, "detail": detail }]
    });
    let mut resp = (status, Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(r.settings.retry_after_seconds),
        );
    }
    resp
}

fn unavailable(r: &Relay, reason: &str, detail: &str) -> Response {
    reject(
        r,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        reason,
        detail,
    )
}

fn count(r: &Relay, route: &str, resp: Response) -> Response {
    r.metrics
        .requests
        .with_label_values(&[route, resp.status().as_str()])
        .inc();
    resp
}

async fn odigo(
    State(r): State<Arc<Relay>>,
    token: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let principal = token
        .ok()
        .and_then(|Path(t)| r.authenticate(SecretKind::OdigoToken, t.as_bytes()));
    let resp = ingest(&r, Route::Odigo, principal, &headers, body).await;
    count(&r, Route::Odigo.label(), resp)
}

async fn agent_statuses(State(r): State<Arc<Relay>>, headers: HeaderMap, body: Body) -> Response {
    let principal = bearer(&headers).and_then(|k| r.authenticate(SecretKind::ApiKey, k));
    let resp = ingest(&r, Route::AgentStatuses, principal, &headers, body).await;
    count(&r, Route::AgentStatuses.label(), resp)
}

async fn contact_events(State(r): State<Arc<Relay>>, headers: HeaderMap, body: Body) -> Response {
    let principal = bearer(&headers).and_then(|k| r.authenticate(SecretKind::ApiKey, k));
    let resp = ingest(&r, Route::ContactEvents, principal, &headers, body).await;
    count(&r, Route::ContactEvents.label(), resp)
}

/// The API key of `Authorization: Bearer {key}`.
fn bearer(h: &HeaderMap) -> Option<&[u8]> {
    let v = h.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = v.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
        .filter(|k| !k.is_empty())
}

fn is_json(h: &HeaderMap) -> bool {
    let Some(ct) = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

async fn ingest(
    r: &Relay,
    route: Route,
    principal: Option<Principal>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    if r.draining.load(Ordering::Acquire) {
        return unavailable(r, "shutting_down", "the relay is shutting down; retry");
    }
    let Some(principal) = principal else {
        return reject(
            r,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unauthorized",
            UNAUTHORIZED,
        );
    };
    if !is_json(headers) {
        return reject(
            r,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "unsupported_media_type",
            "the content type must be application/json",
        );
    }
    let limit = r.settings.body_limit;
    let too_large = || {
        reject(
            r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "too_large",
            &format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let Some(mut slot) = r.in_flight.request() else {
        return unavailable(
            r,
            "in_flight_limit",
            "the relay is at its in-flight limit; retry",
        );
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(e) => {
            let inner = e.into_inner();
            if inner
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return too_large();
            }
            return reject(
                r,
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "invalid_json",
                "the body could not be read completely",
            );
        }
    };
    r.metrics
        .received_bytes
        .with_label_values(&[route.label()])
        .inc_by(bytes.len() as u64);
    if !slot.add_bytes(bytes.len()) {
        return unavailable(
            r,
            "in_flight_limit",
            "the relay is at its in-flight limit; retry",
        );
    }
    let (topic, items) = match check(r, route, &principal, &bytes) {
        Ok(x) => x,
        Err(resp) => return *resp,
    };
    let sent = produce(
        &r.producer,
        topic,
        &principal.account,
        &principal.integration,
        &bytes,
        r.settings.ack_timeout,
        &r.metrics,
    )
    .await;
    drop(slot);
    match sent {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "accepted": items })),
        )
            .into_response(),
        Err(NotAcked::Timeout) => unavailable(
            r,
            "ack_timeout",
            "Kafka did not acknowledge the request in time; retry",
        ),
        Err(NotAcked::Failed) => {
            unavailable(r, "broker_error", "Kafka could not take the request; retry")
        }
    }
}

/// The body's checks for its route: the topic and the item count, or the error answer.
fn check<'a>(
    r: &'a Relay,
    route: Route,
    principal: &Principal,
    body: &[u8],
) -> Result<(&'a str, usize), Box<Response>> {
    let invalid = |e: Invalid| -> Box<Response> {
        Box::new(match e {
            Invalid::Json(d) => reject(
                r,
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "invalid_json",
                &d,
            ),
            Invalid::Item(d) => reject(
                r,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_item",
                "invalid_item",
                &d,
            ),
        })
    };
    let kind = match route {
        Route::Odigo => {
            let n = odigo_items(body).map_err(invalid)?;
            return Ok((&r.settings.agent_events_topic, n));
        }
        Route::AgentStatuses => InjixoBody::AgentStatuses,
        Route::ContactEvents => InjixoBody::ContactEvents,
    };
    let parsed = injixo(body, kind).map_err(invalid)?;
    let named = parsed.integration.map_err(invalid)?;
    if named != principal.integration {
        return Err(Box::new(reject(
            r,
            StatusCode::FORBIDDEN,
            "forbidden",
            "forbidden",
            "the API key does not belong to the integration named by meta.integrationConfigurationId",
        )));
    }
    let n = parsed.items.map_err(invalid)?;
    let topic = match route {
        Route::ContactEvents => &r.settings.contact_events_topic,
        _ => &r.settings.agent_events_topic,
    };
    Ok((topic, n))
}

async fn healthz(State(r): State<Arc<Relay>>) -> Response {
    count(&r, "healthz", (StatusCode::OK, "ok").into_response())
}

async fn readyz(State(r): State<Arc<Relay>>) -> Response {
    let resp = if r.draining.load(Ordering::Acquire) {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response()
    } else if !r.caught_up.load(Ordering::Acquire) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "catching up on the config topic",
        )
            .into_response()
    } else if !r.reachable.load(Ordering::Acquire) {
        (StatusCode::SERVICE_UNAVAILABLE, "Kafka brokers unreachable").into_response()
    } else {
        (StatusCode::OK, "ready").into_response()
    };
    count(&r, "readyz", resp)
}

async fn metrics(State(r): State<Arc<Relay>>) -> Response {
    let resp = (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        r.metrics.render(),
    )
        .into_response();
    count(&r, "metrics", resp)
}

async fn not_found(State(r): State<Arc<Relay>>) -> Response {
    let resp = reject(
        &r,
        StatusCode::NOT_FOUND,
        "not_found",
        "not_found",
        "no such endpoint; see docs/openapi-relay.yaml",
    );
    count(&r, "other", resp)
}

async fn method_not_allowed(State(r): State<Arc<Relay>>, uri: axum::http::Uri) -> Response {
    let mut resp = reject(
        &r,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method_not_allowed",
        "this endpoint takes another method (ingest endpoints take POST)",
    );
    // RFC 9110 §15.5.6: a 405 names the methods the resource supports
    let allow = match uri.path() {
        "/healthz" | "/readyz" | "/metrics" => "GET, HEAD",
        _ => "POST",
    };
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    count(&r, "other", resp)
}
