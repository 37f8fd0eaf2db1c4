//! Faults on Apache Kafka: the broker down for 30 s mid-stream, an instance of three killed
//! mid-day, a producer queue that stays full past `max.poll.interval.ms`, and topics that are
//! not what rta needs.

mod common;

use common::*;
use rta::engine::OutTopic;
use rta::envelope::Envelope;
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(180);

fn split(envs: Vec<Envelope>) -> (Vec<Envelope>, Vec<Envelope>) {
    envs.into_iter().partition(|e| e.topic == "rta.config")
}

fn readyz(rta: &Rta) -> Option<u16> {
    rta.get("/readyz").map(|(c, _)| c)
}

/// Stop the broker JVM for 30 s while rta runs; it stays up, says so on /readyz, and ends in
/// the states of `rta process` (exactly-once: with every output once).
fn broker_down_for_30_s(guarantee: &str) {
    let mut broker = Broker::start();
    let names = Names::new("down.");
    create_topics(&broker, &names, 3);
    let envs = accounts_day(1, 200, 5);
    let want = offline(&envs);
    let (config, events) = split(envs);
    let half = events.len() / 2;
    produce(&broker, &names, &config);
    produce(&broker, &names, &events[..half]);
    let mut rta = Rta::start(
        &broker,
        &names,
        "down",
        &["--processing-guarantee", guarantee],
    );
    rta.wait_ready(WITHIN);
    let topic = names.topic("rta.agent-events");
    wait_committed(
        &broker,
        "down",
        &topic,
        &end_offsets(&broker, &topic),
        WITHIN,
    );

    broker.stop();
    let stopped = Instant::now();
    let mut saw_503 = None;
    while stopped.elapsed() < Duration::from_secs(30) {
        let code = readyz(&rta);
        assert!(
            code.is_some(),
            "{guarantee}: rta stopped answering while the broker was down"
        );
        if saw_503.is_none() && code == Some(503) {
            saw_503 = Some(stopped.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let at = saw_503
        .unwrap_or_else(|| panic!("{guarantee}: /readyz never said 503 in 30 s without a broker"));
    assert!(
        at < Duration::from_secs(10),
        "{guarantee}: /readyz 503 only after {at:?}"
    );
    assert!(
        rta.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none()),
        "rta exited"
    );
    broker.restart();
    rta.wait_ready(Duration::from_secs(60));

    produce(&broker, &names, &events[half..]);
    wait_committed(
        &broker,
        "down",
        &topic,
        &end_offsets(&broker, &topic),
        WITHIN,
    );
    assert_eq!(rta.terminate(), Some(0));
    let got = published(&broker, &names);
    assert_final_states_equal(guarantee, &got, &want);
    let (missing, extra) = multiset_diff(&multiset_of(&got), &multiset_of(&want));
    assert!(
        missing.is_empty(),
        "{guarantee}: lost {} records, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    if guarantee == "exactly-once" {
        assert!(
            extra.is_empty(),
            "exactly-once: {} records twice, e.g. {:?}",
            extra.len(),
            extra.first()
        );
    }
}

#[test]
fn broker_down_for_30_s_at_least_once() {
    broker_down_for_30_s("at-least-once");
}

#[test]
fn broker_down_for_30_s_exactly_once() {
    broker_down_for_30_s("exactly-once");
}

/// Three instances on six partitions, a day of 1,000 persons over ten accounts: one is killed
/// at mid-day and restarted 20 s later. The result equals one undisturbed instance's.
#[test]
fn three_instances_one_killed_mid_day() {
    let broker = Broker::start();
    let names = Names::new("scale.");
    create_topics(&broker, &names, 6);
    let envs = accounts_day(10, 100, 21);
    let want = offline(&envs);
    let (config, events) = split(envs);
    produce(&broker, &names, &config);
    let args = |i: &str| {
        vec![
            "--processing-guarantee".to_string(),
            "exactly-once".into(),
            "--instance-id".into(),
            i.to_string(),
        ]
    };
    let start = |i: &str| {
        let a = args(i);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        Rta::start(&broker, &names, "scale", &a)
    };
    let mut instances = vec![start("a"), start("b"), start("c")];
    let half = events.len() / 2;
    produce(&broker, &names, &events[..half]);
    let topic = names.topic("rta.agent-events");
    wait_committed(
        &broker,
        "scale",
        &topic,
        &end_offsets(&broker, &topic),
        WITHIN,
    );
    instances[1].kill();
    let killed = Instant::now();
    // the rest of the day arrives while the group runs on two, then three again
    std::thread::scope(|scope| {
        scope.spawn(|| {
            produce_spread(
                &broker,
                &names,
                &events[half..],
                20,
                Duration::from_secs(30),
            )
        });
        std::thread::sleep(Duration::from_secs(20).saturating_sub(killed.elapsed()));
        instances[1] = start("b");
    });
    wait_committed(
        &broker,
        "scale",
        &topic,
        &end_offsets(&broker, &topic),
        WITHIN,
    );
    for i in &mut instances {
        assert_eq!(i.terminate(), Some(0));
    }
    let got = published(&broker, &names);
    assert_final_states_equal("three instances", &got, &want);
    let (missing, extra) = multiset_diff(&multiset_of(&got), &multiset_of(&want));
    let dump = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("scale-diff.txt");
    let _ = std::fs::write(
        &dump,
        format!(
            "missing:\n{}\nextra:\n{}\n",
            missing.join("\n"),
            extra.join("\n")
        ),
    );
    assert!(
        missing.is_empty(),
        "lost {} records, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert!(
        extra.is_empty(),
        "exactly-once: {} records twice, e.g. {:?}",
        extra.len(),
        extra.first()
    );
}

/// A producer queue that stays full for longer than `max.poll.interval.ms` (five records,
/// each batch held 8 s by `linger.ms`): rta pauses its partitions and keeps polling, so it
/// stays in its group, and goes on when the queue drains.
#[test]
fn a_full_producer_queue_does_not_leave_the_group() {
    let broker = Broker::start();
    let names = Names::new("bp.");
    create_topics(&broker, &names, 1);
    let envs = read_envelopes(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/spec-example.ndjson"
    ));
    let want = offline(&envs);
    let (config, events) = split(envs);
    produce(&broker, &names, &config);
    let mut rta = Rta::start(
        &broker,
        &names,
        "bp",
        &[
            // one member: a second worker's join would be a rebalance of its own
            "--workers",
            "1",
            "--kafka",
            "queue.buffering.max.messages=5",
            "--kafka",
            "linger.ms=8000",
            "--kafka",
            "session.timeout.ms=6000",
            "--kafka",
            "max.poll.interval.ms=7000",
        ],
    );
    rta.wait_ready(WITHIN);
    produce(&broker, &names, &events);
    let topic = names.topic("rta.agent-events");
    wait_committed(&broker, "bp", &topic, &end_offsets(&broker, &topic), WITHIN);
    let (_, m) = rta.get("/metrics").expect("metrics");
    let value = |name: &str| {
        m.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(
        value("rta_backpressure_pauses_total") >= 1.0,
        "the queue never filled: {m}"
    );
    assert_eq!(
        value("rta_rebalances_total{kind=\"revoke\"}"),
        0.0,
        "left the group: {m}"
    );
    assert_eq!(
        value("rta_rebalances_total{kind=\"assign\"}"),
        1.0,
        "rejoined the group: {m}"
    );
    assert_eq!(rta.terminate(), Some(0));
    for t in OutTopic::ALL {
        let got = read_all(&broker, &names.out(t));
        let expected = want.get(&t).cloned().unwrap_or_default();
        assert_same(&format!("{t:?}"), &by_key(&got), &by_key(&expected));
    }
}

/// Run `rta run` to its exit; (status, stderr).
fn run_to_exit(broker: &Broker, prefix: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rta"))
        .args(["run", "--brokers", &broker.addr, "--topic-prefix", prefix])
        .args(["--http", &format!("127.0.0.1:{}", free_port())])
        .args(extra)
        .output()
        .expect("run rta");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    // the start-up log lines, then the one error line
    let errors = err.lines().filter(|l| l.starts_with("rta: ")).count();
    assert_eq!(errors, 1, "one error line: {err}");
    (
        out.status.code(),
        err.lines().last().unwrap_or_default().to_string(),
    )
}

#[test]
fn topics_that_are_not_what_rta_needs_are_refused_at_start() {
    let broker = Broker::start();
    // a compacted output topic created with the delete policy
    let names = Names::new("nc.");
    create(&broker, &[(names.out(OutTopic::AgentStates), 1, false)]);
    let (code, err) = run_to_exit(&broker, "nc.", &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("nc.rta.agent-states must be compacted"),
        "{err}"
    );
    // missing topics with creation off
    let (code, err) = run_to_exit(&broker, "none.", &["--create-topics", "false"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("do not exist and create_topics is off"),
        "{err}"
    );
}
