//! Media engine figures on loopback (issue 3):
//!
//! - `hold N [secs]`: hold music to N listeners from one media worker on its own
//!   current-thread runtime; reports the worker thread's CPU time per wall second
//!   and the lateness of packets against their leg's 20 ms grid.
//! - `baseline N [secs]`: the same packets from a bare `sendto` loop, for the
//!   kernel's share of the cost.
//! - `relay BRIDGES [secs]`: BRIDGES bridged calls, both sides sending 50 packets a
//!   second (PCMU on one leg, PCMA on the other, so every packet is transcoded);
//!   reports the worker's CPU time per relayed packet.
//! - `record BRIDGES [secs]`: the same with every bridge recorded (stereo WAV
//!   files in a temporary folder); the difference from `relay` is the worker's
//!   cost of recording (the writer thread's is not in it).
//! - `relay-srtp BRIDGES [secs]`: `relay` with both legs of every bridge keyed
//!   (SRTP, AES_CM_128_HMAC_SHA1_80): each packet is authenticated and
//!   decrypted on arrival and encrypted and tagged on its way out. The peers'
//!   own protection runs on their thread, outside the figure.
//! - `monitor BRIDGES [secs]`: the same bridges, each with a supervisor leg
//!   (PCMU, sending too) mixed in barge mode: every party's audio is decoded,
//!   summed and encoded on the pacing clock instead of relayed. Compare the
//!   worker's CPU per call with `relay`'s.
//!
//! Run with `cargo bench --bench media_pacing -- hold 5000` or `tools/bench-media`;
//! `MEDIA_BENCH_RT=1` gives the worker thread realtime priority first.
//! Peers run on other threads and are not counted.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::media::g711::Law;
use switchboard::media::leg::LegConfig;
use switchboard::media::net::RecvBatch;
use switchboard::media::ports::{bind_rtp, PortPool};
use switchboard::media::rtp::RtpHeader;
use switchboard::media::source::MediaLibrary;
use switchboard::media::srtp::{Context, MasterKey, SrtpParams, Suite};
use switchboard::media::worker::{Command, MediaWorker, MonitorMode, WorkerReport};
use tokio::sync::mpsc;

/// Starts a worker on a thread of its own and returns its handle.
fn worker_thread() -> MediaWorker {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("media-worker".into())
        .spawn(move || {
            if std::env::var_os("MEDIA_BENCH_RT").is_some() {
                let ok = switchboard::media::worker::set_realtime_priority(10);
                println!(
                    "  worker thread realtime priority: {}",
                    if ok { "granted" } else { "refused" }
                );
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (etx, mut erx) = mpsc::channel(4096);
                tx.send(MediaWorker::spawn(etx)).unwrap();
                while erx.recv().await.is_some() {}
            });
        })
        .unwrap();
    rx.recv().unwrap()
}

/// Drains `sockets` every few ms on a thread of its own; counts datagrams.
fn drain_thread(
    sockets: Vec<UdpSocket>,
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rb = RecvBatch::new(64);
        while !stop.load(Ordering::Relaxed) {
            for s in &sockets {
                while let Ok(n) = rb.recv(s.as_raw_fd()) {
                    if n == 0 {
                        break;
                    }
                    count.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

fn print(label: &str, r0: &WorkerReport, r1: &WorkerReport, wall: Duration) {
    let cpu = r1.cpu.saturating_sub(r0.cpu);
    println!(
        "{label}: legs {} wall {:.1}s worker CPU {:.1}% of one core; sent {} relayed {} errors {}; \
         lateness p50 {} µs p99 {} µs max {} µs; clock wake p99 {} µs; late ticks {}",
        r1.legs,
        wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
        r1.packets_sent - r0.packets_sent,
        r1.relayed - r0.relayed,
        r1.send_errors - r0.send_errors,
        r1.lateness_p50_us,
        r1.lateness_p99_us,
        r1.lateness_max_us,
        r1.wake_p99_us,
        r1.late_ticks - r0.late_ticks,
    );
}

fn hold(n: usize, secs: u64) {
    let (lib, _) = MediaLibrary::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("media"));
    let music = lib.get("music/hold").expect("hold music").clone();
    let pool = PortPool::new(10_000, 29_999);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let w = worker_thread();
    // Listeners share 64 receiving sockets (each leg still has its own sending
    // port); the kernel's per-packet delivery work is the same, the drain is cheaper.
    let receivers: Vec<UdpSocket> = (0..64.min(n))
        .map(|_| {
            let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
            rx.set_nonblocking(true).unwrap();
            socket2::SockRef::from(&rx)
                .set_recv_buffer_size(4 << 20)
                .ok();
            rx
        })
        .collect();
    for id in 0..n as u64 {
        let to = receivers[id as usize % receivers.len()]
            .local_addr()
            .unwrap();
        let (socket, lease) = bind_rtp(&pool, "127.0.0.1".parse().unwrap()).expect("ports");
        let config = LegConfig::new(Law::Mu, 0, Some(101), Some(to));
        rt.block_on(w.send(Command::AddLeg {
            id,
            socket,
            lease: Some(lease),
            config,
        }))
        .unwrap();
        rt.block_on(w.send(Command::PlayMusic {
            id,
            source: music.clone(),
            looping: true,
        }))
        .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let got = Arc::new(AtomicU64::new(0));
    let drain = drain_thread(receivers, stop.clone(), got.clone());
    std::thread::sleep(Duration::from_secs(1));
    let r0 = rt.block_on(w.report()).unwrap();
    let g0 = got.load(Ordering::Relaxed);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let r1 = rt.block_on(w.report()).unwrap();
    let g1 = got.load(Ordering::Relaxed);
    print(&format!("hold N={n}"), &r0, &r1, t0.elapsed());
    stop.store(true, Ordering::Relaxed);
    drain.join().unwrap();
    println!("  listeners received {} packets in the window", g1 - g0);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bridged {
    Relay,
    Record,
    Monitor,
    Srtp,
}

fn relay(bridges: usize, secs: u64, kind: Bridged) {
    let record = kind == Bridged::Record;
    let pool = PortPool::new(10_000, 29_999);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let w = worker_thread();
    let folder = tempfile::tempdir().unwrap();
    // Each bridge: a caller peer (PCMU) and an agent peer (PCMA), each with its leg.
    let mut peers: Vec<(UdpSocket, SocketAddr, u8, Option<Context>)> = Vec::new();
    for b in 0..bridges as u64 {
        let mut legs = [0u64; 2];
        for (side, (law, pt)) in [(Law::Mu, 0u8), (Law::A, 8u8)].into_iter().enumerate() {
            let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
            peer.set_nonblocking(true).unwrap();
            let (socket, lease) = bind_rtp(&pool, "127.0.0.1".parse().unwrap()).expect("ports");
            let leg_addr = socket.local_addr().unwrap();
            let id = b * 2 + side as u64;
            let mut config = LegConfig::new(law, pt, Some(101), Some(peer.local_addr().unwrap()));
            let mut keyed = None;
            if kind == Bridged::Srtp {
                let params = SrtpParams {
                    suite: Suite::AesCm128HmacSha1_80,
                    local: MasterKey::random(),
                    remote: MasterKey::random(),
                };
                config.srtp = Some(params);
                keyed = Some(Context::new(params.suite, &params.remote));
            }
            rt.block_on(w.send(Command::AddLeg {
                id,
                socket,
                lease: Some(lease),
                config,
            }))
            .unwrap();
            legs[side] = id;
            peers.push((peer, leg_addr, pt, keyed));
        }
        rt.block_on(w.send(Command::Bridge {
            a: legs[0],
            b: legs[1],
        }))
        .unwrap();
        if kind == Bridged::Monitor {
            let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
            peer.set_nonblocking(true).unwrap();
            let (socket, lease) = bind_rtp(&pool, "127.0.0.1".parse().unwrap()).expect("ports");
            let leg_addr = socket.local_addr().unwrap();
            let id = 1_000_000 + b;
            let config = LegConfig::new(Law::Mu, 0, Some(101), Some(peer.local_addr().unwrap()));
            rt.block_on(w.send(Command::AddLeg {
                id,
                socket,
                lease: Some(lease),
                config,
            }))
            .unwrap();
            peers.push((peer, leg_addr, 0, None));
            rt.block_on(w.send(Command::Monitor {
                caller: legs[0],
                agent: legs[1],
                supervisor: id,
                mode: MonitorMode::Barge,
            }))
            .unwrap();
        }
        if record {
            rt.block_on(w.send(Command::StartRecording {
                a: legs[0],
                b: legs[1],
                path: folder.path().join(format!("{b}.wav")),
            }))
            .unwrap();
        }
    }
    // Every peer sends one 20 ms packet per period, spread over the period, and
    // drains what the bridge relays to it.
    let stop = Arc::new(AtomicBool::new(false));
    let got = Arc::new(AtomicU64::new(0));
    let (s2, g2) = (stop.clone(), got.clone());
    let sender = std::thread::spawn(move || {
        let mut peers = peers;
        let mut pkt = [0x55u8; 200];
        let mut rb = RecvBatch::new(8);
        let start = Instant::now();
        let mut k: u32 = 0;
        while !s2.load(Ordering::Relaxed) {
            let period = start + Duration::from_millis(20) * k;
            for (i, (peer, leg, pt, keyed)) in peers.iter_mut().enumerate() {
                RtpHeader {
                    marker: false,
                    payload_type: *pt,
                    sequence: k as u16,
                    timestamp: k * 160,
                    ssrc: i as u32,
                }
                .write(&mut pkt);
                pkt[12..172].fill(0x55);
                let len = match keyed {
                    Some(c) => c.protect_rtp(&mut pkt, 172).unwrap(),
                    None => 172,
                };
                let _ = peer.send_to(&pkt[..len], *leg);
                if let Ok(n) = rb.recv(peer.as_raw_fd()) {
                    g2.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
            k += 1;
            let next = period + Duration::from_millis(20);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    let r0 = rt.block_on(w.report()).unwrap();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let r1 = rt.block_on(w.report()).unwrap();
    let wall = t0.elapsed();
    let label = match kind {
        Bridged::Relay => "relay",
        Bridged::Record => "record",
        Bridged::Monitor => "monitor",
        Bridged::Srtp => "relay-srtp",
    };
    print(&format!("{label} bridges={bridges}"), &r0, &r1, wall);
    if record {
        println!(
            "  recordings {}: frames written {} dropped {}, errors {}",
            r1.recordings,
            r1.recording_frames - r0.recording_frames,
            r1.recording_frames_dropped - r0.recording_frames_dropped,
            r1.recording_errors
        );
    }
    let relayed = r1.relayed - r0.relayed;
    let cpu = r1.cpu.saturating_sub(r0.cpu);
    println!(
        "  {:.1} µs of worker CPU per call and second; {} mixes, {} mixed frames",
        cpu.as_secs_f64() * 1e6 / wall.as_secs_f64() / bridges.max(1) as f64,
        r1.mixes,
        r1.mixed_frames - r0.mixed_frames,
    );
    // A mixed call relays nothing: its figure is the one per call above.
    if relayed > 0 {
        println!(
            "  {:.2} µs of worker CPU per relayed packet ({} packets, {:.0} packets/s); one core carries about {:.0} bridged calls",
            cpu.as_secs_f64() * 1e6 / relayed as f64,
            relayed,
            relayed as f64 / wall.as_secs_f64(),
            1e6 / (cpu.as_secs_f64() * 1e6 / relayed as f64) / 100.0,
        );
    }
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    println!(
        "  peers received {} packets in total",
        got.load(Ordering::Relaxed)
    );
}

/// The kernel's own cost: a bare loop of `sendto`, one 172-byte datagram from each
/// of `n` sockets per 20 ms to the same 64 receivers, measured as this thread's
/// CPU time per packet. What the worker adds is its figure minus this one.
fn baseline(n: usize, secs: u64) {
    let receivers: Vec<UdpSocket> = (0..64)
        .map(|_| {
            let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
            rx.set_nonblocking(true).unwrap();
            rx
        })
        .collect();
    let targets: Vec<SocketAddr> = receivers.iter().map(|r| r.local_addr().unwrap()).collect();
    let senders: Vec<UdpSocket> = (0..n)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let got = Arc::new(AtomicU64::new(0));
    let drain = drain_thread(receivers, stop.clone(), got.clone());
    let cpu = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is a valid out-pointer.
        #[allow(unsafe_code)]
        unsafe {
            libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts)
        };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    };
    let pkt = [0x80u8; 172];
    let (c0, t0) = (cpu(), Instant::now());
    let mut sent = 0u64;
    let mut k = 0u32;
    while t0.elapsed() < Duration::from_secs(secs) {
        for (i, s) in senders.iter().enumerate() {
            if s.send_to(&pkt, targets[i % targets.len()]).is_ok() {
                sent += 1;
            }
        }
        k += 1;
        std::thread::sleep(
            (t0 + Duration::from_millis(20) * k).saturating_duration_since(Instant::now()),
        );
    }
    let used = cpu() - c0;
    stop.store(true, Ordering::Relaxed);
    drain.join().unwrap();
    println!(
        "baseline N={n}: bare sendto loop {:.2} µs CPU per packet ({sent} packets, {:.1}% of one core)",
        used.as_secs_f64() * 1e6 / sent.max(1) as f64,
        100.0 * used.as_secs_f64() / t0.elapsed().as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("hold") => hold(num(1, 1000) as usize, num(2, 10)),
        Some("relay") => relay(num(1, 500) as usize, num(2, 10), Bridged::Relay),
        Some("record") => relay(num(1, 500) as usize, num(2, 10), Bridged::Record),
        Some("monitor") => relay(num(1, 500) as usize, num(2, 10), Bridged::Monitor),
        Some("relay-srtp") => relay(num(1, 500) as usize, num(2, 10), Bridged::Srtp),
        Some("baseline") => baseline(num(1, 5000) as usize, num(2, 10)),
        _ => {
            baseline(5000, 10);
            hold(1000, 10);
            hold(5000, 10);
            relay(500, 10, Bridged::Relay);
            relay(500, 10, Bridged::Record);
            relay(500, 10, Bridged::Monitor);
            relay(500, 10, Bridged::Srtp);
        }
    }
}
