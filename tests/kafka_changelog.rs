//! The state store's changelog on Apache Kafka (SPEC §11, docs/changelog.md), where it goes
//! wrong: a record that cannot be read is dead-lettered and its partition rebuilt from the
//! retained input (the final states still equal `rta process`'s, and the record is later
//! replaced by a tombstone); a deleted changelog is rebuilt from the retained input; a record of
//! a newer format version stops the instance with one line.

mod common;

use common::*;
use rdkafka::producer::{BaseRecord, Producer};
use rta::engine::OutTopic;
use rta::envelope::Envelope;
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(120);

/// A first run over half the day, stopped gracefully (its commits carry the changelog's mark):
/// (names, group, the whole day's input, the second half still to produce).
fn first_half(prefix: &str) -> (Names, String, Vec<Envelope>, Vec<Envelope>) {
    let broker = Broker::shared();
    let names = Names::new(prefix);
    create_topics(broker, &names, 3);
    let envs = accounts_day(2, 40, 5);
    let (config, events): (Vec<Envelope>, Vec<Envelope>) =
        envs.iter().cloned().partition(|e| e.topic == "rta.config");
    let (early, late) = events.split_at(events.len() / 2);
    produce(broker, &names, &config);
    produce(broker, &names, early);
    let group = format!("{prefix}group");
    let mut rta = Rta::start(broker, &names, &group, &[]);
    let topic = names.topic("rta.agent-events");
    wait_committed(broker, &group, &topic, &end_offsets(broker, &topic), WITHIN);
    assert_eq!(rta.terminate(), Some(0));
    (names, group, envs, late.to_vec())
}

/// Produce `value` under `key` to every partition of the changelog.
fn write_to_changelog(names: &Names, key: &str, value: &[u8]) {
    let broker = Broker::shared();
    let p = producer(broker, &[]);
    let topic = names.topic("rta.changelog");
    for part in 0..3 {
        p.send(
            BaseRecord::<str, [u8]>::to(&topic)
                .key(key)
                .payload(value)
                .partition(part),
        )
        .map_err(|(e, _)| e)
        .expect("send to the changelog");
    }
    p.flush(Duration::from_secs(10)).expect("flush");
}

#[test]
fn an_unreadable_changelog_record_is_dead_lettered_and_its_partition_rebuilt() {
    let broker = Broker::shared();
    let (names, group, envs, late) = first_half("clbad.");
    // a person record of a known account whose body is cut short, a key rta never writes,
    // and a record of an older format version (refused without a dead letter: the whole
    // partition is written again in the current format)
    let v = rta::engine::FORMAT_VERSION;
    write_to_changelog(&names, "acct0/p/zz", &[v, b'p', 0xff]);
    write_to_changelog(&names, "not-a-changelog-key", &[v, b'p']);
    write_to_changelog(&names, "acct0/h/old", &[v - 1, b'h', 0]);
    produce(broker, &names, &late);
    // one member: with several, a worker joining after another restored a partition moves it,
    // and the bad records (not yet replaced by tombstones) are read and reported again
    let mut rta = Rta::start(broker, &names, &group, &["--workers", "1"]);
    let topic = names.topic("rta.agent-events");
    wait_committed(broker, &group, &topic, &end_offsets(broker, &topic), WITHIN);
    let (_, metrics) = rta.get("/metrics").expect("metrics");
    let unreadable: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rta_changelog_records_total{op=\"unreadable\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert_eq!(
        unreadable, 9.0,
        "three bad records on each of three partitions"
    );
    // the partitions were rebuilt from the retained input: the same final states
    let got = published(broker, &names);
    assert_final_states_equal("after a bad changelog record", &got, &offline(&envs));
    let dlq = read_all(broker, &names.out(OutTopic::Dlq));
    let bad: Vec<String> = dlq
        .iter()
        .filter_map(|(_, v)| v.as_ref().map(|v| String::from_utf8_lossy(v).to_string()))
        .filter(|v| v.contains("\"bad_changelog_record\""))
        .collect();
    assert_eq!(
        bad.len(),
        6,
        "one dead letter per unreadable record of the current format: {bad:?}"
    );
    assert!(bad
        .iter()
        .all(|v| v.contains(&names.topic("rta.changelog"))));
    // once live again the bad records are replaced by tombstones (compaction drops them)
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let recs = read_all(broker, &names.topic("rta.changelog"));
        let tombstones = recs
            .iter()
            .filter(|(k, v)| {
                v.is_none()
                    && matches!(
                        k.as_deref(),
                        Some("acct0/p/zz") | Some("not-a-changelog-key") | Some("acct0/h/old")
                    )
            })
            .count();
        if tombstones == 9 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{tombstones} of 9 tombstones for the bad records"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(rta.terminate(), Some(0));
    // and the next start restores without finding them
    let mut again = Rta::start(broker, &names, &group, &[]);
    again.wait_ready(WITHIN);
    let (_, metrics) = again.get("/metrics").expect("metrics");
    assert!(
        metrics.contains("rta_changelog_records_total{op=\"unreadable\"} 0")
            || !metrics.contains("op=\"unreadable\""),
        "no unreadable record on the next start"
    );
    assert_eq!(again.terminate(), Some(0));
}

#[test]
fn a_changelog_record_of_a_newer_format_stops_rta_with_one_line() {
    let broker = Broker::shared();
    let (names, group, _, _) = first_half("clnew.");
    write_to_changelog(&names, "acct0/p/p1", &[9, b'p', 0]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--brokers",
            &broker.addr,
            "--topic-prefix",
            &names.prefix,
        ])
        .args(["--group-id", &group, "--partitions", "3"])
        .args(["--http", &format!("127.0.0.1:{}", free_port())])
        .output()
        .expect("run rta");
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim().lines().last().unwrap_or_default();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        last.starts_with("rta: ")
            && last.contains(&format!(
                "format version 9 is newer than this rta understands ({})",
                rta::engine::FORMAT_VERSION
            )),
        "one clear line: {last}"
    );
}

#[test]
fn a_deleted_changelog_is_rebuilt_from_the_retained_input() {
    use rdkafka::admin::{AdminClient, AdminOptions};
    let broker = Broker::shared();
    let (names, group, envs, late) = first_half("cldel.");
    // the committed offsets carry the mark, but the changelog is gone (rta creates it empty)
    let admin: AdminClient<_> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .expect("admin client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let changelog = names.topic("rta.changelog");
    let res = rt
        .block_on(admin.delete_topics(&[changelog.as_str()], &AdminOptions::new()))
        .expect("delete the changelog");
    assert!(res.iter().all(|r| r.is_ok()), "{res:?}");
    let deadline = std::time::Instant::now() + WITHIN;
    while end_offsets(broker, &changelog).values().any(|o| *o > 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "the changelog is still there"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    produce(broker, &names, &late);
    let mut rta = Rta::start(broker, &names, &group, &[]);
    let topic = names.topic("rta.agent-events");
    wait_committed(broker, &group, &topic, &end_offsets(broker, &topic), WITHIN);
    // rebuilt from the retained input: the same final states as rta process over the day
    let got = published(broker, &names);
    assert_final_states_equal("after the changelog was deleted", &got, &offline(&envs));
    assert_eq!(rta.terminate(), Some(0));
    // and written whole again: the next start restores
    let again = Rta::start(broker, &names, &group, &[]);
    again.wait_ready(WITHIN);
    let (_, metrics) = again.get("/metrics").expect("metrics");
    let restored: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rta_changelog_records_total{op=\"restored\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(restored > 0.0, "the changelog was written whole again");
    let mut again = again;
    assert_eq!(again.terminate(), Some(0));
}
