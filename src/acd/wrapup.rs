//! After the call: after-call work for the queue's time, extended by the extra
//! time of the result code the agent chooses (during the call or the
//! after-call work), then back to the agent's chosen status — Available, or
//! whatever they picked meanwhile. A queue with no after-call work closes it at
//! once. The interaction's capacity stays held until after-call work ends, so
//! a text session in after-call work still counts against the agent.

use super::agent::Phase;
use super::engine::Engine;
use super::event::{AcdError, Notice};
use super::ids::{AgentId, CallId, Millis, ResultCodeId};
use super::timers::Timer;

impl Engine {
    pub(crate) fn start_wrapup(&mut self, now: Millis, agent: AgentId, call: CallId) {
        let Some(a) = self.agents.get_mut(&agent) else {
            return;
        };
        let Some(i) = a.session(call) else {
            return;
        };
        let s = &mut a.sessions[i];
        let extra = s
            .result_code
            .and_then(|c| self.result_codes.get(&c).copied())
            .unwrap_or_default();
        let acw = self.queues[s.queue].cfg.after_call_work + extra;
        s.phase = Phase::Wrapup;
        s.ended_at = now;
        s.until = now + acw;
        let (talked, until) = (now - s.answered_at, s.until);
        a.last_call_end = now;
        a.last_activity = now;
        self.notices.push_back(Notice::WrapupStarted {
            agent,
            call,
            talked,
            until,
        });
        if acw.is_zero() {
            self.end_wrapup(now, agent, call);
        } else {
            self.timers.set(until, Timer::Wrapup { agent, call });
            self.refresh(agent);
        }
    }

    pub(crate) fn result_code(
        &mut self,
        now: Millis,
        agent: AgentId,
        call: CallId,
        code: ResultCodeId,
    ) -> Result<(), AcdError> {
        let extra = *self
            .result_codes
            .get(&code)
            .ok_or(AcdError::UnknownResultCode(code))?;
        let a = self
            .agents
            .get_mut(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        let s = a
            .session(call)
            .map(|i| &mut a.sessions[i])
            .filter(|s| s.phase != Phase::Ringing)
            .ok_or(AcdError::NoSuchSession { agent, call })?;
        s.result_code = Some(code);
        let wrapping = s.phase == Phase::Wrapup;
        if wrapping {
            // The code replaces any earlier choice: the extra time is the
            // chosen code's, counted from the end of the call.
            s.until = s.ended_at + self.queues[s.queue].cfg.after_call_work + extra;
        }
        let until = s.until;
        self.notices.push_back(Notice::ResultCodeChosen {
            agent,
            call,
            code,
            until: wrapping.then_some(until),
        });
        if wrapping {
            if until <= now {
                self.end_wrapup(now, agent, call);
            } else {
                self.timers.set(until, Timer::Wrapup { agent, call });
            }
        }
        Ok(())
    }

    pub(crate) fn wrapup_done(
        &mut self,
        now: Millis,
        agent: AgentId,
        call: CallId,
    ) -> Result<(), AcdError> {
        let a = self
            .agents
            .get(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        match a.session(call).map(|i| a.sessions[i].phase) {
            Some(Phase::Wrapup) => {
                self.end_wrapup(now, agent, call);
                Ok(())
            }
            _ => Err(AcdError::NoSuchSession { agent, call }),
        }
    }

    pub(crate) fn end_wrapup(&mut self, now: Millis, agent: AgentId, call: CallId) {
        let a = self.agents.get_mut(&agent).expect("caller checked");
        let Some(i) = a.session(call) else {
            return;
        };
        let s = a.sessions.swap_remove(i);
        a.used -= s.weight;
        a.last_activity = now;
        self.queues[s.queue].record_handle_time(now - s.answered_at);
        self.notices.push_back(Notice::WrapupEnded { agent, call });
        // Offer first: an agent who takes the next call at once never enters
        // the strategy indexes only to leave them again.
        self.dispatch_agent(now, agent);
        self.refresh(agent);
    }
}
