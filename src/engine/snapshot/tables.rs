//! The string tables of one record: every interned index a record holds (status, identifier,
//! activity, integration) is written as a small local index into a table of external ids at
//! the head of the record, in order of first use, and re-interned into the restoring account
//! on decode. So a record restores into an engine whose interning order differs, and the same
//! state encodes to the same bytes whatever the interning order (the tests compare states so).
//!
//! Reference encodings (varints):
//! - status: `0` = no status (an injixo item ended, nothing covers), `1` = never seen,
//!   `n + 2` = status table entry `n`;
//! - identifier: `0` = none (a placeholder index that names nothing), `n + 1` = entry `n`;
//! - activity: `n` = activity table entry `n`.

use super::wire::{Reader, Writer};
use super::SnapshotError;
use crate::config::Rules;
use crate::engine::cursor::NEVER;
use crate::engine::idents::Idents;
use crate::engine::timeline::NO_STATUS;

/// Local index of `global` in `list`, appending it when new (tables are small: a person's
/// distinct statuses, identifiers and activities).
fn local(list: &mut Vec<u32>, global: u32) -> u64 {
    match list.iter().position(|&g| g == global) {
        Some(i) => i as u64,
        None => {
            list.push(global);
            (list.len() - 1) as u64
        }
    }
}

/// The encoder's tables (reused between records).
#[derive(Default)]
pub struct EncTables {
    integrations: Vec<u32>,
    statuses: Vec<u32>,
    idents: Vec<u32>,
    activities: Vec<u32>,
}

impl EncTables {
    pub fn clear(&mut self) {
        self.integrations.clear();
        self.statuses.clear();
        self.idents.clear();
        self.activities.clear();
    }

    pub fn status(&mut self, s: u32) -> u64 {
        match s {
            NO_STATUS => 0,
            NEVER => 1,
            s => 2 + local(&mut self.statuses, s),
        }
    }

    pub fn ident(&mut self, i: u32, idents: &Idents) -> u64 {
        if (i as usize) < idents.len() {
            1 + local(&mut self.idents, i)
        } else {
            0
        }
    }

    pub fn activity(&mut self, a: u32) -> u64 {
        local(&mut self.activities, a)
    }

    pub fn integration(&mut self, i: u32) -> u64 {
        local(&mut self.integrations, i)
    }

    /// Write the tables (after the body has been encoded, which filled them).
    pub fn write(&mut self, w: &mut Writer, rules: &Rules, idents: &Idents) {
        // statuses and identifiers name their integration: collect those first
        let st: Vec<(u64, u32)> = (0..self.statuses.len())
            .map(|k| {
                let s = rules.status(self.statuses[k]);
                (self.integration(s.integration), self.statuses[k])
            })
            .collect();
        let id: Vec<(u64, u32)> = (0..self.idents.len())
            .map(|k| {
                let x = idents.get(self.idents[k]);
                (self.integration(x.integration), self.idents[k])
            })
            .collect();
        w.uv(self.integrations.len() as u64);
        for &i in &self.integrations {
            w.str(&rules.integration(i).id);
        }
        w.uv(st.len() as u64);
        for (integ, s) in st {
            let s = rules.status(s);
            w.uv(integ);
            w.str(&s.external);
            w.bool(s.offline);
        }
        w.uv(id.len() as u64);
        for (integ, i) in id {
            w.uv(integ);
            w.str(&idents.get(i).external);
        }
        w.uv(self.activities.len() as u64);
        for &a in &self.activities {
            w.str(&rules.activity(a).id);
        }
    }
}

/// The tables of a record being decoded (borrowing its strings).
#[derive(Default)]
pub struct DecTables<'a> {
    integrations: Vec<&'a str>,
    statuses: Vec<(u32, &'a str, bool)>,
    idents: Vec<(u32, &'a str)>,
    activities: Vec<&'a str>,
}

/// Identifier references must fit the 30 bits an entry has for them.
const MAX_IDENT_REF: usize = (1 << 30) - 1;

impl<'a> DecTables<'a> {
    pub fn read(r: &mut Reader<'a>) -> Result<DecTables<'a>, SnapshotError> {
        let mut t = DecTables::default();
        let n = r.count(1)?;
        t.integrations.reserve(n);
        for _ in 0..n {
            t.integrations.push(r.str()?);
        }
        let n = r.count(3)?;
        t.statuses.reserve(n);
        for _ in 0..n {
            let integ = t.integration_ref(r)?;
            t.statuses.push((integ, r.str()?, r.bool()?));
        }
        let n = r.count(2)?;
        if n >= MAX_IDENT_REF {
            return Err(SnapshotError::Corrupt("too many identifiers"));
        }
        t.idents.reserve(n);
        for _ in 0..n {
            let integ = t.integration_ref(r)?;
            t.idents.push((integ, r.str()?));
        }
        let n = r.count(1)?;
        t.activities.reserve(n);
        for _ in 0..n {
            t.activities.push(r.str()?);
        }
        Ok(t)
    }

    /// The id of the table's integration `local` (a reference read by `integration_ref`).
    pub fn integration_name(&self, local: u32) -> Option<&'a str> {
        self.integrations.get(local as usize).copied()
    }

    pub fn integration_ref(&self, r: &mut Reader) -> Result<u32, SnapshotError> {
        let v = r.uv()?;
        match (v as usize) < self.integrations.len() {
            true => Ok(v as u32),
            false => Err(SnapshotError::Corrupt("integration reference out of range")),
        }
    }

    /// A status reference, checked, in the record's local space (see [`Maps::status`]).
    pub fn status_ref(&self, r: &mut Reader) -> Result<u32, SnapshotError> {
        let v = r.uv()?;
        match v < self.statuses.len() as u64 + 2 {
            true => Ok(v as u32),
            false => Err(SnapshotError::Corrupt("status reference out of range")),
        }
    }

    pub fn ident_ref(&self, r: &mut Reader) -> Result<u32, SnapshotError> {
        let v = r.uv()?;
        match v <= self.idents.len() as u64 {
            true => Ok(v as u32),
            false => Err(SnapshotError::Corrupt("identifier reference out of range")),
        }
    }

    pub fn activity_ref(&self, r: &mut Reader) -> Result<u32, SnapshotError> {
        let v = r.uv()?;
        match (v as usize) < self.activities.len() {
            true => Ok(v as u32),
            false => Err(SnapshotError::Corrupt("activity reference out of range")),
        }
    }

    /// Intern every external id into the restoring account. A status takes the record's
    /// offline flag (it is fixed when a status is first seen, so it follows the history of
    /// the engine that wrote the record); an identifier unknown to the config is reserved
    /// unmapped, as it was when the record was written.
    pub fn resolve(&self, rules: &mut Rules, idents: &mut Idents) -> Maps {
        let integrations: Vec<u32> = self
            .integrations
            .iter()
            .map(|id| rules.intern_integration(id))
            .collect();
        Maps {
            statuses: self
                .statuses
                .iter()
                .map(|&(i, ext, off)| rules.restore_status(integrations[i as usize], ext, off))
                .collect(),
            idents: self
                .idents
                .iter()
                .map(|&(i, ext)| idents.intern(integrations[i as usize], ext))
                .collect(),
            activities: self
                .activities
                .iter()
                .map(|id| rules.intern_activity(id))
                .collect(),
            integrations,
        }
    }
}

/// From a record's local references to the restoring account's indices.
pub struct Maps {
    pub integrations: Vec<u32>,
    statuses: Vec<u32>,
    idents: Vec<u32>,
    activities: Vec<u32>,
}

impl Maps {
    /// (references were range-checked when read)
    pub fn status(&self, v: u32) -> u32 {
        match v {
            0 => NO_STATUS,
            1 => NEVER,
            v => self
                .statuses
                .get(v as usize - 2)
                .copied()
                .unwrap_or(NO_STATUS),
        }
    }

    pub fn ident(&self, v: u32) -> u32 {
        match v {
            0 => 0,
            v => self.idents.get(v as usize - 1).copied().unwrap_or(0),
        }
    }

    pub fn activity(&self, v: u32) -> u32 {
        self.activities.get(v as usize).copied().unwrap_or(0)
    }

    pub fn integration(&self, v: u32) -> u32 {
        self.integrations.get(v as usize).copied().unwrap_or(0)
    }
}
