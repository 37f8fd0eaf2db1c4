//! Snapshots of engine state for the `rta.changelog` topic (SPEC §11; issue 11): the pure part.
//! The format is documented in `docs/changelog.md`; this is the code.
//!
//! - **Records** (format version 2). Per person a state record (`{account}/p/{person}`: live
//!   cursor, timer, revisions, the digest of its history) and a history record
//!   (`{account}/h/{person}`: timeline, schedule, base; written only when it changed); per
//!   account one for what the account itself holds (`{account}/a`: clock, held events,
//!   unmapped reports), one for its queue counters (`{account}/q`), one per hour of remembered
//!   contact-body digests (`{account}/r/{hour}`) and one per unmapped identifier's parked
//!   events (`{account}/k/{integration}/{externalId}`). Key parts are escaped as every rta key
//!   (`/` → `%2F`, `%` → `%25`, SPEC §2), so a key splits back unambiguously, and its first
//!   part is the account (the changelog is partitioned like the input, by account).
//! - **Values.** A version byte ([`FORMAT_VERSION`]), a kind byte, the record's string tables
//!   (external ids of the statuses, identifiers, activities and integrations it references;
//!   see [`tables`]), then the body: LEB128 varints, zigzag deltas for times, fixed words for
//!   hashes ([`wire`]). A hand-written encoding rather than a serde binary crate: every
//!   interned index has to be translated to an external id and back anyway (which serde's
//!   derive cannot do), times compress to deltas, and decoding must check what the engine
//!   later indexes by; the code is ~600 lines with no new dependency.
//! - **Tombstones.** A fresh person (or history), an account without queue state, an hour
//!   without digests, an identifier without parked events yield a tombstone (`None`), so log
//!   compaction can drop the key.
//! - **Dirty tracking.** Persons are marked touched where their state changes (a flag and a
//!   push, once per person between two collections); the account and its queues carry one
//!   flag each. [`Engine::collect_changelog`] encodes only what was touched since the last
//!   call, one record per key (coalesced per batch), accounts in name order.
//! - **Restore.** [`Engine::restore`] installs one record into an engine whose config has
//!   been applied; external ids are re-interned, so the interning order may differ. After
//!   the last record, [`Engine::finish_restore`] checks that each person's two records belong
//!   together and installs what was staged.
//!
//! What is not stored and why: the config (it is the `rta.config` table), the rebuilt indexes
//! (timeline event-id and item indexes, rewind checkpoints, timers heap, identifier and
//! queue lookups: derived), the engine's counters (metrics), and `event_clock` (a mode of the
//! rebuild that restoring replaces).

mod person;
pub(in crate::engine) mod tables;
#[cfg(test)]
mod tests;
pub(in crate::engine) mod wire;

use super::Engine;
use crate::engine::output::key_part;
use tables::EncTables;
use wire::Writer;

/// The format version written in the first byte of every value.
pub const FORMAT_VERSION: u8 = 2;

pub(in crate::engine) const KIND_PERSON: u8 = b'p';
pub(in crate::engine) const KIND_HISTORY: u8 = b'h';
pub(in crate::engine) const KIND_RESUBMISSIONS: u8 = b'r';
pub(in crate::engine) const KIND_PARKED: u8 = b'k';
pub(in crate::engine) const KIND_ACCOUNT: u8 = b'a';
pub(in crate::engine) const KIND_QUEUES: u8 = b'q';

pub(in crate::engine) use person::{
    check_assembled, decode_history, decode_state, encode_history, encode_state, history_is_fresh,
    is_fresh, kind_code, kind_from,
};

/// Why a changelog record cannot be restored. Display is one line, without the key (keys hold
/// person ids).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("changelog record format version {found} is newer than this rta understands ({supported}); upgrade rta or delete the changelog topic so state is rebuilt from the retained input")]
    NewerVersion { found: u8, supported: u8 },
    #[error("changelog record format version {found} is older than the one this rta reads ({supported}); the partition is rebuilt from the retained input and written again in the current format")]
    OlderVersion { found: u8, supported: u8 },
    #[error("changelog record is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("changelog key is not an rta changelog key ({{account}}/p/{{person}}, {{account}}/h/{{person}}, {{account}}/a, {{account}}/q, {{account}}/r/{{hour}} or {{account}}/k/{{integration}}/{{externalId}})")]
    BadKey,
    #[error("changelog record is of another kind than its key says")]
    KindMismatch,
}

/// What a changelog key names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A person's state: live cursor, timer, revisions (changes with every timer).
    Person(String),
    /// A person's history: timeline, schedule, base cursor (changes with events and config).
    History(String),
    Account,
    Queues,
    /// The resubmission digests whose latest contact lies in the hour starting here.
    Resubmissions(crate::time::Millis),
    /// The events parked for an unmapped identifier (integration id, externalId).
    Parked {
        integration: String,
        external: String,
    },
}

/// A parsed changelog key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeKey {
    pub account: String,
    pub kind: KeyKind,
}

fn unescape(part: &str) -> Result<String, SnapshotError> {
    if !part.contains('%') {
        return Ok(part.to_string());
    }
    let mut out = String::with_capacity(part.len());
    let mut rest = part;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("%2F") => out.push('/'),
            Some("%25") => out.push('%'),
            _ => return Err(SnapshotError::BadKey),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

impl ChangeKey {
    pub fn parse(key: &[u8]) -> Result<ChangeKey, SnapshotError> {
        let key = std::str::from_utf8(key).map_err(|_| SnapshotError::BadKey)?;
        let mut parts = key.split('/');
        let account = unescape(parts.next().ok_or(SnapshotError::BadKey)?)?;
        let kind = match (parts.next(), parts.next(), parts.next()) {
            (Some("p"), Some(person), None) => KeyKind::Person(unescape(person)?),
            (Some("h"), Some(person), None) => KeyKind::History(unescape(person)?),
            (Some("r"), Some(hour), None) => KeyKind::Resubmissions(parse_hour(hour)?),
            (Some("k"), Some(integration), Some(external)) if parts.next().is_none() => {
                KeyKind::Parked {
                    integration: unescape(integration)?,
                    external: unescape(external)?,
                }
            }
            (Some("a"), None, None) => KeyKind::Account,
            (Some("q"), None, None) => KeyKind::Queues,
            _ => return Err(SnapshotError::BadKey),
        };
        if account.is_empty() {
            return Err(SnapshotError::BadKey);
        }
        Ok(ChangeKey { account, kind })
    }

    /// The key's text (the inverse of [`ChangeKey::parse`]).
    pub fn write(&self, k: &mut Vec<u8>) {
        let hour;
        let (tag, person) = match &self.kind {
            KeyKind::Person(p) => ("p", Some(p.as_str())),
            KeyKind::History(p) => ("h", Some(p.as_str())),
            KeyKind::Account => ("a", None),
            KeyKind::Queues => ("q", None),
            KeyKind::Resubmissions(h) => {
                hour = h.to_string();
                ("r", Some(hour.as_str()))
            }
            KeyKind::Parked { .. } => ("k", None),
        };
        match &self.kind {
            KeyKind::Parked {
                integration,
                external,
            } => write_key(k, &self.account, "k", &[integration, external]),
            _ => write_key(k, &self.account, tag, person.as_slice()),
        }
    }
}

/// An hour's start in milliseconds, as written in `r` keys (decimal, a multiple of an hour).
fn parse_hour(s: &str) -> Result<crate::time::Millis, SnapshotError> {
    let h: crate::time::Millis = s.parse().map_err(|_| SnapshotError::BadKey)?;
    if h.rem_euclid(HOUR) != 0 || h.to_string() != s {
        return Err(SnapshotError::BadKey);
    }
    Ok(h)
}

/// The span of one resubmission record's key.
pub(in crate::engine) const HOUR: crate::time::Millis = 3_600_000;

fn write_key(k: &mut Vec<u8>, account: &str, tag: &str, parts: &[&str]) {
    key_part(k, account);
    k.push(b'/');
    k.extend_from_slice(tag.as_bytes());
    for p in parts {
        k.push(b'/');
        key_part(k, p);
    }
}

/// Byte range in a [`Changelog`] buffer.
type Span = (u32, u32);

/// Changelog records packed in one buffer, reused between batches: `(key, value)`, `None` a
/// tombstone. Also the encoder's scratch space.
#[derive(Default)]
pub struct Changelog {
    buf: Vec<u8>,
    recs: Vec<(Span, Option<Span>)>,
    pub(in crate::engine) tables: EncTables,
    pub(in crate::engine) body: Vec<u8>,
}

impl Changelog {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.recs.clear();
    }

    /// Bytes of keys and values held.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&[u8]>)> {
        let at = |(a, b): Span| &self.buf[a as usize..b as usize];
        self.recs.iter().map(move |(k, v)| {
            // keys are written from &str
            (std::str::from_utf8(at(*k)).unwrap_or_default(), v.map(at))
        })
    }

    /// Append a record: the key, then `value` fills in the body after the tables have been
    /// reset, and returns whether there is a value (false: a tombstone). The tables and the
    /// body are written after the version and kind bytes.
    pub(in crate::engine) fn record<'r>(
        &mut self,
        account: &str,
        tag: &str,
        parts: &[&str],
        kind: u8,
        value: impl FnOnce(&mut EncTables, &mut Writer) -> Option<TablesFor<'r>>,
    ) {
        let k0 = self.buf.len() as u32;
        write_key(&mut self.buf, account, tag, parts);
        let k1 = self.buf.len() as u32;
        self.tables.clear();
        self.body.clear();
        let mut body = std::mem::take(&mut self.body);
        let written = value(&mut self.tables, &mut Writer(&mut body));
        let v = written.map(|(rules, idents)| {
            let mut w = Writer(&mut self.buf);
            w.u8(FORMAT_VERSION);
            w.u8(kind);
            self.tables.write(&mut w, rules, idents);
            self.buf.extend_from_slice(&body);
            (k1, self.buf.len() as u32)
        });
        self.body = body;
        self.recs.push(((k0, k1), v));
    }

    /// Like [`Changelog::record`], but the record is taken back when its value's digest is
    /// `unchanged` (the digest of what the key last got: the log already holds it). Returns
    /// the digest ([`value_digest`]; 0 for a tombstone).
    pub(in crate::engine) fn record_if_changed<'r>(
        &mut self,
        account: &str,
        tag: &str,
        parts: &[&str],
        kind: u8,
        unchanged: u64,
        value: impl FnOnce(&mut EncTables, &mut Writer) -> Option<TablesFor<'r>>,
    ) -> u64 {
        self.record(account, tag, parts, kind, value);
        let Some(&((k0, _), v)) = self.recs.last() else {
            return 0;
        };
        let digest = v.map_or(0, |(a, b)| value_digest(&self.buf[a as usize..b as usize]));
        if digest == unchanged {
            self.recs.pop();
            self.buf.truncate(k0 as usize);
        }
        digest
    }
}

/// The digest a person's state record holds of its history record's value (never 0, which
/// stands for a tombstone).
pub fn value_digest(value: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(value).max(1)
}

/// What the string tables are resolved against.
pub(in crate::engine) type TablesFor<'a> =
    (&'a crate::config::Rules, &'a crate::engine::idents::Idents);

/// Check the version and kind bytes; the reader is then at the tables.
pub(in crate::engine) fn open(value: &[u8], kind: u8) -> Result<wire::Reader<'_>, SnapshotError> {
    let mut r = wire::Reader::new(value);
    match r.u8()? {
        0 => return Err(SnapshotError::Corrupt("version 0")),
        FORMAT_VERSION => {}
        found if found < FORMAT_VERSION => {
            return Err(SnapshotError::OlderVersion {
                found,
                supported: FORMAT_VERSION,
            })
        }
        found => {
            return Err(SnapshotError::NewerVersion {
                found,
                supported: FORMAT_VERSION,
            })
        }
    }
    if r.u8()? != kind {
        return Err(SnapshotError::KindMismatch);
    }
    Ok(r)
}

impl Engine {
    /// The changelog records of every key touched since the last call (or since
    /// [`Engine::discard_changelog`]), appended to `out`: one per key, accounts in name
    /// order. O(touched keys), plus one flag test per account.
    pub fn collect_changelog(&mut self, out: &mut Changelog) {
        let mut names: Vec<&str> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.is_touched())
            .map(|(n, _)| &**n)
            .collect();
        names.sort_unstable();
        let names: Vec<Box<str>> = names.into_iter().map(Box::from).collect();
        for n in names {
            if let Some(a) = self.accounts.get_mut(&n) {
                a.collect_changelog(out);
            }
        }
    }

    /// Records of every key of every account (for a full snapshot, tests and benches): O(all).
    /// Does not change what is touched.
    pub fn snapshot_all(&mut self, out: &mut Changelog) {
        let mut names: Vec<Box<str>> = self.accounts.keys().cloned().collect();
        names.sort_unstable();
        for n in names {
            if let Some(a) = self.accounts.get_mut(&n) {
                a.snapshot_all(out);
            }
        }
    }

    /// Forget what was touched (after a restore or a rebuild: the changelog already holds it).
    pub fn discard_changelog(&mut self) {
        for a in self.accounts.values_mut() {
            a.discard_changelog();
        }
    }

    /// Install one changelog record (`value` `None`: a tombstone) into this engine, whose
    /// config has been applied; an account the config does not know is created. Nothing is
    /// published and nothing is marked touched. A bad record changes nothing (it is checked whole
    /// before anything is interned or installed).
    pub fn restore(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), SnapshotError> {
        let key = ChangeKey::parse(key)?;
        let clock = self.clock;
        let created = !self.accounts.contains_key(key.account.as_str());
        let acct = self
            .accounts
            .entry(key.account.as_str().into())
            .or_insert_with(|| super::Account::new(&key.account, clock));
        let done = match &key.kind {
            KeyKind::Person(p) => acct.restore_person(p, value),
            KeyKind::History(p) => acct.restore_history(p, value),
            KeyKind::Account => acct.restore_core(value),
            KeyKind::Queues => acct.restore_queues(value),
            KeyKind::Resubmissions(h) => acct.restore_resubmissions(*h, value),
            KeyKind::Parked {
                integration,
                external,
            } => acct.restore_parked(integration, external, value),
        };
        if done.is_err() && created {
            self.accounts.remove(key.account.as_str());
        }
        done
    }

    /// After every record of a restore was installed: assemble each restored person from its
    /// two records and check they belong together (the state record names the digest of the
    /// history it was written with) and that the engine can index the result; install the
    /// resubmission digests. Returns the keys of the persons that fail, with why (their
    /// partition is to be rebuilt from the input).
    pub fn finish_restore(&mut self) -> Vec<(String, SnapshotError)> {
        let mut bad = Vec::new();
        for a in self.accounts.values_mut() {
            a.finish_restore(&mut bad);
        }
        bad
    }
}
