//! A media worker: one tokio task that owns many legs, with one pacing clock
//! ([`super::clock`]) and no task or timer per caller (ARCHITECTURE.md).
//!
//! The clock ticks every 5 ms, a quarter of the 20 ms period; each leg is given the
//! least loaded quarter when it is added and is served once per period, in its
//! quarter. On a tick the worker drains the sockets of that quarter's legs that are
//! not bridged (caller audio, RFC 4733 events, RTCP), then sends the next 20 ms
//! frame of each of them that is playing, copied from the shared decoded sources
//! behind a header from the leg's own RTP stream (RFC 3550 section 5.1). A late tick
//! sends the frames it owes in one `sendmmsg` per leg. Bridged legs are read when
//! their sockets become ready ([`super::readiness`]) and each packet is relayed at
//! once, rewritten in the receive buffer ([`super::bridge`]). The legs of a
//! monitored call are mixed instead, on the tick of the supervisor leg's phase
//! ([`mix`], [`super::mixer`]).
//!
//! The worker is fed through a bounded channel ([`MediaWorker::try_send`] refuses
//! when it is full, for a 503) and reports digits and playback events through
//! another; an event that does not fit is dropped and counted.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::PacingClock;
pub use super::figures::set_realtime_priority;
use super::figures::{bucket, percentile, thread_cpu, two_mut, LATENESS_BUCKETS};
use super::readiness::ReadyQueue;
use std::task::{Context, Poll, Waker};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::{mpsc, oneshot};

use super::bridge::LegCodec;
use super::dtmf::Digit;
use super::leg::{Leg, LegConfig, LegId, LegReport, Received};
use super::net::{send_one, RecvBatch, SendBatch};
use super::player::PlayerEvent;
use super::ports::PortLease;
use super::recorder::Recordings;
use super::rtp::HEADER_LEN;
use super::sdp::Direction;
use super::source::{MediaSource, FRAME_SAMPLES};
use super::srtp::RTCP_OVERHEAD;

mod mix;
mod relay;
pub use super::mixer::MonitorMode;

/// The pacing period: every playing leg gets one frame per period.
pub const TICK: Duration = Duration::from_millis(20);
/// The period is split into this many phases; each leg belongs to one, so a batch
/// holds a quarter of the legs and the network never sees one 20 ms burst of all.
pub const PHASES: u32 = 4;
/// At most this many frames are sent to catch up after a late tick.
const MAX_CATCH_UP: u32 = 5;
/// Room for one RTCP report we write (SR or RR, one block, SDES, BYE).
const RTCP_BUF: usize = 128;

/// What the owner of a leg (the call) asks of the worker.
pub enum Command {
    /// Takes over a bound socket (see [`super::ports::bind_rtp`]) for a new leg.
    AddLeg {
        id: LegId,
        socket: std::net::UdpSocket,
        lease: Option<PortLease>,
        config: LegConfig,
    },
    /// New SDP from the peer: moved address, hold or resume, and a new codec when
    /// the re-INVITE changed it (a bridge then transcodes accordingly).
    UpdateLeg {
        id: LegId,
        remote: Option<SocketAddr>,
        direction: Direction,
        codec: Option<LegCodec>,
    },
    /// New SDES keys from a re-INVITE, or plain RTP from now on (`None`).
    Rekey {
        id: LegId,
        srtp: Option<super::srtp::SrtpParams>,
    },
    /// The peer declined rtcp-mux (RFC 5761 section 5.1.3): RTCP moves to
    /// this socket (the port above the RTP port), or stops when there is none.
    AttachRtcp {
        id: LegId,
        socket: Option<std::net::UdpSocket>,
    },
    PlayMusic {
        id: LegId,
        source: Arc<MediaSource>,
        looping: bool,
    },
    /// Interrupts music (which resumes in place afterwards) with a prompt sequence.
    Announce {
        id: LegId,
        sources: Vec<Arc<MediaSource>>,
        tag: u64,
    },
    StopPlayback {
        id: LegId,
    },
    /// Adds a browser leg's stand-in: the leg itself lives in the WebRTC hub
    /// ([`super::webrtc`]), which decrypts its media and sends it here; what a leg
    /// bridged to it relays leaves through `hub`, already in the browser leg's own
    /// RTP stream, for the hub to encrypt.
    AddExternal {
        id: LegId,
        codec: LegCodec,
        hub: mpsc::Sender<Packet>,
    },
    /// Relays audio between two legs; their players pause until unbridged.
    Bridge {
        a: LegId,
        b: LegId,
    },
    Unbridge {
        id: LegId,
    },
    /// Records the bridge of `a` and `b` into a new stereo WAV file at `path`
    /// (left: what `a` sends, right: what `b` sends; see [`super::recorder`]).
    /// Either leg may be a browser leg's stand-in. A leg already recorded
    /// ends its recording first.
    StartRecording {
        a: LegId,
        b: LegId,
        path: std::path::PathBuf,
    },
    /// Records what leg `id` receives, alone, into a new mono WAV file at
    /// `path` (a voicemail message); `done` hears when the file is complete.
    RecordAlone {
        id: LegId,
        path: std::path::PathBuf,
        done: Option<super::recorder::FinishedTx>,
    },
    /// Completes the recording leg `id` is in (either side); removing a leg
    /// does the same.
    StopRecording {
        id: LegId,
    },
    /// Mixes the bridge of `caller` and `agent` with the leg `supervisor`
    /// (not bridged) as `mode` says ([`super::mixer`]); the bridge stays, and
    /// its recording keeps recording what caller and agent send. Removing
    /// any of the three legs ends the mix.
    Monitor {
        caller: LegId,
        agent: LegId,
        supervisor: LegId,
        mode: MonitorMode,
    },
    /// Changes the mode of the mix leg `id` is in.
    MonitorMode {
        id: LegId,
        mode: MonitorMode,
    },
    /// Ends the mix leg `id` is in: the caller and agent are relayed again.
    Unmonitor {
        id: LegId,
    },
    RemoveLeg {
        id: LegId,
        reply: Option<oneshot::Sender<LegReport>>,
    },
    Report {
        reply: oneshot::Sender<WorkerReport>,
    },
    /// A running leg's figures (the owner watches for media that stopped).
    LegFigures {
        id: LegId,
        reply: oneshot::Sender<LegReport>,
    },
}

/// One plain RTP packet between a worker and the WebRTC hub, for the leg `leg`
/// (the browser leg's id in both directions).
#[derive(Debug)]
pub struct Packet {
    pub leg: LegId,
    pub data: Vec<u8>,
}

/// How many packets may wait between a worker and the hub before they are dropped
/// (and counted): about 200 ms of audio for 250 browser legs.
pub const PACKET_QUEUE: usize = 4096;

/// A browser leg as its worker sees it: the codec it negotiated, its outgoing
/// stream, the leg it is bridged to, and the way to the hub.
struct External {
    codec: LegCodec,
    out: super::rtp::OutStream,
    peer: Option<(LegId, super::bridge::Relay)>,
    hub: mpsc::Sender<Packet>,
}

/// What the worker tells the owners of its legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    Digit {
        leg: LegId,
        digit: Digit,
    },
    Playback {
        leg: LegId,
        event: PlayerEvent,
    },
    /// The leg's remote address was latched (symmetric RTP).
    Latched {
        leg: LegId,
        from: SocketAddr,
    },
    /// A browser leg lost its peer (ICE consent expired, DTLS closed) or failed
    /// inside; the call on it is over.
    Lost {
        leg: LegId,
    },
}

/// The worker's counters and pacing figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub legs: usize,
    pub ticks: u64,
    pub packets_sent: u64,
    pub send_errors: u64,
    pub relayed: u64,
    pub relay_dropped: u64,
    pub events_dropped: u64,
    /// RTCP compound packets sent and received (muxed or on port+1).
    pub rtcp_sent: u64,
    pub rtcp_received: u64,
    /// Ticks that woke a whole period or more late.
    pub late_ticks: u64,
    /// Lateness of paced packets against their leg's 20 ms grid, microseconds.
    pub lateness_p50_us: u64,
    pub lateness_p99_us: u64,
    pub lateness_max_us: u64,
    /// How late the clock itself woke, 99th percentile, microseconds.
    pub wake_p99_us: u64,
    /// CPU time of the thread running the worker since it started (meaningful when
    /// the worker has a current-thread runtime to itself).
    pub cpu: Duration,
    /// Calls being recorded now.
    pub recordings: usize,
    /// Recorded stereo frames (20 ms) written, and dropped because the
    /// writer's queue was full.
    pub recording_frames: u64,
    pub recording_frames_dropped: u64,
    /// Recording files completed, and files that could not be written.
    pub recording_files: u64,
    pub recording_errors: u64,
    /// Monitored calls being mixed now, and the frames their mixes sent.
    pub mixes: usize,
    pub mixed_frames: u64,
    /// SRTP/SRTCP packets dropped because their tag did not authenticate
    /// them (or they were too short to carry one), and as replays.
    pub srtp_auth_failures: u64,
    pub srtp_replays: u64,
}

impl WorkerReport {
    /// Adds `other`'s counters (not its pacing figures) to these, for a
    /// total over the workers.
    pub fn add_counters(&mut self, other: &WorkerReport) {
        self.legs += other.legs;
        self.ticks += other.ticks;
        self.packets_sent += other.packets_sent;
        self.send_errors += other.send_errors;
        self.relayed += other.relayed;
        self.relay_dropped += other.relay_dropped;
        self.events_dropped += other.events_dropped;
        self.rtcp_sent += other.rtcp_sent;
        self.rtcp_received += other.rtcp_received;
        self.late_ticks += other.late_ticks;
        self.recordings += other.recordings;
        self.recording_frames += other.recording_frames;
        self.recording_frames_dropped += other.recording_frames_dropped;
        self.recording_files += other.recording_files;
        self.recording_errors += other.recording_errors;
        self.mixes += other.mixes;
        self.mixed_frames += other.mixed_frames;
        self.srtp_auth_failures += other.srtp_auth_failures;
        self.srtp_replays += other.srtp_replays;
    }

    /// Counts a received packet SRTP refused.
    fn srtp_refused(&mut self, e: super::srtp::SrtpError) {
        match e {
            super::srtp::SrtpError::Replayed => self.srtp_replays += 1,
            _ => self.srtp_auth_failures += 1,
        }
    }
}

/// The worker's channel is full or it has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorkerError {
    #[error("media worker overloaded")]
    Overloaded,
    #[error("media worker stopped")]
    Stopped,
}

/// Handle to a running worker.
#[derive(Clone)]
pub struct MediaWorker {
    tx: mpsc::Sender<Command>,
    inject: mpsc::Sender<Packet>,
}

impl MediaWorker {
    /// Spawns the worker on the current tokio runtime.
    pub fn spawn(events: mpsc::Sender<MediaEvent>) -> MediaWorker {
        let (worker, task) = Self::create(events);
        tokio::spawn(task);
        worker
    }

    /// The handle and the worker's task, for a caller that runs the task itself (on
    /// a thread of its own, see [`super::engine`]). The task ends when every handle
    /// is dropped.
    pub fn create(
        events: mpsc::Sender<MediaEvent>,
    ) -> (
        MediaWorker,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (tx, rx) = mpsc::channel(1024);
        let (inject, injected) = mpsc::channel(PACKET_QUEUE);
        // The worker polls many sockets per wake-up and keeps its own fairness;
        // tokio's cooperative budget (128 ready polls) would leave legs unread.
        (
            MediaWorker { tx, inject },
            tokio::task::unconstrained(run(rx, injected, events)),
        )
    }

    /// Where the WebRTC hub sends the media of browser legs bridged on this worker.
    pub fn injector(&self) -> mpsc::Sender<Packet> {
        self.inject.clone()
    }

    /// Queues a command, refusing when the worker is saturated.
    pub fn try_send(&self, cmd: Command) -> Result<(), WorkerError> {
        self.tx.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => WorkerError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => WorkerError::Stopped,
        })
    }

    /// Queues a command, waiting for room.
    pub async fn send(&self, cmd: Command) -> Result<(), WorkerError> {
        self.tx.send(cmd).await.map_err(|_| WorkerError::Stopped)
    }

    /// Removes a leg and returns its figures for the interaction record.
    pub async fn remove(&self, id: LegId) -> Option<LegReport> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::RemoveLeg {
            id,
            reply: Some(reply),
        })
        .await
        .ok()?;
        rx.await.ok()
    }

    pub async fn report(&self) -> Result<WorkerReport, WorkerError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Report { reply }).await?;
        rx.await.map_err(|_| WorkerError::Stopped)
    }
}

/// Where a leg is: its phase and its place in that phase's list.
type Slot = (u8, usize);

/// Two different legs, mutably (a bridge's two sides).
fn pair(legs: &mut [Vec<Leg>], a: Slot, b: Slot) -> (&mut Leg, &mut Leg) {
    if a.0 == b.0 {
        two_mut(&mut legs[a.0 as usize], a.1, b.1)
    } else {
        let (x, y) = two_mut(legs, a.0 as usize, b.0 as usize);
        (&mut x[a.1], &mut y[b.1])
    }
}

struct Worker {
    /// The legs of each phase, stored together so a tick walks one compact list.
    legs: [Vec<Leg>; PHASES as usize],
    index: HashMap<LegId, Slot>,
    externals: HashMap<LegId, External>,
    ready: Arc<ReadyQueue>,
    events: mpsc::Sender<MediaEvent>,
    recv: RecvBatch,
    batch: SendBatch,
    report: WorkerReport,
    lateness: Vec<u64>,
    wake: Vec<u64>,
    cpu_start: Duration,
    recordings: Recordings,
    mixes: mix::Mixes,
}

async fn run(
    mut rx: mpsc::Receiver<Command>,
    mut injected: mpsc::Receiver<Packet>,
    events: mpsc::Sender<MediaEvent>,
) {
    let mut w = Worker {
        legs: std::array::from_fn(|_| Vec::new()),
        index: HashMap::new(),
        externals: HashMap::new(),
        ready: Arc::new(ReadyQueue::default()),
        events,
        recv: RecvBatch::new(16),
        batch: SendBatch::with_capacity(MAX_CATCH_UP as usize),
        report: WorkerReport::default(),
        lateness: vec![0; LATENESS_BUCKETS],
        wake: vec![0; LATENESS_BUCKETS],
        cpu_start: thread_cpu(),
        recordings: Recordings::default(),
        mixes: mix::Mixes::default(),
    };
    let ready = w.ready.clone();
    let step = TICK / PHASES;
    let mut next = Instant::now() + step;
    let mut phase = 0u8;
    let clock = match PacingClock::new() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("media worker cannot start its pacing clock: {e}");
            return;
        }
    };
    let _ = clock.arm(next);
    let mut packets = Vec::with_capacity(64);
    loop {
        tokio::select! {
            biased;
            _ = clock.wait() => {
                // A phase late by whole periods skips them (its legs catch up).
                let due = w.tick(next, phase);
                next += TICK * (due - 1) + step;
                phase = (phase + 1) % PHASES as u8;
                let _ = clock.arm(next);
            }
            id = std::future::poll_fn(|cx| ready.poll_next(cx)) => w.on_ready(id),
            n = injected.recv_many(&mut packets, 64) => {
                if n == 0 {
                    // Every handle is gone (the hub's and the owners').
                    break;
                }
                let now = Instant::now();
                for p in packets.drain(..) {
                    w.on_injected(p, now);
                }
            }
            cmd = rx.recv() => match cmd {
                Some(c) => w.command(c),
                None => break,
            },
        }
    }
}

impl Worker {
    fn emit(&mut self, ev: MediaEvent) {
        if self.events.try_send(ev).is_err() {
            self.report.events_dropped += 1;
        }
    }

    fn command(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::AddLeg {
                id,
                socket,
                lease,
                config,
            } => {
                if self.index.contains_key(&id) {
                    return;
                }
                let _ = socket.set_nonblocking(true);
                // SAFETY: a std UdpSocket owns its descriptor, which stays open and
                // the same until the AsyncFd (and with it the socket) is dropped.
                let registered =
                    unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) };
                let Ok(sock) = registered else {
                    return;
                };
                let phase = (0..PHASES as usize)
                    .min_by_key(|&p| self.legs[p].len())
                    .unwrap_or(0);
                self.index.insert(id, (phase as u8, self.legs[phase].len()));
                self.legs[phase].push(Leg::new(id, sock, lease, config, now));
            }
            Command::UpdateLeg {
                id,
                remote,
                direction,
                codec,
            } => {
                let Some(leg) = self.leg(id) else { return };
                leg.update(remote, direction);
                if let Some(c) = codec.filter(|c| *c != leg.config.codec) {
                    leg.config.codec = c;
                    leg.out.source_changed();
                    self.rebuild_relays(id);
                }
            }
            Command::Rekey { id, srtp } => {
                if let Some(leg) = self.leg(id) {
                    leg.rekey(srtp);
                }
            }
            Command::AttachRtcp { id, socket } => {
                let registered = socket.and_then(|socket| {
                    let _ = socket.set_nonblocking(true);
                    // SAFETY: as for AddLeg, the socket owns its descriptor.
                    unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }.ok()
                });
                if let Some(leg) = self.leg(id) {
                    leg.attach_rtcp(registered);
                }
            }
            Command::PlayMusic {
                id,
                source,
                looping,
            } => {
                if let Some(leg) = self.leg(id) {
                    leg.player.play_music(source, looping);
                }
            }
            Command::Announce { id, sources, tag } => {
                if let Some(leg) = self.leg(id) {
                    leg.player.announce(sources, tag);
                }
            }
            Command::StopPlayback { id } => {
                if let Some(leg) = self.leg(id) {
                    leg.player.stop();
                }
            }
            Command::AddExternal { id, codec, hub } => {
                if self.index.contains_key(&id) {
                    return;
                }
                let out =
                    super::rtp::OutStream::new(rand::random(), rand::random(), rand::random(), now);
                self.externals.insert(
                    id,
                    External {
                        codec,
                        out,
                        peer: None,
                        hub,
                    },
                );
            }
            Command::Bridge { a, b } => self.bridge(a, b),
            Command::Unbridge { id } => self.unbridge(id),
            Command::StartRecording { a, b, path } => {
                let known = |id| self.index.contains_key(&id) || self.externals.contains_key(&id);
                if known(a) && known(b) {
                    self.recordings.start(a, b, path);
                }
            }
            Command::RecordAlone { id, path, done } => {
                if self.index.contains_key(&id) || self.externals.contains_key(&id) {
                    self.recordings.start_alone(id, path, done);
                }
            }
            Command::StopRecording { id } => self.recordings.stop(id),
            Command::Monitor {
                caller,
                agent,
                supervisor,
                mode,
            } => self.monitor(caller, agent, supervisor, mode),
            Command::MonitorMode { id, mode } => self.monitor_mode(id, mode),
            Command::Unmonitor { id } => self.unmonitor(id),
            Command::RemoveLeg { id, reply } => {
                self.recordings.stop(id);
                self.unmonitor(id);
                self.unbridge(id);
                if self.externals.remove(&id).is_some() {
                    // The hub keeps the browser leg's own figures.
                    if let Some(r) = reply {
                        let _ = r.send(LegReport::default());
                    }
                    return;
                }
                if let Some((p, i)) = self.index.remove(&id) {
                    let mut leg = self.legs[p as usize].swap_remove(i);
                    if let Some((fd, to)) = leg.rtcp_destination() {
                        let mut buf = [0u8; RTCP_BUF + RTCP_OVERHEAD];
                        let written = leg.write_rtcp(&mut buf[..RTCP_BUF], now, true);
                        if let Some(Ok(n)) = written.map(|n| leg.protect_rtcp(&mut buf, n)) {
                            if send_one(fd, &buf[..n], &to).is_ok() {
                                self.report.rtcp_sent += 1;
                            }
                        }
                    }
                    if let Some(moved) = self.legs[p as usize].get(i) {
                        self.index.insert(moved.id, (p, i));
                    }
                    // The socket closes and the port returns before the owner hears.
                    let report = leg.report();
                    drop(leg);
                    if let Some(r) = reply {
                        let _ = r.send(report);
                    }
                }
            }
            Command::LegFigures { id, reply } => {
                if let Some(&(p, i)) = self.index.get(&id) {
                    let _ = reply.send(self.legs[p as usize][i].report());
                }
            }
            Command::Report { reply } => {
                let mut r = self.report.clone();
                r.legs = self.legs.iter().map(Vec::len).sum();
                r.lateness_p50_us = percentile(&self.lateness, 0.50);
                r.lateness_p99_us = percentile(&self.lateness, 0.99);
                r.lateness_max_us = percentile(&self.lateness, 1.0);
                r.wake_p99_us = percentile(&self.wake, 0.99);
                r.cpu = thread_cpu().saturating_sub(self.cpu_start);
                let rec = &self.recordings;
                r.recordings = rec.recorded_legs() / 2;
                r.recording_frames = rec.counters.frames_written.load(Relaxed);
                r.recording_frames_dropped = rec.dropped;
                r.recording_files = rec.counters.files.load(Relaxed);
                r.recording_errors = rec.counters.errors.load(Relaxed);
                r.mixes = self.mixes.len();
                r.mixed_frames = self.mixes.frames;
                let _ = reply.send(r);
            }
        }
    }

    fn leg(&mut self, id: LegId) -> Option<&mut Leg> {
        self.index
            .get(&id)
            .map(|&(p, i)| &mut self.legs[p as usize][i])
    }

    fn flush_digits(&mut self, s: Slot, now: Instant) {
        while let Some(digit) = self.legs[s.0 as usize][s.1].poll_digit(now) {
            let leg = self.legs[s.0 as usize][s.1].id;
            self.emit(MediaEvent::Digit { leg, digit });
        }
        while let Some(event) = self.legs[s.0 as usize][s.1].player.poll_event() {
            let leg = self.legs[s.0 as usize][s.1].id;
            self.emit(MediaEvent::Playback { leg, event });
        }
    }

    fn on_ready(&mut self, id: LegId) {
        let Some(&s) = self.index.get(&id) else {
            return;
        };
        match &self.legs[s.0 as usize][s.1].ready_waker {
            Some((sw, _)) if sw.is_active() => sw.taken(),
            _ => return,
        }
        self.drain(s, Instant::now());
    }

    /// One pacing tick for the legs of `phase` at `deadline`; returns how many
    /// periods it covered.
    fn tick(&mut self, deadline: Instant, phase: u8) -> u32 {
        let woke = Instant::now();
        let late = woke.saturating_duration_since(deadline);
        self.wake[bucket(late)] += 1;
        self.report.ticks += 1;
        let due = ((late.as_micros() / TICK.as_micros()) as u32 + 1).min(MAX_CATCH_UP);
        if due > 1 {
            self.report.late_ticks += 1;
        }
        if phase == 0 {
            // Recordings are paced once a period, by its first phase.
            self.recordings.tick(due);
        }
        for k in 0..self.legs[phase as usize].len() {
            let s = (phase, k);
            if self.legs[phase as usize][k].peer.is_none() {
                self.drain(s, woke);
            }
            self.send_frames(s, deadline, due);
            self.drain_rtcp(s, woke);
            self.send_rtcp(s, woke);
        }
        if !self.mixes.is_empty() {
            self.mix_tick(phase, deadline, due);
        }
        due
    }

    /// An RTCP report for leg `i` when one is due (muxed legs only, every ~5 s).
    fn send_rtcp(&mut self, s: Slot, now: Instant) {
        let leg = &mut self.legs[s.0 as usize][s.1];
        let Some((fd, to)) = leg.rtcp_destination() else {
            return;
        };
        let mut buf = [0u8; RTCP_BUF + RTCP_OVERHEAD];
        if let Some(n) = leg.write_rtcp(&mut buf[..RTCP_BUF], now, false) {
            let Ok(n) = leg.protect_rtcp(&mut buf, n) else {
                self.report.send_errors += 1;
                return;
            };
            match send_one(fd, &buf[..n], &to) {
                Ok(()) => self.report.rtcp_sent += 1,
                Err(_) => self.report.send_errors += 1,
            }
        }
    }

    /// Reads the RTCP socket (port+1) of a leg without rtcp-mux.
    fn drain_rtcp(&mut self, s: Slot, now: Instant) {
        let Some(socket) = self.legs[s.0 as usize][s.1]
            .rtcp_port
            .as_ref()
            .map(|r| r.socket.clone())
        else {
            return;
        };
        let fd = socket.get_ref().as_raw_fd();
        let mut cx = Context::from_waker(Waker::noop());
        while let Poll::Ready(Ok(mut guard)) = socket.poll_read_ready(&mut cx) {
            let n = match self.recv.recv(fd) {
                Ok(n) if n == self.recv.capacity() => n,
                Ok(n) => {
                    guard.clear_ready();
                    n
                }
                Err(_) => {
                    guard.clear_ready();
                    break;
                }
            };
            drop(guard);
            for k in 0..n {
                if let Some((buf, from)) = self.recv.get_mut(k) {
                    let leg = &mut self.legs[s.0 as usize][s.1];
                    let len = match leg.unprotect_rtcp(buf) {
                        Ok(len) => len,
                        Err(e) => {
                            self.report.srtp_refused(e);
                            continue;
                        }
                    };
                    let got = leg.receive_rtcp(&buf[..len], from, now);
                    if got == Received::Rtcp {
                        self.report.rtcp_received += 1;
                    }
                }
            }
            if n < self.recv.capacity() {
                break;
            }
        }
    }

    fn send_frames(&mut self, s: Slot, deadline: Instant, due: u32) {
        let leg = &mut self.legs[s.0 as usize][s.1];
        if leg.peer.is_some() || !leg.config.direction.sends() {
            return;
        }
        let Some(to) = leg.latch.remote() else { return };
        let codec = leg.config.codec;
        let overhead = leg.rtp_overhead();
        self.batch.clear();
        for f in 0..due {
            let at = deadline + TICK * f;
            let Some(frame) = leg.player.next_frame(codec.law) else {
                break;
            };
            if frame.new_source {
                leg.out.source_changed();
            }
            let header = leg
                .out
                .next_local(codec.payload_type, FRAME_SAMPLES as u32, at);
            let payload = frame.payload;
            let len = HEADER_LEN + payload.len();
            let srtp = &mut leg.srtp;
            self.batch.push_with(to, len + overhead, |b| {
                header.write(b);
                b[HEADER_LEN..len].copy_from_slice(payload);
                if let Some(s) = srtp {
                    // Cannot fail: a whole header and room for the tag.
                    let _ = s.outbound.protect_rtp(b, len);
                }
            });
            leg.out.count_sent(payload.len());
        }
        let sent = match self.batch.len() {
            0 => return,
            // The usual case: one frame, one sendto, no message headers to set up.
            1 => self.batch.send_single(leg.fd).map(|()| 1),
            _ => self.batch.send(leg.fd),
        };
        match sent {
            Ok(n) => self.report.packets_sent += n as u64,
            Err(_) => self.report.send_errors += 1,
        }
        let offset = Instant::now().saturating_duration_since(deadline);
        let anchor = *leg.anchor.get_or_insert(offset);
        self.lateness[bucket(offset.saturating_sub(anchor))] += 1;
    }
}
