//! Resubmitted contact-event bodies (SPEC §10): a byte-identical value from the same
//! integration seen again within the retention counts once. Bodies are remembered by a 128-bit
//! digest with the latest contact time they hold, and forgotten once that falls out of the
//! retention; at most `limits.max_contact_bodies` per account are remembered (beyond, a body is
//! counted without being remembered, and `rta_contact_bodies_unchecked_total` counts it).

use crate::time::Millis;
use ahash::AHashMap;

#[derive(Clone, Debug, Default)]
pub struct Resubmissions {
    seen: AHashMap<(u32, u128), Millis>,
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
        self.seen.insert((integration, digest), latest);
        true
    }

    pub fn prune(&mut self, horizon: Millis) {
        self.seen.retain(|_, t| *t >= horizon);
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Every remembered body: (integration, digest, latest contact time), unordered.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, u128, Millis)> + '_ {
        self.seen.iter().map(|(&(i, d), &t)| (i, d, t))
    }

    /// Remember a body as restored from a snapshot.
    pub(crate) fn insert(&mut self, integration: u32, digest: u128, latest: Millis) {
        self.seen.insert((integration, digest), latest);
    }
}
