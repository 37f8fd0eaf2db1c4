//! Properties of simulated contact events: deterministic, decodable, shaped like a day.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Timelike};
use chrono_tz::Tz;
use serde_json::Value;

use super::*;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn value(e: &Envelope) -> Value {
    serde_json::from_slice(e.value.as_deref().unwrap()).unwrap()
}

/// The contact-events records of a day.
fn contact_records(plan: &DayPlan) -> Vec<&TimedRecord> {
    plan.events
        .iter()
        .filter(|r| r.envelope.topic == "rta.contact-events")
        .collect()
}

#[test]
fn contact_events_are_deterministic_and_decode() {
    let opts = SimOptions::new(40, date(), 12);
    let (a, b) = (plan_day(&opts), plan_day(&opts));
    let bytes = |p: &DayPlan| -> Vec<Vec<u8>> {
        contact_records(p)
            .iter()
            .map(|r| r.envelope.value.clone().unwrap())
            .collect()
    };
    assert_eq!(bytes(&a), bytes(&b));
    let mut other = opts.clone();
    other.seed = 13;
    assert_ne!(bytes(&a), bytes(&plan_day(&other)));

    let records = contact_records(&a);
    let mut contacts = 0;
    for r in &records {
        let e = &r.envelope;
        assert_eq!(e.key.as_deref(), Some("acme"));
        assert_eq!(e.header("rta-integration"), Some("9100"));
        let payload = e.value.as_deref().unwrap();
        let mut out = Vec::new();
        crate::decode::decode_contacts_max(payload, 10_000, &mut out).unwrap();
        assert!((1..=20).contains(&out.len()), "{} items", out.len());
        for c in &out {
            let c = c.as_ref().unwrap();
            assert!(c.offered);
            assert!(c.time <= r.deliver_at, "reported before it happened");
        }
        assert_eq!(
            value(e)["meta"]["integrationConfigurationId"],
            Value::from(9100u64)
        );
        contacts += out.len();
    }
    // 30 per person, ±20 % per slot, plus the few resubmitted bodies
    assert!((1_000..1_500).contains(&contacts), "{contacts} contacts");
}

#[test]
fn contact_arrivals_follow_the_intraday_curve() {
    let mut opts = SimOptions::new(200, date(), 14);
    opts.duplicate_rate = 0.0;
    let plan = plan_day(&opts);
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let mut per_hour = [0usize; 24];
    let (mut offered, mut handled) = (0usize, 0usize);
    let mut handle_ms: Vec<i64> = Vec::new();
    let mut queues: HashSet<(String, String, String)> = HashSet::new();
    for r in contact_records(&plan) {
        let payload = r.envelope.value.as_deref().unwrap();
        let mut out = Vec::new();
        crate::decode::decode_contacts_max(payload, 10_000, &mut out).unwrap();
        for c in out.into_iter().map(Result::unwrap) {
            let local = DateTime::from_timestamp_millis(c.time)
                .unwrap()
                .with_timezone(&tz);
            assert_eq!(local.date_naive(), date());
            per_hour[local.hour() as usize] += 1;
            offered += 1;
            if c.handled {
                handled += 1;
                handle_ms.push(c.duration_ms);
            }
            queues.insert((c.queue_id.into(), c.queue_name.into(), c.channel.into()));
        }
    }
    // nothing at night, peaks in the morning and early afternoon, a dip at lunch
    assert_eq!(per_hour[..7].iter().sum::<usize>(), 0, "{per_hour:?}");
    assert_eq!(per_hour[20..].iter().sum::<usize>(), 0, "{per_hour:?}");
    assert!(per_hour[10] > 3 * per_hour[7], "{per_hour:?}");
    assert!(per_hour[14] > per_hour[12], "{per_hour:?}");
    assert!(per_hour[10] > per_hour[12], "{per_hour:?}");
    assert!(per_hour[10] > 4 * per_hour[19], "{per_hour:?}");
    let share = handled as f64 / offered as f64;
    assert!((0.85..0.95).contains(&share), "handled {share}");
    handle_ms.sort_unstable();
    let median = handle_ms[handle_ms.len() / 2];
    assert!((180_000..360_000).contains(&median), "median {median} ms");
    assert!(queues.len() >= 6, "{queues:?}");
    // "Sales" under two queue identifiers: two queues
    let sales: HashSet<&String> = queues
        .iter()
        .filter(|q| q.1 == "Sales")
        .map(|q| &q.0)
        .collect();
    assert_eq!(sales.len(), 2);
}

#[test]
fn contact_bodies_are_batched_and_some_resubmitted() {
    let mut opts = SimOptions::new(100, date(), 15);
    opts.duplicate_rate = 0.05;
    let plan = plan_day(&opts);
    let records = contact_records(&plan);
    let distinct: HashSet<&[u8]> = records
        .iter()
        .map(|r| r.envelope.value.as_deref().unwrap())
        .collect();
    let resubmitted = records.len() - distinct.len();
    assert!(
        resubmitted > 0 && resubmitted < records.len() / 8,
        "{resubmitted}"
    );
    // posted every few minutes: far fewer posting instants than bodies, bodies many items
    let items: usize = records
        .iter()
        .map(|r| value(&r.envelope)["data"].as_array().unwrap().len())
        .sum();
    assert!(
        items as f64 / records.len() as f64 > 3.0,
        "{items} in {}",
        records.len()
    );
    let mut gaps: Vec<i64> = records
        .windows(2)
        .map(|w| w[1].deliver_at - w[0].deliver_at)
        .filter(|g| *g > 10_000)
        .collect();
    gaps.sort_unstable();
    assert!(gaps[gaps.len() / 2] >= 100_000, "posts every few minutes");

    opts.contacts_per_day = 0;
    assert!(contact_records(&plan_day(&opts)).is_empty());
    opts.contacts_per_day = 500;
    opts.injixo_integration = None;
    assert!(contact_records(&plan_day(&opts)).is_empty());
}
