//! Socket readiness for bridged legs: each bridged leg's socket becomes a stream of
//! its id inside the worker's one task (a `SelectAll`), so the worker is woken only
//! for sockets that have packets and relays each as it arrives (ARCHITECTURE.md:
//! relayed packets are forwarded as they arrive). Unbridging ends the stream.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures_util::stream::Stream;
use tokio::io::unix::AsyncFd;

use super::leg::LegId;

/// Readiness of one bridged leg's socket, as a stream of its id. It ends when the
/// leg is unbridged, so the worker only polls sockets that have something.
pub(crate) struct ReadyStream {
    pub id: LegId,
    pub socket: Arc<AsyncFd<std::net::UdpSocket>>,
    pub shared: Arc<ReadyShared>,
}

#[derive(Default)]
pub(crate) struct ReadyShared {
    pub active: AtomicBool,
    pub waker: Mutex<Option<Waker>>,
}

impl ReadyShared {
    pub fn deactivate(&self) {
        self.active.store(false, Ordering::Release);
        if let Some(w) = self.waker.lock().ok().and_then(|mut w| w.take()) {
            w.wake();
        }
    }
}

impl Stream for ReadyStream {
    type Item = LegId;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<LegId>> {
        if !self.shared.active.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        // The guard is dropped without clearing: the worker's read clears it.
        match self.socket.poll_read_ready(cx) {
            Poll::Ready(Ok(_guard)) => Poll::Ready(Some(self.id)),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => {
                if let Ok(mut w) = self.shared.waker.lock() {
                    if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *w = Some(cx.waker().clone());
                    }
                }
                Poll::Pending
            }
        }
    }
}
