//! Tests for [`Grid`]: DST transitions, odd offsets, day lengths and tiling.

use super::*;
use chrono::{DateTime, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use proptest::prelude::*;

const HOUR: Millis = 3_600_000;
const MIN: Millis = 60_000;

fn at(s: &str) -> Millis {
    parse_rfc3339(s).unwrap()
}

fn grid(tz: &str, minutes: u32) -> Grid {
    Grid::new(tz, minutes).unwrap()
}

/// chrono's view of the local wall clock at `t`.
fn chrono_local(tz: &str, t: Millis) -> DateTime<Tz> {
    let zone: Tz = tz.parse().unwrap();
    zone.timestamp_millis_opt(t).unwrap()
}

fn chrono_offset_ms(tz: &str, t: Millis) -> i64 {
    use chrono::Offset;
    i64::from(chrono_local(tz, t).offset().fix().local_minus_utc()) * 1000
}

fn days_of(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

/// Count intervals from `start` until `end`, checking they tile exactly.
fn count_intervals(g: &Grid, start: Millis, end: Millis) -> usize {
    let mut n = 0;
    let mut t = start;
    while t < end {
        let (s, e) = g.interval_at(t);
        assert_eq!(s, t, "intervals must tile");
        assert!(e > s);
        t = e;
        n += 1;
    }
    assert_eq!(t, end, "last interval must end at the day end");
    n
}

#[test]
fn rejects_bad_arguments() {
    assert!(Grid::new("Mars/Olympus_Mons", 15)
        .unwrap_err()
        .contains("Mars/Olympus_Mons"));
    assert!(Grid::new("", 15).is_err());
    assert!(Grid::new("UTC", 0).is_err());
    assert!(Grid::new("UTC", 7).unwrap_err().contains('7'));
    assert!(Grid::new("UTC", 2880).is_err());
    assert_eq!(grid("UTC", 1440).interval_minutes(), 1440);
    assert_eq!(grid("Europe/Berlin", 45).interval_minutes(), 45);
    assert_eq!(Grid::utc(7).interval_minutes(), 6);
    assert_eq!(Grid::utc(0).interval_minutes(), 1);
    assert_eq!(Grid::utc(5000).interval_minutes(), 1440);
}

#[test]
fn utc_grid() {
    let g = Grid::utc(15);
    assert_eq!(g.tz_name(), "UTC");
    assert_eq!(g.interval_minutes(), 15);
    let t = at("2026-11-23T08:03:00.123Z");
    assert_eq!(g.offset_at(t), 0);
    assert_eq!(
        g.interval_at(t),
        (at("2026-11-23T08:00:00Z"), at("2026-11-23T08:15:00Z"))
    );
    assert_eq!(
        g.interval_at(at("2026-11-23T08:15:00Z")).0,
        at("2026-11-23T08:15:00Z")
    );
    let d = parse_date("2026-11-23").unwrap();
    assert_eq!(
        g.day_at(t),
        (d, at("2026-11-23T00:00:00Z"), at("2026-11-24T00:00:00Z"))
    );
    assert_eq!(g.local_date(t), d);
    assert_eq!(g.day_start(d), at("2026-11-23T00:00:00Z"));
    // Before the epoch too.
    assert_eq!(g.interval_at(-1), (-15 * MIN, 0));
    assert_eq!(Grid::utc(60).interval_at(-1), (-HOUR, 0));
}

#[test]
fn fixed_etc_zone() {
    let g = grid("Etc/GMT+5", 60); // POSIX sign: UTC-05:00
    assert_eq!(g.offset_at(0), -5 * HOUR);
    let t = at("2026-11-23T08:03:00Z");
    assert_eq!(
        g.local_date(at("2026-11-23T04:59:00Z")),
        parse_date("2026-11-22").unwrap()
    );
    assert_eq!(
        g.interval_at(t),
        (at("2026-11-23T08:00:00Z"), at("2026-11-23T09:00:00Z"))
    );
    assert_eq!(g.day_at(t).1, at("2026-11-23T05:00:00Z"));
}

#[test]
fn berlin_spring_forward() {
    let g = grid("Europe/Berlin", 15);
    assert_eq!(g.tz_name(), "Europe/Berlin");
    let jump = at("2026-03-29T01:00:00Z");
    assert_eq!(g.offset_at(jump - 1), HOUR);
    assert_eq!(g.offset_at(jump), 2 * HOUR);
    assert_eq!(g.interval_at(jump - 1), (at("2026-03-29T00:45:00Z"), jump));
    assert_eq!(g.interval_at(jump), (jump, at("2026-03-29T01:15:00Z")));
    let (date, start, end) = g.day_at(at("2026-03-29T12:00:00Z"));
    assert_eq!(date, parse_date("2026-03-29").unwrap());
    assert_eq!(start, at("2026-03-28T23:00:00Z"));
    assert_eq!(end, at("2026-03-29T22:00:00Z"));
    assert_eq!(end - start, 23 * HOUR);
    assert_eq!(count_intervals(&g, start, end), 92);
    assert_eq!(count_intervals(&grid("Europe/Berlin", 60), start, end), 23);
}

#[test]
fn berlin_fall_back() {
    let g = grid("Europe/Berlin", 15);
    let back = at("2026-10-25T01:00:00Z");
    assert_eq!(g.offset_at(back - 1), 2 * HOUR);
    assert_eq!(g.offset_at(back), HOUR);
    assert_eq!(g.interval_at(back - 1), (at("2026-10-25T00:45:00Z"), back));
    assert_eq!(g.interval_at(back), (back, at("2026-10-25T01:15:00Z")));
    let (date, start, end) = g.day_at(back);
    assert_eq!(date, parse_date("2026-10-25").unwrap());
    assert_eq!(start, at("2026-10-24T22:00:00Z"));
    assert_eq!(end, at("2026-10-25T23:00:00Z"));
    assert_eq!(end - start, 25 * HOUR);
    assert_eq!(count_intervals(&g, start, end), 100);
    // An ordinary day has 96.
    let (_, s, e) = g.day_at(at("2026-11-23T12:00:00Z"));
    assert_eq!(count_intervals(&g, s, e), 96);
}

#[test]
fn kolkata_half_hour_offset() {
    let t = at("2026-11-23T08:03:00Z"); // 13:33 local
    let g60 = grid("Asia/Kolkata", 60);
    assert_eq!(g60.offset_at(t), 5 * HOUR + 30 * MIN);
    assert_eq!(
        g60.interval_at(t),
        (at("2026-11-23T07:30:00Z"), at("2026-11-23T08:30:00Z"))
    );
    let g15 = grid("Asia/Kolkata", 15);
    assert_eq!(
        g15.interval_at(t),
        (at("2026-11-23T08:00:00Z"), at("2026-11-23T08:15:00Z"))
    );
    assert_eq!(
        g15.interval_at(at("2026-11-23T08:20:00Z")),
        (at("2026-11-23T08:15:00Z"), at("2026-11-23T08:30:00Z"))
    );
    let (date, start, end) = g60.day_at(t);
    assert_eq!(date, parse_date("2026-11-23").unwrap());
    assert_eq!(
        (start, end),
        (at("2026-11-22T18:30:00Z"), at("2026-11-23T18:30:00Z"))
    );
}

#[test]
fn kathmandu_quarter_hour_offset() {
    let g = grid("Asia/Kathmandu", 30);
    let t = at("2026-11-23T08:03:00Z"); // 13:48 local
    assert_eq!(
        g.interval_at(t),
        (at("2026-11-23T07:45:00Z"), at("2026-11-23T08:15:00Z"))
    );
    assert_eq!(
        g.interval_at(at("2026-11-23T08:15:00Z")),
        (at("2026-11-23T08:15:00Z"), at("2026-11-23T08:45:00Z"))
    );
    assert_eq!(g.day_at(t).1, at("2026-11-22T18:15:00Z"));
}

#[test]
fn lord_howe_half_hour_dst() {
    let g = grid("Australia/Lord_Howe", 60);
    // DST ends 2026-04-05 02:00 local (+11:00) → 01:30 (+10:30), i.e. 15:00Z.
    let end_dst = at("2026-04-04T15:00:00Z");
    assert_eq!(g.offset_at(end_dst - 1), 11 * HOUR);
    assert_eq!(g.offset_at(end_dst), 10 * HOUR + 30 * MIN);
    assert_eq!(
        g.interval_at(end_dst - 1),
        (at("2026-04-04T14:00:00Z"), end_dst)
    );
    assert_eq!(
        g.interval_at(end_dst),
        (end_dst, at("2026-04-04T15:30:00Z"))
    );
    assert_eq!(
        g.interval_at(at("2026-04-04T15:30:00Z")),
        (at("2026-04-04T15:30:00Z"), at("2026-04-04T16:30:00Z"))
    );
    let (_, s, e) = g.day_at(end_dst);
    assert_eq!(e - s, 24 * HOUR + 30 * MIN);
    assert_eq!(count_intervals(&g, s, e), 25);

    // DST starts 2026-10-04 02:00 local (+10:30) → 02:30 (+11:00), i.e. 15:30Z.
    let start_dst = at("2026-10-03T15:30:00Z");
    assert_eq!(g.offset_at(start_dst), 11 * HOUR);
    assert_eq!(
        g.interval_at(start_dst - 1),
        (at("2026-10-03T14:30:00Z"), start_dst)
    );
    assert_eq!(
        g.interval_at(start_dst),
        (start_dst, at("2026-10-03T16:00:00Z"))
    );
    let (_, s, e) = g.day_at(start_dst);
    assert_eq!(e - s, 23 * HOUR + 30 * MIN);
    assert_eq!(count_intervals(&g, s, e), 24);
}

#[test]
fn new_york_days() {
    let g = grid("America/New_York", 30);
    let (date, s, e) = g.day_at(at("2026-03-08T12:00:00Z"));
    assert_eq!(date, parse_date("2026-03-08").unwrap());
    assert_eq!(
        (s, e),
        (at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z"))
    );
    assert_eq!(count_intervals(&g, s, e), 46);
}

#[test]
fn skipped_midnight_starts_at_transition() {
    // Chile's DST began at local midnight on 2022-09-11: 00:00 -04 became 01:00 -03.
    let g = grid("America/Santiago", 60);
    let date = parse_date("2022-09-11").unwrap();
    let start = g.day_start(date);
    assert_eq!(start, at("2022-09-11T04:00:00Z"));
    let local = chrono_local("America/Santiago", start);
    assert_eq!((local.hour(), local.minute()), (1, 0));
    assert_eq!(g.local_date(start), date);
    assert_eq!(g.local_date(start - 1), date - 1);
    let (d, s, e) = g.day_at(start + HOUR);
    assert_eq!((d, s, e - s), (date, start, 23 * HOUR));
    // The day before ends where this one starts.
    assert_eq!(
        g.day_at(start - 1),
        (date - 1, g.day_start(date - 1), start)
    );
    assert_eq!(g.interval_at(start - 1).1, start);
    assert_eq!(g.interval_at(start), (start, start + HOUR));
}

#[test]
fn skipped_whole_day_is_empty() {
    // Samoa skipped 2011-12-30 entirely when it crossed the date line.
    let g = grid("Pacific/Apia", 60);
    let skipped = parse_date("2011-12-30").unwrap();
    assert_eq!(g.day_start(skipped), g.day_start(skipped + 1));
    let (d, s, e) = g.day_at(g.day_start(skipped));
    assert_eq!(d, skipped + 1);
    assert_eq!((s, e - s), (g.day_start(skipped), 24 * HOUR));
    let (d, _, e) = g.day_at(s - 1);
    assert_eq!((d, e), (skipped - 1, s));
}

const ZONES: [&str; 6] = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "UTC",
];
const T_2020: Millis = 1_577_836_800_000;
const T_2030: Millis = 1_893_456_000_000;

fn check_interval(tz: &str, minutes: u32, t: Millis) -> Result<(), TestCaseError> {
    let g = grid(tz, minutes);
    let len = i64::from(minutes) * MIN;
    let (s, e) = g.interval_at(t);
    prop_assert!(
        s <= t && t < e,
        "{} {}: {} not in [{}, {})",
        tz,
        minutes,
        t,
        s,
        e
    );
    prop_assert!(e - s <= len);
    prop_assert_eq!(g.interval_at(s), (s, e));
    prop_assert_eq!(g.interval_at(e - 1), (s, e));
    prop_assert_eq!(g.interval_at(e).0, e);
    prop_assert_eq!(g.interval_at(s - 1).1, s);
    prop_assert_eq!(g.offset_at(t), chrono_offset_ms(tz, t));
    let transition = chrono_offset_ms(tz, s - 1) != chrono_offset_ms(tz, s);
    if !transition {
        let local = chrono_local(tz, s);
        let wall_ms = i64::from(local.num_seconds_from_midnight()) * 1000;
        prop_assert_eq!(
            wall_ms % len,
            0,
            "{} {}: start {} at wall {}",
            tz,
            minutes,
            s,
            local
        );
        prop_assert_eq!(local.timestamp_subsec_millis(), 0);
    }
    // The end is a grid point or a transition.
    let local_end = chrono_local(tz, e);
    let end_on_grid = (i64::from(local_end.num_seconds_from_midnight()) * 1000) % len == 0;
    prop_assert!(end_on_grid || chrono_offset_ms(tz, e - 1) != chrono_offset_ms(tz, e));
    Ok(())
}

fn check_day(tz: &str, t: Millis) -> Result<(), TestCaseError> {
    let g = grid(tz, 15);
    let (d, s, e) = g.day_at(t);
    prop_assert!(s <= t && t < e);
    prop_assert_eq!(d, days_of(chrono_local(tz, t).date_naive()));
    prop_assert_eq!(g.local_date(t), d);
    prop_assert_eq!(g.day_start(d), s);
    prop_assert_eq!(g.day_start(d + 1), e);
    prop_assert_eq!(g.day_at(s), (d, s, e));
    prop_assert_eq!(g.day_at(e - 1), (d, s, e));
    prop_assert_eq!(g.day_at(e).1, e);
    prop_assert_eq!(g.day_at(s - 1).2, s);
    // None of these zones skips midnight in 2020–2030.
    prop_assert_eq!(chrono_local(tz, s).num_seconds_from_midnight(), 0);
    prop_assert_eq!(days_of(chrono_local(tz, s).date_naive()), d);
    let hours = [
        23 * HOUR,
        23 * HOUR + 30 * MIN,
        24 * HOUR,
        24 * HOUR + 30 * MIN,
        25 * HOUR,
    ];
    prop_assert!(hours.contains(&(e - s)), "day length {}", e - s);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn intervals_tile(t in T_2020..T_2030, zone in 0..ZONES.len(), m in prop::sample::select(vec![15u32, 30, 60])) {
        check_interval(ZONES[zone], m, t)?;
    }

    #[test]
    fn days_tile(t in T_2020..T_2030, zone in 0..ZONES.len()) {
        check_day(ZONES[zone], t)?;
    }
}

/// Deterministic sweep over every offset transition of the test zones in 2020–2030:
/// random sampling would rarely land next to one.
#[test]
fn tiling_around_every_transition() {
    for tz in ZONES {
        let mut found = 0;
        let mut t = T_2020;
        while t < T_2030 {
            if chrono_offset_ms(tz, t) != chrono_offset_ms(tz, t + HOUR) {
                // Find the transition to the second, then probe around it.
                let mut lo = t;
                let mut hi = t + HOUR;
                while hi - lo > 1000 {
                    let mid = lo + (hi - lo) / 2000 * 1000;
                    if chrono_offset_ms(tz, mid) == chrono_offset_ms(tz, lo) {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                for m in [15, 30, 60] {
                    assert_eq!(
                        grid(tz, m).interval_at(hi).0,
                        hi,
                        "{tz} {m} transition {hi}"
                    );
                    for probe in [
                        hi - 2 * HOUR,
                        hi - HOUR,
                        hi - 1,
                        hi,
                        hi + 1,
                        hi + HOUR,
                        hi + 2 * HOUR,
                    ] {
                        check_interval(tz, m, probe).unwrap();
                    }
                }
                for probe in [hi - 1, hi, hi + HOUR] {
                    check_day(tz, probe).unwrap();
                }
                found += 1;
            }
            t += HOUR;
        }
        // Two per year for the DST zones, none for the others.
        let expected = if matches!(
            tz,
            "Europe/Berlin" | "America/New_York" | "Australia/Lord_Howe"
        ) {
            20
        } else {
            0
        };
        assert_eq!(found, expected, "{tz}");
    }
}
