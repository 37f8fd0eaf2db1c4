//! The dashboard page, shipped inside the binary: plain HTML, CSS and JavaScript modules from
//! `src/http/page/` — no build step, no CDN, works offline. It holds no data (it reads the
//! API), so it is served without the access token; a strict Content-Security-Policy allows
//! only this origin.

use super::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// (path, body, content type)
const FILES: [(&str, &str, &str); 6] = [
    ("/", include_str!("page/index.html"), HTML),
    (
        "/assets/app.css",
        include_str!("page/app.css"),
        "text/css; charset=utf-8",
    ),
    ("/assets/app.js", include_str!("page/app.js"), JS),
    ("/assets/data.js", include_str!("page/data.js"), JS),
    ("/assets/table.js", include_str!("page/table.js"), JS),
    ("/assets/charts.js", include_str!("page/charts.js"), JS),
];

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for (path, body, kind) in FILES {
        r = r.route(path, get(move || async move { file(body, kind) }));
    }
    r
}

fn file(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // the token may be in the page's address: never send it on
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}
