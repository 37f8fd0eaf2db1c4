//! Tests of the JSON writer: escapes, SWAR scans, numbers and nesting.

use super::*;

#[test]
fn escapes_strings() {
    let mut out = Vec::new();
    write_str(&mut out, "a\"b\\c\nd\u{1}é");
    let back: String = serde_json::from_slice(&out).unwrap();
    assert_eq!(back, "a\"b\\c\nd\u{1}é");
}

#[test]
fn first_special_finds_the_first_match_at_every_position() {
    let fillers = [b'a', b' ', 0x7f, 0x80, 0xc3, 0xff, b'!', b'#', b'[', b'~'];
    for len in 0..40 {
        for (n, &fill) in fillers.iter().enumerate() {
            let mut bytes = vec![fill; len];
            assert_eq!(first_special(&bytes), None, "{len} {fill}");
            for at in 0..len {
                for special in [b'"', b'\\', 0, 0x1f, b'\n'] {
                    bytes[at] = special;
                    // a later special must not shadow the first one
                    if at + 1 < len {
                        bytes[len - 1] = [b'"', b'\\', 1][n % 3];
                    }
                    assert_eq!(first_special(&bytes), Some(at), "{bytes:?}");
                    bytes.fill(fill);
                }
            }
        }
    }
}

#[test]
fn integers_are_decimal() {
    let mut n = 0u64;
    while n < u64::MAX / 3 {
        for v in [n, n + 1, n.saturating_sub(1)] {
            let mut out = Vec::new();
            write_uint(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
        n = if n < 200_000 { n + 1 } else { n * 3 };
    }
}

#[test]
fn seconds_are_compact() {
    for (ms, s) in [
        (180_000, "180"),
        (500, "0.5"),
        (12_345, "12.345"),
        (1_050, "1.05"),
        (-1500, "-1.5"),
    ] {
        let mut out = Vec::new();
        write_secs(&mut out, ms);
        assert_eq!(String::from_utf8(out).unwrap(), s);
    }
}

#[test]
fn objects_nest_and_parse() {
    let mut out = Vec::new();
    let mut o = ObjectWriter::new(&mut out);
    o.str(k!("a"), "x")
        .u64(k!("n"), 3)
        .bool(k!("b"), true)
        .percent(k!("p"), Some(99.1666))
        .percent(k!("q"), None);
    let mut inner = o.object(k!("in"));
    inner.secs(k!("s"), 1500);
    inner.end();
    o.array_of_str(k!("l"), ["u", "v"]);
    o.end();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["a"], "x");
    assert_eq!(v["p"], 99.17);
    assert!(v["q"].is_null());
    assert_eq!(v["in"]["s"], 1.5);
    assert_eq!(v["l"][1], "v");
}
