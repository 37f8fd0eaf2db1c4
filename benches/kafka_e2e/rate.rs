//! Rates of a consumer group over a produced day: the committed offsets' slope between 10 %
//! and 90 % of the input, and the CPU its process spent per input record meanwhile; and the
//! day and the `rta run` runs the throughput measurements share.

use super::common::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::ClientConfig;
use rta::envelope::Envelope;
use std::time::{Duration, Instant};

/// Produce a day (config first, then the events); the input topic and its record count.
pub fn produce_day(broker: &Broker, names: &Names, envs: Vec<Envelope>) -> (String, i64) {
    let (config, events): (Vec<Envelope>, Vec<Envelope>) =
        envs.into_iter().partition(|e| e.topic == "rta.config");
    produce(broker, names, &config);
    produce(broker, names, &events);
    let input = names.topic("rta.agent-events");
    let total: i64 = end_offsets(broker, &input).values().sum();
    (input, total)
}

/// `rta run` with `args` in `group` until 90 % of the input is committed, then stopped.
pub fn rta_rate(
    broker: &Broker,
    names: &Names,
    group: &str,
    input: &str,
    total: i64,
    args: &[&str],
) -> Option<Rate> {
    let mut rta = Rta::start(broker, names, group, args);
    let pid = rta.child.as_ref().map_or(0, |c| c.id());
    let r = watch_rate(
        broker,
        group,
        input,
        total,
        || cpu_seconds(pid),
        || {
            rta.child
                .as_mut()
                .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
        },
    );
    rta.terminate();
    r
}

/// Committed offsets of a group, summed over partitions.
pub fn committed_sum(c: &BaseConsumer, topic: &str, parts: &[i32]) -> i64 {
    let mut tpl = TopicPartitionList::new();
    for p in parts {
        tpl.add_partition(topic, *p);
    }
    c.committed_offsets(tpl, TIMEOUT)
        .map(|t| {
            t.elements()
                .iter()
                .map(|e| match e.offset() {
                    Offset::Offset(o) => o,
                    _ => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Watch a group commit `total` records; the rate between 10 % and 90 %, and the seconds it
/// was measured over (`None`: one commit passed both marks, too fast to measure). Fails when
/// the committed offsets stop moving for a minute or `gone()` says the consumer has ended.
pub fn watch_rate(
    broker: &Broker,
    group: &str,
    topic: &str,
    total: i64,
    cpu: impl Fn() -> f64,
    mut gone: impl FnMut() -> bool,
) -> Option<Rate> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("group.id", group)
        .create()
        .unwrap();
    let parts: Vec<i32> = end_offsets(broker, topic).keys().copied().collect();
    let (lo, hi) = (total / 10, total * 9 / 10);
    let mut t_lo = None;
    let mut last = (Instant::now(), -1);
    loop {
        let done = committed_sum(&c, topic, &parts);
        let now = Instant::now();
        if done != last.1 {
            last = (now, done);
        }
        if t_lo.is_none() && done >= lo {
            t_lo = Some((now, done, cpu()));
        }
        if done >= hi {
            let (t0, d0, c0) = t_lo.unwrap_or((now, done, cpu()));
            let secs = now.duration_since(t0).as_secs_f64();
            let records = (done - d0) as f64;
            return (done > d0).then(|| Rate {
                per_second: records / secs,
                secs,
                cpu_us_per_record: (cpu() - c0) * 1e6 / records,
            });
        }
        assert!(
            now.duration_since(last.0) < Duration::from_secs(60),
            "{group}: committed offsets stuck at {done} of {total} for 60 s"
        );
        assert!(
            !gone(),
            "{group}: the consumer ended at {done} of {total} committed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Throughput of one consumer between 10 % and 90 % of the input, and the CPU (user + sys) its
/// process spent per input record over the same window.
#[derive(Clone, Copy)]
pub struct Rate {
    pub per_second: f64,
    pub secs: f64,
    pub cpu_us_per_record: f64,
}

/// User + sys CPU seconds of a process so far (`/proc/PID/stat`, fields 14 and 15).
pub fn cpu_seconds(pid: u32) -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // the command name (field 2) may hold spaces: count fields after its closing parenthesis
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / ticks
}

/// A measured rate for the report.
pub fn shown(m: Option<Rate>) -> String {
    match m {
        None => "too fast to measure (10 % to 90 % in one commit; raise E2E_PERSONS)".into(),
        // commits come every 200 ms: a shorter window is a handful of them
        Some(r) if r.secs < 1.0 => format!(
            "{:.0} records/s (over {:.2} s: coarse, raise E2E_PERSONS), {:.1} µs CPU per input",
            r.per_second, r.secs, r.cpu_us_per_record
        ),
        Some(r) => format!(
            "{:.0} records/s (over {:.2} s), {:.1} µs CPU per input",
            r.per_second, r.secs, r.cpu_us_per_record
        ),
    }
}
