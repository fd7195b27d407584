//! One-shot answers the host gives later: the core hands a [`Reply`] to the host inside
//! an event or callback and awaits its [`Pending`] counterpart. A host answers when it
//! can (after a token fetch, a database look-up, a user's `next()`), so no thread ever
//! waits for it; an answer that never comes — the reply dropped, or the wait timed out —
//! counts as a refusal, so a host that forgets to answer cannot leak a connection.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

use crate::client::Auth;
use crate::value::Value;

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

/// A client's CONNECT payload computed by the host (socket.io-client's `auth` function),
/// as [`crate::client::Auth`] takes it. The host computes the payload before it asks a
/// namespace to connect and hands it over with [`HostAuth::set`]; a CONNECT the core sends
/// by itself (a reconnection) asks the host through `ask` and waits for the [`Reply`] (no
/// thread does) up to `timeout`, after which the last payload is sent again (`{}` if none).
pub struct HostAuth {
    /// Computed by the host for the next CONNECT (taken once).
    fresh: Mutex<Option<Value>>,
    /// The last payload sent: the fallback when the host does not answer.
    last: Mutex<Option<Value>>,
    ask: Box<dyn Fn(Reply<Value>) + Send + Sync>,
    timeout: Duration,
}

impl std::fmt::Debug for HostAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostAuth").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl HostAuth {
    /// `ask` runs on a runtime thread when a CONNECT needs a payload the host has not set.
    pub fn new(timeout: Duration, ask: impl Fn(Reply<Value>) + Send + Sync + 'static) -> Arc<HostAuth> {
        Arc::new(HostAuth { fresh: Mutex::default(), last: Mutex::default(), ask: Box::new(ask), timeout })
    }

    /// The payload for the next CONNECT (what the host's function gave).
    pub fn set(&self, value: Value) {
        *self.last.lock().expect("auth lock poisoned") = Some(value.clone());
        *self.fresh.lock().expect("auth lock poisoned") = Some(value);
    }

    /// The client option that takes its payload from here.
    pub fn auth(self: &Arc<Self>) -> Auth {
        let this = self.clone();
        Auth::Deferred(Arc::new(move || this.clone().payload()))
    }

    fn payload(self: Arc<Self>) -> BoxFuture<'static, Value> {
        if let Some(v) = self.fresh.lock().expect("auth lock poisoned").take() {
            return Box::pin(std::future::ready(v));
        }
        let (r, pending) = reply();
        (self.ask)(r);
        Box::pin(async move {
            match pending.answer(Some(self.timeout)).await {
                Some(v) => {
                    *self.last.lock().expect("auth lock poisoned") = Some(v.clone());
                    v
                }
                None => self
                    .last
                    .lock()
                    .expect("auth lock poisoned")
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default())),
            }
        })
    }
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

    #[tokio::test]
    async fn host_auth_uses_the_payload_set_then_asks() {
        let asked = Arc::new(Mutex::new(Vec::<Reply<Value>>::new()));
        let a = asked.clone();
        let auth = HostAuth::new(Duration::from_millis(50), move |r| a.lock().unwrap().push(r));
        let Auth::Deferred(f) = auth.auth() else { panic!("a deferred payload") };
        auth.set(Value::from("first"));
        assert_eq!(f().await, Value::from("first"), "set before connect: not asked");
        assert!(asked.lock().unwrap().is_empty());
        // A reconnection asks; the host answers.
        let next = f();
        asked.lock().unwrap().pop().expect("asked").send(Value::from("second"));
        assert_eq!(next.await, Value::from("second"));
        // No answer in time: the last payload again.
        assert_eq!(f().await, Value::from("second"));
    }
}
