//! How a webhook relay delivers the events: a small delay, some events late (after 1–3 later
//! events of the account), some twice.

use super::payloads::Pending;
use super::rng::Rng;
use super::TimedRecord;

/// A finite rate in `[0, 1]` (anything else counts as 0).
fn rate(r: f64) -> f64 {
    if r.is_finite() {
        r.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Delivers `events` (all of one account): each at its time + 50–500 ms; an
/// `out_of_order_rate` fraction right after the 1st–3rd event delivered after it; a
/// `duplicate_rate` fraction a second time, identical, 1–8 s after the first delivery. The
/// result is sorted by `deliver_at` (ties keep the generation order).
pub fn deliver(
    rng: &mut Rng,
    events: Vec<Pending>,
    duplicate_rate: f64,
    out_of_order_rate: f64,
) -> Vec<TimedRecord> {
    let (dup, late) = (rate(duplicate_rate), rate(out_of_order_rate));
    // (deliver_at, order, envelope): `order` breaks ties so that a late event lands just after
    // the event it waited for.
    let mut queue: Vec<(i64, u64, _)> = events
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p.at + rng.range(50, 500), 2 * i as u64, p.envelope))
        .collect();
    queue.sort_by_key(|(at, order, _)| (*at, *order));
    let base: Vec<(i64, u64)> = queue.iter().map(|(at, order, _)| (*at, *order)).collect();
    for (i, record) in queue.iter_mut().enumerate() {
        if rng.chance(late) {
            let k = rng.range(1, 3) as usize;
            if let Some(&(at, order)) = base.get(i + k) {
                record.0 = at;
                record.1 = order + 1;
            }
        }
    }
    let mut copies = Vec::new();
    for (at, order, envelope) in &queue {
        if rng.chance(dup) {
            copies.push((at + rng.range(1_000, 8_000), *order, envelope.clone()));
        }
    }
    queue.extend(copies);
    queue.sort_by_key(|(at, order, _)| (*at, *order));
    queue
        .into_iter()
        .map(|(deliver_at, _, envelope)| TimedRecord {
            deliver_at,
            envelope,
        })
        .collect()
}
