//! Wake-ups deferred to the end of a host's turn.
//!
//! A host thread (Node's, a Python dispatcher, a C thread: anything outside the runtime)
//! that answers a batch of events queues one frame per answer. Waking the connection's
//! writer at each frame lets a runtime worker preempt the host once per frame when both
//! share a core, and the host then pays a context switch per event. Between [`begin`] and
//! [`end`] the wake-ups made on this thread are collected instead; the embedding layer hands
//! them to the runtime at once when the turn ends (`embed::Runtime::end_turn`).
use std::cell::RefCell;
use std::task::Waker;

#[derive(Default)]
struct Turn {
    depth: u32,
    wakers: Vec<Waker>,
}

thread_local! {
    static TURN: RefCell<Turn> = RefCell::default();
}

/// Wakes `waker` now, or at the end of this thread's turn if one is open.
pub(crate) fn wake(waker: Waker) {
    let deferred = TURN
        .try_with(|t| {
            let mut t = t.borrow_mut();
            if t.depth == 0 {
                return Some(waker);
            }
            t.wakers.push(waker);
            None
        })
        .unwrap_or(None);
    if let Some(w) = deferred {
        w.wake();
    }
}

/// Opens a turn on this thread (turns nest: the outermost one collects).
pub(crate) fn begin() {
    let _ = TURN.try_with(|t| t.borrow_mut().depth += 1);
}

/// Closes a turn; when it was the outermost, returns the wake-ups it collected.
pub(crate) fn end() -> Vec<Waker> {
    TURN.try_with(|t| {
        let mut t = t.borrow_mut();
        match t.depth {
            0 => Vec::new(),
            1 => {
                t.depth = 0;
                // The next turn likely wakes as many: room for them now (at most a typical
                // turn's, so that an idle thread does not keep a burst's).
                let room = t.wakers.len().min(1024);
                std::mem::replace(&mut t.wakers, Vec::with_capacity(room))
            }
            _ => {
                t.depth -= 1;
                Vec::new()
            }
        }
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wakes_now_outside_a_turn_and_at_the_end_of_the_outermost_turn_inside_one() {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        wake(Waker::from(c.clone()));
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        begin();
        begin();
        wake(Waker::from(c.clone()));
        assert!(end().is_empty(), "an inner turn hands nothing over");
        assert_eq!(c.0.load(Ordering::SeqCst), 1, "deferred while a turn is open");
        let ws = end();
        assert_eq!(ws.len(), 1);
        ws.into_iter().for_each(Waker::wake);
        assert_eq!(c.0.load(Ordering::SeqCst), 2);
        assert!(end().is_empty(), "an unmatched end is harmless");
    }
}
