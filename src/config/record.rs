//! One `rta.config` record: key + JSON value → a validated [`ConfigChange`].

use crate::reason::Reason;
use crate::time::{parse_date, parse_rfc3339, Millis};
use serde_json::{Map, Value};

/// The kinds of config record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigKind {
    Settings,
    Integration,
    Activity,
    Identifier,
    Status,
    Match,
    Schedule,
    Person,
}

impl ConfigKind {
    pub fn parse(s: &str) -> Option<ConfigKind> {
        Some(match s {
            "settings" => ConfigKind::Settings,
            "integration" => ConfigKind::Integration,
            "activity" => ConfigKind::Activity,
            "identifier" => ConfigKind::Identifier,
            "status" => ConfigKind::Status,
            "match" => ConfigKind::Match,
            "schedule" => ConfigKind::Schedule,
            "person" => ConfigKind::Person,
            _ => return None,
        })
    }
}

/// A parsed config key: `{account}/{kind}/{id parts}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigKey {
    Settings,
    Integration(String),
    Activity(String),
    Identifier {
        integration: String,
        external_id: String,
    },
    Status {
        integration: String,
        external_status: String,
    },
    Match(String),
    Schedule {
        person: String,
        date: i32,
    },
    Person(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SettingsRec {
    pub time_zone: String,
    pub interval_minutes: u32,
    /// Buffers in ms: notPresent, wrongActivity, notScheduled.
    pub buffers: [Millis; 3],
    pub target_percent: f64,
}

impl Default for SettingsRec {
    fn default() -> Self {
        SettingsRec {
            time_zone: "UTC".into(),
            interval_minutes: 15,
            buffers: [120_000, 120_000, 300_000],
            target_percent: 90.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    Odigo,
    InjixoApi,
}

/// JSON-pointer overrides of the Odigo field names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OdigoFields {
    pub login: String,
    pub state: String,
    pub pause_code: String,
    pub timestamp: String,
    pub event_id: String,
}

impl Default for OdigoFields {
    fn default() -> Self {
        OdigoFields {
            login: "/login".into(),
            state: "/state".into(),
            pause_code: "/pauseCode".into(),
            timestamp: "/timestamp".into(),
            event_id: "/eventId".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct IntegrationRec {
    pub id: String,
    pub vendor: Vendor,
    pub name: String,
    pub paused: bool,
    pub detailed_breaks: bool,
    /// `None` when the default field names apply.
    pub fields: Option<OdigoFields>,
    /// The hashes of its secrets (SPEC §9), if any.
    pub secrets: Option<Box<SecretHashes>>,
}

/// SHA-256 (lowercase hex) of an odigo URL token and of an injixo-api API key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretHashes {
    pub token_sha256: Option<String>,
    pub api_key_sha256: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActivityRec {
    pub id: String,
    pub name: String,
    pub activity_type: super::ActivityType,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IdentifierRec {
    pub integration: String,
    pub external_id: String,
    pub person: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatusRec {
    pub integration: String,
    pub external_status: String,
    pub activity: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchRec {
    pub id: String,
    pub scheduled: String,
    pub actual: Vec<String>,
    pub offline: bool,
    pub types: Vec<super::ActivityType>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRec {
    pub activity: String,
    pub start: Millis,
    pub end: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleRec {
    pub person: String,
    pub date: i32,
    pub segments: Vec<SegmentRec>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PersonRec {
    pub id: String,
    pub name: String,
    pub team: Option<String>,
}

/// A validated config record value.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigRecord {
    Settings(SettingsRec),
    Integration(IntegrationRec),
    Activity(ActivityRec),
    Identifier(IdentifierRec),
    Status(StatusRec),
    Match(MatchRec),
    Schedule(ScheduleRec),
    Person(PersonRec),
}

/// What one record asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigChange {
    Upsert {
        account: String,
        key: ConfigKey,
        record: ConfigRecord,
    },
    Delete {
        account: String,
        key: ConfigKey,
    },
}

/// Why a config record is rejected (dead letter reason `invalid_config`, or `invalid_json`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    Invalid(String),
}

impl ConfigError {
    pub fn reason(&self) -> Reason {
        match self {
            ConfigError::InvalidJson(_) => Reason::InvalidJson,
            ConfigError::Invalid(_) => Reason::InvalidConfig,
        }
    }
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// Split and validate a config key.
pub fn parse_key(key: &str) -> Result<(String, ConfigKey), ConfigError> {
    let mut parts = key.splitn(3, '/');
    let account = parts.next().unwrap_or("");
    let kind = parts.next().unwrap_or("");
    let rest = parts.next();
    if account.is_empty() {
        return Err(invalid(format!(
            "config key {key:?} has no account; expected {{account}}/{{kind}}/{{id}}"
        )));
    }
    let kind = ConfigKind::parse(kind)
        .ok_or_else(|| invalid(format!("config key {key:?} names an unknown kind {kind:?}")))?;
    let need = |r: Option<&str>| -> Result<String, ConfigError> {
        match r {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(invalid(format!(
                "config key {key:?} is missing its id part"
            ))),
        }
    };
    let two = |r: Option<&str>, what: &str| -> Result<(String, String), ConfigError> {
        let s = need(r)?;
        match s.split_once('/') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_string(), b.to_string())),
            _ => Err(invalid(format!("config key {key:?} must end in {what}"))),
        }
    };
    let parsed = match kind {
        ConfigKind::Settings => {
            if rest.is_some_and(|r| !r.is_empty()) {
                return Err(invalid(format!("config key {key:?}: settings take no id")));
            }
            ConfigKey::Settings
        }
        ConfigKind::Integration => ConfigKey::Integration(need(rest)?),
        ConfigKind::Activity => ConfigKey::Activity(need(rest)?),
        ConfigKind::Match => ConfigKey::Match(need(rest)?),
        ConfigKind::Person => ConfigKey::Person(need(rest)?),
        ConfigKind::Identifier => {
            let (integration, external_id) = two(rest, "/{integration}/{externalId}")?;
            ConfigKey::Identifier {
                integration,
                external_id,
            }
        }
        ConfigKind::Status => {
            let (integration, external_status) = two(rest, "/{integration}/{externalStatus}")?;
            ConfigKey::Status {
                integration,
                external_status,
            }
        }
        ConfigKind::Schedule => {
            let s = need(rest)?;
            let (person, date) = s.rsplit_once('/').ok_or_else(|| {
                invalid(format!(
                    "config key {key:?} must end in /{{person}}/{{date}}"
                ))
            })?;
            let date = parse_date(date).ok_or_else(|| {
                invalid(format!(
                    "config key {key:?}: {date:?} is not a YYYY-MM-DD date"
                ))
            })?;
            if person.is_empty() {
                return Err(invalid(format!("config key {key:?} has no person")));
            }
            ConfigKey::Schedule {
                person: person.to_string(),
                date,
            }
        }
    };
    Ok((account.to_string(), parsed))
}

/// Parse one `rta.config` record. `value == None` is a tombstone.
pub fn parse_config_record(
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
        record,
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
            crate::time::Grid::new(&s.time_zone, s.interval_minutes).map_err(invalid)?;
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
            let activity_type = super::ActivityType::parse(&t).ok_or_else(|| {
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
                        let t = item.as_str().and_then(super::ActivityType::parse).ok_or_else(|| {
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

/// Check a parsed change against the input limits (`invalid_config` when it breaks one):
/// schedule segments inside the accepted time range and their date ± one day, at most
/// `max_segments` per schedule; identifiers and statuses at most `max_field_bytes`.
pub fn check_limits(
    change: &ConfigChange,
    limits: &crate::engine::Limits,
) -> Result<(), ConfigError> {
    let ConfigChange::Upsert { record, .. } = change else {
        return Ok(());
    };
    let long = |what: &str, v: &str| -> Result<(), ConfigError> {
        match v.len() > limits.max_field_bytes {
            true => Err(invalid(format!(
                "{what} is longer than {} bytes",
                limits.max_field_bytes
            ))),
            false => Ok(()),
        }
    };
    match record {
        ConfigRecord::Schedule(s) => crate::engine::limits::check_schedule(
            limits,
            s.date,
            s.segments.iter().map(|x| (x.start, x.end)),
        )
        .map_err(|e| {
            invalid(format!(
                "schedule {}: {e}",
                crate::time::format_date(s.date)
            ))
        }),
        ConfigRecord::Identifier(r) => long("externalId", &r.external_id),
        ConfigRecord::Status(r) => long("externalStatus", &r.external_status),
        _ => Ok(()),
    }
}
