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

const PRISTINE: u8 = 1;
const BASE: u8 = 2;
const LIVE: u8 = 4;
const ANNOUNCED: u8 = 8;
const TIMER: u8 = 16;
/// `last_visible` is the live cursor's fingerprint: recomputed on restore (a fingerprint
/// hashes interned indices, so it is not portable), otherwise written raw.
const SYNCED: u8 = 32;

const E_EVENT_ID: u8 = 4;
const E_IDENT: u8 = 8;

/// Whether the person holds nothing a fresh one would not (its record is a tombstone).
pub fn is_fresh(p: &Person) -> bool {
    p.timeline.is_empty()
        && p.schedule.is_empty()
        && p.base.is_none()
        && p.live.is_none()
        && p.announced.is_none()
        && p.revisions.is_empty()
        && p.timer == Millis::MAX
        && p.pristine
        && p.last_visible == 0
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

/// The body of a person's record (the tables are written before it by the caller).
pub fn encode(p: &Person, rules: &Rules, idents: &Idents, t: &mut EncTables, w: &mut Writer) {
    let synced = p
        .live
        .as_ref()
        .is_some_and(|l| l.visible_fingerprint(&p.inputs(rules)) == p.last_visible);
    let flags = [
        (p.pristine, PRISTINE),
        (p.base.is_some(), BASE),
        (p.live.is_some(), LIVE),
        (p.announced.is_some(), ANNOUNCED),
        (p.timer != Millis::MAX, TIMER),
        (synced, SYNCED),
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
    for c in p.base.iter().chain(&p.live) {
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

/// Decode a person's body into `id`'s state, with the record's local references; and whether
/// `last_visible` is to be recomputed from the live cursor once the references are mapped.
pub fn decode(id: &str, tb: &DecTables, r: &mut Reader) -> Result<(Person, bool), SnapshotError> {
    let mut p = Person::new(id);
    let flags = r.u8()?;
    if flags >= 64 {
        return Err(corrupt("unknown person flags"));
    }
    p.pristine = flags & PRISTINE != 0;
    if flags & TIMER != 0 {
        p.timer = r.iv()?;
    }
    if flags & SYNCED == 0 {
        p.last_visible = r.u64_fixed()?;
    }
    if flags & ANNOUNCED != 0 {
        let o = ooo_from(r.u8()?)?.ok_or(corrupt("an announced episode without a type"))?;
        p.announced = Some((o, r.iv()?));
    }
    let n = r.count(2)?;
    p.revisions.reserve_exact(n);
    for _ in 0..n {
        p.revisions.push((r.iv()?, u32v(r)?));
    }
    let n = r.count(4)?;
    p.schedule.reserve_exact(n);
    let (mut prev_end, mut prev_date) = (0, 0);
    for _ in 0..n {
        let start = add(prev_end, r.iv()?)?;
        let end = add(start, r.iv()?)?;
        let activity = tb.activity_ref(r)?;
        let date = add(prev_date, r.iv()?)?;
        let date = i32::try_from(date).map_err(|_| corrupt("a date is out of range"))?;
        if end <= start || (!p.schedule.is_empty() && start < prev_end) {
            return Err(corrupt("schedule segments out of order"));
        }
        p.schedule.push(Segment {
            start,
            end,
            activity,
            date,
        });
        (prev_end, prev_date) = (end, date as i64);
    }
    let n = r.count(3)?;
    p.timeline.reserve_exact(n);
    let (mut prev_t, mut ident) = (0, 0);
    for _ in 0..n {
        let head = r.u8()?;
        if head >= 16 {
            return Err(corrupt("unknown entry flags"));
        }
        let kind = kind_from(head)?;
        let t = add(prev_t, r.iv()?)?;
        if !p.timeline.is_empty() && t < prev_t {
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
        p.timeline
            .push(Entry::new(t, event_id, status, ident, kind));
        prev_t = t;
    }
    if flags & BASE != 0 {
        p.base = Some(decode_cursor(tb, r)?);
    }
    if flags & LIVE != 0 {
        p.live = Some(decode_cursor(tb, r)?);
    }
    let (tl, segs) = (p.timeline.len() as u32, p.schedule.len() as u32);
    for c in p.base.iter().chain(&p.live) {
        if c.pos > tl || c.seg > segs {
            return Err(corrupt("a cursor points past the timeline or schedule"));
        }
    }
    if let (Some(b), Some(l)) = (&p.base, &p.live) {
        if b.pos > l.pos || b.seg > l.seg || b.t > l.t {
            return Err(corrupt("the base cursor is ahead of the live one"));
        }
    }
    Ok((p, flags & SYNCED != 0))
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

/// Map a decoded person's local references to the account's indices.
pub fn remap(p: &mut Person, m: &Maps) {
    for e in &mut p.timeline {
        e.status = m.status(e.status);
        e.set_ident(m.ident(e.ident()));
    }
    for s in &mut p.schedule {
        s.activity = m.activity(s.activity);
    }
    for c in p.base.iter_mut().chain(p.live.iter_mut()) {
        c.actual.status = m.status(c.actual.status);
        c.actual.ident = m.ident(c.actual.ident);
        for (a, _) in c.interval.activities.iter_mut() {
            *a = m.activity(*a);
        }
    }
}
