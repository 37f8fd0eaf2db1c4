//! Hot-path benchmark: decode an Odigo event, resolve identifier and status, apply it to the
//! person's timeline, evaluate adherence, encode the output records — over a simulated day of
//! 10,000 persons with schedules, delivered in order (with the simulator's duplicates and late
//! deliveries). Throughput is reported in events per second on one core.
//!
//! Run: `cargo bench --bench hot_path`

#[path = "support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn hot_path(c: &mut Criterion) {
    let (engine, events) = support::load_day(10_000);
    let n = events.len() as u64;
    let mut g = c.benchmark_group("hot_path");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("odigo_day_10k_persons", |b| {
        b.iter_batched(
            || (engine.clone(), rta::engine::Outputs::default()),
            // returned, so criterion drops the engine outside the measured time
            |(mut e, mut out)| {
                support::run_day(&mut e, &events, &mut out);
                (e, out)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("decode");
    let payload = br#"{"eventId":"e-1","timestamp":"2026-11-23T08:03:00Z","login":"bob.smith@acme.example","state":"PAUSE","pauseCode":"LUNCH"}"#;
    g.throughput(Throughput::Elements(1));
    g.bench_function("odigo_one", |b| {
        let mut out = rta::decode::Decoded::new();
        b.iter(|| {
            out.clear();
            rta::decode::decode_odigo(std::hint::black_box(payload), true, None, &mut out).unwrap();
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
