//! What `rta process` reads: arbitrary bytes as NDJSON envelopes through the whole engine.
//! Never a panic; every output line is itself an envelope that parses; and an envelope that
//! parses writes back to a line that parses to the same envelope.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rta::cli::process::process_max;
use rta::engine::EngineOptions;
use rta::envelope::Envelope;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        if let Ok(env) = Envelope::parse_line(text.trim()) {
            let mut buf = Vec::new();
            env.write_line(&mut buf);
            let again = std::str::from_utf8(&buf).expect("envelopes are written as UTF-8");
            assert_eq!(
                Envelope::parse_line(again.trim()),
                Ok(env),
                "round trip of {text:?}"
            );
        }
    }
    let mut out = Vec::new();
    process_max(data, EngineOptions::default(), None, 64 * 1024, &mut out)
        .expect("in-memory input and output do not fail");
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let text = std::str::from_utf8(line).expect("output is UTF-8");
        assert!(Envelope::parse_line(text).is_ok(), "output line {text:?}");
    }
});
