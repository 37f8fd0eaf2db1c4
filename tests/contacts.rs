//! Scenario tests of contact events and queue intervals (SPEC §10), driven through the offline
//! engine on event time (no broker, no sleeps). Expected numbers are worked by hand.

use rta::engine::EngineOptions;
use serde_json::{json, Value};

/// NDJSON input lines of one account with an injixo-api integration `1234`.
struct Input {
    lines: Vec<String>,
}

/// One contact: (queueIdentifier, queueName, channel, timestamp, offered, handled, duration).
type C<'a> = (&'a str, &'a str, &'a str, &'a str, bool, bool, f64);

impl Input {
    fn new(tz: &str, interval_minutes: u32) -> Input {
        let mut i = Input { lines: Vec::new() };
        i.config(
            "acme/settings",
            json!({"kind":"settings","account":"acme","timeZone":tz,"intervalMinutes":interval_minutes}),
        );
        i.config(
            "acme/integration/1234",
            json!({"kind":"integration","account":"acme","id":"1234","vendor":"injixo-api","name":"My ACD"}),
        );
        i
    }

    fn config(&mut self, key: &str, value: Value) -> &mut Input {
        self.lines
            .push(json!({"topic":"rta.config","key":key,"value":value}).to_string());
        self
    }

    fn body(contacts: &[C]) -> Value {
        let data: Vec<Value> = contacts
            .iter()
            .map(|(qid, qname, ch, ts, offered, handled, d)| {
                json!({"properties":{"offered":offered,"handled":handled,"duration":d},
                       "queueName":qname,"queueIdentifier":qid,"timestamp":ts,"channel":ch})
            })
            .collect();
        json!({"data":data,"meta":{"integrationConfigurationId":1234}})
    }

    fn contacts_via(&mut self, integration: &str, value: Value) -> &mut Input {
        self.lines.push(
            json!({"topic":"rta.contact-events","key":"acme","headers":{"rta-integration":integration},"value":value})
                .to_string(),
        );
        self
    }

    fn contacts(&mut self, contacts: &[C]) -> &mut Input {
        self.contacts_via("1234", Input::body(contacts))
    }

    fn run(&self, until: &str) -> Vec<Value> {
        run_lines(&self.lines, until)
    }
}

fn run_lines(lines: &[String], until: &str) -> Vec<Value> {
    let mut out = Vec::new();
    rta::cli::process::process(
        lines.join("\n").as_bytes(),
        EngineOptions::default(),
        rta::time::parse_rfc3339(until),
        &mut out,
    )
    .unwrap();
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

fn on(out: &[Value], topic: &str) -> Vec<Value> {
    out.iter()
        .filter(|r| r["topic"] == topic)
        .cloned()
        .collect()
}

fn queue_intervals(out: &[Value]) -> Vec<Value> {
    on(out, "rta.queue-intervals")
        .into_iter()
        .map(|r| r["value"].clone())
        .collect()
}

/// (intervalStart, offered, handled, abandoned, handledSeconds, averageHandleSeconds)
fn summary(ivs: &[Value]) -> Vec<(String, u64, u64, u64, f64, Option<f64>)> {
    ivs.iter()
        .map(|v| {
            (
                v["intervalStart"].as_str().unwrap().to_string(),
                v["offered"].as_u64().unwrap(),
                v["handled"].as_u64().unwrap(),
                v["abandoned"].as_u64().unwrap(),
                v["handledSeconds"].as_f64().unwrap(),
                v["averageHandleSeconds"].as_f64(),
            )
        })
        .collect()
}

#[test]
fn a_day_of_one_queue() {
    let q = |ts, offered, handled, d| ("q1", "Support", "calls", ts, offered, handled, d);
    let mut i = Input::new("Europe/Berlin", 15);
    i.contacts(&[
        // 09:00–09:15 local (08:00Z): 3 offered, 2 handled (100 s + 140.5 s), 1 abandoned
        q("2026-11-23T08:01:00Z", true, true, 100.0),
        q("2026-11-23T08:05:00Z", true, false, 30.0),
        q("2026-11-23T08:14:59.999Z", true, true, 140.5),
    ])
    .contacts(&[
        // 09:15–09:30: 1 offered, handled in 61 s; an outbound (not offered) contact handled
        q("2026-11-23T08:15:00Z", true, true, 61.0),
        q("2026-11-23T08:20:00Z", false, true, 19.0),
    ]);
    let out = i.run("2026-11-23T09:00:00Z");
    let ivs = queue_intervals(&out);
    assert_eq!(
        summary(&ivs),
        [
            ("2026-11-23T08:00:00Z".into(), 3, 2, 1, 240.5, Some(120.25)),
            ("2026-11-23T08:15:00Z".into(), 1, 2, 0, 80.0, Some(40.0)),
        ]
    );
    let v = &ivs[0];
    assert_eq!(v["intervalEnd"], "2026-11-23T08:15:00Z");
    assert_eq!(v["revision"], 0);
    assert_eq!(v["integration"], "1234");
    assert_eq!(v["queueIdentifier"], "q1");
    assert_eq!(v["queueName"], "Support");
    assert_eq!(
        v["channels"],
        json!({"calls":{"offered":3,"handled":2,"handledSeconds":240.5}})
    );
    let keys: Vec<_> = on(&out, "rta.queue-intervals")
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        [
            "acme/1234/q1/Support/2026-11-23T08:00:00Z",
            "acme/1234/q1/Support/2026-11-23T08:15:00Z"
        ]
    );
    // no contact, no record: nothing for 08:30–09:00 although the clock passed it
    assert_eq!(ivs.len(), 2);
}

#[test]
fn an_interval_is_published_when_the_clock_passes_its_end_not_before() {
    let mut i = Input::new("UTC", 30);
    i.contacts(&[("q1", "Q", "calls", "2026-11-23T08:10:00Z", true, true, 10.0)]);
    // the clock (largest event time) is inside the interval: nothing yet
    assert!(queue_intervals(&i.run("2026-11-23T08:29:00Z")).is_empty());
    // a later contact moves the clock past the end (and the allowed lateness)
    i.contacts(&[("q1", "Q", "calls", "2026-11-23T08:31:00Z", true, true, 10.0)]);
    let out = run_lines(&i.lines, "2026-11-23T08:31:00Z");
    let ivs = queue_intervals(&out);
    assert_eq!(ivs.len(), 1);
    assert_eq!(ivs[0]["intervalStart"], "2026-11-23T08:00:00Z");
    assert_eq!(ivs[0]["intervalEnd"], "2026-11-23T08:30:00Z");
}

#[test]
fn two_channels_in_one_queue() {
    let mut i = Input::new("UTC", 60);
    i.contacts(&[
        (
            "q1",
            "Q",
            "calls",
            "2026-11-23T08:00:00Z",
            true,
            true,
            100.0,
        ),
        ("q1", "Q", "chat", "2026-11-23T08:10:00Z", true, true, 300.0),
        ("q1", "Q", "chat", "2026-11-23T08:50:00Z", true, false, 0.0),
        (
            "q1",
            "Q",
            "calls",
            "2026-11-23T08:59:00Z",
            true,
            true,
            200.0,
        ),
    ]);
    let ivs = queue_intervals(&i.run("2026-11-23T10:00:00Z"));
    assert_eq!(
        summary(&ivs),
        [("2026-11-23T08:00:00Z".into(), 4, 3, 1, 600.0, Some(200.0))]
    );
    assert_eq!(
        ivs[0]["channels"],
        json!({"calls":{"offered":2,"handled":2,"handledSeconds":300},
               "chat":{"offered":2,"handled":1,"handledSeconds":300}})
    );
}

#[test]
fn a_queue_is_integration_identifier_and_name() {
    let mut i = Input::new("UTC", 15);
    i.config(
        "acme/integration/77",
        json!({"kind":"integration","account":"acme","id":"77","vendor":"injixo-api"}),
    );
    i.contacts(&[
        (
            "1",
            "Support",
            "calls",
            "2026-11-23T08:00:00Z",
            true,
            true,
            10.0,
        ),
        (
            "2",
            "Support",
            "calls",
            "2026-11-23T08:01:00Z",
            true,
            true,
            20.0,
        ),
        (
            "1",
            "Sales",
            "calls",
            "2026-11-23T08:02:00Z",
            true,
            true,
            30.0,
        ),
        (
            "1",
            "Support",
            "calls",
            "2026-11-23T08:03:00Z",
            true,
            true,
            40.0,
        ),
    ]);
    i.contacts_via(
        "77",
        Input::body(&[(
            "1",
            "Support",
            "calls",
            "2026-11-23T08:04:00Z",
            true,
            false,
            0.0,
        )]),
    );
    let out = i.run("2026-11-23T09:00:00Z");
    let mut got: Vec<(String, u64, f64)> = on(&out, "rta.queue-intervals")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["value"]["offered"].as_u64().unwrap(),
                r["value"]["handledSeconds"].as_f64().unwrap(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let t = "2026-11-23T08:00:00Z";
    assert_eq!(
        got,
        [
            (format!("acme/1234/1/Sales/{t}"), 1, 30.0),
            (format!("acme/1234/1/Support/{t}"), 2, 50.0),
            (format!("acme/1234/2/Support/{t}"), 1, 20.0),
            (format!("acme/77/1/Support/{t}"), 1, 0.0),
        ]
    );
}

#[test]
fn key_parts_with_slash_or_percent_are_percent_encoded() {
    let mut i = Input::new("UTC", 15);
    i.contacts(&[(
        "a/b",
        "50% off",
        "calls",
        "2026-11-23T08:00:00Z",
        true,
        true,
        1.0,
    )]);
    let out = i.run("2026-11-23T09:00:00Z");
    let r = &on(&out, "rta.queue-intervals")[0];
    assert_eq!(r["key"], "acme/1234/a%2Fb/50%25 off/2026-11-23T08:00:00Z");
    assert_eq!(r["value"]["queueIdentifier"], "a/b");
}

#[test]
fn a_late_contact_revises_its_interval() {
    let mut i = Input::new("UTC", 15);
    i.contacts(&[
        ("q1", "Q", "calls", "2026-11-23T08:00:00Z", true, true, 60.0),
        ("q1", "Q", "calls", "2026-11-23T09:00:00Z", true, true, 60.0),
    ])
    // an hour late, within the retention: 08:00–08:15 gets revision 1
    .contacts(&[(
        "q1",
        "Q",
        "calls",
        "2026-11-23T08:10:00Z",
        true,
        true,
        120.0,
    )]);
    let ivs = queue_intervals(&i.run("2026-11-23T09:00:00Z"));
    let first: Vec<_> = ivs
        .iter()
        .filter(|v| v["intervalStart"] == "2026-11-23T08:00:00Z")
        .map(|v| {
            (
                v["revision"].as_u64().unwrap(),
                v["offered"].as_u64().unwrap(),
                v["averageHandleSeconds"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(first, [(0, 1, 60.0), (1, 2, 90.0)]);
}

#[test]
fn a_contact_older_than_the_retention_is_too_late() {
    let mut i = Input::new("UTC", 15);
    i.contacts(&[("q1", "Q", "calls", "2026-11-25T10:00:00Z", true, true, 1.0)])
        .contacts(&[("q1", "Q", "calls", "2026-11-23T09:59:00Z", true, true, 1.0)]);
    let out = i.run("2026-11-25T11:00:00Z");
    let dlq = on(&out, "rta.dlq");
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0]["value"]["reason"], "too_late");
    assert_eq!(queue_intervals(&out).len(), 1);
}

#[test]
fn a_resubmitted_body_counts_once() {
    let body = Input::body(&[
        ("q1", "Q", "calls", "2026-11-23T08:00:00Z", true, true, 60.0),
        ("q1", "Q", "calls", "2026-11-23T08:01:00Z", true, false, 0.0),
    ]);
    let mut i = Input::new("UTC", 15);
    i.contacts_via("1234", body.clone())
        .contacts_via("1234", body.clone())
        .contacts(&[("q1", "Q", "calls", "2026-11-23T08:20:00Z", true, true, 1.0)])
        .contacts_via("1234", body);
    let ivs = queue_intervals(&i.run("2026-11-23T09:00:00Z"));
    let first: Vec<_> = ivs
        .iter()
        .filter(|v| v["intervalStart"] == "2026-11-23T08:00:00Z")
        .collect();
    assert_eq!(first.len(), 1, "published once, never revised: {ivs:?}");
    assert_eq!(first[0]["offered"], 2);
    assert_eq!(first[0]["abandoned"], 1);
}

#[test]
fn a_dst_day_in_berlin() {
    // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST (01:00Z). Hourly intervals.
    let mut i = Input::new("Europe/Berlin", 60);
    i.contacts(&[
        ("q1", "Q", "calls", "2026-03-29T00:30:00Z", true, true, 10.0), // 01:30 CET
        ("q1", "Q", "calls", "2026-03-29T01:10:00Z", true, true, 20.0), // 03:10 CEST
        ("q1", "Q", "calls", "2026-03-29T01:50:00Z", true, true, 30.0), // 03:50 CEST
        ("q1", "Q", "calls", "2026-03-29T02:00:00Z", true, true, 40.0), // 04:00 CEST
    ]);
    let ivs = queue_intervals(&i.run("2026-03-29T04:00:00Z"));
    let spans: Vec<_> = ivs
        .iter()
        .map(|v| {
            (
                v["intervalStart"].as_str().unwrap(),
                v["intervalEnd"].as_str().unwrap(),
                v["offered"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            ("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", 1),
            ("2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", 2),
            ("2026-03-29T02:00:00Z", "2026-03-29T03:00:00Z", 1),
        ]
    );
}

#[test]
fn a_45_minute_offset_zone() {
    // Asia/Kathmandu is UTC+05:45: local hours start at :15 UTC.
    let mut i = Input::new("Asia/Kathmandu", 60);
    i.contacts(&[
        ("q1", "Q", "calls", "2026-11-23T03:14:59Z", true, true, 10.0), // 08:59:59 local
        ("q1", "Q", "calls", "2026-11-23T03:15:00Z", true, true, 20.0), // 09:00 local
        ("q1", "Q", "calls", "2026-11-23T04:14:00Z", true, false, 0.0), // 09:59 local
    ]);
    let ivs = queue_intervals(&i.run("2026-11-23T06:00:00Z"));
    let spans: Vec<_> = ivs
        .iter()
        .map(|v| {
            (
                v["intervalStart"].as_str().unwrap(),
                v["offered"].as_u64().unwrap(),
                v["handled"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            ("2026-11-23T02:15:00Z", 1, 1),
            ("2026-11-23T03:15:00Z", 2, 1)
        ]
    );
}

#[test]
fn a_bad_item_among_good_ones() {
    let mut i = Input::new("UTC", 15);
    let good = |ts| json!({"properties":{"offered":true,"handled":true,"duration":5},"queueName":"Q","queueIdentifier":"q1","timestamp":ts,"channel":"calls"});
    let body = json!({"data":[
        good("2026-11-23T08:00:00Z"),
        {"properties":{"offered":true,"handled":true},"queueName":"Q","timestamp":"2026-11-23T08:01:00Z","channel":"calls"},
        good("2026-11-23T08:02:00Z"),
        {"properties":{"offered":true,"handled":true,"duration":-3},"queueName":"Q","queueIdentifier":"q1","timestamp":"2026-11-23T08:03:00Z","channel":"calls"},
    ],"meta":{"integrationConfigurationId":1234}});
    i.contacts_via("1234", body);
    let out = i.run("2026-11-23T09:00:00Z");
    let dlq: Vec<_> = on(&out, "rta.dlq")
        .iter()
        .map(|r| {
            (
                r["value"]["reason"].as_str().unwrap().to_string(),
                r["value"]["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(dlq.len(), 2, "{dlq:?}");
    assert_eq!(dlq[0].0, "missing_field");
    assert!(dlq[0].1.starts_with("item 1:"), "{}", dlq[0].1);
    assert_eq!(dlq[1].0, "invalid_value");
    assert!(dlq[1].1.starts_with("item 3:"), "{}", dlq[1].1);
    let ivs = queue_intervals(&out);
    assert_eq!(ivs[0]["offered"], 2);
}

#[test]
fn unknown_and_wrong_vendor_integrations_are_dead_letters() {
    let mut i = Input::new("UTC", 15);
    i.config(
        "acme/integration/8431",
        json!({"kind":"integration","account":"acme","id":"8431","vendor":"odigo"}),
    );
    let body = Input::body(&[("q1", "Q", "calls", "2026-11-23T08:00:00Z", true, true, 1.0)]);
    i.contacts_via("9999", body.clone())
        .contacts_via("8431", body.clone());
    i.lines.push(
        json!({"topic":"rta.contact-events","key":"other","headers":{"rta-integration":"1234"},"value":body})
            .to_string(),
    );
    let out = i.run("2026-11-23T09:00:00Z");
    let reasons: Vec<_> = on(&out, "rta.dlq")
        .iter()
        .map(|r| r["value"]["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reasons, ["unknown_integration"; 3]);
    assert!(queue_intervals(&out).is_empty());
}

#[test]
fn the_integration_id_may_come_from_the_payload_meta() {
    let mut i = Input::new("UTC", 15);
    let body = Input::body(&[("q1", "Q", "calls", "2026-11-23T08:00:00Z", true, true, 1.0)]);
    i.lines
        .push(json!({"topic":"rta.contact-events","key":"acme","value":body}).to_string());
    let ivs = queue_intervals(&i.run("2026-11-23T09:00:00Z"));
    assert_eq!(ivs.len(), 1);
}

#[test]
fn a_paused_integration_holds_its_queue_intervals_until_resumed() {
    let mut i = Input::new("UTC", 15);
    let integ = |paused| json!({"kind":"integration","account":"acme","id":"1234","vendor":"injixo-api","paused":paused});
    i.config("acme/integration/1234", integ(true));
    i.contacts(&[
        ("q1", "Q", "calls", "2026-11-23T08:00:00Z", true, true, 1.0),
        ("q1", "Q", "calls", "2026-11-23T08:30:00Z", true, true, 1.0),
    ]);
    assert!(queue_intervals(&i.run("2026-11-23T09:00:00Z")).is_empty());
    i.config("acme/integration/1234", integ(false));
    let ivs = queue_intervals(&i.run("2026-11-23T09:00:00Z"));
    let starts: Vec<_> = ivs
        .iter()
        .map(|v| v["intervalStart"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2026-11-23T08:00:00Z", "2026-11-23T08:30:00Z"]);
}

#[test]
fn the_spec_examples_file_gives_two_intervals() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/contact-events.ndjson"
    ))
    .unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let ivs = queue_intervals(&run_lines(&lines, "2021-12-07T00:00:00Z"));
    assert_eq!(
        summary(&ivs),
        [
            ("2021-12-06T10:30:00Z".into(), 1, 0, 1, 0.0, None),
            ("2021-12-06T10:45:00Z".into(), 1, 1, 0, 200.1, Some(200.1)),
        ]
    );
}
