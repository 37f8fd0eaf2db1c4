//! The dashboard end to end on Apache Kafka (issue 12, Measured): the morning of
//! `tests/kafka_dashboard` (a simulated day produced up to 10:15, `rta run` on event time,
//! `rta dashboard` behind a token) and `tests/browser/measure.mjs` in Debian's chromium:
//! initial load of the page (p50 of several loads, JS heap), then the time from an input event
//! produced to `rta.agent-events` to the page's DOM showing the agent's new state, p50 / p99 /
//! max over DASH_CHANGES changes (default 200) produced one every DASH_PACE_MS (default 100 ms).
//!
//! Run: `cargo bench --bench dashboard_e2e` (env DASH_PERSONS, default 1000; DASH_LOADS,
//! default 5). Needs Java 17 (the broker), chromium, node and `npm ci --prefix tests/browser`.

#[path = "../tests/browser_node/mod.rs"]
mod browser_node;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/kafka_dashboard/mod.rs"]
mod kafka_dashboard;

use browser_node::Script;
use kafka_dashboard::Morning;
use std::time::{Duration, Instant};

const TOKEN: &str = "dashboard-bench-token-0123456789";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; a plain `cargo test --benches` run only builds this
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let persons = env_or("DASH_PERSONS", 1000);
    let changes = env_or("DASH_CHANGES", 200);
    let pace = Duration::from_millis(env_or("DASH_PACE_MS", 100) as u64);
    let loads = env_or("DASH_LOADS", 5).to_string();
    let prefix = format!("dashbench{}.", std::process::id());
    let started = Instant::now();
    let mut morning = Morning::start(&prefix, persons, TOKEN);
    println!(
        "morning of {persons} persons on Kafka ready in {:.1} s: the dashboard lists {} agents",
        started.elapsed().as_secs_f64(),
        morning.agents
    );
    let url = morning.url();
    let n = changes.to_string();
    let mut script = Script::start(
        "measure.mjs",
        &[
            ("DASHBOARD_URL", url.as_str()),
            ("DASHBOARD_TOKEN", TOKEN),
            ("LOADS", loads.as_str()),
            ("CHANGES", n.as_str()),
            ("LIVE_FROM", "stdin"),
        ],
    );
    if script
        .wait_line("LIVE READY", Duration::from_secs(300))
        .is_none()
    {
        let (_, out) = script.finish(Duration::from_secs(5));
        panic!("the measuring script did not get ready:\n{out}");
    }
    for _ in 0..changes {
        let next = Instant::now() + pace;
        let c = morning.change();
        let line = serde_json::json!({"person": c.person, "at": c.at, "producedMs": c.produced_ms});
        script.send(&line.to_string());
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let (status, out) = script.finish(Duration::from_secs(60));
    assert!(
        status.is_some_and(|s| s.success()),
        "the measuring script failed:\n{out}"
    );
    let _ = morning.dashboard.terminate();
    let _ = morning.rta.terminate();
}
