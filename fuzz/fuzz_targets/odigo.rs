//! The Odigo decoder (its fast flat-object reader and its serde fallback) against a reference
//! built here on serde_json's reading of the same bytes: every payload must decode to the same
//! events, or fail with the same reason, with and without detailed breaks. `invalid_json` means
//! the bytes are not JSON (UTF-8, grammar); a field rta reads with a wrong type, given twice or
//! unreadable (a number beyond f64) is a wrong shape (`missing_field`, `bad_timestamp`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rta::decode::{decode_odigo, stable_hash, Decoded, EventKind};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// What one notification decodes to: (login, status, offline, time, event id), or a reason.
type Outcome = Result<(String, String, bool, i64, u64), &'static str>;

/// The fields the decoder reads, as serde_json reads them (a field given twice is an error).
#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Fields<'a> {
    #[serde(default, borrow)]
    login: Option<&'a RawValue>,
    #[serde(default, borrow)]
    state: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pauseCode: Option<&'a RawValue>,
    /// Kept as text and read when used (after login and state), in the decoder's order of checks.
    #[serde(default, borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(default, borrow)]
    eventId: Option<&'a RawValue>,
}

/// A raw value as serde_json reads it; one it cannot read (a number beyond f64) is `unreadable`.
fn read(raw: Option<&RawValue>, unreadable: &'static str) -> Result<Option<Value>, &'static str> {
    raw.map(|r| serde_json::from_str(r.get()).map_err(|_| unreadable))
        .transpose()
}

/// Epoch milliseconds as SPEC §4 allows them: integers (or integral floats) in 1970–9999.
fn epoch(n: &serde_json::Number) -> Result<i64, &'static str> {
    let ms = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Some(i),
        (None, Some(f)) if f.is_finite() && f.fract() == 0.0 => Some(f as i64),
        _ => None,
    };
    ms.filter(|ms| (0..=253_402_300_799_999).contains(ms))
        .ok_or("bad_timestamp")
}

fn notification(text: &str, detailed: bool) -> Outcome {
    let f: Fields = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) if e.is_data() => return Err("missing_field"),
        Err(_) => return Err("invalid_json"),
    };
    // a string or null; any other type is a wrong shape, whatever its value
    let string = |raw: Option<&RawValue>| match raw.map(|r| r.get().as_bytes()[0]) {
        None => Ok(None),
        Some(b'"') => match read(raw, "missing_field")? {
            Some(Value::String(s)) => Ok(Some(s)),
            _ => Err("missing_field"),
        },
        Some(b'n') => Ok(None),
        Some(_) => Err("missing_field"),
    };
    let (login, state, pause) = (string(f.login)?, string(f.state)?, string(f.pauseCode)?);
    let login = login.filter(|s| !s.is_empty()).ok_or("missing_field")?;
    let state = state.filter(|s| !s.is_empty()).ok_or("missing_field")?;
    let time = match &read(f.timestamp, "bad_timestamp")? {
        None | Some(Value::Null) => return Err("missing_field"),
        Some(Value::String(s)) => rta::time::parse_rfc3339(s).ok_or("bad_timestamp")?,
        Some(Value::Number(n)) => epoch(n)?,
        Some(_) => return Err("bad_timestamp"),
    };
    let event_id = match &read(f.eventId, "missing_field")? {
        None | Some(Value::Null) => 0,
        Some(Value::String(s)) => stable_hash(&[s.as_bytes()]),
        Some(Value::Number(n)) => stable_hash(&[n.to_string().as_bytes()]),
        Some(_) => return Err("missing_field"),
    };
    let status = match pause {
        Some(code) if detailed && state == "PAUSE" && !code.is_empty() => format!("PAUSE:{code}"),
        _ => state.clone(),
    };
    Ok((login, status, state == "LOGOUT", time, event_id))
}

/// The reference: an object is one notification, an array one per element.
fn reference(data: &[u8], detailed: bool) -> Vec<Outcome> {
    let Ok(text) = std::str::from_utf8(data) else {
        return vec![Err("invalid_json")];
    };
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return vec![Err("invalid_json")];
    }
    match text.trim_start().as_bytes().first() {
        Some(b'{') => vec![notification(text, detailed)],
        Some(b'[') => {
            let Ok(items) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text) else {
                return vec![Err("invalid_json")];
            };
            items
                .iter()
                .map(|raw| match raw.get().trim_start().as_bytes().first() {
                    Some(b'{') => notification(raw.get(), detailed),
                    _ => Err("missing_field"),
                })
                .collect()
        }
        _ => vec![Err("invalid_json")],
    }
}

fn decoded(data: &[u8], detailed: bool) -> Vec<Outcome> {
    let mut out = Decoded::new();
    if let Err(e) = decode_odigo(data, detailed, None, &mut out) {
        return vec![Err(e.reason.as_str())];
    }
    out.into_iter()
        .map(|r| {
            r.map(|e| {
                assert_eq!(e.kind, EventKind::Point);
                let (id, status) = (e.external_id.into_owned(), e.status.into_owned());
                (id, status, e.offline, e.time, e.event_id)
            })
            .map_err(|e| e.reason.as_str())
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    for detailed in [false, true] {
        let (got, want) = (decoded(data, detailed), reference(data, detailed));
        assert_eq!(
            got,
            want,
            "decoder and serde_json reference disagree on {:?}",
            String::from_utf8_lossy(data)
        );
    }
});
