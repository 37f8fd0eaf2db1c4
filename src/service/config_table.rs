//! The `rta.config` topic as a global table: the latest valid record per key, every account,
//! kept by every instance (once: its worker threads share it, [`SharedTable`]). An instance
//! that takes over an account rebuilds it from here.

use ahash::AHashMap;
use std::collections::BTreeMap;

/// One account's records: key → value.
type Records = BTreeMap<Box<str>, Box<[u8]>>;

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

/// Replay order of config kinds: what a record refers to comes before it.
fn kind_rank(key: &str) -> u8 {
    match key.split('/').nth(1).unwrap_or("") {
        "settings" => 0,
        "activity" => 1,
        "integration" => 2,
        "person" => 3,
        "identifier" => 4,
        "status" => 5,
        "match" => 6,
        "schedule" => 7,
        _ => 8,
    }
}

impl ConfigTable {
    /// Store (`Some`) or delete (`None`) the record of `key`.
    pub fn apply(&mut self, account: &str, key: &str, value: Option<&[u8]>) {
        self.seq += 1;
        match value {
            Some(v) => {
                let recs = self.accounts.entry(account.into()).or_default();
                if recs.insert(key.into(), v.into()).is_none() {
                    self.records += 1;
                }
            }
            None => {
                if let Some(recs) = self.accounts.get_mut(account) {
                    if recs.remove(key).is_some() {
                        self.records -= 1;
                    }
                    if recs.is_empty() {
                        self.accounts.remove(account);
                    }
                }
            }
        }
    }

    /// Drop schedule records of local dates before `cutoff` (`YYYY-MM-DD`): they are outside
    /// the retention window, and a compacted topic keeps every day ever scheduled. Returns
    /// how many were dropped.
    pub fn prune_schedules(&mut self, cutoff: &str) -> usize {
        let mut dropped = 0;
        for recs in self.accounts.values_mut() {
            let before = recs.len();
            recs.retain(|k, _| {
                let mut parts = k.split('/');
                let kind = parts.nth(1);
                let date = k.rsplit('/').next().unwrap_or("");
                !(kind == Some("schedule") && date.len() == 10 && date < cutoff)
            });
            dropped += before - recs.len();
        }
        self.accounts.retain(|_, r| !r.is_empty());
        self.records -= dropped;
        dropped
    }

    /// An account's records in replay order (by kind, then key).
    pub fn records(&self, account: &str) -> Vec<(&str, &[u8])> {
        let mut v: Vec<(&str, &[u8])> = self
            .accounts
            .get(account)
            .map(|r| r.iter().map(|(k, v)| (&**k, &**v)).collect())
            .unwrap_or_default();
        v.sort_by_key(|(k, _)| kind_rank(k));
        v
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

    #[test]
    fn latest_per_key_and_tombstones() {
        let mut t = ConfigTable::default();
        t.apply("acme", "acme/schedule/p1/2026-11-23", Some(b"s1"));
        t.apply("acme", "acme/settings", Some(b"a"));
        t.apply("acme", "acme/settings", Some(b"b"));
        t.apply("acme", "acme/identifier/1/x", Some(b"i"));
        t.apply("globex", "globex/settings", Some(b"g"));
        assert_eq!(t.len(), 4);
        let keys: Vec<_> = t.records("acme").into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "acme/settings",
                "acme/identifier/1/x",
                "acme/schedule/p1/2026-11-23"
            ]
        );
        assert_eq!(t.records("acme")[0].1, b"b");
        assert_eq!(t.prune_schedules("2026-11-23"), 0);
        assert_eq!(t.prune_schedules("2026-11-24"), 1);
        assert_eq!(t.records("acme").len(), 2);
        t.apply("globex", "globex/settings", None);
        assert_eq!(t.accounts().count(), 1);
        assert_eq!(t.len(), 2);
    }
}
