//! The injixo-api decoder on arbitrary bytes: never a panic, and what it accepts is
//! consistent — per item a start (and an end after it, with the item's end id), every element
//! of `data` accounted for, the integration id read without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rta::decode::{decode_injixo, injixo_integration_id, item_end_id, Decoded, EventKind};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct DataList<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

fuzz_target!(|data: &[u8]| {
    let _ = injixo_integration_id(data);
    let mut out = Decoded::new();
    if decode_injixo(data, &mut out).is_err() {
        assert!(out.is_empty(), "a refused payload decodes nothing");
        return;
    }
    // Counted as raw values: an item serde_json cannot read as a `Value` (a number beyond f64)
    // is still one element, dead-lettered on its own.
    let items = serde_json::from_slice::<DataList>(data)
        .map(|d| d.data.len())
        .expect("an accepted payload has a data list");
    let mut seen = 0;
    let mut it = out.iter().peekable();
    while let Some(r) = it.next() {
        seen += 1;
        let Ok(start) = r else { continue };
        assert_eq!(start.kind, EventKind::ItemStart);
        assert!(!start.external_id.is_empty() && !start.status.is_empty());
        if let Some(Ok(end)) = it.peek() {
            if end.kind == EventKind::ItemEnd {
                assert!(end.time > start.time, "an item ends after it starts");
                assert_eq!(end.event_id, item_end_id(start.event_id));
                assert_eq!(end.external_id, start.external_id);
                it.next();
            }
        }
    }
    assert_eq!(seen, items, "one result per element of data");
});
