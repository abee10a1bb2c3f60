//! The panel's dial pad for an agent who works on a desk phone
//! (click-to-dial): a `{"type":"dial","number"}` message on the panel's
//! WebSocket hands the call to call control ([`crate::call::click_dial`]),
//! which rings the agent's phone first, then the number. Each step comes
//! back on the same socket as
//! `{"type":"dial","call","number","state"[,"status","reason"]}`, `state`
//! being `calling_phone`, `dialling`, `ringing`, `connected`, `failed` (with
//! the status and the reason to show) or `ended`.

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{agent_id, AgentState};
use crate::call::click_dial::DialProgress;
use crate::call::click_dial_call::{DialNotice, DialRequest, DialUpdate};
use crate::call::outbound::OUTBOUND_CALLS;
use crate::store::admin::permissions::Effective;

/// Hands the dial to call control; what to answer at once, if anything
/// (a refusal), as a `dial` message.
pub(super) fn dial(
    a: &AgentState,
    user: i64,
    permissions: &Effective,
    updates: &mpsc::Sender<DialUpdate>,
    number: &str,
) -> Option<Value> {
    let refused = |status: u16, reason: &str| {
        Some(json!({
            "type": "dial", "number": number, "state": "failed",
            "status": status, "reason": reason,
        }))
    };
    if !permissions.has(OUTBOUND_CALLS) {
        return refused(
            403,
            "you may not place outbound calls (other.outbound_calls)",
        );
    }
    let request = DialRequest {
        agent: agent_id(user),
        number: number.to_owned(),
        updates: updates.clone(),
    };
    if !a.registry.dial(request) {
        tracing::warn!(
            user,
            "click-to-dial refused: no dialer, or it is too far behind"
        );
        return refused(503, "calls cannot be placed now");
    }
    None
}

/// The `dial` message of a step.
pub(super) fn update_json(update: &DialUpdate) -> Value {
    let mut m = json!({
        "type": "dial",
        "call": update.call.0,
        "number": update.number,
    });
    let state = match update.notice {
        DialNotice::Progress(DialProgress::CallingPhone) => "calling_phone",
        DialNotice::Progress(DialProgress::Dialling) => "dialling",
        DialNotice::Progress(DialProgress::Ringing) => "ringing",
        DialNotice::Progress(DialProgress::Connected) => "connected",
        DialNotice::Progress(DialProgress::Ended) => "ended",
        DialNotice::Progress(DialProgress::Failed(why)) => {
            m["status"] = json!(why.status());
            m["reason"] = json!(why.reason());
            "failed"
        }
        DialNotice::Refused { status, reason } => {
            m["status"] = json!(status);
            m["reason"] = json!(reason);
            "failed"
        }
    };
    m["state"] = json!(state);
    m
}
