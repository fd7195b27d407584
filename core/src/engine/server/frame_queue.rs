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

/// The queued frames, oldest first: `head`, then `rest`. The one frame a session usually
/// has in flight (an answer, a broadcast) sits in `head`, so queueing it allocates
/// nothing, and a session that is idle again holds no buffer.
#[derive(Default)]
struct Frames {
    head: Option<Queued>,
    rest: VecDeque<Queued>,
}

impl Frames {
    fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    fn is_empty(&self) -> bool {
        self.head.is_none() && self.rest.is_empty()
    }

    fn push(&mut self, frame: Queued) {
        if self.is_empty() {
            self.head = Some(frame);
        } else {
            self.rest.push_back(frame);
        }
    }

    fn pop(&mut self) -> Option<Queued> {
        if let Some(f) = self.head.take() {
            return Some(f);
        }
        let f = self.rest.pop_front();
        if self.rest.is_empty() && self.rest.capacity() > 0 {
            // A session that was behind holds no buffer once it caught up.
            self.rest = VecDeque::new();
        }
        f
    }
}

/// A frame and whether it may be compressed (the emit's `compress` flag: permessage-deflate
/// on WebSocket; on polling, a response is compressed when one of its frames may be).
pub(super) type Queued = (Frame, bool);

pub(super) struct FrameQueue {
    frames: Mutex<Frames>,
    cap: usize,
    reader: AtomicWaker,
}

impl FrameQueue {
    pub(super) fn new(cap: usize) -> FrameQueue {
        FrameQueue { frames: Mutex::new(Frames::default()), cap: cap.max(1), reader: AtomicWaker::new() }
    }

    /// Reads the lock's own word without taking it, which brings it into cache (see
    /// `Session::warm`).
    pub(super) fn touch(&self) -> bool {
        self.frames.is_poisoned()
    }

    fn frames(&self) -> std::sync::MutexGuard<'_, Frames> {
        self.frames.lock().expect("frame queue poisoned")
    }

    /// Queues a frame; gives it back when `cap` frames are already waiting.
    pub(super) fn push(&self, frame: Queued) -> Result<(), Queued> {
        {
            let mut q = self.frames();
            if q.len() >= self.cap {
                return Err(frame);
            }
            q.push(frame);
        }
        if let Some(w) = self.reader.take() {
            crate::wake::wake(w);
        }
        Ok(())
    }

    pub(super) fn try_pop(&self) -> Option<Queued> {
        self.frames().pop()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Queued {
        (Frame::Text(s.into()), true)
    }

    fn popped(q: &FrameQueue) -> Vec<String> {
        std::iter::from_fn(|| q.try_pop())
            .map(|(f, _)| match f {
                Frame::Text(t) => t.to_string(),
                Frame::Binary(_) => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn frames_leave_in_order_whether_held_inline_or_behind_it_and_the_cap_counts_both() {
        let q = FrameQueue::new(3);
        q.push(text("a")).unwrap();
        q.push(text("b")).unwrap();
        assert_eq!(q.try_pop().map(|(f, _)| f), Some(Frame::Text("a".into())));
        // The inline slot is free again while "b" waits behind it: "c" goes after "b".
        q.push(text("c")).unwrap();
        q.push(text("d")).unwrap();
        assert!(q.push(text("e")).is_err(), "three frames wait: the cap is reached");
        assert_eq!(popped(&q), ["b", "c", "d"]);
        assert!(q.is_empty());
        assert_eq!(q.frames().rest.capacity(), 0, "a queue that caught up holds no buffer");
        q.push(text("f")).unwrap();
        assert_eq!(popped(&q), ["f"]);
    }
}
