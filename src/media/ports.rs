//! RTP port allocation over the configured range: even ports for RTP, the odd port
//! above left for RTCP (RFC 3550 section 11), a refusal the caller turns into 503
//! with Retry-After when the range is exhausted (ARCHITECTURE.md, "Overload is
//! refused"), and ports returned when the leg's [`PortLease`] is dropped.
//!
//! Freed ports go to the back of the queue, so a port is reused as late as possible
//! and stray packets of an ended call rarely reach a new one. [`bind_rtp`] is the
//! socket shell: it skips ports another process holds.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The range is used up (or every free port is taken by someone else).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RTP ports {first}-{last} exhausted")]
pub struct PortsExhausted {
    pub first: u16,
    pub last: u16,
}

impl PortsExhausted {
    /// The SIP status to answer with.
    pub fn sip_status(&self) -> u16 {
        503
    }
    /// A Retry-After value in seconds: calls are minutes long, so soon is enough.
    pub fn retry_after_secs(&self) -> u32 {
        5
    }
}

#[derive(Debug)]
struct Shared {
    free: Mutex<VecDeque<u16>>,
    first: u16,
    last: u16,
    /// How many ports the range holds.
    size: usize,
    refused: AtomicU64,
}

/// A pool of even RTP ports, shared by every media worker of the process.
#[derive(Debug, Clone)]
pub struct PortPool {
    shared: Arc<Shared>,
}

/// One allocated RTP port; back in the pool when dropped.
#[derive(Debug)]
pub struct PortLease {
    port: u16,
    pool: Arc<Shared>,
}

impl PortLease {
    /// The even RTP port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.free.lock() {
            free.push_back(self.port);
        }
    }
}

impl PortPool {
    /// A pool over `first..=last`; odd bounds are moved inwards to even RTP ports
    /// whose RTCP port (+1) still lies in the range.
    pub fn new(first: u16, last: u16) -> PortPool {
        let lo = first + (first & 1);
        let free: VecDeque<u16> = (lo..last).step_by(2).collect();
        PortPool {
            shared: Arc::new(Shared {
                size: free.len(),
                free: Mutex::new(free),
                first,
                last,
                refused: AtomicU64::new(0),
            }),
        }
    }

    /// Takes a port, or refuses.
    pub fn allocate(&self) -> Result<PortLease, PortsExhausted> {
        let port = self.shared.free.lock().expect("port pool lock").pop_front();
        match port {
            Some(port) => Ok(PortLease {
                port,
                pool: self.shared.clone(),
            }),
            None => Err(self.exhausted()),
        }
    }

    fn exhausted(&self) -> PortsExhausted {
        self.shared.refused.fetch_add(1, Ordering::Relaxed);
        PortsExhausted {
            first: self.shared.first,
            last: self.shared.last,
        }
    }

    /// Ports free now.
    pub fn available(&self) -> usize {
        self.shared.free.lock().expect("port pool lock").len()
    }

    /// Ports leased now: held by a leg, or by a socket that has not let go yet.
    pub fn leased(&self) -> usize {
        self.shared.size.saturating_sub(self.available())
    }

    /// Allocations refused since start.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }
}

/// Binds a UDP socket on `ip` at the next free even port, skipping ports held by
/// other processes (they go back to the end of the queue). The socket is
/// non-blocking.
pub fn bind_rtp(pool: &PortPool, ip: IpAddr) -> Result<(UdpSocket, PortLease), PortsExhausted> {
    let attempts = pool.available();
    for _ in 0..attempts.max(1) {
        let lease = pool.allocate()?;
        if let Ok(sock) = UdpSocket::bind(SocketAddr::new(ip, lease.port())) {
            if sock.set_nonblocking(true).is_ok() {
                return Ok((sock, lease));
            }
        }
    }
    Err(pool.exhausted())
}

/// Binds the RTP socket at an even port and the RTCP socket at the port above it
/// (RFC 3550 section 11), for a peer that does not multiplex RTCP.
pub fn bind_rtp_pair(
    pool: &PortPool,
    ip: IpAddr,
) -> Result<(UdpSocket, UdpSocket, PortLease), PortsExhausted> {
    let attempts = pool.available();
    for _ in 0..attempts.max(1) {
        let lease = pool.allocate()?;
        let rtp = UdpSocket::bind(SocketAddr::new(ip, lease.port()));
        let rtcp = UdpSocket::bind(SocketAddr::new(ip, lease.port() + 1));
        if let (Ok(rtp), Ok(rtcp)) = (rtp, rtcp) {
            if rtp.set_nonblocking(true).is_ok() && rtcp.set_nonblocking(true).is_ok() {
                return Ok((rtp, rtcp, lease));
            }
        }
    }
    Err(pool.exhausted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_ports_until_exhausted_then_returned_on_drop() {
        let pool = PortPool::new(10_001, 10_010);
        let leases: Vec<_> = (0..4).map(|_| pool.allocate().unwrap()).collect();
        let ports: Vec<u16> = leases.iter().map(PortLease::port).collect();
        assert_eq!(ports, [10_002, 10_004, 10_006, 10_008]);
        assert_eq!(pool.leased(), 4);
        let e = pool.allocate().unwrap_err();
        assert_eq!((e.first, e.last, e.sip_status()), (10_001, 10_010, 503));
        assert_eq!(pool.refused(), 1);
        drop(leases);
        assert_eq!((pool.available(), pool.leased()), (4, 0));
        // Freed ports are reused last-in, last-out.
        let a = pool.allocate().unwrap();
        assert_eq!(a.port(), 10_002);
    }

    #[test]
    fn binding_skips_ports_in_use() {
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        if port % 2 == 1 || port == u16::MAX {
            return; // an odd ephemeral port cannot be in an even-only pool
        }
        // A pool whose first port is taken and which has one more.
        let pool = PortPool::new(port, port.saturating_add(4));
        let (sock, lease) = bind_rtp(&pool, "127.0.0.1".parse().unwrap()).unwrap();
        assert_ne!(lease.port(), port);
        assert_eq!(sock.local_addr().unwrap().port(), lease.port());
    }
}
