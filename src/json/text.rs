//! A config string kept beside its JSON rendering (quoted, escaped), so that output records
//! copy it in one go instead of checking it for escapes every time they are written.

use std::fmt;
use std::ops::Deref;

/// A string and its JSON string literal. Derefs to the string.
#[derive(Clone, PartialEq, Eq)]
pub struct Text {
    s: Box<str>,
    /// `"…"`, escaped.
    json: Box<[u8]>,
}

impl Text {
    pub fn new(s: &str) -> Text {
        let mut json = Vec::with_capacity(s.len() + 2);
        super::write_str(&mut json, s);
        Text {
            s: s.into(),
            json: json.into(),
        }
    }

    /// The JSON string literal, quotes included.
    #[inline(always)]
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// Whether the literal is the string in quotes (nothing escaped).
    #[inline(always)]
    pub fn plain(&self) -> bool {
        self.json().len() == self.s.len() + 2
    }

    pub fn as_str(&self) -> &str {
        &self.s
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new("")
    }
}

impl Deref for Text {
    type Target = str;
    #[inline(always)]
    fn deref(&self) -> &str {
        &self.s
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.s, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.s, f)
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn literal_is_the_escaped_string() {
        for s in ["", "a", "Break", "a\"b", "x\\y\n", "é/%"] {
            let t = Text::new(s);
            let back: String = serde_json::from_slice(t.json()).unwrap();
            assert_eq!(back, s);
            assert_eq!(&*t, s);
            assert_eq!(t.plain(), !s.contains(['"', '\\', '\n']));
        }
        assert_eq!(Text::default().json(), b"\"\"");
        assert!(Text::default().plain());
    }
}
