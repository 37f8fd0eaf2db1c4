//! Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil algorithms)
//! and `YYYY-MM-DD` dates.

/// Whether `y` is a Gregorian leap year.
#[inline]
pub(crate) fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Number of days in month `m` (1–12) of year `y`; 0 for an invalid month.
#[inline]
pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 for a civil date (proleptic Gregorian).
///
/// The date is not validated: `m` should be 1–12 and `d` 1–31. Results outside
/// the `i32` range saturate.
#[inline]
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let m = i64::from(m);
    let d = i64::from(d);
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    let days = era * 146_097 + doe - 719_468;
    days.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Civil date `(year, month, day)` for a number of days since 1970-01-01.
#[inline]
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u32, d as u32)
}

/// One ASCII digit at `b[i]`, if any.
#[inline(always)]
pub(crate) fn digit(b: &[u8], i: usize) -> Option<u32> {
    let v = b.get(i)?.wrapping_sub(b'0');
    if v <= 9 {
        Some(u32::from(v))
    } else {
        None
    }
}

/// Two ASCII digits starting at `b[i]`.
#[inline(always)]
pub(crate) fn digits2(b: &[u8], i: usize) -> Option<u32> {
    Some(digit(b, i)? * 10 + digit(b, i + 1)?)
}

/// Parse a validated `YYYY-MM-DD` prefix of `b` into `(year, month, day)`.
#[inline(always)]
pub(crate) fn parse_ymd(b: &[u8]) -> Option<(i32, u32, u32)> {
    let year = digits2(b, 0)? * 100 + digits2(b, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits2(b, 5)?;
    let day = digits2(b, 8)?;
    let year = year as i32;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day))
}

/// Parse `YYYY-MM-DD` (validated, nothing before or after) into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    let (y, m, d) = parse_ymd(b)?;
    Some(days_from_civil(y, m, d))
}

/// Format days since 1970-01-01 as `YYYY-MM-DD` (years below 0 get a `-` sign,
/// years above 9999 more digits).
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    if y < 0 {
        format!("{y:05}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}
