//! injixo API contact-events request bodies (SPEC §10):
//! `{"data":[{"properties":{"offered":true,"handled":false,"duration":124.6},"queueName":…,
//! "queueIdentifier":…,"timestamp":…,"channel":"calls"}],"meta":{"integrationConfigurationId":…}}`.
//! Each item is one contact at `timestamp`; every item is validated on its own, so a bad item
//! is one error naming its index and the others still count.
//!
//! Three readings give the same results, tried in turn. [`scan`] reads the bodies relays send
//! (valid JSON without escapes) in one hand-written pass; [`fast`] reads any well-formed body in
//! one serde pass; anything unusual — an item that is not an object, a value of the wrong type,
//! a duplicate field, a number beyond f64, more than `max_elements` items, bad JSON — makes both
//! give up, and the careful reading decides: first each item as raw JSON, then each item on its
//! own, so one bad item is one error. A test compares the three over thousands of damaged
//! bodies.

mod fast;
mod scan;

use super::{epoch_ms, DecodeError};
use crate::reason::Reason;
use crate::time::{parse_rfc3339, Millis};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The longest handle time accepted (30 days); longer is `invalid_value`.
pub const MAX_DURATION_MS: i64 = 30 * 86_400_000;

/// One contact, as found in a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact<'a> {
    pub queue_id: Cow<'a, str>,
    pub queue_name: Cow<'a, str>,
    pub channel: Cow<'a, str>,
    pub time: Millis,
    pub offered: bool,
    pub handled: bool,
    /// `properties.duration` in whole milliseconds (rounded; 0 when absent).
    pub duration_ms: i64,
}

/// The results of one payload, one per element of `data`.
pub type DecodedContacts<'a> = Vec<Result<Contact<'a>, DecodeError>>;

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    meta: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    #[serde(borrow, default)]
    queue_identifier: Option<&'a RawValue>,
    #[serde(borrow, default)]
    queue_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    channel: Option<&'a RawValue>,
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(default)]
    properties: Option<Properties>,
}

#[derive(Deserialize)]
struct Properties {
    #[serde(default)]
    offered: Option<bool>,
    #[serde(default)]
    handled: Option<bool>,
    #[serde(default)]
    duration: Option<f64>,
}

/// Decode a request body, refusing (`too_large`) a `data` list of more than `max_elements`.
pub fn decode_contacts_max<'a>(
    payload: &'a [u8],
    max_elements: usize,
    out: &mut DecodedContacts<'a>,
) -> Result<(), DecodeError> {
    // serde would read a struct from an array too (`[[],2]`): only an object is a body
    if payload.trim_ascii_start().first() != Some(&b'{') {
        return Err(DecodeError::new(
            Reason::InvalidJson,
            "a contact-events payload must be an object with \"data\" and \"meta\"",
        ));
    }
    if let Some(items) =
        scan::read(payload, max_elements).or_else(|| fast::read(payload, max_elements))
    {
        out.reserve(items.len());
        for (i, it) in items.into_iter().enumerate() {
            out.push(check(it).map_err(|e| at_item(e, i)));
        }
        return Ok(());
    }
    careful(payload, max_elements, out)
}

fn at_item(mut e: DecodeError, i: usize) -> DecodeError {
    e.detail = format!("item {i}: {}", e.detail);
    e
}

/// The careful reading: the body with raw items, then each item on its own.
fn careful<'a>(
    payload: &'a [u8],
    max_elements: usize,
    out: &mut DecodedContacts<'a>,
) -> Result<(), DecodeError> {
    // serde would read a struct from an array too (`[[],2]`): only an object is a body
    if payload.trim_ascii_start().first() != Some(&b'{') {
        return Err(DecodeError::new(
            Reason::InvalidJson,
            "a contact-events payload must be an object with \"data\" and \"meta\"",
        ));
    }
    let body: Body = serde_json::from_slice(payload).map_err(|e| {
        if e.is_data() {
            DecodeError::new(
                Reason::InvalidJson,
                "a contact-events payload must be an object with \"data\" and \"meta\"",
            )
        } else {
            DecodeError::new(
                Reason::InvalidJson,
                format!("payload is not valid JSON: {e}"),
            )
        }
    })?;
    if body.meta.is_none() {
        return Err(DecodeError::new(
            Reason::MissingField,
            "field \"meta\" is missing",
        ));
    }
    let data = body
        .data
        .ok_or_else(|| DecodeError::new(Reason::MissingField, "field \"data\" is missing"))?;
    super::odigo::too_many(data.len(), max_elements)?;
    out.reserve(data.len());
    for (i, raw) in data.into_iter().enumerate() {
        out.push(item(raw).map_err(|e| at_item(e, i)));
    }
    Ok(())
}

fn item(raw: &RawValue) -> Result<Contact<'_>, DecodeError> {
    if !raw.get().starts_with('{') {
        return Err(DecodeError::new(
            Reason::InvalidValue,
            "an item must be an object",
        ));
    }
    let it: Item = serde_json::from_str(raw.get()).map_err(|e| {
        let what = e.to_string();
        // serde's message names the field and the type it expected
        let what = what.split(" at line").next().unwrap_or(&what).to_string();
        DecodeError::new(Reason::InvalidValue, what)
    })?;
    check(Fields {
        queue_identifier: it.queue_identifier.map(raw_text),
        queue_name: it.queue_name.map(raw_text),
        channel: it.channel.map(raw_text),
        timestamp: it.timestamp.map(RawValue::get),
        properties: it.properties,
    })
}

/// A text field as read (absent or null is `None`).
enum Text<'a> {
    /// Borrowed from the payload unless it has escapes.
    Str(Cow<'a, str>),
    /// Another JSON value.
    NotStr,
    /// A string whose escapes do not decode.
    Unreadable,
}

/// The fields of one item, as both readings hand them to [`check`].
struct Fields<'a> {
    queue_identifier: Option<Text<'a>>,
    queue_name: Option<Text<'a>>,
    channel: Option<Text<'a>>,
    /// The raw JSON text.
    timestamp: Option<&'a str>,
    properties: Option<Properties>,
}

/// A raw text field (never `null`: that is an absent field already).
fn raw_text(v: &RawValue) -> Text<'_> {
    let raw = v.get();
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Text::Str(Cow::Borrowed(inner)),
        Some(_) => match serde_json::from_str::<String>(raw) {
            Ok(s) => Text::Str(Cow::Owned(s)),
            Err(_) => Text::Unreadable,
        },
        None if raw == "null" => Text::Unreadable,
        None => Text::NotStr,
    }
}

/// Validate the fields of one item.
fn check(it: Fields<'_>) -> Result<Contact<'_>, DecodeError> {
    let queue_id = text(it.queue_identifier, "queueIdentifier")?;
    let queue_name = text(it.queue_name, "queueName")?;
    let channel = text(it.channel, "channel")?;
    let time = timestamp(it.timestamp)?;
    let p = it
        .properties
        .ok_or_else(|| DecodeError::new(Reason::MissingField, "field \"properties\" is missing"))?;
    let flag = |v: Option<bool>, name: &str| {
        v.ok_or_else(|| {
            DecodeError::new(
                Reason::MissingField,
                format!("field \"properties.{name}\" is missing"),
            )
        })
    };
    let offered = flag(p.offered, "offered")?;
    let handled = flag(p.handled, "handled")?;
    let duration_ms = match p.duration {
        None => 0,
        Some(d) if d.is_finite() && d >= 0.0 && d * 1000.0 <= MAX_DURATION_MS as f64 => {
            (d * 1000.0).round() as i64
        }
        Some(d) => {
            return Err(DecodeError::new(
                Reason::InvalidValue,
                format!("properties.duration {d} is not a number of seconds from 0 to 30 days"),
            ))
        }
    };
    Ok(Contact {
        queue_id,
        queue_name,
        channel,
        time,
        offered,
        handled,
        duration_ms,
    })
}

/// A text field: present, a string and not empty.
fn text<'a>(v: Option<Text<'a>>, name: &str) -> Result<Cow<'a, str>, DecodeError> {
    let missing = || {
        DecodeError::new(
            Reason::MissingField,
            format!("field {name:?} is missing or empty"),
        )
    };
    match v {
        Some(Text::Str(s)) if !s.is_empty() => Ok(s),
        Some(Text::NotStr) => Err(DecodeError::new(
            Reason::InvalidValue,
            format!("field {name:?} must be a string"),
        )),
        _ => Err(missing()),
    }
}

/// `timestamp`: RFC 3339 text or epoch milliseconds, read without building a `Value`.
fn timestamp(raw: Option<&str>) -> Result<Millis, DecodeError> {
    let raw = raw
        .ok_or_else(|| DecodeError::new(Reason::MissingField, "field \"timestamp\" is missing"))?;
    if let Some(text) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        if !text.contains('\\') {
            return parse_rfc3339(text).ok_or_else(|| {
                DecodeError::new(
                    Reason::BadTimestamp,
                    format!("timestamp {text:?} is not RFC 3339"),
                )
            });
        }
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v @ serde_json::Value::String(_)) => super::timestamp_from_json(&v),
        Ok(serde_json::Value::Number(n)) => epoch_ms(n.as_i64(), n.as_f64()),
        _ => Err(DecodeError::new(
            Reason::BadTimestamp,
            "timestamp is neither RFC 3339 text nor epoch milliseconds",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(p: &[u8]) -> Result<DecodedContacts<'_>, DecodeError> {
        let mut out = Vec::new();
        decode_contacts_max(p, 10_000, &mut out).map(|()| out)
    }

    #[test]
    fn the_injixo_example_decodes() {
        let p = br#"{"data":[{"properties":{"offered":true,"handled":false,"duration":124.6},"queueName":"Level 1 support","queueIdentifier":"1337_99","timestamp":"2021-12-06T10:34:22Z","channel":"calls"}],"meta":{"integrationConfigurationId":1234}}"#;
        let out = decode(p).unwrap();
        let c = out[0].as_ref().unwrap();
        assert_eq!(c.queue_id, "1337_99");
        assert_eq!(c.queue_name, "Level 1 support");
        assert_eq!(c.channel, "calls");
        assert_eq!(c.time, parse_rfc3339("2021-12-06T10:34:22Z").unwrap());
        assert!(c.offered && !c.handled);
        assert_eq!(c.duration_ms, 124_600);
        assert!(
            matches!(c.queue_name, Cow::Borrowed(_)),
            "no copy without escapes"
        );
    }

    #[test]
    fn each_bad_item_is_reported_with_its_index() {
        let good = r#"{"properties":{"offered":true,"handled":true,"duration":60},"queueName":"Q","queueIdentifier":"1","timestamp":1638786862000,"channel":"chat"}"#;
        let items = [
            good,
            r#"{"properties":{"offered":true,"handled":true},"queueName":"Q","timestamp":"2021-12-06T10:34:22Z","channel":"c"}"#,
            r#"{"properties":{"offered":"yes","handled":true},"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c"}"#,
            r#"{"properties":{"offered":true,"handled":true,"duration":-1},"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c"}"#,
            r#"{"properties":{"offered":true,"handled":true},"queueName":"Q","queueIdentifier":"1","timestamp":"soon","channel":"c"}"#,
            r#"{"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c"}"#,
            r#"{"properties":{"offered":true,"handled":true,"duration":1e400},"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c"}"#,
            r#"[]"#,
        ];
        let p = format!(r#"{{"data":[{}],"meta":{{}}}}"#, items.join(","));
        let out = decode(p.as_bytes()).unwrap();
        assert_eq!(out.len(), items.len());
        assert_eq!(out[0].as_ref().unwrap().duration_ms, 60_000);
        let errs: Vec<_> = out[1..]
            .iter()
            .map(|r| {
                let e = r.as_ref().unwrap_err();
                (
                    e.reason.as_str(),
                    e.detail.split(':').next().unwrap().to_string(),
                )
            })
            .collect();
        let expect = [
            ("missing_field", "item 1"),
            ("invalid_value", "item 2"),
            ("invalid_value", "item 3"),
            ("bad_timestamp", "item 4"),
            ("missing_field", "item 5"),
            ("invalid_value", "item 6"),
            ("invalid_value", "item 7"),
        ];
        let got: Vec<_> = errs.iter().map(|(r, d)| (*r, d.as_str())).collect();
        assert_eq!(got, expect);
    }

    /// The readings of `p`: (what decode_contacts_max answers, what the careful one answers,
    /// whether the scanner answered, whether the serde one did).
    type Both<'a> = (
        Result<DecodedContacts<'a>, DecodeError>,
        Result<DecodedContacts<'a>, DecodeError>,
        bool,
        bool,
    );

    fn both(p: &[u8], max: usize) -> Both<'_> {
        let mut a = Vec::new();
        let ra = decode_contacts_max(p, max, &mut a).map(|()| a);
        let mut b = Vec::new();
        let rb = careful(p, max, &mut b).map(|()| b);
        let scanned = scan::read(p, max).is_some();
        let fast = fast::read(p, max).is_some();
        // the scanner reads a subset of what the serde reading reads
        assert!(!scanned || fast, "{}", String::from_utf8_lossy(p));
        // each reading alone answers as the careful one
        for reading in [scan::read, fast::read] {
            if let Some(items) = reading(p, max) {
                let alone: DecodedContacts = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, it)| check(it).map_err(|e| at_item(e, i)))
                    .collect();
                assert_eq!(Ok(&alone), rb.as_ref(), "{}", String::from_utf8_lossy(p));
            }
        }
        (ra, rb, scanned, fast)
    }

    #[test]
    fn the_fast_reading_answers_as_the_careful_one() {
        let good = r#"{"properties":{"offered":true,"handled":true,"duration":60.5},"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"chat"}"#;
        let items = [
            good,
            r#"{"queueName":"Q\u00e9","queueIdentifier":"1","timestamp":1638786862000,"channel":"c","properties":{"offered":false,"handled":false},"extra":[1,{"x":null}]}"#,
            r#"{"queueName":null,"queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":true,"handled":true}}"#,
            r#"{"queueName":"Q","queueName":"R","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":true,"handled":true}}"#,
            r#"{"queueName":5,"queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":true,"handled":true}}"#,
            r#"{"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":"yes","handled":true}}"#,
            r#"{"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":null}"#,
            r#"{"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":true,"handled":true,"duration":1e400}}"#,
            r#"{"queueName":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":true,"handled":true},"big":1e400}"#,
            r#"{"queue\u004eame":"Q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":"c","properties":{"offered":true,"handled":true}}"#,
            r#"{"queueName":{"a":1e400},"queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z","channel":["x"],"properties":{"offered":true,"handled":true}}"#,
            r#"{"queueName":"\ud800","queueIdentifier":"","timestamp":"2021-12-06T10:34:22Z","channel":true,"properties":{"offered":true,"handled":true}}"#,
            r#"{"queueName":"a\"b","queueIdentifier":7,"timestamp":"2021-12-06T10:34:22\u005a","channel":"c","properties":{"offered":true,"handled":true}}"#,
            r#"{}"#,
            r#"[]"#,
            r#"["Q","1","c","2021-12-06T10:34:22Z",{"offered":true,"handled":true}]"#,
            r#"1e400"#,
            r#"null"#,
            r#""text""#,
        ];
        let mut bodies: Vec<Vec<u8>> = Vec::new();
        for (i, it) in items.iter().enumerate() {
            bodies.push(
                format!(r#"{{"data":[{good},{it}],"meta":{{"integrationConfigurationId":1}}}}"#)
                    .into_bytes(),
            );
            bodies.push(format!(r#"{{"meta":{{}},"x":{i},"data":[{it}]}}"#).into_bytes());
        }
        for extra in [
            r#"{"data":[],"meta":{}}"#,
            r#"{"data":null,"meta":{}}"#,
            r#"{"data":[],"meta":null}"#,
            r#"{"data":[],"data":[],"meta":{}}"#,
            r#"{"data":[],"meta":{},"meta":{}}"#,
            r#"[[],{}]"#,
            r#"{"data":[],"meta":{}} x"#,
            r#"{"data":[{"x":"\u00zz"}],"meta":{}}"#,
        ] {
            bodies.push(extra.as_bytes().to_vec());
        }
        let mut bad_utf8 = format!(r#"{{"data":[{{"q":"AB"}},{good}],"meta":{{}}}}"#).into_bytes();
        let at = bad_utf8.iter().position(|&b| b == b'A').unwrap();
        bad_utf8[at] = 0xff;
        bodies.push(bad_utf8);
        // and random damage to good bodies of three items, with and without escapes
        let escaped = format!(
            r#"{{"data":[{good},{},{good}],"meta":{{"integrationConfigurationId":"9"}}}}"#,
            items[1]
        );
        let plain = format!(
            r#" {{ "x" : [1.5e3, {{"y":[]}}], "data" : [ {good} , {{"channel":"c","properties":{{"handled":false,"offered":true,"duration":0,"z":{{}}}},"queueName":"Q","queueIdentifier":"7","timestamp":1638786862000,"u":-0.5}} ,{good}],"meta":{{"integrationConfigurationId":9}} }} "#
        );
        const BYTES: &[u8] = br#"{}[]\":,0123456789.e-nulltrufas x"#;
        let mut rng = crate::simulate::rng::Rng::new(17);
        for n in 0..6_000 {
            let mut b = if n % 2 == 0 { &escaped } else { &plain }
                .clone()
                .into_bytes();
            for _ in 0..=rng.below(3) {
                let i = rng.below(b.len() as u64) as usize;
                let byte = BYTES[rng.below(BYTES.len() as u64) as usize];
                match rng.below(3) {
                    0 => b[i] = byte,
                    1 => {
                        b.remove(i);
                    }
                    _ => b.insert(i, byte),
                }
            }
            bodies.push(b);
        }
        let (mut scanned, mut fast) = (0, 0);
        for b in &bodies {
            for max in [1, 2, 10] {
                let (got, want, s, f) = both(b, max);
                assert_eq!(got, want, "{}", String::from_utf8_lossy(b));
                scanned += s as usize;
                fast += f as usize;
            }
        }
        assert!(scanned > 1_000, "the scanner answered {scanned} times");
        assert!(
            fast > scanned + 500,
            "the serde reading answered {fast} times"
        );
        let (_, _, s, f) = both(plain.as_bytes(), 10);
        assert!(s && f, "a well-formed body without escapes is scanned");
        let (_, _, s, f) = both(escaped.as_bytes(), 10);
        assert!(!s && f, "escapes: the serde reading");
    }

    #[test]
    fn a_refused_body_decodes_nothing() {
        for p in [
            &b"{x"[..],
            b"[1]",
            b"{\"meta\":{}}",
            b"{\"data\":[]}",
            b"{\"data\":{},\"meta\":{}}",
            b"[[],2]",
        ] {
            let mut out = Vec::new();
            assert!(decode_contacts_max(p, 10, &mut out).is_err(), "{p:?}");
            assert!(out.is_empty());
        }
        let many = format!(r#"{{"data":[{}],"meta":{{}}}}"#, ["{}"; 11].join(","));
        let mut out = Vec::new();
        let e = decode_contacts_max(many.as_bytes(), 10, &mut out).unwrap_err();
        assert_eq!(e.reason, Reason::TooLarge);
    }
}
