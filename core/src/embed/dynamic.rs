//! Dynamic namespaces named by the host (socket.io's `io.of(/regex/)` and
//! `io.of((name, auth, next) => ...)`): a parent whose children are the namespaces a
//! pattern matches, or that the host's matcher accepts when a client first asks for them.
//! The host names the parent (the name its own objects use), and every notification
//! carries that name, so the host finds its parent object without keeping a map of
//! patterns. The parent is registered under that name for [`super::Target`] (a broadcast
//! to `Target::namespace(name)` reaches every child).
//!
//! [`EmbeddedServer::namespace_regex`] (C, Python) is the simpler form: a pattern that
//! names itself, its events as plain [`super::Event`]s. Both share the table `Target`
//! reads, so they coexist.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::event::Decision;
use super::reply::{reply, Reply};
use super::{EmbedError, EmbeddedServer};
use crate::error::ConnectError;
use crate::server::{DisconnectReason, Namespace, Socket};
use crate::value::Value;

/// How the children of a dynamic namespace are recognised.
#[derive(Debug, Clone)]
pub enum DynamicMatcher {
    /// Namespaces whose names match this regex (Rust `regex` syntax).
    Pattern(String),
    /// Each unknown namespace a client asks for is put to the host
    /// ([`DynamicEvent::Match`]); the child exists only if the host answers true within
    /// `timeout` (`None`: the server's `connect_timeout`, as socket.io leaves an
    /// unanswered matcher to it).
    Host {
        /// How long a client waits for the answer.
        timeout: Option<Duration>,
    },
}

/// A notification of a dynamic namespace, carrying the host's name for it (`parent`).
/// Called on a runtime thread, in order with the [`Event::Message`](super::Event::Message)s of the same socket
/// when the runtime delivers by callback. Messages of the children's sockets come as
/// plain [`Event::Message`](super::Event::Message)s.
#[derive(Debug)]
pub enum DynamicEvent {
    /// A client asks for namespace `nsp`, unknown so far: does it exist?
    Match {
        /// The host's name of the dynamic namespace.
        parent: String,
        /// The namespace asked for.
        nsp: String,
        /// The CONNECT payload.
        auth: Value,
        /// Answer true to create the child; false, no answer in time or dropping it
        /// refuses (`Invalid namespace`).
        reply: Reply<bool>,
    },
    /// A connection to a child waits for the host's middleware decision.
    Middleware {
        /// The host's name of the dynamic namespace.
        parent: String,
        /// The socket asking to join (not connected yet).
        socket: Socket,
        /// Answer exactly once; dropping it refuses.
        decision: Decision,
    },
    /// A socket joined a child.
    Connection {
        /// The host's name of the dynamic namespace.
        parent: String,
        /// The new socket.
        socket: Socket,
    },
    /// A socket of a child is leaving (rooms still joined).
    Disconnecting {
        /// The host's name of the dynamic namespace.
        parent: String,
        /// The socket.
        socket: Socket,
        /// Why.
        reason: DisconnectReason,
        /// The rooms it is in, read when it starts leaving.
        rooms: Vec<String>,
        /// Keeps the socket connected until the host's handlers are done (see
        /// [`Event::Disconnecting`](super::Event::Disconnecting)).
        leaving: super::Leaving,
    },
    /// A socket of a child left.
    Disconnect {
        /// The host's name of the dynamic namespace.
        parent: String,
        /// The socket.
        socket: Socket,
        /// Why.
        reason: DisconnectReason,
    },
}

/// The host's callback for a dynamic namespace's notifications.
type Hook = Arc<dyn Fn(DynamicEvent) + Send + Sync>;

impl EmbeddedServer {
    /// Creates dynamic namespace `name` (the host's name for it): its children are
    /// recognised by `matcher`; with `ask_middleware`, every connection to a child first
    /// waits for a [`DynamicEvent::Middleware`] decision. `on_event` gets the parent's
    /// notifications (see [`DynamicEvent`]). Fails with `InvalidArgument` for a bad
    /// pattern or a name already used by a dynamic namespace.
    pub fn dynamic_namespace(
        &self,
        name: &str,
        matcher: DynamicMatcher,
        ask_middleware: bool,
        on_event: impl Fn(DynamicEvent) + Send + Sync + 'static,
    ) -> Result<(), EmbedError> {
        let mut dynamic = self.dynamic.lock().expect("namespace lock poisoned");
        if dynamic.contains_key(name) {
            return Err(EmbedError::InvalidArgument(format!("dynamic namespace {name:?} exists already")));
        }
        let hook: Hook = Arc::new(on_event);
        let _guard = self.shared.handle.enter();
        let ns = match matcher {
            DynamicMatcher::Pattern(p) => {
                let re = regex::Regex::new(&p)
                    .map_err(|e| EmbedError::InvalidArgument(format!("invalid namespace pattern: {e}")))?;
                self.server.of_regex(re)
            }
            DynamicMatcher::Host { timeout } => {
                let timeout = timeout.unwrap_or(self.server.config().connect_timeout);
                let (hook, parent) = (hook.clone(), name.to_owned());
                self.server.of_dynamic_async(move |nsp, auth| {
                    let (reply, pending) = reply();
                    hook(DynamicEvent::Match {
                        parent: parent.clone(),
                        nsp: nsp.to_owned(),
                        auth: auth.clone(),
                        reply,
                    });
                    Box::pin(async move { pending.answer(Some(timeout)).await == Some(true) })
                })
            }
        };
        if ask_middleware {
            let (hook, parent) = (hook.clone(), name.to_owned());
            ns.use_middleware(move |socket| {
                let (tx, rx) = oneshot::channel();
                hook(DynamicEvent::Middleware { parent: parent.clone(), socket, decision: Decision(Some(tx)) });
                async move { rx.await.unwrap_or_else(|_| Err(ConnectError::new("connection refused"))) }
            });
        }
        self.forward_dynamic(&ns, name, hook);
        dynamic.insert(name.to_owned(), ns);
        Ok(())
    }

    /// Like the forwarding of static namespaces, but connection, disconnecting and
    /// disconnect go to the host's callback with the parent's name.
    fn forward_dynamic(&self, ns: &Namespace, parent: &str, hook: Hook) {
        let weak = Arc::downgrade(&self.shared);
        let (server, parent) = (self.id(), parent.to_owned());
        let middleware = self.packet_middleware.clone();
        ns.on_connection(move |socket| {
            super::server::forward_messages(&socket, &weak, server, &middleware);
            let (h, p, w) = (hook.clone(), parent.clone(), weak.clone());
            socket.on_disconnecting(move |s, reason| {
                let Some(shared) = w.upgrade() else { return };
                let rooms = s.rooms().into_iter().map(|r| r.to_string()).collect();
                let leaving = super::Leaving::new(s.defer_close(), &shared.leaving);
                h(DynamicEvent::Disconnecting { parent: p.clone(), socket: s.clone(), reason, rooms, leaving });
            });
            let (h, p) = (hook.clone(), parent.clone());
            socket.on_disconnect(move |s, reason| {
                h(DynamicEvent::Disconnect { parent: p.clone(), socket: s.clone(), reason });
            });
            hook(DynamicEvent::Connection { parent: parent.clone(), socket });
        });
    }
}
