//! Tests for RFC 3339 parsing/formatting and civil-date arithmetic.

use super::*;
use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat};
use proptest::prelude::*;

const T_1900: Millis = -2_208_988_800_000;
const T_2200: Millis = 7_258_118_400_000;

fn chrono_format(t: Millis) -> String {
    let s = DateTime::from_timestamp_millis(t)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    if t.rem_euclid(1000) == 0 {
        s.replace(".000Z", "Z")
    } else {
        s
    }
}

#[test]
fn parses_common_shapes() {
    let base = DateTime::parse_from_rfc3339("2026-11-23T08:03:00Z")
        .unwrap()
        .timestamp_millis();
    assert_eq!(parse_rfc3339("2026-11-23T08:03:00Z"), Some(base));
    assert_eq!(parse_rfc3339("2026-11-23T08:03:00.123Z"), Some(base + 123));
    assert_eq!(parse_rfc3339("2026-11-23t08:03:00z"), Some(base));
    assert_eq!(parse_rfc3339("2026-11-23 08:03:00Z"), Some(base));
    assert_eq!(parse_rfc3339("2026-11-23T08:03:00.5Z"), Some(base + 500));
    assert_eq!(parse_rfc3339("2026-11-23T08:03:00.05Z"), Some(base + 50));
}

#[test]
fn parses_offsets() {
    let eight = parse_rfc3339("2026-11-23T08:00:00Z").unwrap();
    assert_eq!(parse_rfc3339("2026-11-23T09:00:00+01:00"), Some(eight));
    assert_eq!(parse_rfc3339("2026-11-23T02:30:00-05:30"), Some(eight));
    assert_eq!(parse_rfc3339("2026-11-23T13:45:00+05:45"), Some(eight));
    assert_eq!(parse_rfc3339("2026-11-23T08:00:00-00:00"), Some(eight));
    // Offsets move the date across midnight and year ends.
    assert_eq!(
        parse_rfc3339("2027-01-01T00:30:00+01:00"),
        parse_rfc3339("2026-12-31T23:30:00Z")
    );
}

#[test]
fn truncates_long_fractions() {
    let base = parse_rfc3339("2026-11-23T08:03:00Z").unwrap();
    assert_eq!(
        parse_rfc3339("2026-11-23T08:03:00.123999Z"),
        Some(base + 123)
    );
    assert_eq!(
        parse_rfc3339("2026-11-23T08:03:00.999999999Z"),
        Some(base + 999)
    );
    assert_eq!(
        parse_rfc3339("2026-11-23T08:03:00.000000001+00:00"),
        Some(base)
    );
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59.9999Z"), Some(-1));
}

#[test]
fn rejects_malformed() {
    let bad = [
        "",
        "2026-11-23",
        "2026-11-23T08:03:00",       // missing offset
        "2026-13-01T00:00:00Z",      // month 13
        "2026-00-01T00:00:00Z",      // month 0
        "2026-04-31T00:00:00Z",      // day 31 in April
        "2026-02-29T00:00:00Z",      // not a leap year
        "1900-02-29T00:00:00Z",      // century, not a leap year
        "2026-11-00T00:00:00Z",      // day 0
        "2026-11-23T24:00:00Z",      // hour 24
        "2026-11-23T08:60:00Z",      // minute 60
        "2016-12-31T23:59:60Z",      // leap second
        "2026-11-23T08:03:00Zjunk",  // trailing garbage
        "2026-11-23T08:03:00Z ",     // trailing space
        " 2026-11-23T08:03:00Z",     // leading space
        "2026-11-23T08:03:00.Z",     // empty fraction
        "2026-11-23X08:03:00Z",      // bad separator
        "2026/11/23T08:03:00Z",      // bad date separator
        "2026-11-23T08-03-00Z",      // bad time separator
        "2026-11-23T08:03:00+0100",  // offset without colon
        "2026-11-23T08:03:00+01",    // short offset
        "2026-11-23T08:03:00+24:00", // offset hour 24
        "2026-11-23T08:03:00+01:60", // offset minute 60
        "2026-11-23T8:03:00Z",       // one-digit hour
        "+2026-11-23T08:03:00Z",     // signed year
        "2026-11-23T08:03:0aZ",      // non-digit
        "2026-11-23T08:03:00.12a3Z", // non-digit in fraction
        "2026-11-23T08:03:00.123",   // fraction, no offset
    ];
    for s in bad {
        assert_eq!(parse_rfc3339(s), None, "{s:?} should be rejected");
    }
    assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
    assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
}

#[test]
fn epoch_edges() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(1), "1970-01-01T00:00:00.001Z");
    assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59.999Z"), Some(-1));
    assert_eq!(format_rfc3339(-1000), "1969-12-31T23:59:59Z");
}

#[test]
fn formats_and_clamps_year_range() {
    let t = parse_rfc3339("2026-11-23T08:03:00.120Z").unwrap();
    assert_eq!(format_rfc3339(t), "2026-11-23T08:03:00.120Z");
    assert_eq!(format_rfc3339(t - 120), "2026-11-23T08:03:00Z");
    let min = parse_rfc3339("0000-01-01T00:00:00Z").unwrap();
    let max = parse_rfc3339("9999-12-31T23:59:59.999Z").unwrap();
    assert_eq!(format_rfc3339(min), "0000-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(max), "9999-12-31T23:59:59.999Z");
    assert_eq!(format_rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(i64::MAX), "9999-12-31T23:59:59.999Z");
    assert_eq!(format_rfc3339(min - 1), "0000-01-01T00:00:00Z");
}

#[test]
fn writers_append() {
    let t = parse_rfc3339("2026-11-23T08:03:00.007Z").unwrap();
    let mut s = String::from("at=");
    write_rfc3339(&mut s, t);
    assert_eq!(s, "at=2026-11-23T08:03:00.007Z");
    let mut v = b"[".to_vec();
    write_rfc3339_bytes(&mut v, t - 7);
    assert_eq!(v, b"[2026-11-23T08:03:00Z");
    write_rfc3339_quoted(&mut v, t);
    assert_eq!(v, b"[2026-11-23T08:03:00Z\"2026-11-23T08:03:00.007Z\"");
}

#[test]
fn civil_days_match_chrono() {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    for days in (-800_000..3_000_000).step_by(997).chain(-1000..1000) {
        let date = epoch + chrono::Duration::days(i64::from(days));
        let ymd = (date.year(), date.month(), date.day());
        assert_eq!(civil_from_days(days), ymd, "days {days}");
        assert_eq!(days_from_civil(ymd.0, ymd.1, ymd.2), days);
    }
}

#[test]
fn dates_parse_and_format() {
    let d = parse_date("2026-11-23").unwrap();
    assert_eq!(civil_from_days(d), (2026, 11, 23));
    assert_eq!(format_date(d), "2026-11-23");
    assert_eq!(format_date(0), "1970-01-01");
    assert_eq!(
        parse_date("2024-02-29").map(format_date).as_deref(),
        Some("2024-02-29")
    );
    for bad in [
        "2026-02-29",
        "2026-04-31",
        "2026-4-01",
        "2026-11-23T",
        "2026-11-2",
        "20261123",
        "2026-13-01",
        "",
    ] {
        assert_eq!(parse_date(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn format_round_trips_and_matches_chrono(t in T_1900..T_2200) {
        let s = format_rfc3339(t);
        prop_assert_eq!(parse_rfc3339(&s), Some(t));
        prop_assert_eq!(&s, &chrono_format(t));
    }

    #[test]
    fn whole_seconds_round_trip(secs in (T_1900 / 1000)..(T_2200 / 1000)) {
        let t = secs * 1000;
        let s = format_rfc3339(t);
        prop_assert_eq!(s.len(), 20);
        prop_assert_eq!(parse_rfc3339(&s), Some(t));
        prop_assert_eq!(&s, &chrono_format(t));
    }

    #[test]
    fn offsets_match_chrono(t in T_1900..T_2200, offset_min in -(23 * 60 + 59)..(23 * 60 + 59i32)) {
        let fixed = chrono::FixedOffset::east_opt(offset_min * 60).unwrap();
        let s = DateTime::from_timestamp_millis(t).unwrap().with_timezone(&fixed)
            .to_rfc3339_opts(SecondsFormat::Millis, false);
        prop_assert_eq!(parse_rfc3339(&s), Some(t), "{}", s);
    }

    #[test]
    fn dates_round_trip(days in -719_528i32..2_932_896) {
        let s = format_date(days);
        prop_assert_eq!(parse_date(&s), Some(days));
    }
}

/// The cache of rendered instants: many instants sharing slots, each written again and again
/// in shuffled order (hits, misses and evictions), whole seconds and milliseconds.
#[test]
fn cached_instants_render_as_chrono_does() {
    let mut seed = 11u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 17
    };
    let base: Millis = 1_795_000_000_000;
    let instants: Vec<Millis> = (0..2000)
        .map(|i| match i % 4 {
            0 => base + (i as i64) * 900_000,
            1 => base + (next() % 86_400) as i64 * 1000,
            2 => base + (next() % 86_400_000) as i64,
            _ => T_1900 + (next() % (T_2200 - T_1900) as u64) as i64 / 1000 * 1000,
        })
        .collect();
    for _ in 0..20 {
        for _ in 0..instants.len() {
            let t = instants[next() as usize % instants.len()];
            let mut out = Vec::new();
            write_rfc3339_quoted(&mut out, t);
            assert_eq!(out, format!("\"{}\"", chrono_format(t)).into_bytes());
        }
    }
}
