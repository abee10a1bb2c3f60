//! The media engine as call control sees it: a few media workers, each a tokio task
//! on a current-thread runtime of its own thread (ARCHITECTURE.md: one pacing clock
//! per worker, no task per caller), the shared RTP port pool, and one channel of
//! [`MediaEvent`]s for all legs.
//!
//! [`MediaEngine::open_leg`] binds an even port from the configured range (and the
//! RTCP port above it unless the leg multiplexes RTCP) and hands the sockets to a
//! worker; a full range or a saturated worker is refused with the
//! 503 the call should answer (ARCHITECTURE.md: "Overload is refused"). The two legs
//! of a bridge must live on one worker: open the second with the first's worker.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use super::leg::{LegConfig, LegId};
use super::ports::{bind_rtp, bind_rtp_pair, PortLease, PortPool, PortsExhausted};
use super::webrtc::{HubError, Opened, WebRtcHub};
use super::worker::{set_realtime_priority, Command, MediaEvent, MediaWorker, WorkerError};

/// How the engine starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Worker threads (one per core that media may use).
    pub workers: usize,
    /// The address RTP sockets bind to (and SDP advertises, unless NAT says else).
    pub ip: IpAddr,
    /// The RTP port range, inclusive.
    pub ports: (u16, u16),
    /// Ask for realtime scheduling of the worker threads (needs CAP_SYS_NICE).
    pub realtime: bool,
    /// The one UDP port of every browser leg; `None` takes one from the RTP range.
    pub webrtc_port: Option<u16>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: 1,
            ip: IpAddr::from([0, 0, 0, 0]),
            ports: (20_000, 29_999),
            realtime: false,
            webrtc_port: None,
        }
    }
}

/// Why a leg could not be opened; the call answers 503 with Retry-After.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Ports(#[from] PortsExhausted),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error("no media worker {0}")]
    NoSuchWorker(usize),
}

impl EngineError {
    pub fn sip_status(&self) -> u16 {
        503
    }
}

/// Why a browser leg could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowserLegError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Hub(#[from] HubError),
}

impl BrowserLegError {
    /// 488 for an offer we cannot take, 503 for want of resources.
    pub fn sip_status(&self) -> u16 {
        match self {
            BrowserLegError::Engine(e) => e.sip_status(),
            BrowserLegError::Hub(e) => e.sip_status(),
        }
    }
}

/// Where a new leg lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenedLeg {
    pub id: LegId,
    pub worker: usize,
    /// The local RTP port to put in SDP.
    pub port: u16,
}

/// The running media engine.
pub struct MediaEngine {
    workers: Vec<MediaWorker>,
    pool: PortPool,
    ip: IpAddr,
    next: AtomicUsize,
    hub: WebRtcHub,
    /// The hub's port when it came from the RTP range (held for the engine's life).
    _hub_lease: Option<PortLease>,
}

impl MediaEngine {
    /// Starts the worker threads. Events of every leg arrive on `events`.
    pub fn start(
        config: &EngineConfig,
        events: mpsc::Sender<MediaEvent>,
    ) -> std::io::Result<MediaEngine> {
        let mut workers = Vec::with_capacity(config.workers.max(1));
        for i in 0..config.workers.max(1) {
            let (worker, task) = MediaWorker::create(events.clone());
            let realtime = config.realtime;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            std::thread::Builder::new()
                .name(format!("media-{i}"))
                .spawn(move || {
                    if realtime && !set_realtime_priority(10) {
                        tracing::warn!("media worker {i}: realtime priority refused");
                    }
                    rt.block_on(task);
                })?;
            workers.push(worker);
        }
        let pool = PortPool::new(config.ports.0, config.ports.1);
        let (socket, lease) = match config.webrtc_port {
            Some(port) => (std::net::UdpSocket::bind((config.ip, port))?, None),
            None => {
                let (socket, lease) =
                    bind_rtp(&pool, config.ip).map_err(|e| std::io::Error::other(e.to_string()))?;
                (socket, Some(lease))
            }
        };
        let hub = WebRtcHub::start(socket, events)?;
        Ok(MediaEngine {
            workers,
            pool,
            ip: config.ip,
            next: AtomicUsize::new(0),
            hub,
            _hub_lease: lease,
        })
    }

    /// Binds a port and adds a leg to `worker` (or the next worker in turn).
    pub fn open_leg(
        &self,
        id: LegId,
        config: LegConfig,
        worker: Option<usize>,
    ) -> Result<OpenedLeg, EngineError> {
        let w = match worker {
            Some(w) if w < self.workers.len() => w,
            Some(w) => return Err(EngineError::NoSuchWorker(w)),
            None => self.next_worker(),
        };
        let (socket, rtcp, lease) = if config.rtcp_mux {
            let (socket, lease) = bind_rtp(&self.pool, self.ip)?;
            (socket, None, lease)
        } else {
            let (socket, rtcp, lease) = bind_rtp_pair(&self.pool, self.ip)?;
            (socket, Some(rtcp), lease)
        };
        let port = lease.port();
        let worker = &self.workers[w];
        worker.try_send(Command::AddLeg {
            id,
            socket,
            lease: Some(lease),
            config,
        })?;
        if let Some(socket) = rtcp {
            worker.try_send(Command::AttachRtcp {
                id,
                socket: Some(socket),
            })?;
        }
        Ok(OpenedLeg {
            id,
            worker: w,
            port,
        })
    }

    /// The worker the next leg that may go anywhere goes to (in turn).
    pub fn next_worker(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len()
    }

    /// Every worker, for their figures.
    pub fn workers(&self) -> &[MediaWorker] {
        &self.workers
    }

    /// The worker a leg was opened on, to send it commands.
    pub fn worker(&self, index: usize) -> Option<&MediaWorker> {
        self.workers.get(index)
    }

    pub fn ports(&self) -> &PortPool {
        &self.pool
    }

    /// The WebRTC hub that holds every browser leg.
    pub fn hub(&self) -> &WebRtcHub {
        &self.hub
    }

    /// Opens a browser leg from the browser's offer and joins it to `worker`,
    /// where the leg it is bridged to lives. `local_ip` is the address the
    /// browser reaches us at; `prefer` the law of the other leg.
    pub async fn open_browser_leg(
        &self,
        id: LegId,
        offer: String,
        local_ip: IpAddr,
        worker: usize,
        prefer: crate::media::g711::Law,
    ) -> Result<Opened, BrowserLegError> {
        let w = self
            .workers
            .get(worker)
            .ok_or(EngineError::NoSuchWorker(worker))?;
        let opened = self.hub.open(id, offer, local_ip, prefer).await?;
        let added = w
            .send(Command::AddExternal {
                id,
                codec: opened.codec,
                hub: self.hub.packets(),
            })
            .await;
        if let Err(e) = added {
            self.hub.remove(id).await;
            return Err(EngineError::Worker(e).into());
        }
        self.hub.link(id, w.injector()).await;
        Ok(opened)
    }
}
