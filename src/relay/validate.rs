//! What the relay checks in a body before producing it (SPEC §9): an Odigo notification must be
//! JSON (an object or an array of them); an injixo API body must be JSON and each item valid
//! (required fields, RFC 3339 timestamps, `endTime` after `startTime`, `offered`/`handled`
//! booleans, `duration` a number ≥ 0). Pure functions; the body itself is produced unchanged.

use crate::time::parse_rfc3339;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a body is refused: 400 `invalid_json` or 422 `invalid_item`, with a detail for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Json(String),
    Item(String),
}

/// Items of an Odigo body: 1 for an object, the length for an array.
pub fn odigo_items(body: &[u8]) -> Result<usize, Invalid> {
    struct Shape;
    impl<'de> Visitor<'de> for Shape {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object or an array of objects")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Option<usize>, A::Error> {
            while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Some(1))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Option<usize>, A::Error> {
            let mut n = 0;
            while s.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(Some(n))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Option<usize>, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Option<usize>, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Option<usize>, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Option<usize>, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Option<usize>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<usize>, E> {
            Ok(None)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let shape = (&mut de)
        .deserialize_any(Shape)
        .and_then(|s| de.end().map(|()| s))
        .map_err(|e| Invalid::Json(format!("the body is not JSON: {e}")))?;
    shape.ok_or_else(|| {
        Invalid::Json("the body must be a JSON object or an array of objects".into())
    })
}

/// Which injixo API request a body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjixoBody {
    AgentStatuses,
    ContactEvents,
}

/// An injixo body: the integration it names (`meta.integrationConfigurationId`) and its items
/// (their count, or the first invalid one).
#[derive(Debug)]
pub struct Injixo {
    pub integration: Result<String, Invalid>,
    pub items: Result<usize, Invalid>,
}

/// Parse an injixo API body; `Err` only when it is not JSON.
pub fn injixo(body: &[u8], kind: InjixoBody) -> Result<Injixo, Invalid> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Invalid::Json(format!("the body is not JSON: {e}")))?;
    let Some(obj) = v.as_object() else {
        let bad = || Invalid::Item("the body must be an object with data and meta".into());
        return Ok(Injixo {
            integration: Err(bad()),
            items: Err(bad()),
        });
    };
    let integration = match obj
        .get("meta")
        .and_then(|m| m.get("integrationConfigurationId"))
    {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(Invalid::Item(
            "meta.integrationConfigurationId must be a number or a non-empty string".into(),
        )),
        None => Err(Invalid::Item(
            "meta.integrationConfigurationId is missing".into(),
        )),
    };
    let items = match obj.get("data") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_item(i, item, kind))
            .map(|()| items.len()),
        Some(_) => Err(Invalid::Item("data must be a list of items".into())),
        None => Err(Invalid::Item("data is missing".into())),
    };
    Ok(Injixo { integration, items })
}

fn check_item(i: usize, item: &Value, kind: InjixoBody) -> Result<(), Invalid> {
    let bad = |field: &str, what: &str| Invalid::Item(format!("data[{i}].{field}: {what}"));
    let Some(o) = item.as_object() else {
        return Err(Invalid::Item(format!("data[{i}] must be an object")));
    };
    let string = |o: &Map<String, Value>, f: &str, non_empty: bool| match o.get(f) {
        Some(Value::String(s)) if !non_empty || !s.is_empty() => Ok(()),
        Some(_) => Err(bad(f, "must be a non-empty string")),
        None => Err(bad(f, "is missing")),
    };
    let time = |o: &Map<String, Value>, f: &str| match o.get(f) {
        Some(Value::String(s)) => parse_rfc3339(s).ok_or_else(|| bad(f, "is not an RFC 3339 time")),
        Some(_) => Err(bad(f, "must be an RFC 3339 time string")),
        None => Err(bad(f, "is missing")),
    };
    match kind {
        InjixoBody::AgentStatuses => {
            string(o, "agentIdentifier", true)?;
            string(o, "activityIdentifier", true)?;
            let start = time(o, "startTime")?;
            match o.get("endTime") {
                None | Some(Value::Null) => {}
                Some(_) => {
                    if time(o, "endTime")? <= start {
                        return Err(bad("endTime", "is not after startTime"));
                    }
                }
            }
        }
        InjixoBody::ContactEvents => {
            let Some(p) = o.get("properties").and_then(Value::as_object) else {
                return Err(bad("properties", "must be an object"));
            };
            for f in ["offered", "handled"] {
                match p.get(f) {
                    Some(Value::Bool(_)) => {}
                    Some(_) => {
                        return Err(bad(&format!("properties.{f}"), "must be true or false"))
                    }
                    None => return Err(bad(&format!("properties.{f}"), "is missing")),
                }
            }
            match p.get("duration").map(Value::as_f64) {
                Some(Some(d)) if d >= 0.0 && d.is_finite() => {}
                Some(_) => return Err(bad("properties.duration", "must be a number ≥ 0")),
                None => return Err(bad("properties.duration", "is missing")),
            }
            string(o, "queueName", false)?;
            string(o, "queueIdentifier", false)?;
            time(o, "timestamp")?;
            if let Some(c) = o.get("channel") {
                if !(c.is_string() || c.is_null()) {
                    return Err(bad("channel", "must be a string"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odigo_object_array_and_not_json() {
        let one = br#"{"eventId":"e-1","timestamp":"2026-11-23T08:03:00Z","login":"bob.smith","state":"LOGIN"}"#;
        assert_eq!(odigo_items(one), Ok(1));
        assert_eq!(odigo_items(br#"[{"a":1},{"b":[1,2]}]"#), Ok(2));
        assert!(matches!(odigo_items(b"{\"a\":"), Err(Invalid::Json(_))));
        assert!(matches!(odigo_items(b"{} x"), Err(Invalid::Json(_))));
        assert!(matches!(odigo_items(b"42"), Err(Invalid::Json(_))));
    }

    #[test]
    fn injixo_agent_statuses_items() {
        let ok = br#"{"data":[{"agentIdentifier":"bob@x.com","activityIdentifier":"Calls","startTime":"2026-11-23T08:00:00Z","endTime":"2026-11-23T09:05:00+01:00"},{"agentIdentifier":"a","activityIdentifier":"B","startTime":"2026-11-23T08:00:00Z"}],"meta":{"integrationConfigurationId":8431,"externalSystem":"My ACD"}}"#;
        let p = injixo(ok, InjixoBody::AgentStatuses).unwrap();
        assert_eq!(p.integration, Ok("8431".into()));
        assert_eq!(p.items, Ok(2));
        let bad_end = br#"{"data":[{"agentIdentifier":"a","activityIdentifier":"B","startTime":"2026-11-23T08:00:00Z","endTime":"2026-11-23T07:00:00Z"}],"meta":{"integrationConfigurationId":"8431"}}"#;
        let p = injixo(bad_end, InjixoBody::AgentStatuses).unwrap();
        assert_eq!(
            p.items,
            Err(Invalid::Item(
                "data[0].endTime: is not after startTime".into()
            ))
        );
        let missing = br#"{"data":[{"activityIdentifier":"B","startTime":"x"}],"meta":{}}"#;
        let p = injixo(missing, InjixoBody::AgentStatuses).unwrap();
        assert!(p.integration.is_err());
        assert_eq!(
            p.items,
            Err(Invalid::Item("data[0].agentIdentifier: is missing".into()))
        );
        assert!(injixo(b"nope", InjixoBody::AgentStatuses).is_err());
    }

    #[test]
    fn injixo_contact_events_items() {
        let ok = br#"{"data":[{"properties":{"offered":true,"handled":false,"duration":124.6},"queueName":"Level 1 support","queueIdentifier":"1337_99","timestamp":"2021-12-06T10:34:22Z","channel":"calls"}],"meta":{"integrationConfigurationId":1234}}"#;
        let p = injixo(ok, InjixoBody::ContactEvents).unwrap();
        assert_eq!(p.items, Ok(1));
        let neg = br#"{"data":[{"properties":{"offered":true,"handled":false,"duration":1},"queueName":"q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z"},{"properties":{"offered":"yes","handled":false,"duration":-1},"queueName":"q","queueIdentifier":"1","timestamp":"2021-12-06T10:34:22Z"}],"meta":{"integrationConfigurationId":1234}}"#;
        let p = injixo(neg, InjixoBody::ContactEvents).unwrap();
        assert_eq!(
            p.items,
            Err(Invalid::Item(
                "data[1].properties.offered: must be true or false".into()
            ))
        );
    }
}
