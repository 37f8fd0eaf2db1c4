//! A person's retained status timeline: point events ordered by time, with duplicate
//! suppression and injixo item coverage. Entries are 24 bytes: a person's day of ~30 status
//! changes costs well under a kilobyte.

use super::items::Items;
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

/// Timelines shorter than this are scanned for event ids (a few cache lines); longer ones use
/// the person's [`TimelineIndex`].
const INDEX_FROM: usize = 64;

/// A person's timeline indexes, rebuilt on demand and never part of the state:
///
/// - event ids: `(event id, identifier) → time`, a hash map built lazily once the timeline is
///   long, so duplicate detection costs O(1) plus a binary search instead of a scan of the
///   whole timeline;
/// - injixo items: per identifier an interval index ([`Items`]: a treap by item start,
///   augmented with the latest end per subtree), so re-resolving an item end is O(log n)
///   instead of a sweep over every item of the identifier.
///
/// Kept in step by [`insert`]; any other change to the timeline (pruning, identifier moves)
/// calls [`TimelineIndex::invalidate`] and the next use rebuilds them (O(n) and O(n log n),
/// amortized over the inserts since).
#[derive(Clone, Debug, Default)]
pub struct TimelineIndex {
    ids: Option<Box<ahash::AHashMap<(u64, u32), Millis>>>,
    items: Option<Box<ahash::AHashMap<u32, Items>>>,
}

impl TimelineIndex {
    pub fn invalidate(&mut self) {
        self.ids = None;
        self.items = None;
    }

    /// Position of the entry with this event id and identifier.
    fn find(&mut self, timeline: &[Entry], id: u64, ident: u32) -> Option<usize> {
        if timeline.len() < INDEX_FROM {
            self.ids = None;
            return timeline
                .iter()
                .position(|x| x.event_id == id && x.ident() == ident);
        }
        let map = self.ids.get_or_insert_with(|| {
            Box::new(
                timeline
                    .iter()
                    .filter(|x| x.event_id != 0)
                    .map(|x| ((x.event_id, x.ident()), x.t))
                    .collect(),
            )
        });
        let t = *map.get(&(id, ident))?;
        let lo = timeline.partition_point(|x| x.t < t);
        timeline[lo..]
            .iter()
            .take_while(|x| x.t == t)
            .position(|x| x.event_id == id && x.ident() == ident)
            .map(|i| lo + i)
    }

    fn set(&mut self, e: &Entry) {
        if let (Some(m), true) = (self.ids.as_mut(), e.event_id != 0) {
            m.insert((e.event_id, e.ident()), e.t);
        }
    }

    /// Whether an item start or end is resolved through the item index: on long timelines,
    /// with the index of its identifier built from the timeline *before* the change. Short
    /// timelines drop the index and use the sweep ([`resolve_item_ends`]).
    fn prepare_items(&mut self, timeline: &[Entry], rules: &Rules, e: &Entry) -> bool {
        if e.kind() == EventKind::Point {
            return false;
        }
        if timeline.len() < INDEX_FROM {
            self.items = None;
            return false;
        }
        self.items
            .get_or_insert_with(Default::default)
            .entry(e.ident())
            .or_insert_with(|| Items::build(timeline, rules, e.ident()));
        true
    }

    fn items(&mut self, ident: u32) -> Option<&mut Items> {
        self.items.as_mut()?.get_mut(&ident)
    }
}

/// Whether inserting `e` would be a duplicate (the same test as [`insert`], without changing
/// anything). An injixo item end with a known item but a new time is not a duplicate: it moves.
pub fn is_duplicate(timeline: &[Entry], index: &mut TimelineIndex, e: &Entry) -> bool {
    if e.event_id != 0 {
        if let Some(i) = index.find(timeline, e.event_id, e.ident()) {
            return !(e.kind() == EventKind::ItemEnd && timeline[i].t != e.t);
        }
    }
    same_instant_duplicate(timeline, e)
}

/// The same test over a short unsorted list (parked events of one identifier).
pub fn is_duplicate_in(list: &[Entry], e: &Entry) -> bool {
    if e.event_id != 0 {
        if let Some(x) = list.iter().find(|x| x.event_id == e.event_id) {
            return !(e.kind() == EventKind::ItemEnd && x.t != e.t);
        }
    }
    e.kind() != EventKind::ItemEnd
        && list
            .iter()
            .any(|x| x.t == e.t && x.status == e.status && x.kind() == e.kind())
}

/// Same identifier, time and status: scan the entries at that instant.
fn same_instant_duplicate(timeline: &[Entry], e: &Entry) -> bool {
    let lo = timeline.partition_point(|x| x.t < e.t);
    e.kind() != EventKind::ItemEnd
        && timeline[lo..]
            .iter()
            .take_while(|x| x.t == e.t)
            .any(|x| x.ident() == e.ident() && x.status == e.status && x.kind() == e.kind())
}

/// The instant from which inserting `e` would change the timeline, if it is not a duplicate:
/// what [`insert`] reports as `ChangedFrom` (a moved item end: the earlier of its two times).
pub fn change_from(timeline: &[Entry], index: &mut TimelineIndex, e: &Entry) -> Millis {
    if e.kind() == EventKind::ItemEnd && e.event_id != 0 {
        if let Some(i) = index.find(timeline, e.event_id, e.ident()) {
            return timeline[i].t.min(e.t);
        }
    }
    e.t
}

/// Insert an entry, suppressing duplicates: the same event id from the same identifier, or the
/// same identifier, time and status. An injixo item end with a known item but a new time moves.
/// Item starts and ends re-resolve the item ends of their identifier that they can change
/// (see [`resolve_changed`]); the result is the same as re-resolving every later end.
pub fn insert(
    timeline: &mut Vec<Entry>,
    index: &mut TimelineIndex,
    rules: &Rules,
    e: Entry,
) -> Inserted {
    if e.event_id != 0 {
        if let Some(i) = index.find(timeline, e.event_id, e.ident()) {
            if e.kind() == EventKind::ItemEnd && timeline[i].t != e.t {
                let indexed = index.prepare_items(timeline, rules, &e);
                let old = timeline.remove(i);
                let at = place(timeline, rules, &e);
                timeline.insert(at, e);
                index.set(&e);
                resolve_changed(timeline, index, rules, &e, Some(old.t), indexed);
                return Inserted::ChangedFrom(old.t.min(e.t));
            }
            return Inserted::Duplicate;
        }
    }
    if same_instant_duplicate(timeline, &e) {
        return Inserted::Duplicate;
    }
    let indexed = index.prepare_items(timeline, rules, &e);
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
    index.set(&e);
    if e.kind() != EventKind::Point {
        resolve_changed(timeline, index, rules, &e, None, indexed);
    }
    Inserted::ChangedFrom(e.t)
}

/// After item start or end `e` was inserted (or an end moved from `moved_from`), re-resolve
/// the item ends it can change. Short timelines sweep every end of the identifier from the
/// earliest changed instant ([`resolve_item_ends`]). Long ones update the item index and
/// re-resolve only the ends inside the span whose coverage changed — a new item's
/// `[start, end)`, the stretch an end cut off or moved over, and the end itself — each with
/// one O(log n) query: O((1 + k) log n) for k ends in that span, instead of O(n log n) per
/// insert. Any end outside the span has the same covering items as before.
fn resolve_changed(
    timeline: &mut [Entry],
    index: &mut TimelineIndex,
    rules: &Rules,
    e: &Entry,
    moved_from: Option<Millis>,
    indexed: bool,
) {
    let items = match index.items(e.ident()) {
        Some(items) if indexed => items,
        _ => {
            index.items = None;
            let from = moved_from.map_or(e.t, |o| o.min(e.t));
            resolve_item_ends(timeline, rules, e.ident(), from);
            return;
        }
    };
    let (lo, hi) = match e.kind() {
        EventKind::ItemStart => (e.t, items.add_item(rules, e.t, e.status, e.event_id)),
        _ => match items.set_end(rules, e.event_id, e.t) {
            // The item covered [start, old end); now [start, e.t).
            Some(old) => (old.min(e.t), old.max(e.t.saturating_add(1))),
            None => (e.t, e.t.saturating_add(1)),
        },
    };
    let first = timeline.partition_point(|x| x.t < lo);
    for slot in timeline[first..].iter_mut() {
        if slot.t >= hi {
            break;
        }
        if slot.ident() == e.ident() && slot.kind() == EventKind::ItemEnd {
            slot.status = items.best(slot.t, slot.event_id).unwrap_or(NO_STATUS);
        }
    }
}

fn place(timeline: &[Entry], rules: &Rules, e: &Entry) -> usize {
    timeline.partition_point(|x| entry_cmp(rules, x, e) == Ordering::Less)
}

/// Recompute what each injixo item end of `ident` at or after `from` leaves behind: the status
/// of the item that covers that instant (latest start first, then name), else offline. Returns
/// the earliest changed time.
///
/// One sweep in time order: item ends by id in a hash map, the items covering the sweep's
/// instant in an ordered set (`BTreeSet` by start and name, best = last) with their ends in a
/// min-heap for expiry: O(n log n) in the identifier's retained entries per call, instead of
/// scanning every item for every end (O(n²), cubic over a day of inserts).
pub fn resolve_item_ends(
    timeline: &mut [Entry],
    rules: &Rules,
    ident: u32,
    from: Millis,
) -> Option<Millis> {
    use std::cmp::Reverse;
    use std::collections::{BTreeSet, BinaryHeap};
    let mut ends: ahash::AHashMap<u64, Millis> = ahash::AHashMap::new();
    let mut any_item = false;
    let mut any_end = false;
    for x in timeline.iter().filter(|x| x.ident() == ident) {
        match x.kind() {
            EventKind::ItemEnd => {
                any_end |= x.t >= from;
                ends.insert(x.event_id, x.t);
            }
            EventKind::ItemStart => any_item = true,
            EventKind::Point => {}
        }
    }
    if !any_item || !any_end {
        return None;
    }
    /// An item covering the sweep's instant: (start, name, status, item id).
    type Item<'r> = (Millis, &'r str, u32, u64);
    let mut active: BTreeSet<Item> = BTreeSet::new();
    // (end, item) of the active items that end
    let mut expiry: BinaryHeap<Reverse<(Millis, Item)>> = BinaryHeap::new();
    let mut starts = timeline
        .iter()
        .filter(|x| x.ident() == ident && x.kind() == EventKind::ItemStart)
        .map(|x| (x.t, x.event_id, x.status))
        .collect::<Vec<_>>()
        .into_iter()
        .peekable();
    let mut changed: Option<Millis> = None;
    for slot in timeline.iter_mut() {
        let x = *slot;
        if x.ident() != ident || x.kind() != EventKind::ItemEnd || x.t < from {
            continue;
        }
        while let Some(&(start, id, status)) = starts.peek() {
            if start > x.t {
                break;
            }
            starts.next();
            let end = ends.get(&crate::decode::item_end_id(id)).copied();
            if end.is_some_and(|end| end <= x.t) {
                continue; // over before this instant, so before every later one
            }
            let name = &*rules.status(status).external;
            active.insert((start, name, status, id));
            if let Some(end) = end {
                expiry.push(Reverse((end, (start, name, status, id))));
            }
        }
        while let Some(Reverse((end, item))) = expiry.peek().copied() {
            if end > x.t {
                break;
            }
            expiry.pop();
            active.remove(&item);
        }
        let best = active
            .iter()
            .rev()
            .find(|(_, _, _, id)| crate::decode::item_end_id(*id) != x.event_id);
        let status = best.map_or(NO_STATUS, |(_, _, s, _)| *s);
        if slot.status != status {
            slot.status = status;
            changed = Some(changed.map_or(x.t, |c| c.min(x.t)));
        }
    }
    changed
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
