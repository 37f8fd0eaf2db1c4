//! What an account shows of its persons: the current agent state of each, as a view or as
//! a record (with the names joined from the config), and the end-of-input republication.

use super::Account;
use crate::engine::cursor::{Cursor, StateView};
use crate::engine::output;
use crate::engine::Ctx;

impl Account {
    /// Bring every person to the clock and publish each one's current state once more
    /// (nothing before the clock has started: no state is known at any time yet).
    pub fn publish_all_states(&mut self, ctx: &mut Ctx) {
        let Some(clock) = self.clock else { return };
        for p in 0..self.persons.len() as u32 {
            if self.persons[p as usize]
                .live
                .as_ref()
                .is_some_and(|live| clock > live.t)
            {
                self.advance_person(p, clock, ctx);
                self.after_change(p, ctx);
            }
            ctx.emit(|e| self.state_record(e, p));
        }
    }

    /// The current state of a person as an agent-state view.
    pub fn current_view(&self, p: u32) -> StateView {
        let person = &self.persons[p as usize];
        let inputs = person.inputs(&self.rules);
        let clock = self.clock.unwrap_or(0);
        match person.live.as_ref() {
            // (a live cursor ahead of the clock is waiting for its first data)
            Some(c) if c.t <= clock => c.view(&inputs),
            _ => Cursor::new(clock, &self.rules, &person.schedule).view(&inputs),
        }
    }

    /// Write a person's current agent-state record into `out`.
    pub fn state_record(&self, out: &mut output::Outputs, p: u32) -> output::OutTopic {
        let person = &self.persons[p as usize];
        let view = self.current_view(p);
        let info = self.person_info.get(&person.id);
        output::agent_state(
            out,
            output::Who::new(&self.head, &person.id),
            info,
            &view,
            &self.rules,
            &self.idents,
        )
    }

    /// Write every person's current agent-state record into `out` (none before the clock
    /// has started).
    pub fn write_states(&self, out: &mut output::Outputs) {
        if self.clock.is_none() {
            return;
        }
        for p in 0..self.persons.len() as u32 {
            self.state_record(out, p);
        }
    }
}
