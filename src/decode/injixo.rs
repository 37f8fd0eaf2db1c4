//! injixo-api agent-statuses request bodies:
//! `{"data":[{"agentIdentifier":…,"activityIdentifier":…,"startTime":…,"endTime":…}],"meta":{"integrationConfigurationId":8431}}`.
//! Each item is a status from `startTime` to `endTime` (open-ended when absent).

use super::{stable_hash, timestamp_from_json, DecodeError, Decoded, DecodedEvent, EventKind};
use crate::reason::Reason;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<&'a serde_json::value::RawValue>>,
    #[serde(default)]
    meta: Option<Value>,
}

/// The event id of an item's end, derived from the item's identity.
pub fn item_end_id(item_id: u64) -> u64 {
    let h = item_id.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
    if h == 0 {
        1
    } else {
        h
    }
}

/// `meta.integrationConfigurationId` of a payload (number or string), if any.
pub fn injixo_integration_id(payload: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Meta {
        #[serde(default)]
        meta: Option<Value>,
    }
    if !is_object(payload) {
        return None;
    }
    let m: Meta = serde_json::from_slice(payload).ok()?;
    match m.meta?.get("integrationConfigurationId")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Decode a request body; one result per item (an item with an end yields two events).
pub fn decode_injixo<'a>(payload: &'a [u8], out: &mut Decoded<'a>) -> Result<(), DecodeError> {
    decode_injixo_max(payload, usize::MAX, out)
}

/// [`decode_injixo`] refusing (`too_large`) a `data` list of more than `max_elements` items.
pub fn decode_injixo_max<'a>(
    payload: &'a [u8],
    max_elements: usize,
    out: &mut Decoded<'a>,
) -> Result<(), DecodeError> {
    // serde would read a struct from an array too (`[[1],1]`): only an object is a body
    if !is_object(payload) {
        serde_json::from_slice::<serde::de::IgnoredAny>(payload).map_err(|e| {
            DecodeError::new(
                Reason::InvalidJson,
                format!("payload is not valid JSON: {e}"),
            )
        })?;
        return Err(DecodeError::new(
            Reason::InvalidJson,
            "an injixo-api payload must be an object with \"data\" and \"meta\"",
        ));
    }
    let body: Body = serde_json::from_slice(payload).map_err(|e| {
        if e.is_data() {
            DecodeError::new(
                Reason::InvalidJson,
                "an injixo-api payload must be an object with \"data\" and \"meta\"",
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
    for (i, raw) in data.into_iter().enumerate() {
        match item(raw.get()) {
            Ok((start, end)) => {
                out.push(Ok(start));
                if let Some(end) = end {
                    out.push(Ok(end));
                }
            }
            Err(mut e) => {
                e.detail = format!("item {i}: {}", e.detail);
                out.push(Err(e));
            }
        }
    }
    Ok(())
}

/// Whether a payload's first non-blank byte opens an object.
fn is_object(payload: &[u8]) -> bool {
    payload.trim_ascii_start().first() == Some(&b'{')
}

type Item<'a> = (DecodedEvent<'a>, Option<DecodedEvent<'a>>);

fn item(raw: &str) -> Result<Item<'static>, DecodeError> {
    let v: Value = serde_json::from_str(raw)
        .map_err(|e| DecodeError::new(Reason::InvalidJson, e.to_string()))?;
    let o = v
        .as_object()
        .ok_or_else(|| DecodeError::new(Reason::InvalidJson, "an item must be an object"))?;
    let text = |name: &str| -> Result<String, DecodeError> {
        match o.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(DecodeError::new(
                Reason::MissingField,
                format!("field {name:?} is missing or empty"),
            )),
        }
    };
    let agent = text("agentIdentifier")?;
    let activity = text("activityIdentifier")?;
    let start_v = o
        .get("startTime")
        .ok_or_else(|| DecodeError::new(Reason::MissingField, "field \"startTime\" is missing"))?;
    let start = timestamp_from_json(start_v)?;
    let end = match o.get("endTime") {
        None | Some(Value::Null) => None,
        Some(v) => Some(timestamp_from_json(v)?),
    };
    if end.is_some_and(|e| e <= start) {
        return Err(DecodeError::new(
            Reason::BadTimestamp,
            "endTime is not after startTime",
        ));
    }
    let id = stable_hash(&[agent.as_bytes(), &start.to_le_bytes(), activity.as_bytes()]);
    let end_ev = end.map(|t| DecodedEvent {
        external_id: Cow::Owned(agent.clone()),
        status: Cow::Borrowed(""),
        offline: true,
        time: t,
        event_id: item_end_id(id),
        kind: EventKind::ItemEnd,
    });
    Ok((
        DecodedEvent {
            external_id: Cow::Owned(agent),
            status: Cow::Owned(activity),
            offline: false,
            time: start,
            event_id: id,
            kind: EventKind::ItemStart,
        },
        end_ev,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    #[test]
    fn items_become_start_and_end_events() {
        let p = br#"{"data":[{"agentIdentifier":"bob@x.com","activityIdentifier":"Calls","startTime":"2026-11-23T08:00:00Z","endTime":"2026-11-23T09:00:00Z"},{"agentIdentifier":"bob@x.com","activityIdentifier":"Lunch","startTime":"2026-11-23T09:00:00Z"}],"meta":{"integrationConfigurationId":8431,"externalSystem":"My ACD"}}"#;
        assert_eq!(injixo_integration_id(p).as_deref(), Some("8431"));
        let mut out = Decoded::new();
        decode_injixo(p, &mut out).unwrap();
        let evs: Vec<_> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0].kind, EventKind::ItemStart);
        assert_eq!(evs[0].status, "Calls");
        assert_eq!(evs[1].kind, EventKind::ItemEnd);
        assert_eq!(evs[1].time, parse_rfc3339("2026-11-23T09:00:00Z").unwrap());
        assert_eq!(evs[1].event_id, item_end_id(evs[0].event_id));
        assert_eq!(evs[2].status, "Lunch");
    }

    #[test]
    fn bad_items_are_reported_one_by_one() {
        let p = br#"{"data":[{"agentIdentifier":"a","activityIdentifier":"Calls","startTime":"2026-11-23T09:00:00Z","endTime":"2026-11-23T08:00:00Z"},{"activityIdentifier":"Calls","startTime":"2026-11-23T09:00:00Z"},{"agentIdentifier":"a","activityIdentifier":"Calls","startTime":"soon"}],"meta":{}}"#;
        let mut out = Decoded::new();
        decode_injixo(p, &mut out).unwrap();
        let reasons: Vec<_> = out
            .iter()
            .map(|r| r.as_ref().unwrap_err().reason.as_str())
            .collect();
        assert_eq!(reasons, ["bad_timestamp", "missing_field", "bad_timestamp"]);
        assert_eq!(
            decode_injixo(b"{\"meta\":{}}", &mut out)
                .unwrap_err()
                .reason,
            Reason::MissingField
        );
        assert_eq!(
            decode_injixo(b"[1]", &mut out).unwrap_err().reason,
            Reason::InvalidJson
        );
        assert_eq!(
            decode_injixo(b"{x", &mut out).unwrap_err().reason,
            Reason::InvalidJson
        );
    }

    #[test]
    fn an_array_is_not_read_as_a_body() {
        // Found by the fuzzer: serde reads a struct positionally from an array (`data`, `meta`).
        let mut out = Decoded::new();
        let e = decode_injixo(b"\n\n[[1]\n,1]", &mut out).unwrap_err();
        assert_eq!(e.reason, Reason::InvalidJson);
        assert!(e.detail.contains("must be an object"), "{}", e.detail);
        assert!(out.is_empty());
        assert_eq!(
            injixo_integration_id(br#"[[],{"integrationConfigurationId":1}]"#),
            None
        );
    }

    #[test]
    fn an_item_with_a_number_beyond_f64_is_dead_lettered_alone() {
        // Found by the fuzzer: the payload is valid JSON to a raw reader but not as a `Value`.
        let p = br#"{"data":[{"agentIdentifier":"a","activityIdentifier":"Lunch","startTime":17955e7380001},{"agentIdentifier":"a","activityIdentifier":"Calls","startTime":"2026-11-23T09:00:00Z"}],"meta":{}}"#;
        let mut out = Decoded::new();
        decode_injixo(p, &mut out).unwrap();
        let results: Vec<_> = out.into_iter().collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap_err().reason, Reason::InvalidJson);
        assert_eq!(results[1].as_ref().unwrap().status, "Calls");
    }
}
