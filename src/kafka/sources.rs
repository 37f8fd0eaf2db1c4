//! The two input topics of the consumer group: `rta.agent-events` and `rta.contact-events`
//! (SPEC §2, §10). Both are keyed by account with the same partition count, and the group uses
//! the range assignor, so one instance owns partition *n* of both — every record of an account.
//!
//! Offsets, rebuilds and commits are tracked per *source*: one (topic, partition) pair as one
//! number, the partition itself for agent events and [`CONTACTS_BASE`] + partition for contact
//! events, so the tracker and the rebuild bookkeeping stay plain maps of `i32`.

use crate::settings::Settings;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

/// Source ids of contact-event partitions start here (far beyond any partition count).
pub const CONTACTS_BASE: i32 = 1 << 24;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    pub events: String,
    pub contacts: String,
    /// Commits carry the changelog's mark ([`super::changelog::MARK`]).
    pub mark: bool,
}

impl Sources {
    pub fn new(s: &Settings) -> Sources {
        Sources {
            events: s.topics.agent_events.clone(),
            contacts: s.topics.contact_events.clone(),
            mark: s.changelog,
        }
    }

    pub fn topics(&self) -> [&str; 2] {
        [&self.events, &self.contacts]
    }

    /// The source id of a partition of one of the two topics.
    pub fn id(&self, topic: &str, partition: i32) -> Option<i32> {
        if topic == self.events {
            Some(partition)
        } else if topic == self.contacts {
            Some(CONTACTS_BASE + partition)
        } else {
            None
        }
    }

    /// The topic and partition of a source id.
    pub fn topic_partition(&self, id: i32) -> (&str, i32) {
        match is_contacts(id) {
            true => (&self.contacts, id - CONTACTS_BASE),
            false => (&self.events, id),
        }
    }

    /// A list of (source, offset) as topic partitions.
    pub fn tpl(&self, offsets: &[(i32, i64)]) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        for (id, o) in offsets {
            let (topic, p) = self.topic_partition(*id);
            let _ = tpl.add_partition_offset(topic, p, Offset::Offset(*o));
            if self.mark {
                if let Some(mut e) = tpl.find_partition(topic, p) {
                    e.set_metadata(super::changelog::MARK);
                }
            }
        }
        tpl
    }

    /// The (source, offset) pairs of a list of committed offsets.
    pub fn offsets_of(&self, tpl: &TopicPartitionList) -> Vec<(i32, i64)> {
        tpl.elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some((self.id(e.topic(), e.partition())?, o)),
                _ => None,
            })
            .collect()
    }
}

/// Whether a source id is a contact-events partition.
pub fn is_contacts(id: i32) -> bool {
    id >= CONTACTS_BASE
}

/// The partition number (account ownership) of a source id.
pub fn partition(id: i32) -> i32 {
    if is_contacts(id) {
        id - CONTACTS_BASE
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ids_round_trip() {
        let s = Sources {
            mark: false,
            events: "e".into(),
            contacts: "c".into(),
        };
        assert_eq!(s.id("e", 3), Some(3));
        assert_eq!(s.id("c", 3), Some(CONTACTS_BASE + 3));
        assert_eq!(s.id("x", 3), None);
        assert_eq!(s.topic_partition(CONTACTS_BASE + 3), ("c", 3));
        assert_eq!(s.topic_partition(3), ("e", 3));
        assert_eq!(partition(CONTACTS_BASE + 3), 3);
        let tpl = s.tpl(&[(1, 10), (CONTACTS_BASE + 1, 20)]);
        assert_eq!(s.offsets_of(&tpl), [(1, 10), (CONTACTS_BASE + 1, 20)]);
    }
}
