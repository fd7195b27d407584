//! A session's outgoing frames: a bounded FIFO read by one writer (the transport).
//!
//! Unlike a tokio channel, the writer's wake-up goes through [`crate::wake`], so a host
//! thread answering a batch of events wakes each writer once, at the end of its turn.
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use crate::engine::Frame;

/// A frame and whether it may be compressed (the emit's `compress` flag: permessage-deflate
/// on WebSocket; on polling, a response is compressed when one of its frames may be).
pub(super) type Queued = (Frame, bool);

pub(super) struct FrameQueue {
    frames: Mutex<VecDeque<Queued>>,
    cap: usize,
    reader: AtomicWaker,
}

impl FrameQueue {
    pub(super) fn new(cap: usize) -> FrameQueue {
        FrameQueue { frames: Mutex::new(VecDeque::new()), cap: cap.max(1), reader: AtomicWaker::new() }
    }

    /// Reads the lock's own word without taking it, which brings it into cache (see
    /// `Session::warm`).
    pub(super) fn touch(&self) -> bool {
        self.frames.is_poisoned()
    }

    fn frames(&self) -> std::sync::MutexGuard<'_, VecDeque<Queued>> {
        self.frames.lock().expect("frame queue poisoned")
    }

    /// Queues a frame; gives it back when `cap` frames are already waiting.
    pub(super) fn push(&self, frame: Queued) -> Result<(), Queued> {
        {
            let mut q = self.frames();
            if q.len() >= self.cap {
                return Err(frame);
            }
            q.push_back(frame);
        }
        if let Some(w) = self.reader.take() {
            crate::wake::wake(w);
        }
        Ok(())
    }

    pub(super) fn try_pop(&self) -> Option<Queued> {
        let mut q = self.frames();
        let f = q.pop_front();
        if q.is_empty() && q.capacity() > 0 {
            // An idle session holds no queue (a push allocates it again).
            *q = VecDeque::new();
        }
        f
    }

    pub(super) fn is_empty(&self) -> bool {
        self.frames().is_empty()
    }

    /// The next frame, waiting for one.
    pub(super) async fn pop(&self) -> Queued {
        poll_fn(|cx| self.poll_pop(cx)).await
    }

    /// The next frame, or `Pending` (`cx` woken at the next push).
    pub(super) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Queued> {
        if let Some(f) = self.try_pop() {
            return Poll::Ready(f);
        }
        self.reader.register(cx.waker());
        // A frame pushed between the first look and the registration found no waker.
        self.try_pop().map_or(Poll::Pending, Poll::Ready)
    }

    /// Forgets the registered waker: pushes wake nobody until the next `poll_pop`.
    pub(super) fn unregister(&self) {
        drop(self.reader.take());
    }

    /// Wakes the reader at the next push (or [`FrameQueue::wake`]).
    pub(super) fn register(&self, cx: &Context<'_>) {
        self.reader.register(cx.waker());
    }

    /// Wakes the reader now (its session closed, say).
    pub(super) fn wake(&self) {
        self.reader.wake();
    }
}
