//! The `rta.config` topic as a global table: the latest valid record per key, every account,
//! kept by every instance (once: its worker threads share it, [`SharedTable`]). An instance
//! that takes over an account rebuilds it from here.
//!
//! Records are kept as parsed and validated ([`ConfigRecord`], shared with the change the
//! engine applied), so bringing an account to life replays them without parsing anything.

use crate::config::{ConfigChange, ConfigKey, ConfigKind, ConfigRecord};
use ahash::AHashMap;
use std::collections::BTreeMap;
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
}
