//! The hub: one thread, one UDP socket, every browser leg.
//!
//! It reads datagrams in batches, routes each to its leg (by the remote address
//! once known, else by the ICE username of a connectivity check), and drives that
//! leg until it has nothing more to send; legs' own timers (ICE consent, DTLS
//! retransmission, RTCP) are kept in one heap. Plain RTP arrives from the media
//! workers on one bounded channel and leaves to them on theirs; a full channel
//! drops the packet and counts it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::{mpsc, oneshot};

use super::leg::{BrowserLeg, Keys, OfferError, Step};
use super::stun::local_ufrag;
use crate::media::bridge::LegCodec;
use crate::media::figures::thread_cpu;
use crate::media::g711::Law;
use crate::media::leg::{LegId, LegReport};
use crate::media::net::{send_one, RecvBatch};
use crate::media::worker::{MediaEvent, Packet, PACKET_QUEUE};

/// A new browser leg: our SDP answer and what it negotiated.
#[derive(Debug, Clone)]
pub struct Opened {
    pub answer: String,
    pub codec: LegCodec,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Offer(#[from] OfferError),
    #[error("no such browser leg")]
    NoSuchLeg,
    #[error("the WebRTC hub has stopped")]
    Stopped,
}

impl HubError {
    /// The SIP status for the call that asked.
    pub fn sip_status(&self) -> u16 {
        match self {
            HubError::Offer(_) => 488,
            HubError::NoSuchLeg | HubError::Stopped => 503,
        }
    }
}

/// The hub's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubReport {
    pub legs: usize,
    /// Legs with ICE and DTLS up.
    pub connected: usize,
    pub datagrams_received: u64,
    pub datagrams_sent: u64,
    /// Datagrams from an address no leg knows that were not a check for one.
    pub unknown_source: u64,
    pub send_errors: u64,
    /// RTP packets decrypted and handed to a worker, and dropped on the way.
    pub media_in: u64,
    pub media_in_dropped: u64,
    /// RTP packets from workers encrypted for a browser.
    pub media_out: u64,
    /// Legs ended by a panic in their state.
    pub panics: u64,
    /// CPU time of the hub's thread since it started.
    pub cpu: Duration,
}

enum HubCommand {
    Open {
        id: LegId,
        offer: String,
        local_ip: IpAddr,
        prefer: Law,
        reply: oneshot::Sender<Result<Opened, HubError>>,
    },
    Reoffer {
        id: LegId,
        offer: String,
        reply: oneshot::Sender<Result<Opened, HubError>>,
    },
    /// Decrypted media of `id` goes to this worker from now on.
    Link {
        id: LegId,
        worker: mpsc::Sender<Packet>,
    },
    Remove {
        id: LegId,
        reply: Option<oneshot::Sender<LegReport>>,
    },
    Figures {
        id: LegId,
        reply: oneshot::Sender<LegReport>,
    },
    Report {
        reply: oneshot::Sender<HubReport>,
    },
}

/// Handle to the running hub.
#[derive(Clone)]
pub struct WebRtcHub {
    tx: mpsc::Sender<HubCommand>,
    packets: mpsc::Sender<Packet>,
    port: u16,
}

impl std::fmt::Debug for WebRtcHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcHub")
            .field("port", &self.port)
            .finish()
    }
}

impl WebRtcHub {
    /// Starts the hub's thread on the bound `socket`.
    pub fn start(
        socket: std::net::UdpSocket,
        events: mpsc::Sender<MediaEvent>,
    ) -> std::io::Result<Self> {
        socket.set_nonblocking(true)?;
        let port = socket.local_addr()?.port();
        let keys = Keys::generate().ok_or_else(|| {
            std::io::Error::other("no DTLS certificate could be made for browser legs")
        })?;
        let (tx, rx) = mpsc::channel(1024);
        let (packets, packets_rx) = mpsc::channel(PACKET_QUEUE);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("webrtc".into())
            .spawn(move || {
                rt.block_on(tokio::task::unconstrained(run(
                    socket, port, keys, rx, packets_rx, events,
                )))
            })?;
        Ok(WebRtcHub { tx, packets, port })
    }

    /// The one UDP port of every browser leg.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where workers send the media of browser legs.
    pub fn packets(&self) -> mpsc::Sender<Packet> {
        self.packets.clone()
    }

    /// Opens a browser leg from its offer. `local_ip` is the address the browser
    /// reaches us at; `prefer` the law of the leg it will be bridged to.
    pub async fn open(
        &self,
        id: LegId,
        offer: String,
        local_ip: IpAddr,
        prefer: Law,
    ) -> Result<Opened, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(HubCommand::Open {
            id,
            offer,
            local_ip,
            prefer,
            reply,
        })
        .await?;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// A new offer from the browser in the same call (hold, resume).
    pub async fn reoffer(&self, id: LegId, offer: String) -> Result<Opened, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(HubCommand::Reoffer { id, offer, reply }).await?;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    pub async fn link(&self, id: LegId, worker: mpsc::Sender<Packet>) {
        let _ = self.send(HubCommand::Link { id, worker }).await;
    }

    /// Ends a browser leg and returns its figures.
    pub async fn remove(&self, id: LegId) -> Option<LegReport> {
        let (reply, rx) = oneshot::channel();
        self.send(HubCommand::Remove {
            id,
            reply: Some(reply),
        })
        .await
        .ok()?;
        rx.await.ok()
    }

    pub async fn figures(&self, id: LegId) -> Option<LegReport> {
        let (reply, rx) = oneshot::channel();
        self.send(HubCommand::Figures { id, reply }).await.ok()?;
        rx.await.ok()
    }

    pub async fn report(&self) -> Result<HubReport, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(HubCommand::Report { reply }).await?;
        rx.await.map_err(|_| HubError::Stopped)
    }

    async fn send(&self, cmd: HubCommand) -> Result<(), HubError> {
        self.tx.send(cmd).await.map_err(|_| HubError::Stopped)
    }
}

struct Entry {
    leg: BrowserLeg,
    worker: Option<mpsc::Sender<Packet>>,
    /// When the leg's state next wants the clock (its entry in the heap).
    next: Option<Instant>,
}

/// The hub's timer resolution: ICE, DTLS and RTCP timers tolerate it.
const GRID: Duration = Duration::from_millis(5);

/// `at` rounded up to the hub's timer grid.
fn on_grid(epoch: Instant, at: Instant) -> Instant {
    let since = at.saturating_duration_since(epoch).as_micros() as u64;
    let step = GRID.as_micros() as u64;
    epoch + Duration::from_micros(since.div_ceil(step) * step)
}

struct Hub {
    epoch: Instant,
    /// Media for the workers, sent once per wake-up (one wake of each worker).
    outbox: Vec<(mpsc::Sender<Packet>, Vec<Packet>)>,
    fd: RawFd,
    port: u16,
    keys: Keys,
    legs: HashMap<LegId, Entry>,
    by_ufrag: HashMap<String, LegId>,
    by_addr: HashMap<SocketAddr, LegId>,
    timers: BinaryHeap<Reverse<(Instant, LegId)>>,
    events: mpsc::Sender<MediaEvent>,
    report: HubReport,
    cpu_start: Duration,
}

async fn run(
    socket: std::net::UdpSocket,
    port: u16,
    keys: Keys,
    mut commands: mpsc::Receiver<HubCommand>,
    mut packets: mpsc::Receiver<Packet>,
    events: mpsc::Sender<MediaEvent>,
) {
    // SAFETY: the std socket owns its descriptor, which stays open and the same
    // until the AsyncFd (and with it the socket) is dropped at the end of `run`.
    let registered = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) };
    let socket = match registered {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("the WebRTC hub cannot watch its socket: {e}");
            return;
        }
    };
    let mut hub = Hub {
        epoch: Instant::now(),
        outbox: Vec::new(),
        fd: socket.get_ref().as_raw_fd(),
        port,
        keys,
        legs: HashMap::new(),
        by_ufrag: HashMap::new(),
        by_addr: HashMap::new(),
        timers: BinaryHeap::new(),
        events,
        report: HubReport::default(),
        cpu_start: thread_cpu(),
    };
    let mut recv = RecvBatch::new(32);
    let mut batch = Vec::with_capacity(64);
    loop {
        let wake = hub
            .timers
            .peek()
            .map(|Reverse((at, _))| *at)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            biased;
            ready = socket.readable() => {
                let Ok(mut guard) = ready else { break };
                loop {
                    let n = match recv.recv(hub.fd) {
                        Ok(n) => n,
                        Err(_) => {
                            guard.clear_ready();
                            break;
                        }
                    };
                    let now = Instant::now();
                    for k in 0..n {
                        if let Some((buf, from)) = recv.get_mut(k) {
                            hub.on_datagram(buf, from, now);
                        }
                    }
                    if n < recv.capacity() {
                        guard.clear_ready();
                        break;
                    }
                }
                hub.flush_outbox();
            }
            n = packets.recv_many(&mut batch, 64) => {
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                for p in batch.drain(..) {
                    hub.on_packet(p, now);
                }
                hub.flush_outbox();
            }
            cmd = commands.recv() => match cmd {
                Some(c) => hub.command(c),
                None => break,
            },
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                hub.on_timers(Instant::now());
                hub.flush_outbox();
            }
        }
    }
}

impl Hub {
    /// Hands the media decrypted since the last flush to the workers.
    fn flush_outbox(&mut self) {
        for (worker, packets) in &mut self.outbox {
            for p in packets.drain(..) {
                if worker.try_send(p).is_ok() {
                    self.report.media_in += 1;
                } else {
                    self.report.media_in_dropped += 1;
                }
            }
        }
    }

    fn command(&mut self, cmd: HubCommand) {
        let now = Instant::now();
        match cmd {
            HubCommand::Open {
                id,
                offer,
                local_ip,
                prefer,
                reply,
            } => {
                let local = SocketAddr::new(local_ip, self.port);
                let result = catch_unwind(AssertUnwindSafe(|| {
                    BrowserLeg::accept(&offer, local, prefer, &self.keys, now)
                }));
                let answer = match result {
                    Ok(Ok((leg, answer))) => {
                        let codec = leg.codec;
                        self.by_ufrag.insert(leg.ufrag.clone(), id);
                        self.legs.insert(
                            id,
                            Entry {
                                leg,
                                worker: None,
                                next: None,
                            },
                        );
                        self.drive(id, now);
                        Ok(Opened { answer, codec })
                    }
                    Ok(Err(e)) => Err(HubError::Offer(e)),
                    Err(_) => {
                        self.report.panics += 1;
                        Err(HubError::Offer(OfferError::Sdp(
                            "the offer could not be handled".into(),
                        )))
                    }
                };
                let _ = reply.send(answer);
            }
            HubCommand::Reoffer { id, offer, reply } => {
                let result = match self.guarded(id, "on a new offer", |leg| {
                    leg.reoffer(&offer).map(|answer| Opened {
                        answer,
                        codec: leg.codec,
                    })
                }) {
                    Some(r) => r.map_err(HubError::Offer),
                    None => Err(HubError::NoSuchLeg),
                };
                if result.is_ok() {
                    self.drive(id, now);
                }
                let _ = reply.send(result);
            }
            HubCommand::Link { id, worker } => {
                if let Some(e) = self.legs.get_mut(&id) {
                    e.worker = Some(worker);
                }
            }
            HubCommand::Remove { id, reply } => {
                let report = self.remove(id);
                if let Some(r) = reply {
                    let _ = r.send(report.unwrap_or_default());
                }
            }
            HubCommand::Figures { id, reply } => {
                if let Some(e) = self.legs.get(&id) {
                    let _ = reply.send(e.leg.report());
                }
            }
            HubCommand::Report { reply } => {
                let mut r = self.report.clone();
                r.legs = self.legs.len();
                r.connected = self.legs.values().filter(|e| e.leg.is_connected()).count();
                r.cpu = thread_cpu().saturating_sub(self.cpu_start);
                let _ = reply.send(r);
            }
        }
    }

    fn remove(&mut self, id: LegId) -> Option<LegReport> {
        let mut e = self.legs.remove(&id)?;
        self.by_ufrag.remove(&e.leg.ufrag);
        for a in &e.leg.remotes {
            if self.by_addr.get(a) == Some(&id) {
                self.by_addr.remove(a);
            }
        }
        let report = e.leg.report();
        let _ = catch_unwind(AssertUnwindSafe(|| {
            e.leg.close();
            // Flush what closing produced (a DTLS close alert).
            while let Ok(Step::Transmit(t)) = e.leg.step(Instant::now()) {
                let _ = send_one(self.fd, &t.contents, &t.destination);
            }
        }));
        Some(report)
    }

    /// A leg whose state panicked or whose peer is gone: removed, its call told.
    fn fail(&mut self, id: LegId) {
        self.remove(id);
        if self.events.try_send(MediaEvent::Lost { leg: id }).is_err() {
            tracing::warn!(leg = id, "a lost browser leg could not be reported");
        }
    }

    fn on_datagram(&mut self, buf: &[u8], from: SocketAddr, now: Instant) {
        self.report.datagrams_received += 1;
        let id = match self.by_addr.get(&from) {
            Some(&id) => id,
            None => match local_ufrag(buf).and_then(|u| self.by_ufrag.get(u)) {
                Some(&id) => {
                    self.by_addr.insert(from, id);
                    id
                }
                None => {
                    self.report.unknown_source += 1;
                    return;
                }
            },
        };
        if !self.legs.contains_key(&id) {
            self.by_addr.remove(&from);
            return;
        }
        match self.guarded(id, "on a datagram", |leg| leg.receive(now, from, buf)) {
            Some(Ok(())) => {}
            Some(Err(err)) => tracing::debug!(leg = id, error = %err, "browser datagram refused"),
            None => return,
        }
        self.drive(id, now);
    }

    fn on_packet(&mut self, p: Packet, now: Instant) {
        if self
            .guarded(p.leg, "sending media", |leg| leg.send(&p.data, now))
            .is_none()
        {
            return;
        }
        self.report.media_out += 1;
        self.drive(p.leg, now);
    }

    fn on_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(e) = self.legs.get_mut(&id) else {
                continue;
            };
            if e.next != Some(at) {
                continue;
            }
            e.next = None;
            match self.guarded(id, "on its timer", |leg| leg.timeout(now)) {
                Some(Ok(())) => {}
                Some(Err(err)) => tracing::debug!(leg = id, error = %err, "browser leg timer"),
                None => continue,
            }
            self.drive(id, now);
        }
    }

    /// Takes everything leg `id` has to say: datagrams out, media to its worker,
    /// digits to its call; then files its next timer.
    fn drive(&mut self, id: LegId, now: Instant) {
        let Some(e) = self.legs.get_mut(&id) else {
            return;
        };
        let (fd, events, report, outbox) =
            (self.fd, &self.events, &mut self.report, &mut self.outbox);
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<Instant, ()> {
            loop {
                match e.leg.step(now) {
                    Ok(Step::Transmit(t)) => match send_one(fd, &t.contents, &t.destination) {
                        Ok(()) => report.datagrams_sent += 1,
                        Err(_) => report.send_errors += 1,
                    },
                    Ok(Step::Media(data)) => match &e.worker {
                        Some(w) => {
                            let packet = Packet { leg: id, data };
                            match outbox.iter_mut().find(|(o, _)| o.same_channel(w)) {
                                Some((_, queued)) => queued.push(packet),
                                None => outbox.push((w.clone(), vec![packet])),
                            }
                        }
                        None => report.media_in_dropped += 1,
                    },
                    Ok(Step::Lost) => return Err(()),
                    Ok(Step::Wait(at)) => {
                        while let Some(digit) = e.leg.poll_digit(now) {
                            let _ = events.try_send(MediaEvent::Digit { leg: id, digit });
                        }
                        return Ok(at);
                    }
                    Err(err) => {
                        tracing::debug!(leg = id, error = %err, "browser leg stopped");
                        return Err(());
                    }
                }
            }
        }));
        match outcome {
            Ok(Ok(at)) => {
                // Due timers were just served: the next one is in the future.
                // Timers fall on a 5 ms grid so one wake-up serves many legs.
                let at = on_grid(self.epoch, at.max(now + Duration::from_millis(1)));
                if e.next != Some(at) {
                    e.next = Some(at);
                    self.timers.push(Reverse((at, id)));
                }
            }
            Ok(Err(())) => {
                tracing::info!(leg = id, "browser leg lost its peer");
                self.fail(id);
            }
            Err(_) => self.panicked(id, "while driven"),
        }
    }

    /// Runs `f` on leg `id`, catching a panic inside its state: the leg is then
    /// ended alone ([`Hub::panicked`]) and `None` returned, as for no such leg.
    fn guarded<R>(
        &mut self,
        id: LegId,
        during: &str,
        f: impl FnOnce(&mut BrowserLeg) -> R,
    ) -> Option<R> {
        let e = self.legs.get_mut(&id)?;
        match catch_unwind(AssertUnwindSafe(|| f(&mut e.leg))) {
            Ok(r) => Some(r),
            Err(_) => {
                self.panicked(id, during);
                None
            }
        }
    }

    fn panicked(&mut self, id: LegId, during: &str) {
        self.report.panics += 1;
        tracing::error!(leg = id, during, "browser leg failed: call ended");
        self.fail(id);
    }
}
