//! The interface between the SIP core task and the transaction users that own
//! calls (RFC 3261 section 5: the TU sits above the transaction layer).
//!
//! The core task owns the transaction layer; a call is owned by its own task.
//! They meet here:
//! - A new INVITE (outside any dialog) is handed over as a [`NewCall`], with
//!   the To tag every response to it carries and a channel of [`SipEvent`]s.
//!   Before handing it over, the core routes the INVITE's server transaction
//!   and the dialog it will create (Call-ID and that tag) to the channel, so a
//!   CANCEL or a BYE that overtakes the call task's start still finds it.
//! - The call task sends through [`CoreCommand`]s: responses, requests (new
//!   client transactions, routed back to the sender), ACKs for 2xx, CANCELs,
//!   and claims on the dialogs it creates as UAC.
//! - In-dialog requests, ACKs, responses and timeouts come back as
//!   [`SipEvent`]s on the owner's channel. Routes whose owner has gone are
//!   dropped by the core; a request for a dialog nobody owns gets 481.

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::message::{Request, Response};
use super::peer::Peer;
use super::transaction::{ClientTxId, SendError, ServerTxId, TxId};

/// What the core tells the owner of a call.
#[derive(Debug)]
pub enum SipEvent {
    /// A request inside one of the owner's dialogs (BYE, INFO, re-INVITE,
    /// UPDATE, OPTIONS). It must be answered with [`CoreCommand::Respond`].
    Request {
        tx: ServerTxId,
        request: Request,
        from: Peer,
    },
    /// An ACK for a 2xx the owner sent.
    Ack { request: Request, from: Peer },
    /// The INVITE was cancelled; the layer has answered 487 already.
    Cancelled { tx: ServerTxId },
    /// No ACK came for the owner's 2xx (Timer H / 64*T1 of RFC 6026).
    ServerTimeout { tx: ServerTxId },
    /// A response to a request the owner sent; 2xx retransmissions of an
    /// INVITE come here too, so the owner can ACK each.
    Response { tx: ClientTxId, response: Response },
    /// The owner's request got no final response in time (Timer B or F).
    Timeout { tx: ClientTxId },
    /// A transport could not reach the peer of one of the owner's transactions.
    TransportError { tx: TxId },
}

/// Where the core delivers a call's events.
pub type Owner = mpsc::Sender<SipEvent>;

/// How many events may wait for a call task; a call sees a handful at once.
pub const OWNER_CAPACITY: usize = 64;

/// A new INVITE for call control.
#[derive(Debug)]
pub struct NewCall {
    pub tx: ServerTxId,
    pub request: Request,
    pub from: Peer,
    /// Our To tag: every response to this INVITE must carry it.
    pub local_tag: String,
    pub events: mpsc::Receiver<SipEvent>,
    /// The sending half of `events`: the call's own requests route there too.
    pub owner: Owner,
}

/// The key the core routes in-dialog traffic by: the Call-ID and our tag
/// (the To tag of what the peer sends us).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogKey {
    pub call_id: Bytes,
    pub local_tag: String,
}

/// What call tasks ask of the core task.
#[derive(Debug)]
pub enum CoreCommand {
    /// Answer a server transaction (the INVITE, or an in-dialog request).
    Respond { tx: ServerTxId, response: Response },
    /// Start a client transaction for `request` (it must have a top Via with
    /// our sent-by) and route its responses to `owner`. An ACK starts none.
    Send {
        request: Request,
        to: Peer,
        owner: Owner,
        sent: oneshot::Sender<Result<ClientTxId, SendError>>,
    },
    /// Send a CANCEL for a pending INVITE client transaction (section 9.1).
    Cancel { tx: ClientTxId },
    /// Route requests of the dialog `key` to `owner` (a dialog we create as UAC).
    Claim { key: DialogKey, owner: Owner },
    /// Stop routing the dialog `key`.
    Release { key: DialogKey },
    /// Remove the binding of `aor` at `contact`: it cannot take our calls.
    DropBinding {
        aor: String,
        contact: String,
        why: &'static str,
    },
}

/// Sending half of the core's command channel, as call tasks hold it.
#[derive(Clone, Debug)]
pub struct CoreHandle {
    pub commands: mpsc::Sender<CoreCommand>,
}

/// The core task has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the SIP core has stopped")]
pub struct CoreGone;

impl CoreHandle {
    pub async fn respond(&self, tx: ServerTxId, response: Response) -> Result<(), CoreGone> {
        self.commands
            .send(CoreCommand::Respond { tx, response })
            .await
            .map_err(|_| CoreGone)
    }

    /// Sends `request` to `to` in a new client transaction whose events go to
    /// `owner`, and returns the transaction.
    pub async fn send(
        &self,
        request: Request,
        to: Peer,
        owner: Owner,
    ) -> Result<Result<ClientTxId, SendError>, CoreGone> {
        let (sent, result) = oneshot::channel();
        self.commands
            .send(CoreCommand::Send {
                request,
                to,
                owner,
                sent,
            })
            .await
            .map_err(|_| CoreGone)?;
        result.await.map_err(|_| CoreGone)
    }

    pub async fn cancel(&self, tx: ClientTxId) -> Result<(), CoreGone> {
        self.commands
            .send(CoreCommand::Cancel { tx })
            .await
            .map_err(|_| CoreGone)
    }

    pub async fn claim(&self, key: DialogKey, owner: Owner) -> Result<(), CoreGone> {
        self.commands
            .send(CoreCommand::Claim { key, owner })
            .await
            .map_err(|_| CoreGone)
    }

    /// Asks the registrar to remove a contact that cannot take our calls.
    pub async fn drop_binding(
        &self,
        aor: String,
        contact: String,
        why: &'static str,
    ) -> Result<(), CoreGone> {
        self.commands
            .send(CoreCommand::DropBinding { aor, contact, why })
            .await
            .map_err(|_| CoreGone)
    }

    pub async fn release(&self, key: DialogKey) -> Result<(), CoreGone> {
        self.commands
            .send(CoreCommand::Release { key })
            .await
            .map_err(|_| CoreGone)
    }
}
