//! The fast reading of a contact-events body: one pass over a well-formed body, each item's
//! fields taken as the careful reading takes them (same [`Fields`], same null and
//! unknown-field rules; text fields read in place instead of as raw JSON). It gives up — `None`, and the careful reading decides — on anything the careful
//! reading would report item by item or refuse: an item that is not an object, a field of the
//! wrong type, a duplicate field, more than `max` items, bad JSON or UTF-8, a missing or null
//! `data` or `meta`. So whenever it answers, the careful reading would have answered the same
//! (a unit test compares both readings over many bodies, bad ones included).

use super::{Fields, Properties, Text};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The items of a well-formed body with at most `max` of them; None otherwise.
pub(super) fn read(payload: &[u8], max: usize) -> Option<Vec<Fields<'_>>> {
    // UTF-8 checked once for the whole body: the careful reading refuses invalid UTF-8 anywhere
    // in an item, also in fields this reading skips
    let text = std::str::from_utf8(payload).ok()?;
    let mut d = serde_json::Deserializer::from_str(text);
    let items = BodySeed { max }.deserialize(&mut d).ok()?;
    d.end().ok()?;
    items
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum BodyKey {
    Data,
    Meta,
    #[serde(other)]
    Other,
}

struct BodySeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for BodySeed {
    /// None: `data` or `meta` missing (the careful reading names which).
    type Value = Option<Vec<Fields<'de>>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed {
    type Value = Option<Vec<Fields<'de>>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a contact-events body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let (mut data, mut meta) = (None, None);
        while let Some(key) = m.next_key::<BodyKey>()? {
            match key {
                BodyKey::Data if data.is_none() => {
                    data = Some(m.next_value_seed(DataSeed { max: self.max })?)
                }
                BodyKey::Meta if meta.is_none() => {
                    meta = Some(m.next_value::<Option<&'de RawValue>>()?)
                }
                BodyKey::Data => return Err(de::Error::duplicate_field("data")),
                BodyKey::Meta => return Err(de::Error::duplicate_field("meta")),
                BodyKey::Other => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match (data, meta) {
            (Some(items), Some(Some(_))) => Some(items),
            _ => None,
        })
    }
}

/// `data`: an array of at most `max` objects.
struct DataSeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = Vec<Fields<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DataSeed {
    type Value = Vec<Fields<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of contacts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(s.size_hint().unwrap_or(0).min(64));
        while let Some(ObjectItem(it)) = s.next_element()? {
            if items.len() == self.max {
                return Err(de::Error::custom("too many items"));
            }
            items.push(it);
        }
        Ok(items)
    }
}

/// One item, only as a JSON object.
struct ObjectItem<'a>(Fields<'a>);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum ItemKey {
    QueueIdentifier,
    QueueName,
    Channel,
    Timestamp,
    Properties,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for ObjectItem<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = ObjectItem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a contact")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        type Slot<T> = Option<Option<T>>;
        fn set<T, E: de::Error>(
            slot: &mut Slot<T>,
            v: Option<T>,
            name: &'static str,
        ) -> Result<(), E> {
            if slot.is_some() {
                return Err(E::duplicate_field(name));
            }
            *slot = Some(v);
            Ok(())
        }
        let (mut qid, mut qname, mut channel): (Slot<Text>, Slot<Text>, Slot<Text>) =
            (None, None, None);
        let mut ts: Slot<&'de RawValue> = None;
        let mut props: Slot<Properties> = None;
        while let Some(key) = m.next_key::<ItemKey>()? {
            match key {
                ItemKey::QueueIdentifier => set(&mut qid, m.next_value()?, "queueIdentifier")?,
                ItemKey::QueueName => set(&mut qname, m.next_value()?, "queueName")?,
                ItemKey::Channel => set(&mut channel, m.next_value()?, "channel")?,
                ItemKey::Timestamp => set(&mut ts, m.next_value()?, "timestamp")?,
                ItemKey::Properties => set(&mut props, m.next_value()?, "properties")?,
                ItemKey::Other => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(ObjectItem(Fields {
            queue_identifier: qid.flatten(),
            queue_name: qname.flatten(),
            channel: channel.flatten(),
            timestamp: ts.flatten().map(RawValue::get),
            properties: props.flatten(),
        }))
    }
}

/// A text field read in place: a string (borrowed unless it has escapes) or another value.
impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Text::NotStr)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Text::NotStr)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Text::NotStr)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Text::NotStr)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::NotStr)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text::NotStr)
    }
}
