//! Contact events into the account's queues (SPEC §10): each contact is checked like an agent
//! event (accepted range, retention, clock), moves an event-time clock, and is counted; queue
//! intervals are published as the clock passes their ends, late ones at once.

use super::Account;
use crate::decode::Contact;
use crate::engine::queues::{body_digest, queue_interval, ContactIn};
use crate::engine::Ctx;
use crate::reason::{Reason, Reject};
use crate::time::Millis;

impl Account {
    /// The start of a contact-events record: the digest of its body, or `None` when the body
    /// is a resubmission (a byte-identical body of the same integration seen within the
    /// retention), which counts once.
    pub fn begin_contacts(&mut self, integ: u32, payload: &[u8], ctx: &mut Ctx) -> Option<u128> {
        let digest = body_digest(payload);
        if self.queues.resubmissions.contains(integ, digest) {
            ctx.stats.contact_resubmissions += 1;
            return None;
        }
        Some(digest)
    }

    /// Count one decoded contact (its time when counted), or refuse it (the engine's edge
    /// dead-letters the reject).
    pub fn on_contact(
        &mut self,
        integ: u32,
        c: Contact<'_>,
        ctx: &mut Ctx,
    ) -> Result<Millis, Reject> {
        self.check_time(c.time, ctx)?;
        let lim = &ctx.opts.limits;
        let (max_field, max_queues, max_channels) =
            (lim.max_field_bytes, lim.max_queues, lim.max_channels);
        if [&c.queue_id, &c.queue_name, &c.channel]
            .iter()
            .any(|f| f.len() > max_field)
        {
            let detail = format!(
                "a queue identifier, queue name or channel is longer than {max_field} bytes"
            );
            return Err(Reject::new(Reason::TooLarge, detail));
        }
        if self.follows_event_time(ctx) {
            self.advance_clock(c.time, ctx);
        }
        self.queues.count(
            &ContactIn {
                integration: integ,
                queue_id: &c.queue_id,
                queue_name: &c.queue_name,
                channel: &c.channel,
                time: c.time,
                offered: c.offered,
                handled: c.handled,
                duration_ms: c.duration_ms,
            },
            max_queues,
            max_channels,
        )?;
        ctx.stats.contacts_applied += 1;
        Ok(c.time)
    }

    /// The end of a contact-events record: remember its body (when it counted a contact, the
    /// latest at `latest`) and publish the intervals its late contacts revised.
    pub fn end_contacts(
        &mut self,
        integ: u32,
        digest: u128,
        latest: Option<Millis>,
        ctx: &mut Ctx,
    ) {
        if let Some(latest) = latest {
            let horizon = self.horizon(ctx);
            let max = ctx.opts.limits.max_contact_bodies;
            if !self
                .queues
                .resubmissions
                .remember(integ, digest, latest, horizon, max)
            {
                ctx.stats.contact_bodies_unchecked += 1;
            }
        }
        // late contacts revise intervals already published
        if let Some(c) = self.clock {
            self.flush_queues(c - ctx.opts.lateness, ctx);
        }
    }

    /// An integration resumed (or was deleted): its held queue intervals are published.
    pub(super) fn release_held_contacts(&mut self, ctx: &mut Ctx) {
        let rules = &self.rules;
        self.queues
            .resume(|i| rules.integration(i).paused && rules.integration(i).active);
        if let Some(c) = self.clock {
            self.flush_queues(c - ctx.opts.lateness, ctx);
        }
    }

    /// Publish the queue intervals due at `watermark` and prune what left the retention.
    pub(super) fn flush_queues(&mut self, watermark: Millis, ctx: &mut Ctx) {
        if self.queues.is_empty() {
            return;
        }
        let (name, rules) = (&*self.name, &self.rules);
        let paused = |i: u32| rules.integration(i).paused && rules.integration(i).active;
        self.queues.flush(&rules.grid, watermark, paused, |q, iv| {
            let integration = &*rules.integration(q.integration).id;
            ctx.emit(|e| queue_interval(e, name, integration, &q.id, &q.name, iv));
        });
        if let (Some(h), Some(c)) = (self.horizon(ctx), self.clock) {
            self.queues.prune(&self.rules.grid, h, c);
        }
    }
}
