//! The admin commands: the integration lifecycle (`rta integration …`), CSV imports of
//! mappings, activities, people and schedules (`rta import …`) and the unmapped report
//! (`rta unmapped`). They write config records (SPEC §3) to `rta.config` on the brokers, or
//! append them as NDJSON envelopes to a file that `rta process` reads.

pub mod import;
pub mod integration;
pub mod store;
pub mod unmapped;

pub use store::{ConfigState, Target};
