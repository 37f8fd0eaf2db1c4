//! Config records on arbitrary bytes: the first line is the record key, the rest its value
//! (a tombstone when empty). Parsing never panics; a record it accepts is applied to an engine,
//! then an event for the account goes through, also without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rta::config::parse_config_record;
use rta::engine::{Engine, EngineOptions, Origin, Outputs};

fuzz_target!(|data: &[u8]| {
    let (key, value) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(key) = std::str::from_utf8(key) else {
        return;
    };
    let value = (!value.is_empty()).then_some(value);
    let parsed = parse_config_record(Some(key), value);
    let mut engine = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    let origin = Origin {
        topic: "rta.config",
        partition: 0,
        offset: 0,
        key: Some(key.as_bytes()),
        payload: value,
    };
    engine.on_config(&origin, &mut out);
    if parsed.is_ok() {
        let account = key.split('/').next().unwrap_or_default();
        let event = br#"{"timestamp":"2026-11-23T08:00:00Z","login":"a","state":"READY"}"#;
        let origin = Origin {
            topic: "rta.agent-events",
            partition: 0,
            offset: 1,
            key: Some(account.as_bytes()),
            payload: Some(event),
        };
        engine.on_event(&origin, Some("8431"), &mut out);
        engine.finish(None, &mut out);
    }
});
