//! Batched UDP I/O for the media workers: `sendmmsg(2)`/`recvmmsg(2)` on Linux, a
//! loop of `sendto`/`recvfrom` elsewhere. Nothing here allocates per packet: the
//! message headers live in a [`SendBatch`]/[`RecvBatch`] reused every tick.
//!
//! Every leg has its own port (see [`super::ports`]), so one syscall carries the
//! packets of one socket: a leg catching up after a late tick, RTP and RTCP in the
//! same tick, or a burst read from a relayed leg.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// Largest datagram kept.
pub const MAX_DATAGRAM: usize = 1500;

fn to_sockaddr(addr: &SocketAddr, storage: &mut libc::sockaddr_storage) -> libc::socklen_t {
    // SAFETY: sockaddr_storage is large and aligned enough for either family.
    unsafe {
        match addr {
            SocketAddr::V4(a) => {
                let sin = storage as *mut _ as *mut libc::sockaddr_in;
                (*sin) = zeroed();
                (*sin).sin_family = libc::AF_INET as libc::sa_family_t;
                (*sin).sin_port = a.port().to_be();
                (*sin).sin_addr = libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                };
                size_of::<libc::sockaddr_in>() as libc::socklen_t
            }
            SocketAddr::V6(a) => {
                let sin6 = storage as *mut _ as *mut libc::sockaddr_in6;
                (*sin6) = zeroed();
                (*sin6).sin6_family = libc::AF_INET6 as libc::sa_family_t;
                (*sin6).sin6_port = a.port().to_be();
                (*sin6).sin6_addr = libc::in6_addr {
                    s6_addr: a.ip().octets(),
                };
                (*sin6).sin6_scope_id = a.scope_id();
                size_of::<libc::sockaddr_in6>() as libc::socklen_t
            }
        }
    }
}

fn from_sockaddr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    // SAFETY: the family field says which structure the kernel wrote.
    unsafe {
        match storage.ss_family as libc::c_int {
            libc::AF_INET => {
                let sin = &*(storage as *const _ as *const libc::sockaddr_in);
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                let sin6 = &*(storage as *const _ as *const libc::sockaddr_in6);
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Some(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(sin6.sin6_port),
                    0,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

/// Outgoing datagrams for one socket, built in a reusable buffer.
pub struct SendBatch {
    data: Vec<u8>,
    /// (offset, len, destination) of each datagram in `data`.
    entries: Vec<(usize, usize, SocketAddr)>,
    addrs: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    #[cfg(target_os = "linux")]
    hdrs: Vec<libc::mmsghdr>,
}

// SAFETY: the raw pointers in the iovec/msghdr arrays only ever point into buffers
// owned by the same batch; they are rewritten before every syscall and never
// dereferenced by us, so moving the batch to another thread is sound.
unsafe impl Send for SendBatch {}
// SAFETY: as for SendBatch.
unsafe impl Send for RecvBatch {}

impl Default for SendBatch {
    fn default() -> Self {
        Self::with_capacity(64)
    }
}

impl SendBatch {
    pub fn with_capacity(n: usize) -> Self {
        SendBatch {
            data: Vec::with_capacity(n * 200),
            entries: Vec::with_capacity(n),
            addrs: Vec::with_capacity(n),
            iovs: Vec::with_capacity(n),
            #[cfg(target_os = "linux")]
            hdrs: Vec::with_capacity(n),
        }
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends a datagram of `len` bytes to `to`, filled by `fill`.
    pub fn push_with(&mut self, to: SocketAddr, len: usize, fill: impl FnOnce(&mut [u8])) {
        let at = self.data.len();
        self.data.resize(at + len, 0);
        fill(&mut self.data[at..]);
        self.entries.push((at, len, to));
    }

    /// Sends the first datagram alone with `sendto`.
    pub fn send_single(&self, fd: RawFd) -> io::Result<()> {
        match self.entries.first() {
            Some(&(at, len, to)) => send_one(fd, &self.data[at..at + len], &to),
            None => Ok(()),
        }
    }

    /// Sends everything on `fd`; returns how many datagrams the kernel took. A full
    /// socket buffer (EAGAIN) stops the batch: media is late, not queued.
    pub fn send(&mut self, fd: RawFd) -> io::Result<usize> {
        let n = self.entries.len();
        if n == 0 {
            return Ok(0);
        }
        // SAFETY: zeroed sockaddr_storage and iovec are valid values.
        self.addrs.resize(n, unsafe { zeroed() });
        self.iovs.resize(
            n,
            libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            },
        );
        for (i, &(at, len, to)) in self.entries.iter().enumerate() {
            to_sockaddr(&to, &mut self.addrs[i]);
            self.iovs[i] = libc::iovec {
                iov_base: self.data[at..].as_mut_ptr().cast(),
                iov_len: len,
            };
        }
        self.send_prepared(fd)
    }

    #[cfg(target_os = "linux")]
    fn send_prepared(&mut self, fd: RawFd) -> io::Result<usize> {
        let n = self.entries.len();
        // SAFETY: zeroed mmsghdr is a valid value.
        self.hdrs.resize(n, unsafe { zeroed() });
        for i in 0..n {
            let len = match self.entries[i].2 {
                SocketAddr::V4(_) => size_of::<libc::sockaddr_in>(),
                SocketAddr::V6(_) => size_of::<libc::sockaddr_in6>(),
            };
            let h = &mut self.hdrs[i].msg_hdr;
            h.msg_name = (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = len as libc::socklen_t;
            h.msg_iov = &mut self.iovs[i];
            h.msg_iovlen = 1;
            h.msg_control = std::ptr::null_mut();
            h.msg_controllen = 0;
            h.msg_flags = 0;
        }
        let mut sent = 0;
        while sent < n {
            // SAFETY: every header points into buffers owned by self, alive for the call.
            let r = unsafe {
                libc::sendmmsg(
                    fd,
                    self.hdrs[sent..].as_mut_ptr(),
                    (n - sent) as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
            sent += r as usize;
        }
        Ok(sent)
    }

    #[cfg(not(target_os = "linux"))]
    fn send_prepared(&mut self, fd: RawFd) -> io::Result<usize> {
        let mut sent = 0;
        for (i, &(at, len, to)) in self.entries.iter().enumerate() {
            let alen = to_sockaddr(&to, &mut self.addrs[i]);
            // SAFETY: the buffer and address are valid for the call.
            let r = unsafe {
                libc::sendto(
                    fd,
                    self.data[at..].as_ptr().cast(),
                    len,
                    0,
                    (&self.addrs[i] as *const libc::sockaddr_storage).cast(),
                    alen,
                )
            };
            if r < 0 {
                let e = io::Error::last_os_error();
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
            sent += 1;
        }
        Ok(sent)
    }
}

/// Sends one datagram without a batch (the relay's hot path).
pub fn send_one(fd: RawFd, data: &[u8], to: &SocketAddr) -> io::Result<()> {
    // SAFETY: zeroed sockaddr_storage is valid; buffers live through the call.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = to_sockaddr(to, &mut storage);
    let r = unsafe {
        libc::sendto(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_DONTWAIT,
            (&storage as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Reusable buffers for reading up to `N` datagrams in one call.
pub struct RecvBatch {
    bufs: Vec<[u8; MAX_DATAGRAM]>,
    lens: Vec<usize>,
    addrs: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    #[cfg(target_os = "linux")]
    hdrs: Vec<libc::mmsghdr>,
    count: usize,
}

impl RecvBatch {
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        RecvBatch {
            bufs: vec![[0u8; MAX_DATAGRAM]; n],
            lens: vec![0; n],
            // SAFETY: zeroed sockaddr_storage is valid.
            addrs: vec![unsafe { zeroed() }; n],
            iovs: vec![libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; n],
            #[cfg(target_os = "linux")]
            // SAFETY: zeroed mmsghdr is valid.
            hdrs: vec![unsafe { zeroed() }; n],
            count: 0,
        }
    }

    /// Reads what is waiting on `fd` without blocking; returns the count (0 when
    /// nothing is there). Errors other than "would block" are returned.
    #[cfg(target_os = "linux")]
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        let n = self.bufs.len();
        for i in 0..n {
            self.iovs[i] = libc::iovec {
                iov_base: self.bufs[i].as_mut_ptr().cast(),
                iov_len: MAX_DATAGRAM,
            };
            let h = &mut self.hdrs[i].msg_hdr;
            h.msg_name = (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut self.iovs[i];
            h.msg_iovlen = 1;
            h.msg_control = std::ptr::null_mut();
            h.msg_controllen = 0;
            h.msg_flags = 0;
        }
        // SAFETY: headers point into our own buffers for the duration of the call.
        let r = unsafe {
            libc::recvmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                n as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        self.count = 0;
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::WouldBlock {
                Ok(0)
            } else {
                Err(e)
            };
        }
        for i in 0..r as usize {
            self.lens[i] = self.hdrs[i].msg_len as usize;
        }
        self.count = r as usize;
        Ok(self.count)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        self.count = 0;
        while self.count < self.bufs.len() {
            let i = self.count;
            let mut alen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            // SAFETY: buffers are ours and valid for the call.
            let r = unsafe {
                libc::recvfrom(
                    fd,
                    self.bufs[i].as_mut_ptr().cast(),
                    MAX_DATAGRAM,
                    libc::MSG_DONTWAIT,
                    (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast(),
                    &mut alen,
                )
            };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::WouldBlock {
                    break;
                }
                return if self.count > 0 {
                    Ok(self.count)
                } else {
                    Err(e)
                };
            }
            self.lens[i] = r as usize;
            self.count += 1;
        }
        Ok(self.count)
    }

    /// The `i`th datagram read by the last [`Self::recv`], mutable for in-place
    /// rewriting, and its source.
    pub fn get_mut(&mut self, i: usize) -> Option<(&mut [u8], SocketAddr)> {
        if i >= self.count {
            return None;
        }
        let from = from_sockaddr(&self.addrs[i])?;
        Some((&mut self.bufs[i][..self.lens[i]], from))
    }

    /// [`Self::get_mut`] with the whole buffer the datagram was read into
    /// (its length apart), for a rewrite that grows it (an SRTP tag).
    pub fn get_full_mut(&mut self, i: usize) -> Option<(&mut [u8], usize, SocketAddr)> {
        if i >= self.count {
            return None;
        }
        let from = from_sockaddr(&self.addrs[i])?;
        Some((&mut self.bufs[i][..], self.lens[i], from))
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// How many datagrams one call can read.
    pub fn capacity(&self) -> usize {
        self.bufs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_batch_goes_out_in_one_call_and_comes_back_in_one_call() {
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let to = rx.local_addr().unwrap();
        let mut batch = SendBatch::with_capacity(4);
        for i in 0..5u8 {
            batch.push_with(to, 3 + i as usize, |b| b.fill(i));
        }
        assert_eq!(batch.send(tx.as_raw_fd()).unwrap(), 5);
        let mut rb = RecvBatch::new(8);
        let mut got = vec![];
        for _ in 0..100 {
            rb.recv(rx.as_raw_fd()).unwrap();
            for i in 0..rb.count() {
                let (d, from) = rb.get_mut(i).unwrap();
                assert_eq!(from, tx.local_addr().unwrap());
                got.push(d.to_vec());
            }
            if got.len() == 5 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(got.len(), 5);
        assert_eq!(got[4], vec![4u8; 7]);
        assert_eq!(
            rb.recv(rx.as_raw_fd()).unwrap(),
            0,
            "nothing left: no block, no error"
        );
        send_one(tx.as_raw_fd(), b"x", &to).unwrap();
    }

    #[test]
    fn ipv6_addresses_round_trip() {
        let a: SocketAddr = "[2001:db8::1]:4000".parse().unwrap();
        let mut s = unsafe { zeroed() };
        to_sockaddr(&a, &mut s);
        assert_eq!(from_sockaddr(&s), Some(a));
        let b: SocketAddr = "10.1.2.3:5".parse().unwrap();
        to_sockaddr(&b, &mut s);
        assert_eq!(from_sockaddr(&s), Some(b));
    }
}
