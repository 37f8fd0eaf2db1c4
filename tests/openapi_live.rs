//! The OpenAPI documents against live servers on the Apache Kafka broker: schemathesis runs
//! `docs/openapi.yaml` against `rta dashboard` and `docs/openapi-relay.yaml` against `rta relay`
//! (with a real Odigo URL token and injixo API key, so valid bodies reach Kafka). `rta run`'s
//! embedded default is checked the same way by `.ci/ops-checks`. schemathesis comes from the
//! venv `.ci/ops-checks --tools` makes (`bash .ci/run` does it before the tests).

mod common;

use common::dashboard::start_dashboard;
use common::relay::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(120);
/// Bound on one schemathesis run.
const ST_LIMIT: Duration = Duration::from_secs(300);

/// The schemathesis CLI: the CI venv's, else one on PATH; else one line saying how to get it.
fn schemathesis() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let venv = Path::new(&home).join(".cache/rta-ci/venv-ops/bin/st");
    if venv.exists() {
        return venv;
    }
    if Command::new("st").arg("--version").output().is_ok() {
        return PathBuf::from("st");
    }
    panic!(
        "schemathesis is not installed: run `bash .ci/ops-checks --tools` (a venv under \
         ~/.cache/rta-ci) or `pip install schemathesis==4.32.5`"
    );
}

/// Run schemathesis with `doc` against `base`; its output is printed, a failure fails the test.
fn run_schemathesis(doc: &str, base: &str, config: Option<&str>, extra: &[&str]) {
    let dir = std::env::temp_dir().join(format!("rta-st-{}-{}", std::process::id(), base.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(schemathesis());
    if let Some(text) = config {
        let path = dir.join("schemathesis.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config-file").arg(path);
    }
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join(doc);
    cmd.current_dir(&dir)
        .arg("run")
        .arg(&doc)
        .args(["--url", base, "--checks", "all", "--max-examples", "25"])
        .args(["--workers", "1", "--request-timeout", "5", "--seed", "1"])
        .args([
            "--suppress-health-check",
            "too_slow,filter_too_much",
            "--no-color",
        ])
        .args(extra)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("run schemathesis");
    let deadline = Instant::now() + ST_LIMIT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("schemathesis against {base} did not finish within {ST_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.success(),
        "schemathesis found failures with {} against {base} (above)",
        doc.display()
    );
}

#[test]
fn the_dashboard_and_the_relay_conform_to_their_openapi_documents() {
    let st = schemathesis();
    let broker = Broker::shared();
    let names = Names::new("oas.");
    setup(broker, &names);
    let envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    produce(broker, &names, &envs);
    let mut rta = Rta::start(broker, &names, "oas", &[]);
    rta.wait_ready(WITHIN);

    // rta dashboard, once it shows the example's account
    let mut d = start_dashboard(broker, &names, &[]);
    d.wait_ready(WITHIN);
    eventually(
        "the dashboard shows acme's states",
        WITHIN,
        || matches!(d.get("/api/accounts/acme/states"), Some((200, b)) if b.contains("p17")),
    );
    eprintln!("schemathesis {} against rta dashboard", st.display());
    run_schemathesis(
        "docs/openapi.yaml",
        &format!("http://127.0.0.1:{}", d.http),
        None,
        // the event stream never ends (tests/dashboard_api.rs covers it)
        &["--exclude-operation-id", "streamAccount"],
    );

    // rta relay with a real token and key
    let add = |vendor: &str, id: &str| {
        secret_of(&admin_ok(
            broker,
            &names,
            &[
                "integration",
                "add",
                "--account",
                "acme",
                "--vendor",
                vendor,
                "--name",
                "oas",
                "--id",
                id,
            ],
        ))
    };
    let token = add("odigo", "9101");
    let key = add("injixo-api", "9102");
    let relay = RelayProc::start(broker, &names, &[]);
    relay.wait_ready(WITHIN);
    let before = count(broker, &names.topic("rta.agent-events"));
    eventually("the relay knows the new token", WITHIN, || {
        relay
            .post(
                &format!("/v1/odigo/{token}"),
                &[("content-type", "application/json")],
                br#"{"login":"a","state":"READY","timestamp":"2026-11-23T08:00:00Z"}"#,
            )
            .status
            == 202
    });
    let config = format!(
        "headers = {{ Authorization = \"Bearer {key}\" }}\n[parameters]\n\"path.token\" = \"{token}\"\n"
    );
    run_schemathesis(
        "docs/openapi-relay.yaml",
        &format!("http://127.0.0.1:{}", relay.port),
        Some(&config),
        &[],
    );
    // valid bodies were accepted and produced, not only refused
    let after = count(broker, &names.topic("rta.agent-events"));
    assert!(
        after > before + 1,
        "schemathesis produced nothing: {before} → {after}"
    );
    drop(relay);
    assert_eq!(d.terminate(), Some(0));
    assert_eq!(rta.terminate(), Some(0));
}
