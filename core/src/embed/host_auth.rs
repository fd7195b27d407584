//! A client's CONNECT payload that the host computes (socket.io-client's `auth` function).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::reply::{reply, Reply};
use crate::client::Auth;
use crate::value::Value;

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
