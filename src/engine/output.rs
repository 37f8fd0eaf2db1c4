//! Output records (SPEC §6) and their JSON encoding. Hand-written encoders: the agent-state
//! record is written for almost every input event, so it is built without serde's generic path.

use super::cursor::{status_offline, IntervalAcc, Ooo, StateView, NEVER};
use super::timeline::NO_STATUS;
use crate::config::Rules;
use crate::json::ObjectWriter;
use crate::time::{format_rfc3339, Millis};

/// The output topics, by role (names are configured at the edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutTopic {
    AgentStates,
    AdherenceEvents,
    Intervals,
    Unmapped,
    Dlq,
}

impl OutTopic {
    pub const ALL: [OutTopic; 5] = [
        OutTopic::AgentStates,
        OutTopic::AdherenceEvents,
        OutTopic::Intervals,
        OutTopic::Unmapped,
        OutTopic::Dlq,
    ];

    /// Default topic name (SPEC §2).
    pub fn default_name(self) -> &'static str {
        match self {
            OutTopic::AgentStates => "rta.agent-states",
            OutTopic::AdherenceEvents => "rta.adherence-events",
            OutTopic::Intervals => "rta.intervals",
            OutTopic::Unmapped => "rta.unmapped",
            OutTopic::Dlq => "rta.dlq",
        }
    }

    /// Compacted topics keep the latest record per key.
    pub fn compacted(self) -> bool {
        matches!(
            self,
            OutTopic::AgentStates | OutTopic::Intervals | OutTopic::Unmapped
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

/// Where output records go. `Vec<Output>` owns each record; [`Outputs`] packs them into one
/// reusable buffer (no allocation per record on the hot path).
pub trait OutputSink {
    fn push(&mut self, topic: OutTopic, key: Option<&str>, value: Option<&[u8]>);
}

impl OutputSink for Vec<Output> {
    fn push(&mut self, topic: OutTopic, key: Option<&str>, value: Option<&[u8]>) {
        Vec::push(
            self,
            Output {
                topic,
                key: key.map(str::to_string),
                value: value.map(<[u8]>::to_vec),
            },
        );
    }
}

/// Byte range in an [`Outputs`] buffer.
type Span = (u32, u32);

/// Output records packed in one buffer; cleared and reused between batches.
#[derive(Default, Debug, Clone)]
pub struct Outputs {
    buf: Vec<u8>,
    recs: Vec<(OutTopic, Option<Span>, Option<Span>)>,
}

/// A borrowed output record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputRef<'a> {
    pub topic: OutTopic,
    pub key: Option<&'a str>,
    pub value: Option<&'a [u8]>,
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
    }

    pub fn iter(&self) -> impl Iterator<Item = OutputRef<'_>> {
        self.recs.iter().map(|(topic, k, v)| OutputRef {
            topic: *topic,
            // keys are written from &str, so they are valid UTF-8
            key: k.map(|(a, b)| {
                std::str::from_utf8(&self.buf[a as usize..b as usize]).unwrap_or_default()
            }),
            value: v.map(|(a, b)| &self.buf[a as usize..b as usize]),
        })
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
}

impl OutputSink for Outputs {
    fn push(&mut self, topic: OutTopic, key: Option<&str>, value: Option<&[u8]>) {
        let mut span = |bytes: &[u8]| {
            let a = self.buf.len() as u32;
            self.buf.extend_from_slice(bytes);
            (a, self.buf.len() as u32)
        };
        let k = key.map(|k| span(k.as_bytes()));
        let v = value.map(&mut span);
        self.recs.push((topic, k, v));
    }
}

/// Scratch space one record is encoded into before it goes to the sink.
#[derive(Default, Debug, Clone)]
pub struct Enc {
    pub topic: Option<OutTopic>,
    pub key: Option<String>,
    pub value: Option<Vec<u8>>,
    key_buf: String,
    value_buf: Vec<u8>,
}

impl Enc {
    /// Start a record: returns cleared key and value buffers.
    fn start(&mut self, topic: OutTopic) -> (&mut String, &mut Vec<u8>) {
        self.topic = Some(topic);
        self.key_buf.clear();
        self.value_buf.clear();
        self.key = None;
        self.value = None;
        (&mut self.key_buf, &mut self.value_buf)
    }

    /// Hand the record to a sink.
    pub fn send(&mut self, sink: &mut dyn OutputSink, has_key: bool, has_value: bool) -> OutTopic {
        let topic = self.topic.take().unwrap_or(OutTopic::Dlq);
        sink.push(
            topic,
            has_key.then_some(self.key_buf.as_str()),
            has_value.then_some(self.value_buf.as_slice()),
        );
        topic
    }

    /// The encoded record as an owned [`Output`].
    pub fn to_output(&self, has_key: bool, has_value: bool) -> Output {
        Output {
            topic: self.topic.unwrap_or(OutTopic::Dlq),
            key: has_key.then(|| self.key_buf.clone()),
            value: has_value.then(|| self.value_buf.clone()),
        }
    }
}

/// What an encoder wrote: whether the record has a key and a value (no value = tombstone).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub key: bool,
    pub value: bool,
}

const KV: Shape = Shape {
    key: true,
    value: true,
};
const TOMBSTONE: Shape = Shape {
    key: true,
    value: false,
};

/// Names an agent's identifier's integration (for offline states without a status).
pub trait IdentIntegration {
    fn ident_integration(&self, ident: u32) -> Option<u32>;
}

fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

pub fn person_key(k: &mut String, account: &str, person: &str) {
    k.push_str(account);
    k.push('/');
    k.push_str(person);
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

/// SPEC §6.1 agent state.
#[allow(clippy::too_many_arguments)]
pub fn agent_state(
    e: &mut Enc,
    account: &str,
    person: &str,
    v: &StateView,
    rules: &Rules,
    idents: &dyn IdentIntegration,
) -> Shape {
    let (key, buf) = e.start(OutTopic::AgentStates);
    person_key(key, account, person);
    let mut o = ObjectWriter::new(buf);
    o.str("account", account)
        .str("person", person)
        .time("at", v.at);
    {
        let status = v.actual.status;
        let offline = status_offline(rules, status);
        let mut a = o.object("actual");
        let activity = if offline {
            None
        } else {
            Some(
                rules
                    .status(status)
                    .activity
                    .unwrap_or(crate::config::PRESENT),
            )
        };
        match activity {
            Some(i) => {
                let act = rules.activity(i);
                a.str("activity", &act.id)
                    .str("activityType", act.activity_type.as_str());
            }
            None => {
                a.null("activity").null("activityType");
            }
        }
        let (ext, integ) = match status {
            NEVER => (None, None),
            NO_STATUS => (None, idents.ident_integration(v.actual.ident)),
            s => {
                let st = rules.status(s);
                (Some(&*st.external), Some(st.integration))
            }
        };
        a.opt_str("externalStatus", ext);
        a.opt_str("integration", integ.map(|i| &*rules.integration(i).id));
        a.opt_time("since", (status != NEVER).then_some(v.actual.since));
        a.bool("online", !offline);
        a.end();
    }
    match &v.segment {
        Some(seg) => {
            let act = rules.activity(seg.activity);
            let mut s = o.object("scheduled");
            s.str("activity", &act.id)
                .str("activityType", act.activity_type.as_str())
                .time("start", seg.start)
                .time("end", seg.end);
            s.end();
        }
        None => {
            o.null("scheduled");
        }
    }
    o.str("adherence", adherence_label(v));
    o.opt_str("oooType", v.episode.ooo.map(Ooo::as_str));
    o.opt_time("oooSince", v.episode.ooo.map(|_| v.episode.since));
    o.bool("inBuffer", v.episode.ooo.is_some() && !v.episode.alerted);
    {
        let d = &v.day;
        let mut t = o.object("today");
        t.date("date", d.date)
            .secs("scheduledSeconds", d.scheduled as Millis)
            .secs("inAdherenceSeconds", d.in_adherence as Millis)
            .secs("actualSeconds", d.actual as Millis)
            .percent("adherencePercent", percent(d.in_adherence, d.scheduled))
            .percent("conformancePercent", percent(d.actual, d.scheduled));
        t.end();
    }
    o.end();
    KV
}

/// SPEC §6.2 adherence event. `revised` marks events that correct earlier ones after late data.
#[allow(clippy::too_many_arguments)]
pub fn adherence_event(
    e: &mut Enc,
    account: &str,
    person: &str,
    inbound: bool,
    ooo: Ooo,
    since: Millis,
    at: Millis,
    revised: bool,
) -> Shape {
    let (key, buf) = e.start(OutTopic::AdherenceEvents);
    person_key(key, account, person);
    let mut o = ObjectWriter::new(buf);
    o.str("account", account)
        .str("person", person)
        .str(
            "kind",
            if inbound {
                "inAdherence"
            } else {
                "outOfAdherence"
            },
        )
        .str("oooType", ooo.as_str())
        .time("since", since)
        .time("at", at);
    if inbound {
        o.secs("durationSeconds", at - since);
    }
    if revised {
        o.bool("revised", true);
    }
    o.end();
    KV
}

pub fn interval_key(k: &mut String, account: &str, person: &str, start: Millis) {
    person_key(k, account, person);
    k.push('/');
    crate::time::write_rfc3339(k, start);
}

/// SPEC §6.3 interval record.
pub fn interval(
    e: &mut Enc,
    account: &str,
    person: &str,
    iv: &IntervalAcc,
    revision: u32,
    rules: &Rules,
) -> Shape {
    let (key, buf) = e.start(OutTopic::Intervals);
    interval_key(key, account, person, iv.start);
    let mut o = ObjectWriter::new(buf);
    o.str("account", account)
        .str("person", person)
        .time("intervalStart", iv.start)
        .time("intervalEnd", iv.end)
        .u64("revision", revision as u64)
        .secs("scheduledSeconds", iv.scheduled as Millis)
        .secs("inAdherenceSeconds", iv.in_adherence as Millis);
    {
        let mut m = o.object("outOfAdherenceSeconds");
        for t in Ooo::ALL {
            m.secs(t.as_str(), iv.ooo[t as usize] as Millis);
        }
        m.end();
    }
    o.secs("notScheduledSeconds", iv.not_scheduled as Millis)
        .secs("actualSeconds", iv.actual as Millis);
    {
        let mut acts: smallvec::SmallVec<[(&str, Millis); 4]> = iv
            .activities
            .iter()
            .map(|(a, ms)| (&*rules.activity(*a).id, *ms as Millis))
            .collect();
        acts.sort_unstable();
        let mut m = o.object("activitySeconds");
        for (id, ms) in acts {
            m.secs(id, ms);
        }
        m.end();
    }
    o.percent("adherencePercent", percent(iv.in_adherence, iv.scheduled));
    o.end();
    KV
}

pub fn interval_tombstone(e: &mut Enc, account: &str, person: &str, start: Millis) -> Shape {
    let (key, _) = e.start(OutTopic::Intervals);
    interval_key(key, account, person, start);
    TOMBSTONE
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
    k: &mut String,
    account: &str,
    integration: &str,
    kind: UnmappedKind,
    value: &str,
) {
    use std::fmt::Write;
    let _ = write!(k, "{account}/{integration}/{}/{value}", kind.as_str());
}

/// SPEC §6.4 unmapped report.
#[allow(clippy::too_many_arguments)]
pub fn unmapped_report(
    e: &mut Enc,
    account: &str,
    integration: &str,
    kind: UnmappedKind,
    value: &str,
    count: u64,
    first: Millis,
    last: Millis,
    suggestions: &[String],
) -> Shape {
    let (key, buf) = e.start(OutTopic::Unmapped);
    unmapped_key(key, account, integration, kind, value);
    let mut o = ObjectWriter::new(buf);
    o.str("account", account)
        .str("integration", integration)
        .str("kind", kind.as_str())
        .str("value", value)
        .u64("count", count)
        .time("firstSeen", first)
        .time("lastSeen", last)
        .array_of_str("suggestions", suggestions.iter().map(String::as_str));
    o.end();
    KV
}

pub fn unmapped_tombstone(
    e: &mut Enc,
    account: &str,
    integration: &str,
    kind: UnmappedKind,
    value: &str,
) -> Shape {
    let (key, _) = e.start(OutTopic::Unmapped);
    unmapped_key(key, account, integration, kind, value);
    TOMBSTONE
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
pub fn dead_letter(e: &mut Enc, origin: &Origin, reason: &str, detail: &str) -> Shape {
    let payload = origin.payload.unwrap_or_default();
    let cut = &payload[..payload.len().min(DLQ_PAYLOAD_MAX)];
    let text = String::from_utf8_lossy(cut);
    let (key, buf) = e.start(OutTopic::Dlq);
    if let Some(k) = origin.key {
        key.push_str(&String::from_utf8_lossy(k));
    }
    let mut o = ObjectWriter::new(buf);
    o.str("reason", reason)
        .str("detail", detail)
        .str("topic", origin.topic)
        .u64("partition", origin.partition.max(0) as u64)
        .raw(
            "offset",
            itoa::Buffer::new().format(origin.offset).as_bytes(),
        )
        .str("payload", &text);
    if payload.len() > DLQ_PAYLOAD_MAX {
        o.bool("truncated", true);
    }
    o.end();
    Shape {
        key: origin.key.is_some(),
        value: true,
    }
}

/// Seconds of a millisecond duration, for tests and summaries.
pub fn secs(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

/// Format an instant for keys and logs.
pub fn fmt_time(t: Millis) -> String {
    format_rfc3339(t)
}
