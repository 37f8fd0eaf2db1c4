//! The changelog of a simulated day (issue 11; `docs/changelog.md`): bytes written to
//! `rta.changelog` per day, coalesced per batch of input records, against the bytes of the
//! outputs; snapshot encode and restore time per person; engine heap per person before and
//! after a restore (counted by a wrapping global allocator).
//!
//! Run: `cargo bench --bench snapshot` (10,000 persons, batches of 500 records);
//! `cargo bench --bench snapshot -- 2000 100` for 2,000 persons in batches of 100;
//! `cargo bench --bench snapshot -- 10000 500 0` without contact events (default 30 per
//! person).

use rta::cli::process::{feed_envelope, CONFIG_TOPIC};
use rta::engine::{Changelog, Engine, EngineOptions, Outputs};
use rta::simulate::{generate, SimOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn kind(key: &str) -> &'static str {
    match key.split('/').nth(1) {
        Some("p") => "person",
        Some("h") => "history",
        Some("q") => "queues",
        Some("r") => "resubmit",
        Some("k") => "parked",
        _ => "account",
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    let persons = args.first().copied().unwrap_or(10_000);
    let batch = args.get(1).copied().unwrap_or(500).max(1);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    let contacts = args.get(2).copied().unwrap_or(30);
    let input = generate(&SimOptions {
        contacts_per_day: persons.saturating_mul(contacts),
        ..SimOptions::new(persons, date, 1)
    });
    let opts = EngineOptions::default();
    println!(
        "{persons} persons, {} input records, batches of {batch}",
        input.len()
    );

    // 1. A day through the engine, the changelog collected after every batch.
    let mut a = Engine::new(opts.clone());
    let mut out = Outputs::default();
    let mut cl = Changelog::default();
    let (mut out_bytes, mut out_recs) = (0usize, 0usize);
    let mut log_bytes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut tombstones = 0usize;
    let mut collect_ns = 0u128;
    let mut compacted: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
    let mut drain = |a: &mut Engine, out: &mut Outputs, cl: &mut Changelog, tomb: &mut usize| {
        for o in out.iter() {
            out_bytes += o.key.map_or(0, str::len) + o.value.map_or(0, <[u8]>::len);
            out_recs += 1;
        }
        out.clear();
        cl.clear();
        let t = Instant::now();
        a.collect_changelog(cl);
        collect_ns += t.elapsed().as_nanos();
        for (k, v) in cl.iter() {
            let e = log_bytes.entry(kind(k)).or_default();
            e.0 += 1;
            e.1 += k.len() + v.map_or(0, <[u8]>::len);
            *tomb += v.is_none() as usize;
            compacted.insert(k.to_string(), v.map(<[u8]>::to_vec));
        }
    };
    let t0 = Instant::now();
    for (i, env) in input.iter().enumerate() {
        feed_envelope(&mut a, env, i as i64, &mut out);
        if (i + 1) % batch == 0 {
            drain(&mut a, &mut out, &mut cl, &mut tombstones);
        }
    }
    a.finish(None, &mut out);
    drain(&mut a, &mut out, &mut cl, &mut tombstones);
    let day_s = t0.elapsed().as_secs_f64();
    let total: usize = log_bytes.values().map(|(_, b)| b).sum();
    let recs: usize = log_bytes.values().map(|(n, _)| n).sum();
    println!(
        "outputs: {out_recs} records, {:.1} MB (keys + values)",
        out_bytes as f64 / 1e6
    );
    println!(
        "changelog: {recs} records ({tombstones} tombstones), {:.1} MB = {:.2}x the outputs; collecting took {:.0} ms of the {:.1} s day",
        total as f64 / 1e6,
        total as f64 / out_bytes as f64,
        collect_ns as f64 / 1e6,
        day_s
    );
    for (k, (n, b)) in &log_bytes {
        println!(
            "  {k:8} {n:>9} records {:>8.1} MB, {:>6} bytes/record",
            *b as f64 / 1e6,
            b / n.max(&1)
        );
    }
    let compacted_bytes: usize = compacted
        .iter()
        .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
        .sum();
    println!(
        "compacted changelog at the end of the day: {} keys, {:.1} MB",
        compacted.len(),
        compacted_bytes as f64 / 1e6
    );

    // 2. Encode every key, and restore them into an engine with the config applied.
    let n_persons = a.person_count().max(1);
    let mut all = Changelog::default();
    let mut best_enc = f64::MAX;
    for _ in 0..5 {
        all.clear();
        let t = Instant::now();
        a.snapshot_all(&mut all);
        best_enc = best_enc.min(t.elapsed().as_secs_f64());
    }
    // a person's two records (state and history) together
    let mut per_person: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, v) in all.iter() {
        if matches!(kind(k), "person" | "history") {
            *per_person
                .entry(k.rsplit('/').next().unwrap_or(k))
                .or_default() += v.map_or(0, <[u8]>::len);
        }
    }
    let person_bytes: Vec<usize> = per_person.into_values().collect();
    println!(
        "snapshot of every key: {} records, {:.1} MB; a person's records {} bytes on average, {} at most; encode {:.2} µs/person",
        all.len(),
        all.bytes() as f64 / 1e6,
        person_bytes.iter().sum::<usize>() / person_bytes.len().max(1),
        person_bytes.iter().max().copied().unwrap_or(0),
        best_enc * 1e6 / n_persons as f64
    );
    let records: Vec<(String, Option<Vec<u8>>)> = all
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
        .collect();
    drop(all);
    let before = live();
    drop(a);
    let heap_a = before - live();
    let config: Vec<_> = input.iter().filter(|e| e.topic == CONFIG_TOPIC).collect();
    let mut best_dec = f64::MAX;
    let mut heap_b = 0;
    for round in 0..3 {
        let mut b = Engine::new(opts.clone());
        for (i, env) in config.iter().enumerate() {
            feed_envelope(&mut b, env, i as i64, &mut out);
        }
        out.clear();
        let t = Instant::now();
        for (k, v) in &records {
            if let Err(e) = b.restore(k.as_bytes(), v.as_deref()) {
                panic!("restore: {e}");
            }
        }
        let bad = b.finish_restore();
        assert!(bad.is_empty(), "restore: {bad:?}");
        best_dec = best_dec.min(t.elapsed().as_secs_f64());
        b.discard_changelog();
        if round == 0 {
            let before = live();
            drop(b);
            heap_b = before - live();
        }
    }
    println!(
        "restore: {:.2} µs/person (after the config)",
        best_dec * 1e6 / n_persons as f64
    );
    println!(
        "engine heap: {} bytes/person after the day, {} bytes/person restored ({} persons)",
        heap_a / n_persons as isize,
        heap_b / n_persons as isize,
        n_persons
    );
}
