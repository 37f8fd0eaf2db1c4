//! The state store on a local Apache Kafka 4.4.0 broker (the tests' broker,
//! `tests/common/broker.rs`): what `rta.changelog` costs while a day is processed, and what it
//! saves when an instance starts. For each guarantee, the same simulated day (`accounts_day`:
//! `RESTORE_ACCOUNTS` accounts × `RESTORE_PERSONS` persons, agent events only) goes through
//! two `rta run` instances on event time, each with topics of its own: one with the changelog
//! (the default), one with `--changelog false`. Then each is SIGKILLed, and a fresh instance
//! starts in the same group once the group's session has expired; it is timed from spawn to
//! `/readyz` 200 — a restore from the changelog, or a replay of the retained input.
//!
//! Reported per guarantee:
//! 1. volume: records and bytes (key + value) written to `rta.changelog`
//!    (`rta_changelog_*_total{op="written"}`, and by key kind read back from the topic) against
//!    the output topics (read back, read_committed), and the compacted size (latest record
//!    per key; the broker has not compacted yet: one active segment);
//! 2. CPU: user + sys seconds of the process (`/proc/PID/stat`) from spawn to every input
//!    offset committed, per input record, changelog on vs off (same run session, same input);
//! 3. start → ready of the restarted instance, with the time of its config catch-up and its
//!    restore (from its own log lines: "config topic caught up", "restored from the changelog",
//!    "partition rebuilt; live");
//! 4. resident memory (`/proc/PID/status` VmRSS) of the day's instance and of the restarted one.
//!
//! Run: `cargo bench --bench kafka_restore` (env `RESTORE_ACCOUNTS` default 20,
//! `RESTORE_PERSONS` per account default 500, `RESTORE_GUARANTEES` default
//! `at-least-once,exactly-once`, `RESTORE_SPREAD_S`: produce the day's events spread over that
//! many seconds while rta runs instead of before it starts, default 0). Bounded: every wait
//! has a deadline; nothing is asserted on time.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/rta_proc.rs"]
mod rta_proc;

use common::*;
use rta::envelope::Envelope;
use rta_proc::*;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

fn main() {
    let accounts: usize = env_or("RESTORE_ACCOUNTS", 20);
    let persons: usize = env_or("RESTORE_PERSONS", 500);
    let spread: u64 = env_or("RESTORE_SPREAD_S", 0);
    let guarantees: String = env_or(
        "RESTORE_GUARANTEES",
        "at-least-once,exactly-once".to_string(),
    );
    let broker = Broker::start();
    let envs = accounts_day(accounts, persons, 11);
    let (config, events): (Vec<Envelope>, Vec<Envelope>) =
        envs.into_iter().partition(|e| e.topic == "rta.config");
    let total = accounts * persons;
    println!(
        "day: {accounts} accounts × {persons} persons = {total} persons, {} config records, {} agent events{}",
        config.len(),
        events.len(),
        if spread > 0 {
            format!(", produced over {spread} s while rta runs")
        } else {
            ", produced before rta starts".into()
        }
    );
    for g in guarantees
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        let on = day(&broker, g, true, &config, &events, spread);
        let off = day(&broker, g, false, &config, &events, spread);
        report(g, total, events.len(), &on, &off);
    }
}

/// What one instance did with the day, and what its restarted successor did.
struct Run {
    cpu_s: f64,
    day_s: f64,
    rss_day: u64,
    written_records: f64,
    written_bytes: f64,
    commits: f64,
    outputs: Volume,
    changelog: Option<ChangelogVolume>,
    restart: Restart,
}

#[derive(Default)]
struct Volume {
    records: u64,
    bytes: u64,
}

#[derive(Default)]
struct ChangelogVolume {
    /// by key kind: person, account, queues
    kinds: BTreeMap<&'static str, Volume>,
    tombstones: u64,
    latest_keys: u64,
    latest_bytes: u64,
}

fn day(
    broker: &Broker,
    guarantee: &str,
    changelog: bool,
    config: &[Envelope],
    events: &[Envelope],
    spread: u64,
) -> Run {
    let short = if guarantee == "exactly-once" {
        "eos"
    } else {
        "alo"
    };
    let tag = format!("{short}-{}", if changelog { "on" } else { "off" });
    let names = Names::new(&format!("rs-{tag}."));
    create_topics(broker, &names, 3);
    produce(broker, &names, config);
    if spread == 0 {
        produce(broker, &names, events);
    }
    let group = format!("rs-{tag}");
    let flag = changelog.to_string();
    let args = [
        "--processing-guarantee",
        guarantee,
        "--instance-id",
        "i1",
        "--changelog",
        &flag,
    ];
    let log_dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let started = Instant::now();
    let mut rta = spawn(
        broker,
        &names,
        &group,
        3,
        &args,
        &log_dir.join(format!("rs-{tag}-1.log")),
    );
    let pid = rta.child.as_ref().map_or(0, |c| c.id());
    if spread > 0 {
        produce_spread(broker, &names, events, 60, Duration::from_secs(spread));
    }
    let input = names.topic("rta.agent-events");
    let ends = end_offsets(broker, &input);
    wait_committed(broker, &group, &input, &ends, Duration::from_secs(900));
    let day_s = started.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds(pid);
    let rss_day = rss(pid);
    let m = metrics(&rta);
    let written_records = m
        .get("rta_changelog_records_total{op=\"written\"}")
        .copied()
        .unwrap_or(0.0);
    let written_bytes = m
        .get("rta_changelog_bytes_total{op=\"written\"}")
        .copied()
        .unwrap_or(0.0);
    let commits = m
        .iter()
        .filter(|(k, _)| k.starts_with("rta_commits_total{result=\"ok\""))
        .map(|(_, v)| v)
        .sum();
    rta.kill();
    let outputs = rta::engine::OutTopic::ALL
        .iter()
        .map(|t| volume(broker, &names.out(*t), |_, _| {}))
        .fold(Volume::default(), |a, v| Volume {
            records: a.records + v.records,
            bytes: a.bytes + v.bytes,
        });
    let changelog_volume =
        changelog.then(|| changelog_volume(broker, &names.topic("rta.changelog")));
    // the killed member's partitions move when its session (6 s) expires: wait that out, so
    // that the restart's time is its own
    std::thread::sleep(Duration::from_secs(8));
    let log = log_dir.join(format!("rs-{tag}-2.log"));
    let restart = start_timed(
        broker,
        &names,
        &group,
        3,
        &args,
        &log,
        Duration::from_secs(600),
    );
    Run {
        cpu_s,
        day_s,
        rss_day,
        written_records,
        written_bytes,
        commits,
        outputs,
        changelog: changelog_volume,
        restart,
    }
}

fn report(g: &str, persons: usize, inputs: usize, on: &Run, off: &Run) {
    let mb = |b: f64| b / 1e6;
    println!("\n== {g} ==");
    println!(
        "day with the changelog: {:.1} s to every offset committed, {:.0} commits; without: {:.1} s, {:.0} commits",
        on.day_s, on.commits, off.day_s, off.commits
    );
    println!(
        "outputs: {} records, {:.1} MB (key + value)",
        on.outputs.records,
        mb(on.outputs.bytes as f64)
    );
    println!(
        "changelog written: {:.0} records, {:.1} MB = {:.2}× the output bytes ({:.2} records per person)",
        on.written_records,
        mb(on.written_bytes),
        on.written_bytes / on.outputs.bytes.max(1) as f64,
        on.written_records / persons as f64
    );
    if let Some(c) = &on.changelog {
        for (kind, v) in &c.kinds {
            println!(
                "  {kind}: {} records, {:.1} MB, {:.0} bytes/record",
                v.records,
                mb(v.bytes as f64),
                v.bytes as f64 / v.records.max(1) as f64
            );
        }
        println!(
            "  tombstones {}; compacted (latest per key): {} keys, {:.1} MB",
            c.tombstones,
            c.latest_keys,
            mb(c.latest_bytes as f64)
        );
    }
    println!(
        "CPU per input record: changelog on {:.1} µs, off {:.1} µs = {:.2}× (process user + sys from spawn to all committed: {:.2} s vs {:.2} s)",
        on.cpu_s * 1e6 / inputs as f64,
        off.cpu_s * 1e6 / inputs as f64,
        on.cpu_s / off.cpu_s,
        on.cpu_s,
        off.cpu_s
    );
    for (what, r, day) in [
        ("restore from the changelog", &on.restart, on),
        (
            "replay of the retained input (--changelog false)",
            &off.restart,
            off,
        ),
    ] {
        println!(
            "restart, {what}: ready {:.2} s after spawn, {:.2} s CPU = {:.0} persons/s to ready; restored {:.0} records, {:.1} MB",
            r.ready_s,
            r.cpu_s,
            persons as f64 / r.ready_s,
            r.restored_records,
            mb(r.restored_bytes)
        );
        println!(
            "  RSS: {:.1} MB = {:.0} bytes/person (the day's instance at its end: {:.1} MB = {:.0} bytes/person)",
            mb(r.rss as f64),
            r.rss as f64 / persons as f64,
            mb(day.rss_day as f64),
            day.rss_day as f64 / persons as f64
        );
        for l in &r.log {
            println!("  log: {l}");
        }
    }
    println!(
        "= restore ready in {:.2}× the replay's time, {:.2}× its CPU",
        on.restart.ready_s / off.restart.ready_s,
        on.restart.cpu_s / off.restart.cpu_s
    );
}

/// Read a topic to its current end (read_committed), handing each record's key and value to
/// `each`: records and bytes (key + value).
fn volume(broker: &Broker, topic: &str, mut each: impl FnMut(&[u8], Option<&[u8]>)) -> Volume {
    let mut v = Volume::default();
    read_each(broker, topic, Duration::from_secs(300), |k, value| {
        let k = k.unwrap_or_default();
        v.records += 1;
        v.bytes += (k.len() + value.map_or(0, <[u8]>::len)) as u64;
        each(k, value);
    });
    v
}

fn changelog_volume(broker: &Broker, topic: &str) -> ChangelogVolume {
    let mut c = ChangelogVolume::default();
    let mut latest: HashMap<Vec<u8>, usize> = HashMap::new();
    volume(broker, topic, |k, v| {
        let kind = match rta::engine::snapshot::ChangeKey::parse(k).map(|k| k.kind) {
            Ok(rta::engine::snapshot::KeyKind::Person(_)) => "person records",
            Ok(rta::engine::snapshot::KeyKind::History(_)) => "person history records",
            Ok(rta::engine::snapshot::KeyKind::Resubmissions(_)) => "resubmission records",
            Ok(rta::engine::snapshot::KeyKind::Parked { .. }) => "parked-event records",
            Ok(rta::engine::snapshot::KeyKind::Account) => "account records",
            Ok(rta::engine::snapshot::KeyKind::Queues) => "queue records",
            Err(_) => "unreadable keys",
        };
        let e = c.kinds.entry(kind).or_default();
        let len = k.len() + v.map_or(0, <[u8]>::len);
        e.records += 1;
        e.bytes += len as u64;
        if v.is_none() {
            c.tombstones += 1;
            latest.remove(k);
        } else {
            latest.insert(k.to_vec(), len);
        }
    });
    c.latest_keys = latest.len() as u64;
    c.latest_bytes = latest.values().map(|l| *l as u64).sum();
    c
}
