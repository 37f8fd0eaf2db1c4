//! The quickest reading of a contact-events body: a hand-written scanner for the bodies relays
//! actually send — valid JSON without escapes — that takes each item's fields exactly as the
//! careful reading does ([`Fields`]: strings borrowed, `null` as absent, unknown fields
//! skipped, `timestamp` as its raw JSON text). It validates the JSON grammar of everything it
//! passes over (strings eight bytes at a time with [`crate::json::first_special`]) and gives up
//! — `None`, and the next reading decides — at anything else: a backslash or control character
//! in a string, a duplicate field, an item or `properties` that is not an object, a flag that is
//! not true, false or null, a `duration` serde would not read as f64, nesting deeper than 32,
//! more than `max` items, a missing or null `data` or `meta`, bad JSON or UTF-8. Numbers are
//! checked against the JSON grammar here and converted by serde_json itself, so they read as
//! in the other readings.

use super::{Fields, Properties, Text};
use std::borrow::Cow;

/// Deepest nesting passed over (well below serde_json's 128, so the careful reading never
/// refuses what this one accepts).
const MAX_DEPTH: u32 = 32;

/// The items of an escape-free, well-formed body with at most `max` of them; None otherwise.
pub(super) fn read(payload: &[u8], max: usize) -> Option<Vec<Fields<'_>>> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut s = Scanner { t: text, i: 0 };
    s.ws();
    s.eat(b'{')?;
    let (mut data, mut meta) = (None, None);
    s.members(|s, key| {
        match key {
            "data" if data.is_none() => data = Some(s.data(max)?),
            "meta" if meta.is_none() => {
                let null = s.is_null();
                if !null {
                    s.skip(1)?;
                }
                meta = Some(!null);
            }
            "data" | "meta" => return None,
            _ => s.skip(1)?,
        }
        Some(())
    })?;
    s.ws();
    if s.i != s.t.len() || meta != Some(true) {
        return None;
    }
    data
}

struct Scanner<'a> {
    t: &'a str,
    i: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.t.as_bytes().get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes or control characters (the opening quote next).
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = &self.t.as_bytes()[self.i..];
        let n = crate::json::first_special(rest)?;
        if rest[n] != b'"' {
            return None;
        }
        let s = self.t.get(self.i..self.i + n)?;
        self.i += n + 1;
        Some(s)
    }

    /// `true`, `false` or `null` (exactly `word`).
    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.i + word.len();
        (self.t.as_bytes().get(self.i..end)? == word.as_bytes()).then(|| self.i = end)
    }

    fn is_null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal("null").is_some()
    }

    /// A number by the JSON grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        let b = self.t.as_bytes();
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.i = i;
        self.t.get(start..i)
    }

    /// Pass over one value (whitespace before it included), validating it.
    fn skip(&mut self, depth: u32) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' if depth < MAX_DEPTH => {
                self.i += 1;
                self.members(|s, _| s.skip(depth + 1))
            }
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                self.elements(|s| s.skip(depth + 1))
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number().map(drop),
        }
    }

    /// The members of an object whose `{` was just read, up to its `}`: `f` reads each value
    /// (the scanner is at the value, whitespace before it skipped).
    fn members(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            f(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The elements of an array whose `[` was just read, up to its `]`.
    fn elements(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            f(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `data`: an array of at most `max` objects.
    fn data(&mut self, max: usize) -> Option<Vec<Fields<'a>>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.elements(|s| {
            if items.len() == max {
                return None;
            }
            items.push(s.item()?);
            Some(())
        })?;
        Some(items)
    }

    /// One item (an object).
    fn item(&mut self) -> Option<Fields<'a>> {
        self.eat(b'{')?;
        type Slot<T> = Option<Option<T>>;
        fn set<T>(slot: &mut Slot<T>, v: Option<T>) -> Option<()> {
            slot.is_none().then(|| *slot = Some(v))
        }
        let (mut qid, mut qname, mut channel): (Slot<Text>, Slot<Text>, Slot<Text>) =
            (None, None, None);
        let mut ts: Slot<&'a str> = None;
        let mut props: Slot<Properties> = None;
        self.members(|s, key| match key {
            "queueIdentifier" => set(&mut qid, s.text()?),
            "queueName" => set(&mut qname, s.text()?),
            "channel" => set(&mut channel, s.text()?),
            "timestamp" => {
                let v = if s.is_null() {
                    None
                } else {
                    let start = s.i;
                    s.skip(3)?;
                    Some(s.t.get(start..s.i)?)
                };
                set(&mut ts, v)
            }
            "properties" => {
                let v = if s.is_null() {
                    None
                } else {
                    Some(s.properties()?)
                };
                set(&mut props, v)
            }
            _ => s.skip(3),
        })?;
        Some(Fields {
            queue_identifier: qid.flatten(),
            queue_name: qname.flatten(),
            channel: channel.flatten(),
            timestamp: ts.flatten(),
            properties: props.flatten(),
        })
    }

    /// A text field: None for null, a string, or another value (`NotStr`).
    fn text(&mut self) -> Option<Option<Text<'a>>> {
        match self.peek()? {
            b'"' => Some(Some(Text::Str(Cow::Borrowed(self.string()?)))),
            b'n' => self.literal("null").map(|()| None),
            _ => self.skip(3).map(|()| Some(Text::NotStr)),
        }
    }

    /// `properties`: an object of flags and a duration.
    fn properties(&mut self) -> Option<Properties> {
        self.eat(b'{')?;
        let (mut offered, mut handled, mut duration) = (None, None, None);
        self.members(|s, key| match key {
            "offered" => set_once(&mut offered, s.flag()?),
            "handled" => set_once(&mut handled, s.flag()?),
            "duration" => {
                let v = if s.is_null() {
                    None
                } else {
                    // serde_json's own conversion, as the other readings use
                    Some(serde_json::from_str::<f64>(s.number()?).ok()?)
                };
                set_once(&mut duration, v)
            }
            _ => s.skip(4),
        })?;
        Some(Properties {
            offered: offered.flatten(),
            handled: handled.flatten(),
            duration: duration.flatten(),
        })
    }

    /// true, false or null.
    fn flag(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b't' => self.literal("true").map(|()| Some(true)),
            b'f' => self.literal("false").map(|()| Some(false)),
            b'n' => self.literal("null").map(|()| None),
            _ => None,
        }
    }
}

fn set_once<T>(slot: &mut Option<Option<T>>, v: Option<T>) -> Option<()> {
    slot.is_none().then(|| *slot = Some(v))
}
