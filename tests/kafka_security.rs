//! rta against Apache Kafka over `SASL_SSL` (a CA and broker certificate made by the test,
//! SCRAM-SHA-512 credentials added at format time), with compressed records both ways; a wrong
//! password is one clear line and exit status 1, not a hang.

mod common;

use common::*;
use rta::engine::OutTopic;
use std::process::Command;
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(120);

fn secure_args(broker: &Broker, password: &str) -> Vec<String> {
    vec![
        "--kafka".into(),
        format!("sasl.password={password}"),
        "--kafka".into(),
        format!("ssl.ca.location={}", broker.ca_file().display()),
        "--kafka".into(),
        "compression.type=zstd".into(),
    ]
}

#[test]
fn spec_example_over_sasl_ssl_with_scram_and_zstd() {
    let broker = Broker::start_with(BrokerOptions { sasl_ssl: true });
    let secure = broker.secure_addr.clone().expect("SASL_SSL listener");
    let names = Names::new("sec.");
    create_topics(&broker, &names, 3);
    let envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    let want = offline(&envs);
    // inputs compressed with lz4 and snappy by the test's producers
    let (config, events): (Vec<_>, Vec<_>) =
        envs.into_iter().partition(|e| e.topic == "rta.config");
    produce_with(&broker, &names, &config, &[("compression.type", "lz4")]);
    let http = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            &secure,
            "--group-id",
            "sec",
            "--topic-prefix",
            "sec.",
            "--clock",
            "event-time",
        ])
        .args(["--http", &format!("127.0.0.1:{http}")])
        .args(secure_args(&broker, SASL_PASSWORD))
        // pairs from the environment, separated by commas (no value here has one)
        .env(
            "RTA_KAFKA",
            "security.protocol=SASL_SSL,sasl.mechanism=SCRAM-SHA-512,sasl.username=rta",
        )
        .env("RTA_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run rta");
    produce_with(&broker, &names, &events, &[("compression.type", "snappy")]);
    let ends = end_offsets(&broker, &names.topic("rta.agent-events"));
    wait_committed(
        &broker,
        "sec",
        &names.topic("rta.agent-events"),
        &ends,
        WITHIN,
    );
    for t in OutTopic::ALL {
        let got = read_all(&broker, &names.out(t));
        let expected = want.get(&t).cloned().unwrap_or_default();
        assert_same(
            &format!("{t:?} over SASL_SSL"),
            &by_key(&got),
            &by_key(&expected),
        );
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("rta exit");
    assert_eq!(out.status.code(), Some(0));
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        !logs.contains(SASL_PASSWORD),
        "the password appears in the logs"
    );
}

#[test]
fn a_wrong_password_is_one_line_and_exit_1() {
    let broker = Broker::start_with(BrokerOptions { sasl_ssl: true });
    let secure = broker.secure_addr.clone().expect("SASL_SSL listener");
    let started = Instant::now();
    let wrong = "not-the-password,x=y";
    let out = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            &secure,
            "--http",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .args([
            "--kafka",
            "security.protocol=SASL_SSL",
            "--kafka",
            "sasl.mechanism=SCRAM-SHA-512",
        ])
        .args(["--kafka", "sasl.username=rta"])
        .args(secure_args(&broker, wrong))
        .output()
        .expect("run rta");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let fatal = error_line(&err);
    assert!(fatal.contains("refused the credentials"), "{err}");
    assert!(
        !err.contains(wrong),
        "the password appears in the error: {err}"
    );
    // the right password with commas (PLAIN), given as a flag, gets past authentication: the
    // next check (topics missing, creation off) is what stops it
    let out = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            &secure,
            "--http",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .args(["--topic-prefix", "plain.", "--create-topics", "false"])
        .args([
            "--kafka",
            "security.protocol=SASL_SSL",
            "--kafka",
            "sasl.mechanism=PLAIN",
        ])
        .args(["--kafka", "sasl.username=rta"])
        .args(secure_args(&broker, PLAIN_PASSWORD))
        .output()
        .expect("run rta");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("do not exist and create_topics is off"),
        "{err}"
    );
    assert!(!err.contains(PLAIN_PASSWORD), "{err}");
    // and a client without the CA: the TLS failure is named
    let out = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            &secure,
            "--http",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .args([
            "--kafka",
            "security.protocol=SASL_SSL",
            "--kafka",
            "sasl.mechanism=SCRAM-SHA-512",
        ])
        .args([
            "--kafka",
            "sasl.username=rta",
            "--kafka",
            &format!("sasl.password={SASL_PASSWORD}"),
        ])
        .output()
        .expect("run rta");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(error_line(&err).contains("TLS handshake"), "{err}");
}

/// The one error line (`rta: …`), last on stderr after the start-up log lines; librdkafka's
/// own retries of the refused connection are not logged.
fn error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.trim().lines().collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("rta: ")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("librdkafka") && (l.contains("FAIL") || l.contains("ERROR"))),
        "librdkafka's failure logs leaked: {stderr}"
    );
    lines.last().copied().unwrap_or_default()
}
