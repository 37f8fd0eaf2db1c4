//! The dashboard page in a real browser (issue 12): `rta run` on the embedded default (a busy
//! simulated morning at 60× real time, behind an access token) and `tests/browser/dashboard.mjs`
//! driving Debian's chromium with playwright-core. Screenshots are written to
//! `target/dashboard-screenshots/`. Missing chromium, node or playwright-core fail the test with
//! one line saying what to install (`.ci/run` installs them). The same script runs against
//! `rta dashboard` on Apache Kafka in `tests/dashboard_browser_kafka.rs`.

mod browser_node;
mod embedded_rta;

use browser_node::{assert_screenshots, assert_success, root, Script};
use embedded_rta::Rta;
use std::time::Duration;

const TOKEN: &str = "browser-test-token-0123456789";

#[test]
fn dashboard_in_chromium() {
    browser_node::prerequisites();
    let rta = Rta::start(&[
        "--persons",
        "40",
        "--embedded-speed",
        "60",
        "--embedded-start",
        "2026-11-23T10:15:00+01:00",
        "--http-token",
        TOKEN,
    ]);
    let shots = root().join("target/dashboard-screenshots");
    let shots_dir = shots.to_string_lossy().into_owned();
    let url = rta.url();
    let script = Script::start(
        "dashboard.mjs",
        &[
            ("DASHBOARD_URL", url.as_str()),
            ("DASHBOARD_TOKEN", TOKEN),
            ("SCREENSHOT_DIR", shots_dir.as_str()),
        ],
    );
    let (status, output) = script.finish(Duration::from_secs(180));
    assert_success(status, &output, "the dashboard of rta run");
    assert_screenshots(
        &shots,
        &[
            "dashboard.png",
            "only-out-of-adherence.png",
            "person-day.png",
        ],
    );
}
