//! `rta process --workers N`: the same set of output records as one worker, each account's in
//! the same order, for a day of several accounts with bad lines among them.

use rta::cli::process::{process_max, DEFAULT_MAX_LINE};
use rta::cli::process_workers::{process_parallel, Router};
use rta::engine::EngineOptions;
use rta::simulate::{write_ndjson, SimOptions};
use std::collections::BTreeMap;

fn input(accounts: usize) -> Vec<u8> {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut buf = Vec::new();
    for a in 0..accounts {
        let mut o = SimOptions::new(12, date, 40 + a as u64);
        o.account = format!("acct{a}");
        write_ndjson(&o, &mut buf).unwrap();
    }
    // bad lines: not JSON, an unknown topic, one over the line limit
    buf.extend_from_slice(b"{not json\n");
    buf.extend_from_slice(b"{\"topic\":\"nope\",\"key\":\"acct1\",\"value\":{}}\n");
    buf.extend_from_slice(format!("{}\n", "x".repeat(5000)).as_bytes());
    buf
}

fn run(input: &[u8], workers: usize) -> Vec<String> {
    let until = rta::time::parse_rfc3339("2026-11-24T06:00:00Z");
    let mut out = Vec::new();
    if workers == 1 {
        process_max(input, EngineOptions::default(), until, 4096, &mut out).unwrap();
    } else {
        process_parallel(
            input,
            EngineOptions::default(),
            until,
            4096,
            workers,
            &mut out,
        )
        .unwrap();
    }
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Output lines per account (the key's first part), in order.
fn per_account(lines: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        // dead letters carry the input key: its first part is the account
        let account = match v["value"]["account"].as_str() {
            Some(a) => a.to_string(),
            None => v["key"]
                .as_str()
                .and_then(|k| k.split('/').next())
                .unwrap_or("(none)")
                .to_string(),
        };
        m.entry(account).or_default().push(l.clone());
    }
    m
}

#[test]
fn three_workers_give_the_records_of_one() {
    let input = input(6);
    let one = run(&input, 1);
    let three = run(&input, 3);
    assert!(one.len() > 1000, "a real day: {} records", one.len());
    let (mut a, mut b) = (one.clone(), three.clone());
    a.sort();
    b.sort();
    assert!(a == b, "not the same set of records");
    let (pa, pb) = (per_account(&one), per_account(&three));
    assert_eq!(pa.keys().collect::<Vec<_>>(), pb.keys().collect::<Vec<_>>());
    for (k, v) in &pa {
        assert!(*v == pb[k], "account {k}: records in another order");
    }
    let dead = three
        .iter()
        .filter(|l| l.contains("\"topic\":\"rta.dlq\""))
        .count();
    assert!(dead >= 3, "the bad lines are dead letters: {dead}");
}

#[test]
fn accounts_spread_over_the_workers() {
    let line =
        |a: &str| format!("{{\"topic\":\"rta.agent-events\",\"key\":\"{a}\",\"value\":{{}}}}");
    let config =
        |a: &str| format!("{{\"topic\":\"rta.config\",\"key\":\"{a}/settings\",\"value\":{{}}}}");
    let mut r = Router::new(4);
    let mut per_worker = [0; 4];
    for i in 0..20 {
        let a = format!("acct{i}");
        let w = r.worker_of(config(&a).as_bytes());
        assert_eq!(
            w,
            r.worker_of(line(&a).as_bytes()),
            "events go with their account's config"
        );
        per_worker[w] += 1;
    }
    assert_eq!(per_worker, [5; 4], "20 accounts, 5 per worker");
    assert_eq!(r.worker_of(b"{not json"), 0);
    // routing reads the head only: fields in any order, the value after it not parsed (a
    // broken value is the worker's dead letter, under its account's worker)
    for i in 0..20 {
        let a = format!("acct{i}");
        let w = r.worker_of(line(&a).as_bytes());
        let reordered = format!("{{\"headers\":{{\"x\":\"y\"}},\"key\":\"{a}\",\"topic\":\"rta.agent-events\",\"value\":[1,2]}}");
        assert_eq!(r.worker_of(reordered.as_bytes()), w);
        let broken = format!("{{\"topic\":\"rta.agent-events\",\"key\":\"{a}\",\"value\":{{oops");
        assert_eq!(r.worker_of(broken.as_bytes()), w);
    }
    assert_eq!(
        r.worker_of(br#"{"topic":"rta.agent-events","key":null,"value":{}}"#),
        0
    );
    assert_eq!(
        r.worker_of(br#"{"topic":"rta.agent-events","value":{}}"#),
        0
    );
    let _ = DEFAULT_MAX_LINE;
}
