//! What a sweep accumulates: the scores of the local day containing the cursor and the totals
//! of the interval containing it. Both restart at their boundaries on the account's local grid.

use crate::config::Rules;
use crate::time::Millis;
use smallvec::SmallVec;

/// Scores of the local day containing the cursor, up to the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayAcc {
    pub date: i32,
    pub start: Millis,
    pub end: Millis,
    /// Milliseconds (a day is at most 25 h, so they fit 32 bits).
    pub scheduled: u32,
    pub in_adherence: u32,
    pub actual: u32,
    /// The person was scheduled (any segment) or online during the day: its end is a visible
    /// change (the next day's record restarts the figures).
    pub present: bool,
}

impl DayAcc {
    /// The local day containing `t`, with nothing accrued yet.
    pub fn at(rules: &Rules, t: Millis) -> DayAcc {
        let (date, start, end) = rules.grid.day_at(t);
        DayAcc {
            date,
            start,
            end,
            scheduled: 0,
            in_adherence: 0,
            actual: 0,
            present: false,
        }
    }
}

/// Totals of the interval containing the cursor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IntervalAcc {
    pub start: Millis,
    pub end: Millis,
    /// Milliseconds (an interval is at most an hour, so they fit 32 bits).
    pub scheduled: u32,
    pub in_adherence: u32,
    /// Beyond-buffer time per [`super::Ooo`].
    pub ooo: [u32; 3],
    pub not_scheduled: u32,
    pub actual: u32,
    /// The person was scheduled (any segment) or online during the interval.
    pub present: bool,
    /// Online time per activity index.
    pub activities: SmallVec<[(u32, u32); 3]>,
}

impl IntervalAcc {
    /// The interval of the local grid containing `t`, with nothing accrued yet.
    pub fn at(rules: &Rules, t: Millis) -> IntervalAcc {
        let (start, end) = rules.grid.interval_at(t);
        IntervalAcc {
            start,
            end,
            scheduled: 0,
            in_adherence: 0,
            ooo: [0; 3],
            not_scheduled: 0,
            actual: 0,
            present: false,
            activities: SmallVec::new(),
        }
    }

    /// Same totals (ignoring the order activities were met in).
    pub fn same_totals(&self, o: &IntervalAcc) -> bool {
        let mut a = self.activities.clone();
        let mut b = o.activities.clone();
        a.sort_unstable();
        b.sort_unstable();
        self.start == o.start
            && self.end == o.end
            && self.scheduled == o.scheduled
            && self.in_adherence == o.in_adherence
            && self.ooo == o.ooo
            && self.not_scheduled == o.not_scheduled
            && self.actual == o.actual
            && a == b
    }
}
