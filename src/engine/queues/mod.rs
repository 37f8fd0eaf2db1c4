//! Queue state of one account (SPEC §10): contact counters per queue in 15-minute UTC slots,
//! the queue intervals already published (for revisions), and the resubmitted bodies seen.
//!
//! A contact is a counter update: find the queue, find its slot, add. Queue intervals are
//! account-local (`intervalMinutes`, time zone) and are summed from the slots when they are
//! published, so a settings change never needs the raw contacts again. Every zone in use today
//! has an offset that is a multiple of 15 minutes, so each slot lies inside exactly one local
//! interval (in a zone that does not, a slot counts in the interval holding its start).
//!
//! Publishing follows the agent intervals: a queue interval is published when the account's
//! watermark (clock − allowed lateness) passes its end, and again with `revision` + 1 when a
//! later contact changes it. Everything older than the retention is pruned.

mod record;
mod resubmit;
mod snapshot;

pub use record::{queue_interval, write_channels, QueueCounts, QueueInterval};
pub use resubmit::{body_digest, Resubmissions};
pub(crate) use snapshot::decode_resubmissions;

use crate::reason::{Reason, Reject};
use crate::time::{Grid, Millis};
use ahash::AHashMap;
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet};

/// Width of a counter slot.
pub const SLOT_MS: Millis = 15 * 60 * 1000;

/// Why a contact could not be counted.
pub type Refused = Reject;

/// Counters of one queue in one slot: totals and per channel (channel index, counters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Slot {
    total: QueueCounts,
    channels: SmallVec<[(u16, QueueCounts); 2]>,
}

#[derive(Clone, Debug)]
struct Published {
    revision: u32,
    /// Hash of the counters last published (a change republishes).
    digest: u64,
}

#[derive(Clone, Debug)]
pub struct Queue {
    pub integration: u32,
    pub id: Box<str>,
    pub name: Box<str>,
    slots: BTreeMap<Millis, Slot>,
    published: BTreeMap<Millis, Published>,
}

/// One contact to count, already validated.
pub struct ContactIn<'a> {
    pub integration: u32,
    pub queue_id: &'a str,
    pub queue_name: &'a str,
    pub channel: &'a str,
    pub time: Millis,
    pub offered: bool,
    pub handled: bool,
    pub duration_ms: i64,
}

/// queueIdentifier → (queueName, queue index) of one integration.
type QueueNames = AHashMap<Box<str>, SmallVec<[(Box<str>, u32); 1]>>;

#[derive(Clone, Debug, Default)]
pub struct Queues {
    /// integration index → queueIdentifier → (queueName, queue index).
    by_id: AHashMap<u32, QueueNames>,
    queues: Vec<Queue>,
    channels: Vec<Box<str>>,
    channel_index: AHashMap<Box<str>, u16>,
    /// Slots changed since their interval was last published: (slot start, queue index).
    dirty: BTreeSet<(Millis, u32)>,
    /// Dirty slots of paused integrations: published after the resume (SPEC §5: events of a
    /// paused integration are held and applied on resume).
    held: BTreeSet<(Millis, u32)>,
    pub resubmissions: Resubmissions,
    pruned_at: Millis,
    /// Changed since the changelog last collected it (see `engine::snapshot`).
    pub(crate) changed: bool,
}

impl Queues {
    /// Rebuild the lookup by (integration, queue id) from the queue list.
    pub(super) fn reindex(&mut self) {
        self.by_id.clear();
        for (i, q) in self.queues.iter().enumerate() {
            self.by_id
                .entry(q.integration)
                .or_default()
                .entry(q.id.clone())
                .or_default()
                .push((q.name.clone(), i as u32));
        }
    }

    pub fn len(&self) -> usize {
        self.queues.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    pub fn queue(&self, q: u32) -> &Queue {
        &self.queues[q as usize]
    }

    /// Count one contact. `max_queues` and `max_channels` cap the distinct queues and channel
    /// names of the account (`queues_full` beyond).
    pub fn count(
        &mut self,
        c: &ContactIn,
        max_queues: usize,
        max_channels: usize,
    ) -> Result<(), Refused> {
        let q = self.queue_or_create(c, max_queues)?;
        let ch = self.channel_or_create(c.channel, max_channels)?;
        let slot_start = c.time - c.time.rem_euclid(SLOT_MS);
        let slot = self.queues[q as usize].slots.entry(slot_start).or_default();
        slot.total.add(c.offered, c.handled, c.duration_ms);
        match slot.channels.iter_mut().find(|(i, _)| *i == ch) {
            Some((_, counts)) => counts.add(c.offered, c.handled, c.duration_ms),
            None => {
                let mut counts = QueueCounts::default();
                counts.add(c.offered, c.handled, c.duration_ms);
                slot.channels.push((ch, counts));
            }
        }
        self.dirty.insert((slot_start, q));
        self.changed = true;
        Ok(())
    }

    fn queue_or_create(&mut self, c: &ContactIn, max: usize) -> Result<u32, Refused> {
        let names = self.by_id.entry(c.integration).or_default();
        if let Some(v) = names.get(c.queue_id) {
            if let Some((_, q)) = v.iter().find(|(n, _)| &**n == c.queue_name) {
                return Ok(*q);
            }
        }
        if self.queues.len() >= max {
            return Err(Reject::new(
                Reason::QueuesFull,
                format!("the account already has {max} queues (limits.max_queues)"),
            ));
        }
        let q = self.queues.len() as u32;
        self.queues.push(Queue {
            integration: c.integration,
            id: c.queue_id.into(),
            name: c.queue_name.into(),
            slots: BTreeMap::new(),
            published: BTreeMap::new(),
        });
        names
            .entry(c.queue_id.into())
            .or_default()
            .push((c.queue_name.into(), q));
        Ok(q)
    }

    fn channel_or_create(&mut self, name: &str, max: usize) -> Result<u16, Refused> {
        if let Some(&i) = self.channel_index.get(name) {
            return Ok(i);
        }
        if self.channels.len() >= max.min(u16::MAX as usize) {
            return Err(Reject::new(
                Reason::QueuesFull,
                format!("the account already has {max} channel names (limits.max_channels)"),
            ));
        }
        let i = self.channels.len() as u16;
        self.channels.push(name.into());
        self.channel_index.insert(name.into(), i);
        Ok(i)
    }

    /// Every queue interval whose end is at or before `watermark` and that changed since it
    /// was last published, in time order: `emit` gets the interval and its revision.
    pub fn flush(
        &mut self,
        grid: &Grid,
        watermark: Millis,
        paused: impl Fn(u32) -> bool,
        mut emit: impl FnMut(&Queue, &QueueInterval),
    ) {
        while let Some(&(slot, q)) = self.dirty.first() {
            let (start, end) = grid.interval_at(slot);
            if end > watermark {
                break;
            }
            self.changed = true;
            if paused(self.queues[q as usize].integration) {
                self.dirty.remove(&(slot, q));
                self.held.insert((slot, q));
                continue;
            }
            // every slot of this queue in the interval is published at once
            let first = start + (SLOT_MS - start.rem_euclid(SLOT_MS)) % SLOT_MS;
            let mut s = first;
            while s < end {
                self.dirty.remove(&(s, q));
                s += SLOT_MS;
            }
            self.dirty.remove(&(slot, q));
            if let Some(iv) = self.interval(q, start, end) {
                emit(&self.queues[q as usize], &iv);
            }
        }
    }

    /// After an integration resumes: its held slots are due again (published at the next
    /// flush).
    pub fn resume(&mut self, paused: impl Fn(u32) -> bool) {
        let queues = &self.queues;
        let (still, resumed): (BTreeSet<_>, BTreeSet<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(_, q)| paused(queues[*q as usize].integration));
        self.held = still;
        self.changed |= !resumed.is_empty();
        self.dirty.extend(resumed);
    }

    /// The queue interval `[start, end)` of queue `q` if it changed since last published
    /// (then recorded as published with the next revision).
    fn interval(&mut self, q: u32, start: Millis, end: Millis) -> Option<QueueInterval> {
        let queue = &mut self.queues[q as usize];
        let mut total = QueueCounts::default();
        let mut channels: SmallVec<[(u16, QueueCounts); 4]> = SmallVec::new();
        for slot in queue.slots.range(start..end).map(|(_, s)| s) {
            total.merge(&slot.total);
            for (ch, counts) in &slot.channels {
                match channels.iter_mut().find(|(c, _)| c == ch) {
                    Some((_, acc)) => acc.merge(counts),
                    None => channels.push((*ch, counts.clone())),
                }
            }
        }
        let mut named: Vec<(Box<str>, QueueCounts)> = channels
            .into_iter()
            .map(|(c, counts)| (self.channels[c as usize].clone(), counts))
            .collect();
        named.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let digest = record::digest(&total, &named);
        let revision = match queue.published.get_mut(&start) {
            Some(p) if p.digest == digest => return None,
            Some(p) => {
                p.revision += 1;
                p.digest = digest;
                p.revision
            }
            None => {
                queue.published.insert(
                    start,
                    Published {
                        revision: 0,
                        digest,
                    },
                );
                0
            }
        };
        Some(QueueInterval {
            queue: q,
            start,
            end,
            revision,
            total,
            channels: named,
        })
    }

    /// Today's intervals of every queue from `from` on (for views): counters summed per
    /// interval of `grid`, whether published yet or not.
    pub fn intervals_since(&self, grid: &Grid, from: Millis) -> Vec<QueueInterval> {
        let mut out = Vec::new();
        for (q, queue) in self.queues.iter().enumerate() {
            let mut cur: Option<QueueInterval> = None;
            for (&slot, counts) in queue.slots.range(from..) {
                let (start, end) = grid.interval_at(slot);
                if cur.as_ref().is_some_and(|c| c.start != start) {
                    out.extend(cur.take());
                }
                let iv = cur.get_or_insert_with(|| QueueInterval {
                    queue: q as u32,
                    start,
                    end,
                    revision: queue.published.get(&start).map_or(0, |p| p.revision),
                    total: QueueCounts::default(),
                    channels: Vec::new(),
                });
                iv.total.merge(&counts.total);
                for (ch, c) in &counts.channels {
                    let name = &self.channels[*ch as usize];
                    match iv.channels.iter_mut().find(|(n, _)| n == name) {
                        Some((_, acc)) => acc.merge(c),
                        None => iv.channels.push((name.clone(), c.clone())),
                    }
                }
            }
            out.extend(cur);
        }
        for iv in &mut out {
            iv.channels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        out
    }

    /// Forget slots, published intervals and resubmission digests older than `horizon`, and
    /// queues left without any; at most once per clock hour (amortised, never per contact).
    pub fn prune(&mut self, grid: &Grid, horizon: Millis, clock: Millis) {
        if clock - self.pruned_at < 3_600_000 {
            return;
        }
        self.pruned_at = clock;
        self.changed = true;
        // from the start of the interval holding the horizon: a late contact inside it
        // republishes the whole interval
        let start = grid.interval_at(horizon).0;
        let cut = start - start.rem_euclid(SLOT_MS);
        for queue in &mut self.queues {
            queue.slots = queue.slots.split_off(&cut);
            queue.published = queue.published.split_off(&(cut - 86_400_000));
        }
        self.dirty = self.dirty.split_off(&(cut, 0));
        self.held = self.held.split_off(&(cut, 0));
        self.resubmissions.prune(horizon);
        if self.queues.iter().any(|q| q.slots.is_empty()) {
            self.drop_empty_queues();
        }
    }

    /// Remove queues without slots, renumbering the rest.
    fn drop_empty_queues(&mut self) {
        let mut renumber = vec![u32::MAX; self.queues.len()];
        let old = std::mem::take(&mut self.queues);
        for (i, q) in old.into_iter().enumerate() {
            if !q.slots.is_empty() {
                renumber[i] = self.queues.len() as u32;
                self.queues.push(q);
            }
        }
        self.reindex();
        let renumbered = |set: BTreeSet<(Millis, u32)>| -> BTreeSet<(Millis, u32)> {
            set.into_iter()
                .filter_map(|(s, q)| {
                    let n = renumber[q as usize];
                    (n != u32::MAX).then_some((s, n))
                })
                .collect()
        };
        self.dirty = renumbered(std::mem::take(&mut self.dirty));
        self.held = renumbered(std::mem::take(&mut self.held));
    }

    /// Approximate bytes held (for the measured memory per queue interval).
    pub fn slot_count(&self) -> usize {
        self.queues.iter().map(|q| q.slots.len()).sum()
    }
}

#[cfg(test)]
mod tests;
