//! The machine-readable contracts hold: every record `rta process` emits (for the SPEC §8
//! example and for simulated days, bad inputs included) validates against the JSON Schema of
//! its topic (docs/schemas/, the payloads of docs/asyncapi.yaml), with keys of the documented
//! shape; the example inputs (config records, vendor payloads) validate against theirs; and the
//! schemas are not vacuous (records missing a required field fail).

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const RTA: &str = env!("CARGO_BIN_EXE_rta");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator(name: &str) -> jsonschema::Validator {
    let path = root().join("docs/schemas").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{name} must declare JSON Schema 2020-12"
    );
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Schema of an output topic's values, whether its value may be null (compacted: tombstones)
/// and how many `/`-separated parts its key has (None: free, e.g. the DLQ's input key).
fn output_topic(topic: &str) -> (&'static str, bool, Option<usize>) {
    match topic {
        "rta.agent-states" => ("agent-state.json", true, Some(2)),
        "rta.adherence-events" => ("adherence-event.json", false, Some(2)),
        "rta.intervals" => ("interval.json", true, Some(3)),
        "rta.unmapped" => ("unmapped-report.json", true, Some(4)),
        "rta.dlq" => ("dead-letter.json", false, None),
        "rta.queue-intervals" => ("queue-interval.json", true, Some(5)),
        other => panic!("rta process wrote to an undocumented topic {other}"),
    }
}

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rta-schemas-{}-{name}", std::process::id()))
}

fn rta_process(input: &Path, until: &str) -> Vec<Value> {
    let out = Command::new(RTA)
        .args(["process", "--until", until, "--input"])
        .arg(input)
        .output()
        .expect("run rta process");
    assert!(
        out.status.success(),
        "rta process failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Validate every output envelope; returns records (non-null values) per topic.
fn validate_outputs(records: &[Value]) -> BTreeMap<String, usize> {
    let envelope = validator("envelope.json");
    let mut validators: BTreeMap<&str, jsonschema::Validator> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut failures = Vec::new();
    for r in records {
        let errs = errors(&envelope, r);
        assert!(errs.is_empty(), "envelope {r}: {errs:?}");
        let topic = r["topic"].as_str().unwrap();
        let (schema, compacted, key_parts) = output_topic(topic);
        if let Some(n) = key_parts {
            let key = r["key"].as_str().unwrap_or_else(|| panic!("no key: {r}"));
            assert_eq!(key.split('/').count(), n, "key shape of {topic}: {key}");
            assert!(
                key.split('/').all(|p| !p.is_empty()),
                "empty key part: {key}"
            );
        }
        let value = &r["value"];
        if value.is_null() {
            assert!(compacted, "tombstone on the non-compacted {topic}: {r}");
            continue;
        }
        let v = validators
            .entry(schema)
            .or_insert_with(|| validator(schema));
        let errs = errors(v, value);
        if !errs.is_empty() && failures.len() < 20 {
            failures.push(format!("{topic} {value}: {errs:?}"));
        }
        *counts.entry(topic.to_string()).or_insert(0) += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    counts
}

#[test]
fn spec_example_outputs_match_their_schemas() {
    let records = rta_process(
        &root().join("examples/spec-example.ndjson"),
        "2026-11-23T12:30:00Z",
    );
    let counts = validate_outputs(&records);
    for topic in ["rta.agent-states", "rta.adherence-events", "rta.intervals"] {
        assert!(counts.get(topic).copied().unwrap_or(0) > 0, "{counts:?}");
    }
}

#[test]
fn simulated_days_outputs_match_their_schemas() {
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    for (date, seed, zone) in [
        ("2026-11-23", "7", "Europe/Berlin"),
        ("2026-03-29", "3", "Europe/Berlin"), // a DST day: 23 hours
        ("2026-11-23", "11", "Asia/Kolkata"), // a :30 offset
    ] {
        let sim = Command::new(RTA)
            .args([
                "simulate",
                "--persons",
                "120",
                "--date",
                date,
                "--seed",
                seed,
            ])
            .args(["--time-zone", zone])
            .stderr(Stdio::inherit())
            .output()
            .expect("run rta simulate");
        assert!(sim.status.success());
        let path = temp_file(&format!("day-{date}-{seed}.ndjson"));
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&sim.stdout).unwrap();
        // bad inputs, so that dead letters are emitted and checked too
        let integ = first_integration(&sim.stdout);
        for line in [
            json!({"topic":"rta.agent-events","key":"acme","headers":{"rta-integration": integ},"value":"{not json"}),
            json!({"topic":"rta.agent-events","key":"acme","headers":{"rta-integration":"no-such-integration"},
                   "value":{"eventId":"x","timestamp":format!("{date}T09:00:00Z"),"login":"a","state":"READY"}}),
            json!({"topic":"rta.agent-events","key":"acme","headers":{"rta-integration": integ},
                   "value":{"eventId":"y","timestamp":"2020-01-01T00:00:00Z","login":"a","state":"READY"}}),
            json!({"topic":"rta.config","key":"acme/activity/99","value":{"kind":"activity","account":"acme","id":"99","type":"nonsense"}}),
            json!({"topic":"rta.nowhere","key":"acme","value":{}}),
        ] {
            writeln!(f, "{line}").unwrap();
        }
        writeln!(f, "this is not an envelope").unwrap();
        drop(f);
        let next = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .unwrap()
            .succ_opt()
            .unwrap();
        let records = rta_process(&path, &format!("{next}T06:00:00Z"));
        let _ = std::fs::remove_file(&path);
        for (t, n) in validate_outputs(&records) {
            *totals.entry(t).or_insert(0) += n;
        }
    }
    for topic in [
        "rta.agent-states",
        "rta.adherence-events",
        "rta.intervals",
        "rta.unmapped",
        "rta.dlq",
        "rta.queue-intervals",
    ] {
        assert!(
            totals.get(topic).copied().unwrap_or(0) > 0,
            "no {topic}: {totals:?}"
        );
    }
}

fn first_integration(ndjson: &[u8]) -> String {
    for line in String::from_utf8_lossy(ndjson).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["value"]["kind"] == "integration" && v["value"]["vendor"] == "odigo" {
            return v["value"]["id"].as_str().unwrap().to_string();
        }
    }
    panic!("no odigo integration in the simulated config")
}

#[test]
fn example_inputs_match_their_schemas() {
    let envelope = validator("envelope.json");
    let any_config = validator("config-record.json");
    let odigo = validator("odigo-notification.json");
    let statuses = validator("injixo-agent-statuses.json");
    let contacts = validator("injixo-contact-events.json");
    let mut by_kind: BTreeMap<String, jsonschema::Validator> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for file in [
        "examples/spec-example.ndjson",
        "examples/demo-day.ndjson",
        "examples/contact-events.ndjson",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for (i, line) in text.lines().enumerate() {
            let r: Value = serde_json::from_str(line).unwrap();
            assert!(errors(&envelope, &r).is_empty(), "{file}:{i}");
            let value = &r["value"];
            let (what, errs) = match r["topic"].as_str().unwrap() {
                "rta.config" if value.is_null() => continue,
                "rta.config" => {
                    let kind = value["kind"].as_str().unwrap().to_string();
                    let v = by_kind
                        .entry(kind.clone())
                        .or_insert_with(|| validator(&format!("config-{kind}.json")));
                    let mut errs = errors(v, value);
                    errs.extend(errors(&any_config, value));
                    (format!("config {kind}"), errs)
                }
                "rta.agent-events" if value.get("data").is_some() => {
                    ("injixo agent-statuses".into(), errors(&statuses, value))
                }
                "rta.agent-events" => ("odigo".into(), errors(&odigo, value)),
                "rta.contact-events" => ("injixo contact-events".into(), errors(&contacts, value)),
                t => panic!("{file}:{i}: unexpected topic {t}"),
            };
            assert!(errs.is_empty(), "{file}:{i} {what} {value}: {errs:?}");
            *seen.entry(what).or_insert(0) += 1;
        }
    }
    for kind in [
        "settings",
        "integration",
        "activity",
        "identifier",
        "status",
        "match",
        "schedule",
        "person",
    ] {
        assert!(seen.contains_key(&format!("config {kind}")), "{seen:?}");
    }
    for what in ["odigo", "injixo agent-statuses", "injixo contact-events"] {
        assert!(seen.contains_key(what), "no {what} example: {seen:?}");
    }
}

#[test]
fn schemas_refuse_what_the_spec_forbids() {
    // SPEC §10's queue interval, as the SPEC describes it
    let queue = validator("queue-interval.json");
    let good = json!({
        "account": "acme", "integration": "1234", "queueIdentifier": "1337_99",
        "queueName": "Level 1 support", "intervalStart": "2021-12-06T10:30:00Z",
        "intervalEnd": "2021-12-06T10:45:00Z", "revision": 0, "offered": 1, "handled": 0,
        "abandoned": 1, "handledSeconds": 0, "averageHandleSeconds": null,
        "channels": {"calls": {"offered": 1, "handled": 0, "handledSeconds": 0}}
    });
    assert!(
        errors(&queue, &good).is_empty(),
        "{:?}",
        errors(&queue, &good)
    );
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("offered");
    assert!(!errors(&queue, &bad).is_empty());

    // an agent state without `today`, or with a local time instead of UTC
    let records = rta_process(
        &root().join("examples/spec-example.ndjson"),
        "2026-11-23T12:30:00Z",
    );
    let state = records
        .iter()
        .find(|r| r["topic"] == "rta.agent-states")
        .unwrap()["value"]
        .clone();
    let v = validator("agent-state.json");
    assert!(errors(&v, &state).is_empty());
    let mut no_today = state.clone();
    no_today.as_object_mut().unwrap().remove("today");
    assert!(!errors(&v, &no_today).is_empty());
    let mut local = state.clone();
    local["at"] = json!("2026-11-23T09:03:00+01:00");
    assert!(!errors(&v, &local).is_empty());
    let mut adherence = state;
    adherence["adherence"] = json!("maybe");
    assert!(!errors(&v, &adherence).is_empty());

    // config: an activity of an unknown type; a schedule without segments
    let cfg = validator("config-record.json");
    assert!(!errors(
        &cfg,
        &json!({"kind":"activity","account":"acme","id":"7","type":"nap"})
    )
    .is_empty());
    assert!(!errors(
        &cfg,
        &json!({"kind":"schedule","account":"acme","person":"p1","date":"2026-11-23"})
    )
    .is_empty());
    // config: a field the kind does not have (rta refuses it: invalid_config)
    assert!(!errors(
        &cfg,
        &json!({"kind":"person","account":"acme","id":"p1","nickname":"Bob"})
    )
    .is_empty());
    let person = validator("config-person.json");
    assert!(!errors(
        &person,
        &json!({"kind":"person","account":"acme","id":"p1","nickname":"Bob"})
    )
    .is_empty());
    assert!(errors(
        &person,
        &json!({"kind":"person","account":"acme","id":"p1"})
    )
    .is_empty());
    // odigo: an element without login, inside an array
    let odigo = validator("odigo-notification.json");
    assert!(!errors(
        &odigo,
        &json!([{"timestamp":"2026-11-23T08:03:00Z","state":"LOGIN"}])
    )
    .is_empty());
}
