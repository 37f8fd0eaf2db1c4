//! The JSON API under `/api` (docs/openapi.yaml): account summaries, agent states (filtered by
//! adherence or team, persons in natural order), a person's day (schedule against actual
//! activity), interval totals, unmapped reports, the names directory and today's queues. Strict: an unknown or
//! repeated query parameter, or a value outside its set, is a 400 with a one-line JSON error.
//! Handlers only read the [`LiveViews`](crate::service::LiveViews).

use super::AppState;
use crate::service::views::{AccountView, Directory};
use crate::time::{format_date, format_rfc3339, parse_date, Millis};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api", get(index))
        .route("/api/accounts", get(accounts))
        .route("/api/accounts/{account}", get(account))
        .route("/api/accounts/{account}/states", get(states))
        .route("/api/accounts/{account}/persons/{person}", get(person))
        .route(
            "/api/accounts/{account}/persons/{person}/day",
            get(person_day),
        )
        .route("/api/accounts/{account}/intervals", get(intervals))
        .route("/api/accounts/{account}/unmapped", get(unmapped))
        .route("/api/accounts/{account}/directory", get(directory))
        .route("/api/accounts/{account}/queues", get(queues))
}

/// Every endpoint, for `GET /api`.
pub const ENDPOINTS: [&str; 14] = [
    "/",
    "/metrics",
    "/healthz",
    "/readyz",
    "/api/accounts",
    "/api/accounts/{account}",
    "/api/accounts/{account}/states?adherence=out&team=T",
    "/api/accounts/{account}/persons/{person}",
    "/api/accounts/{account}/persons/{person}/day?date=YYYY-MM-DD",
    "/api/accounts/{account}/intervals?date=YYYY-MM-DD",
    "/api/accounts/{account}/unmapped",
    "/api/accounts/{account}/directory",
    "/api/accounts/{account}/queues",
    "/api/accounts/{account}/stream",
];

async fn index(q: Query<Vec<(String, String)>>) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    Json(json!({"service": "rta", "endpoints": ENDPOINTS})).into_response()
}

/// An API error: its status and one line of JSON (`{"error": "…"}`).
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// A 400.
pub fn bad_request(msg: &str) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        message: msg.to_string(),
    }
}

pub fn not_found(what: &str) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("{what} is not known here"),
    }
}

/// The query parameters, each at most once and among `allowed` (`token` is always allowed: it
/// is the access token, checked before).
pub fn params<'a>(
    q: &'a [(String, String)],
    allowed: &[&str],
) -> Result<Vec<(&'a str, &'a str)>, ApiError> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (k, v) in q {
        if k == "token" {
            continue;
        }
        if !allowed.contains(&k.as_str()) {
            let takes = match allowed {
                [] => "no parameters".to_string(),
                a => a.join(", "),
            };
            return Err(bad_request(&format!(
                "unknown query parameter {k:?}; this endpoint takes {takes}"
            )));
        }
        if out.iter().any(|(o, _)| *o == k.as_str()) {
            return Err(bad_request(&format!(
                "query parameter {k:?} is given twice"
            )));
        }
        out.push((k.as_str(), v.as_str()));
    }
    Ok(out)
}

fn param<'a>(p: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

async fn accounts(State(s): State<AppState>, q: Query<Vec<(String, String)>>) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    Json(s.views.summaries()).into_response()
}

async fn account(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    match s.views.summary(&account) {
        Some(sum) => Json(sum).into_response(),
        None => not_found("this account").into_response(),
    }
}

/// Response header of `/states`: the views' change count read before the snapshot. The stream
/// opened with `?since=` it sends the changes after it first, so the page fetches the states
/// and subscribes at once without missing a change.
pub const SEQ_HEADER: &str = "rta-seq";

/// The values of an agent state's `adherence` (SPEC §6.1), the filter of `/states`.
const ADHERENCE_VALUES: [&str; 4] = ["in", "out", "notScheduled", "none"];

async fn states(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    let p = match params(&q, &["adherence", "team", "omit"]) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let adherence = param(&p, "adherence");
    if let Some(a) = adherence {
        if !ADHERENCE_VALUES.contains(&a) {
            return bad_request("adherence must be one of in, out, notScheduled, none")
                .into_response();
        }
    }
    let omit: &[&str] = match param(&p, "omit") {
        None => &[],
        Some("today") => &["today"],
        Some(_) => return bad_request("omit must be today").into_response(),
    };
    let needle = adherence.map(|a| format!("\"adherence\":\"{a}\""));
    let team = param(&p, "team");
    // records that carry their team (`team` field) match it too
    let team_needle = team.map(|t| format!("\"team\":{}", Value::from(t)));
    let keep = |person: &str, v: &[u8], dir: &Directory| {
        let has = |n: &Option<String>| match n {
            None => true,
            Some(n) => v.windows(n.len()).any(|w| w == n.as_bytes()),
        };
        let team_ok = match team {
            None => true,
            Some(t) => match dir.team(person) {
                Some(d) => d == t,
                None => has(&team_needle),
            },
        };
        team_ok && has(&needle)
    };
    // read before the snapshot, which then holds every change up to it (see `stream`'s since)
    let seq = s.views.seq();
    let body = if omit.is_empty() {
        s.views.states_json(&account, keep)
    } else {
        let write = |v: &[u8], out: &mut Vec<u8>| super::trim::write_without(v, omit, out);
        s.views.states_json_with(&account, keep, write)
    };
    match body {
        Some(body) => {
            let mut r = json_bytes(body);
            r.headers_mut()
                .insert(SEQ_HEADER, header::HeaderValue::from(seq));
            r
        }
        None => not_found("this account").into_response(),
    }
}

async fn person(
    State(s): State<AppState>,
    Path((account, person)): Path<(String, String)>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    match s.views.state(&account, &person) {
        Some(v) => json_bytes(v),
        None => not_found("this person").into_response(),
    }
}

/// The `date` parameter (default: the account's local date now) and its day's bounds.
fn day_of(
    p: &[(&str, &str)],
    acct: &AccountView,
    now: Millis,
) -> Result<(i32, Millis, Millis), ApiError> {
    let grid = acct.directory.grid();
    let date = match param(p, "date") {
        None => grid.local_date(now),
        Some(d) => parse_date(d).ok_or_else(|| {
            bad_request("date must be a calendar date YYYY-MM-DD (the account's local date)")
        })?,
    };
    Ok((
        date,
        grid.day_start(date),
        grid.day_start(date.saturating_add(1)),
    ))
}

async fn person_day(
    State(s): State<AppState>,
    Path((account, person)): Path<(String, String)>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    let p = match params(&q, &["date"]) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let now = s.views.account_now(&account);
    let body = s.views.with_account(&account, |acct| {
        let (date, from, to) = day_of(&p, acct, now)?;
        let pv = acct.persons.get(person.as_str());
        let info = acct.directory.persons.get(person.as_str());
        if pv.is_none() && info.is_none() {
            return Err(not_found("this person"));
        }
        let dir = &acct.directory;
        let schedule: Vec<Value> = dir
            .schedule(&person, date)
            .iter()
            .map(|g| {
                json!({
                    "activity": &*g.activity,
                    "name": dir.activity_name(&g.activity),
                    "type": dir.activity_type(&g.activity),
                    "start": format_rfc3339(g.start),
                    "end": format_rfc3339(g.end),
                })
            })
            .collect();
        let upto = to.min(now).max(from);
        let actual: Vec<Value> = pv
            .map(|pv| pv.actual_between(from, upto))
            .unwrap_or_default()
            .into_iter()
            .map(|(a, b, act)| {
                json!({
                    "activity": act,
                    "name": act.and_then(|id| dir.activity_name(id)),
                    "type": act.and_then(|id| dir.activity_type(id)),
                    "start": format_rfc3339(a),
                    "end": format_rfc3339(b),
                })
            })
            .collect();
        let ooa: Vec<Value> = pv
            .map(|pv| pv.episodes_between(from, upto))
            .unwrap_or_default()
            .into_iter()
            .map(|(a, b, t)| json!({"type": t, "start": format_rfc3339(a), "end": format_rfc3339(b)}))
            .collect();
        Ok(json!({
            "account": &account,
            "person": &person,
            "name": info.map(|i| &*i.name),
            "team": info.and_then(|i| i.team.as_deref()),
            "date": format_date(date),
            "timeZone": dir.settings().time_zone,
            "dayStart": format_rfc3339(from),
            "dayEnd": format_rfc3339(to),
            "now": format_rfc3339(now),
            "schedule": schedule,
            "actual": actual,
            "outOfAdherence": ooa,
        }))
    });
    match body {
        None => not_found("this account").into_response(),
        Some(Err(e)) => e.into_response(),
        Some(Ok(v)) => Json(v).into_response(),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Interval totals of a day as the page and the stream send them.
pub fn intervals_json(
    account: &str,
    acct: &AccountView,
    p: &[(&str, &str)],
    now: Millis,
) -> Result<Value, ApiError> {
    let (date, from, to) = day_of(p, acct, now)?;
    let settings = acct.directory.settings();
    let list: Vec<Value> = acct
        .intervals
        .between(from, to)
        .map(|(start, t)| {
            let pct = (t.scheduled > 0.5).then(|| round2(100.0 * t.in_adherence / t.scheduled));
            json!({
                "intervalStart": format_rfc3339(start),
                "intervalEnd": format_rfc3339(t.end),
                "persons": t.persons,
                "scheduledSeconds": round2(t.scheduled.max(0.0)),
                "inAdherenceSeconds": round2(t.in_adherence.max(0.0)),
                "adherencePercent": pct,
            })
        })
        .collect();
    Ok(json!({
        "account": account,
        "date": format_date(date),
        "dayStart": format_rfc3339(from),
        "dayEnd": format_rfc3339(to),
        "timeZone": settings.time_zone,
        "intervalMinutes": settings.interval_minutes,
        "targetPercent": settings.target_percent,
        "intervals": list,
    }))
}

async fn intervals(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    let p = match params(&q, &["date"]) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let now = s.views.account_now(&account);
    match s
        .views
        .with_account(&account, |a| intervals_json(&account, a, &p, now))
    {
        None => not_found("this account").into_response(),
        Some(Err(e)) => e.into_response(),
        Some(Ok(v)) => Json(v).into_response(),
    }
}

/// The account's unmapped reports as one JSON array (by key).
pub fn unmapped_json(acct: &AccountView) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, v) in acct.unmapped.values().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(v);
    }
    out.push(b']');
    out
}

async fn unmapped(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    match s.views.with_account(&account, unmapped_json) {
        Some(body) => json_bytes(body),
        None => not_found("this account").into_response(),
    }
}

async fn directory(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    match s
        .views
        .with_account(&account, |a| a.directory.to_json(&account))
    {
        Some(body) => json_bytes(body),
        None => not_found("this account").into_response(),
    }
}

/// Today's queue intervals of an account (SPEC §10), per queue with totals and AHT.
async fn queues(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = params(&q, &[]) {
        return e.into_response();
    }
    match s.views.queues(&account) {
        Some(body) => json_bytes(body),
        None => not_found("this account").into_response(),
    }
}

pub fn json_bytes(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
