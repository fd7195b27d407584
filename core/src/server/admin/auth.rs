//! The admin namespace's authentication: credentials once, then a session id the UI
//! keeps and reconnects with (the reference's `InMemoryStore`, bounded here).
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use super::options::{AdminAuth, AdminPassword};
use crate::error::ConnectError;
use crate::value::Value;

/// bcrypt checks run at once: each costs tens of milliseconds of CPU on purpose, so a
/// flood of login attempts waits here instead of taking every blocking thread.
const CONCURRENT_CHECKS: usize = 2;

/// Session ids handed to authenticated admin sockets: at most `cap`, each for `ttl`.
pub(super) struct Sessions {
    ids: Mutex<IndexMap<String, Instant>>,
    cap: usize,
    ttl: Duration,
    checks: tokio::sync::Semaphore,
}

impl Sessions {
    pub(super) fn new(cap: usize, ttl: Duration) -> Sessions {
        Sessions { ids: Mutex::default(), cap, ttl, checks: tokio::sync::Semaphore::new(CONCURRENT_CHECKS) }
    }

    /// A new session id, remembered; the oldest are forgotten past the cap.
    pub(super) fn create(&self) -> String {
        let id = random_hex(8);
        let mut ids = self.ids.lock().expect("session lock poisoned");
        self.expire(&mut ids);
        while ids.len() >= self.cap {
            ids.shift_remove_index(0);
        }
        ids.insert(id.clone(), Instant::now());
        id
    }

    pub(super) fn exists(&self, id: &str) -> bool {
        let mut ids = self.ids.lock().expect("session lock poisoned");
        self.expire(&mut ids);
        ids.contains_key(id)
    }

    /// Drops expired ids; they are in creation order, so only from the front.
    fn expire(&self, ids: &mut IndexMap<String, Instant>) {
        while ids.first().is_some_and(|(_, t)| t.elapsed() > self.ttl) {
            ids.shift_remove_index(0);
        }
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

/// Marks a socket that authenticated with credentials: the id it is told (`session`).
#[derive(Clone)]
pub(super) struct NewSession(pub(super) String);

/// The middleware's decision for one admin connection. `Ok(Some(id))`: accepted with a
/// new session id to send; `Ok(None)`: accepted by its session id.
pub(super) async fn check(
    auth: &AdminAuth,
    sessions: &Arc<Sessions>,
    given: &Value,
) -> Result<Option<String>, ConnectError> {
    if let Some(id) = given.get("sessionId").and_then(Value::as_str) {
        if sessions.exists(id) {
            return Ok(None);
        }
    }
    let username = given.get("username").and_then(Value::as_str);
    let password = given.get("password").and_then(Value::as_str).unwrap_or_default().to_owned();
    if username == Some(auth.username.as_str()) {
        let matches = match &auth.password {
            AdminPassword::Plain(expected) => constant_time_eq(expected.as_bytes(), password.as_bytes()),
            AdminPassword::Bcrypt(hash) => {
                // bcrypt costs tens of milliseconds on purpose: off the runtime's threads,
                // a few at a time.
                let _permit = sessions.checks.acquire().await.map_err(|_| ConnectError::new("invalid credentials"))?;
                let hash = hash.clone();
                tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                    .await
                    .unwrap_or(false)
            }
        };
        if matches {
            return Ok(Some(sessions.create()));
        }
    }
    Err(ConnectError::new("invalid credentials"))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_bounded_and_expire() {
        let s = Sessions::new(2, Duration::from_secs(60));
        let (a, b, c) = (s.create(), s.create(), s.create());
        assert!(!s.exists(&a), "the oldest is forgotten past the cap");
        assert!(s.exists(&b) && s.exists(&c));
        let s = Sessions::new(2, Duration::ZERO);
        let a = s.create();
        std::thread::sleep(Duration::from_millis(2));
        assert!(!s.exists(&a), "an expired session is refused");
    }

    #[tokio::test]
    async fn checks_credentials_then_sessions() {
        let sessions = Arc::new(Sessions::new(10, Duration::from_secs(60)));
        let hash = bcrypt::hash("changeit", 4).expect("hash");
        let auth = AdminAuth { username: "admin".into(), password: AdminPassword::Bcrypt(hash) };
        let good = Value::from([("username", "admin".into()), ("password", "changeit".into())]);
        let bad = Value::from([("username", "admin".into()), ("password", "nope".into())]);
        let id = check(&auth, &sessions, &good).await.expect("accepted").expect("a new session");
        assert_eq!(check(&auth, &sessions, &bad).await.unwrap_err().message, "invalid credentials");
        let by_session = Value::from([("sessionId", id.into())]);
        assert_eq!(check(&auth, &sessions, &by_session).await.expect("accepted"), None);
        let plain = AdminAuth { username: "admin".into(), password: AdminPassword::Plain("changeit".into()) };
        assert!(check(&plain, &sessions, &good).await.is_ok());
        assert!(check(&plain, &sessions, &bad).await.is_err());
    }
}
