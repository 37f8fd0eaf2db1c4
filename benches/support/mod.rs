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
