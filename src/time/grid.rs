//! [`Grid`]: an account's local wall-clock interval grid and calendar days.
//!
//! Interval boundaries are the instants whose local wall time is a multiple of the
//! interval length since local midnight, plus every instant where the UTC offset
//! changes. chrono-tz does not expose its transition table, so transitions are found
//! by comparing offsets at two instants and bisecting only when they differ.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use std::cell::Cell;

use super::{Millis, MS_PER_DAY};

/// Instants are clamped to ±LIMIT ms (about ±250,000 years) before any arithmetic,
/// which keeps every computation inside both `i64` and chrono's supported range.
const LIMIT: Millis = 8_000_000_000_000_000;

/// Scan step when looking for a transition inside a window: at most one transition
/// per step is assumed (true of all tz data), several per window are handled.
const SCAN_STEP: Millis = 3_600_000;

/// Zone names that are always UTC (offset 0, no transitions).
const UTC_NAMES: &[&str] = &[
    "UTC",
    "UCT",
    "GMT",
    "GMT0",
    "GMT+0",
    "GMT-0",
    "Greenwich",
    "Universal",
    "Zulu",
];

/// The local-clock grid of an account: its IANA time zone and interval length.
#[derive(Clone, Debug)]
pub struct Grid {
    tz: Tz,
    interval_minutes: u32,
    interval_ms: i64,
    /// `Some(offset_ms)` for zones with a single constant offset (UTC, `Etc/GMT±N`):
    /// every method then skips the tz lookups.
    fixed_offset: Option<i64>,
    /// The local day looked up last, when its UTC offset is constant throughout: intervals
    /// and dates inside it are plain arithmetic (chrono-tz lookups cost more than the rest
    /// of an interval close).
    day: Cell<Option<ConstDay>>,
}

/// A local day `[start, end)` over which the UTC offset does not change.
#[derive(Clone, Copy, Debug)]
struct ConstDay {
    date: i32,
    start: Millis,
    end: Millis,
    offset: i64,
}

impl Grid {
    /// A grid for IANA zone `tz` (e.g. `"Europe/Berlin"`, `"UTC"`, `"Asia/Kolkata"`) with
    /// intervals of `interval_minutes`, which must divide a day (1440 minutes).
    pub fn new(tz: &str, interval_minutes: u32) -> Result<Grid, String> {
        let zone: Tz = tz.parse().map_err(|_| {
            format!("unknown time zone {tz:?} (expected an IANA name like \"Europe/Berlin\")")
        })?;
        if interval_minutes == 0 || 1440 % interval_minutes != 0 {
            return Err(format!(
                "interval of {interval_minutes} minutes does not divide a day (1440 minutes); use e.g. 15, 30 or 60"
            ));
        }
        Ok(Self::build(zone, interval_minutes))
    }

    /// A UTC grid. An `interval_minutes` that does not divide 1440 is replaced by the
    /// largest divisor of 1440 below it (at least 1).
    pub fn utc(interval_minutes: u32) -> Grid {
        let minutes = (1..=interval_minutes.min(1440))
            .rev()
            .find(|m| 1440 % m == 0)
            .unwrap_or(1);
        Self::build(Tz::UTC, minutes)
    }

    fn build(tz: Tz, interval_minutes: u32) -> Grid {
        let name = tz.name();
        let bare = name.strip_prefix("Etc/").unwrap_or(name);
        let fixed = UTC_NAMES.contains(&bare) || bare.starts_with("GMT");
        let mut grid = Grid {
            tz,
            interval_minutes,
            interval_ms: i64::from(interval_minutes) * 60_000,
            fixed_offset: None,
            day: Cell::new(None),
        };
        if fixed {
            grid.fixed_offset = Some(grid.tz_offset(0));
        }
        grid
    }

    /// The IANA name of the zone.
    pub fn tz_name(&self) -> &str {
        self.tz.name()
    }

    /// The interval length in minutes.
    pub fn interval_minutes(&self) -> u32 {
        self.interval_minutes
    }

    /// UTC offset in ms at instant `t` (local wall time = `t + offset_at(t)`).
    pub fn offset_at(&self, t: Millis) -> i64 {
        match self.fixed_offset {
            Some(offset) => offset,
            None => match self.day.get() {
                Some(d) if d.start <= t && t < d.end => d.offset,
                _ => self.tz_offset(t),
            },
        }
    }

    /// The cached constant-offset day holding `t`, looking it up when `t` is outside the
    /// cached one. `None` on days with a transition inside them.
    fn const_day(&self, t: Millis) -> Option<ConstDay> {
        if let Some(d) = self.day.get() {
            if d.start <= t && t < d.end {
                return Some(d);
            }
        }
        let (date, start, end) = self.day_at_slow(t);
        let offset = self.tz_offset(start);
        // Hourly probes: the grid assumes at most one transition per SCAN_STEP.
        let mut probe = start;
        while probe < end {
            if self.tz_offset(probe) != offset {
                return None;
            }
            probe += SCAN_STEP;
        }
        if end > start && self.tz_offset(end - 1) != offset {
            return None;
        }
        let d = ConstDay {
            date,
            start,
            end,
            offset,
        };
        self.day.set(Some(d));
        Some(d)
    }

    /// Offset from chrono-tz, ignoring the fixed-offset shortcut.
    fn tz_offset(&self, t: Millis) -> i64 {
        let t = t.clamp(-LIMIT, LIMIT);
        match DateTime::from_timestamp_millis(t) {
            Some(dt) => {
                let offset = self.tz.offset_from_utc_datetime(&dt.naive_utc());
                i64::from(offset.fix().local_minus_utc()) * 1000
            }
            None => 0,
        }
    }

    /// The interval `[start, end)` containing `t`.
    ///
    /// Boundaries are the instants whose local wall time is a multiple of the interval
    /// since local midnight, and every UTC-offset transition. So `start` is the later of
    /// the local-grid floor of `t` (converted with the offset at `t`) and the last
    /// transition `<= t`; `end` is the earlier of the next grid point and the next
    /// transition `> t`. Intervals tile the time line; around a DST change one may be
    /// shorter than the interval length.
    pub fn interval_at(&self, t: Millis) -> (Millis, Millis) {
        let t = t.clamp(-LIMIT, LIMIT);
        let len = self.interval_ms;
        if let Some(offset) = self.fixed_offset {
            let local = t + offset;
            let floor = local - local.rem_euclid(len) - offset;
            return (floor, floor + len);
        }
        match self.const_day(t) {
            Some(d) => {
                let local = t + d.offset;
                let floor = local - local.rem_euclid(len) - d.offset;
                (floor.max(d.start), (floor + len).min(d.end))
            }
            None => self.interval_at_slow(t),
        }
    }

    /// [`Grid::interval_at`] from chrono-tz lookups, without the day cache.
    fn interval_at_slow(&self, t: Millis) -> (Millis, Millis) {
        let t = t.clamp(-LIMIT, LIMIT);
        let len = self.interval_ms;
        let offset = self.tz_offset_or_fixed(t);
        let local = t + offset;
        let floor = local - local.rem_euclid(len) - offset;
        let next = floor + len;
        if self.fixed_offset.is_some() {
            return (floor, next);
        }
        let start = if self.tz_offset(floor) != offset {
            self.last_transition(floor, t, offset)
        } else {
            floor
        };
        let end = if self.tz_offset(next - 1) != offset {
            self.first_transition(t, next - 1, offset)
        } else {
            next
        };
        (start, end)
    }

    /// The local calendar day containing `t`: `(date, start, end)` with `date` in days
    /// since 1970-01-01, `start = day_start(date)` and `end = day_start(date + 1)`.
    ///
    /// Days tile the time line. In the rare zones whose clocks were set back across
    /// midnight, the repeated minutes before midnight belong to the later day.
    pub fn day_at(&self, t: Millis) -> (i32, Millis, Millis) {
        let t = t.clamp(-LIMIT, LIMIT);
        if self.fixed_offset.is_none() {
            if let Some(d) = self.const_day(t) {
                return (d.date, d.start, d.end);
            }
        }
        self.day_at_slow(t)
    }

    /// [`Grid::day_at`] from chrono-tz lookups, without the day cache.
    fn day_at_slow(&self, t: Millis) -> (i32, Millis, Millis) {
        let mut date = self.local_date(t);
        if let Some(offset) = self.fixed_offset {
            let start = i64::from(date) * MS_PER_DAY - offset;
            return (date, start, start + MS_PER_DAY);
        }
        let mut start = self.day_start(date);
        let mut end = self.day_start(date + 1);
        // Only needed where the local date is not monotone in t; bounded for safety.
        for _ in 0..4 {
            if t < start {
                date -= 1;
                end = start;
                start = self.day_start(date);
            } else if t >= end {
                date += 1;
                start = end;
                end = self.day_start(date + 1);
            } else {
                break;
            }
        }
        (date, start, end)
    }

    /// Start instant of local date `date` (days since 1970-01-01): the first instant
    /// whose local wall time is that date's midnight, or, when DST skips midnight, the
    /// transition instant at which the date begins. A date skipped entirely (Pacific/Apia,
    /// 2011-12-30) starts and ends at the same instant.
    pub fn day_start(&self, date: i32) -> Millis {
        // |date| < 2^31 keeps this and the arithmetic below well inside i64.
        let midnight = i64::from(date) * MS_PER_DAY;
        if let Some(offset) = self.fixed_offset {
            return midnight - offset;
        }
        // Offsets in force a day either side (at most one transition is assumed in
        // between, as in Temporal's algorithm).
        let before = self.tz_offset(midnight - MS_PER_DAY);
        let after = self.tz_offset(midnight + MS_PER_DAY);
        let mut first: Option<Millis> = None;
        for offset in [before, after] {
            let candidate = midnight - offset;
            if self.tz_offset(candidate) == offset {
                first = Some(first.map_or(candidate, |f| f.min(candidate)));
            }
        }
        if let Some(start) = first {
            return start;
        }
        // Midnight falls in a gap: the day begins at the transition, which lies
        // between the two naive conversions of midnight.
        let (lo, hi) = (midnight - after, midnight - before);
        if lo < hi && self.tz_offset(lo) != self.tz_offset(hi) {
            self.bisect(lo, hi)
        } else {
            hi
        }
    }

    /// Local date of `t` in days since 1970-01-01.
    pub fn local_date(&self, t: Millis) -> i32 {
        let t = t.clamp(-LIMIT, LIMIT);
        // |t| <= LIMIT keeps the quotient well within i32.
        (t + self.tz_offset_or_fixed(t)).div_euclid(MS_PER_DAY) as i32
    }

    fn tz_offset_or_fixed(&self, t: Millis) -> i64 {
        self.fixed_offset.unwrap_or_else(|| self.tz_offset(t))
    }

    /// The last transition in `(lo, t]`, given `offset_at(lo) != offset == offset_at(t)`.
    fn last_transition(&self, lo: Millis, t: Millis, offset: i64) -> Millis {
        let mut hi = t;
        loop {
            let probe = (hi - SCAN_STEP).max(lo);
            if probe == lo || self.tz_offset(probe) != offset {
                return self.bisect(probe, hi);
            }
            hi = probe;
        }
    }

    /// The first transition in `(t, hi]`, given `offset == offset_at(t) != offset_at(hi)`.
    fn first_transition(&self, t: Millis, hi: Millis, offset: i64) -> Millis {
        let mut lo = t;
        loop {
            let probe = (lo + SCAN_STEP).min(hi);
            if probe == hi || self.tz_offset(probe) != offset {
                return self.bisect(lo, probe);
            }
            lo = probe;
        }
    }

    /// Given `offset_at(lo) != offset_at(hi)` and `lo < hi`, the first instant in
    /// `(lo, hi]` whose offset differs from `offset_at(lo)` (ms resolution).
    fn bisect(&self, mut lo: Millis, mut hi: Millis) -> Millis {
        let at_lo = self.tz_offset(lo);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.tz_offset(mid) == at_lo {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    /// The day cache gives exactly what the lookups give, in zones with DST, 30- and 45-minute
    /// offsets, a skipped day and half-hour DST, queried in time order and at random.
    #[test]
    fn cached_equals_uncached() {
        let zones = [
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "Pacific/Apia",
            "America/Santiago",
            "Africa/Casablanca",
            "UTC",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for zone in zones {
            for minutes in [15, 30, 60] {
                let grid = Grid::new(zone, minutes).unwrap();
                // 2011-06-01 .. about 2027, in 7-minute steps around transitions and randomly
                let mut t: Millis = 1_306_886_400_000;
                for _ in 0..40_000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    t = if x.is_multiple_of(5) {
                        1_306_886_400_000 + (x % 500_000_000_000) as Millis
                    } else {
                        t + (x % 7_200_000) as Millis
                    };
                    assert_eq!(grid.interval_at(t), grid.interval_at_slow(t), "{zone} {t}");
                    assert_eq!(grid.day_at(t), grid.day_at_slow(t), "{zone} {t}");
                    assert_eq!(grid.offset_at(t), grid.tz_offset(t), "{zone} {t}");
                }
            }
        }
    }
}
