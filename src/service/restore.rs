//! The processing core's side of the state store (SPEC §11, docs/changelog.md): what changed
//! goes out as changelog records, and accounts come back from them. The transport reads and
//! writes the topic; this knows which accounts live here and what to redo after a restore.

use super::processor::Processor;
use crate::config::ConfigKind;
use crate::engine::snapshot::{ChangeKey, Changelog, SnapshotError};
use crate::engine::Origin;
use crate::reason::Reason;

impl Processor {
    /// The changelog records of everything touched since the last call, appended to `out`.
    pub fn collect_changelog(&mut self, out: &mut Changelog) {
        self.engine.collect_changelog(out);
    }

    /// Every key of the accounts of `partitions`, appended to `out` (they went live without a
    /// restore, so the changelog may hold none or an older state of them).
    pub fn snapshot_partitions(&mut self, partitions: &[i32], out: &mut Changelog) {
        let mut accounts: Vec<Box<str>> = self
            .partition_of
            .iter()
            .filter(|(_, p)| partitions.contains(p))
            .map(|(a, _)| a.clone())
            .collect();
        accounts.sort_unstable();
        for a in accounts {
            if let Some(acct) = self.engine.account_mut(&a) {
                acct.snapshot_all(out);
            }
        }
    }

    /// The input partition of a changelog key's account, if this instance owns it (`None`:
    /// not an rta changelog key, or the account went to another instance meanwhile).
    pub fn changelog_partition(&self, key: &str) -> Option<i32> {
        let k = ChangeKey::parse(key.as_bytes()).ok()?;
        self.ownership
            .owns(&k.account)
            .then(|| self.ownership.partition(&k.account))
    }

    /// Install one changelog record of an assigned partition. Records of accounts another
    /// instance owns are ignored; a record that cannot be read changes nothing.
    pub fn restore(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), SnapshotError> {
        if key == crate::wire::CHANGELOG_PARTITION_KEY.as_bytes() {
            return Ok(());
        }
        let k = match ChangeKey::parse(key) {
            Ok(k) => k,
            // the tombstone of a key rta never writes deletes nothing
            Err(_) if value.is_none() => return Ok(()),
            Err(e) => return Err(e),
        };
        if !self.ownership.owns(&k.account) {
            return Ok(());
        }
        self.engine.restore(key, value)?;
        if !self.partition_of.contains_key(k.account.as_str()) {
            let p = self.ownership.partition(&k.account);
            self.partition_of.insert(k.account.as_str().into(), p);
        }
        Ok(())
    }

    /// After the records of a restore were installed: the persons whose two records do not
    /// fit together (see [`crate::engine::Engine::finish_restore`]), as (partition, state
    /// key, why); each was reset to a fresh person and its partition is to be rebuilt.
    pub fn finish_restore(&mut self) -> Vec<(i32, String, SnapshotError)> {
        let bad = self.engine.finish_restore();
        bad.into_iter()
            .filter_map(|(key, e)| Some((self.changelog_partition(&key)?, key, e)))
            .collect()
    }

    /// Whether this instance owns input partition `p`.
    pub fn owns_partition(&self, p: i32) -> bool {
        match &self.ownership {
            super::Ownership::All => true,
            super::Ownership::Partitions { assigned, .. } => assigned.contains(&p),
        }
    }

    /// A changelog record that cannot be restored, as a dead letter (reason
    /// `bad_changelog_record`).
    pub fn dead_letter(&mut self, origin: &Origin, reason: Reason, detail: &str) {
        self.engine
            .dead_letter(origin, reason, detail, &mut self.outputs);
    }

    /// After the changelog of `partitions` was restored: what materializing and restoring
    /// touched is not written back (the caller collected every other change before), their
    /// schedules are applied again from the config table (a schedule changed after the
    /// snapshots is published and written, one that did not changes nothing), and the views show the states.
    pub fn restored(&mut self, partitions: &[i32]) {
        self.engine.discard_changelog();
        let mut accounts: Vec<Box<str>> = self
            .partition_of
            .iter()
            .filter(|(_, p)| partitions.contains(p))
            .map(|(a, _)| a.clone())
            .collect();
        accounts.sort_unstable();
        for a in &accounts {
            // schedules are the only config a person's snapshot holds; what else the config
            // says (rules, names) came from the table when the account was materialized
            let table = self.table.clone();
            let Ok(table) = table.read() else {
                continue;
            };
            for (key, record) in table.records_of(a, ConfigKind::Schedule) {
                self.engine
                    .replay_config(a, key, Some(record), &mut self.outputs);
            }
        }
        for a in &accounts {
            self.refresh_views(a);
        }
    }
}
