//! The `rta` binary's edges around settings: errors as one line naming their source (exit 1),
//! fatal errors as one JSON line in JSON mode, the start-up warnings (unknown `RTA_*`
//! variables, the embedded default), and a closed stdout ending quietly with status 0.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `rta` with none of the caller's `RTA_*` variables.
fn rta() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rta"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("RTA_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(c: &mut Command) -> (i32, String) {
    let Output { status, stderr, .. } = c.stdin(Stdio::null()).output().expect("run rta");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn temp(name: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("rta-settings-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).expect("write temp file");
    p
}

#[test]
fn bad_values_are_one_line_naming_their_source_with_status_1() {
    let (code, err) = run(rta().args(["run", "--partitions", "many"]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.trim_end(),
        "rta: flag --partitions: \"many\" is not a whole number"
    );
    let (code, err) = run(rta().arg("run").env("RTA_CREATE_TOPICS", "maybe"));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("rta: environment variable RTA_CREATE_TOPICS:"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let bad = temp("bad.toml", "group_id = \"g\"\npartitions = \"many\"\n");
    let (code, err) = run(rta().arg("run").arg("--config").arg(&bad));
    assert_eq!(code, 1, "{err}");
    let want = format!("{}, line 2, column 14: partitions:", bad.display());
    assert!(
        err.contains(&want) && err.trim_end().lines().count() == 1,
        "{err}"
    );
    let (code, err) = run(rta().args(["run", "--brokerz", "k:9092"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("'--brokerz'") && err.contains("'--brokers'"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let broken = temp("broken.toml", "[topics\n");
    let (code, err) = run(rta().arg("run").arg("--config").arg(&broken));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(", line 1, column"), "{err}");
    let _ = std::fs::remove_file(bad);
    let _ = std::fs::remove_file(broken);
}

/// Every stderr line is a JSON object; returns them.
fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

fn message(v: &serde_json::Value) -> &str {
    v["fields"]["message"].as_str().unwrap_or_default()
}

#[test]
fn json_mode_logs_fatal_errors_as_one_json_line() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        (
            &["--log-json", "process", "--input", "/nonexistent/in.ndjson"],
            &[],
            "cannot read --input",
        ),
        (
            &["process", "--input", "/nonexistent/in.ndjson"],
            &[("RTA_LOG_JSON", "1")],
            "cannot read --input",
        ),
        (
            &["run", "--partitions", "0"],
            &[("RTA_LOG_JSON", "true")],
            "flag --partitions",
        ),
        (
            &["run", "--log-format", "json", "--tick-ms", "x"],
            &[],
            "flag --tick-ms",
        ),
    ];
    for (args, env, want) in cases {
        let (code, err) = run(rta().args(args).envs(env.iter().copied()));
        assert_eq!(code, 1, "{args:?}: {err}");
        let lines = json_lines(&err);
        let fatal: Vec<_> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
        assert_eq!(fatal.len(), 1, "{args:?}: {err}");
        assert!(message(fatal[0]).contains(want), "{args:?}: {err}");
    }
    let (code, err) = run(rta()
        .args(["process", "--input", "/nonexistent"])
        .env("RTA_LOG_JSON", "0"));
    assert_eq!(code, 1);
    assert!(err.starts_with("rta: cannot read --input"), "{err}");
}

/// `rta run` without brokers, JSON logs from `RTA_LOG_JSON=1` and a mistyped `RTA_BROKER`:
/// both warnings appear, naming the variable and how to reach Kafka.
#[test]
fn run_warns_about_unknown_variables_and_the_embedded_default() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = rta()
        .args([
            "run",
            "--http",
            &format!("127.0.0.1:{port}"),
            "--persons",
            "5",
        ])
        .env("RTA_LOG_JSON", "1")
        .env("RTA_LOG", "warn")
        .env("RTA_BROKER", "kafka:9092")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rta run");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut warnings = Vec::new();
    for _ in 0..10 {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) else {
            break;
        };
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if v["level"] == "WARN" {
            warnings.push(message(&v).to_string());
        }
        if warnings.len() == 2 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("RTA_BROKER is ignored; did you mean RTA_BROKERS?")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("embedded default")
            && w.contains("--brokers")
            && w.contains("RTA_BROKERS")),
        "{warnings:?}"
    );
}

/// `rta … | head -1`: `head` exits after one line and closes the pipe; rta ends with status 0
/// and says nothing.
fn closed_pipe(args: &[&str]) {
    let mut producer = rta()
        .args(args)
        .env("RTA_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rta");
    let pipe = producer.stdout.take().expect("stdout");
    let head = Command::new("head")
        .arg("-1")
        .stdin(Stdio::from(pipe))
        .output()
        .expect("run head");
    let out = producer.wait_with_output().expect("wait for rta");
    let first = String::from_utf8_lossy(&head.stdout);
    assert_eq!(first.lines().count(), 1, "{args:?}");
    assert!(first.starts_with("{\"topic\":"), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "{args:?} printed: {err}");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    closed_pipe(&["simulate", "--persons", "200"]);
    let input = std::env::temp_dir().join(format!(
        "rta-settings-cli-{}-day.ndjson",
        std::process::id()
    ));
    let (code, err) = run(rta()
        .args(["simulate", "--persons", "300", "--output"])
        .arg(&input));
    assert_eq!(code, 0, "{err}");
    // far more than a pipe and rta's buffer hold, so rta writes into the closed pipe
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1 << 20, "{size}");
    closed_pipe(&["process", "--input", &input.to_string_lossy()]);
    let _ = std::fs::remove_file(input);
}
