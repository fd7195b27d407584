//! A client on the embedding runtime: core events turned into [`Event`]s.
use std::sync::Arc;
use std::time::Duration;

use super::event::{AckOutcome, Completion, Event};
use super::Shared;
use crate::client::{ClientOptions, ManagerEvent, Socket};
use crate::error::EmitError;
use crate::value::Value;

/// A client whose events go to the host.
#[derive(Clone)]
pub struct EmbeddedClient {
    shared: Arc<Shared>,
    socket: Socket,
    id: u64,
}

impl std::fmt::Debug for EmbeddedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedClient").field("id", &self.id).finish()
    }
}

impl EmbeddedClient {
    pub(crate) fn new(shared: Arc<Shared>, url: &str, mut options: ClientOptions) -> EmbeddedClient {
        let _guard = shared.handle.enter();
        let id = shared.next_id();
        // Listeners must be in place before the first connection attempt.
        let auto_connect = options.manager.auto_connect;
        options.manager.auto_connect = false;
        options.force_new = true;
        let socket = crate::client::io(url, options);
        let weak = Arc::downgrade(&shared);
        let w = weak.clone();
        socket.on_connect(move |_| {
            if let Some(s) = w.upgrade() {
                s.deliver(Event::ClientConnect { client: id });
            }
        });
        let w = weak.clone();
        socket.on_connect_error(move |sock, error| {
            if let Some(s) = w.upgrade() {
                s.deliver(Event::ClientConnectError { client: id, error: error.clone(), active: sock.active() });
            }
        });
        let w = weak.clone();
        socket.on_disconnect(move |sock, reason| {
            if let Some(s) = w.upgrade() {
                s.deliver(Event::ClientDisconnect { client: id, reason, active: sock.active() });
            }
        });
        let w = weak.clone();
        socket.on_unhandled(move |_, name, args, ack| {
            if let Some(s) = w.upgrade() {
                s.deliver(Event::ClientMessage { client: id, name: name.to_owned(), args, ack });
            }
        });
        let w = weak;
        socket.io().on(move |_, ev| {
            let Some(s) = w.upgrade() else { return };
            let event = match ev {
                ManagerEvent::ReconnectAttempt(n) => Event::ReconnectAttempt { client: id, attempt: *n },
                ManagerEvent::Reconnect(n) => Event::Reconnect { client: id, attempt: *n },
                ManagerEvent::ReconnectError(m) => Event::ReconnectError { client: id, message: (*m).to_owned() },
                ManagerEvent::ReconnectFailed => Event::ReconnectFailed { client: id },
                _ => return,
            };
            s.deliver(event);
        });
        if auto_connect {
            socket.connect();
        }
        shared.clients.lock().expect("runtime lock poisoned").insert(id, socket.clone());
        EmbeddedClient { shared, socket, id }
    }

    /// The id carried by this client's events.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The core socket (id, connected, active, recovered, emit...).
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Connects (or reconnects after `disconnect`). Returns at once; events follow on
    /// runtime threads.
    pub fn connect(&self) {
        let socket = self.socket.clone();
        self.shared.handle.spawn(async move { socket.connect() });
    }

    /// Disconnects (`io client disconnect`). Returns at once; the `disconnect` event
    /// follows on a runtime thread, never inside this call.
    pub fn disconnect(&self) {
        let socket = self.socket.clone();
        self.shared.handle.spawn(async move { socket.disconnect() });
    }

    /// Disconnects and forgets the client: the runtime keeps nothing of it (for hosts
    /// that free client handles while the runtime lives on).
    pub fn close(&self) {
        self.shared.clients.lock().expect("runtime lock poisoned").remove(&self.id);
        let socket = self.socket.clone();
        self.shared.handle.spawn(async move {
            socket.disconnect();
            socket.io().close();
        });
    }

    /// Emits an event (buffered while disconnected).
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        self.socket.emit(event, args)
    }

    /// Emits and completes `done` exactly once (answer, timeout, disconnection, or
    /// `Cancelled` at shutdown).
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Option<Duration>,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        let completion = Completion::new(done);
        let callback = move |res: Result<Vec<Value>, crate::error::AckError>| completion.complete(res.into());
        match timeout {
            Some(t) => self.socket.timeout(t).emit_with_callback(event, args, callback),
            None => self.socket.emit_with_callback(event, args, callback),
        }
    }
}
