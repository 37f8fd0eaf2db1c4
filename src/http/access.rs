//! The optional access token of the API (`http_token`): a request to `/api` must carry it as
//! `Authorization: Bearer TOKEN` or `?token=TOKEN` (EventSource cannot send headers). Compared
//! in constant time over SHA-256 digests, so neither content nor length leaks through timing.
//! The page itself, `/metrics` and the probes stay open: they hold no agent data.

use super::AppState;
use crate::settings::Secret;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who may read the API.
#[derive(Clone, Default)]
pub struct Access {
    /// SHA-256 of the token; `None`: open.
    digest: Option<[u8; 32]>,
}

impl Access {
    pub fn new(token: Option<&Secret>) -> Access {
        Access {
            digest: token.map(|t| Sha256::digest(t.0.as_bytes()).into()),
        }
    }

    pub fn open() -> Access {
        Access::default()
    }

    /// Whether a presented token (if any) is the right one.
    pub fn allows(&self, presented: Option<&str>) -> bool {
        let Some(want) = &self.digest else {
            return true;
        };
        let Some(p) = presented else {
            return false;
        };
        let got: [u8; 32] = Sha256::digest(p.as_bytes()).into();
        bool::from(got[..].ct_eq(&want[..]))
    }
}

/// The token a request presents: the bearer token, else the `token` query parameter.
fn presented(req: &Request) -> Option<String> {
    if let Some(h) = req.headers().get(header::AUTHORIZATION) {
        let h = h.to_str().ok()?;
        let (scheme, token) = h.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "token").then(|| percent_decode(v))
    })
}

/// `%XX` and `+` decoding of a query value (invalid escapes are kept as they are).
fn percent_decode(v: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Middleware of the `/api` routes.
pub async fn require(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if s.access.allows(presented(&req).as_deref()) {
        return next.run(req).await;
    }
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({
            "error": "this API needs the access token: send Authorization: Bearer TOKEN or ?token=TOKEN"
        })),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"rta\""),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_only_when_set() {
        assert!(Access::open().allows(None));
        let a = Access::new(Some(&Secret("0123456789abcdef".into())));
        assert!(a.allows(Some("0123456789abcdef")));
        assert!(!a.allows(Some("0123456789abcdeF")));
        assert!(!a.allows(Some("")));
        assert!(!a.allows(None));
    }

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(percent_decode("a%2Bb+c%zz%4"), "a+b c%zz%4");
        assert_eq!(percent_decode("%41%42"), "AB");
        assert_eq!(percent_decode("%é%"), "%é%");
    }
}
