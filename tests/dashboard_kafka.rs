//! `rta dashboard` over Apache Kafka: the page's API filled from the output topics and the
//! config alone (no engine): named agent states, account summaries, today's queues, a change
//! produced to Kafka visible without a reload, and `--account` limiting what it shows.

mod common;

use common::dashboard::start_dashboard;
use common::*;
use rta::envelope::Envelope;
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(120);

fn env_line(line: &str) -> Envelope {
    Envelope::parse_line(line).expect("envelope")
}

/// Poll `path` until `ok` accepts the JSON body; the body.
fn poll(d: &Rta, path: &str, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + WITHIN;
    loop {
        if let Some((200, body)) = d.get(path) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
                if ok(&v) {
                    return v;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{path}: not as expected within {WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_dashboard_reads_the_topics_of_rta_run() {
    let broker = Broker::shared();
    let names = Names::new("dash.");
    let envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    let (mut config, events): (Vec<Envelope>, Vec<Envelope>) =
        envs.into_iter().partition(|e| e.topic == "rta.config");
    config.push(env_line(r#"{"topic":"rta.config","key":"acme/person/p17","value":{"kind":"person","account":"acme","id":"p17","name":"Bob Smith","team":"Blue"}}"#));
    config.push(env_line(r#"{"topic":"rta.config","key":"acme/integration/1234","value":{"kind":"integration","account":"acme","id":"1234","vendor":"injixo-api"}}"#));
    create_topics(broker, &names, 3);
    produce(broker, &names, &config);
    let mut rta = Rta::start(broker, &names, "dash", &[]);
    rta.wait_ready(WITHIN);
    let contact = env_line(
        r#"{"topic":"rta.contact-events","key":"acme","headers":{"rta-integration":"1234"},"value":{"data":[{"properties":{"offered":true,"handled":true,"duration":100},"queueName":"Support","queueIdentifier":"q1","timestamp":"2026-11-23T08:05:00Z","channel":"calls"},{"properties":{"offered":true,"handled":false},"queueName":"Support","queueIdentifier":"q1","timestamp":"2026-11-23T08:07:00Z","channel":"calls"}],"meta":{"integrationConfigurationId":1234}}}"#,
    );
    produce(broker, &names, &[contact]);
    produce(broker, &names, &events);

    let mut d = start_dashboard(broker, &names, &[]);
    d.wait_ready(WITHIN);
    let states = poll(&d, "/api/accounts/acme/states", |v| {
        v.as_array().is_some_and(|a| {
            a.iter()
                .any(|s| s["person"] == "p17" && s["actual"]["externalStatus"] == "LOGOUT")
        })
    });
    let p17 = states
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["person"] == "p17")
        .unwrap()
        .clone();
    assert_eq!(p17["personName"], "Bob Smith", "{p17}");
    assert_eq!(p17["team"], "Blue");
    let summary = poll(&d, "/api/accounts/acme", |v| v["persons"] == 1);
    assert_eq!(summary["online"], 0, "{summary}");
    let queues = poll(&d, "/api/accounts/acme/queues", |v| {
        v["queues"].as_array().is_some_and(|q| !q.is_empty())
    });
    // the account's day is that of its latest agent state: 2026-11-23
    assert_eq!(queues["date"], "2026-11-23", "{queues}");
    let q = &queues["queues"][0];
    assert_eq!(
        (q["offered"].as_u64(), q["handled"].as_u64()),
        (Some(2), Some(1)),
        "{q}"
    );
    assert_eq!(q["averageHandleSeconds"], 100.0);

    // a change produced to Kafka reaches the dashboard without a reload
    let started = Instant::now();
    produce(
        broker,
        &names,
        &[env_line(
            r#"{"topic":"rta.agent-events","key":"acme","headers":{"rta-integration":"8431"},"value":{"eventId":"e-9","timestamp":"2026-11-23T12:40:00Z","login":"bob.smith","state":"READY"}}"#,
        )],
    );
    poll(&d, "/api/accounts/acme/persons/p17", |v| {
        v["actual"]["externalStatus"] == "READY"
    });
    eprintln!(
        "a produced event reached the dashboard's API in {:?}",
        started.elapsed()
    );

    // --account limits what a dashboard keeps and shows
    let mut other = start_dashboard(broker, &names, &["--account", "other"]);
    other.wait_ready(WITHIN);
    std::thread::sleep(Duration::from_secs(1));
    let (code, _) = other.get("/api/accounts/acme/states").expect("answer");
    assert_eq!(
        code, 404,
        "acme is not shown by a dashboard for account other"
    );

    assert_eq!(d.terminate(), Some(0));
    assert_eq!(other.terminate(), Some(0));
    assert_eq!(rta.terminate(), Some(0));
}
