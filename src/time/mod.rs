//! Time primitives: millisecond instants, RFC 3339, local days and interval grids.
//!
//! * [`Millis`] — an instant as milliseconds since the Unix epoch (UTC).
//! * [`parse_rfc3339`] / [`write_rfc3339`] — allocation-free RFC 3339 parsing and formatting.
//! * [`days_from_civil`] / [`civil_from_days`] — proleptic Gregorian calendar arithmetic.
//! * [`Grid`] — an account's local wall-clock interval grid and calendar days in an IANA zone.

mod civil;
mod grid;
mod rfc3339;

pub use civil::{civil_from_days, days_from_civil, format_date, parse_date};
pub use grid::Grid;
pub use rfc3339::{
    format_rfc3339, parse_rfc3339, write_rfc3339, write_rfc3339_bytes, write_rfc3339_quoted,
};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// Milliseconds per second.
pub const MS_PER_SEC: i64 = 1000;

/// Milliseconds per (UTC or local wall-clock) day.
pub(crate) const MS_PER_DAY: i64 = 86_400_000;

#[cfg(test)]
mod grid_tests;
#[cfg(test)]
mod rfc3339_tests;
