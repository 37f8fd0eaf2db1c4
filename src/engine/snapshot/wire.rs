//! The byte level of changelog records: LEB128 varints (unsigned; signed ones zigzag-encoded),
//! length-prefixed UTF-8 strings and fixed little-endian words, written into a `Vec<u8>` and
//! read back by a [`Reader`] that never panics and never allocates more than the bytes it has
//! left: every count is checked against the remaining input before anything is reserved.

use super::SnapshotError;

/// Appends to a byte buffer.
pub struct Writer<'a>(pub &'a mut Vec<u8>);

impl Writer<'_> {
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    #[inline]
    pub fn uv(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    /// A signed value, zigzag-encoded (small magnitudes are short either way).
    #[inline]
    pub fn iv(&mut self, v: i64) {
        self.uv(((v << 1) ^ (v >> 63)) as u64);
    }

    #[inline]
    pub fn u64_fixed(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u128_fixed(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn str(&mut self, s: &str) {
        self.uv(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    pub fn bool(&mut self, b: bool) {
        self.0.push(b as u8);
    }
}

/// Reads what a [`Writer`] wrote; every error is [`SnapshotError::Corrupt`].
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn corrupt(what: &'static str) -> SnapshotError {
    SnapshotError::Corrupt(what)
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn u8(&mut self) -> Result<u8, SnapshotError> {
        let b = *self.buf.get(self.pos).ok_or(corrupt("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    pub fn uv(&mut self) -> Result<u64, SnapshotError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            if shift == 63 && b > 1 {
                return Err(corrupt("varint overflows 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("varint longer than 10 bytes"))
    }

    pub fn iv(&mut self) -> Result<i64, SnapshotError> {
        let u = self.uv()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// An unsigned varint that must fit 32 bits.
    pub fn u32v(&mut self) -> Result<u32, SnapshotError> {
        u32::try_from(self.uv()?).map_err(|_| corrupt("value exceeds 32 bits"))
    }

    /// A signed varint that must fit 32 bits.
    pub fn i32v(&mut self) -> Result<i32, SnapshotError> {
        i32::try_from(self.iv()?).map_err(|_| corrupt("value exceeds 32 bits"))
    }

    /// A count of items that take at least `min_bytes` each: never more than the input left
    /// could hold, so a reservation for it is bounded by the record's length.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, SnapshotError> {
        let n = self.uv()?;
        let cap = (self.remaining() / min_bytes.max(1)) as u64;
        if n > cap {
            return Err(corrupt("a count exceeds the bytes left (truncated)"));
        }
        Ok(n as usize)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if n > self.remaining() {
            return Err(corrupt("truncated"));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u64_fixed(&mut self) -> Result<u64, SnapshotError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(
            b.try_into().map_err(|_| corrupt("truncated"))?,
        ))
    }

    pub fn u128_fixed(&mut self) -> Result<u128, SnapshotError> {
        let b = self.take(16)?;
        Ok(u128::from_le_bytes(
            b.try_into().map_err(|_| corrupt("truncated"))?,
        ))
    }

    pub fn str(&mut self) -> Result<&'a str, SnapshotError> {
        let n = self.count(1)?;
        std::str::from_utf8(self.take(n)?).map_err(|_| corrupt("a string is not UTF-8"))
    }

    pub fn bool(&mut self) -> Result<bool, SnapshotError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("a flag is neither 0 nor 1")),
        }
    }

    /// The record must be fully consumed.
    pub fn end(&self) -> Result<(), SnapshotError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(corrupt("trailing bytes after the record"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        let us = [
            0u64,
            1,
            127,
            128,
            300,
            u32::MAX as u64,
            u64::MAX - 1,
            u64::MAX,
        ];
        let is = [0i64, -1, 1, -64, 64, i64::MIN, i64::MAX, 1_764_000_000_000];
        let mut buf = Vec::new();
        let mut w = Writer(&mut buf);
        us.iter().for_each(|&u| w.uv(u));
        is.iter().for_each(|&i| w.iv(i));
        w.str("héllo");
        let mut r = Reader::new(&buf);
        for &u in &us {
            assert_eq!(r.uv().unwrap(), u);
        }
        for &i in &is {
            assert_eq!(r.iv().unwrap(), i);
        }
        assert_eq!(r.str().unwrap(), "héllo");
        assert!(r.end().is_ok());
        // An 11-byte varint and an overflowing tenth byte are refused.
        assert!(Reader::new(&[0xff; 11]).uv().is_err());
        assert!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
                .uv()
                .is_err()
        );
        // A count larger than the bytes left is refused before any allocation.
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]);
        assert!(r.count(1).is_err());
    }
}
