//! What the HTTP endpoints read while the worker runs: the latest agent state of every person
//! (a materialized view of `rta.agent-states`), per-account summaries, today's queue intervals
//! per account and readiness. Written
//! only by the worker thread; read concurrently by HTTP handlers.

use ahash::AHashMap;
use dashmap::DashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

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
    pub scheduled_seconds: f64,
    pub in_adherence_seconds: f64,
    /// Today's adherence over every person of the account (in-adherence / scheduled).
    pub adherence_percent: Option<f64>,
    pub unmapped_identifiers: u64,
    pub unmapped_statuses: u64,
    pub at: Option<String>,
}

#[derive(Default)]
pub struct LiveViews {
    /// account → person → agent-state JSON.
    states: DashMap<Box<str>, AHashMap<Box<str>, Vec<u8>>>,
    summaries: RwLock<BTreeMap<String, AccountSummary>>,
    /// account → today's queue intervals as JSON (`/api/accounts/{account}/queues`).
    queues: RwLock<BTreeMap<String, Vec<u8>>>,
    pub config_caught_up: AtomicBool,
    /// Partitions assigned and every one of them rebuilt (always true embedded).
    pub partitions_ready: AtomicBool,
    /// The Kafka brokers answer (always true embedded; set by the producer's callbacks).
    pub broker_reachable: AtomicBool,
    /// Wall-clock ms of the worker's latest loop turn (liveness).
    pub heartbeat: AtomicU64,
}

impl LiveViews {
    pub fn put_state(&self, key: &str, value: &[u8]) {
        let Some((account, person)) = key.split_once('/') else {
            return;
        };
        // no allocation when the person is known (called for every agent-state output)
        if let Some(mut persons) = self.states.get_mut(account) {
            match persons.get_mut(person) {
                Some(v) => {
                    v.clear();
                    v.extend_from_slice(value);
                }
                None => {
                    persons.insert(person.into(), value.to_vec());
                }
            }
            return;
        }
        self.states
            .entry(account.into())
            .or_default()
            .insert(person.into(), value.to_vec());
    }

    pub fn drop_account(&self, account: &str) {
        self.states.remove(account);
        if let Ok(mut s) = self.summaries.write() {
            s.remove(account);
        }
        if let Ok(mut q) = self.queues.write() {
            q.remove(account);
        }
    }

    /// An account's agent states as one JSON array, in person order.
    pub fn states_json(&self, account: &str, filter: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
        let persons = self.states.get(account)?;
        let mut sorted: Vec<(&Box<str>, &Vec<u8>)> = persons.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::with_capacity(persons.len() * 600 + 2);
        out.push(b'[');
        let mut first = true;
        for v in sorted.into_iter().map(|(_, v)| v).filter(|v| filter(v)) {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(v);
        }
        out.push(b']');
        Some(out)
    }

    pub fn state(&self, account: &str, person: &str) -> Option<Vec<u8>> {
        self.states.get(account)?.get(person).cloned()
    }

    pub fn set_summaries(&self, s: BTreeMap<String, AccountSummary>) {
        if let Ok(mut w) = self.summaries.write() {
            *w = s;
        }
    }

    pub fn summaries(&self) -> Vec<AccountSummary> {
        self.summaries
            .read()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn summary(&self, account: &str) -> Option<AccountSummary> {
        self.summaries.read().ok()?.get(account).cloned()
    }

    /// Replace every account's queue view.
    pub fn set_queues(&self, q: BTreeMap<String, Vec<u8>>) {
        if let Ok(mut w) = self.queues.write() {
            *w = q;
        }
    }

    /// An account's queue view (JSON); None for an account not known here.
    pub fn queues(&self, account: &str) -> Option<Vec<u8>> {
        self.queues.read().ok()?.get(account).cloned()
    }

    pub fn beat(&self) {
        self.heartbeat
            .store(super::wall_clock_ms().max(0) as u64, Ordering::Release);
    }

    /// Milliseconds since the worker's latest loop turn.
    pub fn since_beat(&self) -> u64 {
        (super::wall_clock_ms().max(0) as u64)
            .saturating_sub(self.heartbeat.load(Ordering::Acquire))
    }

    pub fn ready(&self) -> bool {
        self.config_caught_up.load(Ordering::Acquire)
            && self.partitions_ready.load(Ordering::Acquire)
            && self.broker_reachable.load(Ordering::Acquire)
    }
}
