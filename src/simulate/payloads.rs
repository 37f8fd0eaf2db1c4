//! Vendor payloads (SPEC §4): agent status changes as Odigo notifications or injixo-api
//! request bodies, wrapped in `rta.agent-events` envelopes.

use serde_json::{json, Map, Value};

use super::behaviour::{AgentState, Change, PauseCode};
use super::clock::{format_utc, Millis};
use super::config::INJIXO_SYSTEM;
use super::rng::Rng;
use crate::envelope::Envelope;

/// The agent-events topic (SPEC §2 default).
pub use crate::wire::AGENT_EVENTS_TOPIC as EVENTS_TOPIC;
/// The header naming an event's integration.
pub use crate::wire::INTEGRATION_HEADER;

/// An event envelope and the instant its source emitted it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub at: Millis,
    pub envelope: Envelope,
}

/// Odigo `state` and optional `pauseCode` of a state.
fn odigo_state(state: AgentState) -> (&'static str, Option<&'static str>) {
    match state {
        AgentState::Login => ("LOGIN", None),
        AgentState::Ready => ("READY", None),
        AgentState::Busy => ("BUSY", None),
        AgentState::Wrapup => ("WRAPUP", None),
        AgentState::Logout => ("LOGOUT", None),
        AgentState::Pause(code) => (
            "PAUSE",
            Some(match code {
                PauseCode::Lunch => "LUNCH",
                PauseCode::Break => "BREAK",
                PauseCode::Meeting => "MEETING",
                PauseCode::Training => "TRAINING",
                PauseCode::BackOffice => "BACKOFFICE",
                PauseCode::Personal => "PERSONAL",
            }),
        ),
    }
}

/// The injixo-api activity identifier of a state; `None` = offline. Training has no status of
/// its own in the simulated ACD and shows as "Meeting".
fn injixo_activity(state: AgentState) -> Option<&'static str> {
    match state {
        AgentState::Login | AgentState::Ready | AgentState::Busy | AgentState::Wrapup => {
            Some("Calls")
        }
        AgentState::Logout => None,
        AgentState::Pause(code) => Some(match code {
            PauseCode::Lunch => "Lunch",
            PauseCode::Break => "Break",
            PauseCode::Meeting | PauseCode::Training => "Meeting",
            PauseCode::BackOffice => "Back office",
            PauseCode::Personal => "Personal",
        }),
    }
}

/// One Odigo notification per change; eventIds `{event_prefix}-{n}` (n from 1), ~10% with an
/// epoch-milliseconds `timestamp`.
pub fn odigo_events(
    rng: &mut Rng,
    account: &str,
    integration: &str,
    login: &str,
    event_prefix: &str,
    changes: &[Change],
    out: &mut Vec<Pending>,
) {
    for (n, c) in changes.iter().enumerate() {
        let (state, pause_code) = odigo_state(c.state);
        let timestamp = if rng.chance(0.10) {
            Value::from(c.at)
        } else {
            Value::from(format_utc(c.at))
        };
        let mut value = json!({
            "eventId": format!("{event_prefix}-{}", n + 1),
            "timestamp": timestamp,
            "login": login,
            "state": state,
        });
        if let (Some(code), Value::Object(map)) = (pause_code, &mut value) {
            map.insert("pauseCode".into(), Value::from(code));
        }
        let envelope = Envelope::json(EVENTS_TOPIC, account, &value)
            .with_header(INTEGRATION_HEADER, integration);
        out.push(Pending { at: c.at, envelope });
    }
}

/// One reported status interval.
struct Item {
    activity: &'static str,
    start: Millis,
    end: Option<Millis>,
}

/// injixo-api request bodies for one agent: sent 1–20 s after the first status, the final
/// logout and ~60% of the changes between; each reports the items that ended since the
/// previous body (with `endTime`) and the ongoing one (without).
pub fn injixo_bodies(
    rng: &mut Rng,
    account: &str,
    integration: &str,
    agent: &str,
    changes: &[Change],
    out: &mut Vec<Pending>,
) {
    let mut items: Vec<Item> = Vec::new();
    let mut boundaries: Vec<Millis> = Vec::new();
    for c in changes {
        let activity = injixo_activity(c.state);
        let open = items.last_mut().filter(|i| i.end.is_none());
        if open.as_ref().map(|i| i.activity) == activity {
            continue;
        }
        let mut changed = false;
        if let Some(item) = open {
            item.end = Some(c.at);
            changed = true;
        }
        if let Some(activity) = activity {
            items.push(Item {
                activity,
                start: c.at,
                end: None,
            });
            changed = true;
        }
        if changed {
            boundaries.push(c.at);
        }
    }
    let id_value = match integration.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(integration),
    };
    let mut previous = Millis::MIN;
    for (i, &b) in boundaries.iter().enumerate() {
        if !(i == 0 || i + 1 == boundaries.len() || rng.chance(0.6)) {
            continue;
        }
        let sent = (b + rng.range(1, 20) * 1_000).max(previous.saturating_add(1_000));
        let data: Vec<Value> = items
            .iter()
            .filter(|it| it.start <= sent && it.end.is_none_or(|e| e > previous))
            .map(|it| {
                let mut m = Map::new();
                m.insert("agentIdentifier".into(), Value::from(agent));
                m.insert("activityIdentifier".into(), Value::from(it.activity));
                m.insert("startTime".into(), Value::from(format_utc(it.start)));
                if let Some(e) = it.end.filter(|&e| e <= sent) {
                    m.insert("endTime".into(), Value::from(format_utc(e)));
                }
                Value::Object(m)
            })
            .collect();
        previous = sent;
        if data.is_empty() {
            continue;
        }
        let body = json!({
            "data": data,
            "meta": {"integrationConfigurationId": id_value, "externalSystem": INJIXO_SYSTEM},
        });
        let envelope = Envelope::json(EVENTS_TOPIC, account, &body)
            .with_header(INTEGRATION_HEADER, integration);
        out.push(Pending { at: sent, envelope });
    }
}
