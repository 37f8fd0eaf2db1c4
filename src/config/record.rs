//! One `rta.config` record: key + JSON value → a validated [`ConfigChange`], parsed once.
//!
//! The key is [`super::key`]'s; the value is deserialized straight from its bytes into the
//! kind's serde struct ([`super::wire`]) and checked by its `validate` ([`super::validate`]).
//! Bytes that are not JSON at all are `invalid_json`; everything else wrong is
//! `invalid_config`, with one line naming the field.

use super::key::{parse_key, ConfigKey, ConfigKind};
use super::wire::*;
use crate::reason::Reason;
use crate::time::Millis;
use serde::Deserialize;
use std::sync::Arc;

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

/// What one record asks for. The record is shared: the config table keeps the very value the
/// engine applied.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigChange {
    Upsert {
        account: String,
        key: ConfigKey,
        record: Arc<ConfigRecord>,
    },
    Delete {
        account: String,
        key: ConfigKey,
    },
}

impl ConfigChange {
    pub fn account(&self) -> &str {
        match self {
            ConfigChange::Upsert { account, .. } | ConfigChange::Delete { account, .. } => account,
        }
    }

    pub fn key(&self) -> &ConfigKey {
        match self {
            ConfigChange::Upsert { key, .. } | ConfigChange::Delete { key, .. } => key,
        }
    }

    /// The record of an upsert (`None`: a delete).
    pub fn record(&self) -> Option<&ConfigRecord> {
        match self {
            ConfigChange::Upsert { record, .. } => Some(record),
            ConfigChange::Delete { .. } => None,
        }
    }
}

/// Why a config record is rejected (dead letter reason `invalid_config`, or `invalid_json`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    Invalid(String),
    /// The value is over the record size limit (dead letter `too_large`); never parsed.
    #[error("{0}")]
    TooLarge(String),
}

impl ConfigError {
    pub fn reason(&self) -> Reason {
        match self {
            ConfigError::InvalidJson(_) => Reason::InvalidJson,
            ConfigError::Invalid(_) => Reason::InvalidConfig,
            ConfigError::TooLarge(_) => Reason::TooLarge,
        }
    }
}

#[cfg(test)]
thread_local! {
    static PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many config values this thread has parsed (tests only): every call of
/// [`parse_config_record`] with a value counts, so a test can show a path parses none.
#[cfg(test)]
pub fn parses() -> usize {
    PARSES.with(|p| p.get())
}

/// Parse one `rta.config` record. `value == None` is a tombstone.
pub fn parse_config_record(
    key: Option<&str>,
    value: Option<&[u8]>,
) -> Result<ConfigChange, ConfigError> {
    let key = key.ok_or_else(|| {
        ConfigError::Invalid("config record has no key; expected {account}/{kind}/{id}".into())
    })?;
    let (account, key) = parse_key(key)?;
    let Some(bytes) = value else {
        return Ok(ConfigChange::Delete { account, key });
    };
    #[cfg(test)]
    PARSES.with(|p| p.set(p.get() + 1));
    let record = parse_value(&account, &key, bytes)?;
    Ok(ConfigChange::Upsert {
        account,
        key,
        record: Arc::new(record),
    })
}

/// Deserialize the kind's wire struct from `bytes`, check `kind` and `account`, validate.
fn parse_value(account: &str, key: &ConfigKey, bytes: &[u8]) -> Result<ConfigRecord, ConfigError> {
    let kind = key.kind();
    macro_rules! kind {
        ($wire:ident) => {{
            let w: $wire = decode(bytes, account, kind)?;
            super::validate::check_head(w.kind, w.account, account, kind)?;
            // the head is moved out; the rest validates
            $wire {
                kind: None,
                account: None,
                ..w
            }
            .validate(key)
        }};
    }
    match kind {
        ConfigKind::Settings => kind!(SettingsWire),
        ConfigKind::Integration => kind!(IntegrationWire),
        ConfigKind::Activity => kind!(ActivityWire),
        ConfigKind::Identifier => kind!(IdentifierWire),
        ConfigKind::Status => kind!(StatusWire),
        ConfigKind::Match => kind!(MatchWire),
        ConfigKind::Schedule => kind!(ScheduleWire),
        ConfigKind::Person => kind!(PersonWire),
    }
}

/// The value as the kind's wire struct, or why not.
fn decode<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    account: &str,
    kind: ConfigKind,
) -> Result<T, ConfigError> {
    match serde_json::from_slice::<Obj<T>>(bytes) {
        Ok(Obj(v)) => Ok(v),
        Err(e) => Err(explain::<T>(bytes, &e, account, kind)),
    }
}

/// Why `bytes` did not deserialize (the error path only, so it may read them again): not JSON
/// at all, not an object, a wrong `kind` or `account` (checked first, as before), else serde's
/// message with the path of the field it is about.
#[cold]
fn explain<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    e: &serde_json::Error,
    account: &str,
    kind: ConfigKind,
) -> ConfigError {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return ConfigError::InvalidJson(format!("config value is not JSON: {e}"));
    }
    let head = match serde_json::from_slice::<Obj<Head>>(bytes) {
        Ok(Obj(h)) => h,
        Err(_) if bytes.trim_ascii_start().first() != Some(&b'{') => {
            return ConfigError::Invalid("config value must be a JSON object".into())
        }
        Err(e) => return ConfigError::Invalid(with_path::<Head>(bytes, &e)),
    };
    if let Err(e) = super::validate::check_head(head.kind, head.account, account, kind) {
        return e;
    }
    ConfigError::Invalid(with_path::<T>(bytes, e))
}

/// serde's message about `bytes` as a `T`, after the path of the field it is about.
fn with_path<'a, T: Deserialize<'a>>(bytes: &'a [u8], e: &serde_json::Error) -> String {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, Obj<T>>(&mut de) {
        Err(pe) => field_message(pe.inner(), &pe.path().to_string()),
        Ok(_) => field_message(e, ""),
    }
}

/// serde's message without its position, after the field's path (`segments[0].start`).
fn field_message(e: &serde_json::Error, path: &str) -> String {
    let text = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    let msg = text.strip_suffix(&at).unwrap_or(&text);
    match path {
        "" | "." | "?" => msg.to_string(),
        _ => format!("field {path}: {msg}"),
    }
}
