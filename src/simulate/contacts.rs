//! Contact events of a simulated day (SPEC §10): customers reach a few queues over calls, chat
//! and e-mail along an intraday arrival curve (a morning and an early-afternoon peak, a dip at
//! lunch, nothing at night); most are handled (handle times lognormal around 3–6 minutes),
//! the rest abandoned. A relay posts what finished since its last post every 2–5 minutes, in
//! injixo contact-events bodies of 1–20 items, so a contact that started near an interval's
//! end often arrives after it closed (a late contact revising it); now and then a body is
//! resubmitted unchanged (a duplicate delivery).

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::clock::{format_utc, local_ms, Millis};
use super::payloads::INTEGRATION_HEADER;
use super::rng::Rng;
use super::{SimOptions, TimedRecord};
use crate::envelope::Envelope;

/// The contact-events topic (SPEC §2 default).
pub const CONTACTS_TOPIC: &str = "rta.contact-events";

/// One stream of contacts: a queue and channel with its share of the day's volume, the median
/// handle time and the fraction abandoned.
struct Line {
    queue_id: &'static str,
    queue_name: &'static str,
    channel: &'static str,
    /// Share of the day's contacts, in per mille (the lines sum to 1000).
    share: u64,
    median_handle_s: f64,
    abandon: f64,
}

/// The simulated queues: "Level 1 support" over calls and chat, "Sales" over calls and email,
/// "Billing" over calls and email, and a second "Sales" under another queue identifier (a
/// different queue, SPEC §10).
const LINES: &[Line] = &[
    Line {
        queue_id: "1337_99",
        queue_name: "Level 1 support",
        channel: "calls",
        share: 380,
        median_handle_s: 240.0,
        abandon: 0.08,
    },
    Line {
        queue_id: "1337_99",
        queue_name: "Level 1 support",
        channel: "chat",
        share: 140,
        median_handle_s: 330.0,
        abandon: 0.12,
    },
    Line {
        queue_id: "1337_42",
        queue_name: "Sales",
        channel: "calls",
        share: 180,
        median_handle_s: 300.0,
        abandon: 0.10,
    },
    Line {
        queue_id: "1337_42",
        queue_name: "Sales",
        channel: "email",
        share: 70,
        median_handle_s: 360.0,
        abandon: 0.02,
    },
    Line {
        queue_id: "1337_77",
        queue_name: "Billing",
        channel: "calls",
        share: 130,
        median_handle_s: 270.0,
        abandon: 0.09,
    },
    Line {
        queue_id: "1337_77",
        queue_name: "Billing",
        channel: "email",
        share: 60,
        median_handle_s: 300.0,
        abandon: 0.02,
    },
    Line {
        queue_id: "2001_42",
        queue_name: "Sales",
        channel: "calls",
        share: 40,
        median_handle_s: 210.0,
        abandon: 0.15,
    },
];

/// Relative arrivals per local hour (0–23): closed at night, a morning peak around 10:00, a
/// dip at lunch, an early-afternoon peak around 14:00, tailing off in the evening.
const HOURLY: [u64; 24] = [
    0, 0, 0, 0, 0, 0, 0, 20, 70, 100, 110, 95, 60, 75, 100, 85, 65, 40, 20, 8, 0, 0, 0, 0,
];

/// Spread of the handle times (sigma of the underlying normal).
const SIGMA: f64 = 0.45;

/// The arrival weight of local minute `m` of the day (linear between hour midpoints, zero in
/// closed hours).
fn arrival_weight(m: i64) -> f64 {
    let h = (m / 60).clamp(0, 23) as usize;
    if HOURLY[h] == 0 {
        return 0.0;
    }
    // position relative to the hour's midpoint, interpolated with the neighbour on that side
    let off = (m % 60) as f64 - 30.0;
    let next = if off >= 0.0 {
        HOURLY.get(h + 1).copied().unwrap_or(0)
    } else if h > 0 {
        HOURLY[h - 1]
    } else {
        0
    };
    let w = off.abs() / 60.0;
    HOURLY[h] as f64 * (1.0 - w) + next as f64 * w
}

/// `e^x` from the four basic operations only (Taylor series of x/16, squared four times), so
/// the day is the same on every platform (see [`super::rng`]). Accurate for |x| ≤ 8.
fn exp(x: f64) -> f64 {
    let y = x / 16.0;
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..=12 {
        term = term * y / k as f64;
        sum += term;
    }
    for _ in 0..4 {
        sum *= sum;
    }
    sum
}

/// A standard normal draw (Irwin–Hall: twelve uniforms minus six).
fn normal(rng: &mut Rng) -> f64 {
    (0..12).map(|_| rng.unit()).sum::<f64>() - 6.0
}

/// A lognormal duration in seconds with the given median, rounded to 0.1 s.
fn lognormal(rng: &mut Rng, median: f64) -> f64 {
    let d = median * exp(SIGMA * normal(rng));
    (d * 10.0).round() / 10.0
}

/// One simulated contact.
struct Contact {
    line: usize,
    at: Millis,
    handled: bool,
    duration_s: f64,
    /// When the ACD reports it: at the end of handling, or when the customer hung up.
    known_at: Millis,
}

/// The contacts of the local day `date`, in arrival order. `total` is the expected number;
/// each 15-minute slot draws its share of it with ±20 % noise.
fn arrivals(rng: &mut Rng, tz: Tz, date: NaiveDate, total: usize) -> Vec<Contact> {
    let slots: Vec<(i64, f64)> = (0..96)
        .map(|i| (i * 15, arrival_weight(i * 15 + 7)))
        .collect();
    let sum: f64 = slots.iter().map(|(_, w)| w).sum();
    let mut out = Vec::with_capacity(total + total / 8);
    for (m, w) in slots {
        let (start, end) = (local_ms(tz, date, m), local_ms(tz, date, m + 15));
        if w <= 0.0 || end <= start {
            continue; // closed, or a slot skipped by a DST change
        }
        let expected = total as f64 * w / sum * (0.8 + 0.4 * rng.unit());
        let n = expected as usize + rng.chance(expected.fract()) as usize;
        let mut times: Vec<Millis> = (0..n)
            .map(|_| start + rng.below((end - start) as u64 / 1000) as Millis * 1000)
            .collect();
        times.sort_unstable();
        for at in times {
            let mut pick = rng.below(1000);
            let line = LINES
                .iter()
                .position(|l| {
                    let hit = pick < l.share;
                    pick = pick.saturating_sub(l.share);
                    hit
                })
                .unwrap_or(0);
            let l = &LINES[line];
            let handled = !rng.chance(l.abandon);
            let duration_s = if handled {
                lognormal(rng, l.median_handle_s)
            } else {
                rng.range(5, 180) as f64 // waited, then hung up
            };
            let known_at = at + (duration_s * 1000.0) as Millis + rng.range(0, 30_000);
            out.push(Contact {
                line,
                at,
                handled,
                duration_s,
                known_at,
            });
        }
    }
    out
}

/// One body item (SPEC §10 field order).
fn item(c: &Contact) -> Value {
    let l = &LINES[c.line];
    json!({
        "properties": {"offered": true, "handled": c.handled, "duration": c.duration_s},
        "queueName": l.queue_name,
        "queueIdentifier": l.queue_id,
        "timestamp": format_utc(c.at),
        "channel": l.channel,
    })
}

/// The day's contact-events records (about `opts.contacts_per_day` contacts) as a relay
/// delivers them: every 2–5 minutes, what became
/// known since the previous post, in bodies of 1–20 items; an `opts.duplicate_rate` fraction of bodies
/// delivered a second time, byte-identical, 5–60 s later. Sorted by delivery time.
pub fn contact_events(
    rng: &mut Rng,
    tz: Tz,
    opts: &SimOptions,
    integration: &str,
) -> Vec<TimedRecord> {
    let resubmit_rate = opts.duplicate_rate;
    let mut contacts = arrivals(rng, tz, opts.date, opts.contacts_per_day);
    contacts.sort_by_key(|c| (c.known_at, c.at));
    let id_value = match integration.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(integration),
    };
    let resubmit = if resubmit_rate.is_finite() {
        resubmit_rate.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut out = Vec::new();
    let mut next = 0usize;
    let mut post = contacts.first().map_or(0, |c| c.known_at);
    while next < contacts.len() {
        post += rng.range(120, 300) * 1000;
        let mut due = next;
        while due < contacts.len() && contacts[due].known_at <= post {
            due += 1;
        }
        let mut at = post;
        while next < due {
            let size = (rng.range(1, 20) as usize).min(due - next);
            let data: Vec<Value> = contacts[next..next + size].iter().map(item).collect();
            next += size;
            let body = json!({"data": data, "meta": {"integrationConfigurationId": id_value}});
            let envelope = Envelope::json(CONTACTS_TOPIC, opts.account.as_str(), &body)
                .with_header(INTEGRATION_HEADER, integration);
            at += rng.range(20, 400);
            if rng.chance(resubmit) {
                out.push(TimedRecord {
                    deliver_at: at + rng.range(5_000, 60_000),
                    envelope: envelope.clone(),
                });
            }
            out.push(TimedRecord {
                deliver_at: at,
                envelope,
            });
        }
    }
    out.sort_by_key(|r| r.deliver_at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_close_to_libm() {
        for i in -80..=80 {
            let x = i as f64 / 10.0;
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-12, "exp({x}) off by {rel}");
        }
    }

    #[test]
    fn shares_sum_to_one_and_handle_times_are_minutes() {
        assert_eq!(LINES.iter().map(|l| l.share).sum::<u64>(), 1000);
        let mut rng = Rng::new(3);
        let mut d: Vec<f64> = (0..4001).map(|_| lognormal(&mut rng, 270.0)).collect();
        d.sort_by(f64::total_cmp);
        let median = d[2000];
        assert!((250.0..290.0).contains(&median), "median {median}");
        assert!(d[0] > 30.0 && d[4000] < 3600.0, "{} .. {}", d[0], d[4000]);
    }
}
