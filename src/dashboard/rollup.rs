//! What `rta dashboard` derives from records alone (it has no engine): an account's summary
//! from its persons' agent-state records, and today's queue view from the latest
//! `rta.queue-intervals` records — the same shapes the processing core serves.

use crate::service::AccountSummary;
use crate::time::{format_rfc3339, Grid, Millis};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateRec {
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    actual: Option<Actual>,
    #[serde(default)]
    scheduled: Option<Scheduled>,
    #[serde(default)]
    adherence: Option<String>,
    #[serde(default)]
    ooo_type: Option<String>,
    #[serde(default)]
    in_buffer: bool,
    #[serde(default)]
    today: Option<Today>,
}

#[derive(Deserialize)]
struct Actual {
    #[serde(default)]
    online: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Scheduled {
    #[serde(default)]
    activity_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Today {
    #[serde(default)]
    scheduled_seconds: f64,
    #[serde(default)]
    in_adherence_seconds: f64,
}

fn label(s: &str) -> Option<&'static str> {
    Some(match s {
        "in" => "in",
        "out" => "out",
        "notScheduled" => "notScheduled",
        "none" => "none",
        "notPresent" => "notPresent",
        "wrongActivity" => "wrongActivity",
        _ => return None,
    })
}

/// The summary of one account from its agent-state records (JSON), as the processing core
/// computes it from its engine.
pub fn summary<'a>(
    account: &str,
    states: impl IntoIterator<Item = &'a [u8]>,
    target_percent: f64,
) -> AccountSummary {
    let mut s = AccountSummary {
        account: account.to_string(),
        target_percent,
        ..AccountSummary::default()
    };
    for state in ["in", "out", "notScheduled", "none"] {
        s.adherence.insert(state, 0);
    }
    let (mut sched, mut inadh) = (0f64, 0f64);
    let mut latest: Option<Millis> = None;
    for raw in states {
        let Ok(r) = serde_json::from_slice::<StateRec>(raw) else {
            continue;
        };
        s.persons += 1;
        if r.actual.as_ref().is_some_and(|a| a.online) {
            s.online += 1;
        }
        if let Some(l) = r.adherence.as_deref().and_then(label) {
            *s.adherence.entry(l).or_default() += 1;
        }
        let ooo = r.ooo_type.as_deref().and_then(label);
        if let Some(o) = ooo {
            *s.out_of_adherence.entry(o).or_default() += 1;
            s.in_buffer += r.in_buffer as u64;
        }
        let working = r
            .scheduled
            .as_ref()
            .and_then(|x| x.activity_type.as_deref())
            .is_some_and(|t| matches!(t, "presence" | "break" | "meeting"));
        if working {
            s.scheduled_now += 1;
            s.adhering_now += (ooo.is_none() || r.in_buffer) as u64;
        }
        if let Some(t) = r.today {
            sched += t.scheduled_seconds;
            inadh += t.in_adherence_seconds;
        }
        if let Some(at) = r.at.as_deref().and_then(crate::time::parse_rfc3339) {
            latest = Some(latest.map_or(at, |l| l.max(at)));
        }
    }
    s.scheduled_seconds = sched;
    s.in_adherence_seconds = inadh;
    s.adherence_percent = (sched > 0.0).then(|| (inadh * 10000.0 / sched).round() / 100.0);
    s.real_time_adherence_percent = (s.scheduled_now > 0)
        .then(|| (s.adhering_now as f64 * 10000.0 / s.scheduled_now as f64).round() / 100.0);
    s.at = latest.map(format_rfc3339);
    s
}

#[derive(Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
struct Counts {
    #[serde(default)]
    offered: u64,
    #[serde(default)]
    handled: u64,
    #[serde(default)]
    abandoned: u64,
    #[serde(default)]
    handled_seconds: f64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.offered += o.offered;
        self.handled += o.handled;
        self.abandoned += o.abandoned;
        self.handled_seconds += o.handled_seconds;
    }

    fn json(&self) -> serde_json::Value {
        let aht = (self.handled > 0)
            .then(|| (self.handled_seconds / self.handled as f64 * 1000.0).round() / 1000.0);
        serde_json::json!({
            "offered": self.offered, "handled": self.handled, "abandoned": self.abandoned,
            "handledSeconds": (self.handled_seconds * 1000.0).round() / 1000.0,
            "averageHandleSeconds": aht,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueueIntervalRec {
    integration: String,
    queue_identifier: String,
    queue_name: String,
    interval_start: String,
    interval_end: String,
    #[serde(flatten)]
    counts: Counts,
    #[serde(default)]
    channels: BTreeMap<String, serde_json::Value>,
}

/// Today's queue view (the `/api/accounts/{account}/queues` shape) from the latest
/// queue-interval records of one account: the account-local day of `now` in `grid`.
pub fn queues_today<'a>(
    account: &str,
    records: impl IntoIterator<Item = &'a [u8]>,
    grid: &Grid,
    now: Millis,
) -> serde_json::Value {
    let (date, start, end) = grid.day_at(now);
    type Identity = (String, String, String);
    let mut queues: BTreeMap<Identity, (Counts, Vec<(Millis, serde_json::Value)>)> =
        BTreeMap::new();
    for raw in records {
        let Ok(r) = serde_json::from_slice::<QueueIntervalRec>(raw) else {
            continue;
        };
        let Some(t) = crate::time::parse_rfc3339(&r.interval_start) else {
            continue;
        };
        if t < start || t >= end {
            continue;
        }
        let q = queues
            .entry((r.integration, r.queue_identifier, r.queue_name))
            .or_default();
        q.0.add(&r.counts);
        let mut iv = r.counts.json();
        iv["intervalStart"] = r.interval_start.into();
        iv["intervalEnd"] = r.interval_end.into();
        iv["channels"] = serde_json::to_value(&r.channels).unwrap_or_default();
        q.1.push((t, iv));
    }
    let list: Vec<serde_json::Value> = queues
        .into_iter()
        .map(|((integration, id, name), (total, mut ivs))| {
            ivs.sort_by_key(|(t, _)| *t);
            let mut v = total.json();
            v["integration"] = integration.into();
            v["queueIdentifier"] = id.into();
            v["queueName"] = name.into();
            v["intervals"] = ivs.into_iter().map(|(_, iv)| iv).collect();
            v
        })
        .collect();
    serde_json::json!({
        "account": account,
        "date": crate::time::format_date(date),
        "queues": list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_from_state_records() {
        let a = br#"{"at":"2026-11-23T09:00:00Z","actual":{"online":true},"scheduled":{"activityType":"presence"},"adherence":"out","oooType":"wrongActivity","inBuffer":true,"today":{"scheduledSeconds":100,"inAdherenceSeconds":50}}"#;
        let b = br#"{"at":"2026-11-23T09:05:00Z","actual":{"online":false},"scheduled":{"activityType":"presence"},"adherence":"out","oooType":"notPresent","inBuffer":false,"today":{"scheduledSeconds":100,"inAdherenceSeconds":100}}"#;
        let c = br#"{"at":"2026-11-23T08:00:00Z","actual":{"online":false},"scheduled":null,"adherence":"none","oooType":null,"inBuffer":false}"#;
        let s = summary("acme", [&a[..], &b[..], &c[..], b"{bad"], 90.0);
        assert_eq!((s.persons, s.online, s.in_buffer), (3, 1, 1));
        assert_eq!(s.adherence["out"], 2);
        assert_eq!(s.out_of_adherence["notPresent"], 1);
        assert_eq!((s.scheduled_now, s.adhering_now), (2, 1));
        assert_eq!(s.real_time_adherence_percent, Some(50.0));
        assert_eq!(s.adherence_percent, Some(75.0));
        assert_eq!(s.at.as_deref(), Some("2026-11-23T09:05:00Z"));
    }

    #[test]
    fn todays_queues_from_records() {
        let rec = |start: &str, end: &str, offered: u64, handled: u64, secs: f64| {
            format!(
                r#"{{"account":"acme","integration":"1234","queueIdentifier":"q1","queueName":"Q","intervalStart":"{start}","intervalEnd":"{end}","revision":0,"offered":{offered},"handled":{handled},"abandoned":{},"handledSeconds":{secs},"averageHandleSeconds":null,"channels":{{"calls":{{"offered":{offered},"handled":{handled},"handledSeconds":{secs}}}}}}}"#,
                offered - handled
            )
        };
        let recs = [
            rec("2026-11-23T08:00:00Z", "2026-11-23T08:15:00Z", 3, 2, 240.0),
            rec("2026-11-23T08:15:00Z", "2026-11-23T08:30:00Z", 1, 1, 60.0),
            rec("2026-11-22T08:00:00Z", "2026-11-22T08:15:00Z", 9, 9, 9.0), // yesterday
        ];
        let grid = Grid::new("Europe/Berlin", 15).unwrap();
        let now = crate::time::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        let v = queues_today("acme", recs.iter().map(|r| r.as_bytes()), &grid, now);
        assert_eq!(v["date"], "2026-11-23");
        let q = &v["queues"][0];
        assert_eq!(q["offered"], 4);
        assert_eq!(q["handled"], 3);
        assert_eq!(q["averageHandleSeconds"], 100.0);
        assert_eq!(q["intervals"].as_array().unwrap().len(), 2);
        assert_eq!(q["intervals"][0]["channels"]["calls"]["offered"], 3);
    }
}
