//! The embedded default: `rta run` without brokers. Simulated agents and queues (the generator
//! of [`crate::simulate`]) deliver their agent and contact events on the wall clock (or faster,
//! with `speed`) into the same processing core as the Kafka service; results are served by the
//! HTTP endpoints and summarized in the logs. Day after day is planned ahead, so it runs
//! indefinitely; memory stays flat because the engine prunes what leaves the retention window.

use crate::engine::{ClockMode, EngineOptions};
use crate::envelope::Envelope;
use crate::service::{wall_clock_ms, LiveViews, Ownership, Processor};
use crate::settings::Settings;
use crate::simulate::{plan_day, SimOptions, TimedRecord};
use crate::time::Millis;
use chrono::{Days, NaiveDate, TimeZone};
use chrono_tz::Tz;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the embedded loop wakes.
const STEP: Duration = Duration::from_millis(100);
/// How often an account summary is logged.
const LOG_EVERY: Duration = Duration::from_secs(30);
/// Plan the next day this long before its local midnight.
const PLAN_AHEAD: Millis = 2 * 3_600_000;

/// Simulated time: starts at the wall clock and runs `speed` times as fast.
pub struct SimClock {
    start_wall: Instant,
    start_ms: Millis,
    speed: f64,
}

impl SimClock {
    pub fn new(start_ms: Millis, speed: f64) -> SimClock {
        SimClock {
            start_wall: Instant::now(),
            start_ms,
            speed,
        }
    }

    pub fn now(&self) -> Millis {
        self.start_ms + (self.start_wall.elapsed().as_secs_f64() * 1000.0 * self.speed) as Millis
    }
}

/// The simulated account: days planned one after another, events queued by delivery time.
pub struct Feed {
    opts: SimOptions,
    tz: Tz,
    /// The last day planned.
    planned: NaiveDate,
    queue: VecDeque<TimedRecord>,
    offset: i64,
}

impl Feed {
    pub fn new(s: &Settings, now: Millis) -> Feed {
        let tz: Tz = s.embedded.time_zone.parse().unwrap_or(Tz::UTC);
        let today = tz
            .timestamp_millis_opt(now)
            .single()
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let mut opts = SimOptions::new(s.embedded.persons, today, s.embedded.seed);
        opts.time_zone = s.embedded.time_zone.clone();
        Feed {
            opts,
            tz,
            planned: today,
            queue: VecDeque::new(),
            offset: 0,
        }
    }

    /// Config and events of the day `date`: config returned, events queued.
    fn plan(&mut self, date: NaiveDate) -> Vec<Envelope> {
        // the same people (logins, teams) every day; their day differs
        self.opts.date = date;
        self.opts.day_seed = Some(self.opts.seed.wrapping_add(date.to_epoch_days() as u64));
        let plan = plan_day(&self.opts);
        let mut all: Vec<TimedRecord> = self.queue.drain(..).collect();
        all.extend(plan.events);
        all.sort_by_key(|r| r.deliver_at);
        self.queue = all.into();
        self.planned = date;
        plan.config
    }

    /// Local midnight after the last planned day.
    fn next_midnight(&self) -> Millis {
        let next = self
            .planned
            .checked_add_days(Days::new(1))
            .unwrap_or(self.planned);
        next.and_hms_opt(0, 0, 0)
            .and_then(|t| self.tz.from_local_datetime(&t).earliest())
            .map(|t| t.timestamp_millis())
            .unwrap_or(Millis::MAX)
    }

    pub fn account(&self) -> &str {
        &self.opts.account
    }
}

/// Feed one envelope to the processor by its topic (config, contact events, agent events),
/// counting it in `rta_records_consumed_total{topic}` as the Kafka edge does. Returns the agent
/// event's own time (the engine's `last_event_time`) for `rta_event_age_seconds`; None for
/// config and contact events.
fn feed_record(p: &mut Processor, env: &Envelope, offset: i64) -> Option<Millis> {
    use crate::cli::process::{CONFIG_TOPIC, CONTACTS_TOPIC, INTEGRATION_HEADER};
    p.metrics
        .records_consumed
        .with_label_values(&[env.topic.as_str()])
        .inc();
    let origin = env.origin(offset);
    let integ = env.header(INTEGRATION_HEADER);
    match env.topic.as_str() {
        CONFIG_TOPIC => {
            p.on_config(&origin);
            None
        }
        CONTACTS_TOPIC => {
            p.on_contacts(&origin, integ, false, false);
            None
        }
        _ => {
            p.on_event(&origin, integ, false, false);
            p.last_event_time()
        }
    }
}

/// Run until `stop` is raised.
pub fn run(
    s: &Settings,
    views: Arc<LiveViews>,
    metrics: Arc<crate::metrics::Metrics>,
    stop: &AtomicBool,
) {
    let opts = EngineOptions {
        clock: ClockMode::External,
        retention: s.retention,
        lateness: s.lateness,
        future_tolerance: s.future_tolerance,
        ..EngineOptions::default()
    };
    let mut p = Processor::new(opts, Ownership::All, views.clone(), metrics.clone());
    let clock = SimClock::new(
        s.embedded.start.unwrap_or_else(wall_clock_ms),
        s.embedded.speed,
    );
    let now = clock.now();
    let mut feed = Feed::new(s, now);
    tracing::info!(
        persons = s.embedded.persons,
        account = feed.account(),
        speed = s.embedded.speed,
        "embedded default: simulated agents, no Kafka (set --brokers to consume real ACD events)"
    );
    // Today so far, rebuilt on event time; then live on the (simulated) wall clock.
    let account = feed.account().to_string();
    p.materialize(&account, 0, true);
    let today = feed.planned;
    for env in feed.plan(today) {
        feed.offset += 1;
        feed_record(&mut p, &env, feed.offset);
    }
    views.config_caught_up.store(true, Ordering::Release);
    metrics.config_caught_up.set(1);
    let mut backlog = 0;
    while feed.queue.front().is_some_and(|r| r.deliver_at <= now) {
        if let Some(r) = feed.queue.pop_front() {
            feed.offset += 1;
            feed_record(&mut p, &r.envelope, feed.offset);
            backlog += 1;
        }
    }
    p.advance_clock(now);
    // the day so far fills the views (the page's actual bars and interval chart)
    p.note_outputs();
    p.clear_outputs();
    p.end_rebuild(0);
    p.clear_outputs();
    p.refresh_summaries();
    views.set_shard_ready(0, true);
    views.broker_reachable.store(true, Ordering::Release);
    tracing::info!(
        backlog,
        "embedded default: caught up on today so far; live from now"
    );

    let mut last_summary = Instant::now();
    let mut last_log = Instant::now();
    let mut received: Vec<Instant> = Vec::new();
    let mut event_times: Vec<Millis> = Vec::new();
    while !stop.load(Ordering::Acquire) {
        views.beat();
        let now = clock.now();
        if now >= feed.next_midnight() - PLAN_AHEAD {
            let next = feed
                .planned
                .checked_add_days(Days::new(1))
                .unwrap_or(feed.planned);
            tracing::info!(date = %next, "embedded default: planning the next day");
            for env in feed.plan(next) {
                feed.offset += 1;
                feed_record(&mut p, &env, feed.offset);
            }
        }
        let started = Instant::now();
        received.clear();
        event_times.clear();
        while feed.queue.front().is_some_and(|r| r.deliver_at <= now) {
            if let Some(r) = feed.queue.pop_front() {
                feed.offset += 1;
                received.push(Instant::now());
                if let Some(t) = feed_record(&mut p, &r.envelope, feed.offset) {
                    event_times.push(t);
                }
            }
        }
        p.advance_clock(now);
        p.note_outputs();
        p.clear_outputs();
        // The outputs are "acknowledged" once handed to the views (no broker here): latency
        // from each record's delivery to now, event age on the simulated clock.
        let done = Instant::now();
        for r in &received {
            metrics
                .processing_latency
                .observe(done.saturating_duration_since(*r).as_secs_f64());
        }
        let sim_now = clock.now();
        for t in &event_times {
            metrics
                .event_age
                .observe((sim_now - t).max(0) as f64 / 1000.0);
        }
        metrics
            .batch_duration
            .with_label_values(&["embedded"])
            .observe(started.elapsed().as_secs_f64());
        if last_summary.elapsed() >= Duration::from_millis(s.tick as u64) {
            p.refresh_summaries();
            last_summary = Instant::now();
        }
        if last_log.elapsed() >= LOG_EVERY {
            for sum in views.summaries() {
                tracing::info!(
                    account = %sum.account,
                    persons = sum.persons,
                    online = sum.online,
                    in_adherence = sum.adherence.get("in").copied().unwrap_or(0),
                    out_of_adherence = sum.adherence.get("out").copied().unwrap_or(0),
                    not_scheduled = sum.adherence.get("notScheduled").copied().unwrap_or(0),
                    adherence_percent = ?sum.adherence_percent,
                    at = sum.at.as_deref().unwrap_or(""),
                    "account summary"
                );
            }
            last_log = Instant::now();
        }
        std::thread::sleep(STEP);
    }
    tracing::info!("embedded default stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_plans_days_in_delivery_order() {
        let s = Settings {
            embedded: crate::settings::EmbeddedSettings {
                persons: 20,
                ..Settings::default().embedded
            },
            ..Settings::default()
        };
        let now = crate::time::parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
        let mut f = Feed::new(&s, now);
        let cfg = f.plan(f.planned);
        assert!(!cfg.is_empty());
        let first_len = f.queue.len();
        assert!(first_len > 0);
        let midnight = f.next_midnight();
        assert_eq!(
            crate::time::format_rfc3339(midnight),
            "2026-11-23T23:00:00Z" // Berlin midnight of the 24th
        );
        let next = f.planned.checked_add_days(Days::new(1)).unwrap();
        f.plan(next);
        assert!(f.queue.len() > first_len);
        assert!(f
            .queue
            .iter()
            .zip(f.queue.iter().skip(1))
            .all(|(a, b)| a.deliver_at <= b.deliver_at));
    }

    #[test]
    fn contact_events_reach_the_queues_view() {
        let s = Settings {
            embedded: crate::settings::EmbeddedSettings {
                persons: 20,
                ..Settings::default().embedded
            },
            ..Settings::default()
        };
        let now = crate::time::parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
        let mut f = Feed::new(&s, now);
        let views = Arc::new(LiveViews::default());
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let opts = EngineOptions {
            clock: ClockMode::External,
            ..EngineOptions::default()
        };
        let mut p = Processor::new(opts, Ownership::All, views.clone(), metrics.clone());
        for (i, env) in f.plan(f.planned).iter().enumerate() {
            feed_record(&mut p, env, i as i64);
        }
        // 23:30 in Berlin: every contact of the day delivered
        let day_end = crate::time::parse_rfc3339("2026-11-23T22:30:00Z").unwrap();
        let mut offset = 10_000;
        while let Some(r) = f.queue.pop_front().filter(|r| r.deliver_at < day_end) {
            p.advance_clock(r.deliver_at);
            offset += 1;
            feed_record(&mut p, &r.envelope, offset);
        }
        p.advance_clock(day_end);
        p.refresh_summaries();
        let consumed = metrics
            .records_consumed
            .with_label_values(&["rta.contact-events"])
            .get();
        assert!(consumed > 20, "{consumed} contact records");
        assert!(metrics.contacts_applied.get() > 400);
        let late = metrics
            .contact_dead_letters
            .with_label_values(&[crate::reason::Reason::TooLate.as_str()]);
        assert_eq!(late.get(), 0);
        let v: serde_json::Value = serde_json::from_slice(&views.queues("acme").unwrap()).unwrap();
        assert_eq!(v["date"], "2026-11-23");
        assert_eq!(v["queues"].as_array().map(Vec::len), Some(4), "{v}");
        let queued = p
            .stats()
            .outputs_of(crate::engine::OutTopic::QueueIntervals);
        assert!(queued > 50, "{queued} queue intervals published");
    }
}
