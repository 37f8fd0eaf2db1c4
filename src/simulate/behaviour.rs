//! Agent behaviour: the status changes an agent makes through the day, following the schedule
//! with human noise. Vendor-neutral; `payloads` encodes them for Odigo or injixo-api.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::clock::{local_ms, Millis};
use super::config::{BACK_OFFICE, BREAK, LUNCH, MEETING, TRAINING};
use super::rng::Rng;
use super::schedule::Segment;

const SEC: Millis = 1_000;
const MIN: Millis = 60 * SEC;

/// Why an agent is paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseCode {
    Lunch,
    Break,
    Meeting,
    Training,
    BackOffice,
    /// Not in the schedule and not mapped in the config: rare on purpose.
    Personal,
}

impl PauseCode {
    /// The pause an agent takes for a scheduled activity (none for presence and absences).
    fn for_activity(activity: &str) -> Option<PauseCode> {
        match activity {
            LUNCH => Some(PauseCode::Lunch),
            BREAK => Some(PauseCode::Break),
            MEETING => Some(PauseCode::Meeting),
            TRAINING => Some(PauseCode::Training),
            BACK_OFFICE => Some(PauseCode::BackOffice),
            _ => None,
        }
    }
}

/// An agent's ACD state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentState {
    Login,
    Ready,
    /// Handling calls: one BUSY stands for a run of back-to-back calls, so that an agent makes
    /// about 30 status changes a day rather than hundreds.
    Busy,
    Wrapup,
    Pause(PauseCode),
    Logout,
}

/// One status change of one agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub at: Millis,
    pub state: AgentState,
}

/// How an agent handles a scheduled pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handling {
    /// PAUSE with the matching code.
    Pause,
    /// Logs out and back in (meetings held away from the desk).
    Away,
    /// Keeps taking calls: wrong activity.
    Stay,
}

#[derive(Clone, Copy, Debug)]
struct PlannedPause {
    start: Millis,
    end: Millis,
    code: PauseCode,
    handling: Handling,
}

/// A strictly time-ordered list of changes without repeats of the same state.
#[derive(Default)]
struct Timeline {
    changes: Vec<Change>,
}

impl Timeline {
    fn last_at(&self) -> Millis {
        self.changes.last().map_or(Millis::MIN, |c| c.at)
    }

    fn last_state(&self) -> Option<AgentState> {
        self.changes.last().map(|c| c.state)
    }

    /// Appends a change at `at` (moved to one second after the previous change if needed).
    fn push(&mut self, at: Millis, state: AgentState) {
        if self.last_state() == Some(state) {
            return;
        }
        let at = if self.changes.is_empty() {
            at
        } else {
            at.max(self.last_at() + SEC)
        };
        self.changes.push(Change { at, state });
    }

    /// Cycles READY → BUSY → WRAPUP → READY from the current state until 30 s before `until`.
    fn take_calls(&mut self, rng: &mut Rng, until: Millis) {
        loop {
            let (stay, next) = match self.last_state() {
                Some(AgentState::Ready) => (rng.range(3 * 60, 35 * 60), AgentState::Busy),
                Some(AgentState::Busy) => (rng.range(8 * 60, 55 * 60), AgentState::Wrapup),
                Some(AgentState::Wrapup) => (rng.range(40, 6 * 60), AgentState::Ready),
                _ => (rng.range(5, 40), AgentState::Ready),
            };
            let at = self.last_at() + stay * SEC;
            if at >= until - 30 * SEC {
                return;
            }
            self.push(at, next);
        }
    }
}

/// The changes of an agent working the shift `segments` (contiguous, time-ordered): LOGIN 0–5
/// min early or late (10%: 5–20 min late), calls during presence, a PAUSE within ~3 min of each
/// scheduled break, lunch, meeting, training or back-office block (10% of breaks and lunches
/// run 5–15 min long; 30% of meetings and trainings are held logged out, 8% skipped for calls),
/// a rare unscheduled `PERSONAL` pause, and LOGOUT near the shift end.
pub fn working_day(rng: &mut Rng, segments: &[Segment]) -> Vec<Change> {
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return Vec::new();
    };
    let login = first.start
        + if rng.chance(0.10) {
            rng.range(5 * 60, 20 * 60)
        } else {
            rng.range(-5 * 60, 5 * 60)
        } * SEC;
    let logout = last.end + rng.range(-3 * 60, 8 * 60) * SEC;

    let mut plans = Vec::new();
    for s in segments {
        let Some(code) = PauseCode::for_activity(s.activity) else {
            continue;
        };
        let start = s.start + rng.range(-180, 180) * SEC;
        let overrun = matches!(code, PauseCode::Lunch | PauseCode::Break) && rng.chance(0.10);
        let end = s.end
            + if overrun {
                rng.range(5 * 60, 15 * 60)
            } else {
                rng.range(-180, 180)
            } * SEC;
        let handling = match code {
            PauseCode::Meeting | PauseCode::Training => match rng.below(100) {
                0..=7 => Handling::Stay,
                8..=37 => Handling::Away,
                _ => Handling::Pause,
            },
            _ => Handling::Pause,
        };
        plans.push(PlannedPause {
            start,
            end,
            code,
            handling,
        });
    }
    if rng.chance(0.08) {
        let start = rng.range(login + 30 * MIN, logout - 40 * MIN);
        let end = start + rng.range(3 * 60, 10 * 60) * SEC;
        let clear = plans
            .iter()
            .all(|p| end + 10 * MIN < p.start || start > p.end + 10 * MIN);
        if clear {
            plans.push(PlannedPause {
                start,
                end,
                code: PauseCode::Personal,
                handling: Handling::Pause,
            });
            plans.sort_by_key(|p| p.start);
        }
    }

    let mut tl = Timeline::default();
    tl.push(login, AgentState::Login);
    tl.push(login + rng.range(5, 40) * SEC, AgentState::Ready);
    for (i, p) in plans.iter().enumerate() {
        let next_start = plans.get(i + 1).map_or(logout, |n| n.start);
        let start = p.start.max(tl.last_at() + 30 * SEC);
        let end = p.end.min(next_start - MIN).min(logout - MIN);
        if end <= start + MIN {
            continue;
        }
        tl.take_calls(rng, start);
        match p.handling {
            Handling::Pause => {
                tl.push(start, AgentState::Pause(p.code));
                tl.push(end, AgentState::Ready);
            }
            Handling::Away => {
                tl.push(start, AgentState::Logout);
                tl.push(end, AgentState::Login);
                tl.push(end + rng.range(5, 30) * SEC, AgentState::Ready);
            }
            Handling::Stay => {}
        }
    }
    tl.take_calls(rng, logout);
    tl.push(logout, AgentState::Logout);
    tl.changes
}

/// A person without a working shift who logs in anyway (notScheduled): some time between 08:00
/// and 11:00 local, for 20–120 minutes of calls.
pub fn unscheduled_login(rng: &mut Rng, tz: Tz, date: NaiveDate) -> Vec<Change> {
    let login = local_ms(tz, date, 8 * 60) + rng.range(0, 3 * 3600) * SEC;
    let logout = login + rng.range(20 * 60, 120 * 60) * SEC;
    let mut tl = Timeline::default();
    tl.push(login, AgentState::Login);
    tl.push(login + rng.range(5, 40) * SEC, AgentState::Ready);
    tl.take_calls(rng, logout);
    tl.push(logout, AgentState::Logout);
    tl.changes
}
