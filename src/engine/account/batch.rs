//! Dead letters of one multi-element record (an Odigo array, an injixo `data` list, a
//! contact-events body): the first bad element of each reason is dead-lettered in place (its
//! detail names it) and the others of that reason make one more dead letter at the end ("N more
//! elements with this reason", the details of the first ten). So a record yields at most two
//! dead letters per reason, each with one copy of the payload, whatever the list's length.

use crate::engine::output::Origin;
use crate::engine::Ctx;
use crate::reason::Reason;

const LISTED: u32 = 10;

#[derive(Default)]
pub(super) struct ElementErrors {
    more: smallvec::SmallVec<[(Reason, u32, String); 2]>,
}

impl ElementErrors {
    /// One bad element.
    pub fn add(&mut self, reason: Reason, detail: &str, origin: &Origin, ctx: &mut Ctx) {
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
