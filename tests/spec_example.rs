//! SPEC §8 worked example, every number in it, through `rta process` exactly as a user runs it.

use serde_json::Value;
use std::process::Command;

fn run_cli(args: &[&str]) -> (Vec<Value>, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args(args)
        .output()
        .expect("run rta");
    let records = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("output lines are JSON"))
        .collect();
    (
        records,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn example() -> Vec<Value> {
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/spec-example.ndjson");
    let (records, _, code) = run_cli(&[
        "process",
        "--input",
        input,
        "--until",
        "2026-11-23T12:30:00Z",
    ]);
    assert_eq!(code, 0);
    records
}

fn on<'a>(records: &'a [Value], topic: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["topic"] == topic)
        .map(|r| &r["value"])
        .collect()
}

#[test]
fn day_scores_match_the_worked_example() {
    let records = example();
    let states = on(&records, "rta.agent-states");
    let last = states.last().expect("a final state");
    assert_eq!(last["person"], "p17");
    assert_eq!(last["at"], "2026-11-23T12:30:00Z");
    let today = &last["today"];
    assert_eq!(today["date"], "2026-11-23");
    assert_eq!(today["scheduledSeconds"], 14400);
    assert_eq!(today["inAdherenceSeconds"], 14280);
    assert_eq!(today["actualSeconds"], 14520);
    assert_eq!(today["adherencePercent"], 99.17);
    assert_eq!(today["conformancePercent"], 100.83);
    assert_eq!(last["actual"]["online"], false);
    assert_eq!(last["adherence"], "none");
}

#[test]
fn alerts_match_the_worked_example() {
    let records = example();
    let events: Vec<(String, String, String, String)> = on(&records, "rta.adherence-events")
        .iter()
        .map(|v| {
            (
                v["kind"].as_str().unwrap().to_string(),
                v["oooType"].as_str().unwrap().to_string(),
                v["since"].as_str().unwrap().to_string(),
                v["at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (
            "outOfAdherence",
            "notPresent",
            "2026-11-23T08:00:00Z",
            "2026-11-23T08:02:00Z",
        ),
        (
            "inAdherence",
            "notPresent",
            "2026-11-23T08:00:00Z",
            "2026-11-23T08:03:00Z",
        ),
        (
            "outOfAdherence",
            "wrongActivity",
            "2026-11-23T11:30:00Z",
            "2026-11-23T11:32:00Z",
        ),
        (
            "inAdherence",
            "wrongActivity",
            "2026-11-23T11:30:00Z",
            "2026-11-23T11:33:00Z",
        ),
    ];
    let got: Vec<(&str, &str, &str, &str)> = events
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        got, want,
        "no events for the 10:58–11:00 and 12:00–12:05 episodes"
    );
    let durations: Vec<&Value> = on(&records, "rta.adherence-events")
        .iter()
        .filter(|v| v["kind"] == "inAdherence")
        .map(|v| &v["durationSeconds"])
        .collect();
    assert_eq!(durations, [&Value::from(180), &Value::from(180)]);
}

#[test]
fn first_interval_matches_the_worked_example() {
    let records = example();
    let iv = records
        .iter()
        .find(|r| r["key"] == "acme/p17/2026-11-23T08:00:00Z")
        .map(|r| &r["value"])
        .expect("interval 08:00Z");
    assert_eq!(iv["intervalEnd"], "2026-11-23T08:15:00Z");
    assert_eq!(iv["revision"], 0);
    assert_eq!(iv["scheduledSeconds"], 900);
    assert_eq!(iv["inAdherenceSeconds"], 840);
    assert_eq!(iv["outOfAdherenceSeconds"]["notPresent"], 60);
    assert_eq!(iv["actualSeconds"], 720);
    // 18 intervals from 08:00Z to 12:30Z closed by --until; 12:15–12:30 has the person neither
    // scheduled nor online, so it is not published.
    let count = on(&records, "rta.intervals").len();
    assert_eq!(count, 17);
}

#[test]
fn unmapped_login_status_is_reported_once() {
    let records = example();
    let reports = on(&records, "rta.unmapped");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["kind"], "status");
    assert_eq!(reports[0]["value"], "LOGIN");
    assert_eq!(reports[0]["integration"], "8431");
    assert_eq!(reports[0]["count"], 1);
    assert!(on(&records, "rta.dlq").is_empty());
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let (_, err, code) = run_cli(&["process", "--input", "/nonexistent/file.ndjson"]);
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot read --input"));
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/spec-example.ndjson");
    let (_, err, code) = run_cli(&["process", "--input", input, "--until", "noon"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--until \"noon\" is not an RFC 3339 time"),
        "{err}"
    );
}
