//! A person's retained status timeline: point events ordered by time, with duplicate
//! suppression and injixo item coverage. Entries are 24 bytes: a person's day of ~30 status
//! changes costs well under a kilobyte.

use crate::config::Rules;
use crate::decode::EventKind;
use crate::time::Millis;
use std::cmp::Ordering;

/// Status index meaning "offline, no external status" (an injixo item ended, nothing covers).
pub const NO_STATUS: u32 = u32::MAX;
const KIND_SHIFT: u32 = 30;
const IDENT_MASK: u32 = (1 << KIND_SHIFT) - 1;

/// One retained event of a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub t: Millis,
    /// Stable hash of the event id (0 = none); for injixo items, of the item identity.
    pub event_id: u64,
    /// Interned external status; for an item end, the status of the covering item or NO_STATUS.
    pub status: u32,
    /// Identifier index (low 30 bits) and [`EventKind`] (top 2 bits).
    packed: u32,
}

impl Entry {
    pub fn new(t: Millis, event_id: u64, status: u32, ident: u32, kind: EventKind) -> Entry {
        let k = match kind {
            EventKind::Point => 0,
            EventKind::ItemStart => 1,
            EventKind::ItemEnd => 2,
        };
        Entry {
            t,
            event_id,
            status,
            packed: (ident & IDENT_MASK) | (k << KIND_SHIFT),
        }
    }

    #[inline]
    pub fn ident(&self) -> u32 {
        self.packed & IDENT_MASK
    }

    pub fn set_ident(&mut self, ident: u32) {
        self.packed = (self.packed & !IDENT_MASK) | (ident & IDENT_MASK);
    }

    #[inline]
    pub fn kind(&self) -> EventKind {
        match self.packed >> KIND_SHIFT {
            0 => EventKind::Point,
            1 => EventKind::ItemStart,
            _ => EventKind::ItemEnd,
        }
    }
}

/// Whether a status index means offline.
#[inline]
pub fn is_offline(rules: &Rules, status: u32) -> bool {
    status == NO_STATUS || rules.status(status).offline
}

/// Order of entries at the same instant, independent of arrival: item ends first, then offline
/// statuses, then online ones; then integration id, external status, event id. So a LOGOUT and
/// a LOGIN stamped with the same millisecond leave the agent online, whatever order they came in.
fn tie_cmp(rules: &Rules, a: &Entry, b: &Entry) -> Ordering {
    let rank = |e: &Entry| match e.kind() {
        EventKind::ItemEnd => 0,
        _ if is_offline(rules, e.status) => 1,
        _ => 2,
    };
    rank(a).cmp(&rank(b)).then_with(|| {
        let name = |e: &Entry| {
            if e.status == NO_STATUS || e.kind() == EventKind::ItemEnd {
                ("", "")
            } else {
                let s = rules.status(e.status);
                (&*rules.integration(s.integration).id, &*s.external)
            }
        };
        name(a)
            .cmp(&name(b))
            .then(a.event_id.cmp(&b.event_id))
            .then(a.ident().cmp(&b.ident()))
    })
}

fn entry_cmp(rules: &Rules, a: &Entry, b: &Entry) -> Ordering {
    a.t.cmp(&b.t).then_with(|| tie_cmp(rules, a, b))
}

/// What inserting an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Already known: nothing changed.
    Duplicate,
    /// The timeline changed from this instant on.
    ChangedFrom(Millis),
}

/// Insert an entry, suppressing duplicates: the same event id from the same identifier, or the
/// same identifier, time and status. An injixo item end with a known item but a new time moves.
pub fn insert(timeline: &mut Vec<Entry>, rules: &Rules, e: Entry) -> Inserted {
    if e.event_id != 0 {
        if let Some(i) = timeline
            .iter()
            .position(|x| x.event_id == e.event_id && x.ident() == e.ident())
        {
            if e.kind() == EventKind::ItemEnd && timeline[i].t != e.t {
                let old = timeline.remove(i);
                let at = place(timeline, rules, &e);
                timeline.insert(at, e);
                let from = resolve_item_ends(timeline, rules, e.ident())
                    .map_or(old.t.min(e.t), |c| c.min(old.t).min(e.t));
                return Inserted::ChangedFrom(from);
            }
            return Inserted::Duplicate;
        }
    }
    // Same identifier, time and status: scan the entries at that instant.
    let lo = timeline.partition_point(|x| x.t < e.t);
    if e.kind() != EventKind::ItemEnd
        && timeline[lo..]
            .iter()
            .take_while(|x| x.t == e.t)
            .any(|x| x.ident() == e.ident() && x.status == e.status && x.kind() == e.kind())
    {
        return Inserted::Duplicate;
    }
    if timeline.len() == timeline.capacity() {
        // Grow by a quarter, not double: timelines are many and small.
        timeline.reserve_exact((timeline.len() / 4).max(4));
    }
    let at = if timeline
        .last()
        .is_none_or(|last| entry_cmp(rules, last, &e) == Ordering::Less)
    {
        timeline.len()
    } else {
        place(timeline, rules, &e)
    };
    timeline.insert(at, e);
    let mut from = e.t;
    if e.kind() != EventKind::Point {
        if let Some(c) = resolve_item_ends(timeline, rules, e.ident()) {
            from = from.min(c);
        }
    }
    Inserted::ChangedFrom(from)
}

fn place(timeline: &[Entry], rules: &Rules, e: &Entry) -> usize {
    timeline.partition_point(|x| entry_cmp(rules, x, e) == Ordering::Less)
}

/// Recompute what each injixo item end of `ident` leaves behind: the status of the item that
/// covers that instant (latest start first), else offline. Returns the earliest changed time.
pub fn resolve_item_ends(timeline: &mut [Entry], rules: &Rules, ident: u32) -> Option<Millis> {
    let items: Vec<(Millis, u64, u32)> = timeline
        .iter()
        .filter(|x| x.ident() == ident && x.kind() == EventKind::ItemStart)
        .map(|x| (x.t, x.event_id, x.status))
        .collect();
    if items.is_empty() {
        return None;
    }
    let end_of = |id: u64| -> Option<Millis> {
        let end_id = crate::decode::item_end_id(id);
        timeline
            .iter()
            .find(|x| x.ident() == ident && x.kind() == EventKind::ItemEnd && x.event_id == end_id)
            .map(|x| x.t)
    };
    let ends: Vec<Option<Millis>> = items.iter().map(|(_, id, _)| end_of(*id)).collect();
    let mut changed: Option<Millis> = None;
    for x in timeline
        .iter_mut()
        .filter(|x| x.ident() == ident && x.kind() == EventKind::ItemEnd)
    {
        let own = items
            .iter()
            .position(|(_, id, _)| crate::decode::item_end_id(*id) == x.event_id);
        let mut best: Option<(Millis, &str, u32)> = None;
        for (k, (start, _, status)) in items.iter().enumerate() {
            if Some(k) == own || *start > x.t || ends[k].is_some_and(|end| end <= x.t) {
                continue;
            }
            let name = &*rules.status(*status).external;
            if best.is_none_or(|(bs, bn, _)| (*start, name) > (bs, bn)) {
                best = Some((*start, name, *status));
            }
        }
        let status = best.map_or(NO_STATUS, |(_, _, s)| s);
        if x.status != status {
            x.status = status;
            changed = Some(changed.map_or(x.t, |c| c.min(x.t)));
        }
    }
    changed
}
