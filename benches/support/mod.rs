//! The simulated day the engine benches feed to the engine.
// each bench uses a part of this
#![allow(dead_code)]

use rta::engine::{Engine, EngineOptions, Origin, Outputs};
use rta::envelope::Envelope;
use rta::simulate::{plan_day, SimOptions};

/// Apply a day's config records to the engine.
pub fn load_config(engine: &mut Engine, config: &[Envelope]) {
    let mut out = Outputs::default();
    for (i, c) in config.iter().enumerate() {
        engine.on_config(&c.origin(i as i64), &mut out);
        out.clear();
    }
}

/// An engine loaded with a day's config, and the day's Odigo events as
/// (integration header, payload) in delivery order.
pub fn load_day(persons: usize) -> (Engine, Vec<(String, Vec<u8>)>) {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 42);
    opts.injixo_integration = None; // the hot path is Odigo's
    let plan = plan_day(&opts);
    let mut engine = Engine::new(EngineOptions::default());
    load_config(&mut engine, &plan.config);
    let events = plan
        .events
        .into_iter()
        .map(|t| {
            (
                t.envelope
                    .header("rta-integration")
                    .unwrap_or("")
                    .to_string(),
                t.envelope.value.unwrap_or_default(),
            )
        })
        .collect();
    (engine, events)
}

/// Feed the events to the engine; the number of output records.
#[inline(never)]
pub fn run_day(engine: &mut Engine, events: &[(String, Vec<u8>)], out: &mut Outputs) -> usize {
    let mut produced = 0;
    for (i, (integ, payload)) in events.iter().enumerate() {
        let origin = Origin {
            topic: "rta.agent-events",
            partition: 0,
            offset: i as i64,
            key: Some(b"acme"),
            payload: Some(payload),
        };
        engine.on_event(&origin, Some(integ), out);
        produced += out.len();
        out.clear();
    }
    produced
}

/// An engine with one account (`acme`, Europe/Berlin, 15-minute intervals) and an injixo-api
/// integration `9100`, for contact events.
pub fn contact_engine() -> Engine {
    contact_engine_with(EngineOptions::default())
}

/// [`contact_engine`] with other options.
pub fn contact_engine_with(opts: EngineOptions) -> Engine {
    use serde_json::json;
    let config = [
        Envelope::json(
            "rta.config",
            "acme/settings",
            &json!({"kind":"settings","account":"acme","timeZone":"Europe/Berlin","intervalMinutes":15}),
        ),
        Envelope::json(
            "rta.config",
            "acme/integration/9100",
            &json!({"kind":"integration","account":"acme","id":"9100","vendor":"injixo-api","name":"ACD"}),
        ),
    ];
    let mut engine = Engine::new(opts);
    load_config(&mut engine, &config);
    engine
}

/// `bodies` contact-events bodies of `per_body` items over one day (2026-11-23, 06:00–20:00
/// UTC, in time order), spread over `queues` queues and three channels (calls, chat, email);
/// `late_percent` of the items are 5–60 minutes older than the body's time (contacts reported
/// after their interval closed). About 88 % handled, handle times of 1–10 minutes. Returns the
/// bodies and the number of contacts.
pub fn contact_bodies(
    bodies: usize,
    per_body: usize,
    queues: usize,
    late_percent: u64,
) -> (Vec<Vec<u8>>, usize) {
    use rta::simulate::rng::Rng;
    use std::fmt::Write;
    const CHANNELS: [&str; 3] = ["calls", "chat", "email"];
    let mut rng = Rng::new(99);
    let start = rta::time::parse_rfc3339("2026-11-23T06:00:00Z").unwrap();
    let span: i64 = 14 * 3_600_000;
    let mut out = Vec::with_capacity(bodies);
    let mut body = String::new();
    for b in 0..bodies {
        let now = start + span * b as i64 / bodies.max(1) as i64;
        body.clear();
        body.push_str(r#"{"data":["#);
        for i in 0..per_body {
            let mut t = now - rng.range(0, 120) * 1000;
            if rng.below(100) < late_percent {
                t -= rng.range(5, 60) * 60_000;
            }
            let q = rng.below(queues as u64);
            let handled = rng.below(100) < 88;
            if i > 0 {
                body.push(',');
            }
            let _ = write!(
                body,
                r#"{{"properties":{{"offered":true,"handled":{handled},"duration":{}.{}}},"queueName":"Queue {q}","queueIdentifier":"{}_{q}","timestamp":"{}","channel":"{}"}}"#,
                rng.range(60, 600),
                rng.below(10),
                1000 + q,
                rta::time::format_rfc3339(t),
                CHANNELS[rng.below(3) as usize],
            );
        }
        body.push_str(r#"],"meta":{"integrationConfigurationId":9100}}"#);
        out.push(body.as_bytes().to_vec());
    }
    (out, bodies * per_body)
}

/// Feed contact-events bodies to the engine; the number of output records.
#[inline(never)]
pub fn run_contacts(engine: &mut Engine, bodies: &[Vec<u8>], out: &mut Outputs) -> usize {
    let mut produced = 0;
    for (i, payload) in bodies.iter().enumerate() {
        let origin = Origin {
            topic: "rta.contact-events",
            partition: 0,
            offset: i as i64,
            key: Some(b"acme"),
            payload: Some(payload),
        };
        engine.on_contacts(&origin, Some("9100"), out);
        produced += out.len();
        out.clear();
    }
    produced
}
