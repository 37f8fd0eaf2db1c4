//! A fast reader for the common case of a flat JSON object whose values are strings without
//! escapes, numbers, booleans or null — what ACD relays send. Anything else returns `None` and
//! the caller falls back to serde_json, which also produces the error messages.

/// A value of a flat object, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flat<'a> {
    Str(&'a str),
    /// The number's text.
    Num(&'a str),
    Null,
    Bool,
}

/// Read `{"k":v,...}`; calls `field` for each pair. `None` when the input is not of this simple
/// shape (nested values, escapes, invalid UTF-8 or invalid JSON).
pub fn read_flat<'a>(input: &'a [u8], mut field: impl FnMut(&'a str, Flat<'a>)) -> Option<()> {
    // Validated once; every slice below starts and ends at an ASCII byte.
    let text = std::str::from_utf8(input).ok()?;
    let input = text.as_bytes();
    let mut i = skip_ws(input, 0);
    if input.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(input, i + 1);
    if input.get(i) == Some(&b'}') {
        return (skip_ws(input, i + 1) == input.len()).then_some(());
    }
    loop {
        let (key, next) = string(text, i)?;
        i = skip_ws(input, next);
        if input.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(input, i + 1);
        let (value, next) = match input.get(i)? {
            b'"' => {
                let (s, n) = string(text, i)?;
                (Flat::Str(s), n)
            }
            b'-' | b'0'..=b'9' => {
                let j = number_end(input, i)?;
                let number = text.get(i..j)?;
                // serde_json refuses numbers beyond f64 ("number out of range"): so does this
                number.parse::<f64>().ok().filter(|f| f.is_finite())?;
                (Flat::Num(number), j)
            }
            b'n' if input[i..].starts_with(b"null") => (Flat::Null, i + 4),
            b't' if input[i..].starts_with(b"true") => (Flat::Bool, i + 4),
            b'f' if input[i..].starts_with(b"false") => (Flat::Bool, i + 5),
            _ => return None,
        };
        field(key, value);
        i = skip_ws(input, next);
        match input.get(i)? {
            b',' => i = skip_ws(input, i + 1),
            b'}' => return (skip_ws(input, i + 1) == input.len()).then_some(()),
            _ => return None,
        }
    }
}

/// End of the JSON number starting at `i`, exactly as RFC 8259 spells one:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. `None` when it is not one.
fn number_end(input: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut j: usize| {
        let from = j;
        while input.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        (j > from).then_some(j)
    };
    if input.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match input.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    if input.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    if matches!(input.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(input.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

#[inline]
fn skip_ws(input: &[u8], mut i: usize) -> usize {
    while i < input.len() && matches!(input[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// A string without escapes or control characters starting at `i` (the opening quote).
#[inline]
fn string(text: &str, i: usize) -> Option<(&str, usize)> {
    let input = text.as_bytes();
    if input.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    // the first quote, backslash or control character ends the fast path's string
    let j = start + crate::json::first_special(input.get(start..)?)?;
    if input[j] != b'"' {
        // an escape (or a raw control character): serde handles it
        return None;
    }
    Some((text.get(start..j)?, j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &str) -> Option<Vec<(String, Flat<'_>)>> {
        let mut v = Vec::new();
        read_flat(s.as_bytes(), |k, f| v.push((k.to_string(), f)))?;
        Some(v)
    }

    #[test]
    fn reads_flat_objects() {
        let v = collect(r#" {"a":"x", "n":-12.5e3,"z":null,"b":true} "#).unwrap();
        assert_eq!(v[0], ("a".into(), Flat::Str("x")));
        assert_eq!(v[1], ("n".into(), Flat::Num("-12.5e3")));
        assert_eq!(v[2].1, Flat::Null);
        assert_eq!(v[3].1, Flat::Bool);
        assert_eq!(collect("{}").unwrap().len(), 0);
        let v = collect(r#"{"a":0,"b":-0.5E+2,"c":10e-3}"#).unwrap();
        assert_eq!(v[1].1, Flat::Num("-0.5E+2"));
        assert_eq!(v[2].1, Flat::Num("10e-3"));
    }

    #[test]
    fn declines_what_it_cannot_read() {
        for s in [
            r#"{"a":"x\"y"}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":"x""#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":--}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e400}"#,
            "[]",
            "",
        ] {
            assert!(collect(s).is_none(), "{s}");
        }
    }
}
