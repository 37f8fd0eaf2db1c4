//! Configuration records of the `rta.config` topic (SPEC §3) and the per-account rule set the
//! adherence engine evaluates against.
//!
//! - [`key`]: the record key `{account}/{kind}/{id parts}`, parsed and rendered in one place;
//! - `wire`: the value's serde structs (one per kind, unknown top-level fields refused);
//! - `validate`: each kind's cross-checks, giving a [`ConfigRecord`];
//! - `record`: the validated types and [`parse_config_record`], the one parse of a record;
//! - `rules`: what an account's records add up to.

pub mod key;
mod record;
mod rules;
mod validate;
mod wire;

pub use key::{key_account, key_kind, parse_key, ConfigKey, ConfigKind};
#[cfg(test)]
pub use record::parses;
pub use record::{parse_config_record, ConfigChange, ConfigError, ConfigRecord};
pub use record::{
    ActivityRec, IdentifierRec, IntegrationRec, MatchRec, OdigoFields, PersonRec, ScheduleRec,
    SecretHashes, SegmentRec, SettingsRec, StatusRec, Vendor,
};
pub use rules::{
    normalize, ActivitySlot, ActivityType, IntegrationSlot, MatchRule, Rules, StatusInfo, PRESENT,
};
pub use validate::check_limits;

#[cfg(test)]
mod tests;
