//! The contact-events decoder (SPEC §10) on arbitrary bytes: never a panic, and what it
//! accepts is consistent — one result per element of `data`, every accepted contact with its
//! queue identity and channel non-empty, a duration within bounds and a time in years 0000–9999.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rta::decode::{decode_contacts_max, MAX_DURATION_MS};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct DataList<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if decode_contacts_max(data, 1000, &mut out).is_err() {
        assert!(out.is_empty(), "a refused payload decodes nothing");
        return;
    }
    let items = serde_json::from_slice::<DataList>(data)
        .map(|d| d.data.len())
        .expect("an accepted payload has a data list");
    assert_eq!(out.len(), items, "one result per element of data");
    for c in out.iter().flatten() {
        assert!(!c.queue_id.is_empty() && !c.queue_name.is_empty() && !c.channel.is_empty());
        assert!((0..=MAX_DURATION_MS).contains(&c.duration_ms));
        // RFC 3339 years 0000–9999 (epoch milliseconds: 1970–9999); the accepted range of
        // event times is the engine's (limits.min_time/max_time), not the decoder's
        assert!((-62_167_219_200_000..=253_402_300_799_999).contains(&c.time));
    }
});
