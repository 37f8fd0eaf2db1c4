//! Property: outputs are a function of the retained input. Any permutation and duplication of
//! a simulated day's records — agent events and contact events (all within retention) — yields
//! the same final agent states, the same final interval totals and the same final queue
//! intervals as the day delivered in order.

use proptest::prelude::*;
use rta::engine::EngineOptions;
use rta::envelope::Envelope;
use rta::simulate::{plan_day, SimOptions};
use serde_json::Value;
use std::collections::BTreeMap;

struct Day {
    config: Vec<String>,
    /// Agent events and contact events.
    events: Vec<String>,
    until: i64,
}

fn day(persons: usize, seed: u64) -> Day {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, seed);
    opts.duplicate_rate = 0.0;
    opts.out_of_order_rate = 0.0;
    let plan = plan_day(&opts);
    assert!(
        plan.events
            .iter()
            .any(|t| t.envelope.topic == "rta.contact-events"),
        "the simulated day has contact events"
    );
    let line = |e: &Envelope| {
        let mut b = Vec::new();
        e.write_line(&mut b);
        String::from_utf8(b).unwrap()
    };
    Day {
        config: plan.config.iter().map(line).collect(),
        events: plan.events.iter().map(|t| line(&t.envelope)).collect(),
        until: rta::time::parse_rfc3339("2026-11-24T06:00:00Z").unwrap(),
    }
}

/// Final compacted views: last record per key, minus `revision` where records have one.
type View = BTreeMap<String, Value>;

/// Final compacted view: last agent state per key, latest interval and queue interval per key
/// minus its revision.
fn final_view(lines: &[String], until: i64) -> (View, View, View) {
    final_view_with(lines, until, EngineOptions::default())
}

fn final_view_with(lines: &[String], until: i64, opts: EngineOptions) -> (View, View, View) {
    let input = lines.join("\n");
    let mut out = Vec::new();
    rta::cli::process::process(input.as_bytes(), opts, Some(until), &mut out).unwrap();
    let mut states = BTreeMap::new();
    let mut intervals = BTreeMap::new();
    let mut queues = BTreeMap::new();
    for l in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(l).unwrap();
        let key = v["key"].as_str().unwrap_or_default().to_string();
        match v["topic"].as_str().unwrap() {
            "rta.agent-states" => {
                states.insert(key, v["value"].clone());
            }
            t @ ("rta.intervals" | "rta.queue-intervals") => {
                let map = if t == "rta.intervals" {
                    &mut intervals
                } else {
                    &mut queues
                };
                let mut val = v["value"].clone();
                if val.is_null() {
                    map.remove(&key);
                } else {
                    val.as_object_mut().unwrap().remove("revision");
                    map.insert(key, val);
                }
            }
            _ => {}
        }
    }
    (states, intervals, queues)
}

fn shuffled(events: &[String], seed: u64, dup_every: usize) -> Vec<String> {
    let mut rng = rta::simulate::rng::Rng::new(seed);
    let mut v: Vec<String> = events.to_vec();
    if dup_every > 0 {
        let dups: Vec<String> = events.iter().step_by(dup_every).cloned().collect();
        v.extend(dups);
    }
    for i in (1..v.len()).rev() {
        let j = rng.below((i + 1) as u64) as usize;
        v.swap(i, j);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn permuted_and_duplicated_days_converge(seed in 0u64..1_000_000, dup_every in 0usize..7, persons in 3usize..12) {
        let d = day(persons, seed % 17);
        let mut ordered = d.config.clone();
        ordered.extend(d.events.iter().cloned());
        let (want_states, want_intervals, want_queues) = final_view(&ordered, d.until);
        let mut permuted = d.config.clone();
        permuted.extend(shuffled(&d.events, seed, dup_every));
        let (got_states, got_intervals, got_queues) = final_view(&permuted, d.until);
        prop_assert!(!want_states.is_empty());
        prop_assert!(!want_intervals.is_empty());
        prop_assert!(!want_queues.is_empty());
        prop_assert_eq!(&got_states, &want_states);
        prop_assert_eq!(got_intervals.len(), want_intervals.len());
        for (k, v) in &want_intervals {
            prop_assert_eq!(got_intervals.get(k), Some(v), "interval {}", k);
        }
        prop_assert_eq!(got_queues.len(), want_queues.len());
        for (k, v) in &want_queues {
            prop_assert_eq!(got_queues.get(k), Some(v), "queue interval {}", k);
        }
    }
}

#[test]
fn in_order_and_reversed_agree_on_a_larger_day() {
    let d = day(40, 7);
    let mut ordered = d.config.clone();
    ordered.extend(d.events.iter().cloned());
    let mut reversed = d.config.clone();
    reversed.extend(d.events.iter().rev().cloned());
    let a = final_view(&ordered, d.until);
    let b = final_view(&reversed, d.until);
    assert!(a.0.len() >= 40);
    assert!(a.2.len() >= 100, "queue intervals: {}", a.2.len());
    assert_eq!(a, b);
}

/// Several days of the same persons (long retained timelines: the recomputations start from
/// rewind checkpoints, `engine::rewind`), delivered nearly in order — events held back by a
/// few dozen records — agree with the days in order. A week's retention keeps every day
/// (about 100 entries a person: rewind checkpoints start at 64).
#[test]
fn nearly_ordered_days_with_long_timelines_agree() {
    let mut config = Vec::new();
    let mut events = Vec::new();
    let mut until = 0;
    for (i, date) in (23..27).enumerate() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, date).unwrap();
        let mut opts = SimOptions::new(6, d, 3 + i as u64);
        opts.duplicate_rate = 0.0;
        opts.out_of_order_rate = 0.0;
        opts.contacts_per_day = 0;
        let plan = plan_day(&opts);
        let line = |e: &Envelope| {
            let mut b = Vec::new();
            e.write_line(&mut b);
            String::from_utf8(b).unwrap()
        };
        config.extend(plan.config.iter().map(line));
        events.extend(plan.events.iter().map(|t| line(&t.envelope)));
        until = rta::time::parse_rfc3339(&format!("2026-11-{}T06:00:00Z", date + 1)).unwrap();
    }
    let mut rng = rta::simulate::rng::Rng::new(11);
    let mut late = events.clone();
    // Hold back about every fourth event by 1..40 records.
    let mut i = 0;
    while i < late.len() {
        if rng.below(4) == 0 {
            let to = (i + 1 + rng.below(40) as usize).min(late.len() - 1);
            let e = late.remove(i);
            late.insert(to, e);
        }
        i += 1;
    }
    assert_ne!(late, events);
    let with = |ev: &[String]| {
        let mut all = config.clone();
        all.extend(ev.iter().cloned());
        let opts = EngineOptions {
            retention: 7 * 24 * 3600 * 1000,
            ..EngineOptions::default()
        };
        final_view_with(&all, until, opts)
    };
    let (a, b) = (with(&events), with(&late));
    assert!(a.0.len() >= 6 && a.1.len() >= 100, "states and intervals");
    assert_eq!(a, b);
}
