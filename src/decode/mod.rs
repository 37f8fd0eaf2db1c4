//! Vendor payload decoders (SPEC §4, §10): raw bytes of an `rta.agent-events` record → agent
//! events with an external agent identifier, an external status and a time; raw bytes of an
//! `rta.contact-events` record → contacts of queues. Pure and allocation-light;
//! every malformed input is a [`DecodeError`] with a typed dead-letter [`Reason`], never a panic.

mod contacts;
mod flat;
mod injixo;
mod odigo;

pub use contacts::{decode_contacts_max, Contact, DecodedContacts, MAX_DURATION_MS};
pub use injixo::{decode_injixo, decode_injixo_max, injixo_integration_id, item_end_id};
pub use odigo::{decode_odigo, decode_odigo_max};

pub use crate::reason::Reason;
use crate::time::Millis;
use std::borrow::Cow;

/// What a decoded event means for the agent's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A status from this time on (Odigo).
    Point,
    /// An injixo-api item starts.
    ItemStart,
    /// An injixo-api item ends; the agent is offline after it unless another item covers it.
    ItemEnd,
}

/// The events of one payload (almost always one: kept inline, no allocation).
pub type Decoded<'a> = smallvec::SmallVec<[Result<DecodedEvent<'a>, DecodeError>; 1]>;

/// One agent event, as found in a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedEvent<'a> {
    pub external_id: Cow<'a, str>,
    /// External status (Odigo `state`, or `PAUSE:{code}` with detailed breaks; injixo
    /// `activityIdentifier`). Empty for [`EventKind::ItemEnd`].
    pub status: Cow<'a, str>,
    /// The status means offline (Odigo LOGOUT, injixo item end).
    pub offline: bool,
    pub time: Millis,
    /// Stable 64-bit hash of the event id (Odigo `eventId`, injixo item identity); 0 = none.
    pub event_id: u64,
    pub kind: EventKind,
}

/// A payload (or one element of it) that cannot be used: the decoder's typed reject.
pub type DecodeError = crate::reason::Reject;

/// FNV-1a, 64 bit: stable across processes and versions (event ids are kept in state).
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if h == 0 {
        1
    } else {
        h
    }
}

/// Parse a timestamp given as RFC 3339 text or epoch milliseconds.
pub(crate) fn timestamp_from_json(v: &serde_json::Value) -> Result<Millis, DecodeError> {
    match v {
        serde_json::Value::String(s) => crate::time::parse_rfc3339(s).ok_or_else(|| {
            DecodeError::new(
                Reason::BadTimestamp,
                format!("timestamp {s:?} is not RFC 3339"),
            )
        }),
        serde_json::Value::Number(n) => epoch_ms(n.as_i64(), n.as_f64()),
        other => Err(DecodeError::new(
            Reason::BadTimestamp,
            format!("timestamp {other} is neither RFC 3339 text nor epoch milliseconds"),
        )),
    }
}

/// Epoch milliseconds between 1970 and 9999.
pub(crate) fn epoch_ms(i: Option<i64>, f: Option<f64>) -> Result<Millis, DecodeError> {
    const MAX: i64 = 253_402_300_799_999;
    let v = match (i, f) {
        (Some(i), _) => Some(i),
        (None, Some(f)) if f.is_finite() && f.fract() == 0.0 => Some(f as i64),
        _ => None,
    };
    match v {
        Some(ms) if (0..=MAX).contains(&ms) => Ok(ms),
        _ => Err(DecodeError::new(
            Reason::BadTimestamp,
            "epoch-millisecond timestamp out of range (1970–9999)",
        )),
    }
}
