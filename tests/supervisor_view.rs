//! Scenario tests of what a supervisor's view relies on (issue 12), driven through the pure
//! engine with an injected clock (external and event time; no broker, no sleeps): no record
//! states an instant the clock has not reached, the local day rolls over at local midnight
//! (DST days, a 45-minute offset), and agent states carry names joined from the config.

use rta::engine::{ClockMode, Engine, EngineOptions, Origin, Outputs};
use rta::time::{parse_rfc3339, Millis};
use serde_json::{json, Value};

fn at(s: &str) -> Millis {
    parse_rfc3339(s).unwrap()
}

/// One output record as JSON.
#[derive(Clone, Debug)]
struct Rec {
    topic: &'static str,
    key: String,
    value: Value,
}

/// An engine for account `acme` (integration 8431, odigo; bob → p1; READY → 1, PAUSE:LUNCH →
/// 7 "Lunch"), fed record by record; every output is checked against the account clock.
struct Rig {
    engine: Engine,
    out: Outputs,
    offset: i64,
    records: Vec<Rec>,
}

impl Rig {
    fn new(clock: ClockMode, tz: &str) -> Rig {
        let mut r = Rig {
            engine: Engine::new(EngineOptions {
                clock,
                ..EngineOptions::default()
            }),
            out: Outputs::default(),
            offset: 0,
            records: Vec::new(),
        };
        r.config(
            "settings",
            json!({"kind":"settings","account":"acme","timeZone":tz}),
        );
        r.config(
            "activity/7",
            json!({"kind":"activity","account":"acme","id":"7","name":"Lunch","type":"break"}),
        );
        r.config("integration/8431", json!({"kind":"integration","account":"acme","id":"8431","vendor":"odigo","detailedBreaks":true}));
        for (s, a) in [("READY", "1"), ("PAUSE:LUNCH", "7")] {
            r.config(&format!("status/8431/{s}"), json!({"kind":"status","account":"acme","integration":"8431","externalStatus":s,"activity":a}));
        }
        r.config("identifier/8431/bob", json!({"kind":"identifier","account":"acme","integration":"8431","externalId":"bob","person":"p1"}));
        r
    }

    fn config(&mut self, key: &str, value: Value) -> &mut Rig {
        let key = format!("acme/{key}");
        let payload = value.to_string();
        self.offset += 1;
        self.engine.on_config(
            &Origin {
                topic: "rta.config",
                partition: 0,
                offset: self.offset,
                key: Some(key.as_bytes()),
                payload: Some(payload.as_bytes()),
            },
            &mut self.out,
        );
        self.collect()
    }

    /// A schedule of one segment of activity 1.
    fn shift(&mut self, person: &str, date: &str, start: &str, end: &str) -> &mut Rig {
        self.config(
            &format!("schedule/{person}/{date}"),
            json!({"kind":"schedule","account":"acme","person":person,"date":date,
                   "segments":[{"activity":"1","start":start,"end":end}]}),
        )
    }

    fn odigo(&mut self, ts: &str, state: &str) -> &mut Rig {
        let (state, code) = match state.split_once(':') {
            Some((s, c)) => (s, Some(c)),
            None => (state, None),
        };
        let mut v = json!({"timestamp":ts,"login":"bob","state":state});
        if let Some(c) = code {
            v["pauseCode"] = json!(c);
        }
        let payload = v.to_string();
        self.offset += 1;
        self.engine.on_event(
            &Origin {
                topic: "rta.agent-events",
                partition: 0,
                offset: self.offset,
                key: Some(b"acme"),
                payload: Some(payload.as_bytes()),
            },
            Some("8431"),
            &mut self.out,
        );
        self.collect()
    }

    /// External clock: advance to `t`.
    fn clock(&mut self, t: &str) -> &mut Rig {
        self.engine.advance_clock(at(t), &mut self.out);
        self.collect()
    }

    /// Take the new outputs, checking that none states an instant past the account clock.
    fn collect(&mut self) -> &mut Rig {
        let clock = self.engine.account("acme").and_then(|a| a.clock);
        for o in self.out.iter() {
            let Some(bytes) = o.value else { continue };
            let value: Value = serde_json::from_slice(bytes).unwrap();
            let topic = o.topic.default_name();
            for field in [
                "/at",
                "/actual/since",
                "/oooSince",
                "/since",
                "/intervalEnd",
            ] {
                if let Some(t) = value.pointer(field).and_then(Value::as_str) {
                    let clock = clock.expect("no record before the clock started");
                    assert!(
                        at(t) <= clock,
                        "{topic} {field} {t} is past the clock {}: {value}",
                        rta::time::format_rfc3339(clock)
                    );
                }
            }
            self.records.push(Rec {
                topic,
                key: o.key.unwrap_or_default().to_string(),
                value,
            });
        }
        self.out.clear();
        self
    }

    /// Agent-state records of a person, in order.
    fn states(&self, person: &str) -> Vec<&Value> {
        let key = format!("acme/{person}");
        self.records
            .iter()
            .filter(|r| r.topic == "rta.agent-states" && r.key == key)
            .map(|r| &r.value)
            .collect()
    }

    fn state(&self, person: &str) -> &Value {
        self.states(person).last().copied().expect("a state record")
    }

    fn alerts(&self) -> Vec<(String, String)> {
        self.records
            .iter()
            .filter(|r| r.topic == "rta.adherence-events")
            .map(|r| {
                let v = &r.value;
                (
                    v["kind"].as_str().unwrap().into(),
                    v["at"].as_str().unwrap().into(),
                )
            })
            .collect()
    }
}

#[test]
fn a_schedule_for_tomorrow_is_evaluated_when_its_time_comes() {
    let mut r = Rig::new(ClockMode::External, "UTC");
    r.clock("2026-11-23T20:00:00Z");
    r.shift(
        "p2",
        "2026-11-24",
        "2026-11-24T09:00:00Z",
        "2026-11-24T17:00:00Z",
    );
    // Published now: offline, nothing scheduled, at (not after) the clock.
    let s = r.state("p2").clone();
    assert_eq!(r.states("p2").len(), 1);
    assert!(at(s["at"].as_str().unwrap()) <= at("2026-11-23T20:00:00Z"));
    assert_eq!(s["adherence"], "none");
    assert_eq!(s["oooType"], Value::Null);
    assert_eq!(s["scheduled"], Value::Null);
    assert_eq!(s["actual"]["online"], false);
    assert_eq!(s["today"]["date"], "2026-11-23");
    // Nothing happens for p2 before the shift (no midnight record: the 23rd had nothing).
    r.clock("2026-11-24T08:59:59Z");
    assert_eq!(r.states("p2").len(), 1);
    // The shift starts: notPresent, in its buffer, once the clock is past the start (plus
    // the allowed lateness).
    r.clock("2026-11-24T09:00:03Z");
    let s = r.state("p2");
    assert_eq!(s["at"], "2026-11-24T09:00:00Z");
    assert_eq!(s["oooType"], "notPresent");
    assert_eq!(s["oooSince"], "2026-11-24T09:00:00Z");
    assert_eq!(s["inBuffer"], true);
    assert_eq!(s["scheduled"]["start"], "2026-11-24T09:00:00Z");
    assert!(r.alerts().is_empty());
    // The buffer (120 s) runs out: the alert and the state say so at 09:02.
    r.clock("2026-11-24T09:02:05Z");
    assert_eq!(
        r.alerts(),
        [(
            "outOfAdherence".to_string(),
            "2026-11-24T09:02:00Z".to_string()
        )]
    );
    assert_eq!(r.state("p2")["inBuffer"], false);
    assert_eq!(r.state("p2")["adherence"], "out");
}

#[test]
fn config_before_any_event_publishes_nothing_until_time_is_known() {
    // Event time (offline, rebuilds): the schedules arrive before any event, so no time is
    // known. A person is first published when their data begins and the clock has got there
    // (independent of which record started the clock): p3 (09:00 today) at 09:00 once the
    // first event (10:00) starts the clock; p2 (tomorrow) not at all today, notPresent when
    // tomorrow's shift starts.
    let mut r = Rig::new(ClockMode::EventTime, "UTC");
    r.shift(
        "p2",
        "2026-11-24",
        "2026-11-24T09:00:00Z",
        "2026-11-24T17:00:00Z",
    );
    r.shift(
        "p3",
        "2026-11-23",
        "2026-11-23T09:00:00Z",
        "2026-11-23T17:00:00Z",
    );
    assert!(r.states("p2").is_empty() && r.states("p3").is_empty());
    r.odigo("2026-11-23T10:00:00Z", "READY");
    let p3: Vec<(&str, &str)> = r
        .states("p3")
        .iter()
        .map(|s| {
            (
                s["at"].as_str().unwrap(),
                s["oooType"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        p3,
        [
            ("2026-11-23T09:00:00Z", "notPresent"),
            ("2026-11-23T09:02:00Z", "notPresent")
        ],
        "p3's shift from its start, live, as the clock passed it"
    );
    assert!(
        r.states("p2").is_empty(),
        "tomorrow's shift is not evaluated today"
    );
    r.odigo("2026-11-24T09:05:00Z", "PAUSE:LUNCH");
    let np: Vec<&Value> = r
        .states("p2")
        .into_iter()
        .filter(|s| s["oooType"] == "notPresent")
        .collect();
    assert_eq!(np[0]["at"], "2026-11-24T09:00:00Z");
    assert_eq!(
        r.states("p2")[0]["at"],
        "2026-11-24T09:00:00Z",
        "p2's first record"
    );
    assert_eq!(
        r.alerts()
            .iter()
            .filter(|(k, _)| k == "outOfAdherence")
            .count(),
        3,
        "p3, p1 (no schedule, online since the day before) and p2: {:?}",
        r.alerts()
    );
}

#[test]
fn an_event_ahead_of_the_external_clock_waits_for_it() {
    let mut r = Rig::new(ClockMode::External, "UTC");
    r.clock("2026-11-23T09:00:00Z");
    r.shift(
        "p1",
        "2026-11-23",
        "2026-11-23T09:00:00Z",
        "2026-11-23T17:00:00Z",
    );
    // The relay's clock runs 3 minutes ahead (within the 5-minute tolerance).
    r.odigo("2026-11-23T09:03:00Z", "READY");
    assert!(r
        .states("p1")
        .iter()
        .all(|s| s["actual"]["online"] == false));
    r.clock("2026-11-23T09:02:59Z");
    assert!(r
        .states("p1")
        .iter()
        .all(|s| s["actual"]["online"] == false));
    r.clock("2026-11-23T09:03:02Z");
    let s = r.state("p1");
    assert_eq!(s["actual"]["online"], true);
    assert_eq!(s["at"], "2026-11-23T09:03:00Z");
    assert_eq!(s["adherence"], "in");
}

/// Berlin's DST days: the day rolls over at local midnight (22:00Z in summer time, 23:00Z in
/// winter time), once, with the new day's figures restarting from zero.
#[test]
fn the_day_rolls_over_at_local_midnight_on_berlin_dst_days() {
    for (date, day_start, next_midnight, summer_midnight) in [
        // 23-hour day: CET until 01:00Z, then CEST.
        (
            "2026-03-29",
            "2026-03-29T06:00:00Z",
            "2026-03-29T22:00:00Z",
            None,
        ),
        // 25-hour day: CEST until 01:00Z, then CET.
        (
            "2026-10-25",
            "2026-10-25T06:00:00Z",
            "2026-10-25T23:00:00Z",
            Some("2026-10-25T22:00:00Z"),
        ),
    ] {
        let mut r = Rig::new(ClockMode::External, "Europe/Berlin");
        r.clock(day_start);
        let t = |h: &str| format!("{date}T{h}Z");
        r.shift("p1", date, &t("07:00:00"), &t("15:00:00"));
        r.clock(&t("06:55:00")).odigo(&t("06:55:00"), "READY");
        r.clock(&t("15:00:00")).odigo(&t("15:00:00"), "LOGOUT");
        r.clock(&t("16:00:00"));
        let before = r.states("p1").len();
        if let Some(m) = summer_midnight {
            // Midnight on the summer offset is not midnight any more.
            r.clock(m).clock(&t("22:30:00"));
            assert_eq!(r.states("p1").len(), before);
        }
        r.clock(next_midnight);
        let last = r.state("p1").clone();
        assert_eq!(last["today"]["date"], date);
        assert_eq!(last["today"]["scheduledSeconds"], 28800);
        let soon = at(next_midnight) + 3_000;
        r.clock(&rta::time::format_rfc3339(soon));
        let states = r.states("p1");
        assert_eq!(states.len(), before + 1, "one record at local midnight");
        let s = states[before].clone();
        assert_eq!(s["at"], next_midnight);
        assert_ne!(s["today"]["date"], date);
        assert_eq!(s["today"]["scheduledSeconds"], 0);
        assert_eq!(s["today"]["actualSeconds"], 0);
        assert_eq!(s["today"]["adherencePercent"], Value::Null);
        assert_eq!(s["adherence"], "none");
        // The next day had nothing: no record at its end.
        r.clock(&rta::time::format_rfc3339(soon + 30 * 3_600_000));
        assert_eq!(r.states("p1").len(), before + 1);
    }
}

/// Kathmandu is UTC+05:45: local midnight is 18:15Z. On the event-time clock too.
#[test]
fn the_day_rolls_over_at_local_midnight_in_kathmandu() {
    let mut r = Rig::new(ClockMode::EventTime, "Asia/Kathmandu");
    // p3 scheduled 09:00–17:00 local on the 22nd and never online; p1 online, unscheduled,
    // from 22:45 local across midnight.
    r.shift(
        "p3",
        "2026-11-22",
        "2026-11-22T03:15:00Z",
        "2026-11-22T11:15:00Z",
    );
    r.odigo("2026-11-22T03:00:00Z", "LOGOUT");
    r.odigo("2026-11-22T17:00:00Z", "READY");
    r.clock("2026-11-22T18:14:00Z");
    let p1_before = r.states("p1").len();
    let p3_before = r.states("p3").len();
    assert_eq!(r.state("p1")["today"]["date"], "2026-11-22");
    assert_eq!(r.state("p3")["today"]["date"], "2026-11-22");
    r.clock("2026-11-22T18:20:00Z");
    let (p1, p3) = (r.states("p1"), r.states("p3"));
    assert_eq!(p1.len(), p1_before + 1);
    assert_eq!(p3.len(), p3_before + 1);
    for s in [p1[p1_before], p3[p3_before]] {
        assert_eq!(s["at"], "2026-11-22T18:15:00Z");
        assert_eq!(s["today"]["date"], "2026-11-23");
        assert_eq!(s["today"]["actualSeconds"], 0);
        assert_eq!(s["today"]["scheduledSeconds"], 0);
    }
    // p1 stays online and notScheduled across midnight; only the day changed.
    assert_eq!(p1[p1_before]["adherence"], "notScheduled");
    assert_eq!(p1[p1_before]["oooSince"], "2026-11-22T17:00:00Z");
    // Later in the new day p1's figures are the new day's only.
    r.clock("2026-11-22T19:15:00Z");
    r.odigo("2026-11-22T19:15:00Z", "LOGOUT");
    let s = r.state("p1");
    assert_eq!(s["today"]["date"], "2026-11-23");
    assert_eq!(s["today"]["actualSeconds"], 3600);
}

#[test]
fn agent_states_carry_person_team_and_activity_names() {
    let mut r = Rig::new(ClockMode::External, "UTC");
    r.config(
        "person/p1",
        json!({"kind":"person","account":"acme","id":"p1","name":"Ann Lee","team":"Blue"}),
    );
    r.clock("2026-11-23T09:00:00Z");
    r.shift(
        "p1",
        "2026-11-23",
        "2026-11-23T09:00:00Z",
        "2026-11-23T17:00:00Z",
    );
    r.shift(
        "p3",
        "2026-11-23",
        "2026-11-23T09:00:00Z",
        "2026-11-23T17:00:00Z",
    );
    r.odigo("2026-11-23T09:00:00Z", "READY");
    let s = r.state("p1");
    assert_eq!(s["personName"], "Ann Lee");
    assert_eq!(s["team"], "Blue");
    assert_eq!(s["activityName"], "Present");
    assert_eq!(s["scheduledActivityName"], "Present");
    // No person record: null names; offline: no activity name.
    let s = r.state("p3");
    assert_eq!(s["personName"], Value::Null);
    assert_eq!(s["team"], Value::Null);
    assert_eq!(s["activityName"], Value::Null);
    assert_eq!(s["scheduledActivityName"], "Present");
    r.clock("2026-11-23T09:10:00Z")
        .odigo("2026-11-23T09:10:00Z", "PAUSE:LUNCH");
    assert_eq!(r.state("p1")["activityName"], "Lunch");
    // A renamed person, team or activity shows at once; a record that changes nothing
    // publishes nothing.
    let n = r.states("p1").len();
    r.config(
        "person/p1",
        json!({"kind":"person","account":"acme","id":"p1","name":"Ann Smith","team":"Green"}),
    );
    assert_eq!(r.states("p1").len(), n + 1);
    assert_eq!(r.state("p1")["personName"], "Ann Smith");
    assert_eq!(r.state("p1")["team"], "Green");
    r.config(
        "person/p1",
        json!({"kind":"person","account":"acme","id":"p1","name":"Ann Smith","team":"Green"}),
    );
    assert_eq!(r.states("p1").len(), n + 1);
    r.config(
        "activity/7",
        json!({"kind":"activity","account":"acme","id":"7","name":"Mittag","type":"break"}),
    );
    assert_eq!(r.states("p1").len(), n + 2);
    assert_eq!(r.state("p1")["activityName"], "Mittag");
    let p3 = r.states("p3").len();
    // (p3 is not on activity 7: nothing for them)
    assert_eq!(r.states("p3").len(), p3);
    let tombstone = "acme/person/p1";
    r.offset += 1;
    r.engine.on_config(
        &Origin {
            topic: "rta.config",
            partition: 0,
            offset: r.offset,
            key: Some(tombstone.as_bytes()),
            payload: None,
        },
        &mut r.out,
    );
    r.collect();
    assert_eq!(r.states("p1").len(), n + 3);
    assert_eq!(r.state("p1")["personName"], Value::Null);
    assert_eq!(r.state("p1")["team"], Value::Null);
    r.clock("2026-11-23T09:20:00Z")
        .odigo("2026-11-23T09:20:00Z", "LOGOUT");
    assert_eq!(r.state("p1")["activityName"], Value::Null);
    assert_eq!(r.state("p1")["scheduledActivityName"], "Present");
}
