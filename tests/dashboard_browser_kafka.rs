//! The dashboard page in a real browser against `rta dashboard` on Apache Kafka (issue 12): a
//! simulated morning of 40 agents produced to the broker and processed by `rta run` (event
//! time) with an agent of each out-of-adherence type past its buffer and one in it arranged on
//! top, `rta dashboard` behind an access token, and `tests/browser/dashboard.mjs` (the script of
//! `tests/dashboard_browser.rs`) in Debian's chromium: named agents in injixo's colours, the
//! "only out of adherence" filter, the interval chart, a person's day, and ten state changes
//! produced to `rta.agent-events` here, each in the DOM without a reload within 2 s of being
//! produced. Screenshots go to `target/dashboard-screenshots/kafka/`.

mod browser_node;
mod common;
mod kafka_dashboard;

use browser_node::{assert_screenshots, assert_success, root, Script};
use kafka_dashboard::Morning;
use std::time::Duration;

const TOKEN: &str = "kafka-browser-token-0123456789";
const LIVE_CHANGES: usize = 10;

#[test]
fn dashboard_over_kafka_in_chromium() {
    browser_node::prerequisites();
    let mut morning = Morning::start("dashb.", 40, TOKEN);
    let shots = root().join("target/dashboard-screenshots/kafka");
    let shots_dir = shots.to_string_lossy().into_owned();
    let url = morning.url();
    let agents = morning.agents.to_string();
    let mut script = Script::start(
        "dashboard.mjs",
        &[
            ("DASHBOARD_URL", url.as_str()),
            ("DASHBOARD_TOKEN", TOKEN),
            ("SCREENSHOT_DIR", shots_dir.as_str()),
            ("AGENTS", agents.as_str()),
            ("LIVE_FROM", "stdin"),
            ("EVERY_COLOUR", "1"),
        ],
    );
    if script
        .wait_line("LIVE READY", Duration::from_secs(180))
        .is_some()
    {
        for _ in 0..LIVE_CHANGES {
            let c = morning.change();
            let line =
                serde_json::json!({"person": c.person, "at": c.at, "producedMs": c.produced_ms});
            script.send(&line.to_string());
            if script
                .wait_line("LIVE SHOWN", Duration::from_secs(10))
                .is_none()
            {
                break;
            }
        }
    }
    let (status, output) = script.finish(Duration::from_secs(60));
    assert_success(status, &output, "the dashboard of rta dashboard on Kafka");
    assert!(
        output.contains(&format!("ok   {LIVE_CHANGES} live changes observed")),
        "{output}"
    );
    assert_screenshots(
        &shots,
        &[
            "dashboard.png",
            "only-out-of-adherence.png",
            "person-day.png",
        ],
    );
    assert_eq!(morning.dashboard.terminate(), Some(0));
    assert_eq!(morning.rta.terminate(), Some(0));
}
