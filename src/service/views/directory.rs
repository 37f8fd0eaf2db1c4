//! What the page needs from an account's config records: person names and teams, activity
//! names and types, the settings (time zone, interval length, target) and schedules (the
//! "schedule" bar of a person's day). Fed with parsed, valid records; schedules are kept
//! compactly, at most [`MAX_DATES`] dates per person, and pruned with the config table.

use crate::config::{ActivityType, ConfigKey, ConfigRecord, SettingsRec};
use crate::time::{Grid, Millis};
use ahash::AHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Schedule dates kept per person (the latest dates beyond it are not kept).
pub const MAX_DATES: usize = 120;

pub struct PersonInfo {
    pub name: Box<str>,
    pub team: Option<Box<str>>,
}

pub struct ActivityInfo {
    pub name: Box<str>,
    pub kind: ActivityType,
}

/// A schedule segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Seg {
    pub start: Millis,
    pub end: Millis,
    pub activity: Box<str>,
}

#[derive(Default)]
pub struct Directory {
    settings: Option<SettingsRec>,
    pub persons: AHashMap<Box<str>, PersonInfo>,
    pub activities: AHashMap<Box<str>, ActivityInfo>,
    schedules: AHashMap<Box<str>, BTreeMap<i32, Box<[Seg]>>>,
}

impl Directory {
    /// Apply a valid record. True when names, teams, activities or settings changed (what a
    /// page reloads), false for schedules and kinds the page does not show.
    pub fn apply(&mut self, key: &ConfigKey, record: Option<&ConfigRecord>) -> bool {
        match record {
            Some(record) => match record {
                ConfigRecord::Settings(s) => {
                    self.settings = Some(s.clone());
                    true
                }
                ConfigRecord::Person(p) => {
                    let info = PersonInfo {
                        name: p.name.as_str().into(),
                        team: p.team.as_deref().map(Into::into),
                    };
                    self.persons.insert(p.id.as_str().into(), info);
                    true
                }
                ConfigRecord::Activity(a) => {
                    let info = ActivityInfo {
                        name: a.name.as_str().into(),
                        kind: a.activity_type,
                    };
                    self.activities.insert(a.id.as_str().into(), info);
                    true
                }
                ConfigRecord::Schedule(s) => {
                    let segs: Box<[Seg]> = s
                        .segments
                        .iter()
                        .map(|g| Seg {
                            start: g.start,
                            end: g.end,
                            activity: g.activity.as_str().into(),
                        })
                        .collect();
                    let dates = self.schedules.entry(s.person.as_str().into()).or_default();
                    dates.insert(s.date, segs);
                    while dates.len() > MAX_DATES {
                        dates.pop_last();
                    }
                    false
                }
                _ => false,
            },
            None => match key {
                ConfigKey::Settings => self.settings.take().is_some(),
                ConfigKey::Person(id) => self.persons.remove(id.as_str()).is_some(),
                ConfigKey::Activity(id) => self.activities.remove(id.as_str()).is_some(),
                ConfigKey::Schedule { person, date } => {
                    if let Some(dates) = self.schedules.get_mut(person.as_str()) {
                        dates.remove(date);
                        if dates.is_empty() {
                            self.schedules.remove(person.as_str());
                        }
                    }
                    false
                }
                _ => false,
            },
        }
    }

    /// Drop schedules of dates before `day`.
    pub fn prune_schedules(&mut self, day: i32) {
        self.schedules.retain(|_, dates| {
            *dates = dates.split_off(&day);
            !dates.is_empty()
        });
    }

    pub fn settings(&self) -> SettingsRec {
        self.settings.clone().unwrap_or_default()
    }

    /// The account's local calendar (time zone and interval length).
    pub fn grid(&self) -> Grid {
        let s = self.settings();
        Grid::new(&s.time_zone, s.interval_minutes).unwrap_or_else(|_| Grid::utc(15))
    }

    pub fn team(&self, person: &str) -> Option<&str> {
        self.persons.get(person)?.team.as_deref()
    }

    /// An activity's name; activity `1` is "Present" without a record (SPEC §3).
    pub fn activity_name<'a>(&'a self, id: &'a str) -> Option<&'a str> {
        match self.activities.get(id) {
            Some(a) => Some(&*a.name),
            None if id == "1" => Some("Present"),
            None => None,
        }
    }

    pub fn activity_type(&self, id: &str) -> Option<&'static str> {
        match self.activities.get(id) {
            Some(a) => Some(a.kind.as_str()),
            None if id == "1" => Some("presence"),
            None => None,
        }
    }

    /// A person's segments of a local date.
    pub fn schedule(&self, person: &str, date: i32) -> &[Seg] {
        self.schedules
            .get(person)
            .and_then(|d| d.get(&date))
            .map_or(&[], |s| s)
    }

    /// Names, teams, activities and settings as the page reads them (JSON).
    pub fn to_json(&self, account: &str) -> Vec<u8> {
        let s = self.settings();
        let mut activities: BTreeMap<&str, NameOut> = self
            .activities
            .iter()
            .map(|(id, a)| {
                (
                    &**id,
                    NameOut {
                        name: &a.name,
                        team: None,
                        kind: Some(a.kind.as_str()),
                    },
                )
            })
            .collect();
        activities.entry("1").or_insert(NameOut {
            name: "Present",
            team: None,
            kind: Some("presence"),
        });
        let out = DirectoryOut {
            account,
            time_zone: &s.time_zone,
            interval_minutes: s.interval_minutes,
            target_percent: s.target_percent,
            persons: self
                .persons
                .iter()
                .map(|(id, p)| {
                    (
                        &**id,
                        NameOut {
                            name: &p.name,
                            team: Some(p.team.as_deref()),
                            kind: None,
                        },
                    )
                })
                .collect(),
            activities,
            teams: self
                .persons
                .values()
                .filter_map(|p| p.team.as_deref())
                .collect(),
        };
        serde_json::to_vec(&out).unwrap_or_default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryOut<'a> {
    account: &'a str,
    time_zone: &'a str,
    interval_minutes: u32,
    target_percent: f64,
    persons: BTreeMap<&'a str, NameOut<'a>>,
    activities: BTreeMap<&'a str, NameOut<'a>>,
    teams: BTreeSet<&'a str>,
}

/// A person (name, team) or an activity (name, type).
#[derive(Serialize)]
struct NameOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<Option<&'a str>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}
