//! How a person's records begin: the key `account/person` and the fields
//! `{"account":…,"person":…`. The account's part of both is rendered once per account
//! ([`AccountHead`]); a person id that needs neither escaping nor percent-encoding (checked
//! eight bytes at a time) is copied as it is.

use crate::json::{k, write_str, ObjectWriter};
use crate::time::Millis;

/// One part of a record key: `/` and `%` percent-encoded (`%2F`, `%25`, SPEC §2), so the parts
/// of every key rta writes split back unambiguously on `/`.
#[inline]
pub fn key_part(k: &mut Vec<u8>, part: &str) {
    let b = part.as_bytes();
    if !b.iter().any(|&c| c == b'/' || c == b'%') {
        k.extend_from_slice(b);
        return;
    }
    for &c in b {
        match c {
            b'/' => k.extend_from_slice(b"%2F"),
            b'%' => k.extend_from_slice(b"%25"),
            c => k.push(c),
        }
    }
}

pub fn person_key(k: &mut Vec<u8>, account: &str, person: &str) {
    key_part(k, account);
    k.push(b'/');
    key_part(k, person);
}

/// An account's part of its persons' record keys and values, rendered once.
#[derive(Clone, Debug)]
pub struct AccountHead {
    /// `account/`, percent-encoded.
    key: Box<[u8]>,
    /// `{"account":"…","person":"`, escaped.
    json: Box<[u8]>,
}

impl AccountHead {
    pub fn new(account: &str) -> AccountHead {
        let mut key = Vec::new();
        key_part(&mut key, account);
        key.push(b'/');
        let mut json = Vec::new();
        ObjectWriter::new(&mut json).str(k!("account"), account);
        json.extend_from_slice(k!("person").as_bytes());
        json.push(b'"');
        AccountHead {
            key: key.into(),
            json: json.into(),
        }
    }
}

/// Whether `b` has no byte a JSON string escapes (control, `"`, `\`) and no `/` or `%`
/// (SWAR, eight bytes per step; a flagged word always holds a true match).
#[inline]
fn plain(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn zero_bytes(w: u64) -> u64 {
        w.wrapping_sub(ONES) & !w & HIGH
    }
    #[inline(always)]
    fn special(w: u64) -> u64 {
        (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | zero_bytes(w ^ (ONES * b'"' as u64))
            | zero_bytes(w ^ (ONES * b'\\' as u64))
            | zero_bytes(w ^ (ONES * b'/' as u64))
            | zero_bytes(w ^ (ONES * b'%' as u64))
    }
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if special(u64::from_le_bytes(w)) != 0 {
            return false;
        }
    }
    let rest = chunks.remainder();
    let mut w = [b'a'; 8];
    w[..rest.len()].copy_from_slice(rest);
    special(u64::from_le_bytes(w)) == 0
}

/// Whose record: the account's head and the person's id.
#[derive(Clone, Copy)]
pub struct Who<'a> {
    head: &'a AccountHead,
    person: &'a str,
    /// The id is written as it is, in the key and in JSON.
    plain: bool,
}

impl<'a> Who<'a> {
    #[inline]
    pub fn new(head: &'a AccountHead, person: &'a str) -> Who<'a> {
        Who {
            head,
            person,
            plain: plain(person.as_bytes()),
        }
    }

    /// `account/person`.
    #[inline]
    pub fn key(&self, k: &mut Vec<u8>) {
        k.extend_from_slice(&self.head.key);
        if self.plain {
            k.extend_from_slice(self.person.as_bytes());
        } else {
            key_part(k, self.person);
        }
    }

    /// `account/person/start`.
    #[inline]
    pub fn interval_key(&self, k: &mut Vec<u8>, start: Millis) {
        self.key(k);
        k.push(b'/');
        crate::time::write_rfc3339_bytes(k, start);
    }

    /// `{"account":…,"person":…`: the writer continues the object.
    #[inline]
    pub fn fields<'o>(&self, out: &'o mut Vec<u8>) -> ObjectWriter<'o> {
        out.extend_from_slice(&self.head.json);
        if self.plain {
            out.extend_from_slice(self.person.as_bytes());
            out.push(b'"');
        } else {
            out.pop(); // the opening quote: written with the escaped id
            write_str(out, self.person);
        }
        ObjectWriter::resume(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_id_render_as_the_field_by_field_writer_does() {
        for account in ["acme", "a/b%c", "q\"x"] {
            let head = AccountHead::new(account);
            for person in [
                "",
                "p1",
                "p0000001",
                "p00000012",
                "a/b",
                "x%y",
                "q\"uote",
                "t\tab",
                "éé/",
            ] {
                let who = Who::new(&head, person);
                let mut key = Vec::new();
                who.key(&mut key);
                let mut want = Vec::new();
                person_key(&mut want, account, person);
                assert_eq!(key, want, "{account} {person}");
                let mut out = Vec::new();
                who.fields(&mut out).end();
                let mut want = Vec::new();
                let mut o = ObjectWriter::new(&mut want);
                o.str(k!("account"), account).str(k!("person"), person);
                o.end();
                assert_eq!(out, want, "{account} {person}");
            }
        }
    }

    #[test]
    fn plain_finds_a_special_byte_at_every_position() {
        for len in 1..20 {
            for at in 0..len {
                for c in [b'/', b'%', b'"', b'\\', 0, 0x1f] {
                    let mut b = vec![b'x'; len];
                    assert!(plain(&b));
                    b[at] = c;
                    assert!(!plain(&b), "{b:?}");
                }
            }
        }
    }
}
