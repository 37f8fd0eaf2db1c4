//! Agent-state records without some top-level fields, for `GET /states?omit=today`: the page's
//! table needs no per-day figures, a quarter of each record. The record is read as a map of raw
//! values (nothing is decoded or re-encoded but the keys), so the order and the bytes of the
//! fields kept stay as stored; a record that does not read that way is written whole.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// Top-level fields of an object: (key, raw value). Keys with escapes do not borrow and fail
/// the read (none of rta's do).
struct Fields<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Fields<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Fields<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Fields<'a>, M::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(16).min(64));
                while let Some(e) = m.next_entry::<&'de str, &'de RawValue>()? {
                    out.push(e);
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Write `record` to `out` without the top-level fields named in `omit`.
pub fn write_without(record: &[u8], omit: &[&str], out: &mut Vec<u8>) {
    let Ok(Fields(fields)) = serde_json::from_slice::<Fields>(record) else {
        out.extend_from_slice(record);
        return;
    };
    out.push(b'{');
    let mut first = true;
    for (k, v) in fields {
        if omit.contains(&k) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(v.get().as_bytes());
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trim(s: &str, omit: &[&str]) -> String {
        let mut out = Vec::new();
        write_without(s.as_bytes(), omit, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn drops_the_fields_and_keeps_the_rest_as_stored() {
        let rec = r#"{"person":"p1","at":"2026-11-23T08:00:00Z","actual":{"online":true,"x":[1, 2]},"today":{"date":"2026-11-23","adherencePercent":null},"inBuffer":false}"#;
        assert_eq!(
            trim(rec, &["today"]),
            r#"{"person":"p1","at":"2026-11-23T08:00:00Z","actual":{"online":true,"x":[1, 2]},"inBuffer":false}"#
        );
        let v: serde_json::Value = serde_json::from_str(&trim(rec, &["today", "person"])).unwrap();
        assert!(v.get("today").is_none() && v.get("person").is_none());
        assert_eq!(v["actual"]["x"][1], 2);
        assert_eq!(trim(r#"{"today":1}"#, &["today"]), "{}");
    }

    #[test]
    fn what_does_not_read_as_an_object_is_written_whole() {
        for odd in [r#"{"to\u0064ay":1}"#, "[1,2]", "{\"a\":", ""] {
            assert_eq!(trim(odd, &["today"]), odd);
        }
    }
}
