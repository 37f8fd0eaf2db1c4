//! Generates realistic contact-center days: config, schedules and ACD events, for the demo,
//! tests and benchmarks.
//!
//! A day is a pure function of [`SimOptions`]: the same options (seed included) give
//! byte-identical output on every platform, thanks to the crate's own PRNG ([`rng`]). Each
//! person draws from a random stream of their own, so adding persons leaves the others' days
//! unchanged.
//!
//! What a day holds: the account's config records (SPEC §3: settings, activities, an Odigo and
//! an injixo-api integration with their status mappings, a match rule, persons, identifiers,
//! schedules), then the agents' events (SPEC §4) in the order a live relay would deliver them —
//! including agents whose login is not configured, duplicates and late deliveries — and, with
//! the injixo-api integration, the day's contact events (SPEC §10: a few queues over calls, chat
//! and e-mail with intraday arrival curves, handled and abandoned contacts, batched bodies,
//! some resubmitted).

mod behaviour;
mod clock;
mod config;
pub mod contacts;
mod delivery;
mod payloads;
pub mod rng;
mod roster;
mod schedule;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_contacts;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::envelope::Envelope;
use behaviour::{unscheduled_login, working_day, Change};
use payloads::{injixo_bodies, odigo_events, Pending};
use rng::Rng;
use roster::Channel;
use schedule::{plan_person, plan_shift, DayKind};

/// What to simulate. Build with [`SimOptions::new`] and adjust fields as needed.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Account id of every record (default `acme`).
    pub account: String,
    /// Number of configured persons `p1`..`pN` (default 50).
    pub persons: usize,
    /// The local day simulated (in `time_zone`).
    pub date: NaiveDate,
    /// Seed of all randomness.
    pub seed: u64,
    /// IANA time zone of the account (default `Europe/Berlin`; an unknown name falls back to
    /// `UTC`, which is then what the settings record says).
    pub time_zone: String,
    /// Id of the Odigo integration (default `8431`).
    pub odigo_integration: String,
    /// Id of the injixo-api integration through which ~10% of persons report (default
    /// `Some("9100")`); `None`: everyone reports through Odigo.
    pub injixo_integration: Option<String>,
    /// Extra agents whose login is not configured, as a fraction of `persons` (default 0.02; at
    /// least one when positive and `persons >= 20`). Half of them are near-misses of a mapped
    /// login (other case or a trailing space).
    pub unmapped_agents: f64,
    /// Fraction of events delivered twice, and of contact-event bodies resubmitted (default
    /// 0.01).
    pub duplicate_rate: f64,
    /// Fraction of events delivered late, after 1–3 later events of the account (default 0.02).
    pub out_of_order_rate: f64,
    /// Seed of the day's schedules and behaviour when it should differ from the roster's
    /// (`seed`): consecutive days of the same people (default `None`: `seed`).
    pub day_seed: Option<u64>,
    /// Contacts offered to the account's queues over the day, reported as contact events
    /// through the injixo-api integration (none without it; default 30 per person; 0: none).
    pub contacts_per_day: usize,
}

impl SimOptions {
    /// Options for `persons` persons on `date` with `seed`, everything else at its default.
    pub fn new(persons: usize, date: NaiveDate, seed: u64) -> Self {
        SimOptions {
            account: "acme".to_string(),
            persons,
            date,
            seed,
            time_zone: "Europe/Berlin".to_string(),
            odigo_integration: "8431".to_string(),
            injixo_integration: Some("9100".to_string()),
            unmapped_agents: 0.02,
            duplicate_rate: 0.01,
            out_of_order_rate: 0.02,
            day_seed: None,
            contacts_per_day: persons.saturating_mul(30),
        }
    }
}

/// An event envelope and when a live relay would deliver it.
#[derive(Clone, Debug)]
pub struct TimedRecord {
    /// Milliseconds since the Unix epoch.
    pub deliver_at: i64,
    pub envelope: Envelope,
}

/// A simulated day: config records (to load first) and the events in delivery order.
#[derive(Clone, Debug)]
pub struct DayPlan {
    /// `rta.config` records, in dependency order (settings and activities before mappings,
    /// persons before schedules).
    pub config: Vec<Envelope>,
    /// `rta.agent-events` and `rta.contact-events` records sorted by `deliver_at` (stable).
    pub events: Vec<TimedRecord>,
}

/// Random-stream ids (see [`Rng::stream`]) of this module.
const STREAM_SCHEDULE: u64 = 10;
const STREAM_BEHAVIOUR: u64 = 11;
const STREAM_UNMAPPED_BEHAVIOUR: u64 = 12;
const STREAM_DELIVERY: u64 = 13;
const STREAM_CONTACTS: u64 = 14;

/// Chance that a person without a working shift logs in anyway.
const UNSCHEDULED_LOGIN: f64 = 0.12;

/// Plans the whole day described by `opts`.
pub fn plan_day(opts: &SimOptions) -> DayPlan {
    let tz: Tz = opts.time_zone.parse().unwrap_or(Tz::UTC);
    let day_seed = opts.day_seed.unwrap_or(opts.seed);
    let date_tag = opts.date.format("%Y%m%d").to_string();
    let persons = roster::persons(opts);
    let days: Vec<_> = (0..persons.len())
        .map(|i| {
            plan_person(
                &mut Rng::stream(day_seed, STREAM_SCHEDULE, i as u64),
                tz,
                opts.date,
            )
        })
        .collect();

    let mut pending: Vec<Pending> = Vec::with_capacity(persons.len() * 40);
    let mut idle = vec![false; persons.len()];
    for (i, (person, day)) in persons.iter().zip(&days).enumerate() {
        let mut rng = Rng::stream(day_seed, STREAM_BEHAVIOUR, i as u64);
        let changes: Vec<Change> = match day.kind {
            DayKind::Working => working_day(&mut rng, &day.segments),
            _ if rng.chance(UNSCHEDULED_LOGIN) => unscheduled_login(&mut rng, tz, opts.date),
            _ => {
                idle[i] = true;
                continue;
            }
        };
        match (person.channel, opts.injixo_integration.as_deref()) {
            (Channel::Injixo, Some(injixo)) => injixo_bodies(
                &mut rng,
                &opts.account,
                injixo,
                &person.login,
                &changes,
                &mut pending,
            ),
            _ => {
                let prefix = format!("e{date_tag}-{}", person.id);
                odigo_events(
                    &mut rng,
                    &opts.account,
                    &opts.odigo_integration,
                    &person.login,
                    &prefix,
                    &changes,
                    &mut pending,
                )
            }
        }
    }
    for (j, login) in roster::unmapped_logins(opts, &persons, &idle)
        .iter()
        .enumerate()
    {
        let mut rng = Rng::stream(day_seed, STREAM_UNMAPPED_BEHAVIOUR, j as u64);
        let shift = plan_shift(&mut rng, tz, opts.date);
        let changes = working_day(&mut rng, &shift);
        let prefix = format!("e{date_tag}-u{}", j + 1);
        odigo_events(
            &mut rng,
            &opts.account,
            &opts.odigo_integration,
            login,
            &prefix,
            &changes,
            &mut pending,
        );
    }

    let config = config::records(opts, tz, &persons, &days);
    let mut rng = Rng::stream(day_seed, STREAM_DELIVERY, 0);
    let mut events = delivery::deliver(
        &mut rng,
        pending,
        opts.duplicate_rate,
        opts.out_of_order_rate,
    );
    if let Some(injixo) = opts.injixo_integration.as_deref() {
        if opts.contacts_per_day > 0 {
            let mut rng = Rng::stream(day_seed, STREAM_CONTACTS, 0);
            events.extend(contacts::contact_events(&mut rng, tz, opts, injixo));
            events.sort_by_key(|r| r.deliver_at);
        }
    }
    DayPlan { config, events }
}

/// The day as one stream: config records first, then events in delivery order.
pub fn generate(opts: &SimOptions) -> Vec<Envelope> {
    let plan = plan_day(opts);
    let mut out = plan.config;
    out.extend(plan.events.into_iter().map(|r| r.envelope));
    out
}

/// Writes [`generate`] as NDJSON, one `{"topic","key","headers"?,"value"}` envelope per line —
/// the input format of `rta process` (SPEC §7).
pub fn write_ndjson(opts: &SimOptions, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(512);
    for envelope in generate(opts) {
        line.clear();
        envelope.write_line(&mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}
