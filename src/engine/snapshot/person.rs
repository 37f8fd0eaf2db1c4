//! One person's record: timeline, schedule, base and live cursors and what was last published
//! (see `docs/changelog.md` for the layout). Decoding builds the person with the record's
//! local references, checks every structural invariant the engine indexes by (cursor
//! positions within the timeline and schedule, sorted times), and only then re-interns the
//! tables into the account and maps the references ([`remap`]).

use super::tables::{DecTables, EncTables, Maps};
use super::wire::{Reader, Writer};
use super::SnapshotError;
use crate::config::Rules;
use crate::decode::EventKind;
use crate::engine::cursor::{Actual, Cursor, DayAcc, Episode, IntervalAcc, Ooo, NEVER};
use crate::engine::idents::Idents;
use crate::engine::person::Person;
use crate::engine::schedule::Segment;
use crate::engine::timeline::Entry;
use crate::time::Millis;

// state record (`p`) flags
const LIVE: u8 = 4;
const ANNOUNCED: u8 = 8;
const TIMER: u8 = 16;
/// `last_visible` is the live cursor's fingerprint: recomputed on restore (a fingerprint
/// hashes interned indices, so it is not portable), otherwise written raw.
const SYNCED: u8 = 32;
/// The person has a history record; its digest follows.
const HISTORY: u8 = 64;
// history record (`h`) flags
const PRISTINE: u8 = 1;
const BASE: u8 = 2;

const E_EVENT_ID: u8 = 4;
const E_IDENT: u8 = 8;

/// Whether the person holds nothing a fresh one would not (both records are tombstones).
pub fn is_fresh(p: &Person) -> bool {
    history_is_fresh(p)
        && p.live.is_none()
        && p.announced.is_none()
        && p.revisions.is_empty()
        && p.timer == Millis::MAX
        && p.last_visible == 0
}

/// Whether the person's history (timeline, schedule, base) is that of a fresh one (its
/// record is a tombstone).
pub fn history_is_fresh(p: &Person) -> bool {
    p.timeline.is_empty() && p.schedule.is_empty() && p.base.is_none() && p.pristine
}

/// What a person's state record holds, with the record's local references.
pub struct State {
    pub live: Option<Cursor>,
    pub announced: Option<(Ooo, Millis)>,
    pub revisions: Vec<(Millis, u32)>,
    pub timer: Millis,
    /// `None`: the live cursor's fingerprint (recomputed once the history is in place).
    pub last_visible: Option<u64>,
    /// Digest of the history record this state was written with (0: none, a fresh history).
    pub history: u64,
}

/// What a person's history record holds, with the record's local references.
pub struct History {
    pub timeline: Vec<Entry>,
    pub schedule: Vec<Segment>,
    pub base: Option<Cursor>,
    pub pristine: bool,
}

pub fn ooo_code(o: Option<Ooo>) -> u8 {
    o.map_or(0, |o| o as u8 + 1)
}

pub fn ooo_from(c: u8) -> Result<Option<Ooo>, SnapshotError> {
    match c {
        0 => Ok(None),
        1..=3 => Ok(Some(Ooo::ALL[c as usize - 1])),
        _ => Err(SnapshotError::Corrupt("unknown out-of-adherence type")),
    }
}

pub fn kind_code(k: EventKind) -> u8 {
    match k {
        EventKind::Point => 0,
        EventKind::ItemStart => 1,
        EventKind::ItemEnd => 2,
    }
}

pub fn kind_from(c: u8) -> Result<EventKind, SnapshotError> {
    match c & 3 {
        0 => Ok(EventKind::Point),
        1 => Ok(EventKind::ItemStart),
        2 => Ok(EventKind::ItemEnd),
        _ => Err(SnapshotError::Corrupt("unknown event kind")),
    }
}

/// The body of a person's state record (`p`): what changes with every timer and event —
/// the live cursor, timer, announced episode, revisions — and the digest of the history
/// record it goes with (`history`, 0 for a fresh history).
pub fn encode_state(
    p: &Person,
    rules: &Rules,
    idents: &Idents,
    history: u64,
    t: &mut EncTables,
    w: &mut Writer,
) {
    let synced = p
        .live
        .as_ref()
        .is_some_and(|l| l.visible_fingerprint(&p.inputs(rules)) == p.last_visible);
    let flags = [
        (p.live.is_some(), LIVE),
        (p.announced.is_some(), ANNOUNCED),
        (p.timer != Millis::MAX, TIMER),
        (synced, SYNCED),
        (history != 0, HISTORY),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0u8, |f, (_, bit)| f | bit);
    w.u8(flags);
    if p.timer != Millis::MAX {
        w.iv(p.timer);
    }
    if !synced {
        w.u64_fixed(p.last_visible);
    }
    if let Some((o, since)) = p.announced {
        w.u8(ooo_code(Some(o)));
        w.iv(since);
    }
    w.uv(p.revisions.len() as u64);
    for &(start, rev) in &p.revisions {
        w.iv(start);
        w.uv(rev as u64);
    }
    if history != 0 {
        w.u64_fixed(history);
    }
    if let Some(c) = &p.live {
        cursor(c, idents, t, w);
    }
}

/// The body of a person's history record (`h`): what changes with events and config only —
/// schedule, timeline, the base cursor.
pub fn encode_history(p: &Person, idents: &Idents, t: &mut EncTables, w: &mut Writer) {
    w.u8(((p.pristine as u8) * PRISTINE) | ((p.base.is_some() as u8) * BASE));
    w.uv(p.schedule.len() as u64);
    let (mut prev_end, mut prev_date) = (0, 0);
    for s in &p.schedule {
        w.iv(s.start - prev_end);
        w.iv(s.end - s.start);
        w.uv(t.activity(s.activity));
        w.iv(s.date as i64 - prev_date);
        (prev_end, prev_date) = (s.end, s.date as i64);
    }
    w.uv(p.timeline.len() as u64);
    let (mut prev_t, mut prev_ident) = (0, 0);
    for e in &p.timeline {
        let mut head = kind_code(e.kind());
        if e.event_id != 0 {
            head |= E_EVENT_ID;
        }
        let ident = t.ident(e.ident(), idents);
        if ident != prev_ident {
            head |= E_IDENT;
        }
        w.u8(head);
        w.iv(e.t - prev_t);
        if e.event_id != 0 {
            w.u64_fixed(e.event_id);
        }
        w.uv(t.status(e.status));
        if ident != prev_ident {
            w.uv(ident);
        }
        (prev_t, prev_ident) = (e.t, ident);
    }
    if let Some(c) = &p.base {
        cursor(c, idents, t, w);
    }
}

fn cursor(c: &Cursor, idents: &Idents, t: &mut EncTables, w: &mut Writer) {
    w.iv(c.t);
    w.uv(c.pos as u64);
    w.uv(c.seg as u64);
    w.uv(t.status(c.actual.status));
    if c.actual.status != NEVER {
        w.uv(t.ident(c.actual.ident, idents));
    }
    w.iv(c.actual.since - c.t);
    w.u8(ooo_code(c.episode.ooo) | (c.episode.alerted as u8) << 2);
    w.iv(c.episode.since - c.t);
    let d = &c.day;
    w.iv(d.date as i64);
    w.iv(d.start - c.t);
    w.iv(d.end - d.start);
    w.uv(d.scheduled as u64);
    w.uv(d.in_adherence as u64);
    w.uv(d.actual as u64);
    let i = &c.interval;
    w.u8(d.present as u8 | (i.present as u8) << 1);
    w.iv(i.start - c.t);
    w.iv(i.end - i.start);
    for v in [i.scheduled, i.in_adherence, i.ooo[0], i.ooo[1], i.ooo[2]] {
        w.uv(v as u64);
    }
    w.uv(i.not_scheduled as u64);
    w.uv(i.actual as u64);
    w.uv(i.activities.len() as u64);
    for &(a, ms) in &i.activities {
        w.uv(t.activity(a));
        w.uv(ms as u64);
    }
}

fn corrupt(what: &'static str) -> SnapshotError {
    SnapshotError::Corrupt(what)
}

fn add(a: Millis, b: i64) -> Result<Millis, SnapshotError> {
    a.checked_add(b).ok_or(corrupt("a time overflows"))
}

fn u32v(r: &mut Reader) -> Result<u32, SnapshotError> {
    r.u32v()
}

/// Decode a person's state record body, with the record's local references.
pub fn decode_state(tb: &DecTables, r: &mut Reader) -> Result<State, SnapshotError> {
    let flags = r.u8()?;
    if flags & !(LIVE | ANNOUNCED | TIMER | SYNCED | HISTORY) != 0 {
        return Err(corrupt("unknown person flags"));
    }
    let timer = match flags & TIMER {
        0 => Millis::MAX,
        _ => r.iv()?,
    };
    let last_visible = match flags & SYNCED {
        0 => Some(r.u64_fixed()?),
        _ => None,
    };
    if last_visible.is_none() && flags & LIVE == 0 {
        return Err(corrupt("a fingerprint to recompute without a live cursor"));
    }
    let announced = match flags & ANNOUNCED {
        0 => None,
        _ => {
            let o = ooo_from(r.u8()?)?.ok_or(corrupt("an announced episode without a type"))?;
            Some((o, r.iv()?))
        }
    };
    let n = r.count(2)?;
    let mut revisions = Vec::with_capacity(n);
    for _ in 0..n {
        revisions.push((r.iv()?, u32v(r)?));
    }
    let history = match flags & HISTORY {
        0 => 0,
        _ => r.u64_fixed()?,
    };
    if flags & HISTORY != 0 && history == 0 {
        return Err(corrupt("a history digest of 0"));
    }
    let live = match flags & LIVE {
        0 => None,
        _ => Some(decode_cursor(tb, r)?),
    };
    Ok(State {
        live,
        announced,
        revisions,
        timer,
        last_visible,
        history,
    })
}

/// Decode a person's history record body, with the record's local references.
pub fn decode_history(tb: &DecTables, r: &mut Reader) -> Result<History, SnapshotError> {
    let flags = r.u8()?;
    if flags & !(PRISTINE | BASE) != 0 {
        return Err(corrupt("unknown history flags"));
    }
    let n = r.count(4)?;
    let mut schedule = Vec::with_capacity(n);
    let (mut prev_end, mut prev_date) = (0, 0);
    for _ in 0..n {
        let start = add(prev_end, r.iv()?)?;
        let end = add(start, r.iv()?)?;
        let activity = tb.activity_ref(r)?;
        let date = add(prev_date, r.iv()?)?;
        let date = i32::try_from(date).map_err(|_| corrupt("a date is out of range"))?;
        if end <= start || (!schedule.is_empty() && start < prev_end) {
            return Err(corrupt("schedule segments out of order"));
        }
        schedule.push(Segment {
            start,
            end,
            activity,
            date,
        });
        (prev_end, prev_date) = (end, date as i64);
    }
    let n = r.count(3)?;
    let mut timeline = Vec::with_capacity(n);
    let (mut prev_t, mut ident) = (0, 0);
    for _ in 0..n {
        let head = r.u8()?;
        if head >= 16 {
            return Err(corrupt("unknown entry flags"));
        }
        let kind = kind_from(head)?;
        let t = add(prev_t, r.iv()?)?;
        if !timeline.is_empty() && t < prev_t {
            return Err(corrupt("timeline entries out of order"));
        }
        let event_id = match head & E_EVENT_ID {
            0 => 0,
            _ => r.u64_fixed()?,
        };
        let status = tb.status_ref(r)?;
        if head & E_IDENT != 0 {
            ident = tb.ident_ref(r)?;
        }
        timeline.push(Entry::new(t, event_id, status, ident, kind));
        prev_t = t;
    }
    let base = match flags & BASE {
        0 => None,
        _ => Some(decode_cursor(tb, r)?),
    };
    let h = History {
        timeline,
        schedule,
        base,
        pristine: flags & PRISTINE != 0,
    };
    if let Some(b) = &h.base {
        if b.pos as usize > h.timeline.len() || b.seg as usize > h.schedule.len() {
            return Err(corrupt("a cursor points past the timeline or schedule"));
        }
    }
    Ok(h)
}

/// Whether a person assembled from its two records is one the engine can index: the live
/// cursor within the timeline and schedule, the base not ahead of it.
pub fn check_assembled(p: &Person) -> Result<(), SnapshotError> {
    let (tl, segs) = (p.timeline.len() as u32, p.schedule.len() as u32);
    if let Some(l) = &p.live {
        if l.pos > tl || l.seg > segs {
            return Err(corrupt("a cursor points past the timeline or schedule"));
        }
    }
    if let (Some(b), Some(l)) = (&p.base, &p.live) {
        if b.pos > l.pos || b.seg > l.seg || b.t > l.t {
            return Err(corrupt("the base cursor is ahead of the live one"));
        }
    }
    Ok(())
}

fn decode_cursor(tb: &DecTables, r: &mut Reader) -> Result<Cursor, SnapshotError> {
    let t = r.iv()?;
    let pos = u32v(r)?;
    let seg = u32v(r)?;
    let status = tb.status_ref(r)?;
    let ident = match status {
        1 => 0, // never seen: no identifier
        _ => tb.ident_ref(r)?,
    };
    let since = add(t, r.iv()?)?;
    let ep = r.u8()?;
    if ep >= 8 {
        return Err(corrupt("unknown episode flags"));
    }
    let episode = Episode {
        ooo: ooo_from(ep & 3)?,
        alerted: ep & 4 != 0,
        since: add(t, r.iv()?)?,
    };
    let date = r.i32v()?;
    let start = add(t, r.iv()?)?;
    let end = add(start, r.iv()?)?;
    let mut day = DayAcc {
        date,
        start,
        end,
        scheduled: u32v(r)?,
        in_adherence: u32v(r)?,
        actual: u32v(r)?,
        present: false,
    };
    let present = r.u8()?;
    if present >= 4 {
        return Err(corrupt("unknown accumulator flags"));
    }
    day.present = present & 1 != 0;
    let start = add(t, r.iv()?)?;
    let end = add(start, r.iv()?)?;
    let mut iv = IntervalAcc {
        start,
        end,
        scheduled: u32v(r)?,
        in_adherence: u32v(r)?,
        ooo: [u32v(r)?, u32v(r)?, u32v(r)?],
        not_scheduled: u32v(r)?,
        actual: u32v(r)?,
        present: present & 2 != 0,
        activities: Default::default(),
    };
    let n = r.count(2)?;
    iv.activities.reserve_exact(n);
    for _ in 0..n {
        iv.activities.push((tb.activity_ref(r)?, u32v(r)?));
    }
    Ok(Cursor {
        t,
        pos,
        seg,
        actual: Actual {
            status,
            ident,
            since,
        },
        episode,
        day,
        interval: iv,
    })
}

fn remap_cursor(c: &mut Cursor, m: &Maps) {
    c.actual.status = m.status(c.actual.status);
    c.actual.ident = m.ident(c.actual.ident);
    for (a, _) in c.interval.activities.iter_mut() {
        *a = m.activity(*a);
    }
}

impl State {
    /// Map the record's local references to the account's indices.
    pub fn remap(&mut self, m: &Maps) {
        if let Some(c) = &mut self.live {
            remap_cursor(c, m);
        }
    }
}

impl History {
    /// Map the record's local references to the account's indices.
    pub fn remap(&mut self, m: &Maps) {
        for e in &mut self.timeline {
            e.status = m.status(e.status);
            e.set_ident(m.ident(e.ident()));
        }
        for s in &mut self.schedule {
            s.activity = m.activity(s.activity);
        }
        if let Some(c) = &mut self.base {
            remap_cursor(c, m);
        }
    }
}
