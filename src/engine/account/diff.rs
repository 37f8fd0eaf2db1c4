//! The differences between what was published and a recomputation: revised and vanished
//! intervals.

use crate::config::Rules;
use crate::engine::cursor::IntervalAcc;
use crate::engine::output::{self, AccountHead, Who};
use crate::engine::person::Person;
use crate::engine::Ctx;
use crate::time::Millis;

/// Publish intervals whose totals differ between the old and the new replay.
pub(super) fn diff_intervals(
    account: &AccountHead,
    person: &mut Person,
    old: &[IntervalAcc],
    new: &[IntervalAcc],
    rules: &Rules,
    ctx: &mut Ctx,
) {
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let a = old.get(i);
        let b = new.get(j);
        match (a, b) {
            (Some(x), Some(y)) if x.start == y.start => {
                if !x.same_totals(y) {
                    let rev = person.revision(y.start).unwrap_or(0) + 1;
                    person.set_revision(y.start, rev);
                    ctx.stats.interval_revisions += 1;
                    ctx.emit(|e| output::interval(e, Who::new(account, &person.id), y, rev, rules));
                }
                i += 1;
                j += 1;
            }
            (Some(x), None) => {
                tombstone(account, person, x.start, ctx);
                i += 1;
            }
            (Some(x), Some(y)) if x.start < y.start => {
                tombstone(account, person, x.start, ctx);
                i += 1;
            }
            (_, Some(y)) => {
                let rev = match person.revision(y.start) {
                    Some(r) => {
                        person.set_revision(y.start, r + 1);
                        r + 1
                    }
                    None => 0,
                };
                ctx.emit(|e| output::interval(e, Who::new(account, &person.id), y, rev, rules));
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// An interval the person no longer has (neither scheduled nor online in it any more).
fn tombstone(account: &AccountHead, person: &mut Person, start: Millis, ctx: &mut Ctx) {
    let rev = person.revision(start).unwrap_or(0) + 1;
    person.set_revision(start, rev);
    ctx.stats.interval_revisions += 1;
    ctx.emit(|e| output::interval_tombstone(e, Who::new(account, &person.id), start));
}
