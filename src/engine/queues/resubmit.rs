//! Resubmitted contact-event bodies (SPEC §10): a byte-identical value from the same
//! integration seen again within the retention counts once. Bodies are remembered by a 128-bit
//! digest with the latest contact time they hold, and forgotten once that falls out of the
//! retention; at most `limits.max_contact_bodies` per account are remembered (beyond, a body is
//! counted without being remembered, and `rta_contact_bodies_unchecked_total` counts it).
//!
//! For the changelog the digests are grouped by the hour of their latest contact: one record
//! per hour (`{account}/r/{hour}`), written when a digest of that hour came or went, so a
//! batch writes the current hour's digests, not every one the account remembers.

use crate::time::Millis;
use ahash::AHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// The hour a digest's changelog record is keyed by.
pub fn hour_of(t: Millis) -> Millis {
    t - t.rem_euclid(crate::engine::snapshot::HOUR)
}

/// A digest: (integration, body digest, latest contact).
pub(crate) type Remembered = (u32, u128, Millis);

#[derive(Clone, Debug, Default)]
pub struct Resubmissions {
    seen: AHashMap<(u32, u128), Millis>,
    /// Digests per hour of their latest contact.
    per_hour: BTreeMap<Millis, u32>,
    /// Hours whose digests changed since the changelog last collected them.
    changed: BTreeSet<Millis>,
    /// A restore's records per hour (the last one of each hour wins), installed by
    /// [`Resubmissions::finish_restore`].
    staged: BTreeMap<Millis, Vec<Remembered>>,
}

/// The digest of a record value.
pub fn body_digest(payload: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(payload)
}

impl Resubmissions {
    pub fn contains(&self, integration: u32, digest: u128) -> bool {
        self.seen.contains_key(&(integration, digest))
    }

    /// Remember a body whose latest contact is at `latest`; false when the cap is reached
    /// (even after forgetting what is older than `horizon`).
    pub fn remember(
        &mut self,
        integration: u32,
        digest: u128,
        latest: Millis,
        horizon: Option<Millis>,
        max: usize,
    ) -> bool {
        if self.seen.len() >= max {
            if let Some(h) = horizon {
                self.prune(h);
            }
            if self.seen.len() >= max {
                return false;
            }
        }
        if let Some(old) = self.seen.insert((integration, digest), latest) {
            self.count(old, -1);
        }
        self.count(latest, 1);
        true
    }

    fn count(&mut self, t: Millis, by: i32) {
        let h = hour_of(t);
        let n = self.per_hour.entry(h).or_default();
        *n = n.saturating_add_signed(by);
        if *n == 0 {
            self.per_hour.remove(&h);
        }
        self.changed.insert(h);
    }

    pub fn prune(&mut self, horizon: Millis) {
        if self
            .per_hour
            .keys()
            .next()
            .is_none_or(|&h| h >= hour_of(horizon))
        {
            return;
        }
        let mut gone = Vec::new();
        self.seen.retain(|_, t| {
            let keep = *t >= horizon;
            if !keep {
                gone.push(*t);
            }
            keep
        });
        for t in gone {
            self.count(t, -1);
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The hours changed since the last call (all hours with `all`), each with its digests
    /// (integration, digest, latest contact); an hour without any is to be a tombstone.
    pub(crate) fn take_changed(&mut self, all: bool) -> BTreeMap<Millis, Vec<Remembered>> {
        let changed = std::mem::take(&mut self.changed);
        let mut out: BTreeMap<Millis, Vec<Remembered>> = match all {
            true => self
                .per_hour
                .keys()
                .chain(&changed)
                .map(|&h| (h, Vec::new()))
                .collect(),
            false => changed.into_iter().map(|h| (h, Vec::new())).collect(),
        };
        if out.is_empty() {
            return out;
        }
        // one pass over the digests (at most one collection per batch)
        for (&(i, d), &t) in &self.seen {
            if let Some(v) = out.get_mut(&hour_of(t)) {
                v.push((i, d, t));
            }
        }
        out
    }

    /// Forget which hours changed (the changelog holds them).
    pub(crate) fn discard_changes(&mut self) {
        self.changed.clear();
    }

    /// Stage the digests of an hour as restored (replacing what an earlier record of the hour
    /// staged).
    pub(crate) fn stage(&mut self, hour: Millis, entries: Vec<Remembered>) {
        self.staged.insert(hour, entries);
    }

    /// Install what a restore staged (a digest in two hours' records — a crash between two
    /// writes at-least-once — keeps its latest contact).
    pub(crate) fn finish_restore(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        for (_, entries) in std::mem::take(&mut self.staged) {
            for (i, d, t) in entries {
                let old = self.seen.get(&(i, d)).copied();
                if old.is_none_or(|o| o < t) {
                    if let Some(o) = old {
                        self.count(o, -1);
                    }
                    self.seen.insert((i, d), t);
                    self.count(t, 1);
                }
            }
        }
        self.changed.clear();
    }
}
