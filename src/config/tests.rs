//! Parsing and validation of config records: what is accepted (ids as numbers, `null` as
//! absent), and one failing input per rule with its dead letter reason and a message naming
//! the field.

use super::*;
use crate::reason::Reason;

fn parse(key: &str, value: &str) -> Result<ConfigChange, ConfigError> {
    parse_config_record(Some(key), Some(value.as_bytes()))
}

fn record(key: &str, value: &str) -> ConfigRecord {
    match parse(key, value) {
        Ok(c) => c.record().cloned().expect("an upsert"),
        Err(e) => panic!("{key} {value}: {e}"),
    }
}

/// `value` is refused for `reason` with a message containing every one of `says`.
fn refused(key: &str, value: &str, reason: Reason, says: &[&str]) {
    let e = parse(key, value).expect_err(value);
    assert_eq!(e.reason(), reason, "{value}: {e}");
    let msg = e.to_string();
    for s in says {
        assert!(msg.contains(s), "{value}: {msg:?} does not say {s:?}");
    }
    assert!(!msg.contains('\n'), "one line: {msg:?}");
}

fn invalid(key: &str, value: &str, says: &[&str]) {
    refused(key, value, Reason::InvalidConfig, says)
}

const SET: &str = "acme/settings";
const INT: &str = "acme/integration/8431";
const SCHED: &str = "acme/schedule/p17/2026-11-23";

fn sched(segments: &str) -> String {
    format!(
        r#"{{"kind":"schedule","account":"acme","person":"p17","date":"2026-11-23","segments":{segments}}}"#
    )
}

#[test]
fn every_kind_parses() {
    let s = record(
        SET,
        r#"{"kind":"settings","account":"acme","timeZone":"Europe/Berlin","intervalMinutes":30,"buffers":{"notPresent":60,"wrongActivity":1.5,"notScheduled":0},"targetPercent":85.5}"#,
    );
    let ConfigRecord::Settings(s) = s else {
        panic!("{s:?}")
    };
    assert_eq!(
        (
            s.time_zone.as_str(),
            s.interval_minutes,
            s.buffers,
            s.target_percent
        ),
        ("Europe/Berlin", 30, [60_000, 1_500, 0], 85.5)
    );
    let i = record(
        INT,
        r#"{"kind":"integration","account":"acme","id":"8431","vendor":"odigo","name":"ACD","paused":true,"detailedBreaks":false,"fields":{"login":"/agent/login","eventId":""},"tokenSha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#,
    );
    let ConfigRecord::Integration(i) = i else {
        panic!("{i:?}")
    };
    assert!(i.paused && !i.detailed_breaks && i.vendor == Vendor::Odigo);
    let f = i.fields.expect("fields");
    assert_eq!(
        (f.login.as_str(), f.state.as_str(), f.event_id.as_str()),
        ("/agent/login", "/state", "")
    );
    assert!(i.secrets.is_some_and(|s| s.api_key_sha256.is_none()));
    let m = record(
        "acme/match/5",
        r#"{"kind":"match","account":"acme","scheduled":"7","actual":["8",9,"offline"],"types":["break"]}"#,
    );
    let ConfigRecord::Match(m) = m else {
        panic!("{m:?}")
    };
    assert_eq!(
        (m.id.as_str(), m.actual.clone(), m.offline),
        ("5", vec!["8".to_string(), "9".to_string()], true)
    );
    assert_eq!(m.types, [ActivityType::Break]);
    // segments come out sorted
    let s = record(
        SCHED,
        &sched(
            r#"[{"activity":"7","start":"2026-11-23T12:00:00Z","end":"2026-11-23T13:00:00Z"},{"activity":"1","start":"2026-11-23T08:00:00+01:00","end":"2026-11-23T12:00:00Z"}]"#,
        ),
    );
    let ConfigRecord::Schedule(s) = s else {
        panic!("{s:?}")
    };
    assert_eq!(
        s.segments
            .iter()
            .map(|x| x.activity.as_str())
            .collect::<Vec<_>>(),
        ["1", "7"]
    );
    assert!(parse("acme/person/p17", "null").is_err());
    assert!(matches!(
        parse_config_record(Some("acme/person/p17"), None),
        Ok(ConfigChange::Delete { .. })
    ));
}

#[test]
fn ids_as_numbers_and_null_as_absent_are_accepted() {
    let p = record(
        "acme/person/17",
        r#"{"kind":"person","account":"acme","id":17,"name":null,"team":null}"#,
    );
    assert_eq!(
        p,
        ConfigRecord::Person(PersonRec {
            id: "17".into(),
            name: String::new(),
            team: None
        })
    );
    let a = record(
        "acme/activity/7",
        r#"{"kind":"activity","account":"acme","id":7,"type":"break"}"#,
    );
    assert!(matches!(a, ConfigRecord::Activity(ActivityRec { ref id, .. }) if id == "7"));
    let i = record(
        "acme/identifier/8431/bob",
        r#"{"kind":"identifier","account":"acme","integration":8431,"externalId":"bob","person":42}"#,
    );
    assert!(
        matches!(i, ConfigRecord::Identifier(IdentifierRec { ref person, .. }) if person == "42")
    );
    let s = record(
        SET,
        r#"{"kind":"settings","account":"acme","timeZone":null,"intervalMinutes":null,"buffers":null,"targetPercent":null}"#,
    );
    assert_eq!(s, ConfigRecord::Settings(SettingsRec::default()));
    // inside buffers and segments, other names are ignored, as before
    record(
        SET,
        r#"{"kind":"settings","account":"acme","buffers":{"notPresent":1,"x":2}}"#,
    );
    record(
        SCHED,
        &sched(
            r#"[{"activity":"1","start":"2026-11-23T08:00:00Z","end":"2026-11-23T09:00:00Z","note":"x"}]"#,
        ),
    );
}

#[test]
fn unknown_top_level_fields_are_invalid_config() {
    invalid(
        "acme/person/p1",
        r#"{"kind":"person","account":"acme","id":"p1","nickname":"Bob"}"#,
        &["unknown field `nickname`"],
    );
    invalid(
        "acme/match/5",
        r#"{"kind":"match","account":"acme","scheduled":"7","name":"x"}"#,
        &["unknown field `name`"],
    );
    // a match's `id` (in docs/schemas) was always read and ignored: still accepted
    record(
        "acme/match/5",
        r#"{"kind":"match","account":"acme","id":"5","scheduled":"7"}"#,
    );
    // a value of another kind reads as a wrong kind, not as unknown fields
    invalid(
        "acme/settings",
        r#"{"kind":"person","account":"acme","id":"p1"}"#,
        &["key kind \"settings\" differs from value kind \"person\""],
    );
}

#[test]
fn not_json_is_invalid_json_and_other_shapes_invalid_config() {
    let not_json = Reason::InvalidJson;
    refused("acme/person/p1", "{\"kind\":", not_json, &["not JSON"]);
    refused("acme/person/p1", "nope", not_json, &["not JSON"]);
    // a field serde refuses before the bytes stop being JSON: still not JSON
    refused(
        "acme/person/p1",
        r#"{"nickname":1, oops"#,
        not_json,
        &["not JSON"],
    );
    refused(
        "acme/person/p1",
        r#"{"kind":"person"} x"#,
        not_json,
        &["not JSON"],
    );
    invalid(
        "acme/person/p1",
        r#"["person","acme","p1"]"#,
        &["must be a JSON object"],
    );
    invalid("acme/person/p1", "7", &["must be a JSON object"]);
}

#[test]
fn each_rule_names_its_field() {
    let person = |extra: &str| format!(r#"{{"kind":"person","account":"acme",{extra}}}"#);
    invalid(
        "acme/person/p1",
        r#"{"account":"acme","id":"p1"}"#,
        &["\"kind\"", "missing"],
    );
    invalid(
        "acme/person/p1",
        r#"{"kind":"person","id":"p1"}"#,
        &["\"account\"", "missing"],
    );
    invalid(
        "acme/person/p1",
        r#"{"kind":true,"account":"acme","id":"p1"}"#,
        &["kind"],
    );
    invalid(
        "acme/person/p1",
        r#"{"kind":"person","account":"globex","id":"p1"}"#,
        &["account", "globex"],
    );
    invalid(
        "acme/person/p1",
        &person(r#""id":"p2""#),
        &["person id", "p2"],
    );
    invalid(
        "acme/person/p1",
        &person(r#""id":"""#),
        &["\"id\"", "non-empty"],
    );
    invalid(
        "acme/person/p1",
        &person(r#""id":"p1","name":"""#),
        &["\"name\"", "non-empty"],
    );
    invalid(
        "acme/person/p1",
        &person(r#""id":"p1","name":["x"]"#),
        &["name"],
    );
    // settings
    let settings = |extra: &str| format!(r#"{{"kind":"settings","account":"acme",{extra}}}"#);
    invalid(
        SET,
        &settings(r#""intervalMinutes":45"#),
        &["intervalMinutes"],
    );
    invalid(
        SET,
        &settings(r#""intervalMinutes":"15""#),
        &["intervalMinutes"],
    );
    invalid(
        SET,
        &settings(r#""timeZone":"Mars/Base""#),
        &["timeZone", "Mars/Base"],
    );
    invalid(
        SET,
        &settings(r#""buffers":{"notPresent":-1}"#),
        &["notPresent", "non-negative"],
    );
    invalid(
        SET,
        &settings(r#""buffers":{"wrongActivity":"2"}"#),
        &["wrongActivity"],
    );
    invalid(SET, &settings(r#""buffers":[1,2,3]"#), &["buffers"]);
    invalid(SET, &settings(r#""targetPercent":101"#), &["targetPercent"]);
    // integration
    let integ = |extra: &str| {
        format!(r#"{{"kind":"integration","account":"acme","id":"8431","vendor":"odigo"{extra}}}"#)
    };
    invalid(
        INT,
        r#"{"kind":"integration","account":"acme","id":"8431"}"#,
        &["\"vendor\"", "missing"],
    );
    invalid(
        INT,
        &integ("").replace("odigo", "genesys"),
        &["vendor", "genesys"],
    );
    invalid(
        INT,
        &integ("").replace("8431", "9"),
        &["integration id", "\"9\""],
    );
    invalid(INT, &integ(r#","paused":"yes""#), &["paused"]);
    invalid(
        INT,
        &integ(r#","tokenSha256":"ABC""#),
        &["tokenSha256", "lowercase hex"],
    );
    invalid(
        INT,
        &integ(&format!(r#","apiKeySha256":"{}""#, "A".repeat(64))),
        &["apiKeySha256"],
    );
    invalid(
        INT,
        &integ(r#","fields":{"login":"agent"}"#),
        &["fields.login", "JSON pointer"],
    );
    invalid(
        INT,
        &integ(r#","fields":{"queue":"/q"}"#),
        &["fields", "unknown field `queue`"],
    );
    // activity
    let act = |extra: &str| format!(r#"{{"kind":"activity","account":"acme",{extra}}}"#);
    invalid(
        "acme/activity/7",
        &act(r#""id":"7","type":"lunch""#),
        &["type", "lunch"],
    );
    invalid(
        "acme/activity/7",
        &act(r#""id":"7""#),
        &["\"type\"", "missing"],
    );
    invalid(
        "acme/activity/7",
        &act(r#""id":"8","type":"break""#),
        &["activity id"],
    );
    // identifier and status
    let ident = |i: &str, e: &str| {
        format!(
            r#"{{"kind":"identifier","account":"acme","integration":{i},"externalId":{e},"person":"p1"}}"#
        )
    };
    let ik = "acme/identifier/8431/bob";
    invalid(
        ik,
        &ident("\"8431\"", "\"alice\""),
        &["externalId", "alice"],
    );
    invalid(ik, &ident("\"1\"", "\"bob\""), &["integration", "\"1\""]);
    invalid(ik, &ident("\"8431\"", "7"), &["externalId"]);
    invalid(ik, &ident("\"8431\"", "\"\""), &["externalId", "non-empty"]);
    let status = |s: &str| {
        format!(
            r#"{{"kind":"status","account":"acme","integration":"8431","externalStatus":{s},"activity":"7"}}"#
        )
    };
    invalid(
        "acme/status/8431/LUNCH",
        &status("\"BREAK\""),
        &["externalStatus", "BREAK"],
    );
    invalid(
        "acme/status/8431/LUNCH",
        &status("null"),
        &["externalStatus"],
    );
    // match
    let m = |extra: &str| format!(r#"{{"kind":"match","account":"acme","scheduled":"7",{extra}}}"#);
    invalid(
        "acme/match/5",
        r#"{"kind":"match","account":"acme"}"#,
        &["\"scheduled\"", "missing"],
    );
    invalid("acme/match/5", &m(r#""types":["nap"]"#), &["type", "nap"]);
    invalid("acme/match/5", &m(r#""types":[1]"#), &["types"]);
    invalid("acme/match/5", &m(r#""actual":[true]"#), &["actual"]);
    invalid("acme/match/5", &m(r#""actual":"7""#), &["actual"]);
    // schedule
    let seg = |s: &str, e: &str| format!(r#"{{"activity":"1","start":"{s}","end":"{e}"}}"#);
    let one = |s: &str, e: &str| sched(&format!("[{}]", seg(s, e)));
    invalid(
        SCHED,
        &one("08:00", "2026-11-23T09:00:00Z"),
        &["segment 0", "start", "RFC 3339"],
    );
    invalid(
        SCHED,
        &one("2026-11-23T08:00:00Z", "later"),
        &["segment 0", "end", "RFC 3339"],
    );
    invalid(
        SCHED,
        &one("2026-11-23T09:00:00Z", "2026-11-23T09:00:00Z"),
        &["segment 0", "end is not after start"],
    );
    let two = sched(&format!(
        "[{},{}]",
        seg("2026-11-23T08:00:00Z", "2026-11-23T10:00:00Z"),
        seg("2026-11-23T09:00:00Z", "2026-11-23T11:00:00Z")
    ));
    invalid(SCHED, &two, &["segments overlap"]);
    invalid(
        SCHED,
        &sched(r#"[{"start":"2026-11-23T08:00:00Z","end":"2026-11-23T09:00:00Z"}]"#),
        &["segment 0", "\"activity\""],
    );
    invalid(
        SCHED,
        &sched(r#"[["1","2026-11-23T08:00:00Z","2026-11-23T09:00:00Z"]]"#),
        &["segments[0]"],
    );
    invalid(SCHED, &sched(r#"{}"#), &["segments"]);
    invalid(
        SCHED,
        r#"{"kind":"schedule","account":"acme","person":"p17","date":"2026-11-23"}"#,
        &["\"segments\"", "missing"],
    );
    invalid(
        SCHED,
        &sched("[]").replace("\"p17\"", "\"p18\""),
        &["person", "p18"],
    );
    invalid(
        SCHED,
        &sched("[]").replace("\"2026-11-23\"", "\"2026-11-24\""),
        &["date", "2026-11-24"],
    );
}

#[test]
fn limits_apply_after_parsing() {
    let limits = crate::engine::Limits::builtin();
    let long = "x".repeat(limits.max_field_bytes + 1);
    let key = format!("acme/identifier/8431/{long}");
    let c = parse(
        &key,
        &format!(r#"{{"kind":"identifier","account":"acme","integration":"8431","externalId":"{long}","person":"p1"}}"#),
    )
    .expect("parses");
    let e = check_limits(&c, &limits).expect_err("too long");
    assert_eq!(e.reason(), Reason::InvalidConfig);
    assert!(e.to_string().contains("externalId"));
}
