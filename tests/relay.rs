//! `rta relay` (SPEC §9) against Apache Kafka: each endpoint end to end (POST → `rta run` → the
//! agent state on rta.agent-states), every error answer with nothing produced, secret rotation
//! and revocation, N accepted requests ⇒ N records. Broker loss: tests/relay_faults.rs.

mod common;

use common::relay::*;
use common::*;
use rta::engine::OutTopic;
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(120);

/// The spec example's config without its integration record (the admin command adds it).
fn spec_config(broker: &Broker, names: &Names) {
    let envs: Vec<_> = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ))
    .into_iter()
    .filter(|e| {
        e.topic == "rta.config" && !e.key.as_deref().unwrap_or("").contains("/integration/")
    })
    .collect();
    produce(broker, names, &envs);
}

fn odigo_events() -> Vec<String> {
    read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ))
    .into_iter()
    .filter(|e| e.topic == "rta.agent-events")
    .map(|e| String::from_utf8(e.value.unwrap()).unwrap())
    .collect()
}

/// The latest agent state of `key` on rta.agent-states, once it satisfies `ok`.
fn wait_state(
    broker: &Broker,
    names: &Names,
    key: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    eventually(&format!("agent state of {key}"), WITHIN, || {
        let states = latest(&read_all(broker, &names.out(OutTopic::AgentStates)));
        if let Some(Some(v)) = states.get(key) {
            last = serde_json::from_slice(v).unwrap();
            return ok(&last);
        }
        false
    });
    last
}

#[test]
fn odigo_end_to_end_errors_and_graceful_shutdown() {
    let broker = Broker::shared();
    let names = Names::new("relay-odigo.");
    setup(broker, &names);
    spec_config(broker, &names);
    let relay = RelayProc::start(broker, &names, &["--body-limit-bytes", "2048"]);
    let out = admin_ok(
        broker,
        &names,
        &[
            "integration",
            "add",
            "--account",
            "acme",
            "--vendor",
            "odigo",
            "--name",
            "Odigo Paris",
            "--id",
            "8431",
            "--detailed-breaks",
            "--relay-url",
            &format!("http://127.0.0.1:{}", relay.port),
        ],
    );
    let token = secret_of(&out);
    assert!(out.contains(&format!("/v1/odigo/{token}")), "{out}");
    relay.wait_ready(WITHIN);
    let path = format!("/v1/odigo/{token}");
    let events_topic = names.topic("rta.agent-events");
    // the record may take a poll to reach the relay: the first 202 proves it has it
    let events = odigo_events();
    eventually("the relay knows the new token", WITHIN, || {
        relay.post(&path, &[JSON], events[0].as_bytes()).status == 202
    });
    let before = count(broker, &events_topic);
    assert_eq!(before, 1);

    // every error: nothing produced
    let bearer = format!("Bearer {token}");
    let errors: Vec<(u16, &str, Answer)> = vec![
        (
            400,
            "invalid_json",
            relay.post(&path, &[JSON], b"{\"login\":"),
        ),
        (
            401,
            "unauthorized",
            relay.post(
                "/v1/odigo/rta_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                &[JSON],
                events[1].as_bytes(),
            ),
        ),
        (
            401,
            "unauthorized",
            relay.post("/external-systems/agent-statuses", &[JSON], b"{}"),
        ),
        // an odigo token is not an API key
        (
            401,
            "unauthorized",
            relay.post(
                "/external-systems/agent-statuses",
                &[JSON, ("Authorization", &bearer)],
                b"{}",
            ),
        ),
        (404, "not_found", relay.post("/v1/nothing", &[JSON], b"{}")),
        (
            405,
            "method_not_allowed",
            request(relay.port, "GET", &path, &[], b"").unwrap(),
        ),
        (
            413,
            "too_large",
            relay.post(
                &path,
                &[JSON],
                format!("[{}]", vec![events[1].as_str(); 20].join(",")).as_bytes(),
            ),
        ),
        (
            415,
            "unsupported_media_type",
            relay.post(
                &path,
                &[("Content-Type", "text/plain")],
                events[1].as_bytes(),
            ),
        ),
    ];
    for (status, code, a) in &errors {
        assert_eq!(a.status, *status, "{code}: {}", a.body);
        assert_eq!(a.code(), *code, "{}", a.body);
        assert_eq!(a.json()["errors"][0]["status"], status.to_string());
        assert!(!a.body.contains(&token), "an error body shows the secret");
    }
    let allow = errors.iter().find(|(status, _, _)| *status == 405);
    assert_eq!(
        allow.and_then(|(_, _, a)| a.header("allow")),
        Some("POST"),
        "a 405 names the allowed method"
    );
    assert_eq!(
        count(broker, &events_topic),
        before,
        "an error answer produced a record"
    );

    // the rest of the day, then rta run turns it into the agent state of p17
    for e in &events[1..] {
        let a = relay.post(
            &path,
            &[("Content-Type", "application/json; charset=utf-8")],
            e.as_bytes(),
        );
        assert_eq!(a.status, 202, "{}", a.body);
        assert_eq!(a.json(), serde_json::json!({"accepted": 1}));
    }
    let recs = read_all(broker, &events_topic);
    assert_eq!(recs.len(), 4);
    assert!(recs.iter().all(|(k, _)| k.as_deref() == Some("acme")));
    assert_eq!(
        recs[0].1.as_deref(),
        Some(events[0].as_bytes()),
        "the body is produced unchanged"
    );
    let _rta = Rta::start(broker, &names, "relay-odigo", &[]);
    let state = wait_state(broker, &names, "acme/p17", |v| {
        v["actual"]["externalStatus"] == "LOGOUT"
    });
    assert_eq!(state["actual"]["integration"], "8431");
    assert_eq!(state["actual"]["online"], false);

    // metrics: routes and statuses, never the token
    let m = relay.get("/metrics").unwrap().body;
    assert!(
        m.contains("rta_relay_requests_total{route=\"odigo\",status=\"202\"} 4"),
        "{m}"
    );
    assert!(
        m.contains("rta_relay_rejections_total{reason=\"too_large\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("rta_relay_produce_latency_seconds_count 4"),
        "{m}"
    );
    assert!(!m.contains(&token));
    let mut relay = relay;
    assert_eq!(relay.terminate(), Some(0), "graceful shutdown exits 0");
    assert!(!relay.log().contains(&token), "the log shows the secret");
}

const AGENT_STATUSES: &str = r#"{"data":[{"agentIdentifier":"bob@x.com","activityIdentifier":"Calls","startTime":"2026-11-23T08:00:00Z","endTime":"2026-11-23T09:30:00Z"},{"agentIdentifier":"bob@x.com","activityIdentifier":"Calls","startTime":"2026-11-23T09:30:00Z"}],"meta":{"integrationConfigurationId":ID,"externalSystem":"My ACD"}}"#;

#[test]
fn injixo_endpoints_end_to_end_rotation_and_revocation() {
    let broker = Broker::shared();
    let names = Names::new("relay-injixo.");
    setup(broker, &names);
    spec_config(broker, &names);
    let relay = RelayProc::start(broker, &names, &[]);
    let add = |id: &str| {
        secret_of(&admin_ok(
            broker,
            &names,
            &[
                "integration",
                "add",
                "--account",
                "acme",
                "--vendor",
                "injixo-api",
                "--name",
                "My ACD",
                "--id",
                id,
            ],
        ))
    };
    let key = add("8432");
    let other = add("8433");
    admin_ok(
        broker,
        &names,
        &[
            "import",
            "identifiers",
            &csv(
                &names,
                "ids",
                "integration,externalId,person\n8432,bob@x.com,p17\n",
            ),
            "--account",
            "acme",
        ],
    );
    admin_ok(
        broker,
        &names,
        &[
            "import",
            "statuses",
            &csv(
                &names,
                "st",
                "integration,externalStatus,activity\n8432,Calls,1\n",
            ),
            "--account",
            "acme",
        ],
    );
    relay.wait_ready(WITHIN);
    let auth = format!("Bearer {key}");
    let body = AGENT_STATUSES.replace("ID", "8432");
    eventually("the relay knows the API key", WITHIN, || {
        relay
            .post(
                "/external-systems/agent-statuses",
                &[JSON, ("Authorization", &auth)],
                body.as_bytes(),
            )
            .status
            == 202
    });
    let events_topic = names.topic("rta.agent-events");
    assert_eq!(count(broker, &events_topic), 1);
    let a = relay.post(
        "/external-systems/agent-statuses",
        &[JSON, ("authorization", &format!("bearer {key}"))],
        body.as_bytes(),
    );
    assert_eq!(
        (a.status, a.json()),
        (202, serde_json::json!({"accepted": 2}))
    );

    // 403: a valid key of another integration; 422: a bad item, named; nothing produced
    let other_auth = format!("Bearer {other}");
    let a = relay.post(
        "/external-systems/agent-statuses",
        &[JSON, ("Authorization", &other_auth)],
        body.as_bytes(),
    );
    assert_eq!(
        (a.status, a.code().as_str()),
        (403, "forbidden"),
        "{}",
        a.body
    );
    let bad = body.replace(
        "\"startTime\":\"2026-11-23T09:30:00Z\"",
        "\"startTime\":\"yesterday\"",
    );
    let a = relay.post(
        "/external-systems/agent-statuses",
        &[JSON, ("Authorization", &auth)],
        bad.as_bytes(),
    );
    assert_eq!(
        (a.status, a.code().as_str()),
        (422, "invalid_item"),
        "{}",
        a.body
    );
    assert!(
        a.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("data[1].startTime"),
        "{}",
        a.body
    );
    assert_eq!(
        count(broker, &events_topic),
        2,
        "a refused request produced a record"
    );

    // contact events: the SPEC §10 example body → rta.contact-events with key and header
    let contact = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/contact-events.ndjson"
    ))
    .into_iter()
    .find(|e| e.topic == "rta.contact-events")
    .map(|e| String::from_utf8(e.value.unwrap()).unwrap())
    .unwrap()
    .replace("1234", "8432")
    // the day of the agent events: contacts share the account's (event-time) clock, and one
    // five years behind would make the day's agent events future_timestamp
    .replace("2021-12-06", "2026-11-23");
    let a = relay.post(
        "/external-systems/contact-events",
        &[JSON, ("Authorization", &auth)],
        contact.as_bytes(),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    let recs = read_all(broker, &names.topic("rta.contact-events"));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].0.as_deref(), Some("acme"));
    assert_eq!(recs[0].1.as_deref(), Some(contact.as_bytes()));

    // rta run: the injixo statuses become p17's agent state
    let _rta = Rta::start(broker, &names, "relay-injixo", &[]);
    let state = wait_state(broker, &names, "acme/p17", |v| {
        v["actual"]["externalStatus"] == "Calls"
    });
    assert_eq!(state["actual"]["integration"], "8432");
    assert_eq!(state["actual"]["online"], true);

    // rotation: once the relay has read the new record the old key gets 401, the new one 202
    let new_key = secret_of(&admin_ok(
        broker,
        &names,
        &["integration", "secret", "acme", "8432"],
    ));
    assert_ne!(new_key, key);
    eventually("the old key is refused", WITHIN, || {
        relay
            .post(
                "/external-systems/agent-statuses",
                &[JSON, ("Authorization", &auth)],
                body.as_bytes(),
            )
            .status
            == 401
    });
    let a = relay.post(
        "/external-systems/agent-statuses",
        &[JSON, ("Authorization", &format!("Bearer {new_key}"))],
        body.as_bytes(),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    // revocation: a deleted integration's key gets the same 401
    admin_ok(broker, &names, &["integration", "delete", "acme", "8433"]);
    let refused = AGENT_STATUSES.replace("ID", "8433");
    eventually("the deleted integration's key is refused", WITHIN, || {
        relay
            .post(
                "/external-systems/agent-statuses",
                &[JSON, ("Authorization", &other_auth)],
                refused.as_bytes(),
            )
            .status
            == 401
    });
    let a = relay.post(
        "/external-systems/agent-statuses",
        &[JSON, ("Authorization", &other_auth)],
        refused.as_bytes(),
    );
    let missing = relay.post(
        "/external-systems/agent-statuses",
        &[JSON],
        refused.as_bytes(),
    );
    assert_eq!(
        a.body, missing.body,
        "revoked and missing secrets get the same answer"
    );
    let list = admin_ok(
        broker,
        &names,
        &["integration", "list", "--account", "acme"],
    );
    assert!(
        list.contains("8432\tinjixo-api\tMy ACD\tfalse\tfalse\tset"),
        "{list}"
    );
    assert!(!list.contains("8433") && !list.contains(&new_key), "{list}");
}

/// A CSV file of this test.
fn csv(names: &Names, what: &str, text: &str) -> String {
    let p = std::env::temp_dir().join(format!(
        "rta-{}{what}-{}.csv",
        names.prefix,
        std::process::id()
    ));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn every_accepted_request_is_a_record_in_kafka() {
    let broker = Broker::shared();
    let names = Names::new("relay-count.");
    setup(broker, &names);
    let relay = RelayProc::start(broker, &names, &[]);
    let token = secret_of(&admin_ok(
        broker,
        &names,
        &[
            "integration",
            "add",
            "--account",
            "acme",
            "--vendor",
            "odigo",
            "--name",
            "N",
        ],
    ));
    relay.wait_ready(WITHIN);
    let path = format!("/v1/odigo/{token}");
    eventually("the relay knows the token", WITHIN, || {
        relay
            .post(
                &path,
                &[JSON],
                br#"{"login":"a","state":"READY","timestamp":1}"#,
            )
            .status
            == 202
    });
    // 8 clients × 100 requests at once
    let accepted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|c| {
                let path = &path;
                let port = relay.port;
                s.spawn(move || {
                    (0..100)
                        .filter(|i| {
                            let body =
                                format!(r#"[{{"login":"a{c}","state":"READY","timestamp":{i}}}]"#);
                            request(port, "POST", path, &[JSON], body.as_bytes())
                                .is_some_and(|a| a.status == 202)
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(accepted > 0);
    assert_eq!(
        count(broker, &names.topic("rta.agent-events")),
        accepted as i64 + 1,
        "records in Kafka differ from the 202 answers"
    );
}
