//! The adherence engine: pure, deterministic, single-threaded per account. Input records go
//! in with the time they act at; output records come out. Kafka, HTTP, files and the wall
//! clock live outside (see `crate::kafka`, `crate::cli`).

mod account;
mod config_input;
mod cursor;
mod dead_letters;
mod idents;
mod items;
pub mod limits;
pub mod output;
mod person;
pub mod queues;
mod rewind;
mod schedule;
pub mod snapshot;
mod stats;
mod timeline;
mod timers;

pub use account::Account;
pub use config_input::config_input;
pub use cursor::{status_offline, Cursor, Ooo, StateView};
pub use limits::Limits;
pub use output::{Origin, OutTopic, Output, OutputRef, Outputs, StateFacts};
pub use person::Person;
pub use snapshot::{ChangeKey, Changelog, KeyKind, SnapshotError, FORMAT_VERSION};
pub use stats::Stats;

use crate::config::Vendor;
use crate::decode::{
    decode_contacts_max, decode_injixo_max, decode_odigo_max, injixo_integration_id,
};
use crate::reason::{Reason, Reject};
use crate::time::Millis;
use ahash::AHashMap;
use cursor::SweepEvent;
use dead_letters::ElementErrors;

/// Where the engine's clock comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Each account's clock is the largest event time seen (offline, backfills, tests).
    EventTime,
    /// The caller advances the clock (wall-clock time in the service).
    External,
}

#[derive(Clone, Debug)]
pub struct EngineOptions {
    pub clock: ClockMode,
    /// How far back late events are still applied and intervals revised (SPEC default 48 h).
    pub retention: Millis,
    /// External clock only: how far ahead of the clock an event may be.
    pub future_tolerance: Millis,
    /// Limits on hostile input (accepted time range, sizes, caps): see [`limits`].
    pub limits: Limits,
    /// How far past the retention a person's checkpoint may lag before it is moved forward.
    pub prune_slack: Millis,
    /// Allowed lateness: timers (schedule boundaries, buffer expiries, interval ends) fire once
    /// the clock is this far past them, so events delayed by relay jitter still land in order
    /// instead of revising what was already published. The watermark of stream processing.
    pub lateness: Millis,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            clock: ClockMode::EventTime,
            retention: 48 * 3600 * 1000,
            future_tolerance: 5 * 60 * 1000,
            limits: Limits::default(),
            prune_slack: 6 * 3600 * 1000,
            lateness: 2_000,
        }
    }
}

/// What account code needs besides its own state.
pub struct Ctx<'a> {
    pub opts: &'a EngineOptions,
    pub out: &'a mut Outputs,
    pub stats: &'a mut Stats,
    pub(crate) scratch: &'a mut Vec<SweepEvent>,
    /// The input is a contact-events record (its dead letters are also counted as such).
    pub contacts: bool,
}

impl Ctx<'_> {
    /// Encode one record into the output buffer.
    #[inline]
    pub fn emit(&mut self, f: impl FnOnce(&mut Outputs) -> OutTopic) {
        let topic = f(self.out);
        self.stats.outputs[topic as usize] += 1;
    }
}

/// A record value over the byte limit: the dead letter's detail.
fn too_large(payload: &[u8], limits: &Limits) -> Option<String> {
    (payload.len() > limits.max_record_bytes).then(|| {
        format!(
            "the record value has {} bytes, more than the limit of {}",
            payload.len(),
            limits.max_record_bytes
        )
    })
}

/// All accounts of one worker.
#[derive(Clone)]
pub struct Engine {
    pub opts: EngineOptions,
    accounts: AHashMap<Box<str>, Account>,
    pub stats: Stats,
    scratch: Vec<SweepEvent>,
    /// External clock mode: the last time given to [`Engine::advance_clock`].
    clock: Option<Millis>,
    /// Latest event time decoded from the last agent-event record (for event-age metrics).
    pub last_event_time: Option<Millis>,
}

impl Engine {
    pub fn new(opts: EngineOptions) -> Engine {
        Engine {
            opts,
            accounts: AHashMap::new(),
            stats: Stats::default(),
            scratch: Vec::new(),
            clock: None,
            last_event_time: None,
        }
    }

    /// The context of one call, and the accounts (disjoint borrows of the engine).
    fn split<'a>(
        &'a mut self,
        out: &'a mut Outputs,
    ) -> (Ctx<'a>, &'a mut AHashMap<Box<str>, Account>) {
        let ctx = Ctx {
            opts: &self.opts,
            out,
            stats: &mut self.stats,
            scratch: &mut self.scratch,
            contacts: false,
        };
        (ctx, &mut self.accounts)
    }

    /// Run `f` on every account in name order (outputs are deterministic).
    fn each_account(&mut self, out: &mut Outputs, mut f: impl FnMut(&mut Account, &mut Ctx)) {
        let (mut ctx, accounts) = self.split(out);
        let mut names: Vec<Box<str>> = accounts.keys().cloned().collect();
        names.sort();
        for n in names {
            if let Some(a) = accounts.get_mut(&n) {
                f(a, &mut ctx);
            }
        }
    }

    /// Apply one `rta.agent-events` record. `integration` is the `rta-integration` header.
    pub fn on_event(&mut self, origin: &Origin, integration: Option<&str>, out: &mut Outputs) {
        self.stats.event_records += 1;
        self.last_event_time = None;
        let (account, integ, payload) = match self.route(origin, integration) {
            Ok(r) => r,
            Err(r) => return self.dead_letter(origin, r.reason, &r.detail, out),
        };
        let Some(acct) = self.accounts.get_mut(account) else {
            return;
        };
        let slot = acct.rules.integration(integ);
        let mut events = crate::decode::Decoded::new();
        let decoded = match slot.vendor {
            Vendor::Odigo => decode_odigo_max(
                payload,
                slot.detailed_breaks,
                slot.fields.as_ref(),
                self.opts.limits.max_elements,
                &mut events,
            ),
            Vendor::InjixoApi => {
                decode_injixo_max(payload, self.opts.limits.max_elements, &mut events)
            }
        };
        let mut ctx = Ctx {
            opts: &self.opts,
            out,
            stats: &mut self.stats,
            scratch: &mut self.scratch,
            contacts: false,
        };
        if let Err(e) = decoded {
            return ctx.reject(origin, &e);
        }
        self.last_event_time = events
            .iter()
            .filter_map(|e| e.as_ref().ok().map(|e| e.time))
            .max();
        // elements the decoder refused are batched (one payload copy per reason); an event the
        // account refuses is dead-lettered in place
        let mut errors = ElementErrors::default();
        for ev in events {
            match ev {
                Ok(ev) => {
                    if let Err(r) = acct.on_event(integ, ev, &mut ctx) {
                        ctx.reject(origin, &r);
                    }
                }
                Err(e) => errors.add(&e, origin, &mut ctx),
            }
        }
        errors.finish(origin, &mut ctx);
    }

    /// Apply one `rta.contact-events` record (SPEC §10). `integration` is the `rta-integration`
    /// header; the integration must be an injixo-api one.
    pub fn on_contacts(&mut self, origin: &Origin, integration: Option<&str>, out: &mut Outputs) {
        self.stats.contact_records += 1;
        let routed = self.route(origin, integration);
        let mut ctx = Ctx {
            opts: &self.opts,
            out,
            stats: &mut self.stats,
            scratch: &mut self.scratch,
            contacts: true,
        };
        let (account, integ, payload) = match routed {
            Ok(r) => r,
            Err(r) => return ctx.reject(origin, &r),
        };
        let Some(acct) = self.accounts.get_mut(account) else {
            return;
        };
        let slot = acct.rules.integration(integ);
        if slot.vendor != Vendor::InjixoApi {
            let detail = format!(
                "integration {:?} of account {account:?} is not an injixo-api integration; contact events come from injixo-api integrations",
                slot.id
            );
            return ctx.dead_letter(origin, Reason::UnknownIntegration, &detail);
        }
        let mut contacts = Vec::new();
        if let Err(e) = decode_contacts_max(payload, ctx.opts.limits.max_elements, &mut contacts) {
            return ctx.reject(origin, &e);
        }
        let Some(digest) = acct.begin_contacts(integ, payload, &mut ctx) else {
            return;
        };
        let mut errors = ElementErrors::default();
        let mut latest: Option<Millis> = None;
        for c in contacts {
            match c.and_then(|c| acct.on_contact(integ, c, &mut ctx)) {
                Ok(t) => latest = Some(latest.map_or(t, |l| l.max(t))),
                Err(r) => errors.add(&r, origin, &mut ctx),
            }
        }
        errors.finish(origin, &mut ctx);
        acct.end_contacts(integ, digest, latest, &mut ctx);
    }

    /// The account, active integration and payload of an input record, or its dead letter:
    /// the key names the account, the `rta-integration` header (or the injixo payload's
    /// `meta.integrationConfigurationId`) the integration.
    fn route<'o>(
        &self,
        origin: &Origin<'o>,
        integration: Option<&str>,
    ) -> Result<(&'o str, u32, &'o [u8]), Reject> {
        let account = match origin.key.map(std::str::from_utf8) {
            Some(Ok(a)) if !a.is_empty() => a,
            Some(Err(_)) => {
                return Err(Reject::new(
                    Reason::MissingField,
                    "the record key (account id) is not UTF-8",
                ))
            }
            _ => {
                return Err(Reject::new(
                    Reason::MissingField,
                    "the record key (account id) is missing",
                ))
            }
        };
        let Some(payload) = origin.payload else {
            return Err(Reject::new(Reason::MissingField, "the record has no value"));
        };
        if let Some(detail) = too_large(payload, &self.opts.limits) {
            return Err(Reject::new(Reason::TooLarge, detail));
        }
        let from_payload;
        let integration_id = match integration {
            Some(i) if !i.is_empty() => i,
            _ => {
                from_payload = injixo_integration_id(payload);
                match from_payload.as_deref() {
                    Some(i) => i,
                    None => {
                        if serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_err() {
                            return Err(Reject::new(
                                Reason::InvalidJson,
                                "payload is not valid JSON and has no rta-integration header",
                            ));
                        }
                        return Err(Reject::new(Reason::MissingField, "no rta-integration header (and no meta.integrationConfigurationId in the payload)"));
                    }
                }
            }
        };
        let unknown = || {
            let detail =
                format!("integration {integration_id:?} is not configured for account {account:?}");
            Reject::new(Reason::UnknownIntegration, detail)
        };
        let acct = self.accounts.get(account).ok_or_else(unknown)?;
        match acct.rules.integration_idx(integration_id) {
            Some(i) if acct.rules.integration(i).active => Ok((account, i, payload)),
            _ => Err(unknown()),
        }
    }

    /// External clock: advance every account to `now`, firing due timers.
    pub fn advance_clock(&mut self, now: Millis, out: &mut Outputs) {
        self.clock = Some(self.clock.map_or(now, |c| c.max(now)));
        self.each_account(out, |a, ctx| {
            if !a.event_clock {
                a.advance_clock(now, ctx);
            }
        });
    }

    /// Start an account afresh (replacing any state it had). With `event_clock`, its clock
    /// follows its events until [`Engine::end_event_clock`]: the service rebuilds an account
    /// this way from retained input before it goes live.
    pub fn reset_account(&mut self, name: &str, event_clock: bool) {
        let clock = if event_clock { None } else { self.clock };
        let mut a = Account::new(name, clock);
        a.event_clock = event_clock;
        self.accounts.insert(name.into(), a);
    }

    /// Forget an account (its partition moved to another instance).
    pub fn remove_account(&mut self, name: &str) -> bool {
        self.accounts.remove(name).is_some()
    }

    pub fn has_account(&self, name: &str) -> bool {
        self.accounts.contains_key(name)
    }

    /// End an account's rebuild: from now on its clock is the engine's external clock, which
    /// is applied at once (firing the timers due since its last event).
    pub fn end_event_clock(&mut self, name: &str, out: &mut Outputs) {
        let now = match self.opts.clock {
            ClockMode::External => self.clock,
            ClockMode::EventTime => None,
        };
        let (mut ctx, accounts) = self.split(out);
        if let Some(a) = accounts.get_mut(name) {
            a.event_clock = false;
            if let Some(now) = now {
                a.advance_clock(now, &mut ctx);
            }
        }
    }

    /// External clock: like [`Engine::advance_clock`] but fires every timer up to `now`,
    /// ignoring the allowed lateness (end of input, shutdown).
    pub fn flush_clock(&mut self, now: Millis, out: &mut Outputs) {
        self.clock = Some(self.clock.map_or(now, |c| c.max(now)));
        self.each_account(out, |a, ctx| {
            if !a.event_clock {
                a.advance_clock(now, ctx);
            }
            a.flush_timers(now, ctx);
        });
    }

    /// Offline end of input: advance every account's clock to `until` (if given), then publish
    /// every known person's current state once more.
    pub fn finish(&mut self, until: Option<Millis>, out: &mut Outputs) {
        self.each_account(out, |a, ctx| {
            if let Some(u) = until {
                a.advance_clock(u, ctx);
            }
            if let Some(c) = a.clock {
                a.flush_timers(c, ctx);
            }
            a.publish_all_states(ctx);
        });
    }

    /// Record a dead letter for input the engine never saw (e.g. an unreadable envelope).
    pub fn dead_letter(
        &mut self,
        origin: &Origin,
        reason: Reason,
        detail: &str,
        out: &mut Outputs,
    ) {
        self.split(out).0.dead_letter(origin, reason, detail);
    }

    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.get(name)
    }

    pub fn account_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.accounts.get_mut(name)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Persons tracked across accounts.
    pub fn person_count(&self) -> usize {
        self.accounts.values().map(|a| a.persons.len()).sum()
    }
}

#[cfg(test)]
mod size_report {
    #[test]
    fn print_sizes() {
        println!(
            "Person {} Cursor {} IntervalAcc {} DayAcc {} Entry {} Segment {}",
            std::mem::size_of::<super::Person>(),
            std::mem::size_of::<super::Cursor>(),
            std::mem::size_of::<super::cursor::IntervalAcc>(),
            std::mem::size_of::<super::cursor::DayAcc>(),
            std::mem::size_of::<super::timeline::Entry>(),
            std::mem::size_of::<super::schedule::Segment>(),
        );
    }
}
