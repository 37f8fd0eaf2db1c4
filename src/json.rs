//! A small, allocation-light JSON writer for the hot output path (agent states, intervals),
//! where serde's generic machinery costs more than the records themselves.

use crate::time::Millis;

mod text;
pub use text::Text;

/// Bytes that need escaping inside a JSON string.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any byte is a control character, `"` or `\\`.
#[inline]
pub(crate) fn needs_escape(bytes: &[u8]) -> bool {
    first_special(bytes).is_some()
}

/// The index of the first control character, `"` or `\\` (SWAR: eight bytes per step). Within
/// a word the lowest flagged byte is always a true match (borrows only run upwards), so the
/// first match is exact.
#[inline]
pub(crate) fn first_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn zero_bytes(w: u64) -> u64 {
        w.wrapping_sub(ONES) & !w & HIGH
    }
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let m =
            control | zero_bytes(w ^ (ONES * b'"' as u64)) | zero_bytes(w ^ (ONES * b'\\' as u64));
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    // the tail as one word, padded with a byte that needs no escaping
    let rest = chunks.remainder();
    if rest.is_empty() {
        return None;
    }
    let mut w = [b'a'; 8];
    w[..rest.len()].copy_from_slice(rest);
    let w = u64::from_le_bytes(w);
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let m = control | zero_bytes(w ^ (ONES * b'"' as u64)) | zero_bytes(w ^ (ONES * b'\\' as u64));
    (m != 0).then(|| at + (m.trailing_zeros() / 8) as usize)
}

/// Append `s` as a JSON string literal.
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Almost every string needs no escaping: check eight bytes at a time, copy at once.
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The key literal the [`ObjectWriter`] methods take: `k!("name")` is `,"name":`, so a field
/// costs one copy of a constant.
macro_rules! k {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}
pub(crate) use k;

/// Builds one JSON object field by field. Keys are [`k!`] literals (ASCII identifiers chosen
/// by us); keys from data go through [`ObjectWriter::dyn_key`], which escapes them.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    #[inline(always)]
    pub fn new(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        ObjectWriter { out, first: true }
    }

    /// Bytes written to the buffer so far (all records of it, not only this object's).
    #[inline(always)]
    pub fn written_len(&self) -> usize {
        self.out.len()
    }

    /// The bytes written to the buffer so far.
    #[inline(always)]
    pub fn written(&self) -> &[u8] {
        self.out
    }

    /// Write a `k!` literal; the first field's comma becomes the opening brace.
    #[inline(always)]
    fn key(&mut self, lit: &'static str) {
        debug_assert!(lit.starts_with(",\"") && lit.ends_with("\":"));
        self.out.extend_from_slice(lit.as_bytes());
        if self.first {
            self.first = false;
            let i = self.out.len() - lit.len();
            self.out[i] = b'{';
        }
    }

    /// A key taken from data (escaped).
    #[inline]
    fn dyn_key(&mut self, k: &str) {
        self.out.push(if self.first { b'{' } else { b',' });
        self.first = false;
        write_str(self.out, k);
        self.out.push(b':');
    }

    /// A field with a key taken from data and a duration value (see [`ObjectWriter::secs`]).
    pub fn dyn_secs(&mut self, k: &str, ms: i64) -> &mut Self {
        self.dyn_key(k);
        write_secs(self.out, ms);
        self
    }

    /// An object whose first fields are already written (see `engine::output::head`).
    #[inline(always)]
    pub fn resume(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        ObjectWriter { out, first: false }
    }

    /// A string from the config, written from its pre-rendered literal.
    #[inline(always)]
    pub fn text(&mut self, k: &'static str, v: &Text) -> &mut Self {
        self.key(k);
        self.out.extend_from_slice(v.json());
        self
    }

    /// Like [`ObjectWriter::text`], or null.
    #[inline(always)]
    pub fn opt_text(&mut self, k: &'static str, v: Option<&Text>) -> &mut Self {
        match v {
            Some(v) => self.text(k, v),
            None => self.null(k),
        }
    }

    /// A field with a key from the config and a duration value (see [`ObjectWriter::secs`]).
    pub fn text_secs(&mut self, k: &Text, ms: i64) -> &mut Self {
        self.out.push(if self.first { b'{' } else { b',' });
        self.first = false;
        self.out.extend_from_slice(k.json());
        self.out.push(b':');
        write_secs(self.out, ms);
        self
    }

    #[inline(always)]
    pub fn str(&mut self, k: &'static str, v: &str) -> &mut Self {
        self.key(k);
        write_str(self.out, v);
        self
    }

    /// A string constant of ours that needs no escaping (labels such as `"notPresent"`).
    #[inline(always)]
    pub fn label(&mut self, k: &'static str, v: &'static str) -> &mut Self {
        debug_assert!(!needs_escape(v.as_bytes()));
        self.key(k);
        self.out.push(b'"');
        self.out.extend_from_slice(v.as_bytes());
        self.out.push(b'"');
        self
    }

    #[inline(always)]
    pub fn opt_str(&mut self, k: &'static str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }

    #[inline(always)]
    pub fn null(&mut self, k: &'static str) -> &mut Self {
        self.key(k);
        self.out.extend_from_slice(b"null");
        self
    }

    #[inline(always)]
    pub fn bool(&mut self, k: &'static str, v: bool) -> &mut Self {
        self.key(k);
        self.out
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
        self
    }

    #[inline(always)]
    pub fn u64(&mut self, k: &'static str, v: u64) -> &mut Self {
        self.key(k);
        write_uint(self.out, v);
        self
    }

    #[inline(always)]
    pub fn time(&mut self, k: &'static str, t: Millis) -> &mut Self {
        self.key(k);
        crate::time::write_rfc3339_quoted(self.out, t);
        self
    }

    /// A local date (days since the epoch) as `YYYY-MM-DD`.
    #[inline(always)]
    pub fn date(&mut self, k: &'static str, days: i32) -> &mut Self {
        self.key(k);
        let (y, m, d) = crate::time::civil_from_days(days);
        let y = y.clamp(0, 9999) as u32;
        let digits = [
            b'"',
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
            b'"',
        ];
        self.out.extend_from_slice(&digits);
        self
    }

    #[inline(always)]
    pub fn opt_time(&mut self, k: &'static str, t: Option<Millis>) -> &mut Self {
        match t {
            Some(t) => self.time(k, t),
            None => self.null(k),
        }
    }

    /// A duration in milliseconds, written as seconds (integer when whole).
    #[inline(always)]
    pub fn secs(&mut self, k: &'static str, ms: i64) -> &mut Self {
        self.key(k);
        write_secs(self.out, ms);
        self
    }

    /// A percentage with two decimals, or null.
    #[inline(always)]
    pub fn percent(&mut self, k: &'static str, v: Option<f64>) -> &mut Self {
        self.key(k);
        match v {
            Some(p) if p.is_finite() && p.abs() < 1e15 => {
                // two decimals, trailing zeros trimmed: 99.17, 100, 66.7
                let hundredths = (p * 100.0).round() as i64;
                if hundredths < 0 {
                    self.out.push(b'-');
                }
                let h = hundredths.unsigned_abs();
                write_uint(self.out, h / 100);
                let frac = h % 100;
                if frac != 0 {
                    self.out.push(b'.');
                    self.out.push(b'0' + (frac / 10) as u8);
                    if !frac.is_multiple_of(10) {
                        self.out.push(b'0' + (frac % 10) as u8);
                    }
                }
            }
            _ => self.out.extend_from_slice(b"null"),
        }
        self
    }

    /// Start a nested object under a key taken from data (escaped).
    pub fn dyn_object(&mut self, k: &str) -> ObjectWriter<'_> {
        self.dyn_key(k);
        ObjectWriter::new(self.out)
    }

    /// Start a nested object under `k`; finish it with `end` before writing more fields here.
    #[inline(always)]
    pub fn object(&mut self, k: &'static str) -> ObjectWriter<'_> {
        self.key(k);
        ObjectWriter::new(self.out)
    }

    /// Write a raw, already-encoded JSON value.
    #[inline(always)]
    pub fn raw(&mut self, k: &'static str, json: &[u8]) -> &mut Self {
        self.key(k);
        self.out.extend_from_slice(json);
        self
    }

    /// Start a list under `k`.
    #[inline(always)]
    pub fn array_of_str<'s>(
        &mut self,
        k: &'static str,
        items: impl IntoIterator<Item = &'s str>,
    ) -> &mut Self {
        self.key(k);
        self.out.push(b'[');
        for (i, s) in items.into_iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_str(self.out, s);
        }
        self.out.push(b']');
        self
    }

    #[inline(always)]
    pub fn end(self) {
        if self.first {
            self.out.push(b'{');
        }
        self.out.push(b'}');
    }
}

/// A non-negative integer in decimal. Below 100,000 (the usual seconds, revisions and
/// percentages) each length is a copy of a fixed size, without itoa's buffer and a
/// variable-length copy.
#[inline(always)]
pub fn write_uint(out: &mut Vec<u8>, v: u64) {
    #[inline(always)]
    fn d(v: u64) -> u8 {
        b'0' + (v % 10) as u8
    }
    if v >= 100_000 {
        return write_large_uint(out, v);
    }
    if v < 10 {
        out.push(d(v));
    } else if v < 100 {
        out.extend_from_slice(&[d(v / 10), d(v)]);
    } else if v < 1000 {
        out.extend_from_slice(&[d(v / 100), d(v / 10), d(v)]);
    } else if v < 10_000 {
        out.extend_from_slice(&[d(v / 1000), d(v / 100), d(v / 10), d(v)]);
    } else {
        out.extend_from_slice(&[d(v / 10_000), d(v / 1000), d(v / 100), d(v / 10), d(v)]);
    }
}

/// [`write_uint`] from 100,000 up: apart and never inlined, so that the usual small numbers
/// are written without itoa's buffer on the stack (a call and a stack frame per number were
/// ~23 instructions of `write_uint`'s ~59, `benches/hot_loop.rs` under callgrind).
#[cold]
#[inline(never)]
fn write_large_uint(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Milliseconds as seconds: `180`, `0.5`, `12.345`.
pub fn write_secs(out: &mut Vec<u8>, ms: i64) {
    if ms == 0 {
        out.push(b'0');
        return;
    }
    let neg = ms < 0;
    let abs = ms.unsigned_abs();
    if neg {
        out.push(b'-');
    }
    write_uint(out, abs / 1000);
    let frac = abs % 1000;
    if frac != 0 {
        out.push(b'.');
        let digits = [
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ];
        let len = if digits[2] != b'0' {
            3
        } else if digits[1] != b'0' {
            2
        } else {
            1
        };
        out.extend_from_slice(&digits[..len]);
    }
}

#[cfg(test)]
mod tests;
