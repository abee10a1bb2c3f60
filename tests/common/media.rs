//! What the media integration tests share: leg sockets, a test peer on
//! loopback, and a worker with its event channel.

use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::time::Duration;

use switchboard::media::g711::Law;
use switchboard::media::leg::LegConfig;
use switchboard::media::worker::{MediaEvent, MediaWorker};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

pub fn leg_socket() -> (StdUdp, SocketAddr) {
    let s = StdUdp::bind("127.0.0.1:0").unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

pub async fn peer() -> (UdpSocket, SocketAddr) {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

pub async fn recv(peer: &UdpSocket) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = [0u8; 1500];
    match tokio::time::timeout(Duration::from_millis(300), peer.recv_from(&mut buf)).await {
        Ok(Ok((n, from))) => Some((buf[..n].to_vec(), from)),
        _ => None,
    }
}

pub async fn recv_n(peer: &UdpSocket, n: usize) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    while v.len() < n {
        match recv(peer).await {
            Some((p, _)) => v.push(p),
            None => break,
        }
    }
    v
}

pub fn mu(remote: SocketAddr) -> LegConfig {
    LegConfig::new(Law::Mu, 0, Some(101), Some(remote))
}

pub fn worker() -> (MediaWorker, mpsc::Receiver<MediaEvent>) {
    let (tx, rx) = mpsc::channel(256);
    (MediaWorker::spawn(tx), rx)
}
