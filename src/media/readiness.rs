//! Socket readiness for bridged legs (ARCHITECTURE.md: relayed packets are forwarded
//! as they arrive, without allocation). Each bridged leg's socket is registered with
//! the reactor under a [`SocketWaker`] of its own, made once when the bridge is set
//! up; when a packet arrives the reactor wakes it, it puts the leg's id on the
//! worker's [`ReadyQueue`] (once, however many packets) and wakes the worker task.
//! The worker pops ids and reads only those sockets. Nothing here allocates per
//! packet: the queue's buffer is reused and wakers are reference-counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::leg::LegId;

#[derive(Default)]
struct QueueInner {
    ids: VecDeque<LegId>,
    worker: Option<Waker>,
}

/// Ids of bridged legs whose sockets have packets, in arrival order.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    inner: Mutex<QueueInner>,
}

impl ReadyQueue {
    /// The next ready leg, or `Pending` (the worker is woken when one comes).
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<LegId> {
        let mut q = self.inner.lock().expect("ready queue lock");
        if let Some(id) = q.ids.pop_front() {
            return Poll::Ready(id);
        }
        if !q.worker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            q.worker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    fn push(&self, id: LegId) {
        let mut q = self.inner.lock().expect("ready queue lock");
        q.ids.push_back(id);
        if let Some(w) = &q.worker {
            w.wake_by_ref();
        }
    }
}

/// The waker a bridged leg's socket is registered with.
pub(crate) struct SocketWaker {
    id: LegId,
    queue: Arc<ReadyQueue>,
    /// Already on the queue: further wakes before the worker reads are no-ops.
    queued: AtomicBool,
    /// Cleared when the leg is unbridged; late wakes are then ignored.
    active: AtomicBool,
}

impl SocketWaker {
    pub fn new(id: LegId, queue: Arc<ReadyQueue>) -> Arc<Self> {
        Arc::new(SocketWaker {
            id,
            queue,
            queued: AtomicBool::new(false),
            active: AtomicBool::new(true),
        })
    }

    /// Called by the worker just before it reads the socket, so a packet arriving
    /// during the read queues the leg again.
    pub fn taken(&self) {
        self.queued.store(false, Ordering::Release);
    }

    pub fn deactivate(&self) {
        self.active.store(false, Ordering::Release);
    }

    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

impl Wake for SocketWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.is_active() && !self.queued.swap(true, Ordering::AcqRel) {
            self.queue.push(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_is_queued_once_until_taken_and_never_after_deactivation() {
        let q = Arc::new(ReadyQueue::default());
        let a = SocketWaker::new(1, q.clone());
        let b = SocketWaker::new(2, q.clone());
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        wa.wake_by_ref();
        wa.wake_by_ref();
        wb.wake_by_ref();
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(q.poll_next(&mut cx), Poll::Ready(1));
        assert_eq!(q.poll_next(&mut cx), Poll::Ready(2));
        assert_eq!(q.poll_next(&mut cx), Poll::Pending);
        a.taken();
        wa.wake_by_ref();
        assert_eq!(q.poll_next(&mut cx), Poll::Ready(1));
        b.taken();
        b.deactivate();
        wb.wake_by_ref();
        assert_eq!(q.poll_next(&mut cx), Poll::Pending);
    }
}
