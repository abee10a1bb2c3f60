//! What a call made of an agent's leg and one other leg (a callback dialled
//! out, a click-to-dial, an outbound call through a trunk) does the same way,
//! whatever it is for: answering requests inside its dialogs, answering a
//! carrier's digest challenge once, ringing the agent and letting a leg go.

use crate::media::g711::Law;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{ClientTxId, ServerTxId};
use crate::sip::uac_auth::{Account, Challenge};

use super::agent_leg::{AgentLeg, Ring, Target};
use super::media::MediaLeg;
use super::metrics::CallMetrics;
use super::signalling::answer;
use super::Services;

/// Whose BYE ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HungUp {
    Agent,
    Other,
}

/// Answers a request inside the call's dialogs: 481 outside both, 200 to a
/// BYE (and says whose it was), a re-INVITE answered from that leg's media
/// (hold, resume or moved media: RFC 3264 section 8), 200 to OPTIONS and
/// INFO, 501 to anything else.
pub async fn answer_in_dialog(
    s: &Services,
    tx: ServerTxId,
    request: Request,
    from: Peer,
    agent: Option<&mut AgentLeg>,
    other: Option<&mut AgentLeg>,
) -> Option<HungUp> {
    let call_id = request.call_id().unwrap_or("");
    let reply = |status: u16, reason: &str| Response::for_request(&request, status, reason);
    let (side, leg) = match (agent, other) {
        (Some(leg), _) if leg.is_dialog(call_id) => (HungUp::Agent, leg),
        (_, Some(leg)) if leg.is_dialog(call_id) => (HungUp::Other, leg),
        _ => {
            let _ = s
                .core
                .respond(tx, reply(481, "Call/Transaction Does Not Exist"))
                .await;
            return None;
        }
    };
    let resp = match request.method {
        Method::Bye => {
            let _ = s.core.respond(tx, reply(200, "OK")).await;
            return Some(side);
        }
        Method::Invite => {
            let offer = String::from_utf8_lossy(&request.body).into_owned();
            match leg.media.reoffer(s, &offer).await {
                Ok((sdp, _)) => {
                    let contact = s.sip.contact(&from, None);
                    answer(&request, 200, "", Some(&contact), Some(&sdp))
                }
                Err(refusal) => reply(refusal.status, &refusal.reason),
            }
        }
        Method::Options | Method::Info => reply(200, "OK"),
        _ => reply(501, "Not Implemented"),
    };
    let _ = s.core.respond(tx, resp).await;
    None
}

/// Sends a trunk's INVITE again with the carrier's credentials for its
/// challenge; false when there are no credentials, no challenge or no leg,
/// or the INVITE could not be sent.
pub async fn answer_carrier_challenge(
    s: &Services,
    trunk: &str,
    credentials: Option<&(String, String)>,
    challenge: Option<(ClientTxId, Challenge)>,
    leg: Option<&mut AgentLeg>,
) -> bool {
    let (Some((username, password)), Some((tx, mut challenge)), Some(leg)) =
        (credentials, challenge, leg)
    else {
        return false;
    };
    let cnonce = super::signalling::token(16);
    let account = Account {
        username,
        password,
        cnonce: &cnonce,
    };
    let authorize = |uri: &str| challenge.authorize("INVITE", uri, account);
    let sent = leg.reinvite(s, tx, authorize).await;
    if sent {
        tracing::info!(%trunk, "answering the carrier's challenge");
    }
    sent
}

/// Ends `leg` (BYE or CANCEL as it stands) and frees its media.
pub async fn hang_up(s: &Services, leg: Option<AgentLeg>) {
    if let Some(mut leg) = leg {
        leg.hang_up(s).await;
        leg.close(s).await;
    }
}

/// Frees `leg`'s media without a word to the far end, whose dialog is
/// already over.
pub async fn close(s: &Services, leg: Option<AgentLeg>) {
    if let Some(mut leg) = leg {
        leg.answered = None;
        leg.close(s).await;
    }
}

/// Offers media (G.711 µ-law or A-law) towards `source` on the next worker
/// and rings the agent at `targets`, or at every contact of `ring.aor` when
/// there are none given; `None` (media freed, refusal counted) when nothing
/// could be rung.
pub async fn ring_agent(
    s: &Services,
    ring: Ring<'_>,
    source: &Peer,
    targets: Option<Vec<Target>>,
) -> Option<AgentLeg> {
    let worker = s.media.next_worker();
    let (media, sdp) = match MediaLeg::offer(s, ring.call, worker, &[Law::Mu, Law::A], source) {
        Ok(m) => m,
        Err(refusal) => {
            CallMetrics::bump(&s.metrics.agent_media_refused);
            tracing::info!(reason = %refusal.reason, "no media for the agent leg");
            return None;
        }
    };
    let rung = match targets {
        Some(targets) => AgentLeg::ring_targets(s, ring, media, sdp, targets).await,
        None => AgentLeg::ring(s, ring, media, sdp).await,
    };
    match rung {
        Ok(leg) => Some(leg),
        Err(media) => {
            media.close(s).await;
            None
        }
    }
}
