//! `rta run` against Apache Kafka (one broker for this binary, on free loopback ports): the
//! same records as `rta process`, at-least-once across a crash, bad records to the DLQ, a
//! retained poison record replayed by a restart without a crash loop.

mod common;

use common::*;
use rta::engine::OutTopic;
use rta::envelope::Envelope;
use rta::simulate::{generate, SimOptions};
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(120);

fn split(envs: Vec<Envelope>) -> (Vec<Envelope>, Vec<Envelope>) {
    envs.into_iter().partition(|e| e.topic == "rta.config")
}

fn value_json(v: &Option<Vec<u8>>) -> serde_json::Value {
    v.as_deref()
        .map(|b| serde_json::from_slice(b).expect("outputs are JSON"))
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn spec_example_through_kafka_gives_the_records_of_rta_process() {
    let broker = Broker::shared();
    let names = Names::new("spec.");
    let envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    let want = offline(&envs);
    let (config, events) = split(envs);
    create_config_topic(broker, &names);
    produce(broker, &names, &config);
    // rta creates the missing topics, reads the config to its end, then consumes events
    let mut rta = Rta::start(broker, &names, "spec", &[]);
    rta.wait_ready(WITHIN);
    let parts = end_offsets(broker, &names.topic("rta.agent-events"));
    assert_eq!(parts.len(), 3, "events topic created with --partitions 3");
    assert_eq!(
        topic_config(broker, &names.out(OutTopic::AgentStates), "cleanup.policy").as_deref(),
        Some("compact")
    );
    assert_eq!(
        topic_config(broker, &names.out(OutTopic::Intervals), "cleanup.policy").as_deref(),
        Some("compact")
    );
    produce(broker, &names, &events);
    let ends = end_offsets(broker, &names.topic("rta.agent-events"));
    wait_committed(
        broker,
        "spec",
        &names.topic("rta.agent-events"),
        &ends,
        WITHIN,
    );
    for t in OutTopic::ALL {
        let got = read_all(broker, &names.out(t));
        let expected = want.get(&t).cloned().unwrap_or_default();
        assert_same(&format!("{t:?}"), &by_key(&got), &by_key(&expected));
    }
    // the §8 numbers, read back from Kafka
    let intervals = latest(&read_all(broker, &names.out(OutTopic::Intervals)));
    let iv = value_json(&intervals["acme/p17/2026-11-23T08:00:00Z"]);
    assert_eq!(iv["inAdherenceSeconds"], 840.0);
    assert_eq!(iv["outOfAdherenceSeconds"]["notPresent"], 60.0);
    let (code, body) = rta.get("/metrics").expect("metrics");
    assert_eq!(code, 200);
    assert!(
        body.contains("rta_records_consumed_total{topic=\"spec.rta.agent-events\"} 4"),
        "{body}"
    );
    assert!(body.contains("rta_commits_total{result=\"ok\"}"));
    let (code, body) = rta.get("/api/accounts/acme/persons/p17").expect("state");
    assert_eq!(code, 200);
    assert!(body.contains("\"person\":\"p17\""), "{body}");
    assert_eq!(rta.terminate(), Some(0), "graceful shutdown exits 0");
}

/// A morning of contacts for account `acme` of the SPEC example, through injixo-api
/// integration 1234: bodies of four contacts every 10 minutes, one body resubmitted and one with
/// a bad item.
fn contact_envelopes() -> Vec<Envelope> {
    let mut envs = vec![Envelope::parse_line(
        r#"{"topic":"rta.config","key":"acme/integration/1234","value":{"kind":"integration","account":"acme","id":"1234","vendor":"injixo-api"}}"#,
    )
    .unwrap()];
    let t0 = rta::time::parse_rfc3339("2026-11-23T08:00:00Z").unwrap();
    let mut bodies = Vec::new();
    for b in 0..24i64 {
        let items: Vec<serde_json::Value> = (0..4i64)
            .map(|i| {
                let n = b * 4 + i;
                let ts = rta::time::format_rfc3339(t0 + b * 600_000 + i * 97_000);
                let queue = ["Support", "Sales"][(n % 2) as usize];
                let channel = ["calls", "chat", "email"][(n % 3) as usize];
                serde_json::json!({"properties":{"offered":n % 7 != 0,"handled":n % 5 != 0,"duration":30.5 + n as f64},
                    "queueName":queue,"queueIdentifier":format!("q-{queue}"),"timestamp":ts,"channel":channel})
            })
            .collect();
        let mut items = items;
        if b == 5 {
            items.push(
                serde_json::json!({"queueName":"Support","timestamp":"2026-11-23T08:50:00Z"}),
            );
        }
        bodies.push(
            serde_json::json!({"data":items,"meta":{"integrationConfigurationId":1234}})
                .to_string(),
        );
    }
    bodies.push(bodies[3].clone()); // a resubmission
    for b in bodies {
        envs.push(Envelope {
            topic: "rta.contact-events".into(),
            key: Some("acme".into()),
            headers: vec![("rta-integration".into(), "1234".into())],
            value: Some(b.into_bytes()),
        });
    }
    envs
}

/// Latest value per key with its `revision` removed (revisions depend on how the two input
/// topics interleave; the final figures do not).
fn final_without_revision(recs: &[Rec]) -> std::collections::BTreeMap<String, serde_json::Value> {
    latest(recs)
        .into_iter()
        .map(|(k, v)| {
            let mut v = value_json(&v);
            if let Some(o) = v.as_object_mut() {
                o.remove("revision");
            }
            (k, v)
        })
        .collect()
}

#[test]
fn contact_events_through_kafka_give_the_queue_intervals_of_rta_process() {
    let broker = Broker::shared();
    let names = Names::new("contacts.");
    let mut envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    envs.extend(contact_envelopes());
    let want = offline(&envs);
    let (config, inputs) = split(envs);
    create_config_topic(broker, &names);
    produce(broker, &names, &config);
    // rta creates rta.contact-events with the agent-events topic's partitions and consumes both
    let mut rta = Rta::start(broker, &names, "contacts", &[]);
    rta.wait_ready(WITHIN);
    let contacts_topic = names.topic("rta.contact-events");
    assert_eq!(end_offsets(broker, &contacts_topic).len(), 3);
    assert_eq!(
        topic_config(
            broker,
            &names.out(OutTopic::QueueIntervals),
            "cleanup.policy"
        )
        .as_deref(),
        Some("compact")
    );
    produce(broker, &names, &inputs);
    for topic in [names.topic("rta.agent-events"), contacts_topic.clone()] {
        let ends = end_offsets(broker, &topic);
        wait_committed(broker, "contacts", &topic, &ends, WITHIN);
    }
    let got = final_without_revision(&read_all(broker, &names.out(OutTopic::QueueIntervals)));
    let expected = final_without_revision(&want[&OutTopic::QueueIntervals]);
    assert!(
        expected.len() >= 20,
        "two queues over four hours: {}",
        expected.len()
    );
    assert_eq!(got, expected);
    // the agent side is unchanged by the second input
    let states = |r: &[Rec]| final_without_revision(r);
    assert_eq!(
        states(&read_all(broker, &names.out(OutTopic::Intervals))),
        states(&want[&OutTopic::Intervals])
    );
    // one dead letter for the bad item, none for the resubmission
    let dlq = read_all(broker, &names.out(OutTopic::Dlq));
    let reasons: Vec<String> = dlq
        .iter()
        .map(|(_, v)| value_json(v)["reason"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(reasons, ["missing_field"]);
    let (code, body) = rta.get("/metrics").expect("metrics");
    assert_eq!(code, 200);
    assert!(
        body.contains(&format!(
            "rta_records_consumed_total{{topic=\"{contacts_topic}\"}} 25"
        )),
        "{body}"
    );
    assert_eq!(rta.terminate(), Some(0));
}

#[test]
fn simulated_day_through_kafka_ends_in_the_offline_states_even_across_a_crash() {
    let broker = Broker::shared();
    let names = Names::new("day.");
    create_topics(broker, &names, 3);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    // agent events only (see common::accounts_day)
    let envs = generate(&SimOptions {
        contacts_per_day: 0,
        ..SimOptions::new(200, date, 7)
    });
    let want = offline(&envs);
    let (config, events) = split(envs);
    let half = events.len() / 2;
    produce(broker, &names, &config);
    produce(broker, &names, &events[..half]);

    // first instance: process the first half, then crash (SIGKILL, no final commit)
    // one worker each: a second worker joining after the first started would be a rebalance,
    // whose revoke republishes what was processed since the last commit (at-least-once) — not
    // the crash takeover this test counts
    let one_worker = ["--workers", "1"];
    let mut first = Rta::start(broker, &names, "day", &one_worker);
    let ends = end_offsets(broker, &names.topic("rta.agent-events"));
    wait_committed(
        broker,
        "day",
        &names.topic("rta.agent-events"),
        &ends,
        WITHIN,
    );
    first.kill();

    // the rest arrives while nothing runs; a new instance takes over
    produce(broker, &names, &events[half..]);
    let mut second = Rta::start(broker, &names, "day", &one_worker);
    let ends = end_offsets(broker, &names.topic("rta.agent-events"));
    wait_committed(
        broker,
        "day",
        &names.topic("rta.agent-events"),
        &ends,
        WITHIN,
    );
    second.wait_ready(WITHIN);
    // consumer lag per partition comes from librdkafka's statistics (every 5 s)
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, m) = second.get("/metrics").expect("metrics");
        if m.contains("rta_consumer_lag_records{partition=\"0\",topic=\"day.rta.agent-events\"} 0")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no consumer lag metric: {m}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(second.terminate(), Some(0));

    // the takeover rebuilt the first half without publishing it again
    let published = read_all(broker, &names.out(OutTopic::AgentStates)).len();
    let offline_count = want[&OutTopic::AgentStates].len();
    assert!(
        published <= offline_count + 250,
        "{published} agent states published vs {offline_count} offline: the replay was published again"
    );
    for t in [
        OutTopic::AgentStates,
        OutTopic::Intervals,
        OutTopic::Unmapped,
    ] {
        let got = latest(&read_all(broker, &names.out(t)));
        let expected = latest(want.get(&t).map(Vec::as_slice).unwrap_or_default());
        assert_eq!(got.len(), expected.len(), "{t:?}: keys differ");
        for (k, v) in &expected {
            assert_eq!(
                value_json(&got[k]),
                value_json(v),
                "{t:?} {k}: the final record differs from rta process"
            );
        }
    }
    // every out-of-adherence alert of the day was published at least once
    let alerts = |recs: &[Rec]| {
        let mut s: Vec<String> = recs
            .iter()
            .map(|(k, v)| format!("{} {}", k.clone().unwrap_or_default(), value_json(v)))
            .collect();
        s.sort();
        s.dedup();
        s
    };
    let got = alerts(&read_all(broker, &names.out(OutTopic::AdherenceEvents)));
    let expected = alerts(
        want.get(&OutTopic::AdherenceEvents)
            .map(Vec::as_slice)
            .unwrap_or_default(),
    );
    for e in &expected {
        assert!(
            got.contains(e),
            "adherence event lost across the crash: {e}"
        );
    }
}

#[test]
fn bad_records_end_in_the_dlq_and_the_service_keeps_going() {
    let broker = Broker::shared();
    let names = Names::new("bad.");
    create_topics(broker, &names, 1);
    let envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    let (config, events) = split(envs);
    // an activity without its type: reported by the account's owner once it takes over
    let bad_config = Envelope::json(
        "rta.config",
        "acme/activity/9",
        &serde_json::json!({"kind": "activity", "account": "acme", "id": "9"}),
    );
    produce(broker, &names, &config);
    produce(broker, &names, &[bad_config]);
    let mut rta = Rta::start(broker, &names, "bad", &[]);
    rta.wait_ready(WITHIN);
    let ev = |value: &[u8], header: Option<&str>| {
        let mut e = Envelope::json("rta.agent-events", "acme", &serde_json::Value::Null);
        e.value = Some(value.to_vec());
        if let Some(h) = header {
            e = e.with_header("rta-integration", h);
        }
        e
    };
    let mut input = vec![
        ev(b"\xff\xfe not json", Some("8431")),
        ev(br#"{"login":"bob.smith","state":"READY"}"#, Some("8431")),
        ev(
            br#"{"timestamp":"yesterday","login":"bob.smith","state":"READY"}"#,
            Some("8431"),
        ),
        ev(
            br#"{"timestamp":"2026-11-23T08:00:00Z","login":"x","state":"READY"}"#,
            Some("4242"),
        ),
    ];
    input.extend(events);
    produce(broker, &names, &input);
    let ends = end_offsets(broker, &names.topic("rta.agent-events"));
    wait_committed(
        broker,
        "bad",
        &names.topic("rta.agent-events"),
        &ends,
        WITHIN,
    );
    let dlq = read_all(broker, &names.out(OutTopic::Dlq));
    let reasons: Vec<String> = dlq
        .iter()
        .map(|(_, v)| value_json(v)["reason"].as_str().unwrap_or("").to_string())
        .collect();
    for want in [
        "invalid_json",
        "missing_field",
        "bad_timestamp",
        "unknown_integration",
        "invalid_config",
    ] {
        assert!(
            reasons.iter().any(|r| r == want),
            "no {want} dead letter in {reasons:?}"
        );
    }
    let cfg = dlq
        .iter()
        .map(|(_, v)| value_json(v))
        .find(|v| v["reason"] == "invalid_config")
        .unwrap();
    assert_eq!(cfg["topic"], "bad.rta.config");
    let first = value_json(
        &dlq.iter()
            .find(|(_, v)| value_json(v)["reason"] == "invalid_json")
            .unwrap()
            .1,
    );
    assert_eq!(first["topic"], "bad.rta.agent-events");
    // the good events after the bad ones were processed
    let states = latest(&read_all(broker, &names.out(OutTopic::AgentStates)));
    let p17 = value_json(&states["acme/p17"]);
    assert_eq!(
        p17["actual"]["online"], false,
        "bob logged out at 12:05Z: {p17}"
    );
    let (_, metrics) = rta.get("/metrics").unwrap();
    assert!(
        metrics.contains("rta_dead_letters_total{reason=\"invalid_json\"}"),
        "{metrics}"
    );
    assert_eq!(rta.terminate(), Some(0));
}

/// A retained poison record (issue 10): events dated 9999-12-31 and 0001-01-01 are dead
/// letters live, and after a crash the partition rebuild replays them again — the restarted
/// instance stays up, becomes ready, processes later events, and ends where `rta process` does.
/// Without the changelog (`--changelog false`), so that the restart replays the retained input
/// (the path a partition takes when its changelog cannot be used).
#[test]
fn a_retained_poison_record_is_replayed_without_a_crash_loop() {
    let broker = Broker::shared();
    let names = Names::new("poison.");
    create_topics(broker, &names, 1);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let (config, events) = split(generate(&SimOptions {
        contacts_per_day: 0,
        ..SimOptions::new(30, date, 11)
    }));
    let half = events.len() / 2;
    let login = events
        .iter()
        .find(|e| e.header("rta-integration") == Some("8431"))
        .and_then(|e| value_json(&e.value)["login"].as_str().map(String::from))
        .expect("an Odigo event");
    let poison: Vec<Envelope> = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"]
        .iter()
        .map(|ts| {
            let v = serde_json::json!({"timestamp": ts, "login": login, "state": "READY"});
            Envelope::json("rta.agent-events", "acme", &v).with_header("rta-integration", "8431")
        })
        .collect();
    let mut all = config.clone();
    all.extend(events[..half].iter().cloned());
    all.extend(poison.iter().cloned());
    all.extend(events[half..].iter().cloned());
    let want = offline(&all);
    produce(broker, &names, &config);
    produce(broker, &names, &events[..half]);
    produce(broker, &names, &poison);

    let input = names.topic("rta.agent-events");
    let replay = ["--changelog", "false"];
    let mut first = Rta::start(broker, &names, "poison", &replay);
    wait_committed(
        broker,
        "poison",
        &input,
        &end_offsets(broker, &input),
        WITHIN,
    );
    let dead = || {
        read_all(broker, &names.out(OutTopic::Dlq))
            .iter()
            .map(|(_, v)| value_json(v))
            .filter(|v| v["reason"] == "bad_timestamp")
            .count()
    };
    assert_eq!(dead(), 2, "both poison records dead-lettered live");
    first.kill();

    // the restart rebuilds the partition from retained input, poison records included
    let mut second = Rta::start(broker, &names, "poison", &replay);
    second.wait_ready(WITHIN);
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let (_, m) = second.get("/metrics").expect("metrics");
        if m.contains("rta_dead_letters_total{reason=\"bad_timestamp\"} 2") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rebuild did not replay the poison records: {m}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    produce(broker, &names, &events[half..]);
    wait_committed(
        broker,
        "poison",
        &input,
        &end_offsets(broker, &input),
        WITHIN,
    );
    let (code, _) = second.get("/readyz").expect("readyz");
    assert_eq!(
        code, 200,
        "still ready after the replay and the later events"
    );
    assert_eq!(dead(), 2, "the replay publishes no dead letter again");
    assert_final_states_equal("after the poison replay", &published(broker, &names), &want);
    assert_eq!(
        second.terminate(),
        Some(0),
        "the restarted instance was up all along"
    );
}

#[test]
fn invalid_settings_fail_at_start_with_one_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            "127.0.0.1:1",
            "--kafka",
            "enable.auto.commit=true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("managed by rta"), "{err}");
}

#[test]
fn wall_clock_timers_fire_without_events() {
    let broker = Broker::shared();
    let names = Names::new("wall.");
    create_topics(broker, &names, 1);
    let now = rta::service::wall_clock_ms();
    let start = (now / 1000 + 3) * 1000;
    let seg = |t| rta::time::format_rfc3339(t);
    let day = rta::time::format_date(start.div_euclid(86_400_000) as i32);
    let config = vec![
        Envelope::json(
            "rta.config",
            "w/settings",
            &serde_json::json!({"kind":"settings","account":"w","buffers":{"notPresent":1,"wrongActivity":1,"notScheduled":1}}),
        ),
        Envelope::json(
            "rta.config",
            format!("w/schedule/p1/{day}"),
            &serde_json::json!({"kind":"schedule","account":"w","person":"p1","date":day,
                "segments":[{"activity":"1","start":seg(start),"end":seg(start + 600_000)}]}),
        ),
    ];
    produce(broker, &names, &config);
    let mut rta = Rta::start_with_clock(broker, &names, "wall", "wall", &[]);
    rta.wait_ready(WITHIN);
    // no agent event at all: the schedule start and the buffer expiry come from the clock
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let alert = loop {
        let events = read_all(broker, &names.out(OutTopic::AdherenceEvents));
        if let Some((_, v)) = events.first() {
            break value_json(v);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no outOfAdherence event from the wall clock within 60 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(alert["kind"], "outOfAdherence");
    assert_eq!(alert["oooType"], "notPresent");
    assert_eq!(alert["since"], seg(start).as_str());
    let states = latest(&read_all(broker, &names.out(OutTopic::AgentStates)));
    let p1 = value_json(&states["w/p1"]);
    assert_eq!(p1["adherence"], "out");
    assert_eq!(p1["scheduled"]["start"], seg(start).as_str());
    let (_, body) = rta.get("/api/accounts/w").unwrap();
    assert!(body.contains("\"notPresent\":1"), "{body}");
    assert_eq!(rta.terminate(), Some(0));
}
