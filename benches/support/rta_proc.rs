//! `rta run` as a child process for the Kafka benches: spawned with its log in a file, timed
//! to `/readyz`, its metrics, CPU seconds and resident memory read from outside.
#![allow(dead_code)]

use crate::common::*;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `rta run` as `Rta::start` (topics of `names`, `partitions` when it creates them), its log
/// (stderr) to a file.
pub fn spawn(
    broker: &Broker,
    names: &Names,
    group: &str,
    partitions: i32,
    extra: &[&str],
    log: &std::path::Path,
) -> Rta {
    let http = free_port();
    let file = std::fs::File::create(log).expect("rta log file");
    let child = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            &broker.addr,
            "--group-id",
            group,
            "--topic-prefix",
            &names.prefix,
            "--clock",
            "event-time",
            "--http",
            &format!("127.0.0.1:{http}"),
            "--partitions",
            &partitions.to_string(),
            "--kafka",
            "session.timeout.ms=6000",
            "--kafka",
            "heartbeat.interval.ms=1000",
        ])
        .args(extra)
        .env(
            "RTA_LOG",
            std::env::var("RESTORE_RTA_LOG").unwrap_or_else(|_| "info".into()),
        )
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("run rta");
    Rta {
        child: Some(child),
        http,
    }
}

/// Poll `/readyz` every 10 ms.
pub fn wait_ready(rta: &Rta, within: Duration) {
    let deadline = Instant::now() + within;
    while !matches!(rta.get("/readyz"), Some((200, _))) {
        assert!(Instant::now() < deadline, "rta not ready within {within:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every sample of `/metrics`, by name with labels.
pub fn metrics(rta: &Rta) -> HashMap<String, f64> {
    let (_, body) = rta.get("/metrics").expect("metrics answer");
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// User + sys CPU seconds of a process so far (`/proc/PID/stat`, fields 14 and 15).
pub fn cpu_seconds(pid: u32) -> f64 {
    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / ticks
}

/// Resident memory of a process (`/proc/PID/status` VmRSS), bytes.
pub fn rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

pub fn strip_ansi(l: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for ch in l.chars() {
        match (esc, ch) {
            (false, '\u{1b}') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// A bench setting from the environment, or its default.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A start of `rta run` timed to ready, as both Kafka restore benches report it.
pub struct Restart {
    /// Spawn → `/readyz` 200.
    pub ready_s: f64,
    /// User + sys seconds of the process by then.
    pub cpu_s: f64,
    /// Resident memory by then.
    pub rss: u64,
    /// `rta_changelog_{records,bytes}_total{op="restored"}`.
    pub restored_records: f64,
    pub restored_bytes: f64,
    /// Its log lines about the config catch-up, restores and rebuilds.
    pub log: Vec<String>,
}

/// Spawn `rta run` (see [`spawn`]), wait for ready (at most `within`), measure it, kill it.
pub fn start_timed(
    broker: &Broker,
    names: &Names,
    group: &str,
    partitions: i32,
    args: &[&str],
    log: &std::path::Path,
    within: Duration,
) -> Restart {
    let t0 = Instant::now();
    let mut rta = spawn(broker, names, group, partitions, args, log);
    let pid = rta.child.as_ref().map_or(0, |c| c.id());
    wait_ready(&rta, within);
    let ready_s = t0.elapsed().as_secs_f64();
    let (cpu_s, rss) = (cpu_seconds(pid), rss(pid));
    let m = metrics(&rta);
    rta.kill();
    let wanted = [
        "config topic caught up",
        "restored from the changelog",
        "partition rebuilt; live",
        "partitions restored; live",
    ];
    let restored = |name: &str| {
        m.get(&format!("{name}{{op=\"restored\"}}"))
            .copied()
            .unwrap_or(0.0)
    };
    Restart {
        ready_s,
        cpu_s,
        rss,
        restored_records: restored("rta_changelog_records_total"),
        restored_bytes: restored("rta_changelog_bytes_total"),
        log: std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| wanted.iter().any(|w| l.contains(w)))
            .map(strip_ansi)
            .collect(),
    }
}
