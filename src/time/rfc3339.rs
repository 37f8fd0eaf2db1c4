//! Hand-written, allocation-free RFC 3339 parsing and formatting of [`Millis`].

use super::civil::{civil_from_days, days_from_civil, digit, digits2, parse_ymd};
use super::{Millis, MS_PER_DAY};
use std::cell::RefCell;

/// First instant that formats with a 4-digit year: `0000-01-01T00:00:00Z`.
const MIN_FORMATTABLE: Millis = -62_167_219_200_000;
/// Last instant that formats with a 4-digit year: `9999-12-31T23:59:59.999Z`.
const MAX_FORMATTABLE: Millis = 253_402_300_799_999;

/// Parse an RFC 3339 timestamp into milliseconds since the epoch.
///
/// Accepts `YYYY-MM-DD`, a `T`, `t` or space separator, `HH:MM:SS`, optional
/// fractional seconds of any length (digits past the third are truncated) and an
/// offset `Z`, `z` or `±HH:MM`. Returns `None` for anything else, including
/// impossible dates, hour 24, leap second `:60`, a missing offset or trailing bytes.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let (year, month, day) = parse_ymd(b)?;
    if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let hour = digits2(b, 11)?;
    let minute = digits2(b, 14)?;
    let second = digits2(b, 17)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }

    let mut i = 19;
    let mut millis: i64 = 0;
    if b[i] == b'.' {
        i += 1;
        let first = i;
        while let Some(d) = digit(b, i) {
            if i - first < 3 {
                millis = millis * 10 + i64::from(d);
            }
            i += 1;
        }
        match i - first {
            0 => return None,
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }

    let offset_minutes: i64 = match *b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let oh = digits2(b, i + 1)?;
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            let om = digits2(b, i + 4)?;
            if oh > 23 || om > 59 {
                return None;
            }
            i += 6;
            let m = i64::from(oh * 60 + om);
            if sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }

    let days = i64::from(days_from_civil(year, month, day));
    let secs = i64::from((hour * 60 + minute) * 60 + second) - offset_minutes * 60;
    Some(days * MS_PER_DAY + secs * 1000 + millis)
}

/// `"00"` to `"99"`.
const DIGITS2: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

#[inline(always)]
fn put2(buf: &mut [u8], i: usize, v: u32) {
    let v = (v % 100) as usize;
    buf[i] = DIGITS2[2 * v];
    buf[i + 1] = DIGITS2[2 * v + 1];
}

/// `YYYY-MM-DDT` of a day since the epoch.
fn date_prefix(days: i64) -> [u8; 11] {
    let (year, month, day) = civil_from_days(days as i32);
    let year = year.clamp(0, 9999) as u32;
    let mut p = [0u8; 11];
    put2(&mut p, 0, year / 100);
    put2(&mut p, 2, year % 100);
    p[4] = b'-';
    put2(&mut p, 5, month);
    p[7] = b'-';
    put2(&mut p, 8, day);
    p[10] = b'T';
    p
}

/// Instants rendered recently (whole seconds only), by a hash of the instant: interval
/// boundaries and schedule segment ends recur in record after record, across persons.
const SLOTS: usize = 256;

struct Cache {
    /// The date prefix rendered last: records mostly carry instants of the same day.
    day: i64,
    prefix: [u8; 11],
    slots: [(Millis, [u8; 20]); SLOTS],
}

thread_local! {
    static CACHE: RefCell<Cache> = const {
        RefCell::new(Cache {
            day: i64::MIN,
            prefix: [0; 11],
            slots: [(i64::MIN, [0; 20]); SLOTS],
        })
    };
}

/// Render `t` into `buf[1..]` (`buf[0]` is left for an opening quote), returning the index
/// after the last byte written (21 or 25).
#[inline(always)]
fn render(buf: &mut [u8; 26], t: Millis) -> usize {
    let t = t.clamp(MIN_FORMATTABLE, MAX_FORMATTABLE);
    CACHE.with(|c| match c.try_borrow_mut() {
        Ok(mut c) => {
            let slot = ((t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % SLOTS;
            if c.slots[slot].0 == t {
                buf[1..21].copy_from_slice(&c.slots[slot].1);
                return 21;
            }
            let days = t.div_euclid(MS_PER_DAY);
            if c.day != days {
                c.day = days;
                c.prefix = date_prefix(days);
            }
            let n = render_time(buf, t, &c.prefix);
            if n == 21 {
                let mut s = [0u8; 20];
                s.copy_from_slice(&buf[1..21]);
                c.slots[slot] = (t, s);
            }
            n
        }
        // (not reentrant; never taken)
        Err(_) => render_time(buf, t, &date_prefix(t.div_euclid(MS_PER_DAY))),
    })
}

/// Render `t` (in range) after its date prefix.
#[inline(always)]
fn render_time(buf: &mut [u8; 26], t: Millis, prefix: &[u8; 11]) -> usize {
    let ms_of_day = t.rem_euclid(MS_PER_DAY);
    buf[1..12].copy_from_slice(prefix);
    let secs = (ms_of_day / 1000) as u32;
    let ms = (ms_of_day % 1000) as u32;
    put2(buf, 12, secs / 3600);
    buf[14] = b':';
    put2(buf, 15, secs / 60 % 60);
    buf[17] = b':';
    put2(buf, 18, secs % 60);
    if ms == 0 {
        buf[20] = b'Z';
        21
    } else {
        buf[20] = b'.';
        buf[21] = b'0' + (ms / 100) as u8;
        put2(buf, 22, ms % 100);
        buf[24] = b'Z';
        25
    }
}

/// Append `t` as RFC 3339 UTC: `2026-11-23T08:03:00Z`, or `2026-11-23T08:03:00.123Z`
/// when the millisecond part is non-zero. Instants outside years 0000–9999 are clamped.
pub fn write_rfc3339(out: &mut String, t: Millis) {
    let mut buf = [0u8; 26];
    let n = render(&mut buf, t);
    // `render` writes ASCII only, so this never fails.
    if let Ok(s) = std::str::from_utf8(&buf[1..n]) {
        out.push_str(s);
    }
}

/// Like [`write_rfc3339`], appending bytes to a `Vec<u8>`.
pub fn write_rfc3339_bytes(out: &mut Vec<u8>, t: Millis) {
    let mut buf = [0u8; 26];
    // two fixed-size copies (no call to memcpy for a variable length)
    if render(&mut buf, t) == 21 {
        out.extend_from_slice(&buf[1..21]);
    } else {
        out.extend_from_slice(&buf[1..25]);
    }
}

/// Like [`write_rfc3339_bytes`], as a JSON string (in quotes): one copy.
#[inline]
pub fn write_rfc3339_quoted(out: &mut Vec<u8>, t: Millis) {
    let mut buf = [0u8; 26];
    buf[0] = b'"';
    if render(&mut buf, t) == 21 {
        buf[21] = b'"';
        out.extend_from_slice(&buf[..22]);
    } else {
        buf[25] = b'"';
        out.extend_from_slice(&buf[..26]);
    }
}

/// [`write_rfc3339`] into a new `String`.
pub fn format_rfc3339(t: Millis) -> String {
    let mut s = String::with_capacity(24);
    write_rfc3339(&mut s, t);
    s
}
