//! The changelog records of an account's parked events (`engine::snapshot`): one per unmapped
//! identifier (`{account}/k/{integration}/{externalId}`), written when its value's digest
//! differs from the last one written, a tombstone once its events left; and restoring them.

use super::intake::{PARKED_ENTRY, PARKED_SLOT};
use super::snapshot::{loose_entry, read_loose_entry};
use super::Account;
use crate::engine::snapshot::{value_digest, Changelog, SnapshotError, KIND_PARKED};
use crate::engine::timeline::Entry;
use ahash::AHashMap;

impl Account {
    /// One record per unmapped identifier with parked events, written when it differs from
    /// what the changelog last got (every one with `all`); a tombstone for an identifier whose
    /// events left (applied once it was mapped, or out of the retention).
    pub(super) fn encode_parked(&mut self, all: bool, out: &mut Changelog) {
        let (rules, idents) = (&self.rules, &self.idents);
        let mut slots: Vec<(u32, &Box<str>, &Vec<Entry>)> = self
            .parked
            .iter()
            .enumerate()
            .flat_map(|(i, m)| m.iter().map(move |(x, e)| (i as u32, x, e)))
            .collect();
        slots.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (i, external, entries) in slots {
            let integration = &*rules.integration(i).id;
            let key = (i, external.clone());
            let last = match all {
                true => u64::MAX,
                false => self.parked_digests.get(&key).copied().unwrap_or(0),
            };
            let d = out.record_if_changed(
                &self.name,
                "k",
                &[integration, external],
                KIND_PARKED,
                last,
                |t, w| {
                    w.uv(t.integration(i));
                    w.uv(entries.len() as u64);
                    let mut prev = 0;
                    for e in entries {
                        loose_entry(e, prev, t, w);
                        prev = e.t;
                    }
                    Some((rules, idents))
                },
            );
            self.parked_digests.insert(key, d);
        }
        let parked = &self.parked;
        let gone: Vec<(u32, Box<str>)> = self
            .parked_digests
            .keys()
            .filter(|(i, x)| !parked.get(*i as usize).is_some_and(|m| m.contains_key(x)))
            .cloned()
            .collect();
        for (i, external) in gone {
            let integration = &*rules.integration(i).id;
            out.record(
                &self.name,
                "k",
                &[integration, &external],
                KIND_PARKED,
                |_, _| None,
            );
            self.parked_digests.remove(&(i, external));
        }
    }

    /// Install the parked events of an unmapped identifier (replacing what it had).
    pub(crate) fn restore_parked(
        &mut self,
        integration: &str,
        external: &str,
        value: Option<&[u8]>,
    ) -> Result<(), SnapshotError> {
        let parked = match value {
            None => None,
            Some(v) => {
                let ((integ, mut entries), maps) = self.read_record(v, KIND_PARKED, |tb, r| {
                    let integ = tb.integration_ref(r)?;
                    if tb.integration_name(integ) != Some(integration) {
                        return Err(SnapshotError::Corrupt(
                            "parked events of another integration than their key's",
                        ));
                    }
                    let n = r.count(3)?;
                    let mut entries = Vec::with_capacity(n);
                    let mut prev = 0;
                    for _ in 0..n {
                        let e = read_loose_entry(prev, tb, r)?;
                        prev = e.t;
                        entries.push(e);
                    }
                    Ok((integ, entries))
                })?;
                entries
                    .iter_mut()
                    .for_each(|e| e.status = maps.status(e.status));
                Some((maps.integration(integ), entries))
            }
        };
        let i = match &parked {
            Some((i, _)) => *i,
            None => match self.rules.integration_idx(integration) {
                Some(i) => i,
                None => return Ok(()),
            },
        };
        while self.parked.len() <= i as usize {
            self.parked.push(AHashMap::new());
        }
        let slot_cost = |n: usize| n * PARKED_ENTRY + external.len() + PARKED_SLOT;
        if let Some(old) = self.parked[i as usize].remove(external) {
            self.parked_total -= old.len();
            self.parked_bytes -= slot_cost(old.len());
        }
        let key = (i, Box::<str>::from(external));
        match parked {
            Some((_, entries)) if !entries.is_empty() => {
                self.parked_total += entries.len();
                self.parked_bytes += slot_cost(entries.len());
                self.parked[i as usize].insert(external.into(), entries);
                self.parked_digests
                    .insert(key, value.map_or(0, value_digest));
            }
            _ => {
                self.parked_digests.remove(&key);
            }
        }
        Ok(())
    }
}
