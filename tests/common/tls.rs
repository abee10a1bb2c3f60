//! TLS in the tests: a throwaway certificate the server is given and the
//! clients trust, SIP over TLS from a blocking client (real sockets, real
//! TLS, raw SIP), and `/metrics` over HTTPS (with a certificate the HTTP
//! listener serves only HTTPS).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};

use super::TestServer;

/// A self-signed certificate for `localhost` and its key (made by the
/// `openssl` command, never stored in the repository), as PEM files in a
/// folder of their own, and a client configuration that trusts it.
pub struct Certificate {
    _dir: tempfile::TempDir,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client: Arc<rustls::ClientConfig>,
}

impl Certificate {
    pub fn new() -> Certificate {
        use rustls::pki_types::pem::PemObject;
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
            ])
            // A server's own certificate, not an authority (webpki insists).
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("running openssl (Debian's openssl; tools/test installs it)");
        assert!(made.success(), "openssl could not make a certificate");
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap())
            .unwrap();
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        Certificate {
            _dir: dir,
            cert,
            key,
            client: Arc::new(client),
        }
    }

    /// The `[http]` table of a server using this certificate (for HTTPS,
    /// WSS and SIP over TLS alike).
    pub fn http_table(&self) -> String {
        format!(
            "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            self.cert.display(),
            self.key.display()
        )
    }
}

/// The server's SIP over TLS listener.
pub fn sip_tls(server: &TestServer) -> SocketAddr {
    server
        .listeners
        .iter()
        .find(|(k, _)| k == "sip/tls")
        .map(|(_, a)| *a)
        .expect("no sip/tls listener")
}

/// A blocking TLS connection to `addr` for `localhost`, handshake done.
pub fn connect(
    addr: SocketAddr,
    certificate: &Certificate,
) -> StreamOwned<ClientConnection, TcpStream> {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut conn =
        ClientConnection::new(certificate.client.clone(), "localhost".try_into().unwrap()).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .expect("TLS handshake with the server's certificate");
    }
    StreamOwned::new(conn, tcp)
}

/// SIP over one TLS connection, message by message.
pub struct SipTls {
    stream: StreamOwned<ClientConnection, TcpStream>,
    /// What was read past the last message returned.
    pending: Vec<u8>,
    closed: bool,
}

impl SipTls {
    pub fn connect(server: &TestServer, certificate: &Certificate) -> SipTls {
        let stream = connect(sip_tls(server), certificate);
        stream
            .sock
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        SipTls {
            stream,
            pending: Vec::new(),
            closed: false,
        }
    }

    /// The local address of the connection (what the server sees).
    pub fn local_addr(&self) -> SocketAddr {
        self.stream.sock.local_addr().unwrap()
    }

    pub fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).unwrap();
        self.stream.flush().unwrap();
    }

    /// The next whole message (head and Content-Length body), or `None` when
    /// the server closed the connection or nothing came within `wait`.
    pub fn recv(&mut self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(message) = self.take_message() {
                return Some(message);
            }
            if self.closed || Instant::now() >= deadline {
                return None;
            }
            self.fill();
        }
    }

    /// Reads until the server closes the connection or `wait` passes;
    /// whether it closed.
    pub fn wait_closed(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while !self.closed && Instant::now() < deadline {
            self.fill();
        }
        self.closed
    }

    fn fill(&mut self) {
        let mut buf = [0u8; 16 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => self.closed = true,
            Ok(n) => self.pending.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // A close without close_notify, or a reset: closed all the same.
            Err(_) => self.closed = true,
        }
    }

    fn take_message(&mut self) -> Option<String> {
        // Keep-alive CRLFs between messages are not messages.
        while self.pending.starts_with(b"\r\n") {
            self.pending.drain(..2);
        }
        let end = self.pending.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                let n = n.trim();
                (n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("l"))
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        if self.pending.len() < end + length {
            return None;
        }
        let message: Vec<u8> = self.pending.drain(..end + length).collect();
        Some(String::from_utf8_lossy(&message).into_owned())
    }
}

/// One counter from `/metrics`, over HTTPS like everything on the listener.
pub fn metric(server: &TestServer, certificate: &Certificate, name: &str) -> u64 {
    let mut tls = connect(server.http, certificate);
    tls.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    // The server may close without close_notify; what arrived is complete.
    let _ = tls.read_to_end(&mut out);
    let body = String::from_utf8_lossy(&out);
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{body}"))
}
