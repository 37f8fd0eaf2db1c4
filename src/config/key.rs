//! The key of an `rta.config` record, `{account}/{kind}/{id parts joined by /}` (SPEC §3): the
//! one place that parses and renders it, and the replay order of the kinds.
//!
//! Id parts are written verbatim (as `rta admin import` always has): the last part of a key
//! may itself contain `/` (an identifier's external id, a schedule's person), the parts
//! before it may not.

use super::record::ConfigError;
use crate::time::{format_date, parse_date};

/// The kinds of config record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// The name in keys and in the value's `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigKind::Settings => "settings",
            ConfigKind::Integration => "integration",
            ConfigKind::Activity => "activity",
            ConfigKind::Identifier => "identifier",
            ConfigKind::Status => "status",
            ConfigKind::Match => "match",
            ConfigKind::Schedule => "schedule",
            ConfigKind::Person => "person",
        }
    }

    /// Replay order (when an account is rebuilt from the config table): what a record refers
    /// to comes before it.
    pub fn replay_rank(self) -> u8 {
        match self {
            ConfigKind::Settings => 0,
            ConfigKind::Activity => 1,
            ConfigKind::Integration => 2,
            ConfigKind::Person => 3,
            ConfigKind::Identifier => 4,
            ConfigKind::Status => 5,
            ConfigKind::Match => 6,
            ConfigKind::Schedule => 7,
        }
    }

    /// The key `{account}/{kind}/{parts joined by /}` of a record of this kind.
    pub fn render(self, account: &str, parts: &[&str]) -> String {
        let len = parts.iter().map(|p| p.len() + 1).sum::<usize>();
        let mut key = String::with_capacity(account.len() + 12 + len);
        key.push_str(account);
        key.push('/');
        key.push_str(self.as_str());
        for p in parts {
            key.push('/');
            key.push_str(p);
        }
        key
    }
}

/// A parsed config key (the account apart): `{account}/{kind}/{id parts}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

impl ConfigKey {
    pub fn kind(&self) -> ConfigKind {
        match self {
            ConfigKey::Settings => ConfigKind::Settings,
            ConfigKey::Integration(_) => ConfigKind::Integration,
            ConfigKey::Activity(_) => ConfigKind::Activity,
            ConfigKey::Identifier { .. } => ConfigKind::Identifier,
            ConfigKey::Status { .. } => ConfigKind::Status,
            ConfigKey::Match(_) => ConfigKind::Match,
            ConfigKey::Schedule { .. } => ConfigKind::Schedule,
            ConfigKey::Person(_) => ConfigKind::Person,
        }
    }

    /// The key string of this key in `account` ([`parse_key`] reads it back).
    pub fn render(&self, account: &str) -> String {
        let kind = self.kind();
        match self {
            ConfigKey::Settings => kind.render(account, &[]),
            ConfigKey::Integration(id)
            | ConfigKey::Activity(id)
            | ConfigKey::Match(id)
            | ConfigKey::Person(id) => kind.render(account, &[id]),
            ConfigKey::Identifier {
                integration: a,
                external_id: b,
            }
            | ConfigKey::Status {
                integration: a,
                external_status: b,
            } => kind.render(account, &[a, b]),
            ConfigKey::Schedule { person, date } => {
                kind.render(account, &[person, &format_date(*date)])
            }
        }
    }

    /// A schedule's local date (days since 1970-01-01).
    pub fn schedule_date(&self) -> Option<i32> {
        match self {
            ConfigKey::Schedule { date, .. } => Some(*date),
            _ => None,
        }
    }
}

/// The account of a key string (`{account}/…`), if it has one.
pub fn key_account(key: &str) -> Option<&str> {
    key.split_once('/')
        .map(|(a, _)| a)
        .filter(|a| !a.is_empty())
}

/// The kind a key string names (`{account}/{kind}/…`), without parsing the rest.
pub fn key_kind(key: &str) -> Option<ConfigKind> {
    key.split('/').nth(1).and_then(ConfigKind::parse)
}

fn invalid(msg: String) -> ConfigError {
    ConfigError::Invalid(msg)
}

/// Split and validate a config key: its account and typed key.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_render_back_to_what_was_parsed() {
        for k in [
            "acme/settings",
            "acme/integration/8431",
            "acme/activity/7",
            "acme/identifier/8431/bob.smith",
            "acme/identifier/8431/a/b",
            "acme/status/8431/PAUSE:LUNCH",
            "acme/match/5",
            "acme/schedule/p17/2026-11-23",
            "acme/schedule/p/17/2026-11-23",
            "acme/person/p17",
        ] {
            let (account, key) = parse_key(k).expect(k);
            assert_eq!(key.render(&account), k);
            assert_eq!(key.kind().as_str(), k.split('/').nth(1).unwrap_or(""));
        }
        assert_eq!(
            ConfigKind::Schedule.render("acme", &["p1", "2026-11-23"]),
            "acme/schedule/p1/2026-11-23"
        );
        assert_eq!(key_account("acme/settings"), Some("acme"));
        assert_eq!(key_account("/settings"), None);
        assert_eq!(key_kind("acme/schedule/p/x"), Some(ConfigKind::Schedule));
        assert_eq!(key_kind("acme"), None);
    }

    #[test]
    fn bad_keys_say_what_is_wrong() {
        for (k, says) in [
            ("/settings", "has no account"),
            ("acme/nope/1", "unknown kind"),
            ("acme/person", "missing its id part"),
            ("acme/settings/x", "settings take no id"),
            (
                "acme/identifier/8431",
                "must end in /{integration}/{externalId}",
            ),
            ("acme/schedule/p1", "must end in /{person}/{date}"),
            ("acme/schedule/p1/2026-13-01", "is not a YYYY-MM-DD date"),
            ("acme/schedule//2026-11-23", "has no person"),
        ] {
            let e = parse_key(k).expect_err(k);
            assert_eq!(e.reason(), crate::reason::Reason::InvalidConfig);
            assert!(e.to_string().contains(says), "{k}: {e}");
        }
    }
}
