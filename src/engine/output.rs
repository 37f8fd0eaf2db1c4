//! Output records (SPEC §6) and their JSON encoding. Hand-written encoders: the agent-state
//! record is written for almost every input event, so it is built without serde's generic path.

use super::cursor::{IntervalAcc, Ooo, StateView};
use crate::config::Rules;
use crate::json::{k, ObjectWriter, Text};
use crate::reason::Reason;
use crate::time::{format_rfc3339, Millis};

mod agent_state;
mod head;
pub use agent_state::agent_state;
pub use head::{key_part, person_key, AccountHead, Who};

/// The output topics, by role (names are configured at the edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutTopic {
    AgentStates,
    AdherenceEvents,
    Intervals,
    Unmapped,
    Dlq,
    QueueIntervals,
}

impl OutTopic {
    pub const ALL: [OutTopic; 6] = [
        OutTopic::AgentStates,
        OutTopic::AdherenceEvents,
        OutTopic::Intervals,
        OutTopic::Unmapped,
        OutTopic::Dlq,
        OutTopic::QueueIntervals,
    ];

    /// Default topic name (SPEC §2).
    pub fn default_name(self) -> &'static str {
        match self {
            OutTopic::AgentStates => "rta.agent-states",
            OutTopic::AdherenceEvents => "rta.adherence-events",
            OutTopic::Intervals => "rta.intervals",
            OutTopic::Unmapped => "rta.unmapped",
            OutTopic::Dlq => "rta.dlq",
            OutTopic::QueueIntervals => "rta.queue-intervals",
        }
    }

    /// Compacted topics keep the latest record per key.
    pub fn compacted(self) -> bool {
        matches!(
            self,
            OutTopic::AgentStates
                | OutTopic::Intervals
                | OutTopic::Unmapped
                | OutTopic::QueueIntervals
        )
    }
}

/// One output record. `value == None` is a tombstone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub topic: OutTopic,
    pub key: Option<String>,
    pub value: Option<Vec<u8>>,
}

/// Byte range in an [`Outputs`] buffer.
type Span = (u32, u32);

/// Output records packed in one buffer; cleared and reused between batches. Encoders write
/// each record's key and value straight into the buffer: no allocation and no copy per record.
#[derive(Default, Debug, Clone)]
pub struct Outputs {
    buf: Vec<u8>,
    recs: Vec<(OutTopic, Option<Span>, Option<Span>)>,
    /// Facts of agent-state records, by record index (ascending).
    facts: Vec<(u32, RawFacts)>,
    /// The record being written: its topic and where its key starts.
    open: Option<(OutTopic, u32)>,
    key_end: u32,
}

/// A borrowed output record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputRef<'a> {
    pub topic: OutTopic,
    pub key: Option<&'a str>,
    pub value: Option<&'a [u8]>,
    /// An agent state's facts for the live views (see [`StateFacts`]); `None` for other
    /// records, and for an agent state whose activity id needed escaping (the views then read
    /// the record's JSON, as they do for records read from Kafka).
    pub facts: Option<StateFacts<'a>>,
}

/// What the live views keep of an agent-state record, handed over beside its JSON so that the
/// service does not parse back what it has just written (a tenth of its CPU per input in the
/// Kafka benchmark). Equal to what the views read from the record: `at`, `actual.since`,
/// `actual.activity` while online, and `oooType`/`oooSince`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateFacts<'a> {
    pub at: Millis,
    /// Since when the actual status holds; `None` before any status.
    pub since: Option<Millis>,
    /// The actual activity id while online.
    pub activity: Option<&'a str>,
    /// Out of adherence (buffer included): its kind (`oooType`) and since when.
    pub ooo: Option<(&'static str, Millis)>,
}

/// [`StateFacts`] with the activity id as a span of the buffer (it is in the record's JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawFacts {
    pub at: Millis,
    pub since: Option<Millis>,
    pub activity: Option<Span>,
    pub ooo: Option<(&'static str, Millis)>,
}

impl Outputs {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.recs.clear();
        self.facts.clear();
        self.open = None;
    }

    pub fn iter(&self) -> impl Iterator<Item = OutputRef<'_>> {
        // keys and activity ids are written from &str, so they are valid UTF-8
        let text = |(a, b): Span| {
            std::str::from_utf8(&self.buf[a as usize..b as usize]).unwrap_or_default()
        };
        let mut facts = self.facts.iter().peekable();
        self.recs
            .iter()
            .enumerate()
            .map(move |(i, (topic, k, v))| OutputRef {
                topic: *topic,
                key: k.map(text),
                value: v.map(|(a, b)| &self.buf[a as usize..b as usize]),
                facts: facts
                    .next_if(|(j, _)| *j as usize == i)
                    .map(|(_, f)| StateFacts {
                        at: f.at,
                        since: f.since,
                        activity: f.activity.map(text),
                        ooo: f.ooo,
                    }),
            })
    }

    /// Facts of the record about to be finished (an agent state).
    #[inline]
    pub(crate) fn set_facts(&mut self, facts: RawFacts) {
        self.facts.push((self.recs.len() as u32, facts));
    }

    pub fn to_vec(&self) -> Vec<Output> {
        self.iter()
            .map(|o| Output {
                topic: o.topic,
                key: o.key.map(str::to_string),
                value: o.value.map(<[u8]>::to_vec),
            })
            .collect()
    }

    /// Append a finished record.
    pub fn push(&mut self, topic: OutTopic, key: Option<&str>, value: Option<&[u8]>) {
        let mut span = |bytes: &[u8]| {
            let a = self.buf.len() as u32;
            self.buf.extend_from_slice(bytes);
            (a, self.buf.len() as u32)
        };
        let k = key.map(|k| span(k.as_bytes()));
        let v = value.map(&mut span);
        self.recs.push((topic, k, v));
    }

    /// Start a record: the key is written into the returned buffer next (UTF-8 only).
    #[inline]
    pub(crate) fn begin(&mut self, topic: OutTopic) -> &mut Vec<u8> {
        self.open = Some((topic, self.buf.len() as u32));
        &mut self.buf
    }

    /// The key is complete: the value (if any) is written into the returned buffer next.
    #[inline]
    pub(crate) fn value(&mut self) -> &mut Vec<u8> {
        self.key_end = self.buf.len() as u32;
        &mut self.buf
    }

    /// Close the record begun last; without a value it is a tombstone.
    #[inline]
    pub(crate) fn finish(&mut self, has_key: bool, has_value: bool) -> OutTopic {
        let Some((topic, k0)) = self.open.take() else {
            return OutTopic::Dlq;
        };
        let end = self.buf.len() as u32;
        let k1 = if has_value { self.key_end } else { end };
        self.recs.push((
            topic,
            has_key.then_some((k0, k1)),
            has_value.then_some((k1, end)),
        ));
        topic
    }
}

/// Names an agent's identifier's integration (for offline states without a status).
pub trait IdentIntegration {
    fn ident_integration(&self, ident: u32) -> Option<u32>;
}

fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// Adherence label of a view: in, out, notScheduled or none.
pub fn adherence_label(v: &StateView) -> &'static str {
    match v.episode.ooo {
        Some(Ooo::NotScheduled) => "notScheduled",
        Some(_) => "out",
        None if v.scheduled_working => "in",
        None => "none",
    }
}

/// SPEC §6.2 adherence event. `revised` marks events that correct earlier ones after late data.
#[allow(clippy::too_many_arguments)]
pub fn adherence_event(
    e: &mut Outputs,
    who: Who,
    inbound: bool,
    ooo: Ooo,
    since: Millis,
    at: Millis,
    revised: bool,
) -> OutTopic {
    who.key(e.begin(OutTopic::AdherenceEvents));
    let mut o = who.fields(e.value());
    o.label(
        k!("kind"),
        if inbound {
            "inAdherence"
        } else {
            "outOfAdherence"
        },
    )
    .label(k!("oooType"), ooo.as_str())
    .time(k!("since"), since)
    .time(k!("at"), at);
    if inbound {
        o.secs(k!("durationSeconds"), at - since);
    }
    if revised {
        o.bool(k!("revised"), true);
    }
    o.end();
    e.finish(true, true)
}

/// The key literal of an out-of-adherence type.
fn ooo_key(o: Ooo) -> &'static str {
    match o {
        Ooo::NotPresent => k!("notPresent"),
        Ooo::WrongActivity => k!("wrongActivity"),
        Ooo::NotScheduled => k!("notScheduled"),
    }
}

/// SPEC §6.3 interval record.
pub fn interval(
    e: &mut Outputs,
    who: Who,
    iv: &IntervalAcc,
    revision: u32,
    rules: &Rules,
) -> OutTopic {
    who.interval_key(e.begin(OutTopic::Intervals), iv.start);
    let mut o = who.fields(e.value());
    o.time(k!("intervalStart"), iv.start)
        .time(k!("intervalEnd"), iv.end)
        .u64(k!("revision"), revision as u64)
        .secs(k!("scheduledSeconds"), iv.scheduled as Millis)
        .secs(k!("inAdherenceSeconds"), iv.in_adherence as Millis);
    {
        let mut m = o.object(k!("outOfAdherenceSeconds"));
        for t in Ooo::ALL {
            m.secs(ooo_key(t), iv.ooo[t as usize] as Millis);
        }
        m.end();
    }
    o.secs(k!("notScheduledSeconds"), iv.not_scheduled as Millis)
        .secs(k!("actualSeconds"), iv.actual as Millis);
    {
        let mut acts: smallvec::SmallVec<[(&Text, Millis); 4]> = iv
            .activities
            .iter()
            .map(|(a, ms)| (&rules.activity(*a).id, *ms as Millis))
            .collect();
        acts.sort_unstable_by(|a, b| (&**a.0, a.1).cmp(&(&**b.0, b.1)));
        let mut m = o.object(k!("activitySeconds"));
        for (id, ms) in acts {
            m.text_secs(id, ms);
        }
        m.end();
    }
    o.percent(
        k!("adherencePercent"),
        percent(iv.in_adherence, iv.scheduled),
    );
    o.end();
    e.finish(true, true)
}

pub fn interval_tombstone(e: &mut Outputs, who: Who, start: Millis) -> OutTopic {
    who.interval_key(e.begin(OutTopic::Intervals), start);
    e.finish(true, false)
}

/// Identifier or status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnmappedKind {
    Identifier,
    Status,
}

impl UnmappedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnmappedKind::Identifier => "identifier",
            UnmappedKind::Status => "status",
        }
    }
}

pub fn unmapped_key(
    k: &mut Vec<u8>,
    account: &str,
    integration: &str,
    kind: UnmappedKind,
    value: &str,
) {
    for (i, part) in [account, integration, kind.as_str(), value]
        .iter()
        .enumerate()
    {
        if i > 0 {
            k.push(b'/');
        }
        key_part(k, part);
    }
}

/// SPEC §6.4 unmapped report.
#[allow(clippy::too_many_arguments)]
pub fn unmapped_report(
    e: &mut Outputs,
    account: &str,
    integration: &str,
    kind: UnmappedKind,
    value: &str,
    count: u64,
    first: Millis,
    last: Millis,
    suggestions: &[String],
) -> OutTopic {
    unmapped_key(
        e.begin(OutTopic::Unmapped),
        account,
        integration,
        kind,
        value,
    );
    let mut o = ObjectWriter::new(e.value());
    o.str(k!("account"), account)
        .str(k!("integration"), integration)
        .str(k!("kind"), kind.as_str())
        .str(k!("value"), value)
        .u64(k!("count"), count)
        .time(k!("firstSeen"), first)
        .time(k!("lastSeen"), last)
        .array_of_str(k!("suggestions"), suggestions.iter().map(String::as_str));
    o.end();
    e.finish(true, true)
}

pub fn unmapped_tombstone(
    e: &mut Outputs,
    account: &str,
    integration: &str,
    kind: UnmappedKind,
    value: &str,
) -> OutTopic {
    unmapped_key(
        e.begin(OutTopic::Unmapped),
        account,
        integration,
        kind,
        value,
    );
    e.finish(true, false)
}

/// Where an input record came from, for dead letters.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
}

/// Largest payload copied into a dead letter.
pub const DLQ_PAYLOAD_MAX: usize = 64 * 1024;

/// SPEC §6.5 dead letter.
pub fn dead_letter(e: &mut Outputs, origin: &Origin, reason: Reason, detail: &str) -> OutTopic {
    let payload = origin.payload.unwrap_or_default();
    let cut = &payload[..payload.len().min(DLQ_PAYLOAD_MAX)];
    let text = String::from_utf8_lossy(cut);
    let key = e.begin(OutTopic::Dlq);
    if let Some(k) = origin.key {
        key.extend_from_slice(String::from_utf8_lossy(k).as_bytes());
    }
    let mut o = ObjectWriter::new(e.value());
    o.str(k!("reason"), reason.as_str())
        .str(k!("detail"), detail)
        .str(k!("topic"), origin.topic)
        .u64(k!("partition"), origin.partition.max(0) as u64)
        .raw(
            k!("offset"),
            itoa::Buffer::new().format(origin.offset).as_bytes(),
        )
        .str(k!("payload"), &text);
    if payload.len() > DLQ_PAYLOAD_MAX {
        o.bool(k!("truncated"), true);
    }
    o.end();
    e.finish(origin.key.is_some(), true)
}

/// Seconds of a millisecond duration, for tests and summaries.
pub fn secs(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

/// Format an instant for keys and logs.
pub fn fmt_time(t: Millis) -> String {
    format_rfc3339(t)
}
