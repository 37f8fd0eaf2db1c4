//! The hand walk of `serde_json::Value` that parsed config record values before the serde
//! derive (src/config/record.rs at 69a4c79), kept only to measure against
//! (`benches/config_parse.rs`). Same key parsing (`rta::config::parse_key`, unchanged code).
// the copy is kept as it was
#![allow(clippy::all)]

use rta::config::*;
use rta::time::{parse_date, parse_rfc3339, Millis};
use serde_json::{Map, Value};

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// Parse one `rta.config` record. `value == None` is a tombstone.
pub fn parse_config_record_hand_walk(
    key: Option<&str>,
    value: Option<&[u8]>,
) -> Result<ConfigChange, ConfigError> {
    let key =
        key.ok_or_else(|| invalid("config record has no key; expected {account}/{kind}/{id}"))?;
    let (account, ckey) = parse_key(key)?;
    let Some(bytes) = value else {
        return Ok(ConfigChange::Delete { account, key: ckey });
    };
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ConfigError::InvalidJson(format!("config value is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| invalid("config value must be a JSON object"))?;
    let kind = str_field(obj, "kind")?;
    let vaccount = str_field(obj, "account")?;
    if vaccount != account {
        return Err(invalid(format!(
            "key account {account:?} differs from value account {vaccount:?}"
        )));
    }
    let expected_kind = key.split('/').nth(1).unwrap_or("");
    if kind != expected_kind {
        return Err(invalid(format!(
            "key kind {expected_kind:?} differs from value kind {kind:?}"
        )));
    }
    let record = parse_value(&ckey, obj)?;
    Ok(ConfigChange::Upsert {
        account,
        key: ckey,
        record: std::sync::Arc::new(record),
    })
}

fn str_field(obj: &Map<String, Value>, name: &str) -> Result<String, ConfigError> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(invalid(format!(
            "field {name:?} must be a non-empty string"
        ))),
        None => Err(invalid(format!("field {name:?} is missing"))),
    }
}

fn opt_str(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ConfigError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => str_field(obj, name).map(Some),
    }
}

fn opt_bool(obj: &Map<String, Value>, name: &str) -> Result<bool, ConfigError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(format!("field {name:?} must be true or false"))),
    }
}

/// An optional lowercase-hex SHA-256 (64 characters).
fn opt_sha256(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ConfigError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(h))
            if h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(Some(h.clone()))
        }
        Some(_) => Err(invalid(format!(
            "field {name:?} must be a lowercase hex SHA-256 (64 characters)"
        ))),
    }
}

fn expect_eq(what: &str, in_key: &str, in_value: &str) -> Result<(), ConfigError> {
    if in_key != in_value {
        return Err(invalid(format!(
            "key {what} {in_key:?} differs from value {what} {in_value:?}"
        )));
    }
    Ok(())
}

fn seconds_ms(v: &Value, name: &str) -> Result<Millis, ConfigError> {
    match v.as_f64() {
        Some(s) if s >= 0.0 && s.is_finite() && s < 1e9 => Ok((s * 1000.0).round() as Millis),
        _ => Err(invalid(format!(
            "buffer {name:?} must be a non-negative number of seconds"
        ))),
    }
}

fn parse_value(key: &ConfigKey, obj: &Map<String, Value>) -> Result<ConfigRecord, ConfigError> {
    Ok(match key {
        ConfigKey::Settings => {
            let mut s = SettingsRec::default();
            if let Some(tz) = opt_str(obj, "timeZone")? {
                s.time_zone = tz;
            }
            match obj.get("intervalMinutes") {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_u64() {
                    Some(m @ (15 | 30 | 60)) => s.interval_minutes = m as u32,
                    _ => return Err(invalid("intervalMinutes must be 15, 30 or 60")),
                },
            }
            rta::time::Grid::new(&s.time_zone, s.interval_minutes).map_err(invalid)?;
            match obj.get("buffers") {
                None | Some(Value::Null) => {}
                Some(Value::Object(b)) => {
                    for (i, name) in ["notPresent", "wrongActivity", "notScheduled"]
                        .iter()
                        .enumerate()
                    {
                        if let Some(v) = b.get(*name) {
                            s.buffers[i] = seconds_ms(v, name)?;
                        }
                    }
                }
                Some(_) => return Err(invalid("buffers must be an object of seconds")),
            }
            match obj.get("targetPercent") {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_f64() {
                    Some(p) if (0.0..=100.0).contains(&p) => s.target_percent = p,
                    _ => return Err(invalid("targetPercent must be a number from 0 to 100")),
                },
            }
            ConfigRecord::Settings(s)
        }
        ConfigKey::Integration(id) => {
            let vid = str_field(obj, "id")?;
            expect_eq("integration id", id, &vid)?;
            let vendor = match str_field(obj, "vendor")?.as_str() {
                "odigo" => Vendor::Odigo,
                "injixo-api" => Vendor::InjixoApi,
                other => {
                    return Err(invalid(format!(
                        "vendor {other:?} is not supported (odigo, injixo-api)"
                    )))
                }
            };
            let fields = match obj.get("fields") {
                None | Some(Value::Null) => None,
                Some(Value::Object(f)) => {
                    let mut out = OdigoFields::default();
                    for (name, slot) in [
                        ("login", &mut out.login),
                        ("state", &mut out.state),
                        ("pauseCode", &mut out.pause_code),
                        ("timestamp", &mut out.timestamp),
                        ("eventId", &mut out.event_id),
                    ] {
                        match f.get(name) {
                            None | Some(Value::Null) => {}
                            Some(Value::String(p)) if p.is_empty() || p.starts_with('/') => {
                                *slot = p.clone()
                            }
                            Some(_) => {
                                return Err(invalid(format!(
                                    "fields.{name} must be a JSON pointer such as \"/agent/login\""
                                )))
                            }
                        }
                    }
                    if let Some(unknown) = f.keys().find(|k| {
                        !["login", "state", "pauseCode", "timestamp", "eventId"]
                            .contains(&k.as_str())
                    }) {
                        return Err(invalid(format!(
                            "fields.{unknown} is not a known odigo field"
                        )));
                    }
                    Some(out)
                }
                Some(_) => return Err(invalid("fields must be an object of JSON pointers")),
            };
            ConfigRecord::Integration(IntegrationRec {
                id: vid,
                vendor,
                name: opt_str(obj, "name")?.unwrap_or_default(),
                paused: opt_bool(obj, "paused")?,
                detailed_breaks: opt_bool(obj, "detailedBreaks")?,
                fields,
                secrets: {
                    let h = SecretHashes {
                        token_sha256: opt_sha256(obj, "tokenSha256")?,
                        api_key_sha256: opt_sha256(obj, "apiKeySha256")?,
                    };
                    (h != SecretHashes::default()).then(|| Box::new(h))
                },
            })
        }
        ConfigKey::Activity(id) => {
            let vid = str_field(obj, "id")?;
            expect_eq("activity id", id, &vid)?;
            let t = str_field(obj, "type")?;
            let activity_type = rta::config::ActivityType::parse(&t).ok_or_else(|| {
                invalid(format!("activity type {t:?} is not one of presence, break, meeting, illness, vacation, absence"))
            })?;
            ConfigRecord::Activity(ActivityRec {
                id: vid,
                name: opt_str(obj, "name")?.unwrap_or_default(),
                activity_type,
            })
        }
        ConfigKey::Identifier {
            integration,
            external_id,
        } => {
            let vi = str_field(obj, "integration")?;
            expect_eq("integration", integration, &vi)?;
            let ve = match obj.get("externalId") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => return Err(invalid("field \"externalId\" must be a non-empty string")),
            };
            expect_eq("externalId", external_id, &ve)?;
            ConfigRecord::Identifier(IdentifierRec {
                integration: vi,
                external_id: ve,
                person: str_field(obj, "person")?,
            })
        }
        ConfigKey::Status {
            integration,
            external_status,
        } => {
            let vi = str_field(obj, "integration")?;
            expect_eq("integration", integration, &vi)?;
            let vs = match obj.get("externalStatus") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => {
                    return Err(invalid(
                        "field \"externalStatus\" must be a non-empty string",
                    ))
                }
            };
            expect_eq("externalStatus", external_status, &vs)?;
            ConfigRecord::Status(StatusRec {
                integration: vi,
                external_status: vs,
                activity: str_field(obj, "activity")?,
            })
        }
        ConfigKey::Match(id) => {
            let scheduled = str_field(obj, "scheduled")?;
            let mut actual = Vec::new();
            let mut offline = false;
            match obj.get("actual") {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for item in items {
                        let s =
                            match item {
                                Value::String(s) => s.clone(),
                                Value::Number(n) => n.to_string(),
                                _ => return Err(invalid(
                                    "match actual must be a list of activity ids or \"offline\"",
                                )),
                            };
                        if s == "offline" {
                            offline = true;
                        } else {
                            actual.push(s);
                        }
                    }
                }
                Some(_) => return Err(invalid("match actual must be a list")),
            }
            let mut types = Vec::new();
            match obj.get("types") {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for item in items {
                        let t = item.as_str().and_then(rta::config::ActivityType::parse).ok_or_else(|| {
                            invalid(format!("match type {item} is not one of presence, break, meeting, illness, vacation, absence"))
                        })?;
                        types.push(t);
                    }
                }
                Some(_) => return Err(invalid("match types must be a list")),
            }
            ConfigRecord::Match(MatchRec {
                id: id.clone(),
                scheduled,
                actual,
                offline,
                types,
            })
        }
        ConfigKey::Schedule { person, date } => {
            let vp = str_field(obj, "person")?;
            expect_eq("person", person, &vp)?;
            let vd = str_field(obj, "date")?;
            if parse_date(&vd) != Some(*date) {
                return Err(invalid(format!("key date differs from value date {vd:?}")));
            }
            let segs = match obj.get("segments") {
                Some(Value::Array(a)) => a,
                None | Some(Value::Null) => return Err(invalid("field \"segments\" is missing")),
                Some(_) => return Err(invalid("segments must be a list")),
            };
            let mut segments = Vec::with_capacity(segs.len());
            for (i, s) in segs.iter().enumerate() {
                let o = s
                    .as_object()
                    .ok_or_else(|| invalid(format!("segment {i} must be an object")))?;
                let activity =
                    str_field(o, "activity").map_err(|e| invalid(format!("segment {i}: {e}")))?;
                let time = |name: &str| -> Result<Millis, ConfigError> {
                    o.get(name)
                        .and_then(Value::as_str)
                        .and_then(parse_rfc3339)
                        .ok_or_else(|| {
                            invalid(format!("segment {i}: {name} must be an RFC 3339 time"))
                        })
                };
                let (start, end) = (time("start")?, time("end")?);
                if end <= start {
                    return Err(invalid(format!("segment {i}: end is not after start")));
                }
                segments.push(SegmentRec {
                    activity,
                    start,
                    end,
                });
            }
            segments.sort_by_key(|s| s.start);
            if segments.windows(2).any(|w| w[1].start < w[0].end) {
                return Err(invalid("segments overlap"));
            }
            ConfigRecord::Schedule(ScheduleRec {
                person: vp,
                date: *date,
                segments,
            })
        }
        ConfigKey::Person(id) => {
            let vid = str_field(obj, "id")?;
            expect_eq("person id", id, &vid)?;
            ConfigRecord::Person(PersonRec {
                id: vid,
                name: opt_str(obj, "name")?.unwrap_or_default(),
                team: opt_str(obj, "team")?,
            })
        }
    })
}
