//! `workers = N` on Apache Kafka: an instance runs N members of the consumer group, each with
//! an engine shard, a producer and (exactly-once) a transactional.id of its own.
//!
//! Exactly-once, while the day's events are being produced: instance A (2 workers) runs, B
//! (2 workers) joins and later stops, so partitions move from A's workers to B's and back —
//! each move a revoke, a restore from the changelog and a continuation from the committed
//! offsets, and the range assignor hands a partition back to whichever of A's workers its
//! member order gives. The published multiset equals the offline run's (nothing lost, nothing
//! twice), A restored state from the changelog, and both of A's workers end up holding
//! partitions.

mod common;

use common::*;
use rta::envelope::Envelope;
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(180);
/// The day's events are produced over this long; B joins and leaves inside it.
const PRODUCING: Duration = Duration::from_secs(12);

/// A sample's value on `/metrics` (`None` when absent).
fn metric(rta: &Rta, sample: &str) -> Option<f64> {
    let (_, body) = rta.get("/metrics")?;
    body.lines()
        .find_map(|l| l.strip_prefix(sample).and_then(|v| v.trim().parse().ok()))
}

#[test]
fn partitions_move_between_workers_of_two_instances_exactly_once() {
    let broker = Broker::shared();
    let names = Names::new("wrk2.");
    let partitions = 8;
    create_topics(broker, &names, partitions);
    let envs = accounts_day(8, 40, 21);
    let want = offline(&envs);
    let (config, events): (Vec<Envelope>, Vec<Envelope>) =
        envs.into_iter().partition(|e| e.topic == "rta.config");
    produce(broker, &names, &config);
    let group = "wrk2.group";
    let args = |id: &'static str| {
        [
            "--workers",
            "2",
            "--processing-guarantee",
            "exactly-once",
            "--instance-id",
            id,
        ]
    };
    let mut a = Rta::start(broker, &names, group, &args("a"));
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| produce_spread(broker, &names, &events, 24, PRODUCING));
        std::thread::sleep(Duration::from_secs(3));
        let mut b = Rta::start(broker, &names, group, &args("b"));
        b.wait_ready(WITHIN);
        std::thread::sleep(Duration::from_secs(8).saturating_sub(started.elapsed()));
        assert_eq!(b.terminate(), Some(0), "B stops gracefully");
    });
    let ends = end_offsets(broker, &names.topic("rta.agent-events"));
    wait_committed(
        broker,
        group,
        &names.topic("rta.agent-events"),
        &ends,
        WITHIN,
    );
    a.wait_ready(WITHIN);
    // the gauges are refreshed every tick (1 s)
    let deadline = Instant::now() + Duration::from_secs(20);
    let held = loop {
        let held: Vec<f64> = (0..2)
            .map(|w| metric(&a, &format!("rta_worker_partitions{{worker=\"{w}\"}}")).unwrap_or(0.0))
            .collect();
        if held.iter().sum::<f64>() == partitions as f64 || Instant::now() > deadline {
            break held;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(
        held.iter().sum::<f64>(),
        partitions as f64,
        "every partition held by one of A's workers: {held:?}"
    );
    assert!(
        held.iter().all(|n| *n >= 1.0),
        "the group gave both workers partitions: {held:?}"
    );
    let restored = metric(&a, "rta_changelog_records_total{op=\"restored\"}").unwrap_or(0.0);
    assert!(
        restored > 0.0,
        "A took B's partitions back from the changelog"
    );
    assert_eq!(a.terminate(), Some(0), "A stops gracefully");

    let got = published(broker, &names);
    assert_published_once("two instances of two workers", &got, &want);
    assert_final_states_equal("two instances of two workers, exactly-once", &got, &want);
}
