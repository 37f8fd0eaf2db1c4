//! Hot-path benchmark: decode an Odigo event, resolve identifier and status, apply it to the
//! person's timeline, evaluate adherence, encode the output records — over a simulated day of
//! 10,000 persons with schedules, delivered in order (with the simulator's duplicates and late
//! deliveries). Throughput is reported in events per second on one core.
//!
//! Contact events (SPEC §10): a day of injixo contact-events bodies of 10 items over 24 queues
//! and three channels, 10 % of the items late (after their interval was published), through
//! `Engine::on_contacts` on event time: decode, resubmission digest, queue and slot lookup,
//! counter update, queue intervals published as the clock passes them (and revised for late
//! contacts). Throughput in contacts per second on one core; `contacts/count_only` is the
//! counter update alone (`Queues::count`).
//!
//! Run: `cargo bench --bench hot_path` (`-- contacts` for the contact benches only)

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

fn contacts(c: &mut Criterion) {
    let engine = support::contact_engine();
    let (bodies, n) = support::contact_bodies(20_000, 10, 24, 10);
    let mut g = c.benchmark_group("contacts");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("day_10_per_body_24_queues", |b| {
        b.iter_batched(
            || (engine.clone(), rta::engine::Outputs::default()),
            |(mut e, mut out)| {
                support::run_contacts(&mut e, &bodies, &mut out);
                (e, out)
            },
            BatchSize::PerIteration,
        )
    });
    // the counter update alone: 100,000 contacts into 24 queues × 3 channels over a day
    use rta::engine::queues::{ContactIn, Queues};
    let names: Vec<(String, String)> = (0..24)
        .map(|q| (format!("{}_{q}", 1000 + q), format!("Queue {q}")))
        .collect();
    let mut rng = rta::simulate::rng::Rng::new(5);
    let contacts: Vec<(usize, usize, i64, bool)> = (0..100_000)
        .map(|i| {
            let t = 1_795_420_800_000 + i as i64 * 500 - rng.range(0, 120) * 1000;
            (
                rng.below(24) as usize,
                rng.below(3) as usize,
                t,
                rng.below(100) < 88,
            )
        })
        .collect();
    const CHANNELS: [&str; 3] = ["calls", "chat", "email"];
    g.throughput(Throughput::Elements(contacts.len() as u64));
    g.bench_function("count_only", |b| {
        b.iter_batched(
            Queues::default,
            |mut q| {
                for &(qi, ch, time, handled) in &contacts {
                    let c = ContactIn {
                        integration: 0,
                        queue_id: &names[qi].0,
                        queue_name: &names[qi].1,
                        channel: CHANNELS[ch],
                        time,
                        offered: true,
                        handled,
                        duration_ms: 240_000,
                    };
                    let _ = q.count(&c, 10_000, 1_000);
                }
                q
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, contacts, hot_path);
criterion_main!(benches);
