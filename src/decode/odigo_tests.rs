//! Odigo decoder cases: the reference shape, arrays, malformed inputs with their reasons
//! (including the fast-path/serde disagreements fuzzing found), field overrides.

use super::*;

fn one(p: &str, detailed: bool) -> Result<DecodedEvent<'_>, DecodeError> {
    let mut out = Decoded::new();
    decode_odigo(p.as_bytes(), detailed, None, &mut out)?;
    assert_eq!(out.len(), 1);
    out.pop().unwrap()
}

#[test]
fn decodes_reference_shape() {
    let e = one(r#"{"eventId":"e-1","timestamp":"2026-11-23T08:03:00Z","login":"bob.smith","state":"PAUSE","pauseCode":"LUNCH"}"#, true).unwrap();
    assert_eq!(e.external_id, "bob.smith");
    assert_eq!(e.status, "PAUSE:LUNCH");
    assert_eq!(e.time, parse_rfc3339("2026-11-23T08:03:00Z").unwrap());
    assert_ne!(e.event_id, 0);
    assert!(!e.offline);
    let e = one(
        r#"{"timestamp":1795507380000,"login":"bob","state":"PAUSE","pauseCode":"LUNCH"}"#,
        false,
    )
    .unwrap();
    assert_eq!(e.status, "PAUSE");
    assert_eq!(e.time, 1_795_507_380_000);
    assert_eq!(e.event_id, 0);
    assert!(
        one(r#"{"timestamp":1,"login":"bob","state":"LOGOUT"}"#, false)
            .unwrap()
            .offline
    );
}

#[test]
fn arrays_decode_per_element() {
    let mut out = Decoded::new();
    let p = br#"[{"timestamp":"2026-11-23T08:03:00Z","login":"a","state":"READY"},{"login":"b","state":"READY"}]"#;
    decode_odigo(p, false, None, &mut out).unwrap();
    assert!(out[0].is_ok());
    let e = out[1].as_ref().unwrap_err();
    assert_eq!(e.reason, Reason::MissingField);
    assert!(e.detail.starts_with("element 1"));
}

#[test]
fn malformed_inputs_have_reasons() {
    let cases = [
        ("{not json", "invalid_json"),
        ("42", "invalid_json"),
        (
            r#"{"timestamp":"2026-11-23T08:03:00Z","state":"READY"}"#,
            "missing_field",
        ),
        (
            r#"{"timestamp":"2026-11-23T08:03:00Z","login":"a"}"#,
            "missing_field",
        ),
        (r#"{"login":"a","state":"READY"}"#, "missing_field"),
        (
            r#"{"timestamp":"yesterday","login":"a","state":"READY"}"#,
            "bad_timestamp",
        ),
        (
            r#"{"timestamp":-5,"login":"a","state":"READY"}"#,
            "bad_timestamp",
        ),
        (
            r#"{"timestamp":true,"login":"a","state":"READY"}"#,
            "bad_timestamp",
        ),
        (
            r#"{"timestamp":"2026-11-23T08:03:00Z","login":7,"state":"READY"}"#,
            "missing_field",
        ),
        // the fast path and serde agree (found by fuzz/odigo)
        (r#"{"login":7,"state":"READY""#, "invalid_json"),
        (r#"[["a","READY",null,1,null]]"#, "missing_field"),
        (
            r#"{"timestamp":1,"login":"a","state":"READY","x":01}"#,
            "invalid_json",
        ),
        (
            r#"{"timestamp":1,"login":"a","state":"READY","eventId":1e999}"#,
            "missing_field",
        ),
        (r#"{"pauseCode":1e999,"login":1}"#, "missing_field"),
        (
            r#"{"timestamp":1e999,"login":"a","state":"READY"}"#,
            "bad_timestamp",
        ),
        (
            r#"{"timestamp":1,"login":"a","login":"b","state":"READY"}"#,
            "missing_field",
        ),
    ];
    for (p, reason) in cases {
        let mut out = Decoded::new();
        let r = decode_odigo(p.as_bytes(), false, None, &mut out);
        let got = match r {
            Err(e) => e.reason.as_str(),
            Ok(()) => out[0]
                .as_ref()
                .map(|_| "ok")
                .unwrap_or_else(|e| e.reason.as_str()),
        };
        assert_eq!(got, reason, "payload {p}");
    }
}

#[test]
fn invalid_utf8_anywhere_is_invalid_json() {
    for p in [
        &b"{\"x\":\"\xff\",\"timestamp\":1,\"login\":\"a\\\"\",\"state\":\"READY\"}"[..],
        b"[{\"x\":\"\xff\",\"timestamp\":1,\"login\":\"a\",\"state\":\"READY\"}]",
    ] {
        let mut out = Decoded::new();
        let e = decode_odigo(p, false, None, &mut out).unwrap_err();
        assert_eq!(e.reason, Reason::InvalidJson);
    }
}

#[test]
fn field_overrides_use_json_pointers() {
    let f = OdigoFields {
        login: "/agent/id".into(),
        state: "/status/code".into(),
        pause_code: "/status/reason".into(),
        timestamp: "/ts".into(),
        event_id: "/id".into(),
    };
    let p = br#"{"agent":{"id":"x@y.com"},"status":{"code":"PAUSE","reason":"BREAK"},"ts":"2026-11-23T08:00:00.250+01:00","id":9}"#;
    let mut out = Decoded::new();
    decode_odigo(p, true, Some(&f), &mut out).unwrap();
    let e = out.pop().unwrap().unwrap();
    assert_eq!(e.external_id, "x@y.com");
    assert_eq!(e.status, "PAUSE:BREAK");
    assert_eq!(e.time, parse_rfc3339("2026-11-23T07:00:00.250Z").unwrap());
    assert_ne!(e.event_id, 0);
    let mut out = Decoded::new();
    decode_odigo(
        br#"{"agent":{},"status":{"code":"READY"},"ts":1}"#,
        true,
        Some(&f),
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0].as_ref().unwrap_err().reason, Reason::MissingField);
}
