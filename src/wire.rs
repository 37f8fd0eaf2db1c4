//! Wire names in one place: the input topics' default names (SPEC §2) and the record header
//! naming an event's integration. Output topic names are [`crate::engine::OutTopic`]'s
//! `default_name`; configured names (prefix, `[topics]`) live in the settings.

/// Agent status notifications from the relays (SPEC §4).
pub const AGENT_EVENTS_TOPIC: &str = "rta.agent-events";
/// Configuration records, compacted (SPEC §3).
pub const CONFIG_TOPIC: &str = "rta.config";
/// injixo API contact-event bodies (SPEC §10).
pub const CONTACT_EVENTS_TOPIC: &str = "rta.contact-events";
/// The state store's changelog: per-person and per-account snapshots, compacted (SPEC §11).
pub const CHANGELOG_TOPIC: &str = "rta.changelog";
/// The changelog record that marks a partition written whole (see `kafka::changelog`).
pub const CHANGELOG_PARTITION_KEY: &str = "/partition";
/// The header naming an input record's integration id.
pub const INTEGRATION_HEADER: &str = "rta-integration";
