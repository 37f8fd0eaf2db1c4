//! The hot path of `benches/hot_path.rs` as a plain loop, for profilers: feeds a simulated day
//! of Odigo events to `Engine::on_event` and prints the best of N runs. Instruction counts
//! (deterministic, unlike wall time on a shared VM):
//!
//! `cargo bench --bench hot_loop --no-run`, then
//! `valgrind --tool=callgrind --toggle-collect='*run_day*' target/release/deps/hot_loop-* 2000 1`
//!
//! Run: `cargo bench --bench hot_loop -- 10000 5` (persons, repetitions).
//!
//! `cargo bench --bench hot_loop -- contacts 5`: the contact-events day of
//! `benches/hot_path.rs` (`contacts/day_10_per_body_24_queues`) instead, through
//! `Engine::on_contacts` (`--toggle-collect='*run_contacts*'`).

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

fn main() {
    // `cargo bench` adds `--bench`; the numbers are persons and repetitions
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if std::env::args().any(|a| a == "contacts") {
        return contacts(nums.first().copied().unwrap_or(5));
    }
    let persons = nums.first().copied().unwrap_or(10_000);
    let reps = nums.get(1).copied().unwrap_or(5);
    let (engine, events) = support::load_day(persons);
    let mut out = rta::engine::Outputs::default();
    let (mut best, mut produced) = (f64::MAX, 0);
    for _ in 0..reps {
        let mut e = engine.clone();
        let t0 = Instant::now();
        produced = support::run_day(&mut e, &events, &mut out);
        best = best.min(t0.elapsed().as_secs_f64());
        std::mem::forget(e); // dropping is not the hot path
    }
    println!(
        "events={} outputs={produced} best={best:.3}s rate={:.0} ev/s",
        events.len(),
        events.len() as f64 / best
    );
}

fn contacts(reps: usize) {
    let engine = support::contact_engine();
    let (bodies, n) = support::contact_bodies(20_000, 10, 24, 10);
    let mut out = rta::engine::Outputs::default();
    let (mut best, mut produced) = (f64::MAX, 0);
    for _ in 0..reps {
        let mut e = engine.clone();
        let t0 = Instant::now();
        produced = support::run_contacts(&mut e, &bodies, &mut out);
        best = best.min(t0.elapsed().as_secs_f64());
        std::mem::forget(e);
    }
    println!(
        "contacts={n} bodies={} outputs={produced} best={best:.3}s rate={:.0} contacts/s",
        bodies.len(),
        n as f64 / best
    );
}
