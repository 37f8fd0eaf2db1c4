//! Configuration records of the `rta.config` topic (SPEC §3): parsing and validation of one
//! record, and the per-account rule set the adherence engine evaluates against.

mod record;
mod rules;

pub use record::{
    check_limits, parse_config_record, ConfigChange, ConfigError, ConfigKey, ConfigKind,
    ConfigRecord,
};
pub use record::{
    ActivityRec, IdentifierRec, IntegrationRec, MatchRec, OdigoFields, PersonRec, ScheduleRec,
    SecretHashes, SegmentRec, SettingsRec, StatusRec, Vendor,
};
pub use rules::{
    normalize, ActivitySlot, ActivityType, IntegrationSlot, MatchRule, Rules, StatusInfo, PRESENT,
};
