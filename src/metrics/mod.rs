//! The Prometheus metrics catalogue (README "Metrics"). One registry per process; no metric
//! carries a per-agent or per-person label — account totals at most.

use crate::engine::{OutTopic, Stats};
use crate::reason::Reason;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::collections::BTreeMap;

/// Latency buckets in seconds: 1 ms … 60 s.
const LATENCY_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// `{arch}-{os}` of the build, a label of `rta_build_info`.
pub const BUILD_TARGET: &str = {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        "x86_64-linux"
    }
    #[cfg(all(target_arch = "aarch64", target_os = "linux"))]
    {
        "aarch64-linux"
    }
    #[cfg(not(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        target_os = "linux"
    )))]
    {
        "other"
    }
};

pub struct Metrics {
    /// The `rta_`-prefixed catalogue.
    pub registry: Registry,
    /// Unprefixed standard metrics: `process_*` (Linux; the prometheus crate's process
    /// collector reading /proc/self).
    pub process_registry: Registry,
    /// `rta_build_info{version,target}` = 1.
    pub build_info: IntGaugeVec,
    pub records_consumed: IntCounterVec,
    pub dead_letters: IntCounterVec,
    pub events_applied: IntCounter,
    pub duplicates: IntCounter,
    pub unmapped_events: IntCounterVec,
    pub unmapped_values: IntGaugeVec,
    pub outputs: IntCounterVec,
    pub recomputations: IntCounter,
    pub interval_revisions: IntCounter,
    pub persons_tracked: IntGauge,
    pub persons_by_adherence: IntGaugeVec,
    pub processing_latency: Histogram,
    pub event_age: Histogram,
    pub consumer_lag: IntGaugeVec,
    pub producer_queue: IntGauge,
    pub commits: IntCounterVec,
    pub rebalances: IntCounterVec,
    pub delivery_failures: IntCounter,
    pub config_caught_up: IntGauge,
    pub restoring_partitions: IntGauge,
    /// Input partitions (of rta.agent-events) each worker thread holds.
    pub worker_partitions: IntGaugeVec,
    /// Changelog records and bytes by `op`: written, restored, unreadable (records only).
    pub changelog_records: IntCounterVec,
    pub changelog_bytes: IntCounterVec,
    pub batch_duration: HistogramVec,
    pub transaction_seconds: Histogram,
    pub transactions_aborted: IntCounter,
    pub broker_reachable: IntGauge,
    pub backpressure_pauses: IntCounter,
    pub contact_records: IntCounter,
    pub contacts_applied: IntCounter,
    pub contact_resubmissions: IntCounter,
    pub contact_bodies_unchecked: IntCounter,
    pub contact_dead_letters: IntCounterVec,
    /// Engine counters already exported, per engine shard (the engine's [`Stats`] are
    /// cumulative).
    exported: std::sync::Mutex<Vec<Stats>>,
    /// Each engine shard's part of the gauges summed over shards.
    shard_gauges: std::sync::Mutex<Vec<ShardGauges>>,
}

/// One engine shard's (worker thread's) part of the gauges the shards share.
#[derive(Default, Clone, Debug)]
struct ShardGauges {
    persons: i64,
    unmapped_identifiers: i64,
    unmapped_statuses: i64,
    restoring: i64,
    producer_queue: i64,
    /// (account, adherence state) → persons; accounts never span shards.
    adherence: BTreeMap<(String, &'static str), i64>,
}

/// What a shard's engine holds, for [`Metrics::set_engine_gauges`].
pub struct EngineGauges {
    pub persons: i64,
    pub unmapped_identifiers: i64,
    pub unmapped_statuses: i64,
    pub adherence: BTreeMap<(String, &'static str), i64>,
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

fn histogram(r: &Registry, name: &str, help: &str) -> Histogram {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()))
        .expect("valid metric");
    r.register(Box::new(h.clone())).expect("unique metric");
    h
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// The catalogue. Names and labels are constants, so registration cannot fail.
    pub fn new() -> Metrics {
        let r = Registry::new_custom(Some("rta".into()), None).expect("valid prefix");
        let batch_duration = HistogramVec::new(
            HistogramOpts::new(
                "batch_duration_seconds",
                "Engine time per processed batch of input records, by source.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["source"],
        )
        .expect("valid metric");
        r.register(Box::new(batch_duration.clone()))
            .expect("unique metric");
        let build_info = gauge_vec(
            &r,
            "build_info",
            "Always 1; the labels name the running build.",
            &["version", "target"],
        );
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION"), BUILD_TARGET])
            .set(1);
        let process_registry = Registry::new();
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            process_registry
                .register(Box::new(pc))
                .expect("unique metric");
        }
        let m = Metrics {
            build_info,
            process_registry,
            records_consumed: counter_vec(
                &r,
                "records_consumed_total",
                "Input records consumed, by topic.",
                &["topic"],
            ),
            dead_letters: counter_vec(
                &r,
                "dead_letters_total",
                "Input records or events dead-lettered, by reason.",
                &["reason"],
            ),
            events_applied: counter(
                &r,
                "events_applied_total",
                "Agent status events applied to a person's timeline.",
            ),
            duplicates: counter(
                &r,
                "duplicate_events_total",
                "Agent status events suppressed as duplicates.",
            ),
            unmapped_events: counter_vec(
                &r,
                "unmapped_events_total",
                "Agent events whose identifier or status is not mapped, by kind.",
                &["kind"],
            ),
            unmapped_values: gauge_vec(
                &r,
                "unmapped_values",
                "Distinct unmapped identifiers and statuses currently reported, by kind.",
                &["kind"],
            ),
            outputs: counter_vec(
                &r,
                "output_records_total",
                "Output records produced, by topic role.",
                &["topic"],
            ),
            recomputations: counter(
                &r,
                "recomputations_total",
                "Person recomputations after late events or config changes.",
            ),
            interval_revisions: counter(
                &r,
                "interval_revisions_total",
                "Interval records published again with a higher revision.",
            ),
            persons_tracked: gauge(&r, "persons_tracked", "Persons held in memory."),
            persons_by_adherence: gauge_vec(
                &r,
                "persons_by_adherence",
                "Persons by current adherence state, per account.",
                &["account", "adherence"],
            ),
            processing_latency: histogram(
                &r,
                "processing_latency_seconds",
                "From receiving an input record to every output it caused being acknowledged.",
            ),
            event_age: histogram(
                &r,
                "event_age_seconds",
                "From an agent event's own timestamp to its outputs being acknowledged.",
            ),
            consumer_lag: gauge_vec(
                &r,
                "consumer_lag_records",
                "Records not yet consumed, per input topic partition.",
                &["topic", "partition"],
            ),
            producer_queue: gauge(
                &r,
                "producer_queue_records",
                "Output records waiting in the producer queue or in flight.",
            ),
            commits: counter_vec(
                &r,
                "commits_total",
                "Offset commits of rta.agent-events, by result.",
                &["result"],
            ),
            rebalances: counter_vec(
                &r,
                "rebalances_total",
                "Consumer-group rebalances, by kind (assign, revoke, error).",
                &["kind"],
            ),
            delivery_failures: counter(
                &r,
                "delivery_failures_total",
                "Output records the broker did not acknowledge (the service stops uncommitted).",
            ),
            config_caught_up: gauge(
                &r,
                "config_caught_up",
                "1 once rta.config has been read to its end offsets at start-up.",
            ),
            restoring_partitions: gauge(
                &r,
                "restoring_partitions",
                "Assigned partitions still restoring state (from the changelog or the retained input).",
            ),
            worker_partitions: gauge_vec(
                &r,
                "worker_partitions",
                "Partitions of the agent-events topic assigned to each worker thread (setting workers).",
                &["worker"],
            ),
            changelog_records: counter_vec(
                &r,
                "changelog_records_total",
                "State store changelog records: written, restored, unreadable (skipped at restore).",
                &["op"],
            ),
            changelog_bytes: counter_vec(
                &r,
                "changelog_bytes_total",
                "Bytes (key and value) of state store changelog records: written, restored.",
                &["op"],
            ),
            batch_duration,
            transaction_seconds: histogram(
                &r,
                "transaction_seconds",
                "Exactly-once: time to commit one transaction (flush, offsets, commit).",
            ),
            transactions_aborted: counter(
                &r,
                "transactions_aborted_total",
                "Exactly-once: transactions aborted (their inputs are processed again).",
            ),
            broker_reachable: gauge(
                &r,
                "broker_reachable",
                "1 while the producer has a connection to at least one broker.",
            ),
            backpressure_pauses: counter(
                &r,
                "backpressure_pauses_total",
                "Times consumption paused because the producer queue was full.",
            ),
            contact_records: counter(
                &r,
                "contact_records_total",
                "rta.contact-events records consumed by the engine.",
            ),
            contacts_applied: counter(
                &r,
                "contacts_applied_total",
                "Contacts counted into a queue interval.",
            ),
            contact_resubmissions: counter(
                &r,
                "contact_resubmissions_total",
                "Contact-event bodies counted once as resubmissions of a body already seen.",
            ),
            contact_bodies_unchecked: counter(
                &r,
                "contact_bodies_unchecked_total",
                "Contact-event bodies counted without being remembered (limits.max_contact_bodies).",
            ),
            contact_dead_letters: counter_vec(
                &r,
                "contact_dead_letters_total",
                "Contact-event records or items dead-lettered, by reason (also in dead_letters_total).",
                &["reason"],
            ),
            exported: std::sync::Mutex::new(Vec::new()),
            shard_gauges: std::sync::Mutex::new(Vec::new()),
            registry: r,
        };
        m.init_fixed_labels();
        m
    }

    /// Create the series of every fixed label value at 0, so that they are exported from the
    /// start (`rate()` and the alerts on failed commits or rebalance errors work before the
    /// first occurrence, and the catalogue is visible on any instance's /metrics).
    fn init_fixed_labels(&self) {
        for result in ["ok", "failed"] {
            self.commits.with_label_values(&[result]);
        }
        for kind in ["assign", "revoke", "error"] {
            self.rebalances.with_label_values(&[kind]);
        }
        for kind in ["identifier", "status"] {
            self.unmapped_events.with_label_values(&[kind]);
            self.unmapped_values.with_label_values(&[kind]);
        }
        for topic in OutTopic::ALL {
            self.outputs.with_label_values(&[topic_role(topic)]);
        }
        for reason in Reason::ALL {
            self.dead_letters.with_label_values(&[reason.as_str()]);
            self.contact_dead_letters
                .with_label_values(&[reason.as_str()]);
        }
    }

    /// Export the cumulative counters of engine shard `shard` (adds what grew since its last
    /// call).
    pub fn sync_shard(&self, shard: usize, s: &Stats) {
        let Ok(mut all) = self.exported.lock() else {
            return;
        };
        if all.len() <= shard {
            all.resize_with(shard + 1, Stats::default);
        }
        let old = &mut all[shard];
        let d = |new: u64, old: u64| new.saturating_sub(old);
        self.events_applied
            .inc_by(d(s.events_applied, old.events_applied));
        self.duplicates.inc_by(d(s.duplicates, old.duplicates));
        self.unmapped_events
            .with_label_values(&["identifier"])
            .inc_by(d(
                s.unmapped_identifier_events,
                old.unmapped_identifier_events,
            ));
        self.unmapped_events
            .with_label_values(&["status"])
            .inc_by(d(s.unmapped_status_events, old.unmapped_status_events));
        self.recomputations
            .inc_by(d(s.recomputations, old.recomputations));
        self.interval_revisions
            .inc_by(d(s.interval_revisions, old.interval_revisions));
        for reason in Reason::ALL {
            let (n, before) = (s.dead_letters_of(reason), old.dead_letters_of(reason));
            if n > before {
                self.dead_letters
                    .with_label_values(&[reason.as_str()])
                    .inc_by(n - before);
            }
        }
        self.contact_records
            .inc_by(d(s.contact_records, old.contact_records));
        self.contacts_applied
            .inc_by(d(s.contacts_applied, old.contacts_applied));
        self.contact_resubmissions
            .inc_by(d(s.contact_resubmissions, old.contact_resubmissions));
        self.contact_bodies_unchecked
            .inc_by(d(s.contact_bodies_unchecked, old.contact_bodies_unchecked));
        for reason in Reason::ALL {
            let n = s.contact_dead_letters_of(reason);
            let before = old.contact_dead_letters_of(reason);
            if n > before {
                self.contact_dead_letters
                    .with_label_values(&[reason.as_str()])
                    .inc_by(n - before);
            }
        }
        for topic in OutTopic::ALL {
            let (n, before) = (s.outputs_of(topic), old.outputs_of(topic));
            if n > 0 {
                self.outputs
                    .with_label_values(&[topic_role(topic)])
                    .inc_by(d(n, before));
            }
        }
        *old = s.clone();
    }

    /// Update shard `shard`'s part of the shared gauges, then the gauges (sums over shards).
    fn with_shard(&self, shard: usize, f: impl FnOnce(&mut ShardGauges)) {
        let Ok(mut all) = self.shard_gauges.lock() else {
            return;
        };
        if all.len() <= shard {
            all.resize_with(shard + 1, ShardGauges::default);
        }
        f(&mut all[shard]);
        let sum = |g: fn(&ShardGauges) -> i64| all.iter().map(g).sum::<i64>();
        self.persons_tracked.set(sum(|g| g.persons));
        self.unmapped_values
            .with_label_values(&["identifier"])
            .set(sum(|g| g.unmapped_identifiers));
        self.unmapped_values
            .with_label_values(&["status"])
            .set(sum(|g| g.unmapped_statuses));
        self.restoring_partitions.set(sum(|g| g.restoring));
        self.producer_queue.set(sum(|g| g.producer_queue));
    }

    /// What engine shard `shard` holds: persons, unmapped values, persons per account and
    /// adherence state.
    pub fn set_engine_gauges(&self, shard: usize, e: EngineGauges) {
        let mut changed = false;
        self.with_shard(shard, |g| {
            g.persons = e.persons;
            g.unmapped_identifiers = e.unmapped_identifiers;
            g.unmapped_statuses = e.unmapped_statuses;
            changed = g.adherence != e.adherence;
            g.adherence = e.adherence;
        });
        if !changed {
            return;
        }
        // the series of every shard again: an account gone from one shard loses its series
        let Ok(all) = self.shard_gauges.lock() else {
            return;
        };
        self.persons_by_adherence.reset();
        for ((account, state), n) in all.iter().flat_map(|g| g.adherence.iter()) {
            self.persons_by_adherence
                .with_label_values(&[account.as_str(), state])
                .set(*n);
        }
    }

    /// Partitions shard `shard` is restoring or rebuilding.
    pub fn set_restoring(&self, shard: usize, n: i64) {
        self.with_shard(shard, |g| g.restoring = n);
    }

    /// Records in shard `shard`'s producer queue.
    pub fn set_producer_queue(&self, shard: usize, n: i64) {
        self.with_shard(shard, |g| g.producer_queue = n);
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let mut families = self.registry.gather();
        families.extend(self.process_registry.gather());
        let _ = TextEncoder::new().encode(&families, &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Stable label of an output topic role.
pub fn topic_role(t: crate::engine::OutTopic) -> &'static str {
    use crate::engine::OutTopic::*;
    match t {
        AgentStates => "agent_states",
        AdherenceEvents => "adherence_events",
        Intervals => "intervals",
        Unmapped => "unmapped",
        Dlq => "dlq",
        QueueIntervals => "queue_intervals",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_counters_are_exported_as_deltas() {
        let m = Metrics::new();
        let mut s = Stats {
            events_applied: 5,
            ..Stats::default()
        };
        s.dead_letter(crate::reason::Reason::TooLate);
        m.sync_shard(0, &s);
        s.events_applied = 7;
        s.dead_letter(crate::reason::Reason::TooLate);
        m.sync_shard(0, &s);
        assert_eq!(m.events_applied.get(), 7);
        assert_eq!(m.dead_letters.with_label_values(&["too_late"]).get(), 2);
        let text = m.render();
        assert!(text.contains("rta_events_applied_total 7"), "{text}");
        assert!(text.contains("rta_dead_letters_total{reason=\"too_late\"} 2"));
    }

    #[test]
    fn shards_export_their_own_deltas_and_sum_their_gauges() {
        let m = Metrics::new();
        let s0 = Stats {
            events_applied: 5,
            ..Stats::default()
        };
        let s1 = Stats {
            events_applied: 3,
            ..Stats::default()
        };
        m.sync_shard(0, &s0);
        m.sync_shard(1, &s1);
        m.sync_shard(0, &s0);
        assert_eq!(
            m.events_applied.get(),
            8,
            "each shard's counters are its own"
        );
        let gauges = |persons, account: &str| EngineGauges {
            persons,
            unmapped_identifiers: 1,
            unmapped_statuses: 0,
            adherence: BTreeMap::from([((account.to_string(), "in"), persons)]),
        };
        m.set_engine_gauges(0, gauges(10, "a"));
        m.set_engine_gauges(1, gauges(4, "b"));
        m.set_restoring(1, 2);
        assert_eq!(m.persons_tracked.get(), 14);
        assert_eq!(
            m.unmapped_values.with_label_values(&["identifier"]).get(),
            2
        );
        assert_eq!(m.restoring_partitions.get(), 2);
        let text = m.render();
        assert!(text.contains("rta_persons_by_adherence{account=\"a\",adherence=\"in\"} 10"));
        assert!(text.contains("rta_persons_by_adherence{account=\"b\",adherence=\"in\"} 4"));
        m.set_engine_gauges(1, gauges(5, "c"));
        let text = m.render();
        assert!(
            !text.contains("account=\"b\""),
            "shard 1 no longer holds b: {text}"
        );
        assert_eq!(m.persons_tracked.get(), 15);
    }

    #[test]
    fn every_reason_is_exported_at_zero_from_the_start() {
        let text = Metrics::new().render();
        for reason in Reason::ALL {
            for metric in ["dead_letters_total", "contact_dead_letters_total"] {
                let line = format!("rta_{metric}{{reason=\"{}\"}} 0", reason.as_str());
                assert!(text.contains(&line), "{line} missing: {text}");
            }
        }
    }

    #[test]
    fn contact_counters_are_exported() {
        let m = Metrics::new();
        let mut s = Stats {
            contact_records: 3,
            contacts_applied: 40,
            contact_resubmissions: 1,
            ..Stats::default()
        };
        s.contact_dead_letters[crate::reason::Reason::QueuesFull as usize] = 2;
        s.outputs[OutTopic::QueueIntervals as usize] = 5;
        m.sync_shard(0, &s);
        s.contacts_applied = 45;
        s.contact_bodies_unchecked = 1;
        m.sync_shard(0, &s);
        let text = m.render();
        for line in [
            "rta_contact_records_total 3",
            "rta_contacts_applied_total 45",
            "rta_contact_resubmissions_total 1",
            "rta_contact_bodies_unchecked_total 1",
            "rta_contact_dead_letters_total{reason=\"queues_full\"} 2",
            "rta_output_records_total{topic=\"queue_intervals\"} 5",
        ] {
            assert!(text.contains(line), "{line} missing: {text}");
        }
    }

    #[test]
    fn build_info_and_process_metrics_are_exported() {
        let text = Metrics::new().render();
        let version = env!("CARGO_PKG_VERSION");
        let info = text
            .lines()
            .find(|l| l.starts_with("rta_build_info{"))
            .expect("rta_build_info");
        assert!(info.contains(&format!("version=\"{version}\"")), "{info}");
        assert!(
            info.contains(&format!("target=\"{BUILD_TARGET}\"")),
            "{info}"
        );
        assert!(info.ends_with("} 1"), "{info}");
        #[cfg(target_os = "linux")]
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_start_time_seconds",
        ] {
            assert!(
                text.contains(&format!("\n{name} ")),
                "{name} missing: {text}"
            );
        }
        assert!(!text.contains("rta_process_"), "{text}");
    }
}
