//! The Socket.IO client: a [`Manager`] (one Engine.IO connection, reconnection) and its
//! [`Socket`]s (one per namespace).
//!
//! ```no_run
//! # async fn run() {
//! use sio_core::client::{io, ClientOptions};
//! let socket = io("http://localhost:3000/", ClientOptions::default());
//! socket.on_connect(|s| println!("connected as {:?}", s.id()));
//! socket.on("chat", |_, args, _| println!("chat: {args:?}"));
//! socket.emit("chat", vec!["hello".into()]).unwrap();
//! # }
//! ```

mod backoff;
mod config;
mod manager;
mod reason;
mod socket;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

pub use backoff::Backoff;
pub use config::{Auth, ManagerConfig, SocketConfig, Tuning};
pub use manager::{Manager, ManagerEvent};
pub use reason::{DisconnectDetails, DisconnectReason};
pub use socket::{AckCallback, AckSender, AnyHandler, ClientEmitter, EventHandler, Socket};

/// Options of [`io`]: the manager's and the socket's, plus the cache switches.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Manager options (`url` is taken from [`io`]'s argument).
    pub manager: ManagerConfig,
    /// Socket options.
    pub socket: SocketConfig,
    /// Always create a new Manager (default false).
    pub force_new: bool,
    /// Share a Manager between sockets of the same server (default true, as in the reference).
    pub no_multiplex: bool,
}

fn cache() -> &'static Mutex<HashMap<String, Manager>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Manager>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Connects to `url` (its path is the namespace, `/` by default), sharing one Manager
/// per server unless `force_new`/`no_multiplex` — the reference client's `io()`.
/// Must be called inside a tokio runtime.
pub fn io(url: &str, options: ClientOptions) -> Socket {
    let (base, nsp) = split_url(url);
    let mut config = options.manager.clone();
    config.url = base.clone();
    let key = format!("{base}{}", config.path);
    let new_manager = options.force_new || options.no_multiplex;
    let manager = if new_manager {
        Manager::new(config)
    } else {
        let mut cache = cache().lock().expect("manager cache poisoned");
        cache.entry(key).or_insert_with(|| Manager::new(config)).clone()
    };
    manager.socket(&nsp, options.socket)
}

/// `http://host:port/nsp?x` → (`http://host:port`, `/nsp`).
fn split_url(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let nsp = if path.is_empty() { "/" } else { path };
    (format!("{scheme}://{authority}"), nsp.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_namespace_from_url() {
        assert_eq!(super::split_url("http://h:1"), ("http://h:1".into(), "/".into()));
        assert_eq!(super::split_url("http://h:1/admin?x=1"), ("http://h:1".into(), "/admin".into()));
        assert_eq!(super::split_url("ws://h/"), ("ws://h".into(), "/".into()));
    }
}
