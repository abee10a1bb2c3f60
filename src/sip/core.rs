//! The SIP core task: the thin async shell around the sans-IO transaction
//! layer, joining the transports to the UAS rules and the registrar.
//!
//! One task owns the [`TransactionLayer`]. It parses what the transports
//! deliver, answers what cannot even be matched to a transaction statelessly
//! (unparseable requests and those failing the message layer's checks, RFC
//! 3261 section 8.2 and 16.3 of RFC 4475's cases), fills in `received` and
//! `rport` (section 18.2.1, RFC 3581), and feeds the rest to the layer. Each
//! request first meets the source guard ([`super::source_guard`]): a
//! scanner's or a blocked source's goes unanswered, one over its source's
//! rate is refused statelessly with 503; every 403 and 404 we answer counts
//! against the address it goes to. Work
//! that waits on the store (REGISTER) runs in its own task and comes back as
//! a [`CoreCommand`]; nothing here blocks on I/O but sending.
//!
//! New INVITEs go to call control as [`NewCall`]s, and everything that
//! belongs to a call afterwards (in-dialog requests, ACKs, CANCELs, responses
//! to the call's own requests) is routed to its task (see [`super::tu`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use super::authenticator::Directory;
use super::message::{
    parse, validate_request, FrameError, HeaderName, Message, Method, Request, Response,
};
use super::metrics::{SipGauges, SipMetrics};
use super::peer::Peer;
use super::registrar::{BindingStore, Registrar};
use super::source_guard::{Metered, Verdict};
use super::transaction::{reply_peer, ClientTxId, Event, ServerTxId, TransactionLayer, TxId};
use super::transport::{Inbound, Transports};
use super::tu::{CoreCommand, DialogKey, NewCall, Owner, SipEvent, OWNER_CAPACITY};
use super::uas::{self, Handler};

/// The Server header of our responses.
pub const SERVER: &str = concat!("Switchboard/", env!("CARGO_PKG_VERSION"));

/// How many queued inbound messages one turn of the loop takes at most before
/// it flushes what the layer wants sent.
const BATCH: usize = 64;

/// How often routes whose call task has ended are swept away.
const ROUTE_SWEEP: Duration = Duration::from_secs(10);

/// Which call task owns which transaction and dialog.
#[derive(Default)]
struct Routes {
    server: HashMap<ServerTxId, Owner>,
    client: HashMap<ClientTxId, Owner>,
    dialogs: HashMap<DialogKey, Owner>,
}

impl Routes {
    fn len(&self) -> usize {
        self.server.len() + self.client.len() + self.dialogs.len()
    }

    fn sweep(&mut self) {
        self.server.retain(|_, o| !o.is_closed());
        self.client.retain(|_, o| !o.is_closed());
        self.dialogs.retain(|_, o| !o.is_closed());
    }
}

/// Hands `event` to `owner` without waiting; false when the owner has gone
/// or is too far behind (the peer's retransmission will try again).
fn deliver(owner: &Owner, event: SipEvent, metrics: &SipMetrics) -> bool {
    match owner.try_send(event) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            SipMetrics::bump(&metrics.call_events_dropped);
            true
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

fn dialog_key(call_id: Option<&str>, tag: Option<&str>) -> Option<DialogKey> {
    Some(DialogKey {
        call_id: Bytes::copy_from_slice(call_id?.as_bytes()),
        local_tag: tag?.to_owned(),
    })
}

fn to_tag(req: &Request) -> Option<String> {
    req.to().ok().and_then(|to| to.tag().map(str::to_owned))
}

/// Everything the core task needs.
pub struct Core<D> {
    pub transports: Transports,
    pub inbound: mpsc::Receiver<Inbound>,
    pub registrar: Arc<Registrar<D>>,
    pub metrics: Arc<SipMetrics>,
    /// What the core holds now, for `/metrics`.
    pub gauges: Arc<SipGauges>,
    pub layer: TransactionLayer,
    /// Commands from call tasks and from the core's own helpers.
    pub commands: mpsc::Receiver<CoreCommand>,
    /// Its sending half, for the core's own helpers (REGISTER).
    pub commands_tx: mpsc::Sender<CoreCommand>,
    /// Where new INVITEs go; without it every number is unknown (404).
    pub calls: Option<mpsc::Sender<NewCall>>,
}

impl<D: Directory + BindingStore> Core<D> {
    /// Runs until the transports are gone.
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut routes = Routes::default();
        let mut sweep = tokio::time::interval(ROUTE_SWEEP);
        let mut commands_batch = Vec::with_capacity(BATCH);
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
                n = self.commands.recv_many(&mut commands_batch, BATCH) => {
                    if n == 0 {
                        break;
                    }
                    for command in commands_batch.drain(..) {
                        self.on_command(command, &mut routes);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.layer.handle_timeout(std::time::Instant::now());
                }
                _ = sweep.tick() => routes.sweep(),
            }
            self.flush(&mut routes).await;
            self.publish(&routes);
        }
    }

    fn publish(&self, routes: &Routes) {
        use std::sync::atomic::Ordering::Relaxed;
        let sizes = self.layer.sizes();
        let g = &self.gauges;
        g.server_transactions.store(sizes.servers as u64, Relaxed);
        g.client_transactions.store(sizes.clients as u64, Relaxed);
        g.transaction_index_entries
            .store(sizes.index_entries as u64, Relaxed);
        g.call_routes.store(routes.len() as u64, Relaxed);
    }

    fn on_command(&mut self, command: CoreCommand, routes: &mut Routes) {
        let now = std::time::Instant::now();
        match command {
            CoreCommand::Respond { tx, response } => {
                self.note_probe(&response);
                if let Err(e) = self.layer.send_response(now, tx, finish(response)) {
                    tracing::debug!(%tx, error = %e, "response for an ended transaction");
                }
            }
            CoreCommand::Send {
                request,
                to,
                owner,
                sent,
            } => {
                let is_ack = request.method == Method::Ack;
                let result = self.layer.send_request(now, request, to);
                if let (Ok(tx), false) = (&result, is_ack) {
                    routes.client.insert(*tx, owner);
                }
                let _ = sent.send(result);
            }
            CoreCommand::Cancel { tx } => match self.layer.cancel(now, tx) {
                Ok(cancel) => {
                    if let Some(owner) = routes.client.get(&tx).cloned() {
                        routes.client.insert(cancel, owner);
                    }
                }
                Err(e) => tracing::debug!(%tx, error = %e, "nothing to cancel"),
            },
            CoreCommand::Claim { key, owner } => {
                routes.dialogs.insert(key, owner);
            }
            CoreCommand::Release { key } => {
                routes.dialogs.remove(&key);
            }
            CoreCommand::DropBinding { aor, contact, why } => {
                let registrar = self.registrar.clone();
                tokio::spawn(async move { registrar.drop_unusable(&aor, &contact, why).await });
            }
        }
    }

    async fn on_inbound(&mut self, inbound: Inbound) {
        let Inbound {
            data,
            from,
            refused,
        } = inbound;
        if let Some(error) = refused {
            self.answer_unframeable(data, from, error).await;
            return;
        }
        match parse(data) {
            Ok(Message::Request(mut req)) => {
                if !self.admit_source(&req, from).await {
                    return;
                }
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

    /// Puts a request before the source guard: false when it goes no
    /// further (dropped unanswered, or refused here with 503 for its rate).
    async fn admit_source(&self, req: &Request, from: Peer) -> bool {
        let Some(guard) = self.transports.source_guard() else {
            return true;
        };
        let metered = match req.method {
            Method::Ack => return true,
            // Requests within a dialog (To tag) are the calls' own business.
            Method::Invite if to_tag(req).is_none() => Metered::Invite,
            Method::Register => Metered::Register,
            _ => Metered::Other,
        };
        let user_agent = req.headers.get(&HeaderName::UserAgent).map(|v| &v[..]);
        match guard.request(from.addr.ip(), metered, user_agent) {
            Verdict::Pass => true,
            Verdict::Drop => false,
            Verdict::Refuse { retry_after_secs } => {
                SipMetrics::bump(&self.metrics.rejected);
                tracing::debug!(%from, method = %req.method, "over its source's rate: 503");
                let mut resp = Response::for_request(req, 503, "Service Unavailable");
                resp.headers
                    .push(HeaderName::RetryAfter, retry_after_secs.to_string());
                let mut req = req.clone();
                mark_received(&mut req, from);
                self.send_stateless(&req, from, finish(resp)).await;
                false
            }
        }
    }

    /// Tells the source guard of an answer that tells a prober it guessed
    /// wrong (a 403 or 404), counted against the address it goes to.
    fn note_probe(&self, resp: &Response) {
        if !matches!(resp.status, 403 | 404) {
            return;
        }
        let Some(guard) = self.transports.source_guard() else {
            return;
        };
        if let Some(ip) = answered_source(resp) {
            guard.probed(ip);
        }
    }

    /// Answers the header section of a request a stream could not frame
    /// (section 18.3): the response names the problem, and the request goes
    /// no further. Responses, ACKs and what cannot be answered are dropped.
    async fn answer_unframeable(&self, head: Bytes, from: Peer, error: FrameError) {
        let Some(resp) = error.response(head) else {
            SipMetrics::bump(&self.metrics.malformed_dropped);
            tracing::debug!(%from, %error, "unframeable message dropped");
            return;
        };
        SipMetrics::bump(&self.metrics.rejected);
        tracing::info!(%from, %error, status = resp.status, "unframeable request answered");
        if let Err(e) = self.transports.send(&from, finish(resp).to_bytes()).await {
            tracing::debug!(%from, error = %e, "sending an error response failed");
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
    async fn flush(&mut self, routes: &mut Routes) {
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
                self.on_event(event, routes);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_event(&mut self, event: Event, routes: &mut Routes) {
        match event {
            Event::Request { tx, request, from } => {
                SipMetrics::bump(&self.metrics.requests);
                let span = tracing::debug_span!("sip", call_id = request.call_id().unwrap_or(""));
                let _entered = span.enter();
                let handler = match uas::admit(&request) {
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
                        let commands = self.commands_tx.clone();
                        tokio::spawn(
                            async move {
                                let response = registrar.register(&request, from, unix_ms()).await;
                                let _ = commands.send(CoreCommand::Respond { tx, response }).await;
                            }
                            .instrument(span.clone()),
                        );
                    }
                    Handler::Invite => self.hand_over(tx, request, from, routes),
                    Handler::InDialog => {
                        let key = dialog_key(request.call_id(), to_tag(&request).as_deref());
                        let delivered = match key.as_ref().and_then(|k| routes.dialogs.get(k)) {
                            Some(owner) => deliver(
                                owner,
                                SipEvent::Request {
                                    tx,
                                    request: request.clone(),
                                    from,
                                },
                                &self.metrics,
                            ),
                            None => false,
                        };
                        if !delivered {
                            if let Some(key) = key {
                                routes.dialogs.remove(&key);
                            }
                            self.respond(
                                tx,
                                Response::for_request(
                                    &request,
                                    481,
                                    "Call/Transaction Does Not Exist",
                                ),
                            );
                        }
                    }
                }
            }
            Event::Ack { request, from } => {
                let key = dialog_key(request.call_id(), to_tag(&request).as_deref());
                match key.as_ref().and_then(|k| routes.dialogs.get(k)) {
                    Some(owner) => {
                        deliver(owner, SipEvent::Ack { request, from }, &self.metrics);
                    }
                    None => {
                        tracing::debug!(%from, call_id = request.call_id().unwrap_or(""), "ACK outside any dialog")
                    }
                }
            }
            Event::Cancelled { tx } => {
                if let Some(owner) = routes.server.remove(&tx) {
                    deliver(&owner, SipEvent::Cancelled { tx }, &self.metrics);
                }
            }
            Event::ServerTimeout { tx } => {
                if let Some(owner) = routes.server.remove(&tx) {
                    deliver(&owner, SipEvent::ServerTimeout { tx }, &self.metrics);
                }
            }
            Event::Response { tx, response } => match routes.client.get(&tx) {
                Some(owner) => {
                    deliver(owner, SipEvent::Response { tx, response }, &self.metrics);
                }
                None => tracing::debug!(%tx, status = response.status, "response for no call"),
            },
            Event::Timeout { tx } => {
                if let Some(owner) = routes.client.remove(&tx) {
                    deliver(&owner, SipEvent::Timeout { tx }, &self.metrics);
                }
            }
            Event::TransportError { tx } => {
                let owner = match tx {
                    TxId::Client(c) => routes.client.remove(&c),
                    TxId::Server(s) => routes.server.remove(&s),
                };
                match owner {
                    Some(owner) => {
                        deliver(&owner, SipEvent::TransportError { tx }, &self.metrics);
                    }
                    None => tracing::debug!(?tx, "transaction ended by a transport error"),
                }
            }
        }
    }

    /// Gives a new INVITE to call control, with its routes set up first, or
    /// refuses it when call control is missing (404) or saturated (503).
    fn hand_over(&mut self, tx: ServerTxId, request: Request, from: Peer, routes: &mut Routes) {
        let Some(calls) = &self.calls else {
            self.respond(
                tx,
                Response::for_request(&request, 404, "No route for this number"),
            );
            return;
        };
        let local_tag = self.layer.new_tag();
        let (owner, events) = mpsc::channel(OWNER_CAPACITY);
        let key = dialog_key(request.call_id(), Some(&local_tag));
        let call = NewCall {
            tx,
            request,
            from,
            local_tag,
            events,
            owner: owner.clone(),
        };
        match calls.try_send(call) {
            Ok(()) => {
                routes.server.insert(tx, owner.clone());
                if let Some(key) = key {
                    routes.dialogs.insert(key, owner);
                }
            }
            Err(e) => {
                let call = match e {
                    mpsc::error::TrySendError::Full(c) | mpsc::error::TrySendError::Closed(c) => c,
                };
                SipMetrics::bump(&self.metrics.calls_refused_overload);
                tracing::warn!("call control saturated: INVITE refused with 503");
                let mut resp = Response::for_request(&call.request, 503, "Service Unavailable");
                resp.headers.push(HeaderName::RetryAfter, "5");
                self.respond(tx, resp);
            }
        }
    }

    fn respond(&mut self, tx: ServerTxId, resp: Response) {
        self.note_probe(&resp);
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

/// The address a response to a request goes back to: the top Via's
/// `received`, which [`mark_received`] set wherever it differs from the
/// Via's host, or else that host.
fn answered_source(resp: &Response) -> Option<IpAddr> {
    let via = resp.top_via().ok()?;
    let host = match via.received() {
        Some(received) => received.to_owned(),
        None => via.host_str().to_owned(),
    };
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
