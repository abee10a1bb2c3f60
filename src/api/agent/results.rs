//! Results at any time: an agent gives an interaction its result (result
//! code, note, action date, tags) during the call, in its after-call work,
//! or afterwards for [`RESULT_WINDOW`] (the interactions of their day).
//!
//! - While the call is live (connected to the agent, or in their after-call
//!   work) the result travels with the call's own events to its record
//!   ([`PanelRequest::Result`]); in after-call work it ends the work, unless
//!   the code has Extra Time, which moves the work's end instead.
//! - Afterwards the completed row's result fields are replaced in place
//!   ([`Store::replace_result`]), nothing else of the record.
//! - A code that is `final_result` closes the interaction: later results
//!   are refused (409). `note_required` without a note, a missing date for
//!   `ask_date`, a code the queue does not offer or a tag of another queue
//!   are 422.
//! - A code with Ask Date, Call Again or Remind schedules a follow-up
//!   ([`super::follow_ups`]); a later result replaces it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::render::{offered_codes, queue_json, wrapup_json};
use super::{agent_id, agent_of, ask, conflict, path_id, AgentState, MAX_NOTE};
use crate::acd::{self, CallId, Millis, ResultCodeId};
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::{json_body as body, Problem};
use crate::call::agents::Wrapup;
use crate::call::dispatch::{LiveResult, PanelRequest};
use crate::call::now;
use crate::cdr::{CallResult, InteractionId};
use crate::store::admin::result_codes::{self, ResultCode};
use crate::store::admin::{panel, AdminError, FieldError};
use crate::store::{Replaced, StoredInteraction};

/// How long after an interaction its agent may still give or change its
/// result.
pub const RESULT_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// How many recent interactions the panel lists.
const RECENT: u32 = 50;

/// How long a result waits for a record that is being completed.
const COMPLETING_WAIT: Duration = Duration::from_secs(5);

/// Which interaction a result is for, and where it stands.
enum Target {
    /// Connected to the agent, or in their after-call work (`wrapup`).
    Live {
        queue: Option<acd::QueueId>,
        wrapup: Option<Wrapup>,
    },
    /// Over: its row, which is the agent's and recent.
    Past(Box<StoredInteraction>),
}

impl Target {
    fn queue(&self) -> i64 {
        match self {
            Target::Live { queue, .. } => queue.map(|q| q.0 as i64).unwrap_or(0),
            Target::Past(s) => s.record.queue.map(|q| q.0 as i64).unwrap_or(0),
        }
    }
}

/// The stored interaction `call` if it is `user`'s and recent enough.
async fn past(a: &AgentState, user: i64, call: u64) -> Result<StoredInteraction, Problem> {
    let stored = a
        .store
        .interaction(InteractionId(call))
        .await
        .map_err(AdminError::from)?;
    let since = now().0.saturating_sub(RESULT_WINDOW.as_millis() as u64);
    match stored {
        Some(s)
            if s.record.agent == Some(agent_id(user))
                && s.record.terminate_moment.unwrap_or(s.record.init_moment).0 >= since =>
        {
            Ok(s)
        }
        _ => Err(Problem::new(
            "not-found",
            "no interaction of yours to give a result for",
        )),
    }
}

async fn target(a: &AgentState, user: i64, call: u64) -> Result<Target, Problem> {
    let view = a.hub.view(agent_id(user), now());
    if let Some(w) = view.wrapup.filter(|w| w.call == CallId(call)) {
        return Ok(Target::Live {
            queue: w.queue,
            wrapup: Some(w),
        });
    }
    if let Some(c) = view.call.filter(|c| c.call == CallId(call)) {
        return Ok(Target::Live {
            queue: c.queue,
            wrapup: None,
        });
    }
    Ok(Target::Past(Box::new(past(a, user, call).await?)))
}

/// `GET /api/agent/calls/{id}/wrapup`: the result form of a call that is
/// connected, in after-call work, or over and recent (`until` is the end of
/// the after-call work, null outside it).
pub(super) async fn form(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let call = path_id(&id)?;
    let target = target(&a, user, call).await?;
    let wrapup = match &target {
        Target::Live {
            wrapup: Some(w), ..
        } => w.clone(),
        Target::Live { queue, .. } => Wrapup {
            call: CallId(call),
            queue: *queue,
            until: Millis(0),
        },
        Target::Past(s) => Wrapup {
            call: CallId(call),
            queue: s.record.queue,
            until: Millis(0),
        },
    };
    let mut form = wrapup_json(&a, user, &wrapup).await?;
    if wrapup.until == Millis(0) {
        form["until"] = Value::Null;
    }
    Ok(Json(form))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResultInput {
    code: i64,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    action_date: Option<String>,
    #[serde(default)]
    tags: Vec<i64>,
}

/// Whether `text` is a local date and time as `YYYY-MM-DDTHH:MM` (seconds
/// allowed) that exists on the calendar.
pub fn is_action_date(text: &str) -> bool {
    let b = text.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return false;
    }
    let shape = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b'T',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !shape {
        return false;
    }
    let num = |from: usize, to: usize| text[from..to].parse::<u32>().unwrap_or(99);
    let (year, month, day) = (num(0, 4), num(5, 7), num(8, 10));
    let (hour, minute) = (num(11, 13), num(14, 16));
    let second = if b.len() == 19 { num(17, 19) } else { 0 };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1970 && (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

/// The input checked against the codes and tags offered for `queue`.
async fn checked(
    a: &AgentState,
    user: i64,
    queue: i64,
    input: ResultInput,
) -> Result<(ResultCode, CallResult), Problem> {
    let offered = offered_codes(a, queue, user).await?;
    let tags = panel::queue_tags(&a.store, queue).await?;
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        })
    };
    let trimmed = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    let note = trimmed(&input.note);
    let date = trimmed(&input.action_date);
    let code = offered.iter().find(|c| c.id == input.code);
    match code {
        None => fail("code", "not a result code offered for this call's queue"),
        Some(code) => {
            if code.flags.note_required && note.is_none() {
                fail("note", "this result code requires a note");
            }
            if code.flags.ask_date && date.is_none() {
                fail("action_date", "this result code asks for a date");
            }
        }
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        fail("note", &format!("at most {MAX_NOTE} characters"));
    }
    if date.as_deref().is_some_and(|d| !is_action_date(d)) {
        fail("action_date", "a date and time as YYYY-MM-DDTHH:MM");
    }
    for (i, t) in input.tags.iter().enumerate() {
        if !tags.iter().any(|x| x.id == *t) {
            fail(&format!("tags[{i}]"), "not a tag of this call's queue");
        }
    }
    match code {
        Some(code) if errors.is_empty() => Ok((
            code.clone(),
            CallResult {
                code: ResultCodeId(input.code as u64),
                note,
                action_date: date,
                tags: input.tags.iter().map(|t| *t as u64).collect(),
            },
        )),
        _ => {
            tracing::info!(user, fields = errors.len(), "result refused");
            Err(AdminError::Invalid(errors).into())
        }
    }
}

fn closed() -> Problem {
    conflict("a final result closed this interaction: no further result is taken")
}

/// Whether the stored verdict `code` is a final result.
async fn is_final(a: &AgentState, code: Option<ResultCodeId>) -> Result<bool, Problem> {
    let Some(code) = code else {
        return Ok(false);
    };
    match result_codes::get(&a.store, code.0 as i64).await {
        Ok(c) => Ok(c.flags.final_result),
        Err(AdminError::NotFound(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the result of the agent's completed record of `call`, waiting
/// a moment for a record that is being completed.
async fn replace_stored(
    a: &AgentState,
    user: i64,
    call: u64,
    result: &CallResult,
) -> Result<(), Problem> {
    let deadline = tokio::time::Instant::now() + COMPLETING_WAIT;
    loop {
        let stored = past(a, user, call).await?;
        let verdict = stored.record.verdict;
        if is_final(a, verdict).await? {
            return Err(closed());
        }
        let done = a
            .store
            .replace_result(InteractionId(call), verdict.map(|v| v.0), result)
            .await
            .map_err(AdminError::from)?;
        match done {
            Replaced::Done => return Ok(()),
            Replaced::NoSuchRow => {
                return Err(Problem::new("not-found", "no such interaction"));
            }
            Replaced::StillOpen | Replaced::Changed => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(conflict(
                "the interaction's record is still being completed: try again",
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `POST /api/agent/calls/{id}/result`.
pub(super) async fn submit(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<StatusCode, Problem> {
    let (user, permissions) = agent_of(&principal)?;
    if !permissions.has("result_code.set") {
        return Err(Problem::new(
            "forbidden",
            "giving a call its result needs the permission result_code.set",
        ));
    }
    let call = path_id(&id)?;
    let input: ResultInput = body(&headers, &bytes)?;
    let target = target(&a, user, call).await?;
    let (code, result) = checked(&a, user, target.queue(), input).await?;
    let agent = agent_id(user);
    let mut live = false;
    if let Target::Live { .. } = target {
        let extends = code.flags.extra_time && code.extra_time_secs > 0;
        let closes = code.flags.final_result;
        let sent = result.clone();
        let done = ask(&a, |reply| PanelRequest::Result {
            agent,
            call: CallId(call),
            result: sent,
            extends,
            closes,
            reply,
        })
        .await?;
        match done {
            LiveResult::Taken => live = true,
            LiveResult::Closed => return Err(closed()),
            // Over since: its record takes it.
            LiveResult::NotLive => {}
        }
    }
    if !live {
        replace_stored(&a, user, call, &result).await?;
    }
    tracing::info!(%agent, call, code = code.id, live, "result given");
    super::follow_ups::schedule(&a, user, call, &code, &result).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/agent/interactions`: the agent's interactions of the last
/// [`RESULT_WINDOW`], newest first, with their results.
pub(super) async fn recent(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<Json<Value>, Problem> {
    let (user, _) = agent_of(&principal)?;
    let since = Millis(now().0.saturating_sub(RESULT_WINDOW.as_millis() as u64));
    let rows = a
        .store
        .agent_interactions(agent_id(user), since, RECENT)
        .await
        .map_err(AdminError::from)?;
    let view = a.hub.view(agent_id(user), now());
    let mut items = Vec::with_capacity(rows.len());
    for s in rows {
        let r = &s.record;
        let call = CallId(r.interaction_id.0);
        let live = view.call.as_ref().is_some_and(|c| c.call == call)
            || view.wrapup.as_ref().is_some_and(|w| w.call == call);
        let closed = is_final(&a, r.verdict).await?;
        items.push(json!({
            "id": r.interaction_id.0,
            "queue": queue_json(&a, r.queue),
            "direction": r.direction.as_str(),
            "number": r.remote_number,
            "started_at": r.init_moment.0,
            "ended_at": r.terminate_moment.map(|m| m.0),
            "live": live,
            "result": r.verdict.map(|v| json!({
                "code": v.0,
                "note": r.note,
                "action_date": r.action_date,
                "tags": r.user_tags,
            })),
            "final": closed,
        }));
    }
    Ok(Json(Value::Array(items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_dates_are_local_date_times() {
        assert!(is_action_date("2026-12-01T10:00"));
        assert!(is_action_date("2028-02-29T23:59:59"));
        assert!(!is_action_date("2027-02-29T10:00"));
        assert!(!is_action_date("2026-13-01T10:00"));
        assert!(!is_action_date("2026-12-01 10:00"));
        assert!(!is_action_date("2026-12-01T24:00"));
        assert!(!is_action_date("tomorrow"));
        assert!(!is_action_date("2026-12-01T10:0é"));
    }
}
