//! The SIP core task: the thin async shell around the sans-IO transaction
//! layer, joining the transports to the UAS rules and the registrar.
//!
//! One task owns the [`TransactionLayer`]. It parses what the transports
//! deliver, answers what cannot even be matched to a transaction statelessly
//! (unparseable requests and those failing the message layer's checks, RFC
//! 3261 section 8.2 and 16.3 of RFC 4475's cases), fills in `received` and
//! `rport` (section 18.2.1, RFC 3581), and feeds the rest to the layer. Work
//! that waits on the store (REGISTER) runs in its own task and comes back as
//! a [`Command`]; nothing here blocks on I/O but sending.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use super::authenticator::Directory;
use super::message::{parse, validate_request, HeaderName, Message, Method, Request, Response};
use super::metrics::SipMetrics;
use super::peer::Peer;
use super::registrar::{BindingStore, Registrar};
use super::transaction::{reply_peer, Event, ServerTxId, TransactionLayer};
use super::transport::{Inbound, Transports};
use super::uas::{self, Handler, Local};

/// What other tasks ask of the core.
#[derive(Debug)]
pub enum Command {
    /// Send the final (or provisional) response of a server transaction.
    Respond { tx: ServerTxId, response: Response },
}

/// The Server header of our responses.
pub const SERVER: &str = concat!("Switchboard/", env!("CARGO_PKG_VERSION"));

/// How many queued inbound messages one turn of the loop takes at most before
/// it flushes what the layer wants sent.
const BATCH: usize = 64;

/// Everything the core task needs.
pub struct Core<D> {
    pub transports: Transports,
    pub inbound: mpsc::Receiver<Inbound>,
    pub registrar: Arc<Registrar<D>>,
    pub local: Local,
    pub metrics: Arc<SipMetrics>,
    pub layer: TransactionLayer,
}

impl<D: Directory + BindingStore> Core<D> {
    /// Runs until the transports are gone.
    pub async fn run(mut self) {
        let (commands_tx, mut commands) = mpsc::channel::<Command>(16 * 1024);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let deadline = self
                .layer
                .poll_timeout()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                n = self.inbound.recv_many(&mut batch, BATCH) => {
                    if n == 0 {
                        break;
                    }
                    for inbound in batch.drain(..) {
                        self.on_inbound(inbound).await;
                    }
                }
                Some(command) = commands.recv() => match command {
                    Command::Respond { tx, response } => {
                        let now = std::time::Instant::now();
                        if let Err(e) = self.layer.send_response(now, tx, response) {
                            tracing::debug!(%tx, error = %e, "response for an ended transaction");
                        }
                    }
                },
                _ = tokio::time::sleep_until(deadline) => {
                    self.layer.handle_timeout(std::time::Instant::now());
                }
            }
            self.flush(&commands_tx).await;
        }
    }

    async fn on_inbound(&mut self, inbound: Inbound) {
        let Inbound { data, from } = inbound;
        match parse(data) {
            Ok(Message::Request(mut req)) => {
                if let Err(rejection) = validate_request(&req) {
                    if req.method != Method::Ack {
                        SipMetrics::bump(&self.metrics.rejected);
                        tracing::info!(%from, status = rejection.status, reason = rejection.reason, "request refused");
                        let resp = finish(rejection.to_response(&req));
                        self.send_stateless(&req, from, resp).await;
                    }
                    return;
                }
                mark_received(&mut req, from);
                self.layer
                    .handle_incoming(std::time::Instant::now(), Message::Request(req), from);
            }
            Ok(Message::Response(resp)) => {
                SipMetrics::bump(&self.metrics.responses_received);
                self.layer.handle_incoming(
                    std::time::Instant::now(),
                    Message::Response(resp),
                    from,
                );
            }
            Err(e) => match e.response() {
                Some(resp) => {
                    SipMetrics::bump(&self.metrics.malformed_answered);
                    tracing::info!(%from, error = %e, status = resp.status, "malformed request answered");
                    let data = finish(resp).to_bytes();
                    if let Err(e) = self.transports.send(&from, data).await {
                        tracing::debug!(%from, error = %e, "sending an error response failed");
                    }
                }
                None => {
                    SipMetrics::bump(&self.metrics.malformed_dropped);
                    tracing::debug!(%from, error = %e, "malformed message dropped");
                }
            },
        }
    }

    /// Sends a response outside any transaction, to where section 18.2.2 says.
    async fn send_stateless(&self, req: &Request, from: Peer, resp: Response) {
        let to = reply_peer(req, from);
        if let Err(e) = self.transports.send(&to, resp.to_bytes()).await {
            tracing::debug!(%to, error = %e, "sending a response failed");
        }
    }

    /// Sends what the layer produced and hands its events to their handlers.
    async fn flush(&mut self, commands: &mpsc::Sender<Command>) {
        loop {
            let mut progressed = false;
            while let Some(transmit) = self.layer.poll_transmit() {
                progressed = true;
                if let Err(e) = self.transports.send(&transmit.to, transmit.data).await {
                    tracing::debug!(to = %transmit.to, error = %e, "send failed");
                    // Section 17.1.4/17.2.4: the transactions to that peer end.
                    self.layer
                        .handle_transport_error(std::time::Instant::now(), transmit.to);
                }
            }
            while let Some(event) = self.layer.poll_event() {
                progressed = true;
                self.on_event(event, commands);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_event(&mut self, event: Event, commands: &mpsc::Sender<Command>) {
        match event {
            Event::Request { tx, request, from } => {
                SipMetrics::bump(&self.metrics.requests);
                let span = tracing::debug_span!("sip", call_id = request.call_id().unwrap_or(""));
                let _entered = span.enter();
                let handler = match uas::admit(&request, &self.local) {
                    Ok(handler) => handler,
                    Err(resp) => {
                        SipMetrics::bump(&self.metrics.rejected);
                        tracing::debug!(status = resp.status, method = %request.method, "request refused");
                        self.respond(tx, resp);
                        return;
                    }
                };
                match handler {
                    Handler::Options => self.respond(tx, uas::options_response(&request)),
                    Handler::Register => {
                        let registrar = self.registrar.clone();
                        let commands = commands.clone();
                        tokio::spawn(
                            async move {
                                let response = registrar.register(&request, from, unix_ms()).await;
                                let _ = commands
                                    .send(Command::Respond {
                                        tx,
                                        response: finish(response),
                                    })
                                    .await;
                            }
                            .instrument(span.clone()),
                        );
                    }
                    // Calls reach queues once call control is wired in; until
                    // then no number routes anywhere.
                    Handler::Invite => self.respond(
                        tx,
                        Response::for_request(&request, 404, "No route for this number"),
                    ),
                    Handler::InDialog => self.respond(
                        tx,
                        Response::for_request(&request, 481, "Call/Transaction Does Not Exist"),
                    ),
                }
            }
            Event::Ack { request, from } => {
                tracing::debug!(%from, call_id = request.call_id().unwrap_or(""), "ACK outside any transaction");
            }
            Event::Cancelled { tx } => tracing::debug!(%tx, "request cancelled"),
            Event::Response { tx, response } => {
                tracing::debug!(%tx, status = response.status, "response to our request");
            }
            Event::Timeout { tx } => tracing::debug!(%tx, "our request timed out"),
            Event::ServerTimeout { tx } => tracing::debug!(%tx, "no ACK for our final response"),
            Event::TransportError { tx } => {
                tracing::debug!(?tx, "transaction ended by a transport error")
            }
        }
    }

    fn respond(&mut self, tx: ServerTxId, resp: Response) {
        if let Err(e) = self
            .layer
            .send_response(std::time::Instant::now(), tx, finish(resp))
        {
            tracing::debug!(%tx, error = %e, "response for an ended transaction");
        }
    }
}

/// Adds what every response of ours carries: a To tag on final responses
/// (section 8.2.6.2) and the Server header.
fn finish(mut resp: Response) -> Response {
    if resp.status > 100 {
        resp.set_to_tag(&new_tag());
    }
    if resp.headers.get(&HeaderName::Server).is_none() {
        resp.headers
            .push(HeaderName::Server, Bytes::from_static(SERVER.as_bytes()));
    }
    resp
}

fn new_tag() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

/// Section 18.2.1 and RFC 3581: record where the request really came from in
/// its top Via, so responses find their way back through NAT.
fn mark_received(req: &mut Request, from: Peer) {
    let Ok(mut via) = req.top_via() else { return };
    let mut changed = false;
    if via.rport().is_some() {
        via.set_rport(from.addr.port());
        changed = true;
    }
    let sent_by: Option<IpAddr> = via
        .host_str()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok();
    if changed || sent_by != Some(from.addr.ip()) {
        via.set_received(&from.addr.ip().to_string());
        changed = true;
    }
    if changed {
        req.set_top_via(via);
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
