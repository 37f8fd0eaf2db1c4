//! Properties of simulated days.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike};
use serde_json::Value;

use super::behaviour::working_day;
use super::rng::Rng;
use super::schedule::plan_shift;
use super::*;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn value(e: &Envelope) -> Value {
    serde_json::from_slice(e.value.as_deref().unwrap()).unwrap()
}

fn ndjson(opts: &SimOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_ndjson(opts, &mut out).unwrap();
    out
}

/// Odigo event time in ms (string or epoch number).
fn odigo_time(v: &Value) -> i64 {
    match &v["timestamp"] {
        Value::Number(n) => n.as_i64().unwrap(),
        Value::String(s) => DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis(),
        other => panic!("bad timestamp {other}"),
    }
}

fn is_odigo(e: &Envelope) -> bool {
    e.header("rta-integration") == Some("8431")
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = ndjson(&SimOptions::new(30, date(), 7));
    let b = ndjson(&SimOptions::new(30, date(), 7));
    let c = ndjson(&SimOptions::new(30, date(), 8));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Every line is an envelope `rta process` can read back.
    for line in std::str::from_utf8(&a).unwrap().lines() {
        let e = Envelope::parse_line(line).unwrap();
        assert!(e.value.is_some());
    }
}

#[test]
fn persons_keep_their_day_when_more_are_simulated() {
    let small = plan_day(&SimOptions::new(10, date(), 5));
    let large = plan_day(&SimOptions::new(40, date(), 5));
    let sched = |p: &DayPlan, key: &str| {
        p.config
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .map(value)
    };
    for i in 1..=10 {
        let key = format!("acme/schedule/p{i}/2026-11-23");
        assert_eq!(sched(&small, &key), sched(&large, &key), "{key}");
    }
}

#[test]
fn config_keys_follow_the_key_rule() {
    let opts = SimOptions::new(60, date(), 1);
    let plan = plan_day(&opts);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for e in &plan.config {
        assert_eq!(e.topic, "rta.config");
        let v = value(e);
        let s = |f: &str| {
            v[f].as_str()
                .unwrap_or_else(|| panic!("{f} in {v}"))
                .to_string()
        };
        assert_eq!(s("account"), "acme");
        let kind = s("kind");
        let parts: Vec<String> = match kind.as_str() {
            "settings" => vec![],
            "integration" | "activity" | "person" => vec![s("id")],
            "identifier" => vec![s("integration"), s("externalId")],
            "status" => vec![s("integration"), s("externalStatus")],
            "match" => vec![s("scheduled")],
            "schedule" => vec![s("person"), s("date")],
            other => panic!("unexpected kind {other}"),
        };
        let mut expected = format!("acme/{kind}");
        for p in parts {
            expected.push('/');
            expected.push_str(&p);
        }
        assert_eq!(e.key.as_deref(), Some(expected.as_str()));
        *kinds.entry(kind).or_default() += 1;
    }
    assert_eq!(kinds["settings"], 1);
    assert_eq!(kinds["activity"], 7);
    assert_eq!(kinds["integration"], 2);
    assert_eq!(kinds["status"], 9 + 5);
    assert_eq!(kinds["match"], 1);
    assert_eq!(kinds["person"], 60);
    assert_eq!(kinds["identifier"], 60);
    assert!(
        kinds["schedule"] > 50 && kinds["schedule"] <= 60,
        "{kinds:?}"
    );
    // Config keys are unique and activity 1 is implicit.
    let keys: HashSet<_> = plan.config.iter().map(|e| e.key.clone()).collect();
    assert_eq!(keys.len(), plan.config.len());
    assert!(!keys.contains(&Some("acme/activity/1".to_string())));
    assert!(keys.contains(&Some("acme/status/8431/PAUSE:LUNCH".to_string())));
    assert!(!keys.contains(&Some("acme/status/8431/PAUSE:PERSONAL".to_string())));
    let settings = value(&plan.config[0]);
    assert_eq!(settings["timeZone"], "Europe/Berlin");
    assert_eq!(settings["intervalMinutes"], 15);
}

#[test]
fn schedules_are_contiguous_and_within_plausible_hours() {
    let opts = SimOptions::new(1_000, date(), 2);
    let plan = plan_day(&opts);
    let (mut working, mut whole_day, mut night) = (0, 0, 0);
    for e in plan
        .config
        .iter()
        .filter(|e| e.key.as_deref().unwrap().contains("/schedule/"))
    {
        let v = value(e);
        assert_eq!(v["date"], "2026-11-23");
        let segs: Vec<(String, DateTime<FixedOffset>, DateTime<FixedOffset>)> = v["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let start = s["start"].as_str().unwrap();
                assert!(start.ends_with("+01:00"), "local offset expected: {start}");
                (
                    s["activity"].as_str().unwrap().to_string(),
                    DateTime::parse_from_rfc3339(start).unwrap(),
                    DateTime::parse_from_rfc3339(s["end"].as_str().unwrap()).unwrap(),
                )
            })
            .collect();
        assert!(!segs.is_empty());
        for (_, s, e) in &segs {
            assert!(s < e);
        }
        for w in segs.windows(2) {
            assert_eq!(w[0].2, w[1].1, "contiguous, non-overlapping: {v}");
        }
        let first = segs[0].1;
        let hours = (segs[segs.len() - 1].2 - first).num_minutes() as f64 / 60.0;
        if segs.len() == 1 && (segs[0].0 == "12" || segs[0].0 == "11") {
            whole_day += 1;
            assert_eq!(hours, 24.0);
            continue;
        }
        working += 1;
        assert_eq!(first.date_naive(), date());
        assert!((6..=22).contains(&first.hour()), "shift starts at {first}");
        assert!((6.0..=9.0).contains(&hours), "{hours} h");
        if segs[segs.len() - 1].2.date_naive() > date() {
            night += 1;
        } else {
            assert!(segs[segs.len() - 1].2.time().num_seconds_from_midnight() <= 22 * 3600);
        }
        let count = |a: &str| segs.iter().filter(|s| s.0 == a).count();
        assert_eq!(count("8"), 2);
        assert_eq!(count("7"), 1);
    }
    assert!((900..=940).contains(&working), "working {working}");
    assert!((20..=60).contains(&whole_day), "vacation/sick {whole_day}");
    assert!((5..=40).contains(&night), "night {night}");
}

#[test]
fn agent_changes_are_time_ordered_and_about_thirty_a_day() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    for seed in 0..300 {
        let mut rng = Rng::new(seed);
        let shift = plan_shift(&mut rng, tz, date());
        let changes = working_day(&mut rng, &shift);
        assert!(changes
            .windows(2)
            .all(|w| w[0].at < w[1].at && w[0].state != w[1].state));
    }
    // In the output, eventId order is generation order: it must be time order per agent.
    let plan = plan_day(&SimOptions::new(200, date(), 3));
    let mut per_agent: HashMap<String, BTreeMap<u32, i64>> = HashMap::new();
    for r in plan.events.iter().filter(|r| is_odigo(&r.envelope)) {
        let v = value(&r.envelope);
        let id = v["eventId"].as_str().unwrap();
        let (agent, n) = id.rsplit_once('-').unwrap();
        let t = odigo_time(&v);
        if let Some(prev) = per_agent
            .entry(agent.to_string())
            .or_default()
            .insert(n.parse().unwrap(), t)
        {
            assert_eq!(prev, t, "an eventId is only reused by an exact duplicate");
        }
    }
    for (agent, events) in &per_agent {
        let times: Vec<i64> = events.values().copied().collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{agent}");
    }
    let working: Vec<usize> = per_agent
        .values()
        .map(|e| e.len())
        .filter(|&n| n > 12)
        .collect();
    let avg = working.iter().sum::<usize>() as f64 / working.len() as f64;
    assert!(working.len() > 150, "{}", working.len());
    assert!(
        (15.0..=60.0).contains(&avg),
        "average {avg} status changes per agent"
    );
}

#[test]
fn odigo_events_look_like_odigo() {
    let plan = plan_day(&SimOptions::new(300, date(), 4));
    let (mut total, mut epoch) = (0usize, 0usize);
    let mut statuses: HashSet<String> = HashSet::new();
    for r in plan.events.iter().filter(|r| is_odigo(&r.envelope)) {
        let e = &r.envelope;
        assert_eq!(
            (e.topic.as_str(), e.key.as_deref()),
            ("rta.agent-events", Some("acme"))
        );
        let v = value(e);
        total += 1;
        match &v["timestamp"] {
            Value::Number(_) => epoch += 1,
            Value::String(s) => assert!(s.ends_with('Z'), "{s}"),
            other => panic!("{other}"),
        }
        let state = v["state"].as_str().unwrap();
        statuses.insert(match v.get("pauseCode") {
            Some(code) => format!("{state}:{}", code.as_str().unwrap()),
            None => state.to_string(),
        });
        assert!(v["login"].as_str().unwrap().contains('@'));
        let delay = r.deliver_at - odigo_time(&v);
        assert!(delay >= 50, "delivered before it happened: {delay} ms");
    }
    let share = epoch as f64 / total as f64;
    assert!((0.07..0.13).contains(&share), "epoch share {share}");
    for s in [
        "LOGIN",
        "READY",
        "BUSY",
        "WRAPUP",
        "LOGOUT",
        "PAUSE:LUNCH",
        "PAUSE:BREAK",
        "PAUSE:MEETING",
        "PAUSE:TRAINING",
        "PAUSE:BACKOFFICE",
        "PAUSE:PERSONAL",
    ] {
        assert!(statuses.contains(s), "{s} missing");
    }
}

#[test]
fn injixo_bodies_report_finished_and_ongoing_items() {
    let plan = plan_day(&SimOptions::new(200, date(), 5));
    let mapped: HashSet<String> = plan
        .config
        .iter()
        .filter(|e| {
            e.key
                .as_deref()
                .unwrap()
                .starts_with("acme/identifier/9100/")
        })
        .map(|e| value(e)["externalId"].as_str().unwrap().to_string())
        .collect();
    assert!(mapped.len() >= 8, "{}", mapped.len());
    let mut bodies = 0;
    for r in plan.events.iter().filter(|r| {
        r.envelope.topic == "rta.agent-events"
            && r.envelope.header("rta-integration") == Some("9100")
    }) {
        bodies += 1;
        let v = value(&r.envelope);
        assert_eq!(
            v["meta"]["integrationConfigurationId"],
            Value::from(9100u64)
        );
        let data = v["data"].as_array().unwrap();
        assert!(!data.is_empty());
        assert!(data.iter().filter(|i| i.get("endTime").is_none()).count() <= 1);
        for item in data {
            assert!(mapped.contains(item["agentIdentifier"].as_str().unwrap()));
            let start = DateTime::parse_from_rfc3339(item["startTime"].as_str().unwrap()).unwrap();
            assert!(start.timestamp_millis() <= r.deliver_at);
            if let Some(end) = item.get("endTime") {
                assert!(DateTime::parse_from_rfc3339(end.as_str().unwrap()).unwrap() > start);
            }
        }
    }
    assert!(bodies >= mapped.len() * 3, "{bodies} bodies");
}

#[test]
fn rates_are_roughly_as_configured() {
    let mut opts = SimOptions::new(1_000, date(), 6);
    opts.duplicate_rate = 0.01;
    opts.out_of_order_rate = 0.02;
    let plan = plan_day(&opts);
    let deliveries = plan.events.len();
    let distinct: HashSet<&[u8]> = plan
        .events
        .iter()
        .map(|r| r.envelope.value.as_deref().unwrap())
        .collect();
    let duplicates = deliveries - distinct.len();
    let dup_rate = duplicates as f64 / distinct.len() as f64;
    assert!((0.007..0.013).contains(&dup_rate), "duplicates {dup_rate}");

    // A late Odigo event follows an event that happened after it; a timely one never does
    // (event times are whole seconds, relay delays below 0.5 s).
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let (mut odigo, mut late, mut prev) = (0usize, 0usize, i64::MIN);
    for r in plan.events.iter().filter(|r| is_odigo(&r.envelope)) {
        let bytes = r.envelope.value.as_deref().unwrap();
        if !seen.insert(bytes) {
            continue;
        }
        let t = odigo_time(&value(&r.envelope));
        odigo += 1;
        if t < prev {
            late += 1;
        }
        prev = prev.max(t);
    }
    let late_rate = late as f64 / odigo as f64;
    assert!((0.012..0.026).contains(&late_rate), "late {late_rate}");

    let mapped: HashSet<String> = plan
        .config
        .iter()
        .filter(|e| e.key.as_deref().unwrap().starts_with("acme/identifier/"))
        .map(|e| value(e)["externalId"].as_str().unwrap().to_string())
        .collect();
    let folded: HashSet<String> = mapped.iter().map(|m| m.trim().to_lowercase()).collect();
    let unmapped: HashSet<String> = plan
        .events
        .iter()
        .filter(|r| is_odigo(&r.envelope))
        .map(|r| value(&r.envelope)["login"].as_str().unwrap().to_string())
        .filter(|l| !mapped.contains(l))
        .collect();
    assert_eq!(unmapped.len(), 20);
    let near = unmapped
        .iter()
        .filter(|l| folded.contains(&l.trim().to_lowercase()))
        .count();
    assert_eq!(near, 10);
}

#[test]
fn small_days_still_have_an_unmapped_agent_and_deliver_in_order() {
    let plan = plan_day(&SimOptions::new(20, date(), 9));
    assert!(plan
        .events
        .windows(2)
        .all(|w| w[0].deliver_at <= w[1].deliver_at));
    let mapped: HashSet<String> = plan
        .config
        .iter()
        .filter(|e| e.key.as_deref().unwrap().starts_with("acme/identifier/"))
        .map(|e| value(e)["externalId"].as_str().unwrap().to_string())
        .collect();
    assert!(plan
        .events
        .iter()
        .filter(|r| is_odigo(&r.envelope))
        .any(|r| {
            let v = value(&r.envelope);
            !mapped.contains(v["login"].as_str().unwrap())
        }));
}

#[test]
fn a_large_day_is_cheap_and_sorted() {
    let plan = plan_day(&SimOptions::new(200, date(), 10));
    assert!(plan.events.len() > 200 * 20, "{}", plan.events.len());
    assert!(plan
        .events
        .windows(2)
        .all(|w| w[0].deliver_at <= w[1].deliver_at));
    assert_eq!(
        generate(&SimOptions::new(200, date(), 10)).len(),
        plan.config.len() + plan.events.len()
    );
}

#[test]
fn no_perturbation_and_no_injixo_when_disabled() {
    let mut opts = SimOptions::new(50, date(), 11);
    opts.injixo_integration = None;
    opts.duplicate_rate = 0.0;
    opts.out_of_order_rate = 0.0;
    opts.unmapped_agents = 0.0;
    opts.time_zone = "UTC".into();
    let plan = plan_day(&opts);
    assert!(plan.events.iter().all(|r| is_odigo(&r.envelope)));
    let times: Vec<i64> = plan
        .events
        .iter()
        .map(|r| odigo_time(&value(&r.envelope)))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let ids: HashSet<String> = plan
        .events
        .iter()
        .map(|r| value(&r.envelope)["eventId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), plan.events.len(), "eventIds are unique");
    assert!(!plan
        .config
        .iter()
        .any(|e| e.key.as_deref() == Some("acme/integration/9100")));
}
