//! Memory per person: resident bytes for 100,000 persons, each with a day's schedule and a
//! retained timeline of about 30 status changes, measured from /proc/self/statm around
//! loading a simulated day into the engine.
//!
//! Run: `cargo bench --bench memory` (prints the figure; takes a minute).

use rta::engine::{Engine, EngineOptions, Origin};
use rta::simulate::{plan_day, SimOptions};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn main() {
    let persons: usize = std::env::var("RTA_MEM_PERSONS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 3);
    opts.injixo_integration = None;
    // Plan in slices so the generated input does not inflate the measurement.
    let plan = plan_day(&opts);
    let config: Vec<_> = plan.config.iter().map(|c| (c.key.clone(), c.value.clone())).collect();
    let events: Vec<_> = plan.events.into_iter().map(|t| (t.envelope.header("rta-integration").unwrap_or("").to_string(), t.envelope.value.unwrap_or_default())).collect();
    drop(plan.config);
    let before = rss_bytes();
    let mut engine = Engine::new(EngineOptions::default());
    let mut out = Vec::new();
    for (i, (k, v)) in config.iter().enumerate() {
        let origin = Origin { topic: "rta.config", partition: 0, offset: i as i64, key: k.as_deref().map(str::as_bytes), payload: v.as_deref() };
        engine.on_config(&origin, &mut out);
        out.clear();
    }
    drop(config);
    for (i, (integ, payload)) in events.iter().enumerate() {
        let origin = Origin { topic: "rta.agent-events", partition: 0, offset: i as i64, key: Some(b"acme"), payload: Some(payload) };
        engine.on_event(&origin, Some(integ), &mut out);
        out.clear();
    }
    let n_events = events.len();
    drop(events);
    let after = rss_bytes();
    let acct = engine.account("acme").expect("account");
    let tracked = acct.persons.len();
    let entries: usize = acct.persons.iter().map(|p| p.timeline.len()).sum();
    let segments: usize = acct.persons.iter().map(|p| p.schedule.len()).sum();
    println!("persons tracked: {tracked}, events fed: {n_events}, retained entries: {entries} ({:.1}/person), segments: {segments} ({:.1}/person)",
        entries as f64 / tracked as f64, segments as f64 / tracked as f64);
    println!("resident bytes: before {before}, after {after}; per person: {:.0} B", (after.saturating_sub(before)) as f64 / tracked as f64);
}
