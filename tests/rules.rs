//! Scenario tests of the adherence rules on small hand-made days, driven through the offline
//! engine with event time (no broker, no sleeps). Numbers in comments are worked by hand.

use rta::engine::EngineOptions;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Builds NDJSON input lines.
struct Day {
    lines: Vec<String>,
}

impl Day {
    fn new(tz: &str) -> Day {
        let mut d = Day { lines: Vec::new() };
        d.config(
            "acme/settings",
            json!({"kind":"settings","account":"acme","timeZone":tz}),
        );
        d.config(
            "acme/activity/7",
            json!({"kind":"activity","account":"acme","id":"7","name":"Lunch","type":"break"}),
        );
        d.config(
            "acme/activity/9",
            json!({"kind":"activity","account":"acme","id":"9","name":"Meeting","type":"meeting"}),
        );
        d.config("acme/activity/12", json!({"kind":"activity","account":"acme","id":"12","name":"Vacation","type":"vacation"}));
        d.config("acme/integration/8431", json!({"kind":"integration","account":"acme","id":"8431","vendor":"odigo","detailedBreaks":true}));
        for (s, a) in [
            ("READY", "1"),
            ("BUSY", "1"),
            ("PAUSE:LUNCH", "7"),
            ("PAUSE:MEETING", "9"),
        ] {
            d.config(&format!("acme/status/8431/{s}"), json!({"kind":"status","account":"acme","integration":"8431","externalStatus":s,"activity":a}));
        }
        d.identifier("bob", "p1");
        d
    }

    fn config(&mut self, key: &str, value: Value) -> &mut Day {
        self.lines
            .push(json!({"topic":"rta.config","key":key,"value":value}).to_string());
        self
    }

    fn identifier(&mut self, login: &str, person: &str) -> &mut Day {
        self.config(
            &format!("acme/identifier/8431/{login}"),
            json!({"kind":"identifier","account":"acme","integration":"8431","externalId":login,"person":person}),
        )
    }

    fn schedule(&mut self, person: &str, date: &str, segs: &[(&str, &str, &str)]) -> &mut Day {
        let segments: Vec<Value> = segs
            .iter()
            .map(|(a, s, e)| json!({"activity":a,"start":s,"end":e}))
            .collect();
        self.config(
            &format!("acme/schedule/{person}/{date}"),
            json!({"kind":"schedule","account":"acme","person":person,"date":date,"segments":segments}),
        )
    }

    fn odigo(&mut self, login: &str, ts: &str, state: &str) -> &mut Day {
        let (state, code) = match state.split_once(':') {
            Some((s, c)) => (s, Some(c)),
            None => (state, None),
        };
        let mut v = json!({"timestamp":ts,"login":login,"state":state});
        if let Some(c) = code {
            v["pauseCode"] = json!(c);
        }
        self.lines.push(json!({"topic":"rta.agent-events","key":"acme","headers":{"rta-integration":"8431"},"value":v}).to_string());
        self
    }

    fn raw(&mut self, line: &str) -> &mut Day {
        self.lines.push(line.to_string());
        self
    }

    fn run(&self, until: &str) -> Out {
        let input = self.lines.join("\n");
        let mut buf = Vec::new();
        let until = rta::time::parse_rfc3339(until).unwrap();
        rta::cli::process::process(
            input.as_bytes(),
            EngineOptions::default(),
            Some(until),
            &mut buf,
        )
        .unwrap();
        let records = buf
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        Out { records }
    }
}

struct Out {
    records: Vec<Value>,
}

impl Out {
    fn topic(&self, t: &str) -> Vec<&Value> {
        self.records.iter().filter(|r| r["topic"] == t).collect()
    }

    fn state(&self, person: &str) -> Value {
        let key = format!("acme/{person}");
        self.topic("rta.agent-states")
            .into_iter()
            .rfind(|r| r["key"] == key.as_str())
            .unwrap()["value"]
            .clone()
    }

    fn alerts(&self) -> Vec<(String, String, String)> {
        self.topic("rta.adherence-events")
            .into_iter()
            .map(|r| {
                let v = &r["value"];
                (
                    v["kind"].as_str().unwrap().into(),
                    v["oooType"].as_str().unwrap().into(),
                    v["at"].as_str().unwrap().into(),
                )
            })
            .collect()
    }

    /// Latest value per interval key (tombstones remove).
    fn intervals(&self) -> BTreeMap<String, Value> {
        let mut m = BTreeMap::new();
        for r in self.topic("rta.intervals") {
            let k = r["key"].as_str().unwrap().to_string();
            if r["value"].is_null() {
                m.remove(&k);
            } else {
                m.insert(k, r["value"].clone());
            }
        }
        m
    }

    fn dead_letters(&self) -> Vec<String> {
        self.topic("rta.dlq")
            .iter()
            .map(|r| r["value"]["reason"].as_str().unwrap().to_string())
            .collect()
    }
}

#[test]
fn wrong_activity_beyond_buffer_alerts_and_counts_out() {
    // Scheduled presence 09:00–10:00Z; agent on lunch pause from 09:10 to 09:15 (5 min):
    // 120 s buffer, 180 s out → alert at 09:12, back in at 09:15.
    let mut d = Day::new("UTC");
    d.schedule(
        "p1",
        "2026-11-23",
        &[("1", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")],
    );
    d.odigo("bob", "2026-11-23T08:59:00Z", "READY")
        .odigo("bob", "2026-11-23T09:10:00Z", "PAUSE:LUNCH")
        .odigo("bob", "2026-11-23T09:15:00Z", "READY");
    let out = d.run("2026-11-23T10:00:00Z");
    assert_eq!(
        out.alerts(),
        vec![
            (
                "outOfAdherence".into(),
                "wrongActivity".into(),
                "2026-11-23T09:12:00Z".into()
            ),
            (
                "inAdherence".into(),
                "wrongActivity".into(),
                "2026-11-23T09:15:00Z".into()
            )
        ]
    );
    let iv = &out.intervals()["acme/p1/2026-11-23T09:00:00Z"];
    assert_eq!(iv["outOfAdherenceSeconds"]["wrongActivity"], 180);
    assert_eq!(iv["inAdherenceSeconds"], 720);
    assert_eq!(iv["activitySeconds"]["7"], 300);
    let s = out.state("p1");
    assert_eq!(s["today"]["scheduledSeconds"], 3600);
    assert_eq!(s["today"]["inAdherenceSeconds"], 3420);
}

#[test]
fn custom_buffers_and_not_scheduled() {
    // notScheduled buffer 60 s: online 10:00–10:05 with no schedule → alert at 10:01.
    let mut d = Day::new("UTC");
    d.config(
        "acme/settings",
        json!({"kind":"settings","account":"acme","timeZone":"UTC","buffers":{"notScheduled":60}}),
    );
    d.odigo("bob", "2026-11-23T10:00:00Z", "READY")
        .odigo("bob", "2026-11-23T10:05:00Z", "LOGOUT");
    let out = d.run("2026-11-23T10:15:00Z");
    assert_eq!(
        out.alerts()[0],
        (
            "outOfAdherence".into(),
            "notScheduled".into(),
            "2026-11-23T10:01:00Z".into()
        )
    );
    let iv = &out.intervals()["acme/p1/2026-11-23T10:00:00Z"];
    assert_eq!(iv["notScheduledSeconds"], 300);
    assert_eq!(iv["outOfAdherenceSeconds"]["notScheduled"], 240);
    assert_eq!(iv["scheduledSeconds"], 0);
    assert_eq!(out.state("p1")["adherence"], "none");
}

#[test]
fn match_records_accept_listed_activities_types_and_offline() {
    // Meeting scheduled; a match accepts lunch (7) and offline. Lunch during the meeting and
    // then logged out: both in adherence.
    let mut d = Day::new("UTC");
    d.config("acme/match/1", json!({"kind":"match","account":"acme","scheduled":"9","actual":["7","offline"],"types":[]}));
    d.schedule(
        "p1",
        "2026-11-23",
        &[("9", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")],
    );
    d.odigo("bob", "2026-11-23T09:00:00Z", "PAUSE:LUNCH").odigo(
        "bob",
        "2026-11-23T09:30:00Z",
        "LOGOUT",
    );
    let out = d.run("2026-11-23T10:00:00Z");
    assert!(out.alerts().is_empty());
    assert_eq!(out.state("p1")["today"]["inAdherenceSeconds"], 3600);
    // Without the match, READY (presence) during a meeting is wrong; with types [presence] it is fine.
    let mut d = Day::new("UTC");
    d.schedule(
        "p1",
        "2026-11-23",
        &[("9", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")],
    );
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY");
    assert_eq!(d.run("2026-11-23T10:00:00Z").alerts()[0].1, "wrongActivity");
    let mut d2 = Day::new("UTC");
    d2.config(
        "acme/match/2",
        json!({"kind":"match","account":"acme","scheduled":"9","types":["presence"]}),
    );
    d2.schedule(
        "p1",
        "2026-11-23",
        &[("9", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")],
    );
    d2.odigo("bob", "2026-11-23T09:00:00Z", "READY");
    assert!(d2.run("2026-11-23T10:00:00Z").alerts().is_empty());
}

#[test]
fn non_working_segment_online_is_not_scheduled_offline_is_none() {
    let mut d = Day::new("UTC");
    d.schedule(
        "p1",
        "2026-11-23",
        &[("12", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")],
    );
    let out = d.run("2026-11-23T12:00:00Z");
    assert_eq!(out.state("p1")["adherence"], "none");
    assert_eq!(out.state("p1")["scheduled"]["activityType"], "vacation");
    d.odigo("bob", "2026-11-23T12:00:00Z", "READY");
    let out = d.run("2026-11-23T12:10:00Z");
    let s = out.state("p1");
    assert_eq!(s["adherence"], "notScheduled");
    assert_eq!(s["today"]["scheduledSeconds"], 0);
    assert_eq!(s["today"]["adherencePercent"], Value::Null);
}

#[test]
fn late_status_remap_revises_closed_intervals() {
    // BREAKX unmapped → activity 1 (in adherence for presence). Remapped to lunch (break) after
    // the interval closed: the interval is republished with revision 1 and wrongActivity time.
    let mut d = Day::new("UTC");
    d.schedule(
        "p1",
        "2026-11-23",
        &[("1", "2026-11-23T09:00:00Z", "2026-11-23T11:00:00Z")],
    );
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY")
        .odigo("bob", "2026-11-23T09:05:00Z", "BREAKX")
        .odigo("bob", "2026-11-23T09:10:00Z", "READY");
    d.odigo("bob", "2026-11-23T09:40:00Z", "BUSY");
    d.config("acme/status/8431/BREAKX", json!({"kind":"status","account":"acme","integration":"8431","externalStatus":"BREAKX","activity":"7"}));
    let out = d.run("2026-11-23T10:00:00Z");
    let iv = &out.intervals()["acme/p1/2026-11-23T09:00:00Z"];
    assert_eq!(iv["revision"], 1);
    assert_eq!(iv["outOfAdherenceSeconds"]["wrongActivity"], 180);
    // the status report is tombstoned once mapped
    let last_report = out.topic("rta.unmapped").last().copied().unwrap().clone();
    assert_eq!(last_report["key"], "acme/8431/status/BREAKX");
    assert!(last_report["value"].is_null());
}

#[test]
fn unmapped_identifier_is_parked_and_replayed_with_suggestions() {
    let mut d = Day::new("UTC");
    d.schedule(
        "p2",
        "2026-11-23",
        &[("1", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")],
    );
    d.odigo("Bob ", "2026-11-23T08:55:00Z", "READY");
    d.odigo("bob", "2026-11-23T09:30:00Z", "READY");
    let reports: Vec<Value> = {
        let out = d.run("2026-11-23T09:45:00Z");
        out.topic("rta.unmapped")
            .into_iter()
            .map(|r| r["value"].clone())
            .collect()
    };
    assert_eq!(reports[0]["kind"], "identifier");
    assert_eq!(reports[0]["value"], "Bob ");
    assert_eq!(reports[0]["suggestions"], json!(["bob"]));
    d.identifier("Bob ", "p2");
    let out = d.run("2026-11-23T10:00:00Z");
    let s = out.state("p2");
    assert_eq!(s["actual"]["externalStatus"], "READY");
    assert_eq!(s["actual"]["since"], "2026-11-23T08:55:00Z");
    assert_eq!(s["today"]["inAdherenceSeconds"], 3600);
    assert!(out.topic("rta.unmapped").last().unwrap()["value"].is_null());
}

#[test]
fn moved_identifier_takes_its_events_along() {
    let mut d = Day::new("UTC");
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY");
    d.odigo("bob", "2026-11-23T09:20:00Z", "BUSY");
    d.identifier("bob", "p3");
    let out = d.run("2026-11-23T09:30:00Z");
    // READY at 09:00 then BUSY at 09:20: the current status began at 09:20.
    assert_eq!(out.state("p3")["actual"]["externalStatus"], "BUSY");
    assert_eq!(out.state("p3")["actual"]["since"], "2026-11-23T09:20:00Z");
    assert_eq!(out.state("p3")["today"]["actualSeconds"], 1800);
    assert_eq!(out.state("p1")["actual"]["online"], false);
    assert_eq!(out.state("p1")["today"]["actualSeconds"], 0);
}

#[test]
fn paused_integration_holds_and_resume_applies() {
    let mut d = Day::new("UTC");
    d.config("acme/integration/8431", json!({"kind":"integration","account":"acme","id":"8431","vendor":"odigo","detailedBreaks":true,"paused":true}));
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY");
    let held = d.run("2026-11-23T09:30:00Z");
    assert_eq!(held.state("p1")["actual"]["online"], false);
    d.config("acme/integration/8431", json!({"kind":"integration","account":"acme","id":"8431","vendor":"odigo","detailedBreaks":true,"paused":false}));
    let out = d.run("2026-11-23T09:30:00Z");
    assert_eq!(out.state("p1")["actual"]["since"], "2026-11-23T09:00:00Z");
    assert_eq!(out.state("p1")["today"]["actualSeconds"], 1800);
}

#[test]
fn deleted_integration_dead_letters_new_events_and_keeps_old() {
    let mut d = Day::new("UTC");
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY");
    d.raw(r#"{"topic":"rta.config","key":"acme/integration/8431","value":null}"#);
    d.odigo("bob", "2026-11-23T09:10:00Z", "LOGOUT");
    let out = d.run("2026-11-23T09:30:00Z");
    assert_eq!(out.dead_letters(), ["unknown_integration"]);
    assert_eq!(out.state("p1")["actual"]["online"], true);
}

#[test]
fn injixo_items_cover_and_end() {
    let mut d = Day::new("UTC");
    d.config(
        "acme/integration/9100",
        json!({"kind":"integration","account":"acme","id":"9100","vendor":"injixo-api"}),
    );
    d.config("acme/status/9100/Calls", json!({"kind":"status","account":"acme","integration":"9100","externalStatus":"Calls","activity":"1"}));
    d.config("acme/status/9100/Lunch", json!({"kind":"status","account":"acme","integration":"9100","externalStatus":"Lunch","activity":"7"}));
    d.config("acme/identifier/9100/ann@x.com", json!({"kind":"identifier","account":"acme","integration":"9100","externalId":"ann@x.com","person":"p4"}));
    // Calls 09:00–11:00 covers Lunch 09:30–10:00's end: back on Calls at 10:00; offline at 11:00.
    let body = json!({"data":[
        {"agentIdentifier":"ann@x.com","activityIdentifier":"Calls","startTime":"2026-11-23T09:00:00Z","endTime":"2026-11-23T11:00:00Z"},
        {"agentIdentifier":"ann@x.com","activityIdentifier":"Lunch","startTime":"2026-11-23T09:30:00Z","endTime":"2026-11-23T10:00:00Z"}],
        "meta":{"integrationConfigurationId":9100,"externalSystem":"My ACD"}});
    d.raw(&json!({"topic":"rta.agent-events","key":"acme","value":body}).to_string());
    let out = d.run("2026-11-23T12:00:00Z");
    let ivs = out.intervals();
    assert_eq!(
        ivs["acme/p4/2026-11-23T09:30:00Z"]["activitySeconds"]["7"],
        900
    );
    assert_eq!(
        ivs["acme/p4/2026-11-23T10:00:00Z"]["activitySeconds"]["1"],
        900
    );
    assert_eq!(out.state("p4")["actual"]["online"], false);
    assert_eq!(out.state("p4")["today"]["actualSeconds"], 7200);
    // An open-ended item is still ongoing at the clock.
    let mut d2 = Day::new("UTC");
    d2.lines.extend(
        d.lines[d.lines.len() - 5..d.lines.len() - 1]
            .iter()
            .cloned(),
    );
    let open = json!({"data":[{"agentIdentifier":"ann@x.com","activityIdentifier":"Calls","startTime":"2026-11-23T09:00:00Z"}],"meta":{"integrationConfigurationId":9100}});
    d2.raw(&json!({"topic":"rta.agent-events","key":"acme","value":open}).to_string());
    let out = d2.run("2026-11-23T10:00:00Z");
    assert_eq!(out.state("p4")["actual"]["online"], true);
    assert_eq!(out.state("p4")["today"]["actualSeconds"], 3600);
}

#[test]
fn berlin_fall_back_day_has_a_25_hour_day_and_local_intervals() {
    // 2026-10-25: CEST→CET at 01:00Z. Local 02:00–03:00 happens twice.
    let mut d = Day::new("Europe/Berlin");
    d.odigo("bob", "2026-10-24T22:00:00Z", "READY"); // local 00:00 CEST
    let out = d.run("2026-10-25T23:00:00Z"); // local 00:00 CET next day
    let ivs = out.intervals();
    let day: Vec<&String> = ivs
        .keys()
        .filter(|k| {
            k.as_str() >= "acme/p1/2026-10-24T22:00:00Z"
                && k.as_str() < "acme/p1/2026-10-25T23:00:00Z"
        })
        .collect();
    assert_eq!(day.len(), 100, "a 25-hour local day has 100 quarter hours");
    let first_today = ivs
        .values()
        .filter(|v| v["intervalStart"] == "2026-10-25T01:00:00Z")
        .count();
    assert_eq!(first_today, 1);
}

#[test]
fn kolkata_hourly_intervals_start_at_half_past_utc() {
    let mut d = Day::new("Asia/Kolkata");
    d.config(
        "acme/settings",
        json!({"kind":"settings","account":"acme","timeZone":"Asia/Kolkata","intervalMinutes":60}),
    );
    d.odigo("bob", "2026-11-23T03:40:00Z", "READY");
    let out = d.run("2026-11-23T06:30:00Z");
    let starts: Vec<String> = out
        .intervals()
        .values()
        .map(|v| v["intervalStart"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-11-23T03:30:00Z",
            "2026-11-23T04:30:00Z",
            "2026-11-23T05:30:00Z"
        ]
    );
    assert_eq!(
        out.intervals()["acme/p1/2026-11-23T03:30:00Z"]["actualSeconds"],
        3000
    );
}

#[test]
fn midnight_crossing_shift_resets_today_at_local_midnight() {
    let mut d = Day::new("UTC");
    d.schedule(
        "p1",
        "2026-11-23",
        &[("1", "2026-11-23T22:00:00Z", "2026-11-24T02:00:00Z")],
    );
    d.odigo("bob", "2026-11-23T22:00:00Z", "READY")
        .odigo("bob", "2026-11-24T02:00:00Z", "LOGOUT");
    let out = d.run("2026-11-24T03:00:00Z");
    let s = out.state("p1");
    assert_eq!(s["today"]["date"], "2026-11-24");
    assert_eq!(s["today"]["scheduledSeconds"], 7200);
    assert_eq!(out.intervals().len(), 16);
}

#[test]
fn duplicates_change_nothing() {
    let mut d = Day::new("UTC");
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY")
        .odigo("bob", "2026-11-23T09:00:00Z", "READY");
    d.raw(r#"{"topic":"rta.agent-events","key":"acme","headers":{"rta-integration":"8431"},"value":{"eventId":"x1","timestamp":"2026-11-23T09:05:00Z","login":"bob","state":"BUSY"}}"#);
    d.raw(r#"{"topic":"rta.agent-events","key":"acme","headers":{"rta-integration":"8431"},"value":{"eventId":"x1","timestamp":"2026-11-23T09:06:00Z","login":"bob","state":"READY"}}"#);
    let input = d.lines.join("\n");
    let mut buf = Vec::new();
    let stats =
        rta::cli::process::process(input.as_bytes(), EngineOptions::default(), None, &mut buf)
            .unwrap();
    assert_eq!(stats.duplicates, 2);
    assert_eq!(stats.events_applied, 2);
}

#[test]
fn every_dead_letter_reason() {
    let mut d = Day::new("UTC");
    let ev = |v: &str| {
        format!(
            r#"{{"topic":"rta.agent-events","key":"acme","headers":{{"rta-integration":"8431"}},"value":{v}}}"#
        )
    };
    d.raw(&ev(r#""{not json""#));
    d.raw(&ev(
        r#"{"timestamp":"2026-11-23T09:00:00Z","state":"READY"}"#,
    ));
    d.raw(&ev(
        r#"{"timestamp":"tuesday","login":"bob","state":"READY"}"#,
    ));
    d.raw(r#"{"topic":"rta.agent-events","key":"acme","headers":{"rta-integration":"777"},"value":{"timestamp":"2026-11-23T09:00:00Z","login":"bob","state":"READY"}}"#);
    d.odigo("bob", "2026-11-26T09:00:00Z", "READY");
    d.odigo("bob", "2026-11-23T09:00:00Z", "READY"); // 72 h before the clock
    d.raw(r#"{"topic":"rta.config","key":"acme/activity/5","value":{"kind":"activity","account":"acme","id":"6","type":"break"}}"#);
    d.raw("this is not an envelope");
    d.raw(r#"{"topic":"rta.elsewhere","key":"x","value":{}}"#);
    d.raw(r#"{"topic":"rta.agent-events","value":{"timestamp":"2026-11-26T09:00:00Z","login":"bob","state":"READY"}}"#);
    let out = d.run("2026-11-26T10:00:00Z");
    let mut reasons = out.dead_letters();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "bad_timestamp",
            "invalid_config",
            "invalid_envelope",
            "invalid_json",
            "missing_field",
            "missing_field",
            "too_late",
            "unknown_integration",
            "unknown_topic"
        ]
    );
    let dlq = out.topic("rta.dlq");
    let first = &dlq[0]["value"];
    assert_eq!(first["topic"], "rta.agent-events");
    assert_eq!(first["payload"], "{not json");
    assert!(first["offset"].as_i64().unwrap() > 0);
}

#[test]
fn future_timestamps_are_dead_letters_on_the_external_clock() {
    use rta::engine::{ClockMode, Engine, Origin};
    let mut engine = Engine::new(EngineOptions {
        clock: ClockMode::External,
        ..EngineOptions::default()
    });
    let mut out = rta::engine::Outputs::default();
    let cfg = r#"{"kind":"integration","account":"acme","id":"8431","vendor":"odigo"}"#;
    engine.on_config(
        &Origin {
            topic: "rta.config",
            partition: 0,
            offset: 0,
            key: Some(b"acme/integration/8431"),
            payload: Some(cfg.as_bytes()),
        },
        &mut out,
    );
    engine.advance_clock(
        rta::time::parse_rfc3339("2026-11-23T09:00:00Z").unwrap(),
        &mut out,
    );
    let ev = br#"{"timestamp":"2026-11-23T09:06:00Z","login":"bob","state":"READY"}"#;
    engine.on_event(
        &Origin {
            topic: "rta.agent-events",
            partition: 3,
            offset: 42,
            key: Some(b"acme"),
            payload: Some(ev),
        },
        Some("8431"),
        &mut out,
    );
    let dlq: Value = serde_json::from_slice(out.iter().last().unwrap().value.unwrap()).unwrap();
    assert_eq!(dlq["reason"], "future_timestamp");
    assert_eq!(dlq["partition"], 3);
    assert_eq!(dlq["offset"], 42);
    let ok = br#"{"timestamp":"2026-11-23T09:04:00Z","login":"bob","state":"READY"}"#;
    let before = out.len();
    engine.on_event(
        &Origin {
            topic: "rta.agent-events",
            partition: 3,
            offset: 43,
            key: Some(b"acme"),
            payload: Some(ok),
        },
        Some("8431"),
        &mut out,
    );
    assert!(
        out.iter()
            .skip(before)
            .all(|o| o.topic != rta::engine::OutTopic::Dlq),
        "4 minutes ahead is within tolerance"
    );
}
