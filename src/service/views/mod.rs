//! What the HTTP endpoints and the dashboard page read while the worker runs: the latest agent
//! state of every person with today's actual activity and out-of-adherence spans
//! ([`person`]), interval totals ([`intervals`]), unmapped reports, names, settings and
//! schedules from the config ([`directory`]), per-account summaries, today's queue intervals
//! per account and readiness.
//!
//! The views are filled from records — the agent-state, interval and unmapped records the
//! topics carry and the parsed config records — so any source of those records (the processing
//! core here, a topic reader elsewhere) can fill them. Written by one thread; read concurrently
//! by HTTP handlers. Every state change is also offered on a bounded broadcast channel
//! ([`LiveViews::subscribe`]) for the live stream; without subscribers nothing is copied.

use crate::config::{ConfigChange, ConfigKey, ConfigRecord};
use crate::engine::StateFacts;
use crate::time::Millis;
use ahash::AHashMap;
use dashmap::DashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

mod directory;
mod intervals;
mod order;
mod person;
#[cfg(test)]
mod tests;

pub use directory::Directory;
pub use intervals::IntervalTotals;
pub use order::natural_cmp;
pub use person::PersonView;

/// State changes buffered for the live stream; a subscriber further behind is told to resync.
pub const STREAM_BUFFER: usize = 16_384;
/// Unmapped reports kept per account (the engine reports at most `limits.max_unmapped`).
const MAX_UNMAPPED: usize = 10_000;

/// One account's roll-up.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub account: String,
    pub persons: u64,
    pub online: u64,
    /// Persons by adherence state: in, out, notScheduled, none.
    pub adherence: BTreeMap<&'static str, u64>,
    /// Out-of-adherence persons by type (notPresent, wrongActivity, notScheduled).
    pub out_of_adherence: BTreeMap<&'static str, u64>,
    /// Persons currently within a buffer.
    pub in_buffer: u64,
    /// Persons in a working-type schedule segment now.
    pub scheduled_now: u64,
    /// Of those, persons in adherence or inside a buffer now.
    pub adhering_now: u64,
    /// Real-time adherence: 100 × adheringNow / scheduledNow (null when nobody is scheduled).
    pub real_time_adherence_percent: Option<f64>,
    /// The account's `targetPercent` (settings record; default 90).
    pub target_percent: f64,
    pub scheduled_seconds: f64,
    pub in_adherence_seconds: f64,
    /// Today's adherence over every person of the account (in-adherence / scheduled).
    pub adherence_percent: Option<f64>,
    pub unmapped_identifiers: u64,
    pub unmapped_statuses: u64,
    pub at: Option<String>,
}

/// A person's new agent state, as offered to the live stream.
#[derive(Debug)]
pub struct StateChange {
    pub account: Box<str>,
    pub person: Box<str>,
    /// The agent-state record (JSON).
    pub json: Box<[u8]>,
}

/// What the views hold of one account.
#[derive(Default)]
pub struct AccountView {
    pub persons: AHashMap<Box<str>, PersonView>,
    pub intervals: IntervalTotals,
    /// Unmapped reports by record key (JSON).
    pub unmapped: BTreeMap<Box<str>, Vec<u8>>,
    pub directory: Directory,
    /// Bumped on every change of the intervals, the unmapped reports and the directory.
    pub versions: Versions,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Versions {
    pub intervals: u64,
    pub unmapped: u64,
    pub directory: u64,
}

/// Most engine shards (worker threads) one process runs.
pub const MAX_SHARDS: usize = 64;

/// A view each engine shard (worker thread) writes its own part of: accounts never span
/// shards, so a lookup finds an account in at most one part.
struct Sharded<T>(RwLock<Vec<BTreeMap<String, T>>>);

impl<T: Clone> Sharded<T> {
    fn new() -> Self {
        Sharded(RwLock::new(Vec::new()))
    }

    /// Replace `shard`'s part.
    fn set(&self, shard: usize, part: BTreeMap<String, T>) {
        if let Ok(mut w) = self.0.write() {
            if w.len() <= shard {
                w.resize_with(shard + 1, BTreeMap::new);
            }
            w[shard] = part;
        }
    }

    fn get(&self, account: &str) -> Option<T> {
        let r = self.0.read().ok()?;
        r.iter().find_map(|m| m.get(account).cloned())
    }

    fn contains(&self, account: &str) -> bool {
        self.0
            .read()
            .map(|r| r.iter().any(|m| m.contains_key(account)))
            .unwrap_or(false)
    }

    fn remove(&self, account: &str) {
        if let Ok(mut w) = self.0.write() {
            for m in w.iter_mut() {
                m.remove(account);
            }
        }
    }

    /// Every shard's entries, by account.
    fn values(&self) -> Vec<T> {
        let Ok(r) = self.0.read() else {
            return Vec::new();
        };
        let mut all: Vec<(&String, &T)> = r.iter().flat_map(|m| m.iter()).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, v)| v.clone()).collect()
    }
}

pub struct LiveViews {
    accounts: DashMap<Box<str>, AccountView>,
    summaries: Sharded<AccountSummary>,
    /// account → today's queue intervals as JSON (`/api/accounts/{account}/queues`).
    queues: Sharded<Vec<u8>>,
    changes: broadcast::Sender<Arc<StateChange>>,
    /// Agent-state records stored so far (each counted under its account's lock): a states
    /// snapshot that read the count `n` first holds every change up to `n`.
    seq: AtomicU64,
    pub config_caught_up: AtomicBool,
    /// Bit `n`: shard `n` has its partitions assigned and restored (always, embedded).
    ready_shards: AtomicU64,
    /// The Kafka brokers answer (always true embedded; set by the producer's callbacks).
    pub broker_reachable: AtomicBool,
    /// Wall-clock ms of each shard's latest loop turn (liveness: the oldest counts).
    beats: [AtomicU64; MAX_SHARDS],
    /// Engine shards (worker threads) beating; 1 unless [`LiveViews::set_shards`] says more.
    shards: AtomicU64,
}

impl Default for LiveViews {
    fn default() -> Self {
        LiveViews {
            accounts: DashMap::new(),
            summaries: Sharded::new(),
            queues: Sharded::new(),
            changes: broadcast::channel(STREAM_BUFFER).0,
            seq: AtomicU64::new(0),
            config_caught_up: AtomicBool::new(false),
            ready_shards: AtomicU64::new(0),
            broker_reachable: AtomicBool::new(false),
            beats: std::array::from_fn(|_| AtomicU64::new(0)),
            shards: AtomicU64::new(1),
        }
    }
}

/// `{account}/{rest}` of a record key.
fn split_key(key: &str) -> Option<(&str, &str)> {
    key.split_once('/')
        .filter(|(a, r)| !a.is_empty() && !r.is_empty())
}

impl LiveViews {
    /// An agent-state record (`{account}/{person}` → JSON).
    pub fn put_state(&self, key: &str, value: &[u8]) {
        self.put_state_with(key, value, None)
    }

    /// [`Self::put_state`] with the record's facts from its writer (no parse).
    pub fn put_state_with(&self, key: &str, value: &[u8], facts: Option<&StateFacts<'_>>) {
        let Some((account, person)) = split_key(key) else {
            return;
        };
        // no allocation when the person is known (called for every agent-state output)
        let mut acct = match self.accounts.get_mut(account) {
            Some(a) => a,
            None => self.accounts.entry(account.into()).or_default(),
        };
        // counted under the account's lock: a snapshot that read the count first sees it
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        match acct.persons.get_mut(person) {
            Some(p) => {
                p.put_state(value, facts);
                p.seq = seq;
            }
            None => {
                let mut p = PersonView::default();
                p.put_state(value, facts);
                p.seq = seq;
                acct.persons.insert(person.into(), p);
            }
        }
        drop(acct);
        if self.changes.receiver_count() > 0 {
            let _ = self.changes.send(Arc::new(StateChange {
                account: account.into(),
                person: person.into(),
                json: value.into(),
            }));
        }
    }

    /// An interval record (`{account}/{person}/{intervalStart}`); `None` is a tombstone.
    pub fn put_interval(&self, key: &str, value: Option<&[u8]>) {
        let Some((account, rest)) = split_key(key) else {
            return;
        };
        let Some((person, start)) = rest.rsplit_once('/') else {
            return;
        };
        let Some(start) = crate::time::parse_rfc3339(start) else {
            return;
        };
        let rec = value.and_then(intervals::IntervalRec::parse);
        if value.is_some() && rec.is_none() {
            return;
        }
        let mut acct = self.accounts.entry(account.into()).or_default();
        let acct = &mut *acct;
        let changed = match acct.persons.get_mut(person) {
            Some(p) => acct.intervals.put(&mut p.intervals, start, rec),
            None if rec.is_some() => {
                let mut p = PersonView::default();
                let changed = acct.intervals.put(&mut p.intervals, start, rec);
                acct.persons.insert(person.into(), p);
                changed
            }
            None => false,
        };
        if changed {
            acct.versions.intervals += 1;
        }
    }

    /// An unmapped report (`{account}/{integration}/{kind}/{value}`); `None` is a tombstone.
    pub fn put_unmapped(&self, key: &str, value: Option<&[u8]>) {
        let Some((account, _)) = split_key(key) else {
            return;
        };
        let mut acct = self.accounts.entry(account.into()).or_default();
        let full = acct.unmapped.len() >= MAX_UNMAPPED;
        let changed = match value {
            Some(v) => match acct.unmapped.get_mut(key) {
                Some(old) => {
                    old.clear();
                    old.extend_from_slice(v);
                    true
                }
                None if !full => {
                    acct.unmapped.insert(key.into(), v.to_vec());
                    true
                }
                None => false,
            },
            None => acct.unmapped.remove(key).is_some(),
        };
        if changed {
            acct.versions.unmapped += 1;
        }
    }

    /// A valid config record of an account served here: names, teams, activities, settings and
    /// schedules for the page.
    pub fn apply_config(&self, change: &ConfigChange) {
        self.apply_record(change.account(), change.key(), change.record());
    }

    /// [`LiveViews::apply_config`] of a record as the config table keeps it (`None`: deleted).
    pub fn apply_record(&self, account: &str, key: &ConfigKey, record: Option<&ConfigRecord>) {
        let mut acct = self.accounts.entry(account.into()).or_default();
        if acct.directory.apply(key, record) {
            acct.versions.directory += 1;
        }
    }

    /// Forget what the views learnt from an account's config (before it is replayed).
    pub fn reset_directory(&self, account: &str) {
        if let Some(mut acct) = self.accounts.get_mut(account) {
            acct.directory = Directory::default();
            acct.versions.directory += 1;
        }
    }

    /// Drop schedules of local dates before `day` (days since 1970).
    pub fn prune_schedules(&self, day: i32) {
        for mut acct in self.accounts.iter_mut() {
            acct.directory.prune_schedules(day);
        }
    }

    pub fn drop_account(&self, account: &str) {
        self.accounts.remove(account);
        self.summaries.remove(account);
        self.queues.remove(account);
    }

    /// Live state changes of every account, for the stream. A receiver more than
    /// [`STREAM_BUFFER`] changes behind gets `Lagged` and should start over from the states.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StateChange>> {
        self.changes.subscribe()
    }

    /// Read one account's views.
    pub fn with_account<R>(&self, account: &str, f: impl FnOnce(&AccountView) -> R) -> Option<R> {
        self.accounts.get(account).map(|a| f(&a))
    }

    /// An account is served here: it has a summary or views.
    pub fn has_account(&self, account: &str) -> bool {
        self.accounts.contains_key(account) || self.summaries.contains(account)
    }

    /// The accounts the views hold, sorted.
    pub fn account_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.accounts.iter().map(|a| a.key().to_string()).collect();
        v.sort();
        v
    }

    pub fn versions(&self, account: &str) -> Option<Versions> {
        self.with_account(account, |a| a.versions)
    }

    /// An account's agent states as one JSON array, persons in natural order (p2 before p10),
    /// those `keep` accepts (person id, record, directory).
    pub fn states_json(
        &self,
        account: &str,
        keep: impl Fn(&str, &[u8], &Directory) -> bool,
    ) -> Option<Vec<u8>> {
        self.states_json_with(account, keep, |v, out| out.extend_from_slice(v))
    }

    /// Agent-state records stored so far. Read before a snapshot ([`Self::states_json`]): the
    /// snapshot holds every change up to it; read after [`Self::subscribe`]: the receiver gets
    /// every change after it.
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// The current records (a JSON array) of an account's persons whose state changed after
    /// change count `since` ([`Self::seq`]), if at most `max` did; `None` for more or an
    /// unknown account. With a snapshot read at `since` and a subscription made before this
    /// call, nothing is missed.
    pub fn states_since(&self, account: &str, since: u64, max: usize) -> Option<Vec<u8>> {
        self.with_account(account, |acct| {
            let mut out = vec![b'['];
            let mut n = 0;
            for p in acct.persons.values() {
                if p.seq <= since || p.state.is_empty() {
                    continue;
                }
                n += 1;
                if n > max {
                    return None;
                }
                if n > 1 {
                    out.push(b',');
                }
                out.extend_from_slice(&p.state);
            }
            out.push(b']');
            Some(out)
        })
        .flatten()
    }

    /// [`Self::states_json`] with each record written by `write` (e.g. without some fields).
    pub fn states_json_with(
        &self,
        account: &str,
        keep: impl Fn(&str, &[u8], &Directory) -> bool,
        write: impl Fn(&[u8], &mut Vec<u8>),
    ) -> Option<Vec<u8>> {
        self.with_account(account, |acct| {
            let mut sorted: Vec<(&str, &[u8])> = acct
                .persons
                .iter()
                .filter(|(_, p)| !p.state.is_empty())
                .map(|(k, p)| (&**k, p.state.as_slice()))
                .filter(|(k, v)| keep(k, v, &acct.directory))
                .collect();
            sorted.sort_unstable_by(|a, b| natural_cmp(a.0, b.0));
            let len: usize = sorted.iter().map(|(_, v)| v.len() + 1).sum();
            let mut out = Vec::with_capacity(len + 2);
            out.push(b'[');
            for (i, (_, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, &mut out);
            }
            out.push(b']');
            out
        })
    }

    pub fn state(&self, account: &str, person: &str) -> Option<Vec<u8>> {
        self.accounts
            .get(account)?
            .persons
            .get(person)
            .filter(|p| !p.state.is_empty())
            .map(|p| p.state.clone())
    }

    /// The summaries of the accounts engine shard `shard` runs.
    pub fn set_shard_summaries(&self, shard: usize, s: BTreeMap<String, AccountSummary>) {
        self.summaries.set(shard, s);
    }

    pub fn summaries(&self) -> Vec<AccountSummary> {
        self.summaries.values()
    }

    pub fn summary(&self, account: &str) -> Option<AccountSummary> {
        self.summaries.get(account)
    }

    /// The queue views of the accounts engine shard `shard` runs.
    pub fn set_shard_queues(&self, shard: usize, q: BTreeMap<String, Vec<u8>>) {
        self.queues.set(shard, q);
    }

    /// An account's queue view (JSON); None for an account not known here.
    pub fn queues(&self, account: &str) -> Option<Vec<u8>> {
        self.queues.get(account)
    }

    /// The account's clock (its summary's `at`), else the wall clock.
    pub fn account_now(&self, account: &str) -> Millis {
        self.summary(account)
            .and_then(|s| s.at)
            .and_then(|t| crate::time::parse_rfc3339(&t))
            .unwrap_or_else(super::wall_clock_ms)
    }

    /// How many engine shards (worker threads) beat and report readiness (1 to [`MAX_SHARDS`]).
    pub fn set_shards(&self, n: usize) {
        let n = n.clamp(1, MAX_SHARDS);
        let now = super::wall_clock_ms().max(0) as u64;
        for b in &self.beats[..n] {
            b.store(now, Ordering::Release);
        }
        self.shards.store(n as u64, Ordering::Release);
    }

    /// Shard `shard` has (or no longer has) every assigned partition restored; the instance
    /// is ready once every shard is.
    pub fn set_shard_ready(&self, shard: usize, ready: bool) {
        let bit = 1u64 << shard.min(MAX_SHARDS - 1);
        match ready {
            true => self.ready_shards.fetch_or(bit, Ordering::AcqRel),
            false => self.ready_shards.fetch_and(!bit, Ordering::AcqRel),
        };
    }

    /// Every shard has its partitions assigned and restored.
    pub fn partitions_ready(&self) -> bool {
        let n = self.shards.load(Ordering::Acquire);
        let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        self.ready_shards.load(Ordering::Acquire) & all == all
    }

    /// A loop turn of the only (or the first) shard.
    pub fn beat(&self) {
        self.beat_shard(0);
    }

    /// A loop turn of shard `shard`.
    pub fn beat_shard(&self, shard: usize) {
        self.beats[shard.min(MAX_SHARDS - 1)]
            .store(super::wall_clock_ms().max(0) as u64, Ordering::Release);
    }

    /// Milliseconds since the latest loop turn of the shard that turned least recently.
    pub fn since_beat(&self) -> u64 {
        let n = (self.shards.load(Ordering::Acquire) as usize).clamp(1, MAX_SHARDS);
        let oldest = self.beats[..n]
            .iter()
            .map(|b| b.load(Ordering::Acquire))
            .min()
            .unwrap_or(0);
        (super::wall_clock_ms().max(0) as u64).saturating_sub(oldest)
    }

    pub fn ready(&self) -> bool {
        self.config_caught_up.load(Ordering::Acquire)
            && self.partitions_ready()
            && self.broker_reachable.load(Ordering::Acquire)
    }
}
