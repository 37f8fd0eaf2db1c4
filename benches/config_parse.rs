//! Config record parsing (issue 11 §1): records/s of `rta::config::parse_config_record` (serde
//! derive, one struct per kind, deserialized straight from the bytes, then `validate`) against
//! the hand walk of `serde_json::Value` it replaced (kept for this comparison in
//! `benches/support/config_hand_walk.rs`), over the `rta.config` records of a simulated day
//! (`rta simulate --persons 10000 --seed 42`). Both must give the same change for every record.
//!
//! Run: `cargo bench --bench config_parse` (10,000 persons); `cargo bench --bench config_parse
//! -- 2000` for 2,000.

#[path = "support/config_hand_walk.rs"]
mod hand_walk;

use rta::config::{parse_config_record, ConfigChange, ConfigError};
use rta::simulate::{generate, SimOptions};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

type Parse = fn(Option<&str>, Option<&[u8]>) -> Result<ConfigChange, ConfigError>;

/// Best of `rounds` passes over every record.
fn best(records: &[(String, Vec<u8>)], parse: Parse, rounds: usize) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for (k, v) in records {
                black_box(parse(Some(k), Some(v)).is_ok());
            }
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let persons = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 42);
    opts.contacts_per_day = 0;
    let records: Vec<(String, Vec<u8>)> = generate(&opts)
        .into_iter()
        .filter(|e| e.topic == rta::wire::CONFIG_TOPIC)
        .filter_map(|e| Some((e.key?, e.value?)))
        .collect();
    let bytes: usize = records.iter().map(|(_, v)| v.len()).sum();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, v) in &records {
        let new = parse_config_record(Some(k), Some(v));
        let old = hand_walk::parse_config_record_hand_walk(Some(k), Some(v));
        assert!(new.is_ok(), "{k}: {new:?}");
        assert_eq!(new, old, "{k}");
        *kinds.entry(k.split('/').nth(1).unwrap_or("")).or_default() += 1;
    }
    println!(
        "{} config records of {persons} persons ({bytes} bytes); by kind {kinds:?}",
        records.len()
    );
    let rounds = 7;
    // warm up both, then alternate so neither gets the cooler machine
    best(&records, hand_walk::parse_config_record_hand_walk, 1);
    best(&records, parse_config_record, 1);
    let (mut old, mut new) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        old = old.min(best(
            &records,
            hand_walk::parse_config_record_hand_walk,
            rounds,
        ));
        new = new.min(best(&records, parse_config_record, rounds));
    }
    let n = records.len() as f64;
    for (what, d) in [
        ("hand walk of serde_json::Value (before)", old),
        ("serde derive + validate (after)", new),
    ] {
        println!(
            "{what:40} {:>10.0} records/s  {:>7.0} ns/record  {:>6.1} MB/s",
            n / d.as_secs_f64(),
            d.as_nanos() as f64 / n,
            bytes as f64 / d.as_secs_f64() / 1e6
        );
    }
    println!("speed-up {:.2}x", old.as_secs_f64() / new.as_secs_f64());
    // schedules are most of the bytes: their share of the time
    let schedules: Vec<(String, Vec<u8>)> = records
        .iter()
        .filter(|(k, _)| k.split('/').nth(1) == Some("schedule"))
        .cloned()
        .collect();
    if !schedules.is_empty() {
        let so = best(&schedules, hand_walk::parse_config_record_hand_walk, rounds);
        let sn = best(&schedules, parse_config_record, rounds);
        println!(
            "schedules only ({}): before {:.0} ns/record, after {:.0} ns/record",
            schedules.len(),
            so.as_nanos() as f64 / schedules.len() as f64,
            sn.as_nanos() as f64 / schedules.len() as f64
        );
    }
}
