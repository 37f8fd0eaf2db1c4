//! One person in the views: the latest agent-state record, and what the records since this
//! instance started told about the day — actual activity spans and out-of-adherence episodes
//! (the "actual" bar of the page) — plus the person's interval figures. Bounded per person.

use crate::engine::StateFacts;
use crate::time::{parse_rfc3339, Millis};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::VecDeque;

/// Spans (and episodes) kept per person; the oldest go first.
const MAX_SPANS: usize = 256;
/// Spans ending this long before the person's latest record are dropped.
const KEEP_MS: Millis = 36 * 3_600_000;

/// An actual activity from `start` until the next span's start.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub start: Millis,
    /// Activity id; `None` while offline.
    pub activity: Option<Box<str>>,
}

/// An out-of-adherence episode (buffer included); `end` is `None` while it lasts.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    pub start: Millis,
    pub end: Option<Millis>,
    pub kind: &'static str,
}

#[derive(Default)]
pub struct PersonView {
    /// The latest agent-state record (JSON); empty until one arrives.
    pub state: Vec<u8>,
    /// The views' change count ([`super::LiveViews::seq`]) when `state` was stored.
    pub seq: u64,
    pub actual: VecDeque<Span>,
    pub episodes: VecDeque<Episode>,
    /// (intervalStart, [scheduledSeconds, inAdherenceSeconds]) by start.
    pub intervals: Vec<(Millis, [f32; 2])>,
}

#[derive(Deserialize)]
struct StateRec<'a> {
    #[serde(borrow)]
    at: Cow<'a, str>,
    #[serde(borrow)]
    actual: ActualRec<'a>,
    #[serde(borrow, rename = "oooType")]
    ooo_type: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "oooSince")]
    ooo_since: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ActualRec<'a> {
    #[serde(borrow)]
    activity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    since: Option<Cow<'a, str>>,
    #[serde(default)]
    online: bool,
}

fn ooo_kind(s: &str) -> Option<&'static str> {
    match s {
        "notPresent" => Some("notPresent"),
        "wrongActivity" => Some("wrongActivity"),
        "notScheduled" => Some("notScheduled"),
        _ => None,
    }
}

impl PersonView {
    /// A new agent-state record: kept, and its actual activity and episode noted. `facts`
    /// are what the record says, when its writer hands them over (the service); otherwise
    /// (records read from Kafka) the record is read.
    pub fn put_state(&mut self, value: &[u8], facts: Option<&StateFacts<'_>>) {
        self.state.clear();
        self.state.extend_from_slice(value);
        match facts {
            Some(f) => self.note(
                f.at,
                f.since,
                f.activity,
                f.ooo.and_then(|(k, s)| Some((ooo_kind(k)?, s))),
            ),
            None => {
                let Ok(rec) = serde_json::from_slice::<StateRec>(value) else {
                    return;
                };
                let Some(at) = parse_rfc3339(&rec.at) else {
                    return;
                };
                let since = rec.actual.since.as_deref().and_then(parse_rfc3339);
                let activity = match rec.actual.online {
                    true => rec.actual.activity.as_deref(),
                    false => None,
                };
                let ooo = rec.ooo_type.as_deref().and_then(ooo_kind);
                let ooo_since = rec.ooo_since.as_deref().and_then(parse_rfc3339);
                self.note(at, since, activity, ooo.zip(ooo_since));
            }
        }
    }

    fn note(
        &mut self,
        at: Millis,
        since: Option<Millis>,
        activity: Option<&str>,
        ooo: Option<(&'static str, Millis)>,
    ) {
        if let Some(since) = since {
            self.note_actual(since, activity);
        }
        self.note_episode(at, ooo);
        self.prune(at - KEEP_MS);
    }

    fn note_actual(&mut self, since: Millis, activity: Option<&str>) {
        if let Some(last) = self.actual.back() {
            if last.start == since && last.activity.as_deref() == activity {
                return;
            }
        }
        // a recomputation may restate the past: what it replaces goes
        while self.actual.back().is_some_and(|s| s.start >= since) {
            self.actual.pop_back();
        }
        if self.actual.len() >= MAX_SPANS {
            self.actual.pop_front();
        }
        self.actual.push_back(Span {
            start: since,
            activity: activity.map(Into::into),
        });
    }

    fn note_episode(&mut self, at: Millis, now: Option<(&'static str, Millis)>) {
        match now {
            Some((kind, since)) => {
                if let Some(last) = self.episodes.back_mut() {
                    if last.start == since {
                        last.kind = kind;
                        last.end = None;
                        return;
                    }
                }
                while self.episodes.back().is_some_and(|e| e.start >= since) {
                    self.episodes.pop_back();
                }
                if let Some(last) = self.episodes.back_mut() {
                    if last.end.is_none_or(|e| e > since) {
                        last.end = Some(since);
                    }
                }
                if self.episodes.len() >= MAX_SPANS {
                    self.episodes.pop_front();
                }
                self.episodes.push_back(Episode {
                    start: since,
                    end: None,
                    kind,
                });
            }
            None => {
                if let Some(last) = self.episodes.back_mut() {
                    if last.end.is_none() {
                        last.end = Some(at.max(last.start));
                    }
                }
            }
        }
    }

    /// Forget spans that ended before `cutoff`.
    fn prune(&mut self, cutoff: Millis) {
        while self.actual.len() > 1 && self.actual[1].start < cutoff {
            self.actual.pop_front();
        }
        while self
            .episodes
            .front()
            .is_some_and(|e| e.end.is_some_and(|end| end < cutoff))
        {
            self.episodes.pop_front();
        }
    }

    /// Actual spans overlapping `[from, to)`, clipped, each with its end (the next span's start,
    /// or `to`).
    pub fn actual_between(&self, from: Millis, to: Millis) -> Vec<(Millis, Millis, Option<&str>)> {
        let mut out = Vec::new();
        for (i, s) in self.actual.iter().enumerate() {
            let end = self.actual.get(i + 1).map_or(to, |n| n.start);
            let (a, b) = (s.start.max(from), end.min(to));
            if a < b {
                out.push((a, b, s.activity.as_deref()));
            }
        }
        out
    }

    /// Episodes overlapping `[from, to)`, clipped (an open one ends at `to`).
    pub fn episodes_between(
        &self,
        from: Millis,
        to: Millis,
    ) -> Vec<(Millis, Millis, &'static str)> {
        self.episodes
            .iter()
            .filter_map(|e| {
                let (a, b) = (e.start.max(from), e.end.unwrap_or(to).min(to));
                (a < b).then_some((a, b, e.kind))
            })
            .collect()
    }
}
