//! Hot-path benchmark: decode an Odigo event, resolve identifier and status, apply it to the
//! person's timeline, evaluate adherence, encode the output records — over a simulated day of
//! 10,000 persons with schedules, delivered in order (with the simulator's duplicates and late
//! deliveries). Throughput is reported in events per second on one core.
//!
//! Run: `cargo bench --bench hot_path`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rta::engine::{Engine, EngineOptions, Origin, Outputs};
use rta::simulate::{plan_day, SimOptions};

struct Loaded {
    engine: Engine,
    /// (integration header, payload) in delivery order.
    events: Vec<(String, Vec<u8>)>,
}

fn load(persons: usize) -> Loaded {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 42);
    opts.injixo_integration = None; // the hot path is Odigo's
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
    let events = plan
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
    Loaded { engine, events }
}

fn run_day(mut engine: Engine, events: &[(String, Vec<u8>)]) -> usize {
    let mut out = Outputs::default();
    let mut produced = 0;
    for (i, (integ, payload)) in events.iter().enumerate() {
        let origin = Origin {
            topic: "rta.agent-events",
            partition: 0,
            offset: i as i64,
            key: Some(b"acme"),
            payload: Some(payload),
        };
        engine.on_event(&origin, Some(integ), &mut out);
        produced += out.len();
        out.clear();
    }
    produced
}

fn hot_path(c: &mut Criterion) {
    let loaded = load(10_000);
    let n = loaded.events.len() as u64;
    let mut g = c.benchmark_group("hot_path");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("odigo_day_10k_persons", |b| {
        b.iter_batched(
            || loaded.engine.clone(),
            |e| run_day(e, &loaded.events),
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
