//! The queue-interval record (SPEC §10) and its key
//! `{account}/{integration}/{queueIdentifier}/{queueName}/{intervalStart}`.

use crate::engine::output::{key_part, OutTopic, Outputs};
use crate::json::{k, ObjectWriter};
use crate::time::Millis;

/// Contact counters of a queue (or one channel of it) over some time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub offered: u32,
    pub handled: u32,
    /// Offered and not handled.
    pub abandoned: u32,
    /// Sum of the handled contacts' durations.
    pub handled_ms: i64,
}

impl QueueCounts {
    #[inline]
    pub fn add(&mut self, offered: bool, handled: bool, duration_ms: i64) {
        self.offered += offered as u32;
        self.handled += handled as u32;
        self.abandoned += (offered && !handled) as u32;
        if handled {
            self.handled_ms = self.handled_ms.saturating_add(duration_ms);
        }
    }

    pub fn merge(&mut self, o: &QueueCounts) {
        self.offered += o.offered;
        self.handled += o.handled;
        self.abandoned += o.abandoned;
        self.handled_ms = self.handled_ms.saturating_add(o.handled_ms);
    }

    /// Average handle time in milliseconds; `None` without handled contacts.
    pub fn average_handle_ms(&self) -> Option<i64> {
        (self.handled > 0).then(|| (self.handled_ms as f64 / self.handled as f64).round() as i64)
    }
}

/// One queue interval, ready to publish: totals and per-channel counters (sorted by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueInterval {
    pub queue: u32,
    pub start: Millis,
    pub end: Millis,
    pub revision: u32,
    pub total: QueueCounts,
    pub channels: Vec<(Box<str>, QueueCounts)>,
}

/// A stable hash of what a record shows (a change means a new revision).
pub(super) fn digest(total: &QueueCounts, channels: &[(Box<str>, QueueCounts)]) -> u64 {
    fn counts(h: &mut xxhash_rust::xxh3::Xxh3, c: &QueueCounts) {
        h.update(&c.offered.to_le_bytes());
        h.update(&c.handled.to_le_bytes());
        h.update(&c.abandoned.to_le_bytes());
        h.update(&c.handled_ms.to_le_bytes());
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    counts(&mut h, total);
    for (name, c) in channels {
        counts(&mut h, c);
        h.update(name.as_bytes());
        h.update(&[0xff]);
    }
    h.digest()
}

/// Write one queue-interval record into `e`.
pub fn queue_interval(
    e: &mut Outputs,
    account: &str,
    integration: &str,
    queue_id: &str,
    queue_name: &str,
    iv: &QueueInterval,
) -> OutTopic {
    {
        let k = e.begin(OutTopic::QueueIntervals);
        for part in [account, integration, queue_id, queue_name] {
            key_part(k, part);
            k.push(b'/');
        }
        crate::time::write_rfc3339_bytes(k, iv.start);
    }
    let mut o = ObjectWriter::new(e.value());
    let t = &iv.total;
    o.str(k!("account"), account)
        .str(k!("integration"), integration)
        .str(k!("queueIdentifier"), queue_id)
        .str(k!("queueName"), queue_name)
        .time(k!("intervalStart"), iv.start)
        .time(k!("intervalEnd"), iv.end)
        .u64(k!("revision"), iv.revision as u64)
        .u64(k!("offered"), t.offered as u64)
        .u64(k!("handled"), t.handled as u64)
        .u64(k!("abandoned"), t.abandoned as u64)
        .secs(k!("handledSeconds"), t.handled_ms);
    match t.average_handle_ms() {
        Some(ms) => o.secs(k!("averageHandleSeconds"), ms),
        None => o.null(k!("averageHandleSeconds")),
    };
    write_channels(&mut o, &iv.channels);
    o.end();
    e.finish(true, true)
}

/// `channels` {name → {`offered`, `handled`, `handledSeconds`}}: the queue-interval record's
/// and the queue view's.
pub fn write_channels(o: &mut ObjectWriter, channels: &[(Box<str>, QueueCounts)]) {
    let mut m = o.object(k!("channels"));
    for (name, c) in channels {
        let mut ch = m.dyn_object(name);
        ch.u64(k!("offered"), c.offered as u64)
            .u64(k!("handled"), c.handled as u64)
            .secs(k!("handledSeconds"), c.handled_ms);
        ch.end();
    }
    m.end();
}
