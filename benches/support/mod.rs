//! The simulated day the hot-path benches feed to the engine.

use rta::engine::{Engine, EngineOptions, Origin, Outputs};
use rta::simulate::{plan_day, SimOptions};

/// An engine loaded with a day's config, and the day's Odigo events as
/// (integration header, payload) in delivery order.
pub fn load_day(persons: usize) -> (Engine, Vec<(String, Vec<u8>)>) {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 42);
    opts.injixo_integration = None; // the hot path is Odigo's
    let plan = plan_day(&opts);
    let mut engine = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    for (i, c) in plan.config.iter().enumerate() {
        let origin = Origin {
            topic: "rta.config",
            partition: 0,
            offset: i as i64,
            key: c.key.as_deref().map(str::as_bytes),
            payload: c.value.as_deref(),
        };
        engine.on_config(&origin, &mut out);
        out.clear();
    }
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
