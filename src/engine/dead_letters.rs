//! The engine's edge for rejects: a typed [`Reject`] (a decoder's, or the account's for one
//! event or contact) becomes a dead-letter record (SPEC §6.5) here and nowhere else — the
//! account never sees the input record or its payload, only the decoded elements.
//!
//! Multi-element records (an Odigo array, an injixo `data` list, a contact-events body): the
//! first bad element of each reason is dead-lettered in place (its detail names it) and the
//! others of that reason make one more dead letter at the end ("N more elements with this
//! reason", the details of the first ten). So a record yields at most two dead letters per
//! reason, each with one copy of the payload, whatever the list's length.

use super::output::{self, Origin};
use super::Ctx;
use crate::reason::{Reason, Reject};

const LISTED: u32 = 10;

impl Ctx<'_> {
    /// Write the dead letter of `origin` (the input record) and count it.
    pub fn dead_letter(&mut self, origin: &Origin, reason: Reason, detail: &str) {
        self.stats.dead_letter(reason);
        if self.contacts {
            self.stats.contact_dead_letters[reason as usize] += 1;
        }
        tracing::debug!(
            reason = reason.as_str(),
            detail,
            topic = origin.topic,
            offset = origin.offset,
            "dead letter"
        );
        self.emit(|e| output::dead_letter(e, origin, reason, detail));
    }

    /// The dead letter of a reject.
    pub fn reject(&mut self, origin: &Origin, r: &Reject) {
        self.dead_letter(origin, r.reason, &r.detail);
    }
}

/// The rejected elements of one multi-element record.
#[derive(Default)]
pub(super) struct ElementErrors {
    more: smallvec::SmallVec<[(Reason, u32, String); 2]>,
}

impl ElementErrors {
    /// One bad element.
    pub fn add(&mut self, r: &Reject, origin: &Origin, ctx: &mut Ctx) {
        let (reason, detail) = (r.reason, r.detail.as_str());
        match self.more.iter_mut().find(|(r, _, _)| *r == reason) {
            None => {
                ctx.dead_letter(origin, reason, detail);
                self.more.push((reason, 0, String::new()));
            }
            Some((_, n, details)) => {
                *n += 1;
                if *n <= LISTED {
                    if *n > 1 {
                        details.push_str("; ");
                    }
                    details.push_str(detail);
                }
            }
        }
    }

    /// The end of the record: the summary dead letters.
    pub fn finish(self, origin: &Origin, ctx: &mut Ctx) {
        for (reason, n, details) in self.more {
            if n > 0 {
                let tail = if n > LISTED { "; …" } else { "" };
                let detail = format!("{n} more elements with this reason: {details}{tail}");
                ctx.dead_letter(origin, reason, &detail);
            }
        }
    }
}
