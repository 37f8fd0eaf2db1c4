//! From a deserialized config value ([`super::wire`]) to a validated [`ConfigRecord`]: every
//! cross-check of SPEC §3 (ids and dates against the key, ranges, formats), one `validate` per
//! kind; and the input limits ([`check_limits`]). Each error is one line naming the field.

use super::key::{ConfigKey, ConfigKind};
use super::record::*;
use super::wire::*;
use super::ActivityType;
use crate::time::{parse_date, parse_rfc3339, Millis};

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// A required string (or number) field.
fn req<'a>(name: &str, v: Option<Text<'a>>) -> Result<std::borrow::Cow<'a, str>, ConfigError> {
    match v {
        None => Err(invalid(format!("field {name:?} is missing"))),
        Some(t) if t.0.is_empty() => Err(invalid(format!(
            "field {name:?} must be a non-empty string"
        ))),
        Some(t) => Ok(t.0),
    }
}

/// An optional string (or number) field: absent or null is `None`, empty is an error.
fn opt(name: &str, v: Option<Text>) -> Result<Option<String>, ConfigError> {
    v.map(|t| req(name, Some(t)).map(|s| s.into_owned()))
        .transpose()
}

/// `kind` and `account` of the value against the key's.
pub(super) fn check_head(
    kind: Option<Text>,
    account: Option<Text>,
    key_account: &str,
    key_kind: ConfigKind,
) -> Result<(), ConfigError> {
    let kind = req("kind", kind)?;
    let vaccount = req("account", account)?;
    if vaccount != key_account {
        return Err(invalid(format!(
            "key account {key_account:?} differs from value account {vaccount:?}"
        )));
    }
    if kind != key_kind.as_str() {
        return Err(invalid(format!(
            "key kind {:?} differs from value kind {kind:?}",
            key_kind.as_str()
        )));
    }
    Ok(())
}

fn expect_eq(what: &str, in_key: &str, in_value: &str) -> Result<(), ConfigError> {
    if in_key != in_value {
        return Err(invalid(format!(
            "key {what} {in_key:?} differs from value {what} {in_value:?}"
        )));
    }
    Ok(())
}

fn seconds_ms(s: f64, name: &str) -> Result<Millis, ConfigError> {
    match s >= 0.0 && s.is_finite() && s < 1e9 {
        true => Ok((s * 1000.0).round() as Millis),
        false => Err(invalid(format!(
            "buffer {name:?} must be a non-negative number of seconds"
        ))),
    }
}

/// An optional lowercase-hex SHA-256 (64 characters).
fn sha256(name: &str, v: Option<Str>) -> Result<Option<String>, ConfigError> {
    match v {
        None => Ok(None),
        Some(Str(h))
            if h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(Some(h.into_owned()))
        }
        Some(_) => Err(invalid(format!(
            "field {name:?} must be a lowercase hex SHA-256 (64 characters)"
        ))),
    }
}

fn activity_type(what: &str, t: &str) -> Result<ActivityType, ConfigError> {
    ActivityType::parse(t).ok_or_else(|| {
        invalid(format!(
            "{what} {t:?} is not one of presence, break, meeting, illness, vacation, absence"
        ))
    })
}

impl SettingsWire<'_> {
    pub fn validate(self, _key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let mut s = SettingsRec::default();
        if let Some(tz) = opt("timeZone", self.time_zone)? {
            s.time_zone = tz;
        }
        if let Some(m) = self.interval_minutes {
            match m {
                15 | 30 | 60 => s.interval_minutes = m as u32,
                _ => return Err(invalid("intervalMinutes must be 15, 30 or 60")),
            }
        }
        crate::time::Grid::new(&s.time_zone, s.interval_minutes)
            .map_err(|e| invalid(format!("timeZone: {e}")))?;
        if let Some(Obj(b)) = self.buffers {
            let given = [b.not_present, b.wrong_activity, b.not_scheduled];
            let names = ["notPresent", "wrongActivity", "notScheduled"];
            for (i, (v, name)) in given.into_iter().zip(names).enumerate() {
                if let Some(v) = v {
                    s.buffers[i] = seconds_ms(v, name)?;
                }
            }
        }
        if let Some(p) = self.target_percent {
            if !(0.0..=100.0).contains(&p) {
                return Err(invalid("targetPercent must be a number from 0 to 100"));
            }
            s.target_percent = p;
        }
        Ok(ConfigRecord::Settings(s))
    }
}

impl IntegrationWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let id = req("id", self.id)?;
        if let ConfigKey::Integration(kid) = key {
            expect_eq("integration id", kid, &id)?;
        }
        let vendor = match &*req("vendor", self.vendor)? {
            "odigo" => Vendor::Odigo,
            "injixo-api" => Vendor::InjixoApi,
            other => {
                return Err(invalid(format!(
                    "vendor {other:?} is not supported (odigo, injixo-api)"
                )))
            }
        };
        let fields = match self.fields {
            None => None,
            Some(Obj(f)) => {
                let mut out = OdigoFields::default();
                for (name, given, slot) in [
                    ("login", f.login, &mut out.login),
                    ("state", f.state, &mut out.state),
                    ("pauseCode", f.pause_code, &mut out.pause_code),
                    ("timestamp", f.timestamp, &mut out.timestamp),
                    ("eventId", f.event_id, &mut out.event_id),
                ] {
                    match given {
                        None => {}
                        Some(Str(p)) if p.is_empty() || p.starts_with('/') => {
                            *slot = p.into_owned()
                        }
                        Some(_) => {
                            return Err(invalid(format!(
                                "fields.{name} must be a JSON pointer such as \"/agent/login\""
                            )))
                        }
                    }
                }
                Some(out)
            }
        };
        let secrets = SecretHashes {
            token_sha256: sha256("tokenSha256", self.token_sha256)?,
            api_key_sha256: sha256("apiKeySha256", self.api_key_sha256)?,
        };
        Ok(ConfigRecord::Integration(IntegrationRec {
            id: id.into_owned(),
            vendor,
            name: opt("name", self.name)?.unwrap_or_default(),
            paused: self.paused.unwrap_or(false),
            detailed_breaks: self.detailed_breaks.unwrap_or(false),
            fields,
            secrets: (secrets != SecretHashes::default()).then(|| Box::new(secrets)),
        }))
    }
}

impl ActivityWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let id = req("id", self.id)?;
        if let ConfigKey::Activity(kid) = key {
            expect_eq("activity id", kid, &id)?;
        }
        let activity_type = activity_type("activity type", &req("type", self.activity_type)?)?;
        Ok(ConfigRecord::Activity(ActivityRec {
            id: id.into_owned(),
            name: opt("name", self.name)?.unwrap_or_default(),
            activity_type,
        }))
    }
}

/// A required string field that may not be a number (`externalId`, `externalStatus`).
fn req_str<'a>(name: &str, v: Option<Str<'a>>) -> Result<std::borrow::Cow<'a, str>, ConfigError> {
    match v {
        Some(Str(s)) if !s.is_empty() => Ok(s),
        _ => Err(invalid(format!(
            "field {name:?} must be a non-empty string"
        ))),
    }
}

impl IdentifierWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let integration = req("integration", self.integration)?;
        let external_id = req_str("externalId", self.external_id)?;
        if let ConfigKey::Identifier {
            integration: ki,
            external_id: ke,
        } = key
        {
            expect_eq("integration", ki, &integration)?;
            expect_eq("externalId", ke, &external_id)?;
        }
        Ok(ConfigRecord::Identifier(IdentifierRec {
            integration: integration.into_owned(),
            external_id: external_id.into_owned(),
            person: req("person", self.person)?.into_owned(),
        }))
    }
}

impl StatusWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let integration = req("integration", self.integration)?;
        let external_status = req_str("externalStatus", self.external_status)?;
        if let ConfigKey::Status {
            integration: ki,
            external_status: ks,
        } = key
        {
            expect_eq("integration", ki, &integration)?;
            expect_eq("externalStatus", ks, &external_status)?;
        }
        Ok(ConfigRecord::Status(StatusRec {
            integration: integration.into_owned(),
            external_status: external_status.into_owned(),
            activity: req("activity", self.activity)?.into_owned(),
        }))
    }
}

impl MatchWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let scheduled = req("scheduled", self.scheduled)?.into_owned();
        let (mut actual, mut offline) = (Vec::new(), false);
        for Text(a) in self.actual.unwrap_or_default() {
            match &*a {
                "offline" => offline = true,
                _ => actual.push(a.into_owned()),
            }
        }
        let types = self
            .types
            .unwrap_or_default()
            .iter()
            .map(|t| activity_type("match type", &t.0))
            .collect::<Result<Vec<_>, _>>()?;
        let id = match key {
            ConfigKey::Match(id) => id.clone(),
            _ => String::new(),
        };
        Ok(ConfigRecord::Match(MatchRec {
            id,
            scheduled,
            actual,
            offline,
            types,
        }))
    }
}

impl ScheduleWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let person = req("person", self.person)?;
        let vdate = req("date", self.date)?;
        let ConfigKey::Schedule {
            person: kperson,
            date,
        } = key
        else {
            return Err(invalid("a schedule record needs a schedule key"));
        };
        expect_eq("person", kperson, &person)?;
        if parse_date(&vdate) != Some(*date) {
            return Err(invalid(format!(
                "key date differs from value date {vdate:?}"
            )));
        }
        let given = self
            .segments
            .ok_or_else(|| invalid("field \"segments\" is missing"))?;
        let mut segments = Vec::with_capacity(given.len());
        for (i, Obj(s)) in given.into_iter().enumerate() {
            let activity =
                req("activity", s.activity).map_err(|e| invalid(format!("segment {i}: {e}")))?;
            let time = |name: &str, v: Option<Str>| -> Result<Millis, ConfigError> {
                v.and_then(|t| parse_rfc3339(&t.0))
                    .ok_or_else(|| invalid(format!("segment {i}: {name} must be an RFC 3339 time")))
            };
            let (start, end) = (time("start", s.start)?, time("end", s.end)?);
            if end <= start {
                return Err(invalid(format!("segment {i}: end is not after start")));
            }
            segments.push(SegmentRec {
                activity: activity.into_owned(),
                start,
                end,
            });
        }
        segments.sort_by_key(|s| s.start);
        if segments.windows(2).any(|w| w[1].start < w[0].end) {
            return Err(invalid("segments overlap"));
        }
        Ok(ConfigRecord::Schedule(ScheduleRec {
            person: person.into_owned(),
            date: *date,
            segments,
        }))
    }
}

impl PersonWire<'_> {
    pub fn validate(self, key: &ConfigKey) -> Result<ConfigRecord, ConfigError> {
        let id = req("id", self.id)?;
        if let ConfigKey::Person(kid) = key {
            expect_eq("person id", kid, &id)?;
        }
        Ok(ConfigRecord::Person(PersonRec {
            id: id.into_owned(),
            name: opt("name", self.name)?.unwrap_or_default(),
            team: opt("team", self.team)?,
        }))
    }
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
    match &**record {
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
