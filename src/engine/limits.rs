//! Limits on hostile or careless input: every one a setting with a default, enforced where the
//! input enters the engine, and every breach a dead letter (or a refused config record) with a
//! reason, counted in `rta_dead_letters_total{reason}`. The README's "Limits" table lists them.
//!
//! The engine stays pure: the limits travel in [`super::EngineOptions`]. `rta run` installs the
//! configured limits once at start ([`Limits::install`]) so that every `EngineOptions::default()`
//! of the process (the Kafka edge builds its options that way) carries them.

use crate::time::Millis;
use std::sync::OnceLock;

/// 2000-01-01T00:00:00Z.
pub const DEFAULT_MIN_TIME: Millis = 946_684_800_000;
/// 2100-01-01T00:00:00Z.
pub const DEFAULT_MAX_TIME: Millis = 4_102_444_800_000;
const DAY: Millis = 86_400_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Accepted instants `[min_time, max_time)` for event times and schedule segments; outside:
    /// dead letter `bad_timestamp` (events) or `invalid_config` (schedules).
    pub min_time: Millis,
    pub max_time: Millis,
    /// Event-time clocks (`rta process`, the service's partition rebuild): an event more than
    /// this far ahead of its account's clock is `future_timestamp`, so one stray timestamp cannot
    /// make the clock (and every online person's interval timers) jump without bound.
    pub max_clock_jump: Millis,
    /// Bytes of one input record's value (events and config); beyond: `too_large`.
    pub max_record_bytes: usize,
    /// Bytes of one identifier or external status (and Odigo event id); beyond: `too_large`.
    pub max_field_bytes: usize,
    /// Elements of one Odigo array or injixo `data` list; beyond: the record is `too_large`.
    pub max_elements: usize,
    /// Segments of one schedule record; beyond: `invalid_config`.
    pub max_segments: usize,
    /// Retained timeline entries of one person; beyond: `person_full`.
    pub max_timeline: usize,
    /// Parked events per unmapped identifier and per account, and parked bytes per account.
    pub park_limit: usize,
    pub park_total_limit: usize,
    pub park_bytes_limit: usize,
    /// Events and bytes held per paused integration.
    pub hold_limit: usize,
    pub hold_bytes_limit: usize,
    /// Distinct unmapped values (identifiers + statuses) reported per account; an event with a
    /// new unmapped value beyond it is `unmapped_full`.
    pub max_unmapped: usize,
    /// Distinct queues per account, and distinct contact channel names per account; a contact
    /// of a new queue or channel beyond them is `queues_full`.
    pub max_queues: usize,
    pub max_channels: usize,
    /// Contact-event bodies remembered per account to recognise resubmissions (SPEC §10).
    pub max_contact_bodies: usize,
}

impl Limits {
    /// The built-in defaults (independent of [`Limits::install`]).
    pub const fn builtin() -> Limits {
        Limits {
            min_time: DEFAULT_MIN_TIME,
            max_time: DEFAULT_MAX_TIME,
            max_clock_jump: 7 * DAY,
            max_record_bytes: 1 << 20,
            max_field_bytes: 1024,
            max_elements: 10_000,
            max_segments: 200,
            max_timeline: 100_000,
            park_limit: 1000,
            park_total_limit: 1_000_000,
            park_bytes_limit: 64 << 20,
            hold_limit: 1_000_000,
            hold_bytes_limit: 128 << 20,
            max_unmapped: 10_000,
            max_queues: 10_000,
            max_channels: 1_000,
            max_contact_bodies: 1_000_000,
        }
    }

    /// Make `self` the limits of every `EngineOptions::default()` built afterwards in this
    /// process (once; later calls are ignored and return false).
    pub fn install(self) -> bool {
        INSTALLED.set(self).is_ok()
    }

    /// The installed limits, or the built-in defaults.
    pub fn configured() -> Limits {
        INSTALLED.get().cloned().unwrap_or_else(Limits::builtin)
    }

    /// Whether an instant is inside the accepted range.
    #[inline]
    pub fn time_ok(&self, t: Millis) -> bool {
        t >= self.min_time && t < self.max_time
    }

    /// The accepted range as text, for dead-letter details.
    pub fn range_text(&self) -> String {
        format!(
            "{}..{}",
            crate::time::format_rfc3339(self.min_time),
            crate::time::format_rfc3339(self.max_time)
        )
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::configured()
    }
}

static INSTALLED: OnceLock<Limits> = OnceLock::new();

/// Check a schedule record against the limits: its date and every segment inside the accepted
/// range, each segment within its date ± one day (`[date − 1 d, date + 2 d)` in UTC, which
/// holds any zone's local day and night shifts), and at most `max_segments` segments.
pub fn check_schedule(
    limits: &Limits,
    date: i32,
    segments: impl ExactSizeIterator<Item = (Millis, Millis)>,
) -> Result<(), String> {
    if segments.len() > limits.max_segments {
        return Err(format!(
            "{} segments exceed the limit of {} per schedule",
            segments.len(),
            limits.max_segments
        ));
    }
    let midnight = date as Millis * DAY;
    if !limits.time_ok(midnight) {
        return Err(format!(
            "date is outside the accepted range {}",
            limits.range_text()
        ));
    }
    let (lo, hi) = (midnight - DAY, midnight + 2 * DAY);
    for (i, (start, end)) in segments.enumerate() {
        if start < lo || end > hi {
            return Err(format!(
                "segment {i} ({}..{}) is not within its date ± one day",
                crate::time::format_rfc3339(start),
                crate::time::format_rfc3339(end)
            ));
        }
    }
    Ok(())
}
