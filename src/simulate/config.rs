//! The config records of a simulated account (SPEC §3): settings, activities, integrations,
//! status and identifier mappings, a match rule, persons and schedules.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::clock::format_local;
use super::roster::{Channel, Person};
use super::schedule::PersonDay;
use super::SimOptions;
use crate::config::ConfigKind;
use crate::envelope::Envelope;

/// The config topic (SPEC §2 default).
pub use crate::wire::CONFIG_TOPIC;

/// Activity ids used by the simulated account (`1` exists implicitly).
pub const PRESENT: &str = "1";
pub const LUNCH: &str = "7";
pub const BREAK: &str = "8";
pub const MEETING: &str = "9";
pub const TRAINING: &str = "10";
pub const SICK: &str = "11";
pub const VACATION: &str = "12";
pub const BACK_OFFICE: &str = "13";

/// `(id, name, type)` of the activity records.
const ACTIVITIES: &[(&str, &str, &str)] = &[
    (LUNCH, "Lunch", "break"),
    (BREAK, "Break", "break"),
    (MEETING, "Meeting", "meeting"),
    (TRAINING, "Training", "meeting"),
    (SICK, "Sick", "illness"),
    (VACATION, "Vacation", "vacation"),
    (BACK_OFFICE, "Back office", "presence"),
];

/// Odigo external statuses → activity. `PAUSE:PERSONAL` is left unmapped on purpose.
const ODIGO_STATUSES: &[(&str, &str)] = &[
    ("READY", PRESENT),
    ("BUSY", PRESENT),
    ("WRAPUP", PRESENT),
    ("LOGIN", PRESENT),
    ("PAUSE:LUNCH", LUNCH),
    ("PAUSE:BREAK", BREAK),
    ("PAUSE:MEETING", MEETING),
    ("PAUSE:TRAINING", TRAINING),
    ("PAUSE:BACKOFFICE", BACK_OFFICE),
];

/// injixo-api activity identifiers → activity.
const INJIXO_STATUSES: &[(&str, &str)] = &[
    ("Calls", PRESENT),
    ("Lunch", LUNCH),
    ("Break", BREAK),
    ("Meeting", MEETING),
    ("Back office", BACK_OFFICE),
];

/// The name the injixo-api integration reports in `meta.externalSystem`.
pub const INJIXO_SYSTEM: &str = "Sim ACD";

/// One config record keyed `{account}/{kind}/{id parts joined by /}`; `kind` and `account` are
/// added to `fields`.
fn record(account: &str, kind: ConfigKind, id_parts: &[&str], mut fields: Value) -> Envelope {
    let key = kind.render(account, id_parts);
    if let Value::Object(map) = &mut fields {
        map.insert("kind".into(), Value::from(kind.as_str()));
        map.insert("account".into(), Value::from(account));
    }
    Envelope::json(CONFIG_TOPIC, key, &fields)
}

/// All config records of the day, in dependency order: settings, activities, integrations,
/// status mappings, match rule, persons, identifiers, schedules (persons with a schedule only).
pub fn records(opts: &SimOptions, tz: Tz, persons: &[Person], days: &[PersonDay]) -> Vec<Envelope> {
    let a = opts.account.as_str();
    let mut out = Vec::with_capacity(32 + persons.len() * 3);
    out.push(record(
        a,
        ConfigKind::Settings,
        &[],
        json!({
            "timeZone": tz.name(),
            "intervalMinutes": 15,
            "buffers": {"notPresent": 120, "wrongActivity": 120, "notScheduled": 300},
            "targetPercent": 90,
        }),
    ));
    for (id, name, kind) in ACTIVITIES {
        out.push(record(
            a,
            ConfigKind::Activity,
            &[id],
            json!({"id": id, "name": name, "type": kind}),
        ));
    }
    let odigo = opts.odigo_integration.as_str();
    out.push(record(
        a,
        ConfigKind::Integration,
        &[odigo],
        json!({"id": odigo, "vendor": "odigo", "name": "Odigo", "paused": false, "detailedBreaks": true}),
    ));
    if let Some(injixo) = opts.injixo_integration.as_deref() {
        out.push(record(
            a,
            ConfigKind::Integration,
            &[injixo],
            json!({"id": injixo, "vendor": "injixo-api", "name": INJIXO_SYSTEM, "paused": false}),
        ));
    }
    let status = |integration: &str, external: &str, activity: &str| {
        record(
            a,
            ConfigKind::Status,
            &[integration, external],
            json!({"integration": integration, "externalStatus": external, "activity": activity}),
        )
    };
    out.extend(
        ODIGO_STATUSES
            .iter()
            .map(|(ext, act)| status(odigo, ext, act)),
    );
    if let Some(injixo) = opts.injixo_integration.as_deref() {
        out.extend(
            INJIXO_STATUSES
                .iter()
                .map(|(ext, act)| status(injixo, ext, act)),
        );
    }
    out.push(record(
        a,
        ConfigKind::Match,
        &[MEETING],
        json!({"scheduled": MEETING, "actual": [MEETING, TRAINING, "offline"], "types": []}),
    ));
    for p in persons {
        out.push(record(
            a,
            ConfigKind::Person,
            &[&p.id],
            json!({"id": p.id, "name": p.name, "team": p.team}),
        ));
    }
    for p in persons {
        let integration = match (p.channel, opts.injixo_integration.as_deref()) {
            (Channel::Injixo, Some(injixo)) => injixo,
            _ => odigo,
        };
        out.push(record(
            a,
            ConfigKind::Identifier,
            &[integration, &p.login],
            json!({"integration": integration, "externalId": p.login, "person": p.id}),
        ));
    }
    for (p, day) in persons.iter().zip(days) {
        if !day.segments.is_empty() {
            out.push(schedule_record(a, tz, opts.date, &p.id, day));
        }
    }
    out
}

/// The schedule record of one person and local date, segments with the local offset.
fn schedule_record(
    account: &str,
    tz: Tz,
    date: NaiveDate,
    person: &str,
    day: &PersonDay,
) -> Envelope {
    let date = date.format("%Y-%m-%d").to_string();
    let segments: Vec<Value> = day
        .segments
        .iter()
        .map(|s| json!({"activity": s.activity, "start": format_local(tz, s.start), "end": format_local(tz, s.end)}))
        .collect();
    record(
        account,
        ConfigKind::Schedule,
        &[person, &date],
        json!({"person": person, "date": date, "segments": segments}),
    )
}
