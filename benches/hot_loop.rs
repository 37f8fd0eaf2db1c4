//! The hot path of `benches/hot_path.rs` as a plain loop, for profilers: feeds a simulated day
//! of Odigo events to `Engine::on_event` and prints the best of N runs. Instruction counts
//! (deterministic, unlike wall time on a shared VM):
//!
//! `cargo bench --bench hot_loop --no-run`, then
//! `valgrind --tool=callgrind --toggle-collect='*run_day*' target/release/deps/hot_loop-* 2000 1`
//!
//! Run: `cargo bench --bench hot_loop -- 10000 5` (persons, repetitions).

use rta::engine::{Engine, EngineOptions, Origin, Outputs};
use rta::simulate::{plan_day, SimOptions};
use std::time::Instant;
fn main() {
    let persons: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let reps: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 42);
    opts.injixo_integration = None;
    let plan = plan_day(&opts);
    let mut engine = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    for (i, c) in plan.config.iter().enumerate() {
        let origin = Origin {
            topic: "rta.config",
            partition: 0,
            offset: i as i64,
            key: c.key.as_deref().map(str::as_bytes),
            payload: c.value.as_deref(),
        };
        engine.on_config(&origin, &mut out);
    }
    let events: Vec<(String, Vec<u8>)> = plan
        .events
        .into_iter()
        .map(|t| {
            (
                t.envelope
                    .header("rta-integration")
                    .unwrap_or("")
                    .to_string(),
                t.envelope.value.unwrap_or_default(),
            )
        })
        .collect();
    let mut best = f64::MAX;
    let mut total_out = 0;
    for _ in 0..reps {
        let mut e = engine.clone();
        out.clear();
        let t0 = Instant::now();
        let produced = run_day(&mut e, &events, &mut out);
        let dt = t0.elapsed().as_secs_f64();
        best = best.min(dt);
        total_out = produced;
        std::mem::forget(e);
    }
    println!(
        "events={} outputs={} best={:.3}s rate={:.0} ev/s",
        events.len(),
        total_out,
        best,
        events.len() as f64 / best
    );
}

#[inline(never)]
fn run_day(e: &mut Engine, events: &[(String, Vec<u8>)], out: &mut Outputs) -> usize {
    let mut produced = 0;
    for (i, (integ, payload)) in events.iter().enumerate() {
        let origin = Origin {
            topic: "rta.agent-events",
            partition: 0,
            offset: i as i64,
            key: Some(b"acme"),
            payload: Some(payload),
        };
        e.on_event(&origin, Some(integ), out);
        produced += out.len();
        out.clear();
    }
    produced
}
