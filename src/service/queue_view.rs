//! The body of `GET /api/accounts/{account}/queues`: today's queue intervals (SPEC §10) of one
//! account — the account-local day of its clock — per queue, with the queue's totals and
//! average handle time, whether the intervals were published yet or not. Built from the
//! account's 15-minute counter slots by [`crate::engine::queues::Queues::intervals_since`].
//!
//! Shape: `{"account","date","queues":[{"integration","queueIdentifier","queueName","offered",
//! "handled","abandoned","handledSeconds","averageHandleSeconds","intervals":[{"intervalStart",
//! "intervalEnd","offered","handled","abandoned","handledSeconds","averageHandleSeconds",
//! "channels":{name:{"offered","handled","handledSeconds"}}}]}]}`; `date` is null (and the
//! list empty) before the account's clock is set. Queues are sorted by integration, queue
//! identifier and name; intervals by start.

use crate::engine::queues::{QueueCounts, QueueInterval};
use crate::engine::Account;
use crate::json::{k, ObjectWriter};

/// The counters every level of the view shows.
fn counts(o: &mut ObjectWriter, c: &QueueCounts) {
    o.u64(k!("offered"), c.offered as u64)
        .u64(k!("handled"), c.handled as u64)
        .u64(k!("abandoned"), c.abandoned as u64)
        .secs(k!("handledSeconds"), c.handled_ms);
    match c.average_handle_ms() {
        Some(ms) => o.secs(k!("averageHandleSeconds"), ms),
        None => o.null(k!("averageHandleSeconds")),
    };
}

fn interval(out: &mut Vec<u8>, iv: &QueueInterval) {
    let mut o = ObjectWriter::new(out);
    o.time(k!("intervalStart"), iv.start)
        .time(k!("intervalEnd"), iv.end);
    counts(&mut o, &iv.total);
    crate::engine::queues::write_channels(&mut o, &iv.channels);
    o.end();
}

/// The view of `acct` as JSON.
pub fn queues_json(acct: &Account) -> Vec<u8> {
    let grid = &acct.rules.grid;
    let day = acct.clock.map(|c| grid.day_at(c));
    let mut ivs: Vec<QueueInterval> = match day {
        Some((_, start, end)) => {
            let mut v = acct.queues.intervals_since(grid, start);
            v.retain(|iv| iv.start < end);
            v
        }
        None => Vec::new(),
    };
    // the queue's identity, then time
    let identity = |q: u32| {
        let queue = acct.queues.queue(q);
        (
            &*acct.rules.integration(queue.integration).id,
            &*queue.id,
            &*queue.name,
        )
    };
    ivs.sort_by(|a, b| {
        identity(a.queue)
            .cmp(&identity(b.queue))
            .then(a.start.cmp(&b.start))
    });
    let mut out = Vec::with_capacity(256 + ivs.len() * 256);
    let mut o = ObjectWriter::new(&mut out);
    o.str(k!("account"), &acct.name);
    match day {
        Some((date, _, _)) => o.date(k!("date"), date),
        None => o.null(k!("date")),
    };
    // the writer is done: the lists are written by hand
    o.raw(k!("queues"), b"[");
    for (n, group) in ivs.chunk_by(|a, b| a.queue == b.queue).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let (integration, id, name) = identity(group[0].queue);
        let mut total = QueueCounts::default();
        for iv in group {
            total.merge(&iv.total);
        }
        let mut q = ObjectWriter::new(&mut out);
        q.str(k!("integration"), integration)
            .str(k!("queueIdentifier"), id)
            .str(k!("queueName"), name);
        counts(&mut q, &total);
        q.raw(k!("intervals"), b"[");
        for (i, iv) in group.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            interval(&mut out, iv);
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
    out
}
