//! TLS for the HTTP listener: HTTPS for the API and the pages, and SIP over
//! secure WebSocket (RFC 7118, `wss://HOST/sip`) for browser softphones; and
//! the same certificate for SIP over TLS (`sip.tls`, for desk phones).
//!
//! The certificate chain and key named by `http.tls_cert` and `http.tls_key`
//! are read once at start-up; a file that cannot be read or holds nothing
//! usable stops the server with a message naming the file. rustls runs with
//! the `ring` provider. Handshakes are completed off the accepting task, each
//! within a time limit and a bounded number at once, so a client that opens a
//! connection and says nothing holds up no one else.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Why the configured certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("http.tls_cert {path}: {reason}")]
    Certificate { path: PathBuf, reason: String },
    #[error("http.tls_key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("http.tls_cert {cert} and http.tls_key {key} do not make a usable pair: {reason}")]
    Pair {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

/// A handshake not finished within this is abandoned.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress at most; connections beyond it are closed at once.
const MAX_HANDSHAKES: usize = 1024;

/// Reads the certificate chain and key and builds the server configuration.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_error = |reason: String| TlsError::Certificate {
        path: cert.to_owned(),
        reason,
    };
    let key_error = |reason: String| TlsError::Key {
        path: key.to_owned(),
        reason,
    };
    let cert_pem = std::fs::read(cert).map_err(|e| cert_error(format!("cannot read it: {e}")))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(cert_error(
            "holds no certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    let key_pem = std::fs::read(key).map_err(|e| key_error(format!("cannot read it: {e}")))?;
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| key_error(format!("holds no usable PEM private key: {e}")))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pair_error = |reason: String| TlsError::Pair {
        cert: cert.to_owned(),
        key: key.to_owned(),
        reason,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| pair_error(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| pair_error(e.to_string()))?;
    // axum serves HTTP/1.1, which is also what the WebSocket upgrade needs.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The configuration of the SIP over TLS listeners: the HTTP listener's
/// certificate and key, without its ALPN (SIP over TLS names none).
pub fn for_sip(http: &Arc<ServerConfig>) -> Arc<ServerConfig> {
    let mut sip = ServerConfig::clone(http);
    sip.alpn_protocols.clear();
    Arc::new(sip)
}

/// The HTTP listener's TCP socket with TLS on top, for `axum::serve`: it
/// yields connections whose handshake has completed.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener` and shaking hands with `config`.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(TlsListener { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %e, "https accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if ready.is_closed() {
            return;
        }
        let Ok(permit) = handshakes.clone().try_acquire_owned() else {
            tracing::warn!(%remote, "https connection refused: too many handshakes in progress");
            continue;
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            match outcome {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, remote)).await;
                }
                Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
            }
        });
    }
}
