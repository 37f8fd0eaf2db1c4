//! The queue record of the changelog (`engine::snapshot`): every queue's counter slots and
//! published intervals, the intervals due or held for publication, the remembered resubmitted
//! bodies and the last prune. Channel names are the record's own table (their local indices
//! are kept); integrations go through the record's string table.

use super::{Published, Queue, QueueCounts, Queues, Slot};
use crate::config::Rules;
use crate::engine::snapshot::tables::{DecTables, EncTables, Maps};
use crate::engine::snapshot::wire::{Reader, Writer};
use crate::engine::snapshot::{Changelog, SnapshotError, HOUR, KIND_RESUBMISSIONS};
use crate::time::Millis;
use std::collections::{BTreeMap, BTreeSet};

fn corrupt(what: &'static str) -> SnapshotError {
    SnapshotError::Corrupt(what)
}

fn add(a: Millis, b: i64) -> Result<Millis, SnapshotError> {
    a.checked_add(b).ok_or(corrupt("a time overflows"))
}

fn counts(c: &QueueCounts, w: &mut Writer) {
    w.uv(c.offered as u64);
    w.uv(c.handled as u64);
    w.uv(c.abandoned as u64);
    w.iv(c.handled_ms);
}

fn read_counts(r: &mut Reader) -> Result<QueueCounts, SnapshotError> {
    Ok(QueueCounts {
        offered: r.u32v()?,
        handled: r.u32v()?,
        abandoned: r.u32v()?,
        handled_ms: r.iv()?,
    })
}

fn pairs(set: &BTreeSet<(Millis, u32)>, w: &mut Writer) {
    w.uv(set.len() as u64);
    let mut prev = 0;
    for &(slot, q) in set {
        w.iv(slot - prev);
        w.uv(q as u64);
        prev = slot;
    }
}

fn read_pairs(r: &mut Reader, queues: usize) -> Result<BTreeSet<(Millis, u32)>, SnapshotError> {
    let n = r.count(2)?;
    let mut set = BTreeSet::new();
    let mut prev = 0;
    for _ in 0..n {
        let slot = add(prev, r.iv()?)?;
        let q = r.u32v()?;
        if q as usize >= queues {
            return Err(corrupt("queue reference out of range"));
        }
        set.insert((slot, q));
        prev = slot;
    }
    Ok(set)
}

impl Queues {
    pub(crate) fn encode(&self, t: &mut EncTables, w: &mut Writer) {
        w.uv(self.channels.len() as u64);
        for c in &self.channels {
            w.str(c);
        }
        w.uv(self.queues.len() as u64);
        for q in &self.queues {
            w.uv(t.integration(q.integration));
            w.str(&q.id);
            w.str(&q.name);
            w.uv(q.slots.len() as u64);
            let mut prev = 0;
            for (&start, slot) in &q.slots {
                w.iv(start - prev);
                prev = start;
                counts(&slot.total, w);
                w.uv(slot.channels.len() as u64);
                for (ch, c) in &slot.channels {
                    w.uv(*ch as u64);
                    counts(c, w);
                }
            }
            w.uv(q.published.len() as u64);
            let mut prev = 0;
            for (&start, p) in &q.published {
                w.iv(start - prev);
                prev = start;
                w.uv(p.revision as u64);
                w.u64_fixed(p.digest);
            }
        }
        pairs(&self.dirty, w);
        pairs(&self.held, w);
        w.iv(self.pruned_at);
    }

    /// Decode with the record's local integration references (see [`Queues::remap`]).
    pub(crate) fn decode(tb: &DecTables, r: &mut Reader) -> Result<Queues, SnapshotError> {
        let mut qs = Queues::default();
        let n = r.count(1)?;
        if n > u16::MAX as usize {
            return Err(corrupt("too many channels"));
        }
        for i in 0..n {
            let name: Box<str> = r.str()?.into();
            qs.channels.push(name.clone());
            qs.channel_index.insert(name, i as u16);
        }
        let n = r.count(5)?;
        for _ in 0..n {
            let integration = tb.integration_ref(r)?;
            let mut q = Queue {
                integration,
                id: r.str()?.into(),
                name: r.str()?.into(),
                slots: BTreeMap::new(),
                published: BTreeMap::new(),
            };
            let slots = r.count(6)?;
            let mut prev = 0;
            for _ in 0..slots {
                let start = add(prev, r.iv()?)?;
                prev = start;
                let mut slot = Slot {
                    total: read_counts(r)?,
                    channels: Default::default(),
                };
                let chans = r.count(5)?;
                for _ in 0..chans {
                    let ch = r.u32v()?;
                    if ch as usize >= qs.channels.len() {
                        return Err(corrupt("channel reference out of range"));
                    }
                    slot.channels.push((ch as u16, read_counts(r)?));
                }
                q.slots.insert(start, slot);
            }
            let published = r.count(10)?;
            let mut prev = 0;
            for _ in 0..published {
                let start = add(prev, r.iv()?)?;
                prev = start;
                let revision = r.u32v()?;
                let digest = r.u64_fixed()?;
                q.published.insert(start, Published { revision, digest });
            }
            qs.queues.push(q);
        }
        qs.dirty = read_pairs(r, qs.queues.len())?;
        qs.held = read_pairs(r, qs.queues.len())?;
        qs.pruned_at = r.iv()?;
        Ok(qs)
    }

    /// Map the local integration references to the account's, and rebuild the lookups.
    pub(crate) fn remap(&mut self, m: &Maps) {
        for q in &mut self.queues {
            q.integration = m.integration(q.integration);
        }
        self.reindex();
    }

    /// The resubmission records of the hours changed since the last call (every hour with
    /// `all`): one per hour, the hour's digests sorted by (integration id, digest); a
    /// tombstone for an hour left without any.
    pub(crate) fn encode_resubmissions(
        &mut self,
        account: &str,
        rules: &Rules,
        idents: &crate::engine::idents::Idents,
        all: bool,
        out: &mut Changelog,
    ) {
        let id = |i: u32| &*rules.integration(i).id;
        for (hour, mut seen) in self.resubmissions.take_changed(all) {
            let tag = hour.to_string();
            seen.sort_unstable_by(|a, b| (id(a.0), a.1).cmp(&(id(b.0), b.1)));
            out.record(account, "r", &[&tag], KIND_RESUBMISSIONS, |t, w| {
                if seen.is_empty() {
                    return None;
                }
                w.uv(seen.len() as u64);
                for &(integ, digest, latest) in &seen {
                    w.uv(t.integration(integ));
                    w.u128_fixed(digest);
                    w.iv(latest - hour);
                }
                Some((rules, idents))
            });
        }
    }
}

/// The digests of an hour's resubmission record, with the record's local integration
/// references: (integration, digest, latest contact), each latest contact within the hour.
pub(crate) fn decode_resubmissions(
    hour: Millis,
    tb: &DecTables,
    r: &mut Reader,
) -> Result<Vec<(u32, u128, Millis)>, SnapshotError> {
    let n = r.count(18)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let integ = tb.integration_ref(r)?;
        let digest = r.u128_fixed()?;
        let latest = add(hour, r.iv()?)?;
        if !(hour..hour + HOUR).contains(&latest) {
            return Err(corrupt("a digest outside its record's hour"));
        }
        v.push((integ, digest, latest));
    }
    Ok(v)
}
