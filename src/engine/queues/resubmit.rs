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
        if self.per_hour.keys().next().is_none_or(|&h| h >= horizon) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const H: Millis = crate::engine::snapshot::HOUR;

    #[test]
    fn pruning_forgets_what_is_older_than_the_horizon_inside_its_hour() {
        let mut r = Resubmissions::default();
        assert!(r.remember(1, 10, 5 * H + 100, None, 10));
        assert!(r.remember(1, 20, 5 * H + 900, None, 10));
        assert!(r.remember(1, 30, 6 * H, None, 10));
        r.prune(5 * H + 500);
        assert!(!r.contains(1, 10));
        assert!(r.contains(1, 20) && r.contains(1, 30));
        // the hours changed are the ones the changelog rewrites, each with its digests
        let changed = r.take_changed(false);
        assert_eq!(changed.keys().copied().collect::<Vec<_>>(), [5 * H, 6 * H]);
        assert_eq!(changed[&(5 * H)], [(1, 20, 5 * H + 900)]);
        assert!(r.take_changed(false).is_empty());
        // an hour left empty is listed without digests (its record becomes a tombstone)
        r.prune(6 * H);
        let changed = r.take_changed(false);
        assert_eq!(changed.len(), 1);
        assert!(changed[&(5 * H)].is_empty());
    }

    #[test]
    fn a_restore_keeps_the_last_record_of_each_hour() {
        let mut r = Resubmissions::default();
        r.stage(5 * H, vec![(1, 10, 5 * H + 1), (1, 20, 5 * H + 2)]);
        // a later record of the same hour replaces the earlier one
        r.stage(5 * H, vec![(1, 20, 5 * H + 2)]);
        // a digest in two hours' records keeps its latest contact
        r.stage(6 * H, vec![(1, 20, 6 * H + 3)]);
        r.finish_restore();
        assert!(!r.contains(1, 10) && r.contains(1, 20));
        assert_eq!(r.len(), 1);
        assert!(
            r.take_changed(false).is_empty(),
            "a restore writes nothing back"
        );
        assert_eq!(r.take_changed(true)[&(6 * H)], [(1, 20, 6 * H + 3)]);
    }
}
