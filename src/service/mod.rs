//! The streaming service's transport-independent parts: the processing core both transports
//! run ([`processor`]), the global config table, account ownership by partition, and the live
//! views behind the HTTP endpoints.

pub mod config_feed;
pub mod config_table;
pub mod ownership;
pub mod processor;
pub mod queue_view;
pub mod restore;
pub mod views;

pub use processor::{Ownership, Processor};
pub use views::{AccountSummary, LiveViews};

/// Milliseconds since the Unix epoch, from the wall clock (the service's only clock read).
pub fn wall_clock_ms() -> crate::time::Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
