//! `rta dashboard`: the supervisor's page and its API over Kafka, without an engine. It reads
//! `rta.agent-states`, `rta.intervals`, `rta.queue-intervals`, `rta.unmapped` and `rta.config`
//! as tables (every partition from the beginning, no consumer group, nothing committed:
//! [`crate::kafka::tables`]), keeps the latest record per key in the same views the processors
//! fill, and derives the account summaries and today's queues from the records ([`rollup`]).
//! It scales separately from the processors; `--account` limits what it keeps and shows.

pub mod rollup;

use crate::config::parse_config_record;
use crate::kafka::tables::{follow, TableRecord, TableSink};
use crate::metrics::Metrics;
use crate::service::{wall_clock_ms, LiveViews};
use crate::settings::Settings;
use ahash::AHashMap;
use anyhow::Result;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often summaries and queue views are recomputed.
const REFRESH: Duration = Duration::from_secs(1);

/// Fills the views from the topics.
struct Sink<'a> {
    s: &'a Settings,
    account: Option<&'a str>,
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    /// account → queue-interval key → record (the latest per key).
    queue_intervals: AHashMap<String, BTreeMap<String, Vec<u8>>>,
    /// account → targetPercent of its settings record.
    targets: AHashMap<String, f64>,
    last_refresh: Instant,
}

impl Sink<'_> {
    fn wanted(&self, account: &str) -> bool {
        self.account.is_none_or(|a| a == account)
    }

    fn refresh(&mut self) {
        let mut summaries = BTreeMap::new();
        let mut queues = BTreeMap::new();
        let wall = wall_clock_ms();
        let accounts: Vec<String> = self.views.account_names();
        for a in accounts {
            let target = self.targets.get(&a).copied().unwrap_or(90.0);
            let (summary, grid) = self
                .views
                .with_account(&a, |v| {
                    let states = v
                        .persons
                        .values()
                        .filter(|p| !p.state.is_empty())
                        .map(|p| p.state.as_slice());
                    (rollup::summary(&a, states, target), v.directory.grid())
                })
                .unwrap_or_else(|| (rollup::summary(&a, [], target), crate::time::Grid::utc(15)));
            // the account's day is that of its latest agent state (the processors' clock),
            // the wall clock's before any
            let now = summary
                .at
                .as_deref()
                .and_then(crate::time::parse_rfc3339)
                .unwrap_or(wall);
            let records = self.queue_intervals.get(&a);
            let q = rollup::queues_today(
                &a,
                records
                    .into_iter()
                    .flat_map(|m| m.values().map(Vec::as_slice)),
                &grid,
                now,
            );
            queues.insert(a.clone(), serde_json::to_vec(&q).unwrap_or_default());
            summaries.insert(a, summary);
        }
        self.views.set_shard_summaries(0, summaries);
        self.views.set_shard_queues(0, queues);
        self.last_refresh = Instant::now();
    }
}

impl TableSink for Sink<'_> {
    fn record(&mut self, r: &TableRecord) {
        self.metrics
            .records_consumed
            .with_label_values(&[r.topic])
            .inc();
        let Some(key) = r.key.and_then(|k| std::str::from_utf8(k).ok()) else {
            return;
        };
        let account = key.split('/').next().unwrap_or("");
        if account.is_empty() || !self.wanted(account) {
            return;
        }
        let t = &self.s.topics;
        if r.topic == t.agent_states {
            if let Some(v) = r.value {
                self.views.put_state(key, v);
            }
        } else if r.topic == t.intervals {
            self.views.put_interval(key, r.value);
        } else if r.topic == t.unmapped {
            self.views.put_unmapped(key, r.value);
        } else if r.topic == t.queue_intervals {
            let m = self.queue_intervals.entry(account.to_string()).or_default();
            match r.value {
                Some(v) => {
                    m.insert(key.to_string(), v.to_vec());
                }
                None => {
                    m.remove(key);
                }
            }
        } else if r.topic == t.config {
            if let Ok(change) = parse_config_record(Some(key), r.value) {
                if let Some(crate::config::ConfigRecord::Settings(s)) = change.record() {
                    self.targets.insert(account.to_string(), s.target_percent);
                }
                self.views.apply_config(&change);
            }
        }
    }

    fn caught_up(&mut self) {
        self.refresh();
        self.views.config_caught_up.store(true, Ordering::Release);
        self.views.set_shard_ready(0, true);
    }

    fn idle(&mut self) {
        self.views.beat();
        if self.last_refresh.elapsed() >= REFRESH {
            self.refresh();
        }
    }
}

/// Follow the topics into `views` until `stop` is raised.
pub fn run(
    s: &Settings,
    brokers: &str,
    account: Option<&str>,
    views: Arc<LiveViews>,
    metrics: Arc<Metrics>,
    stop: &AtomicBool,
) -> Result<()> {
    crate::kafka::preflight::connect(s, brokers)?;
    views.broker_reachable.store(true, Ordering::Release);
    let t = &s.topics;
    let topics = vec![
        t.config.clone(),
        t.agent_states.clone(),
        t.intervals.clone(),
        t.queue_intervals.clone(),
        t.unmapped.clone(),
    ];
    tracing::info!(topics = ?topics, account, "rta dashboard: reading the topics");
    let mut sink = Sink {
        s,
        account,
        views,
        metrics,
        queue_intervals: AHashMap::new(),
        targets: AHashMap::new(),
        last_refresh: Instant::now(),
    };
    follow(s, brokers, &topics, &mut sink, stop)
}
