//! Plain counters the engine keeps as it works; the service exports them as Prometheus metrics
//! (the engine itself knows nothing of Prometheus).

use super::output::OutTopic;
use crate::reason::{self, Reason};

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
    /// Dead letters, indexed by [`Reason`] as `usize`.
    pub dead_letters: [u64; reason::COUNT],
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
    /// Dead letters of contact events (also in `dead_letters`), indexed by [`Reason`].
    pub contact_dead_letters: [u64; reason::COUNT],
}

impl Stats {
    pub fn dead_letter(&mut self, reason: Reason) {
        self.dead_letters[reason as usize] += 1;
    }

    pub fn dead_letters_of(&self, reason: Reason) -> u64 {
        self.dead_letters[reason as usize]
    }

    pub fn contact_dead_letters_of(&self, reason: Reason) -> u64 {
        self.contact_dead_letters[reason as usize]
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
        for (a, b) in self.dead_letters.iter_mut().zip(o.dead_letters) {
            *a += b;
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
        for (a, b) in self
            .contact_dead_letters
            .iter_mut()
            .zip(o.contact_dead_letters)
        {
            *a += b;
        }
    }

    pub fn dead_letter_total(&self) -> u64 {
        self.dead_letters.iter().sum()
    }
}
