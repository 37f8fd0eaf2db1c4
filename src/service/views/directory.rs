//! What the page needs from an account's config records: person names and teams, activity
//! names and types, the settings (time zone, interval length, target) and schedules (the
//! "schedule" bar of a person's day). Fed with parsed, valid records; schedules are kept
//! compactly, at most [`MAX_DATES`] dates per person, and pruned with the config table.

use crate::config::{ActivityType, ConfigChange, ConfigKey, ConfigRecord, SettingsRec};
use crate::time::{Grid, Millis};
use ahash::AHashMap;
use serde_json::{json, Map, Value};
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
    pub fn apply(&mut self, change: &ConfigChange) -> bool {
        match change {
            ConfigChange::Upsert { record, .. } => match record {
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
            ConfigChange::Delete { key, .. } => match key {
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

    /// Names, teams, activities and settings as the page reads them.
    pub fn to_json(&self, account: &str) -> Value {
        let s = self.settings();
        let mut persons = Map::new();
        let mut teams = BTreeSet::new();
        for (id, p) in &self.persons {
            persons.insert(
                id.to_string(),
                json!({"name": &*p.name, "team": p.team.as_deref()}),
            );
            if let Some(t) = &p.team {
                teams.insert(&**t);
            }
        }
        let mut activities = Map::new();
        activities.insert("1".into(), json!({"name": "Present", "type": "presence"}));
        for (id, a) in &self.activities {
            activities.insert(
                id.to_string(),
                json!({"name": &*a.name, "type": a.kind.as_str()}),
            );
        }
        json!({
            "account": account,
            "timeZone": s.time_zone,
            "intervalMinutes": s.interval_minutes,
            "targetPercent": s.target_percent,
            "persons": persons,
            "activities": activities,
            "teams": teams,
        })
    }
}
