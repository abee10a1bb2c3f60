//! Ringing an agent: the B2BUA's second leg.
//!
//! Every contact the agent has registered is rung at once, each in its own
//! dialog (its own Call-ID), with the same SDP offer for the one media leg
//! opened on the caller's worker. The first 2xx wins: it is ACKed (RFC 3261
//! section 13.2.2.4, again for each retransmission), the other contacts are
//! cancelled (section 9.1), and a 2xx that still arrives from one of them is
//! ACKed and ended with BYE. When every contact has refused or failed, the
//! offer is over: refused (486, 600, 603) or failed (anything else:
//! unreachable, 480, timeout).
//!
//! A browser (a contact registered over WebSocket, RFC 7118) is sent the INVITE
//! without SDP: its 2xx carries its WebRTC offer, the browser leg is opened from
//! it in the WebRTC hub, and our answer goes in the ACK (RFC 3261 section
//! 13.2.2.4). The agent's media leg then becomes that browser leg. A
//! WebSocket client that refuses such an INVITE (488 or 606: it takes only
//! offers) would refuse every call the same way, so its binding is removed
//! through the registrar, with the reason in the log, until it registers
//! again.

use crate::acd::AgentId;
use crate::media::g711::Law;
use crate::sip::dialog::Dialog;
use crate::sip::message::HeaderName;
use crate::sip::message::{Method, Request, Response, Uri};
use crate::sip::peer::Peer;
use crate::sip::peer::Transport;
use crate::sip::transaction::ClientTxId;
use crate::sip::tu::{DialogKey, Owner};

use super::media::MediaLeg;
use super::signalling::{agent_invite, in_dialog, token, AgentInvite};
use super::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ForkState {
    Trying,
    Ringing,
    Done,
}

#[derive(Debug)]
struct Fork {
    tx: ClientTxId,
    invite: Request,
    peer: Peer,
    key: DialogKey,
    state: ForkState,
    status: u16,
    /// Reached over WebSocket: rung without SDP, answers with a WebRTC offer.
    browser: bool,
    /// The Contact it was registered with.
    contact: String,
}

/// The answered fork's dialog.
#[derive(Debug)]
pub struct Answered {
    pub dialog: Dialog,
    pub peer: Peer,
    pub key: DialogKey,
    /// The SDP answer our ACK carries (a browser's 2xx offer), to send again
    /// with the ACK of a retransmitted 2xx.
    ack_body: Option<String>,
}

/// How the agent leg stands after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing the call must act on.
    Nothing,
    /// The first 2xx: the agent answered (the media leg has their answer).
    Answered,
    /// The answer's SDP was unusable: the leg was ended; treat as failed.
    BadAnswer,
    /// Every contact refused (busy, declined).
    Rejected,
    /// Every contact failed (unreachable, unavailable, no response).
    Failed,
}

/// An agent being rung, or talking.
#[derive(Debug)]
pub struct AgentLeg {
    pub agent: AgentId,
    /// The address-of-record rung.
    aor: String,
    /// The call's id, under which a browser leg opened at the answer is filed.
    call: u64,
    pub media: MediaLeg,
    forks: Vec<Fork>,
    pub answered: Option<Answered>,
    pub auto_answer: bool,
    /// The beep of an auto-answer is playing; bridge when it ends.
    pub beeping: bool,
    /// The call's event channel: responses to the leg's ACK-less requests
    /// (BYE, CANCEL) come back there and are ignored by the call.
    owner: Owner,
    /// The route of a dialog the agent's phone began (a pickup), freed
    /// with the leg.
    inbound: Option<DialogKey>,
}

/// Where one INVITE of a leg goes: the Request-URI and the way there.
#[derive(Debug, Clone)]
pub struct Target {
    pub contact: String,
    pub source: Peer,
}

/// Everything needed to ring one agent.
pub struct Ring<'a> {
    pub call: u64,
    pub agent: AgentId,
    pub aor: &'a str,
    pub caller_number: &'a str,
    pub queue_name: &'a str,
    pub auto_answer: bool,
    pub owner: &'a Owner,
}

impl AgentLeg {
    /// Sends an INVITE to each contact of the agent. `None` when none could
    /// be sent (no contact registered, or none reachable).
    pub async fn ring(
        s: &Services,
        ring: Ring<'_>,
        media: MediaLeg,
        sdp: String,
    ) -> Result<AgentLeg, MediaLeg> {
        let now = crate::sip::core::unix_ms();
        let targets = s
            .location
            .lookup(ring.aor, now)
            .into_iter()
            .map(|b| Target {
                contact: b.contact,
                source: b.source,
            })
            .collect();
        AgentLeg::ring_targets(s, ring, media, sdp, targets).await
    }

    /// Sends an INVITE to each of `targets` (a trunk's one, or an agent's
    /// registered contacts); the first to answer takes the leg.
    pub async fn ring_targets(
        s: &Services,
        ring: Ring<'_>,
        media: MediaLeg,
        sdp: String,
        targets: Vec<Target>,
    ) -> Result<AgentLeg, MediaLeg> {
        let mut forks = Vec::with_capacity(targets.len());
        for binding in targets {
            let Ok(target) = Uri::parse(bytes::Bytes::from(binding.contact.clone())) else {
                tracing::warn!(contact = %binding.contact, "unusable contact skipped");
                continue;
            };
            let call_id = token(24);
            let from_tag = token(10);
            let browser = matches!(binding.source.transport, Transport::Ws | Transport::Wss);
            let invite = agent_invite(
                &s.sip,
                &AgentInvite {
                    target: &target,
                    peer: &binding.source,
                    aor: ring.aor,
                    domain: &s.settings.domain,
                    caller_number: ring.caller_number,
                    queue_name: ring.queue_name,
                    call_id: &call_id,
                    from_tag: &from_tag,
                    sdp: (!browser).then_some(sdp.as_str()),
                    auto_answer: ring.auto_answer,
                },
            );
            let key = DialogKey {
                call_id: bytes::Bytes::from(call_id),
                local_tag: from_tag,
            };
            if s.core.claim(key.clone(), ring.owner.clone()).await.is_err() {
                break;
            }
            match s
                .core
                .send(invite.clone(), binding.source, ring.owner.clone())
                .await
            {
                Ok(Ok(tx)) => {
                    super::metrics::CallMetrics::bump(&s.metrics.agent_invites);
                    forks.push(Fork {
                        tx,
                        invite,
                        peer: binding.source,
                        key,
                        state: ForkState::Trying,
                        status: 0,
                        browser,
                        contact: binding.contact.clone(),
                    });
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "INVITE to an agent contact not sent");
                    let _ = s.core.release(key).await;
                }
                Err(_) => break,
            }
        }
        if forks.is_empty() {
            return Err(media);
        }
        Ok(AgentLeg {
            agent: ring.agent,
            aor: ring.aor.to_owned(),
            call: ring.call,
            media,
            forks,
            answered: None,
            auto_answer: ring.auto_answer,
            beeping: false,
            owner: ring.owner.clone(),
            inbound: None,
        })
    }

    /// The leg of an agent whose own phone called in and was answered by
    /// us (a pickup): no contact was rung, the dialog is ours as UAS and
    /// its route (`key`) already leads to `owner`.
    pub fn from_phone(
        agent: AgentId,
        call: u64,
        media: MediaLeg,
        dialog: Dialog,
        peer: Peer,
        key: DialogKey,
        owner: &Owner,
    ) -> AgentLeg {
        AgentLeg {
            agent,
            aor: String::new(),
            call,
            media,
            forks: Vec::new(),
            answered: Some(Answered {
                dialog,
                peer,
                key: key.clone(),
                ack_body: None,
            }),
            auto_answer: false,
            beeping: false,
            owner: owner.clone(),
            inbound: Some(key),
        }
    }

    /// Makes the leg the call `call`'s, whose SIP events go to `owner`: its
    /// answered dialog and its media events are routed there from now on
    /// (an attended transfer takes the leg from the internal call).
    pub async fn adopt(&mut self, s: &Services, call: u64, owner: &Owner) {
        self.call = call;
        self.owner = owner.clone();
        s.registry.add_leg(self.media.id, crate::acd::CallId(call));
        if let Some(a) = &self.answered {
            let _ = s.core.claim(a.key.clone(), owner.clone()).await;
        }
    }

    /// Whether `tx` is one of this leg's INVITEs.
    pub fn owns(&self, tx: ClientTxId) -> bool {
        self.forks.iter().any(|f| f.tx == tx)
    }

    /// Whether an in-dialog request with this Call-ID belongs to the answered fork.
    pub fn is_dialog(&self, call_id: &str) -> bool {
        self.answered
            .as_ref()
            .is_some_and(|a| a.dialog.id.call_id.as_ref() == call_id.as_bytes())
    }

    /// A response to one of the INVITEs.
    pub async fn on_response(&mut self, s: &Services, tx: ClientTxId, resp: &Response) -> Progress {
        let Some(i) = self.forks.iter().position(|f| f.tx == tx) else {
            return Progress::Nothing;
        };
        match resp.status {
            100..=199 => {
                if self.forks[i].state == ForkState::Trying {
                    self.forks[i].state = ForkState::Ringing;
                }
                Progress::Nothing
            }
            200..=299 => self.on_success(s, i, resp).await,
            status => {
                let fork = &mut self.forks[i];
                fork.state = ForkState::Done;
                fork.status = status;
                if fork.browser && matches!(status, 488 | 606) {
                    // It wants an offer, and a browser leg can only answer
                    // one: ringing it again would fail the same way on every
                    // call, so it goes until it registers again.
                    let _ = s
                        .core
                        .drop_binding(
                            self.aor.clone(),
                            fork.contact.clone(),
                            "a WebSocket contact refused an INVITE without SDP (488/606); \
                             browser softphones must make the offer in their 2xx",
                        )
                        .await;
                }
                self.verdict()
            }
        }
    }

    async fn on_success(&mut self, s: &Services, i: usize, resp: &Response) -> Progress {
        let is_winner = self
            .answered
            .as_ref()
            .is_some_and(|a| a.key == self.forks[i].key);
        if is_winner {
            // A retransmitted 2xx: our ACK was lost.
            if let Some(a) = &mut self.answered {
                let mut ack = in_dialog(&s.sip, &mut a.dialog, Method::Ack, &a.peer);
                if let Some(sdp) = &a.ack_body {
                    with_sdp(&mut ack, sdp);
                }
                let _ = s.core.send(ack, a.peer, self.owner.clone()).await;
            }
            return Progress::Nothing;
        }
        let fork = &mut self.forks[i];
        fork.state = ForkState::Done;
        fork.status = resp.status;
        let Ok(mut dialog) = Dialog::from_uac(&fork.invite, resp) else {
            tracing::warn!(status = resp.status, "agent 2xx without a usable dialog");
            return self.verdict();
        };
        let peer = fork.peer;
        let key = fork.key.clone();
        let browser = fork.browser;
        let body = String::from_utf8_lossy(&resp.body).into_owned();
        if self.answered.is_some() {
            // Another contact answered first: end this one (section 13.2.2.4).
            let ack = in_dialog(&s.sip, &mut dialog, Method::Ack, &peer);
            let _ = s.core.send(ack, peer, self.owner.clone()).await;
            let bye = in_dialog(&s.sip, &mut dialog, Method::Bye, &peer);
            let _ = s.core.send(bye, peer, self.owner.clone()).await;
            let _ = s.core.release(key).await;
            return Progress::Nothing;
        }
        // A browser's 2xx holds its offer: open its leg and answer in the ACK.
        let mut refused = None;
        let mut ack_body = None;
        if browser {
            let law = self.media.local.laws.first().copied().unwrap_or(Law::Mu);
            match MediaLeg::browser(s, self.call, self.media.worker, &body, law, &peer).await {
                Ok((leg, answer)) => {
                    let offered = std::mem::replace(&mut self.media, leg);
                    offered.close(s).await;
                    ack_body = Some(answer);
                }
                Err(e) => refused = Some(e),
            }
        }
        let mut ack = in_dialog(&s.sip, &mut dialog, Method::Ack, &peer);
        if let Some(sdp) = &ack_body {
            with_sdp(&mut ack, sdp);
        }
        let _ = s.core.send(ack, peer, self.owner.clone()).await;
        self.answered = Some(Answered {
            dialog,
            peer,
            key,
            ack_body,
        });
        for f in &self.forks {
            if f.state != ForkState::Done {
                let _ = s.core.cancel(f.tx).await;
            }
        }
        if refused.is_none() && !browser {
            refused = self.media.accept(s, &body).await.err();
        }
        if let Some(e) = refused {
            tracing::warn!(status = e.status, reason = %e.reason, "agent answer without usable media");
            self.hang_up(s).await;
            return Progress::BadAnswer;
        }
        Progress::Answered
    }

    /// Whether the answered agent is on a browser leg (it plays its own
    /// auto-answer beep).
    pub fn is_browser(&self) -> bool {
        self.media.browser.is_some()
    }

    /// Sends the INVITE of `tx` again in the same dialog (same Call-ID and
    /// From tag, the next CSeq, a new branch) with the header `authorize`
    /// makes from its Request-URI: the answer to a digest challenge. False
    /// when there is no such INVITE or it could not be sent.
    pub async fn reinvite(
        &mut self,
        s: &Services,
        tx: ClientTxId,
        authorize: impl FnOnce(&str) -> (HeaderName, String),
    ) -> bool {
        let Some(fork) = self.forks.iter_mut().find(|f| f.tx == tx) else {
            return false;
        };
        let mut invite = fork.invite.clone();
        let seq = invite.cseq().map(|c| c.seq).unwrap_or(1) + 1;
        invite
            .headers
            .set(HeaderName::CSeq, format!("{seq} INVITE"));
        invite.headers.remove(&HeaderName::Authorization);
        invite.headers.remove(&HeaderName::ProxyAuthorization);
        let (name, value) = authorize(&invite.uri.to_string());
        invite.headers.push(name, value);
        match s
            .core
            .send(invite.clone(), fork.peer, self.owner.clone())
            .await
        {
            Ok(Ok(new_tx)) => {
                fork.tx = new_tx;
                fork.invite = invite;
                fork.state = ForkState::Trying;
                true
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "INVITE with credentials not sent");
                false
            }
            Err(_) => false,
        }
    }

    /// A fork's transaction ended without a response (timeout, unreachable).
    pub fn on_failure(&mut self, tx: ClientTxId) -> Progress {
        let Some(fork) = self.forks.iter_mut().find(|f| f.tx == tx) else {
            return Progress::Nothing;
        };
        if fork.state == ForkState::Done {
            return Progress::Nothing;
        }
        fork.state = ForkState::Done;
        fork.status = 408;
        self.verdict()
    }

    fn verdict(&self) -> Progress {
        if self.answered.is_some() || self.forks.iter().any(|f| f.state != ForkState::Done) {
            return Progress::Nothing;
        }
        if self
            .forks
            .iter()
            .any(|f| matches!(f.status, 486 | 600 | 603))
        {
            Progress::Rejected
        } else {
            Progress::Failed
        }
    }

    /// The final status that decided a leg nobody answered: a refusal's
    /// (486, 600, 603) before any other; 0 while undecided.
    pub fn final_status(&self) -> u16 {
        let statuses = || self.forks.iter().map(|f| f.status);
        statuses()
            .find(|s| matches!(s, 486 | 600 | 603))
            .or_else(|| statuses().max())
            .unwrap_or(0)
    }

    /// Stops ringing every contact (CANCEL), or ends the answered dialog (BYE).
    pub async fn hang_up(&mut self, s: &Services) {
        for f in &self.forks {
            if f.state != ForkState::Done {
                let _ = s.core.cancel(f.tx).await;
            }
        }
        if let Some(mut a) = self.answered.take() {
            let bye = in_dialog(&s.sip, &mut a.dialog, Method::Bye, &a.peer);
            let _ = s.core.send(bye, a.peer, self.owner.clone()).await;
            let _ = s.core.release(a.key).await;
        }
    }

    /// Frees what the leg holds once it is over: the media leg and the routes
    /// of forks that never answered.
    pub async fn close(self, s: &Services) {
        self.media.close(s).await;
        if let Some(key) = self.inbound {
            let _ = s.core.release(key).await;
        }
        for f in self.forks {
            if self.answered.as_ref().is_none_or(|a| a.key != f.key) {
                let _ = s.core.release(f.key).await;
            }
        }
    }
}

/// Puts an SDP body in a request (our answer in an ACK).
fn with_sdp(request: &mut Request, sdp: &str) {
    request
        .headers
        .push(HeaderName::ContentType, "application/sdp");
    request.body = bytes::Bytes::from(sdp.to_owned());
}
