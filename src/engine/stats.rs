//! Plain counters the engine keeps as it works; the service exports them as Prometheus metrics
//! (the engine itself knows nothing of Prometheus).

use super::output::OutTopic;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub config_records: u64,
    pub event_records: u64,
    /// Decoded agent events applied to a person (including replays of parked and held ones).
    pub events_applied: u64,
    pub duplicates: u64,
    pub unmapped_identifier_events: u64,
    pub unmapped_status_events: u64,
    pub parked: u64,
    pub held: u64,
    /// Parked or held events dropped because they aged out of retention or their bound.
    pub dropped: u64,
    pub dead_letters: BTreeMap<&'static str, u64>,
    /// Records written, indexed by [`OutTopic`] as `usize`.
    pub outputs: [u64; OutTopic::ALL.len()],
    /// Recomputations after late data or config changes, and how many intervals they revised.
    pub recomputations: u64,
    pub interval_revisions: u64,
    /// `rta.contact-events` records, contacts counted, resubmitted bodies counted once, bodies
    /// counted without being remembered (cap), and dead letters of contact events by reason.
    pub contact_records: u64,
    pub contacts_applied: u64,
    pub contact_resubmissions: u64,
    pub contact_bodies_unchecked: u64,
    pub contact_dead_letters: BTreeMap<&'static str, u64>,
}

impl Stats {
    pub fn dead_letter(&mut self, reason: &'static str) {
        *self.dead_letters.entry(reason).or_default() += 1;
    }

    pub fn outputs_of(&self, topic: OutTopic) -> u64 {
        self.outputs[topic as usize]
    }

    /// Add another worker's counters.
    pub fn merge(&mut self, o: &Stats) {
        self.config_records += o.config_records;
        self.event_records += o.event_records;
        self.events_applied += o.events_applied;
        self.duplicates += o.duplicates;
        self.unmapped_identifier_events += o.unmapped_identifier_events;
        self.unmapped_status_events += o.unmapped_status_events;
        self.parked += o.parked;
        self.held += o.held;
        self.dropped += o.dropped;
        for (r, n) in &o.dead_letters {
            *self.dead_letters.entry(r).or_default() += n;
        }
        for (a, b) in self.outputs.iter_mut().zip(o.outputs) {
            *a += b;
        }
        self.recomputations += o.recomputations;
        self.interval_revisions += o.interval_revisions;
        self.contact_records += o.contact_records;
        self.contacts_applied += o.contacts_applied;
        self.contact_resubmissions += o.contact_resubmissions;
        self.contact_bodies_unchecked += o.contact_bodies_unchecked;
        for (r, n) in &o.contact_dead_letters {
            *self.contact_dead_letters.entry(r).or_default() += n;
        }
    }

    pub fn dead_letter_total(&self) -> u64 {
        self.dead_letters.values().sum()
    }
}
