//! Records as they travel: the `{"topic","key","headers","value"}` envelope that `rta process`
//! reads and writes as NDJSON (SPEC §7), and that the Kafka transport maps to and from records.

use serde_json::value::RawValue;

/// One record: a topic, an optional key, string headers and an optional value (None = tombstone).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub topic: String,
    pub key: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Raw value bytes; `None` is a tombstone (JSON `null` in NDJSON).
    pub value: Option<Vec<u8>>,
}

/// Why an NDJSON line is not a usable envelope.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("not a JSON object: {0}")]
    Json(String),
    #[error("the envelope has no \"topic\" string")]
    MissingTopic,
    #[error("\"headers\" must be an object of strings")]
    BadHeaders,
    #[error("\"key\" must be a string or null")]
    BadKey,
}

#[derive(serde::Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow)]
    topic: Option<&'a RawValue>,
    #[serde(borrow)]
    key: Option<&'a RawValue>,
    #[serde(borrow)]
    headers: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

impl Envelope {
    /// A record with a JSON value.
    pub fn json(topic: &str, key: impl Into<String>, value: &serde_json::Value) -> Envelope {
        Envelope {
            topic: topic.to_string(),
            key: Some(key.into()),
            headers: Vec::new(),
            value: Some(value.to_string().into_bytes()),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Envelope {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Where this envelope came from, for the engine (line `offset` of a file or feed).
    pub fn origin(&self, offset: i64) -> crate::engine::Origin<'_> {
        crate::engine::Origin {
            topic: &self.topic,
            partition: 0,
            offset,
            key: self.key.as_deref().map(str::as_bytes),
            payload: self.value.as_deref(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parse one NDJSON line. `value` may be any JSON value (its text is the payload), a JSON
    /// string (its content is the raw payload bytes) or null/absent (a tombstone).
    pub fn parse_line(line: &str) -> Result<Envelope, EnvelopeError> {
        // serde would read the struct from an array too (`["t",null]`): only an object is one
        if !line.trim_start().starts_with('{') {
            return Err(EnvelopeError::Json("the line is not `{…}`".into()));
        }
        let raw: RawEnvelope =
            serde_json::from_str(line).map_err(|e| EnvelopeError::Json(e.to_string()))?;
        let topic = match raw.topic {
            Some(t) => {
                serde_json::from_str::<String>(t.get()).map_err(|_| EnvelopeError::MissingTopic)?
            }
            None => return Err(EnvelopeError::MissingTopic),
        };
        let key = match raw.key {
            None => None,
            Some(k) => serde_json::from_str::<Option<String>>(k.get())
                .map_err(|_| EnvelopeError::BadKey)?,
        };
        let headers = match raw.headers {
            None => Vec::new(),
            Some(h) if h.get() == "null" => Vec::new(),
            Some(h) => {
                let map: std::collections::BTreeMap<String, String> =
                    serde_json::from_str(h.get()).map_err(|_| EnvelopeError::BadHeaders)?;
                map.into_iter().collect()
            }
        };
        let value = match raw.value {
            None => None,
            Some(v) => {
                let text = v.get();
                if text == "null" {
                    None
                } else if text.starts_with('"') {
                    let s: String = serde_json::from_str(text)
                        .map_err(|e| EnvelopeError::Json(e.to_string()))?;
                    Some(s.into_bytes())
                } else {
                    Some(text.as_bytes().to_vec())
                }
            }
        };
        Ok(Envelope {
            topic,
            key,
            headers,
            value,
        })
    }

    /// Write as one NDJSON line (no trailing newline). A value that is valid JSON is embedded as
    /// JSON; any other bytes are written as a JSON string.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"topic\":");
        crate::json::write_str(out, &self.topic);
        out.extend_from_slice(b",\"key\":");
        match &self.key {
            Some(k) => crate::json::write_str(out, k),
            None => out.extend_from_slice(b"null"),
        }
        if !self.headers.is_empty() {
            out.extend_from_slice(b",\"headers\":{");
            for (i, (k, v)) in self.headers.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                crate::json::write_str(out, k);
                out.push(b':');
                crate::json::write_str(out, v);
            }
            out.push(b'}');
        }
        out.extend_from_slice(b",\"value\":");
        match &self.value {
            None => out.extend_from_slice(b"null"),
            Some(v) => {
                let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(v).is_ok();
                if is_json {
                    out.extend_from_slice(v);
                } else {
                    crate::json::write_str(out, &String::from_utf8_lossy(v));
                }
            }
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_object_is_an_envelope() {
        // serde alone would read `["rta.agent-events", null]` positionally as topic and key
        let e = Envelope::parse_line(r#"["rta.agent-events",null]"#).unwrap_err();
        assert!(matches!(e, EnvelopeError::Json(_)), "{e}");
        let ok = Envelope::parse_line(r#" {"topic":"t","key":"k","value":{"a":1}}"#).unwrap();
        assert_eq!(ok.topic, "t");
        assert_eq!(ok.key.as_deref(), Some("k"));
    }
}
