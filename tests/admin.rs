//! The admin commands against Apache Kafka and `rta run`: the mapping workflow (unmapped → CSV
//! → import → the parked events applied and the report tombstoned), pause → held → resume →
//! applied, delete → new events dead-lettered.

mod common;

use common::relay::*;
use common::*;
use rta::engine::OutTopic;
use rta::envelope::Envelope;
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(120);

fn spec(keep: impl Fn(&Envelope) -> bool) -> (Vec<Envelope>, Vec<Envelope>) {
    read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ))
    .into_iter()
    .filter(keep)
    .partition(|e| e.topic == "rta.config")
}

fn states_of(broker: &Broker, names: &Names, key: &str) -> Vec<serde_json::Value> {
    read_all(broker, &names.out(OutTopic::AgentStates))
        .into_iter()
        .filter(|(k, _)| k.as_deref() == Some(key))
        .filter_map(|(_, v)| v.map(|v| serde_json::from_slice(&v).unwrap()))
        .collect()
}

/// Wait until bob.smith's events show in p17's state (online through integration 8431; on
/// event time the state stops at the account's clock, so the last one may be READY or LOGOUT).
fn wait_applied(broker: &Broker, names: &Names) {
    eventually("p17's events applied", WITHIN, || {
        states_of(broker, names, "acme/p17")
            .iter()
            .any(|s| s["actual"]["online"] == true && s["actual"]["integration"] == "8431")
    });
}

fn file(names: &Names, what: &str, text: &str) -> String {
    let p = std::env::temp_dir().join(format!(
        "rta-{}{what}-{}.csv",
        names.prefix,
        std::process::id()
    ));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn unmapped_csv_round_trip_applies_the_parked_events() {
    let broker = Broker::shared();
    let names = Names::new("admin-csv.");
    create_topics(broker, &names, 3);
    // the example without bob.smith's mapping: his events are parked and reported
    let (config, events) = spec(|e| !e.key.as_deref().unwrap_or("").contains("/identifier/"));
    produce(broker, &names, &config);
    let _rta = Rta::start(broker, &names, "admin-csv", &[]);
    produce(broker, &names, &events);
    let topic = names.topic("rta.agent-events");
    wait_committed(
        broker,
        "admin-csv",
        &topic,
        &end_offsets(broker, &topic),
        WITHIN,
    );
    let report_key = "acme/8431/identifier/bob.smith";
    eventually("the unmapped report", WITHIN, || {
        latest(&read_all(broker, &names.out(OutTopic::Unmapped)))
            .get(report_key)
            .is_some_and(Option::is_some)
    });
    assert!(states_of(broker, &names, "acme/p17")
        .iter()
        .all(|s| s["actual"]["online"] != true));

    let table = admin_ok(broker, &names, &["unmapped", "--account", "acme"]);
    assert!(
        table.contains("identifier\t8431\tbob.smith\t4\t"),
        "{table}"
    );
    let csv = admin_ok(broker, &names, &["unmapped", "--account", "acme", "--csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("integration,externalId,person,count,lastSeen,suggestions")
    );
    // fill in the person, as a planner would
    let filled: Vec<String> =
        std::iter::once("integration,externalId,person,count,lastSeen,suggestions".to_string())
            .chain(lines.map(|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                f[2] = "p17";
                f.join(",")
            }))
            .collect();
    assert_eq!(filled.len(), 2, "{csv}");
    let path = file(&names, "filled", &(filled.join("\n") + "\n"));
    let dry = admin_ok(
        broker,
        &names,
        &[
            "import",
            "identifiers",
            &path,
            "--account",
            "acme",
            "--dry-run",
        ],
    );
    assert!(
        dry.contains("would add acme/identifier/8431/bob.smith"),
        "{dry}"
    );
    let done = admin_ok(
        broker,
        &names,
        &["import", "identifiers", &path, "--account", "acme"],
    );
    assert!(done.contains("1 added, 0 changed, 0 unchanged"), "{done}");
    let again = admin_ok(
        broker,
        &names,
        &["import", "identifiers", &path, "--account", "acme"],
    );
    assert!(again.contains("0 added, 0 changed, 1 unchanged"), "{again}");

    // the parked events are applied and the report is tombstoned
    wait_applied(broker, &names);
    eventually("the report tombstoned", WITHIN, || {
        latest(&read_all(broker, &names.out(OutTopic::Unmapped))).get(report_key) == Some(&None)
    });
    let table = admin_ok(broker, &names, &["unmapped", "--account", "acme"]);
    assert!(!table.contains("bob.smith"), "{table}");

    // an invalid file names line and field, and writes nothing
    let before = end_offsets(broker, &names.topic("rta.config"));
    let bad = file(
        &names,
        "bad",
        "integration,externalId,person\n8431,ann,\n9999,joe,p2\n",
    );
    let (code, _, err) = admin(
        broker,
        &names,
        &["import", "identifiers", &bad, "--account", "acme"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("line 2, field person: is empty"), "{err}");
    assert!(err.contains("line 3, field integration"), "{err}");
    assert_eq!(end_offsets(broker, &names.topic("rta.config")), before);
}

#[test]
fn pause_holds_resume_applies_delete_dead_letters() {
    let broker = Broker::shared();
    let names = Names::new("admin-pause.");
    create_topics(broker, &names, 3);
    let (config, events) = spec(|_| true);
    produce(broker, &names, &config);
    let out = admin_ok(broker, &names, &["integration", "pause", "acme", "8431"]);
    assert!(out.contains("paused"), "{out}");
    let list = admin_ok(
        broker,
        &names,
        &["integration", "list", "--account", "acme"],
    );
    assert!(
        list.contains("8431\todigo\tOdigo Paris\ttrue\ttrue\tnone"),
        "{list}"
    );

    let mut rta = Rta::start(broker, &names, "admin-pause", &[]);
    produce(broker, &names, &events);
    let topic = names.topic("rta.agent-events");
    wait_committed(
        broker,
        "admin-pause",
        &topic,
        &end_offsets(broker, &topic),
        WITHIN,
    );
    assert!(
        states_of(broker, &names, "acme/p17")
            .iter()
            .all(|s| s["actual"]["online"] != true),
        "a paused integration's events were applied"
    );
    admin_ok(broker, &names, &["integration", "resume", "acme", "8431"]);
    wait_applied(broker, &names);

    // deleted: the service (restarted, so it reads the tombstone first) dead-letters new events
    assert_eq!(rta.terminate(), Some(0));
    admin_ok(broker, &names, &["integration", "delete", "acme", "8431"]);
    let (code, _, err) = admin(broker, &names, &["integration", "pause", "acme", "8431"]);
    assert_eq!(code, 1);
    assert!(err.contains("does not exist"), "{err}");
    let _rta = Rta::start(broker, &names, "admin-pause", &[]);
    let late = Envelope {
        topic: "rta.agent-events".into(),
        key: Some("acme".into()),
        headers: vec![("rta-integration".into(), "8431".into())],
        value: Some(br#"{"timestamp":"2026-11-23T12:10:00Z","login":"bob.smith","state":"LOGIN","eventId":"e5"}"#.to_vec()),
    };
    produce(broker, &names, &[late]);
    wait_committed(
        broker,
        "admin-pause",
        &topic,
        &end_offsets(broker, &topic),
        WITHIN,
    );
    eventually("the new event dead-lettered", WITHIN, || {
        read_all(broker, &names.out(OutTopic::Dlq))
            .iter()
            .any(|(_, v)| {
                v.as_deref().is_some_and(|v| {
                    let d: serde_json::Value = serde_json::from_slice(v).unwrap();
                    d["reason"] == "unknown_integration"
                        && d["payload"].as_str().unwrap_or("").contains("e5")
                })
            })
    });
    let last = states_of(broker, &names, "acme/p17").pop().unwrap();
    assert_eq!(
        last["actual"]["integration"], "8431",
        "what it delivered stays"
    );
}
