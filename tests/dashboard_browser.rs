//! The dashboard page in a real browser (issue 12): `rta run` on the embedded default (a busy
//! simulated morning at 60× real time, behind an access token) and `tests/browser/dashboard.mjs`
//! driving Debian's chromium with playwright-core. Screenshots are written to
//! `target/dashboard-screenshots/`. Missing chromium, node or playwright-core fail the test with
//! one line saying what to install (`.ci/run` installs them).

mod embedded_rta;

use embedded_rta::Rta;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "browser-test-token-0123456789";

fn prerequisites(root: &Path) {
    if !Path::new("/usr/bin/chromium").exists() {
        panic!("chromium is missing: install Debian's package (apt-get install chromium); .ci/run does");
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        panic!("node is missing: install Node.js 20 or newer (apt-get install nodejs npm)");
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        panic!("playwright-core is missing: run `npm ci --prefix tests/browser`; .ci/run does");
    }
}

#[test]
fn dashboard_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    prerequisites(root);
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
    let shots = root.join("target/dashboard-screenshots");
    let mut child = Command::new("node")
        .arg(root.join("tests/browser/dashboard.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("DASHBOARD_URL", rta.url())
        .env("DASHBOARD_TOKEN", TOKEN)
        .env("SCREENSHOT_DIR", &shots)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for node") {
            break Some(st);
        }
        if start.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().expect("node output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    let Some(status) = status else {
        panic!("the browser script did not finish within 180 s");
    };
    assert!(
        status.success(),
        "the dashboard failed in chromium:\n{stdout}{stderr}"
    );
    for shot in [
        "dashboard.png",
        "only-out-of-adherence.png",
        "person-day.png",
    ] {
        let len = std::fs::metadata(shots.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 10_000, "screenshot {shot} missing or empty");
    }
}
