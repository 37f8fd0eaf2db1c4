//! External agent identifiers of one account: `(integration, externalId) → person`, with the
//! case- and space-insensitive index used for near-miss suggestions.

use super::output::IdentIntegration;
use crate::config::normalize;
use ahash::AHashMap;
use smallvec::SmallVec;

#[derive(Clone, Debug)]
pub struct IdentInfo {
    pub integration: u32,
    pub external: Box<str>,
    pub person: Option<u32>,
}

#[derive(Clone, Debug, Default)]
pub struct Idents {
    list: Vec<IdentInfo>,
    /// Per integration index: externalId → identifier index.
    by_integration: Vec<AHashMap<Box<str>, u32>>,
    /// Hash of (integration, normalized externalId) → mapped identifiers (verified on lookup).
    near: AHashMap<u64, SmallVec<[u32; 1]>>,
}

fn near_key(integration: u32, external: &str) -> u64 {
    crate::decode::stable_hash(&[&integration.to_le_bytes(), normalize(external).as_bytes()])
}

impl Idents {
    /// Identifier index of a mapped external id.
    #[inline]
    pub fn lookup(&self, integration: u32, external: &str) -> Option<u32> {
        self.by_integration
            .get(integration as usize)?
            .get(external)
            .copied()
    }

    /// Identifier indices handed out (mapped or not).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The index of an identifier, reserving one (unmapped) if it is new: a restored
    /// snapshot names identifiers the config may no longer map.
    pub fn intern(&mut self, integration: u32, external: &str) -> u32 {
        if let Some(i) = self.lookup(integration, external) {
            return i;
        }
        while self.by_integration.len() <= integration as usize {
            self.by_integration.push(AHashMap::new());
        }
        let i = self.list.len() as u32;
        self.list.push(IdentInfo {
            integration,
            external: external.into(),
            person: None,
        });
        self.by_integration[integration as usize].insert(external.into(), i);
        i
    }

    #[inline]
    pub fn get(&self, i: u32) -> &IdentInfo {
        &self.list[i as usize]
    }

    /// Map an identifier to a person; returns (index, previous person).
    pub fn map(&mut self, integration: u32, external: &str, person: u32) -> (u32, Option<u32>) {
        while self.by_integration.len() <= integration as usize {
            self.by_integration.push(AHashMap::new());
        }
        if let Some(&i) = self.by_integration[integration as usize].get(external) {
            let prev = self.list[i as usize].person.replace(person);
            if prev.is_none() {
                self.near
                    .entry(near_key(integration, external))
                    .or_default()
                    .push(i);
            }
            return (i, prev);
        }
        let i = self.list.len() as u32;
        self.list.push(IdentInfo {
            integration,
            external: external.into(),
            person: Some(person),
        });
        self.by_integration[integration as usize].insert(external.into(), i);
        self.near
            .entry(near_key(integration, external))
            .or_default()
            .push(i);
        (i, None)
    }

    /// Unmap an identifier; returns (index, previous person). The index stays reserved.
    pub fn unmap(&mut self, integration: u32, external: &str) -> Option<(u32, Option<u32>)> {
        let i = self.lookup(integration, external)?;
        let prev = self.list[i as usize].person.take();
        if prev.is_some() {
            if let Some(v) = self.near.get_mut(&near_key(integration, external)) {
                v.retain(|x| *x != i);
            }
        }
        Some((i, prev))
    }

    /// Mapped identifiers of the integration equal to `value` ignoring case and surrounding spaces.
    pub fn near_misses(&self, integration: u32, value: &str) -> Vec<String> {
        let norm = normalize(value);
        let mut out: Vec<String> = self
            .near
            .get(&near_key(integration, value))
            .map(|v| {
                v.iter()
                    .map(|i| &self.list[*i as usize])
                    .filter(|x| {
                        x.integration == integration
                            && *x.external != *value
                            && normalize(&x.external) == norm
                    })
                    .map(|x| x.external.to_string())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// The mapped person of an identifier index.
    pub fn person_of(&self, i: u32) -> Option<u32> {
        self.list.get(i as usize).and_then(|x| x.person)
    }
}

impl IdentIntegration for Idents {
    fn ident_integration(&self, ident: u32) -> Option<u32> {
        self.list.get(ident as usize).map(|x| x.integration)
    }
}
