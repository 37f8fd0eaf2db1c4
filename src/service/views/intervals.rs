//! Interval totals of an account from the per-person interval records (SPEC §6.3): scheduled
//! and in-adherence seconds summed over persons per interval, for the page's chart. A revised
//! record replaces its previous figures (each person keeps its own, compactly). Only the last
//! 27 hours of intervals are kept.

use crate::time::{parse_rfc3339, Millis};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Intervals starting this long before the newest one are forgotten.
const KEEP_MS: Millis = 27 * 3_600_000;

/// The parts of an interval record the totals need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntervalRec {
    pub end: Millis,
    pub scheduled: f32,
    pub in_adherence: f32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    #[serde(borrow)]
    interval_end: Cow<'a, str>,
    scheduled_seconds: f64,
    in_adherence_seconds: f64,
}

impl IntervalRec {
    pub fn parse(value: &[u8]) -> Option<IntervalRec> {
        let w: Wire = serde_json::from_slice(value).ok()?;
        Some(IntervalRec {
            end: parse_rfc3339(&w.interval_end)?,
            scheduled: w.scheduled_seconds as f32,
            in_adherence: w.in_adherence_seconds as f32,
        })
    }
}

/// One interval of an account.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub end: Millis,
    /// Persons with a record for it.
    pub persons: u32,
    pub scheduled: f64,
    pub in_adherence: f64,
}

#[derive(Default)]
pub struct IntervalTotals {
    pub by_start: BTreeMap<Millis, Totals>,
    newest: Millis,
}

impl IntervalTotals {
    /// A person's record for the interval starting at `start` (`None`: tombstone). `mine` is
    /// the person's own figures. Whether anything changed.
    pub fn put(
        &mut self,
        mine: &mut Vec<(Millis, [f32; 2])>,
        start: Millis,
        rec: Option<IntervalRec>,
    ) -> bool {
        if rec.is_some() && start > self.newest {
            self.newest = start;
            let cutoff = start - KEEP_MS;
            self.by_start.retain(|s, _| *s >= cutoff);
        }
        let cutoff = self.newest - KEEP_MS;
        if start < cutoff {
            return false;
        }
        mine.retain(|(s, _)| *s >= cutoff);
        let pos = mine.binary_search_by_key(&start, |e| e.0);
        let t = self.by_start.entry(start).or_default();
        let changed = match (pos, rec) {
            (Ok(i), Some(r)) => {
                let [sched, inadh] = mine[i].1;
                t.scheduled += r.scheduled as f64 - sched as f64;
                t.in_adherence += r.in_adherence as f64 - inadh as f64;
                t.end = r.end;
                mine[i].1 = [r.scheduled, r.in_adherence];
                true
            }
            (Ok(i), None) => {
                let [sched, inadh] = mine.remove(i).1;
                t.scheduled -= sched as f64;
                t.in_adherence -= inadh as f64;
                t.persons = t.persons.saturating_sub(1);
                true
            }
            (Err(i), Some(r)) => {
                mine.insert(i, (start, [r.scheduled, r.in_adherence]));
                t.scheduled += r.scheduled as f64;
                t.in_adherence += r.in_adherence as f64;
                t.end = r.end;
                t.persons += 1;
                true
            }
            (Err(_), None) => false,
        };
        if t.persons == 0 {
            self.by_start.remove(&start);
        }
        changed
    }

    /// Intervals starting in `[from, to)`.
    pub fn between(&self, from: Millis, to: Millis) -> impl Iterator<Item = (Millis, Totals)> + '_ {
        self.by_start
            .range(from..to.max(from))
            .map(|(s, t)| (*s, *t))
    }
}
