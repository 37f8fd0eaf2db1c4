//! Odigo agent-state notifications: one object or an array of them.
//! `{"eventId":"e-1","timestamp":"2026-11-23T08:03:00Z","login":"bob.smith","state":"PAUSE","pauseCode":"LUNCH"}`

use super::flat::Flat;
use super::{stable_hash, timestamp_from_json, DecodeError, Decoded, DecodedEvent, EventKind};
use crate::config::OdigoFields;
use crate::reason::Reason;
use crate::time::parse_rfc3339;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The reference shape, decoded without building a JSON tree.
#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(borrow, default)]
    login: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    state: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "pauseCode")]
    pause_code: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "raw_flat")]
    timestamp: Option<Flat<'a>>,
    #[serde(borrow, default, rename = "eventId", deserialize_with = "raw_flat")]
    event_id: Option<Flat<'a>>,
}

/// serde path: keep timestamp / eventId as raw JSON text for the same handling as the fast path.
fn raw_flat<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Flat<'de>>, D::Error> {
    let raw: Option<&'de RawValue> = Option::deserialize(d)?;
    Ok(raw.map(|r| Flat::Num(r.get())))
}

/// Decode an Odigo payload into events, one result per notification.
/// `fields` = JSON-pointer overrides from the integration record (None = reference names).
pub fn decode_odigo<'a>(
    payload: &'a [u8],
    detailed_breaks: bool,
    fields: Option<&OdigoFields>,
    out: &mut Decoded<'a>,
) -> Result<(), DecodeError> {
    decode_odigo_max(payload, detailed_breaks, fields, usize::MAX, out)
}

/// [`decode_odigo`] refusing (`too_large`) an array of more than `max_elements`.
pub fn decode_odigo_max<'a>(
    payload: &'a [u8],
    detailed_breaks: bool,
    fields: Option<&OdigoFields>,
    max_elements: usize,
    out: &mut Decoded<'a>,
) -> Result<(), DecodeError> {
    let first = payload.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if let Some(f) = fields {
        let v: serde_json::Value = serde_json::from_slice(payload).map_err(invalid_json)?;
        match v {
            serde_json::Value::Array(items) => {
                too_many(items.len(), max_elements)?;
                for (i, item) in items.iter().enumerate() {
                    out.push(from_value(item, detailed_breaks, f).map_err(|e| at_element(e, i)));
                }
            }
            obj @ serde_json::Value::Object(_) => out.push(from_value(&obj, detailed_breaks, f)),
            _ => {
                return Err(DecodeError::new(
                    Reason::InvalidJson,
                    "an Odigo payload must be an object or an array of objects",
                ))
            }
        }
        return Ok(());
    }
    match first {
        Some(b'{') => {
            if let Some(n) = fast_notification(payload) {
                out.push(from_notification(n, detailed_breaks));
                return Ok(());
            }
            utf8(payload)?;
            let n: Notification =
                serde_json::from_slice(payload).map_err(|e| invalid_json_or_shape(e, payload))?;
            out.push(from_notification(n, detailed_breaks));
        }
        Some(b'[') => {
            utf8(payload)?;
            let items: Vec<&serde_json::value::RawValue> =
                serde_json::from_slice(payload).map_err(invalid_json)?;
            too_many(items.len(), max_elements)?;
            for (i, raw) in items.into_iter().enumerate() {
                if !raw.get().trim_start().starts_with('{') {
                    // serde would read an array positionally as a notification: not ours
                    let detail = "an Odigo notification must be a JSON object";
                    out.push(Err(at_element(
                        DecodeError::new(Reason::MissingField, detail),
                        i,
                    )));
                    continue;
                }
                let r = serde_json::from_str::<Notification>(raw.get())
                    .map_err(|e| invalid_json_or_shape(e, raw.get().as_bytes()))
                    .and_then(|n| from_notification(n, detailed_breaks));
                out.push(r.map_err(|e| at_element(e, i)));
            }
        }
        _ => {
            // Not an object or array: tell invalid JSON from a wrong shape.
            serde_json::from_slice::<serde::de::IgnoredAny>(payload).map_err(invalid_json)?;
            return Err(DecodeError::new(
                Reason::InvalidJson,
                "an Odigo payload must be an object or an array of objects",
            ));
        }
    }
    Ok(())
}

/// The common flat shape without serde: strings borrowed in place.
fn fast_notification(payload: &[u8]) -> Option<Notification<'_>> {
    let mut n = Notification {
        login: None,
        state: None,
        pause_code: None,
        timestamp: None,
        event_id: None,
    };
    let mut odd = false;
    // a field given twice: serde refuses it ("duplicate field"), so the fast path declines
    let mut seen = 0u8;
    let mut once = |bit: u8| {
        let again = seen & bit != 0;
        seen |= bit;
        again
    };
    super::flat::read_flat(payload, |k, v| {
        let (bit, slot) = match k {
            "login" => (1, &mut n.login),
            "state" => (2, &mut n.state),
            "pauseCode" => (4, &mut n.pause_code),
            "timestamp" => {
                odd |= once(8);
                n.timestamp = Some(v);
                return;
            }
            "eventId" => {
                odd |= once(16);
                n.event_id = Some(v);
                return;
            }
            _ => return,
        };
        odd |= once(bit);
        match v {
            Flat::Str(s) => *slot = Some(Cow::Borrowed(s)),
            Flat::Null => *slot = None,
            _ => odd = true, // wrong type: let serde report it
        }
    })?;
    (!odd).then_some(n)
}

/// JSON text is UTF-8 throughout: serde skips the strings of unknown fields without checking.
fn utf8(payload: &[u8]) -> Result<(), DecodeError> {
    std::str::from_utf8(payload).map(|_| ()).map_err(|e| {
        DecodeError::new(
            Reason::InvalidJson,
            format!("payload is not valid JSON: not UTF-8 ({e})"),
        )
    })
}

/// An array longer than the limit is refused as a whole.
pub(super) fn too_many(n: usize, max: usize) -> Result<(), DecodeError> {
    if n > max {
        return Err(DecodeError::new(
            Reason::TooLarge,
            format!("{n} elements exceed the limit of {max} per payload"),
        ));
    }
    Ok(())
}

fn at_element(mut e: DecodeError, i: usize) -> DecodeError {
    e.detail = format!("element {i}: {}", e.detail);
    e
}

fn invalid_json(e: serde_json::Error) -> DecodeError {
    DecodeError::new(
        Reason::InvalidJson,
        format!("payload is not valid JSON: {e}"),
    )
}

/// A serde error of a notification: a wrong shape (`missing_field`: a wrong type, a field given
/// twice, a value serde cannot read such as a number beyond f64) when the text is valid JSON,
/// else `invalid_json` — serde stops at the first bad field, before it could see a syntax
/// error further on.
fn invalid_json_or_shape(e: serde_json::Error, text: &[u8]) -> DecodeError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Ok(_) => DecodeError::new(
            Reason::MissingField,
            format!("a field has the wrong type: {e}"),
        ),
        Err(syntax) => invalid_json(syntax),
    }
}

fn external_status<'a>(
    state: Cow<'a, str>,
    pause_code: Option<Cow<'a, str>>,
    detailed_breaks: bool,
) -> Cow<'a, str> {
    match pause_code {
        Some(code) if detailed_breaks && state == "PAUSE" && !code.is_empty() => {
            Cow::Owned(format!("PAUSE:{code}"))
        }
        _ => state,
    }
}

fn from_notification(
    n: Notification<'_>,
    detailed_breaks: bool,
) -> Result<DecodedEvent<'_>, DecodeError> {
    let login = n.login.filter(|s| !s.is_empty()).ok_or_else(|| {
        DecodeError::new(Reason::MissingField, "field \"login\" is missing or empty")
    })?;
    let state = n.state.filter(|s| !s.is_empty()).ok_or_else(|| {
        DecodeError::new(Reason::MissingField, "field \"state\" is missing or empty")
    })?;
    let time = match n.timestamp {
        None => {
            return Err(DecodeError::new(
                Reason::MissingField,
                "field \"timestamp\" is missing",
            ))
        }
        Some(Flat::Str(s)) => parse_rfc3339(s).ok_or_else(|| {
            DecodeError::new(
                Reason::BadTimestamp,
                format!("timestamp {s:?} is not RFC 3339"),
            )
        })?,
        Some(Flat::Num(raw)) => raw_timestamp(raw)?,
        Some(Flat::Null) => {
            return Err(DecodeError::new(
                Reason::MissingField,
                "field \"timestamp\" is missing",
            ))
        }
        Some(Flat::Bool) => {
            return Err(DecodeError::new(
                Reason::BadTimestamp,
                "timestamp must be RFC 3339 text or epoch milliseconds",
            ))
        }
    };
    let event_id = match n.event_id {
        None => 0,
        Some(Flat::Str(s)) => stable_hash(&[s.as_bytes()]),
        Some(Flat::Num(raw)) => raw_event_id(raw)?,
        Some(Flat::Null) => 0,
        Some(Flat::Bool) => {
            return Err(DecodeError::new(
                Reason::MissingField,
                "field \"eventId\" must be a string or a number",
            ))
        }
    };
    let offline = state == "LOGOUT";
    Ok(DecodedEvent {
        external_id: login,
        status: external_status(state, n.pause_code, detailed_breaks),
        offline,
        time,
        event_id,
        kind: EventKind::Point,
    })
}

/// A timestamp as raw JSON: a string without escapes is parsed in place.
fn raw_timestamp(raw: &str) -> Result<crate::time::Millis, DecodeError> {
    let b = raw.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && !raw[1..raw.len() - 1].contains('\\') {
        let s = &raw[1..raw.len() - 1];
        return parse_rfc3339(s).ok_or_else(|| {
            DecodeError::new(
                Reason::BadTimestamp,
                format!("timestamp {s:?} is not RFC 3339"),
            )
        });
    }
    let v: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
        DecodeError::new(Reason::BadTimestamp, format!("timestamp unreadable: {e}"))
    })?;
    timestamp_from_json(&v)
}

/// An event id (string or number) as raw JSON → stable hash of its text.
fn raw_event_id(raw: &str) -> Result<u64, DecodeError> {
    let b = raw.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && !raw.contains('\\') {
        return Ok(stable_hash(&[&b[1..b.len() - 1]]));
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::String(s)) => Ok(stable_hash(&[s.as_bytes()])),
        Ok(serde_json::Value::Number(n)) => Ok(stable_hash(&[n.to_string().as_bytes()])),
        Ok(serde_json::Value::Null) => Ok(0),
        _ => Err(DecodeError::new(
            Reason::MissingField,
            "field \"eventId\" must be a string or a number",
        )),
    }
}

fn pointer_str<'v>(
    v: &'v serde_json::Value,
    ptr: &str,
    name: &str,
    required: bool,
) -> Result<Option<Cow<'v, str>>, DecodeError> {
    match v.pointer(ptr) {
        None | Some(serde_json::Value::Null) if !required => Ok(None),
        None | Some(serde_json::Value::Null) => Err(DecodeError::new(
            Reason::MissingField,
            format!("field {name} (at {ptr:?}) is missing"),
        )),
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(Some(Cow::Borrowed(s.as_str()))),
        Some(serde_json::Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(_) if !required => Ok(None),
        Some(_) => Err(DecodeError::new(
            Reason::MissingField,
            format!("field {name} (at {ptr:?}) is not a non-empty string"),
        )),
    }
}

fn from_value<'a>(
    v: &serde_json::Value,
    detailed_breaks: bool,
    f: &OdigoFields,
) -> Result<DecodedEvent<'a>, DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::new(
            Reason::InvalidJson,
            "an Odigo notification must be a JSON object",
        ));
    }
    let login = pointer_str(v, &f.login, "login", true)?
        .unwrap_or_default()
        .into_owned();
    let state = pointer_str(v, &f.state, "state", true)?
        .unwrap_or_default()
        .into_owned();
    let pause =
        pointer_str(v, &f.pause_code, "pauseCode", false)?.map(|c| Cow::Owned(c.into_owned()));
    let ts = v.pointer(&f.timestamp).ok_or_else(|| {
        DecodeError::new(
            Reason::MissingField,
            format!("field timestamp (at {:?}) is missing", f.timestamp),
        )
    })?;
    let time = timestamp_from_json(ts)?;
    let event_id = pointer_str(v, &f.event_id, "eventId", false)?
        .map(|s| stable_hash(&[s.as_bytes()]))
        .unwrap_or(0);
    let offline = state == "LOGOUT";
    Ok(DecodedEvent {
        external_id: Cow::Owned(login),
        status: Cow::Owned(external_status(Cow::Owned(state), pause, detailed_breaks).into_owned()),
        offline,
        time,
        event_id,
        kind: EventKind::Point,
    })
}

#[cfg(test)]
#[path = "odigo_tests.rs"]
mod tests;
