//! Time conversions of the simulator: local wall-clock minutes of the simulated day to UTC
//! milliseconds (DST-safe), and instants to RFC 3339 text.

use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Tz;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// The instant of local wall-clock time `date` 00:00 + `minutes` (may exceed a day, for shifts
/// crossing midnight). Ambiguous local times (DST fall-back) take the earlier instant; times in
/// a DST gap move forward to the first existing local minute, so the mapping stays monotonic.
pub fn local_ms(tz: Tz, date: NaiveDate, minutes: i64) -> Millis {
    let midnight = date.and_time(NaiveTime::MIN);
    for skip in 0..=180 {
        let Some(naive) =
            TimeDelta::try_minutes(minutes + skip).and_then(|d| midnight.checked_add_signed(d))
        else {
            break;
        };
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.timestamp_millis(),
            LocalResult::Ambiguous(earliest, _) => return earliest.timestamp_millis(),
            LocalResult::None => continue,
        }
    }
    // Only reachable at the edges of chrono's date range: read the wall time as UTC.
    midnight
        .and_utc()
        .timestamp_millis()
        .saturating_add(minutes.saturating_mul(60_000))
}

/// `2026-11-23T09:00:00+01:00`: the instant in the zone's local time with its offset.
pub fn format_local(tz: Tz, ms: Millis) -> String {
    match tz.timestamp_millis_opt(ms) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
        }
        LocalResult::None => format_utc(ms),
    }
}

/// `2026-11-23T08:03:00Z` (with `.mmm` only when the milliseconds are not zero).
pub fn format_utc(ms: Millis) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) if ms.rem_euclid(1000) == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        // Out of chrono's range: cannot come from a NaiveDate-based day; keep the number.
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_minutes_to_utc_and_back() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let nine = local_ms(tz, d, 9 * 60);
        assert_eq!(format_utc(nine), "2026-11-23T08:00:00Z");
        assert_eq!(format_local(tz, nine), "2026-11-23T09:00:00+01:00");
        assert_eq!(format_utc(nine + 250), "2026-11-23T08:00:00.250Z");
        // Crossing midnight.
        assert_eq!(
            format_local(tz, local_ms(tz, d, 25 * 60)),
            "2026-11-24T01:00:00+01:00"
        );
    }

    #[test]
    fn dst_gap_and_overlap_stay_monotonic() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        for d in [
            NaiveDate::from_ymd_opt(2026, 3, 28).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 24).unwrap(),
        ] {
            let mut prev = i64::MIN;
            for m in (0..48 * 60).step_by(15) {
                let t = local_ms(tz, d, m);
                assert!(t >= prev, "{d} +{m} min");
                prev = t;
            }
        }
    }
}
