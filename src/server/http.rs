//! Serving the HTTP listener (plain or behind [`super::tls::TlsListener`]).
//!
//! hyper serves each connection, with a deadline for a request's header
//! (`http.header_read_timeout_secs`): a client that sends its header one byte
//! at a time, or opens a connection and says nothing, is closed at the
//! deadline instead of holding a slot. One source address holds at most
//! `http.max_connections_per_source` connections; more are closed as they are
//! accepted. On shutdown the listener stops accepting, open connections finish
//! the request they are in, and serving returns once every one has closed.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::sync::watch;
use tower_service::Service;

/// The limits of the HTTP listener.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub header_read_timeout: Duration,
    pub max_per_source: usize,
}

/// Serves `app` on `listener` until `shutdown` completes and every open
/// connection has closed. Handlers read the peer's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) where
    L: Listener<Addr = SocketAddr>,
{
    let sources = Sources::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (closed_tx, closed_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, remote) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Some(slot) = sources.take(remote.ip(), limits.max_per_source) else {
            tracing::debug!(%remote, "http connection refused: too many from this address");
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            let mut app = app.clone();
            async move { app.call(request).await }
        });
        let mut stop = stop_rx.clone();
        let closed = closed_rx.clone();
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
            let mut connection = std::pin::pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    outcome = connection.as_mut() => {
                        if let Err(e) = outcome {
                            tracing::trace!(%remote, error = %e, "http connection ended");
                        }
                        break;
                    }
                    _ = stop.changed(), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(slot);
            drop(closed);
        });
    }
    drop(listener);
    drop(closed_rx);
    let _ = stop_tx.send(true);
    closed_tx.closed().await;
}

/// Open connections per source address.
#[derive(Clone, Default)]
struct Sources(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One open connection of a source; dropping it gives the slot back.
struct Slot {
    sources: Sources,
    ip: IpAddr,
}

impl Sources {
    fn take(&self, ip: IpAddr, max: usize) -> Option<Slot> {
        let ip = ip.to_canonical();
        let mut open = self.0.lock().expect("http sources lock");
        let held = open.entry(ip).or_insert(0);
        if *held >= max {
            return None;
        }
        *held += 1;
        Some(Slot {
            sources: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.sources.0.lock().expect("http sources lock");
        if let Some(held) = open.get_mut(&self.ip) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_holds_at_most_its_limit_and_gets_slots_back() {
        let sources = Sources::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = sources.take(a, 2).unwrap();
        let _second = sources.take(mapped, 2).unwrap();
        assert!(
            sources.take(a, 2).is_none(),
            "a third from the same address"
        );
        assert!(
            sources.take(b, 2).is_some(),
            "another address is not affected"
        );
        drop(first);
        assert!(
            sources.take(a, 2).is_some(),
            "a closed connection frees its slot"
        );
    }
}
