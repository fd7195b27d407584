//! One-shot answers the host gives later: the core hands a [`Reply`] to the host inside
//! an event or callback and awaits its [`Pending`] counterpart. A host answers when it
//! can (after a token fetch, a database look-up, a user's `next()`), so no thread ever
//! waits for it; an answer that never comes — the reply dropped, or the wait timed out —
//! counts as a refusal, so a host that forgets to answer cannot leak a connection.
use std::time::Duration;

use tokio::sync::oneshot;

/// The host's side: answer once with [`Reply::send`]; dropping it unanswered refuses.
pub struct Reply<T>(Option<oneshot::Sender<T>>);

impl<T> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply").field("answered", &self.0.is_none()).finish()
    }
}

impl<T> Reply<T> {
    /// Answers; only the first answer counts. False if it was answered already or nobody
    /// waits any more (timed out, connection gone).
    pub fn send(&mut self, value: T) -> bool {
        match self.0.take() {
            Some(tx) => tx.send(value).is_ok(),
            None => false,
        }
    }

    /// Whether it was answered (or given up on) already.
    pub fn is_answered(&self) -> bool {
        self.0.as_ref().is_none_or(|tx| tx.is_closed())
    }
}

/// The core's side: what the host answers, if it does in time.
#[derive(Debug)]
pub struct Pending<T>(oneshot::Receiver<T>);

impl<T> Pending<T> {
    /// Waits for the answer, up to `timeout` when one is given. `None` when the reply was
    /// dropped unanswered or the time ran out: the caller treats it as a refusal. Must be
    /// awaited inside the runtime.
    pub async fn answer(self, timeout: Option<Duration>) -> Option<T> {
        match timeout {
            Some(t) => tokio::time::timeout(t, self.0).await.ok()?.ok(),
            None => self.0.await.ok(),
        }
    }
}

/// A reply for the host and the pending answer the core awaits.
pub fn reply<T>() -> (Reply<T>, Pending<T>) {
    let (tx, rx) = oneshot::channel();
    (Reply(Some(tx)), Pending(rx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_arrives_once() {
        let (mut r, p) = reply::<u32>();
        assert!(!r.is_answered());
        assert!(r.send(7));
        assert!(!r.send(8), "only the first answer counts");
        assert!(r.is_answered());
        assert_eq!(p.answer(Some(Duration::from_secs(1))).await, Some(7));
    }

    #[tokio::test]
    async fn dropped_or_late_is_refused() {
        let (r, p) = reply::<bool>();
        drop(r);
        assert_eq!(p.answer(None).await, None);

        let (mut r, p) = reply::<bool>();
        let started = std::time::Instant::now();
        assert_eq!(p.answer(Some(Duration::from_millis(30))).await, None);
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert!(r.is_answered(), "nobody waits any more");
        assert!(!r.send(true), "an answer after the timeout is not taken");
    }
}
