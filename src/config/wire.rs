//! The wire form of a config record value (SPEC §3): one serde struct per kind, deserialized
//! straight from the record's bytes. Unknown top-level fields are refused
//! (`deny_unknown_fields`); `null` is the same as an absent field. The structs only give the
//! JSON its shape: every cross-check (ids against the key, ranges, formats) is
//! [`super::validate`]'s.
//!
//! Ids may be given as JSON numbers ([`Text`]); nested objects (`buffers`, `fields`, a schedule
//! segment) must be JSON objects ([`Obj`]), never arrays read positionally.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A string, or a number taken as its JSON text (ids written as numbers, `"id": 7`).
#[derive(Debug)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'de>, E> {
                // as `serde_json::Value` wrote it before: the number's JSON text
                let s = serde_json::Number::from_f64(v)
                    .map_or_else(|| v.to_string(), |n| n.to_string());
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON string (borrowed from the record when it has no escapes).
#[derive(Debug)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A struct read from a JSON object only (serde would also read it from an array, field by
/// field in order).
#[derive(Debug)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Obj)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// What every record has; read on its own only to explain a record that does not
/// deserialize (other fields ignored).
#[derive(Deserialize)]
pub struct Head<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub time_zone: Option<Text<'a>>,
    pub interval_minutes: Option<u64>,
    pub buffers: Option<Obj<BuffersWire>>,
    pub target_percent: Option<f64>,
}

/// Seconds; other names inside `buffers` are ignored (as they always were).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuffersWire {
    pub not_present: Option<f64>,
    pub wrong_activity: Option<f64>,
    pub not_scheduled: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IntegrationWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub vendor: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    pub paused: Option<bool>,
    pub detailed_breaks: Option<bool>,
    #[serde(borrow)]
    pub fields: Option<Obj<FieldsWire<'a>>>,
    #[serde(borrow)]
    pub token_sha256: Option<Str<'a>>,
    #[serde(borrow)]
    pub api_key_sha256: Option<Str<'a>>,
}

/// Odigo field-name overrides (JSON pointers).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldsWire<'a> {
    #[serde(borrow)]
    pub login: Option<Str<'a>>,
    #[serde(borrow)]
    pub state: Option<Str<'a>>,
    #[serde(borrow)]
    pub pause_code: Option<Str<'a>>,
    #[serde(borrow)]
    pub timestamp: Option<Str<'a>>,
    #[serde(borrow)]
    pub event_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActivityWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow, rename = "type")]
    pub activity_type: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IdentifierWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub integration: Option<Text<'a>>,
    #[serde(borrow)]
    pub external_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub person: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub integration: Option<Text<'a>>,
    #[serde(borrow)]
    pub external_status: Option<Str<'a>>,
    #[serde(borrow)]
    pub activity: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MatchWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    /// Read and ignored, as always: the key names the match (docs/schemas lists `id`).
    #[serde(rename = "id")]
    pub _id: Option<serde::de::IgnoredAny>,
    #[serde(borrow)]
    pub scheduled: Option<Text<'a>>,
    /// Activity ids, or `"offline"`.
    #[serde(borrow)]
    pub actual: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub types: Option<Vec<Str<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub person: Option<Text<'a>>,
    #[serde(borrow)]
    pub date: Option<Text<'a>>,
    #[serde(borrow)]
    pub segments: Option<Vec<Obj<SegmentWire<'a>>>>,
}

/// One schedule segment; other names in a segment are ignored (as they always were).
#[derive(Deserialize)]
pub struct SegmentWire<'a> {
    #[serde(borrow)]
    pub activity: Option<Text<'a>>,
    #[serde(borrow)]
    pub start: Option<Str<'a>>,
    #[serde(borrow)]
    pub end: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonWire<'a> {
    #[serde(borrow)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub account: Option<Text<'a>>,
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub team: Option<Text<'a>>,
}
