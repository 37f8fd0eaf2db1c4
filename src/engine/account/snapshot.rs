//! An account's side of the changelog (`engine::snapshot`): which of its keys were touched
//! since the last collection, their records, and restoring them. The account record holds
//! the clock, held events and unmapped reports; persons, queues and each unmapped identifier's
//! parked events have their own (`parked_snapshot`).

use super::{Account, Held, Report};
use crate::engine::output::UnmappedKind;
use crate::engine::person::Person;
use crate::engine::snapshot::tables::{DecTables, EncTables, Maps};
use crate::engine::snapshot::wire::{Reader, Writer};
use crate::engine::snapshot::{
    check_assembled, decode_history, decode_state, encode_history, encode_state, history_is_fresh,
    is_fresh, kind_code, kind_from, open, value_digest, Changelog, SnapshotError, KIND_ACCOUNT,
    KIND_HISTORY, KIND_PERSON, KIND_QUEUES, KIND_RESUBMISSIONS,
};
use crate::engine::timeline::Entry;
use crate::time::Millis;

/// A person installed by a restore, until [`Account::finish_restore`] checks it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Restoring {
    /// The digest of the history record its state record was written with (0: none).
    history: u64,
    /// `last_visible` is the live cursor's fingerprint, to compute once the history is in.
    recompute_visible: bool,
    /// A history record (or its tombstone) was read; without one the history is fresh,
    /// whatever the config table gave the person when the account was materialized.
    history_seen: bool,
}

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
            self.encode_parked(false, out);
        }
        if std::mem::take(&mut self.queues.changed) {
            self.encode_queues(out);
        }
        self.queues
            .encode_resubmissions(&self.name, &self.rules, &self.idents, false, out);
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
    pub(crate) fn snapshot_all(&mut self, out: &mut Changelog) {
        self.encode_core(out);
        self.encode_parked(true, out);
        self.encode_queues(out);
        self.queues
            .encode_resubmissions(&self.name, &self.rules, &self.idents, true, out);
        for p in 0..self.persons.len() as u32 {
            // the history record is written even if unchanged: the log may not hold it
            self.persons[p as usize].history_digest = u64::MAX;
            self.encode_person(p, out);
        }
    }

    pub(crate) fn discard_changelog(&mut self) {
        for p in std::mem::take(&mut self.dirty_persons) {
            self.persons[p as usize].dirty = false;
        }
        self.core_dirty = false;
        self.queues.changed = false;
        self.queues.resubmissions.discard_changes();
    }

    /// A person's two records: the history (timeline, schedule, base) only when it differs
    /// from what the changelog last got, then the state, which names the history's digest.
    fn encode_person(&mut self, p: u32, out: &mut Changelog) {
        let (rules, idents) = (&self.rules, &self.idents);
        let person = &self.persons[p as usize];
        let last = person.history_digest;
        let history = out.record_if_changed(
            &self.name,
            "h",
            &[&person.id],
            KIND_HISTORY,
            last,
            |t, w| {
                if history_is_fresh(person) {
                    return None;
                }
                encode_history(person, idents, t, w);
                Some((rules, idents))
            },
        );
        out.record(&self.name, "p", &[&person.id], KIND_PERSON, |t, w| {
            if is_fresh(person) {
                return None;
            }
            encode_state(person, rules, idents, history, t, w);
            Some((rules, idents))
        });
        self.persons[p as usize].history_digest = history;
    }

    fn encode_queues(&self, out: &mut Changelog) {
        let (rules, idents) = (&self.rules, &self.idents);
        out.record(&self.name, "q", &[], KIND_QUEUES, |t, w| {
            if self.queues.is_empty() {
                return None;
            }
            self.queues.encode(t, w);
            Some((rules, idents))
        });
    }

    fn encode_core(&self, out: &mut Changelog) {
        let (rules, idents) = (&self.rules, &self.idents);
        out.record(&self.name, "a", &[], KIND_ACCOUNT, |t, w| {
            let empty = self.clock.is_none()
                && self.reports_pruned_at.is_none()
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

    /// Read a record of `kind` whole with `body` (a record that does not read to its end
    /// changes nothing), then re-intern its string tables into the account: the body, with
    /// the record's local references, and their map to the account's.
    pub(super) fn read_record<'v, T>(
        &mut self,
        value: &'v [u8],
        kind: u8,
        body: impl FnOnce(&DecTables<'v>, &mut Reader<'v>) -> Result<T, SnapshotError>,
    ) -> Result<(T, Maps), SnapshotError> {
        let mut r = open(value, kind)?;
        let tb = DecTables::read(&mut r)?;
        let t = body(&tb, &mut r)?;
        r.end()?;
        Ok((t, tb.resolve(&mut self.rules, &mut self.idents)))
    }

    /// Install a person's state record (live cursor, timer, revisions); checked against the
    /// history by [`Account::finish_restore`].
    pub(crate) fn restore_person(
        &mut self,
        id: &str,
        value: Option<&[u8]>,
    ) -> Result<(), SnapshotError> {
        let state = match value {
            None => None,
            Some(v) => {
                let (mut state, maps) = self.read_record(v, KIND_PERSON, decode_state)?;
                state.remap(&maps);
                Some(state)
            }
        };
        let p = self.person_or_create(id);
        let person = &mut self.persons[p as usize];
        let check = self.restoring.entry(p).or_default();
        match state {
            None => {
                person.live = None;
                person.announced = None;
                person.revisions = Vec::new();
                person.timer = Millis::MAX;
                person.last_visible = 0;
                check.history = 0;
                check.recompute_visible = false;
            }
            Some(s) => {
                person.live = s.live;
                person.announced = s.announced;
                person.revisions = s.revisions;
                person.timer = s.timer;
                person.last_visible = s.last_visible.unwrap_or(0);
                check.history = s.history;
                check.recompute_visible = s.last_visible.is_none();
            }
        }
        person.rewind = Default::default();
        Ok(())
    }

    /// Install a person's history record (timeline, schedule, base).
    pub(crate) fn restore_history(
        &mut self,
        id: &str,
        value: Option<&[u8]>,
    ) -> Result<(), SnapshotError> {
        let history = match value {
            None => None,
            Some(v) => {
                let (mut h, maps) = self.read_record(v, KIND_HISTORY, decode_history)?;
                h.remap(&maps);
                Some(h)
            }
        };
        let p = self.person_or_create(id);
        self.restoring.entry(p).or_default().history_seen = true;
        let person = &mut self.persons[p as usize];
        person.history_digest = value.map_or(0, value_digest);
        match history {
            None => {
                person.timeline = Vec::new();
                person.schedule = Vec::new();
                person.base = None;
                person.pristine = true;
            }
            Some(h) => {
                person.timeline = h.timeline;
                person.schedule = h.schedule;
                person.base = h.base;
                person.pristine = h.pristine;
            }
        }
        person.ids = Default::default();
        person.rewind = Default::default();
        Ok(())
    }

    /// Check every person installed since the last call (see [`Engine::finish_restore`]): a
    /// person whose two records do not belong together, or that the engine cannot index, is
    /// reset to a fresh one and its state key reported. Arms the timers; installs the
    /// resubmission digests.
    pub(crate) fn finish_restore(&mut self, bad: &mut Vec<(String, SnapshotError)>) {
        if !self.restoring.is_empty() {
            // the persons were created one by one: give back the vector's spare capacity
            // (up to half of it; a person is ~0.5 KB)
            self.persons.shrink_to_fit();
        }
        let mut restoring: Vec<(u32, Restoring)> =
            std::mem::take(&mut self.restoring).into_iter().collect();
        restoring.sort_unstable_by_key(|(p, _)| *p);
        for (p, check) in restoring {
            let person = &mut self.persons[p as usize];
            if !check.history_seen {
                person.timeline = Vec::new();
                person.schedule = Vec::new();
                person.base = None;
                person.pristine = true;
                person.history_digest = 0;
                person.ids = Default::default();
                person.rewind = Default::default();
            }
            let fits = if check.history != person.history_digest {
                Err(SnapshotError::Corrupt(
                    "a person's state and history records do not belong together",
                ))
            } else {
                check_assembled(person)
            };
            if let Err(e) = fits {
                let mut key = Vec::new();
                crate::engine::snapshot::ChangeKey {
                    account: self.name.to_string(),
                    kind: crate::engine::snapshot::KeyKind::Person(person.id.to_string()),
                }
                .write(&mut key);
                bad.push((String::from_utf8_lossy(&key).into_owned(), e));
                let id = person.id.clone();
                let dirty = person.dirty;
                *person = Person::new(&id);
                person.dirty = dirty;
                continue;
            }
            if check.recompute_visible {
                if let Some(live) = &person.live {
                    person.last_visible = live.visible_fingerprint(&person.inputs(&self.rules));
                }
            }
            if person.timer != Millis::MAX {
                self.timers.push(person.timer, p);
            }
        }
        self.queues.resubmissions.finish_restore();
    }

    pub(crate) fn restore_core(&mut self, value: Option<&[u8]>) -> Result<(), SnapshotError> {
        let Some(v) = value else {
            self.clock = None;
            self.reports_pruned_at = None;
            self.held.clear();
            self.held_bytes.clear();
            self.reports.clear();
            return Ok(());
        };
        let (core, maps) = self.read_record(v, KIND_ACCOUNT, Core::decode)?;
        self.install_core(core, &maps);
        Ok(())
    }

    fn install_core(&mut self, core: Core, m: &Maps) {
        self.clock = core.clock;
        self.reports_pruned_at = core.pruned_at;
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
        let (mut queues, maps) =
            self.read_record(v, KIND_QUEUES, crate::engine::queues::Queues::decode)?;
        queues.remap(&maps);
        queues.changed = self.queues.changed;
        queues.resubmissions = std::mem::take(&mut self.queues.resubmissions);
        self.queues = queues;
        Ok(())
    }

    /// Stage a resubmission record (the digests whose latest contact lies in `hour`); they
    /// are installed by [`Account::finish_restore`], the last record of each hour winning.
    pub(crate) fn restore_resubmissions(
        &mut self,
        hour: Millis,
        value: Option<&[u8]>,
    ) -> Result<(), SnapshotError> {
        let entries = match value {
            None => Vec::new(),
            Some(v) => {
                let (entries, maps) = self.read_record(v, KIND_RESUBMISSIONS, |tb, r| {
                    crate::engine::queues::decode_resubmissions(hour, tb, r)
                })?;
                entries
                    .into_iter()
                    .map(|(i, d, t)| (maps.integration(i), d, t))
                    .collect()
            }
        };
        self.queues.resubmissions.stage(hour, entries);
        Ok(())
    }
}

/// A parked or held entry: no identifier (it is set when the entry is applied).
pub(super) fn loose_entry(e: &Entry, prev: Millis, t: &mut EncTables, w: &mut Writer) {
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

pub(super) fn read_loose_entry(
    prev: Millis,
    tb: &DecTables,
    r: &mut Reader,
) -> Result<Entry, SnapshotError> {
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

/// The account record, decoded with the record's local references.
struct Core<'a> {
    clock: Option<Millis>,
    pruned_at: Option<Millis>,
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
            held,
            reports,
        })
    }
}
