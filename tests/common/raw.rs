//! Raw SIP over sockets, for tests that write their messages by hand: reading
//! a response's head off a stream, connecting from a chosen local address,
//! and answering a digest challenge (RFC 7616 with MD5).

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use md5::{Digest, Md5};

/// Reads one response's head (up to the blank line) from a stream; what
/// arrived before the connection closed, if it closes first.
pub fn read_head(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => out.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A TCP connection to `to` from the local address `from` (127.0.0.x), with
/// a read timeout of `timeout`.
pub fn connect_from(from: &str, to: SocketAddr, timeout: Duration) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: SocketAddr = format!("{from}:0").parse().unwrap();
    socket
        .bind(&local.into())
        .expect("binding the client to its address");
    socket.connect(&to.into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream
}

pub fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// The quoted parameter `name` of a challenge header.
pub fn param<'a>(header: &'a str, name: &str) -> &'a str {
    let start = header.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
    let end = header[start..].find('"').unwrap() + start;
    &header[start..end]
}
