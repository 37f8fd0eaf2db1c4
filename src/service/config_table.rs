//! The `rta.config` topic as a global table: the latest valid record per key, every account,
//! kept by every instance (once: its worker threads share it, [`SharedTable`]). An instance
//! that takes over an account rebuilds it from here.
//!
//! Records are kept as parsed and validated ([`ConfigRecord`], shared with the change the
//! engine applied), so bringing an account to life replays them without parsing anything.

use crate::config::{ConfigChange, ConfigKey, ConfigKind, ConfigRecord};
use ahash::AHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Where a record sits in an account's replay order: its kind's rank, then its key.
type Slot = (u8, Box<str>);

/// One account's records, in replay order.
type Records = BTreeMap<Slot, (ConfigKey, Arc<ConfigRecord>)>;

#[derive(Default, Debug)]
pub struct ConfigTable {
    accounts: AHashMap<Box<str>, Records>,
    records: usize,
    /// Records applied so far: a reader that saw `seq = n` saw every record up to the `n`th.
    seq: u64,
}

/// The table shared by an instance's worker threads: written by the config reader, read by
/// every engine shard when it brings an account to life.
pub type SharedTable = std::sync::Arc<std::sync::RwLock<ConfigTable>>;

fn slot(account: &str, key: &ConfigKey) -> Slot {
    (key.kind().replay_rank(), key.render(account).into())
}

impl ConfigTable {
    /// Store an upsert's record, or delete the key of a delete.
    pub fn apply(&mut self, change: &ConfigChange) {
        self.seq += 1;
        let (account, key) = (change.account(), change.key());
        match change {
            ConfigChange::Upsert { record, .. } => {
                let recs = self.accounts.entry(account.into()).or_default();
                if recs
                    .insert(slot(account, key), (key.clone(), record.clone()))
                    .is_none()
                {
                    self.records += 1;
                }
            }
            ConfigChange::Delete { .. } => {
                if let Some(recs) = self.accounts.get_mut(account) {
                    if recs.remove(&slot(account, key)).is_some() {
                        self.records -= 1;
                    }
                    if recs.is_empty() {
                        self.accounts.remove(account);
                    }
                }
            }
        }
    }

    /// Drop schedule records of local dates before `cutoff_day` (days since 1970-01-01): they
    /// are outside the retention window, and a compacted topic keeps every day ever
    /// scheduled. Returns how many were dropped.
    pub fn prune_schedules(&mut self, cutoff_day: i32) -> usize {
        let mut dropped = 0;
        for recs in self.accounts.values_mut() {
            let before = recs.len();
            recs.retain(|_, (k, _)| k.schedule_date().is_none_or(|d| d >= cutoff_day));
            dropped += before - recs.len();
        }
        self.accounts.retain(|_, r| !r.is_empty());
        self.records -= dropped;
        dropped
    }

    /// An account's records in replay order (by kind, then key).
    pub fn records(
        &self,
        account: &str,
    ) -> impl Iterator<Item = (&ConfigKey, &Arc<ConfigRecord>)> + '_ {
        self.accounts
            .get(account)
            .into_iter()
            .flat_map(|r| r.values().map(|(k, v)| (k, v)))
    }

    /// An account's records of one kind, in key order.
    pub fn records_of(
        &self,
        account: &str,
        kind: ConfigKind,
    ) -> impl Iterator<Item = (&ConfigKey, &Arc<ConfigRecord>)> + '_ {
        self.records(account).filter(move |(k, _)| k.kind() == kind)
    }

    /// Lay a later part of the log over this table ([`TablePart`]): its records replace
    /// this table's, its deletes remove them. Laying the parts of a log over an empty table
    /// in log order gives the table that reading the log whole gives.
    pub fn overlay(&mut self, later: TablePart) {
        let TablePart { table, deleted } = later;
        for (account, slots) in deleted {
            if let Some(recs) = self.accounts.get_mut(&account) {
                for s in &slots {
                    recs.remove(s);
                }
                if recs.is_empty() {
                    self.accounts.remove(&account);
                }
            }
        }
        for (account, mut recs) in table.accounts {
            match self.accounts.get_mut(&account) {
                // linear: both are sorted; the later record of a key wins
                Some(mine) => mine.append(&mut recs),
                None => {
                    self.accounts.insert(account, recs);
                }
            }
        }
        self.records = self.accounts.values().map(BTreeMap::len).sum();
        self.seq += table.seq;
    }

    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(|k| &**k)
    }

    /// Records applied so far (see the field).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn len(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }
}

/// The table one part of the log leaves (a range of offsets of each partition, read apart
/// from the others): the latest record per key within it, and the keys whose latest record
/// in it is a delete — which must remove a record an earlier part left.
#[derive(Default, Debug)]
pub struct TablePart {
    table: ConfigTable,
    deleted: AHashMap<Box<str>, BTreeSet<Slot>>,
}

impl TablePart {
    pub fn apply(&mut self, change: &ConfigChange) {
        let (account, key) = (change.account(), change.key());
        match change {
            ConfigChange::Upsert { .. } => {
                if let Some(gone) = self.deleted.get_mut(account) {
                    gone.remove(&slot(account, key));
                }
            }
            ConfigChange::Delete { .. } => {
                self.deleted
                    .entry(account.into())
                    .or_default()
                    .insert(slot(account, key));
            }
        }
        self.table.apply(change);
    }

    /// Records applied.
    pub fn seq(&self) -> u64 {
        self.table.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config_record;

    fn put(t: &mut ConfigTable, key: &str, value: &str) {
        let c = parse_config_record(Some(key), Some(value.as_bytes())).expect(key);
        t.apply(&c);
    }

    fn keys(t: &ConfigTable, account: &str) -> Vec<String> {
        t.records(account).map(|(k, _)| k.render(account)).collect()
    }

    #[test]
    fn latest_per_key_tombstones_and_replay_order() {
        let mut t = ConfigTable::default();
        put(
            &mut t,
            "acme/schedule/p1/2026-11-23",
            r#"{"kind":"schedule","account":"acme","person":"p1","date":"2026-11-23","segments":[]}"#,
        );
        put(
            &mut t,
            "acme/settings",
            r#"{"kind":"settings","account":"acme"}"#,
        );
        put(
            &mut t,
            "acme/settings",
            r#"{"kind":"settings","account":"acme","targetPercent":80}"#,
        );
        put(
            &mut t,
            "acme/identifier/1/x",
            r#"{"kind":"identifier","account":"acme","integration":"1","externalId":"x","person":"p1"}"#,
        );
        put(
            &mut t,
            "acme/person/p1",
            r#"{"kind":"person","account":"acme","id":"p1"}"#,
        );
        put(
            &mut t,
            "acme/integration/1",
            r#"{"kind":"integration","account":"acme","id":"1","vendor":"odigo"}"#,
        );
        put(
            &mut t,
            "acme/activity/7",
            r#"{"kind":"activity","account":"acme","id":7,"type":"break"}"#,
        );
        put(
            &mut t,
            "acme/match/5",
            r#"{"kind":"match","account":"acme","scheduled":"7"}"#,
        );
        put(
            &mut t,
            "acme/status/1/LUNCH",
            r#"{"kind":"status","account":"acme","integration":"1","externalStatus":"LUNCH","activity":"7"}"#,
        );
        put(
            &mut t,
            "globex/settings",
            r#"{"kind":"settings","account":"globex"}"#,
        );
        assert_eq!(t.len(), 9);
        // by kind (what a record refers to first), then key
        assert_eq!(
            keys(&t, "acme"),
            [
                "acme/settings",
                "acme/activity/7",
                "acme/integration/1",
                "acme/person/p1",
                "acme/identifier/1/x",
                "acme/status/1/LUNCH",
                "acme/match/5",
                "acme/schedule/p1/2026-11-23"
            ]
        );
        let first = t.records("acme").next().map(|(_, r)| r.clone());
        assert!(
            matches!(first.as_deref(), Some(ConfigRecord::Settings(s)) if s.target_percent == 80.0)
        );
        assert_eq!(t.records_of("acme", ConfigKind::Schedule).count(), 1);
        let day = crate::time::parse_date("2026-11-23").expect("date");
        assert_eq!(t.prune_schedules(day), 0);
        assert_eq!(t.prune_schedules(day + 1), 1);
        assert_eq!(t.len(), 8);
        let del = parse_config_record(Some("globex/settings"), None).expect("delete");
        t.apply(&del);
        assert_eq!(t.accounts().count(), 1);
        assert_eq!(t.len(), 7);
        assert_eq!(t.seq(), 11);
    }

    /// Reading a log in parts (any split points, any number of parts) and laying them over
    /// each other in order gives the table the whole log gives: same records, same count.
    #[test]
    fn parts_laid_over_each_other_equal_the_whole_log() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for round in 0..200 {
            let log: Vec<ConfigChange> = (0..next(60))
                .map(|i| {
                    let (acct, person) = (["a", "b", "c"][next(3) as usize], next(6));
                    let key = format!("{acct}/person/p{person}");
                    let value = format!(r#"{{"kind":"person","account":"{acct}","id":"p{person}","name":"n{i}"}}"#);
                    let value = (next(4) != 0).then_some(value);
                    parse_config_record(Some(&key), value.as_deref().map(str::as_bytes))
                        .expect("record")
                })
                .collect();
            let mut whole = ConfigTable::default();
            log.iter().for_each(|c| whole.apply(c));
            let mut cuts: Vec<usize> = (0..next(4)).map(|_| next(log.len() as u64 + 1) as usize).collect();
            cuts.extend([0, log.len()]);
            cuts.sort_unstable();
            let mut laid = ConfigTable::default();
            for w in cuts.windows(2) {
                let mut part = TablePart::default();
                log[w[0]..w[1]].iter().for_each(|c| part.apply(c));
                assert_eq!(part.seq(), (w[1] - w[0]) as u64);
                laid.overlay(part);
            }
            let dump = |t: &ConfigTable| -> Vec<(String, String)> {
                let mut accts: Vec<&str> = t.accounts().collect();
                accts.sort_unstable();
                accts
                    .into_iter()
                    .flat_map(|a| t.records(a).map(move |(k, r)| (k.render(a), format!("{r:?}"))))
                    .collect()
            };
            assert_eq!(dump(&laid), dump(&whole), "round {round}");
            assert_eq!(laid.len(), whole.len(), "round {round}");
            assert_eq!(laid.seq(), whole.seq(), "round {round}");
        }
    }
}
