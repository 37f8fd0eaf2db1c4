//! Where an account's events wait or are reported instead of applied: identifiers that are not
//! mapped (parked, bounded in records and bytes), paused integrations (held, bounded in records
//! and bytes) and unmapped reports (bounded in distinct values per account).

use super::{Account, Held, Report};
use crate::engine::output::{self, UnmappedKind};
use crate::engine::timeline::{is_duplicate, is_duplicate_in, Entry, NO_STATUS};
use crate::engine::Ctx;
use crate::reason::{Reason, Reject};
use crate::time::Millis;
use ahash::AHashMap;

/// Bytes a parked entry costs, and a parked identifier's slot on top of its name.
pub(super) const PARKED_ENTRY: usize = std::mem::size_of::<Entry>();
pub(super) const PARKED_SLOT: usize = 64;
/// Unmapped reports are pruned (last seen before the retention horizon) at most this often
/// while the account is at its cap.
const PRUNE_EVERY: Millis = 3_600_000;

impl Account {
    /// Hold an event of a paused integration; false (dead letter `hold_full`) when its hold
    /// buffer is full in records or bytes.
    pub(super) fn hold(&mut self, integ: u32, external: &str, entry: Entry, ctx: &mut Ctx) -> bool {
        let i = integ as usize;
        while self.held.len() <= i {
            self.held.push(Vec::new());
            self.held_bytes.push(0);
        }
        let cost = std::mem::size_of::<Held>() + external.len();
        let lim = &ctx.opts.limits;
        if self.held[i].len() >= lim.hold_limit || self.held_bytes[i] + cost > lim.hold_bytes_limit
        {
            return false;
        }
        self.held[i].push(Held {
            external: external.into(),
            entry,
        });
        self.core_dirty = true;
        self.held_bytes[i] += cost;
        ctx.stats.held += 1;
        true
    }

    /// Report an unmapped status and find the person of an identifier; unmapped identifiers
    /// park the entry (bounded) and are reported. Duplicates change nothing, not even a
    /// report's count (SPEC §5): they are recognised here whenever a report would be published.
    /// An entry that finds no room is refused when `live` (an input event: the edge
    /// dead-letters it) and counted as dropped otherwise (a replay of held events).
    pub(super) fn resolve(
        &mut self,
        integ: u32,
        external: &str,
        entry: Entry,
        live: bool,
        ctx: &mut Ctx,
    ) -> Result<Option<u32>, Reject> {
        let ident = self.idents.lookup(integ, external);
        let person = ident.and_then(|i| self.idents.person_of(i));
        let status_unmapped = entry.status != NO_STATUS && {
            let st = self.rules.status(entry.status);
            st.activity.is_none() && !st.offline
        };
        let dup = match person {
            Some(p) if status_unmapped => {
                let mut e = entry;
                e.set_ident(ident.unwrap_or(0));
                let pr = &mut self.persons[p as usize];
                is_duplicate(&pr.timeline, &mut pr.ids, &e)
            }
            Some(_) => false, // the timeline insert recognises it
            None => self
                .parked
                .get(integ as usize)
                .and_then(|m| m.get(external))
                .is_some_and(|slot| is_duplicate_in(slot, &entry)),
        };
        if dup {
            ctx.stats.duplicates += 1;
            return Ok(None);
        }
        if status_unmapped {
            ctx.stats.unmapped_status_events += 1;
            let value: Box<str> = self.rules.status(entry.status).external.as_str().into();
            self.report(UnmappedKind::Status, integ, &value, entry.t, ctx);
        }
        if person.is_some() {
            return Ok(person);
        }
        ctx.stats.unmapped_identifier_events += 1;
        let key = (UnmappedKind::Identifier, integ, Box::<str>::from(external));
        if !self.reports.contains_key(&key) && !self.unmapped_room(ctx) {
            return refuse(
                live,
                Reason::UnmappedFull,
                "too many distinct unmapped values in this account; map them",
                ctx,
            );
        }
        self.report(UnmappedKind::Identifier, integ, external, entry.t, ctx);
        if !self.park(integ, external, entry, ctx) {
            return refuse(
                live,
                Reason::ParkingFull,
                "too many events of this unmapped identifier are parked; map it",
                ctx,
            );
        }
        ctx.stats.parked += 1;
        Ok(None)
    }

    /// Park an entry of an unmapped identifier; false when the identifier's slot or the
    /// account's parking is full (records or bytes). The cap is checked before a slot is made.
    pub(super) fn park(&mut self, integ: u32, external: &str, entry: Entry, ctx: &mut Ctx) -> bool {
        while self.parked.len() <= integ as usize {
            self.parked.push(AHashMap::new());
        }
        let horizon = self.horizon(ctx);
        let lim = &ctx.opts.limits;
        self.core_dirty = true;
        let map = &mut self.parked[integ as usize];
        let (len, new_slot) = match map.get_mut(external) {
            Some(slot) => {
                if let Some(h) = horizon {
                    let before = slot.len();
                    slot.retain(|e| e.t >= h);
                    let gone = before - slot.len();
                    self.parked_total -= gone;
                    self.parked_bytes -= gone * PARKED_ENTRY;
                    ctx.stats.dropped += gone as u64;
                }
                (slot.len(), 0)
            }
            None => (0, external.len() + PARKED_SLOT),
        };
        let cost = PARKED_ENTRY + new_slot;
        if len >= lim.park_limit
            || self.parked_total >= lim.park_total_limit
            || self.parked_bytes + cost > lim.park_bytes_limit
        {
            return false;
        }
        map.entry(external.into()).or_default().push(entry);
        self.parked_total += 1;
        self.parked_bytes += cost;
        true
    }

    /// Take the parked entries of an identifier (it was just mapped).
    pub(super) fn unpark(&mut self, integ: u32, external: &str) -> Option<Vec<Entry>> {
        let parked = self.parked.get_mut(integ as usize)?.remove(external)?;
        self.core_dirty = true;
        self.parked_total -= parked.len();
        self.parked_bytes -= parked.len() * PARKED_ENTRY + external.len() + PARKED_SLOT;
        Some(parked)
    }

    /// Whether one more distinct unmapped value may be reported (pruning reports last seen
    /// before the retention horizon when the account is at its cap).
    pub(super) fn unmapped_room(&mut self, ctx: &mut Ctx) -> bool {
        if self.reports.len() < ctx.opts.limits.max_unmapped {
            return true;
        }
        let (Some(clock), Some(h)) = (self.clock, self.horizon(ctx)) else {
            return false;
        };
        if self
            .reports_pruned_at
            .is_some_and(|t| clock - t < PRUNE_EVERY)
        {
            return false;
        }
        self.reports_pruned_at = Some(clock);
        self.core_dirty = true;
        self.reports.retain(|_, r| r.last >= h);
        self.reports.len() < ctx.opts.limits.max_unmapped
    }

    fn report(&mut self, kind: UnmappedKind, integ: u32, value: &str, t: Millis, ctx: &mut Ctx) {
        self.core_dirty = true;
        let r = self
            .reports
            .entry((kind, integ, value.into()))
            .or_insert(Report {
                count: 0,
                first: t,
                last: t,
            });
        r.count += 1;
        r.first = r.first.min(t);
        r.last = r.last.max(t);
        let (count, first, last) = (r.count, r.first, r.last);
        let suggestions = match kind {
            UnmappedKind::Identifier => self.idents.near_misses(integ, value),
            UnmappedKind::Status => self.rules.status_near_misses(integ, value),
        };
        let integration = &self.rules.integration(integ).id;
        ctx.emit(|e| {
            output::unmapped_report(
                e,
                &self.name,
                integration,
                kind,
                value,
                count,
                first,
                last,
                &suggestions,
            )
        });
    }

    pub(super) fn clear_report(
        &mut self,
        kind: UnmappedKind,
        integ: u32,
        value: &str,
        ctx: &mut Ctx,
    ) {
        if self.reports.remove(&(kind, integ, value.into())).is_some() {
            self.core_dirty = true;
            let integration = &self.rules.integration(integ).id;
            ctx.emit(|e| output::unmapped_tombstone(e, &self.name, integration, kind, value));
        }
    }

    /// Apply the events held while an integration was paused.
    pub(super) fn release_held(&mut self, integ: u32, ctx: &mut Ctx) {
        self.release_held_contacts(ctx);
        let Some(held) = self.held.get_mut(integ as usize).map(std::mem::take) else {
            return;
        };
        self.held_bytes[integ as usize] = 0;
        self.core_dirty = true;
        let h = self.horizon(ctx);
        let mut per_person: AHashMap<u32, Vec<Entry>> = AHashMap::new();
        for Held { external, entry } in held {
            if h.is_some_and(|h| entry.t < h) {
                ctx.stats.dropped += 1;
                continue;
            }
            if let Ok(Some(p)) = self.resolve(integ, &external, entry, false, ctx) {
                let mut e = entry;
                e.set_ident(self.idents.lookup(integ, &external).unwrap_or(0));
                per_person.entry(p).or_default().push(e);
            }
        }
        let mut ps: Vec<_> = per_person.into_iter().collect();
        ps.sort_by_key(|(p, _)| *p);
        for (p, mut entries) in ps {
            entries.sort_by_key(|e| e.t);
            self.apply_entries(p, &entries, ctx);
        }
    }
}

/// An entry without room: refused when live, dropped (counted) in a replay.
fn refuse(live: bool, reason: Reason, detail: &str, ctx: &mut Ctx) -> Result<Option<u32>, Reject> {
    if live {
        return Err(Reject::new(reason, detail));
    }
    ctx.stats.dropped += 1;
    Ok(None)
}
