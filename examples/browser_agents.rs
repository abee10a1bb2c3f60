//! Many agents in browsers at once, for `tools/bench-webrtc`: each registers its
//! extension over SIP-over-WebSocket with an `*.invalid` Contact, answers every
//! call it is offered with a WebRTC offer of its own (str0m: full ICE,
//! DTLS-SRTP), sends a 20 ms G.711 frame every period while connected, and
//! counts what it receives until the call's BYE.
//!
//! Every second it prints one line `stats {json}` with the totals so far.
//!
//!     browser_agents HTTP_ADDR FIRST_EXTENSION COUNT PASSWORD_PREFIX SECONDS

#[path = "../tests/common/webrtc_peer.rs"]
mod webrtc_peer;
#[path = "../tests/common/ws_agent.rs"]
mod ws_agent;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use webrtc_peer::BrowserPeer;
use ws_agent::WsAgent;

#[derive(Default)]
struct Totals {
    registered: AtomicU64,
    offered: AtomicU64,
    connected_now: AtomicU64,
    calls_done: AtomicU64,
    never_connected: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
    lost: AtomicU64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: browser_agents HTTP_ADDR FIRST_EXTENSION COUNT PASSWORD_PREFIX SECONDS");
        std::process::exit(2);
    }
    let http: SocketAddr = args[1].parse().expect("HTTP_ADDR");
    let first: u64 = args[2].parse().expect("FIRST_EXTENSION");
    let count: u64 = args[3].parse().expect("COUNT");
    let prefix = args[4].clone();
    let seconds: u64 = args[5].parse().expect("SECONDS");
    raise_open_files();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let totals = Arc::new(Totals::default());
        for n in first..first + count {
            let user = n.to_string();
            let password = format!("{prefix}{user}");
            let totals = totals.clone();
            tokio::spawn(async move { agent(http, user, password, totals).await });
            // Pace the registrations a little.
            if n % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        for _ in 0..seconds {
            tokio::time::sleep(Duration::from_secs(1)).await;
            print_stats(&totals);
        }
    });
}

fn print_stats(t: &Totals) {
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "stats {{\"registered\":{},\"offered\":{},\"connected_now\":{},\"calls_done\":{},\
         \"never_connected\":{},\"sent\":{},\"received\":{},\"lost\":{}}}",
        get(&t.registered),
        get(&t.offered),
        get(&t.connected_now),
        get(&t.calls_done),
        get(&t.never_connected),
        get(&t.sent),
        get(&t.received),
        get(&t.lost),
    );
}

async fn agent(http: SocketAddr, user: String, password: String, totals: Arc<Totals>) {
    let mut agent = WsAgent::connect(http, &user, &password).await;
    if agent.register_for(3600).await != 200 {
        eprintln!("{user}: registration refused");
        return;
    }
    totals.registered.fetch_add(1, Ordering::Relaxed);
    let ip = http.ip();
    loop {
        let Some(incoming) = agent.ringing(Duration::from_secs(3600)).await else {
            return;
        };
        totals.offered.fetch_add(1, Ordering::Relaxed);
        let (mut peer, offer) = BrowserPeer::offer(ip).await;
        let Some(ack) = agent.answer(&incoming, &offer).await else {
            continue;
        };
        if peer.answer(ack.body()).is_err() {
            agent.hang_up(&incoming).await;
            continue;
        }
        let mut counted = false;
        let hour = Duration::from_secs(3600);
        loop {
            tokio::select! {
                _ = peer.run_for(Duration::from_millis(500)) => {
                    if peer.connected && !counted {
                        counted = true;
                        totals.connected_now.fetch_add(1, Ordering::Relaxed);
                    }
                    if peer.closed {
                        break;
                    }
                }
                bye = agent.bye_received(&incoming, hour) => {
                    if bye {
                        break;
                    }
                }
            }
        }
        if counted {
            totals.connected_now.fetch_sub(1, Ordering::Relaxed);
        } else {
            totals.never_connected.fetch_add(1, Ordering::Relaxed);
        }
        totals.calls_done.fetch_add(1, Ordering::Relaxed);
        totals.sent.fetch_add(peer.sent, Ordering::Relaxed);
        totals.received.fetch_add(peer.received, Ordering::Relaxed);
        totals.lost.fetch_add(peer.lost(), Ordering::Relaxed);
        peer.close();
    }
}

/// Each agent holds a WebSocket and a UDP socket: allow as many as the hard limit.
fn raise_open_files() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    #[allow(unsafe_code)]
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
