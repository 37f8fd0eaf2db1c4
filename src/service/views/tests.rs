//! The views: natural order, person spans and episodes, interval totals with revisions and
//! tombstones, unmapped reports, the directory and the change feed.

use super::*;
use crate::config::parse_config_record;

fn state(
    person: &str,
    at: &str,
    activity: Option<&str>,
    since: &str,
    ooo: Option<(&str, &str)>,
) -> String {
    let act = match activity {
        Some(a) => format!("\"{a}\""),
        None => "null".into(),
    };
    let (ot, os) = match ooo {
        Some((t, s)) => (format!("\"{t}\""), format!("\"{s}\"")),
        None => ("null".into(), "null".into()),
    };
    format!(
        r#"{{"account":"acme","person":"{person}","at":"{at}","actual":{{"activity":{act},"activityType":null,"online":{},"since":"{since}"}},"scheduled":null,"adherence":"in","oooType":{ot},"oooSince":{os},"inBuffer":false,"today":{{}}}}"#,
        activity.is_some()
    )
}

fn t(s: &str) -> Millis {
    crate::time::parse_rfc3339(s).unwrap()
}

#[test]
fn natural_order_puts_p2_before_p10() {
    let mut ids = vec!["p10", "p2", "p1", "a", "p02", "p9x", "p9", "b1", "p"];
    ids.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(ids, ["a", "b1", "p", "p1", "p2", "p02", "p9", "p9x", "p10"]);
    assert_eq!(
        natural_cmp("x123456789012345678901234567890", "x99"),
        std::cmp::Ordering::Greater
    );
}

#[test]
fn states_are_listed_in_natural_order_and_filtered() {
    let v = LiveViews::default();
    for p in ["p10", "p2", "p1"] {
        let s = state(
            p,
            "2026-11-23T08:00:00Z",
            Some("1"),
            "2026-11-23T08:00:00Z",
            None,
        );
        v.put_state(&format!("acme/{p}"), s.as_bytes());
    }
    let all = v.states_json("acme", |_, _, _| true).unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&all).unwrap();
    let order: Vec<&str> = list.iter().map(|s| s["person"].as_str().unwrap()).collect();
    assert_eq!(order, ["p1", "p2", "p10"]);
    let some = v.states_json("acme", |p, _, _| p != "p2").unwrap();
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&some)
            .unwrap()
            .len(),
        2
    );
    assert!(v.states_json("other", |_, _, _| true).is_none());
}

#[test]
fn states_since_a_snapshot() {
    let v = LiveViews::default();
    let put = |p: &str, at: &str| {
        let s = state(p, at, Some("1"), at, None);
        v.put_state(&format!("acme/{p}"), s.as_bytes());
    };
    for p in ["p1", "p2", "p3"] {
        put(p, "2026-11-23T08:00:00Z");
    }
    let snapshot = v.seq();
    assert_eq!(snapshot, 3);
    assert_eq!(v.states_since("acme", snapshot, 10).unwrap(), b"[]");
    put("p2", "2026-11-23T08:01:00Z");
    put("p3", "2026-11-23T08:02:00Z");
    put("p2", "2026-11-23T08:03:00Z");
    let since: Vec<serde_json::Value> =
        serde_json::from_slice(&v.states_since("acme", snapshot, 10).unwrap()).unwrap();
    let mut got: Vec<(&str, &str)> = since
        .iter()
        .map(|s| (s["person"].as_str().unwrap(), s["at"].as_str().unwrap()))
        .collect();
    got.sort();
    // the current record of each person changed since, once
    assert_eq!(
        got,
        [
            ("p2", "2026-11-23T08:03:00Z"),
            ("p3", "2026-11-23T08:02:00Z")
        ]
    );
    assert!(v.states_since("acme", snapshot, 1).is_none(), "too many");
    assert!(v.states_since("other", 0, 10).is_none());
}

#[test]
fn actual_spans_and_episodes_follow_the_records() {
    let mut p = PersonView::default();
    p.put_state(
        state(
            "p1",
            "2026-11-23T08:00:00Z",
            None,
            "2026-11-23T07:00:00Z",
            Some(("notPresent", "2026-11-23T08:00:00Z")),
        )
        .as_bytes(),
        None,
    );
    p.put_state(
        state(
            "p1",
            "2026-11-23T08:03:00Z",
            Some("1"),
            "2026-11-23T08:03:00Z",
            None,
        )
        .as_bytes(),
        None,
    );
    p.put_state(
        state(
            "p1",
            "2026-11-23T10:58:00Z",
            Some("7"),
            "2026-11-23T10:58:00Z",
            Some(("wrongActivity", "2026-11-23T10:58:00Z")),
        )
        .as_bytes(),
        None,
    );
    // the same state again (e.g. the buffer expired): no new span or episode
    p.put_state(
        state(
            "p1",
            "2026-11-23T11:00:00Z",
            Some("7"),
            "2026-11-23T10:58:00Z",
            Some(("wrongActivity", "2026-11-23T10:58:00Z")),
        )
        .as_bytes(),
        None,
    );
    let day = p.actual_between(t("2026-11-23T00:00:00Z"), t("2026-11-23T12:00:00Z"));
    assert_eq!(
        day,
        vec![
            (t("2026-11-23T07:00:00Z"), t("2026-11-23T08:03:00Z"), None),
            (
                t("2026-11-23T08:03:00Z"),
                t("2026-11-23T10:58:00Z"),
                Some("1")
            ),
            (
                t("2026-11-23T10:58:00Z"),
                t("2026-11-23T12:00:00Z"),
                Some("7")
            ),
        ]
    );
    let eps = p.episodes_between(t("2026-11-23T00:00:00Z"), t("2026-11-23T12:00:00Z"));
    assert_eq!(
        eps,
        vec![
            (
                t("2026-11-23T08:00:00Z"),
                t("2026-11-23T08:03:00Z"),
                "notPresent"
            ),
            (
                t("2026-11-23T10:58:00Z"),
                t("2026-11-23T12:00:00Z"),
                "wrongActivity"
            ),
        ]
    );
    // a recomputation restating 09:00 replaces what followed
    p.put_state(
        state(
            "p1",
            "2026-11-23T11:01:00Z",
            Some("1"),
            "2026-11-23T09:00:00Z",
            None,
        )
        .as_bytes(),
        None,
    );
    let day = p.actual_between(t("2026-11-23T08:30:00Z"), t("2026-11-23T12:00:00Z"));
    assert_eq!(day.len(), 2);
    assert_eq!(
        day[1],
        (
            t("2026-11-23T09:00:00Z"),
            t("2026-11-23T12:00:00Z"),
            Some("1")
        )
    );
    // bounded
    for i in 0..1000 {
        let since = crate::time::format_rfc3339(t("2026-11-23T12:00:00Z") + i * 1000);
        p.put_state(
            state(
                "p1",
                &since,
                Some(if i % 2 == 0 { "1" } else { "7" }),
                &since,
                None,
            )
            .as_bytes(),
            None,
        );
    }
    assert!(p.actual.len() <= 256);
}

fn interval(start: &str, end: &str, sched: f64, inadh: f64) -> Vec<u8> {
    format!(r#"{{"account":"acme","person":"p","intervalStart":"{start}","intervalEnd":"{end}","revision":0,"scheduledSeconds":{sched},"inAdherenceSeconds":{inadh},"outOfAdherenceSeconds":{{}},"notScheduledSeconds":0,"actualSeconds":0,"activitySeconds":{{}},"adherencePercent":null}}"#).into_bytes()
}

#[test]
fn interval_totals_replace_revisions_and_drop_tombstones() {
    let v = LiveViews::default();
    let (s, e) = ("2026-11-23T08:00:00Z", "2026-11-23T08:15:00Z");
    v.put_interval(&format!("acme/p1/{s}"), Some(&interval(s, e, 900.0, 840.0)));
    v.put_interval(&format!("acme/p2/{s}"), Some(&interval(s, e, 900.0, 900.0)));
    v.put_interval(&format!("acme/p1/{s}"), Some(&interval(s, e, 900.0, 600.0))); // revision
    let got = v
        .with_account("acme", |a| {
            a.intervals.between(t(s), t(e)).collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].1.persons, got[0].1.scheduled, got[0].1.in_adherence),
        (2, 1800.0, 1500.0)
    );
    assert_eq!(got[0].1.end, t(e));
    v.put_interval(&format!("acme/p2/{s}"), None);
    let got = v
        .with_account("acme", |a| {
            a.intervals.between(t(s), t(e)).collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!((got[0].1.persons, got[0].1.in_adherence), (1, 600.0));
    v.put_interval(&format!("acme/p1/{s}"), None);
    assert_eq!(
        v.with_account("acme", |a| a.intervals.by_start.len()),
        Some(0)
    );
    assert_eq!(v.versions("acme").unwrap().intervals, 5);
    // a day and more later, the old interval is forgotten and its revisions ignored
    let (s2, e2) = ("2026-11-25T08:00:00Z", "2026-11-25T08:15:00Z");
    v.put_interval(&format!("acme/p1/{s}"), Some(&interval(s, e, 900.0, 840.0)));
    v.put_interval(
        &format!("acme/p1/{s2}"),
        Some(&interval(s2, e2, 900.0, 840.0)),
    );
    v.put_interval(&format!("acme/p1/{s}"), Some(&interval(s, e, 900.0, 0.0)));
    assert_eq!(
        v.with_account("acme", |a| a.intervals.by_start.len()),
        Some(1)
    );
    // garbage is ignored
    v.put_interval("acme/p1/notatime", Some(b"{}"));
    v.put_interval(&format!("acme/p1/{s2}"), Some(b"not json"));
    assert_eq!(
        v.with_account("acme", |a| a.intervals.by_start.len()),
        Some(1)
    );
}

#[test]
fn unmapped_reports_come_and_go_and_are_capped() {
    let v = LiveViews::default();
    v.put_unmapped("acme/8431/identifier/bob", Some(br#"{"count":1}"#));
    v.put_unmapped("acme/8431/identifier/bob", Some(br#"{"count":2}"#));
    assert_eq!(v.with_account("acme", |a| a.unmapped.len()), Some(1));
    v.put_unmapped("acme/8431/identifier/bob", None);
    assert_eq!(v.with_account("acme", |a| a.unmapped.len()), Some(0));
    for i in 0..(MAX_UNMAPPED + 5) {
        v.put_unmapped(&format!("acme/8431/status/S{i}"), Some(b"{}"));
    }
    assert_eq!(
        v.with_account("acme", |a| a.unmapped.len()),
        Some(MAX_UNMAPPED)
    );
}

fn config(key: &str, value: &str) -> ConfigChange {
    parse_config_record(Some(key), Some(value.as_bytes())).unwrap()
}

#[test]
fn the_directory_names_people_and_activities_and_keeps_schedules() {
    let v = LiveViews::default();
    v.apply_config(&config(
        "acme/person/p1",
        r#"{"kind":"person","account":"acme","id":"p1","name":"Ada L","team":"Blue"}"#,
    ));
    v.apply_config(&config(
        "acme/activity/7",
        r#"{"kind":"activity","account":"acme","id":"7","name":"Lunch","type":"break"}"#,
    ));
    v.apply_config(&config(
        "acme/schedule/p1/2026-11-23",
        r#"{"kind":"schedule","account":"acme","person":"p1","date":"2026-11-23","segments":[{"activity":"1","start":"2026-11-23T08:00:00Z","end":"2026-11-23T11:00:00Z"},{"activity":"7","start":"2026-11-23T11:00:00Z","end":"2026-11-23T11:30:00Z"}]}"#,
    ));
    assert_eq!(
        v.versions("acme").unwrap().directory,
        2,
        "schedules do not bump"
    );
    let day = crate::time::parse_date("2026-11-23").unwrap();
    v.with_account("acme", |a| {
        let d = &a.directory;
        assert_eq!(d.team("p1"), Some("Blue"));
        assert_eq!(d.activity_name("7"), Some("Lunch"));
        assert_eq!(d.activity_name("1"), Some("Present"));
        assert_eq!(d.activity_type("7"), Some("break"));
        assert_eq!(d.schedule("p1", day).len(), 2);
        let j: serde_json::Value = serde_json::from_slice(&d.to_json("acme")).unwrap();
        assert_eq!(j["persons"]["p1"]["name"], "Ada L");
        assert_eq!(j["teams"], serde_json::json!(["Blue"]));
        assert_eq!(j["targetPercent"], 90.0);
    })
    .unwrap();
    v.prune_schedules(day + 1);
    assert_eq!(
        v.with_account("acme", |a| a.directory.schedule("p1", day).len()),
        Some(0)
    );
    let del = parse_config_record(Some("acme/person/p1"), None).unwrap();
    v.apply_config(&del);
    assert_eq!(
        v.with_account("acme", |a| a.directory.team("p1").is_none()),
        Some(true)
    );
}

#[test]
fn changes_reach_subscribers_and_a_lagging_one_is_told() {
    let v = LiveViews::default();
    let s = state(
        "p1",
        "2026-11-23T08:00:00Z",
        Some("1"),
        "2026-11-23T08:00:00Z",
        None,
    );
    v.put_state("acme/p1", s.as_bytes()); // nobody listens: nothing kept
    let mut rx = v.subscribe();
    v.put_state("acme/p1", s.as_bytes());
    let c = rx.try_recv().unwrap();
    assert_eq!(
        (&*c.account, &*c.person, &*c.json),
        ("acme", "p1", s.as_bytes())
    );
    for _ in 0..STREAM_BUFFER + 1 {
        v.put_state("acme/p1", s.as_bytes());
    }
    assert!(matches!(
        rx.try_recv(),
        Err(broadcast::error::TryRecvError::Lagged(_))
    ));
}

/// The facts the engine hands over with its agent states fill a person's view exactly as
/// reading the records does (a simulated day with injixo persons, breaks and late events).
#[test]
fn facts_from_the_engine_equal_the_records_read_back() {
    use crate::engine::{ClockMode, Engine, EngineOptions, OutTopic, Outputs};
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let envs = crate::simulate::generate(&crate::simulate::SimOptions::new(60, date, 3));
    let mut engine = Engine::new(EngineOptions {
        clock: ClockMode::EventTime,
        ..EngineOptions::default()
    });
    let mut out = Outputs::default();
    for (i, e) in envs.iter().enumerate() {
        crate::cli::process::feed_envelope(&mut engine, e, i as i64, &mut out);
    }
    let (mut by_facts, mut by_parse) = (AHashMap::new(), AHashMap::new());
    let mut states = 0;
    for o in out.iter().filter(|o| o.topic == OutTopic::AgentStates) {
        let (Some(k), Some(v)) = (o.key, o.value) else {
            continue;
        };
        assert!(
            o.facts.is_some(),
            "every agent state of the day carries facts: {k}"
        );
        by_facts
            .entry(k.to_string())
            .or_insert_with(PersonView::default)
            .put_state(v, o.facts.as_ref());
        by_parse
            .entry(k.to_string())
            .or_insert_with(PersonView::default)
            .put_state(v, None);
        states += 1;
    }
    assert!(states > 1000, "{states} agent states");
    assert!(out
        .iter()
        .all(|o| o.facts.is_none() || o.topic == OutTopic::AgentStates));
    let mut episodes = 0;
    for (k, a) in &by_facts {
        let b = &by_parse[k];
        assert_eq!(
            (&a.actual, &a.episodes, &a.state),
            (&b.actual, &b.episodes, &b.state),
            "{k}"
        );
        episodes += a.episodes.len();
    }
    assert!(episodes > 0, "the day has out-of-adherence episodes");
}

#[test]
fn several_shards_are_ready_and_alive_only_together() {
    let v = LiveViews::default();
    v.set_shards(3);
    v.set_shard_ready(0, true);
    v.set_shard_ready(2, true);
    assert!(!v.partitions_ready(), "shard 1 not ready");
    v.set_shard_ready(1, true);
    assert!(v.partitions_ready());
    v.set_shard_ready(2, false);
    assert!(!v.partitions_ready(), "shard 2 restoring");
    // liveness is the shard that turned least recently
    v.beats[1].store(0, Ordering::Release);
    v.beat_shard(0);
    v.beat_shard(2);
    assert!(v.since_beat() > 1_000_000, "shard 1 never turned");
    v.beat_shard(1);
    assert!(v.since_beat() < 60_000);
}

#[test]
fn each_shard_replaces_only_its_own_summaries() {
    let v = LiveViews::default();
    let part = |names: &[&str]| {
        names
            .iter()
            .map(|n| {
                let s = AccountSummary {
                    account: n.to_string(),
                    ..AccountSummary::default()
                };
                (n.to_string(), s)
            })
            .collect::<BTreeMap<_, _>>()
    };
    v.set_shard_summaries(0, part(&["b", "d"]));
    v.set_shard_summaries(1, part(&["a", "c"]));
    let names: Vec<String> = v.summaries().into_iter().map(|s| s.account).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    v.set_shard_summaries(1, part(&["c"]));
    let names: Vec<String> = v.summaries().into_iter().map(|s| s.account).collect();
    assert_eq!(
        names,
        ["b", "c", "d"],
        "shard 1 gave up a, shard 0 kept its own"
    );
    assert!(v.summary("d").is_some() && v.has_account("c") && !v.has_account("a"));
    v.set_shard_queues(1, BTreeMap::from([("c".to_string(), b"[]".to_vec())]));
    assert_eq!(v.queues("c").as_deref(), Some(&b"[]"[..]));
    v.drop_account("c");
    assert!(v.queues("c").is_none() && v.summary("c").is_none());
}
