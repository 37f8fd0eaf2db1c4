//! An account's side of the changelog (`engine::snapshot`): which of its keys were touched
//! since the last collection, their records, and restoring them. The account record holds
//! the clock, parked and held events and unmapped reports; persons and queues have their own.

use super::intake::{PARKED_ENTRY, PARKED_SLOT};
use super::{Account, Held, Report};
use crate::engine::output::UnmappedKind;
use crate::engine::person::Person;
use crate::engine::snapshot::tables::{DecTables, EncTables, Maps};
use crate::engine::snapshot::wire::{Reader, Writer};
use crate::engine::snapshot::{
    decode_person, encode_person, is_fresh, kind_code, kind_from, open, remap, Changelog,
    SnapshotError, KIND_ACCOUNT, KIND_PERSON, KIND_QUEUES,
};
use crate::engine::timeline::Entry;
use crate::time::Millis;
use ahash::AHashMap;

const CLOCK: u8 = 1;
const PRUNED_AT: u8 = 2;
const E_EVENT_ID: u8 = 4;

impl Account {
    /// Mark a person's state changed (once between two collections).
    #[inline]
    pub(super) fn touch(&mut self, p: u32) {
        let person = &mut self.persons[p as usize];
        if !person.dirty {
            person.dirty = true;
            self.dirty_persons.push(p);
        }
    }

    pub(crate) fn is_touched(&self) -> bool {
        !self.dirty_persons.is_empty() || self.core_dirty || self.queues.changed
    }

    /// Records of the keys touched since the last call.
    pub(crate) fn collect_changelog(&mut self, out: &mut Changelog) {
        if std::mem::take(&mut self.core_dirty) {
            self.encode_core(out);
        }
        if std::mem::take(&mut self.queues.changed) {
            self.encode_queues(out);
        }
        let mut dirty = std::mem::take(&mut self.dirty_persons);
        dirty.sort_unstable();
        for &p in &dirty {
            self.persons[p as usize].dirty = false;
            self.encode_person(p, out);
        }
        dirty.clear();
        self.dirty_persons = dirty;
    }

    /// Records of every key of the account.
    pub(crate) fn snapshot_all(&self, out: &mut Changelog) {
        self.encode_core(out);
        self.encode_queues(out);
        for p in 0..self.persons.len() as u32 {
            self.encode_person(p, out);
        }
    }

    pub(crate) fn discard_changelog(&mut self) {
        for p in std::mem::take(&mut self.dirty_persons) {
            self.persons[p as usize].dirty = false;
        }
        self.core_dirty = false;
        self.queues.changed = false;
    }

    fn encode_person(&self, p: u32, out: &mut Changelog) {
        let person = &self.persons[p as usize];
        let (rules, idents) = (&self.rules, &self.idents);
        out.record(&self.name, "p", Some(&person.id), KIND_PERSON, |t, w| {
            if is_fresh(person) {
                return None;
            }
            encode_person(person, rules, idents, t, w);
            Some((rules, idents))
        });
    }

    fn encode_queues(&self, out: &mut Changelog) {
        let (rules, idents) = (&self.rules, &self.idents);
        out.record(&self.name, "q", None, KIND_QUEUES, |t, w| {
            if self.queues.is_empty() && self.queues.resubmissions.is_empty() {
                return None;
            }
            self.queues.encode(rules, t, w);
            Some((rules, idents))
        });
    }

    fn encode_core(&self, out: &mut Changelog) {
        let (rules, idents) = (&self.rules, &self.idents);
        out.record(&self.name, "a", None, KIND_ACCOUNT, |t, w| {
            let empty = self.clock.is_none()
                && self.reports_pruned_at.is_none()
                && self.parked_total == 0
                && self.parked.iter().all(|m| m.is_empty())
                && self.held.iter().all(|h| h.is_empty())
                && self.reports.is_empty();
            if empty {
                return None;
            }
            self.encode_core_body(t, w);
            Some((rules, idents))
        });
    }

    fn encode_core_body(&self, t: &mut EncTables, w: &mut Writer) {
        let flags = ((self.clock.is_some() as u8) * CLOCK)
            | ((self.reports_pruned_at.is_some() as u8) * PRUNED_AT);
        w.u8(flags);
        self.clock.into_iter().for_each(|c| w.iv(c));
        self.reports_pruned_at.into_iter().for_each(|c| w.iv(c));
        let parked: Vec<_> = self
            .parked
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .collect();
        w.uv(parked.len() as u64);
        for (i, map) in parked {
            w.uv(t.integration(i as u32));
            let mut slots: Vec<_> = map.iter().collect();
            slots.sort_unstable_by(|a, b| a.0.cmp(b.0));
            w.uv(slots.len() as u64);
            for (external, entries) in slots {
                w.str(external);
                w.uv(entries.len() as u64);
                let mut prev = 0;
                for e in entries {
                    loose_entry(e, prev, t, w);
                    prev = e.t;
                }
            }
        }
        let held: Vec<_> = self
            .held
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .collect();
        w.uv(held.len() as u64);
        for (i, list) in held {
            w.uv(t.integration(i as u32));
            w.uv(list.len() as u64);
            let mut prev = 0;
            for h in list {
                w.str(&h.external);
                loose_entry(&h.entry, prev, t, w);
                prev = h.entry.t;
            }
        }
        let integ_id = |i: u32| &*self.rules.integration(i).id;
        let mut reports: Vec<_> = self.reports.iter().collect();
        reports.sort_unstable_by(|((ka, ia, va), _), ((kb, ib, vb), _)| {
            (*ka as u8, integ_id(*ia), va).cmp(&(*kb as u8, integ_id(*ib), vb))
        });
        w.uv(reports.len() as u64);
        for ((kind, integ, value), r) in reports {
            w.u8(*kind as u8);
            w.uv(t.integration(*integ));
            w.str(value);
            w.uv(r.count);
            w.iv(r.first);
            w.iv(r.last - r.first);
        }
    }

    // ---- restore ------------------------------------------------------------------------

    pub(crate) fn restore_person(
        &mut self,
        id: &str,
        value: Option<&[u8]>,
    ) -> Result<(), SnapshotError> {
        let mut person = match value {
            None => Person::new(id),
            Some(v) => {
                let mut r = open(v, KIND_PERSON)?;
                let tb = DecTables::read(&mut r)?;
                let (mut person, synced) = decode_person(id, &tb, &mut r)?;
                r.end()?;
                let maps = tb.resolve(&mut self.rules, &mut self.idents);
                remap(&mut person, &maps);
                if let Some(live) = person.live.as_ref().filter(|_| synced) {
                    person.last_visible = live.visible_fingerprint(&person.inputs(&self.rules));
                }
                person
            }
        };
        let p = self.person_or_create(id);
        person.dirty = self.persons[p as usize].dirty;
        if person.timer != Millis::MAX {
            self.timers.push(person.timer, p);
        }
        self.persons[p as usize] = person;
        Ok(())
    }

    pub(crate) fn restore_core(&mut self, value: Option<&[u8]>) -> Result<(), SnapshotError> {
        let Some(v) = value else {
            self.clock = None;
            self.reports_pruned_at = None;
            self.parked.clear();
            self.parked_total = 0;
            self.parked_bytes = 0;
            self.held.clear();
            self.held_bytes.clear();
            self.reports.clear();
            return Ok(());
        };
        let mut r = open(v, KIND_ACCOUNT)?;
        let tb = DecTables::read(&mut r)?;
        let core = Core::decode(&tb, &mut r)?;
        r.end()?;
        let maps = tb.resolve(&mut self.rules, &mut self.idents);
        self.install_core(core, &maps);
        Ok(())
    }

    fn install_core(&mut self, core: Core, m: &Maps) {
        self.clock = core.clock;
        self.reports_pruned_at = core.pruned_at;
        self.parked.clear();
        self.parked_total = 0;
        self.parked_bytes = 0;
        for (integ, slots) in core.parked {
            let i = m.integration(integ) as usize;
            while self.parked.len() <= i {
                self.parked.push(AHashMap::new());
            }
            for (external, mut entries) in slots {
                entries
                    .iter_mut()
                    .for_each(|e| e.status = m.status(e.status));
                self.parked_total += entries.len();
                self.parked_bytes += entries.len() * PARKED_ENTRY + external.len() + PARKED_SLOT;
                self.parked[i].insert(external.into(), entries);
            }
        }
        self.held.clear();
        self.held_bytes.clear();
        for (integ, list) in core.held {
            let i = m.integration(integ) as usize;
            while self.held.len() <= i {
                self.held.push(Vec::new());
                self.held_bytes.push(0);
            }
            for (external, mut entry) in list {
                entry.status = m.status(entry.status);
                self.held_bytes[i] += std::mem::size_of::<Held>() + external.len();
                self.held[i].push(Held {
                    external: external.into(),
                    entry,
                });
            }
        }
        self.reports.clear();
        for (kind, integ, value, report) in core.reports {
            self.reports
                .insert((kind, m.integration(integ), value.into()), report);
        }
    }

    pub(crate) fn restore_queues(&mut self, value: Option<&[u8]>) -> Result<(), SnapshotError> {
        let Some(v) = value else {
            self.queues = Default::default();
            return Ok(());
        };
        let mut r = open(v, KIND_QUEUES)?;
        let tb = DecTables::read(&mut r)?;
        let mut queues = crate::engine::queues::Queues::decode(&tb, &mut r)?;
        r.end()?;
        let maps = tb.resolve(&mut self.rules, &mut self.idents);
        queues.remap(&maps);
        queues.changed = self.queues.changed;
        self.queues = queues;
        Ok(())
    }
}

/// A parked or held entry: no identifier (it is set when the entry is applied).
fn loose_entry(e: &Entry, prev: Millis, t: &mut EncTables, w: &mut Writer) {
    let mut head = kind_code(e.kind());
    if e.event_id != 0 {
        head |= E_EVENT_ID;
    }
    w.u8(head);
    w.iv(e.t - prev);
    if e.event_id != 0 {
        w.u64_fixed(e.event_id);
    }
    w.uv(t.status(e.status));
}

fn read_loose_entry(prev: Millis, tb: &DecTables, r: &mut Reader) -> Result<Entry, SnapshotError> {
    let head = r.u8()?;
    if head >= 8 {
        return Err(SnapshotError::Corrupt("unknown entry flags"));
    }
    let kind = kind_from(head)?;
    let t = prev
        .checked_add(r.iv()?)
        .ok_or(SnapshotError::Corrupt("a time overflows"))?;
    let event_id = match head & E_EVENT_ID {
        0 => 0,
        _ => r.u64_fixed()?,
    };
    let status = tb.status_ref(r)?;
    Ok(Entry::new(t, event_id, status, 0, kind))
}

/// Parked entries of one integration: (externalId, entries) per identifier.
type ParkedSlots<'a> = Vec<(&'a str, Vec<Entry>)>;

/// The account record, decoded with the record's local references.
struct Core<'a> {
    clock: Option<Millis>,
    pruned_at: Option<Millis>,
    parked: Vec<(u32, ParkedSlots<'a>)>,
    held: Vec<(u32, Vec<(&'a str, Entry)>)>,
    reports: Vec<(UnmappedKind, u32, &'a str, Report)>,
}

impl<'a> Core<'a> {
    fn decode(tb: &DecTables, r: &mut Reader<'a>) -> Result<Core<'a>, SnapshotError> {
        let flags = r.u8()?;
        if flags >= 4 {
            return Err(SnapshotError::Corrupt("unknown account flags"));
        }
        let clock = (flags & CLOCK != 0).then(|| r.iv()).transpose()?;
        let pruned_at = (flags & PRUNED_AT != 0).then(|| r.iv()).transpose()?;
        let n = r.count(2)?;
        let mut parked = Vec::with_capacity(n);
        for _ in 0..n {
            let integ = tb.integration_ref(r)?;
            let slots_n = r.count(2)?;
            let mut slots = Vec::with_capacity(slots_n);
            for _ in 0..slots_n {
                let external = r.str()?;
                let entries_n = r.count(3)?;
                let mut entries = Vec::with_capacity(entries_n);
                let mut prev = 0;
                for _ in 0..entries_n {
                    let e = read_loose_entry(prev, tb, r)?;
                    prev = e.t;
                    entries.push(e);
                }
                slots.push((external, entries));
            }
            parked.push((integ, slots));
        }
        let n = r.count(2)?;
        let mut held = Vec::with_capacity(n);
        for _ in 0..n {
            let integ = tb.integration_ref(r)?;
            let list_n = r.count(4)?;
            let mut list = Vec::with_capacity(list_n);
            let mut prev = 0;
            for _ in 0..list_n {
                let external = r.str()?;
                let e = read_loose_entry(prev, tb, r)?;
                prev = e.t;
                list.push((external, e));
            }
            held.push((integ, list));
        }
        let n = r.count(5)?;
        let mut reports = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = match r.u8()? {
                0 => UnmappedKind::Identifier,
                1 => UnmappedKind::Status,
                _ => return Err(SnapshotError::Corrupt("unknown unmapped kind")),
            };
            let integ = tb.integration_ref(r)?;
            let value = r.str()?;
            let count = r.uv()?;
            let first = r.iv()?;
            let last = first
                .checked_add(r.iv()?)
                .ok_or(SnapshotError::Corrupt("a time overflows"))?;
            reports.push((kind, integ, value, Report { count, first, last }));
        }
        Ok(Core {
            clock,
            pruned_at,
            parked,
            held,
            reports,
        })
    }
}
