//! What the embedding layer hands to the host: plain events, each carrying the handles
//! the host needs to answer (socket, ack, middleware decision).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::args::Args;
#[cfg(feature = "client")]
use crate::client;
use crate::engine::server::TransportKind;
use crate::error::ConnectError;
use crate::server;
use crate::value::Value;

/// An event for the host application.
#[derive(Debug)]
pub enum Event {
    /// A socket connected to a namespace of server `server`.
    Connection {
        /// Server id ([`super::EmbeddedServer::id`]).
        server: u64,
        /// The new socket.
        socket: server::Socket,
    },
    /// A connection waits for the namespace middleware's decision.
    Middleware {
        /// Server id.
        server: u64,
        /// The socket asking to join (not connected yet).
        socket: server::Socket,
        /// Answer exactly once; dropping it refuses.
        decision: Decision,
    },
    /// An event from a client.
    Message {
        /// Server id.
        server: u64,
        /// Sender.
        socket: server::Socket,
        /// Event name.
        name: String,
        /// Arguments: a text packet's as the JSON text they came in, unless the host's
        /// packet middleware read them.
        args: Args,
        /// Present when the client wants an acknowledgement.
        ack: Option<server::AckSender>,
    },
    /// A socket is leaving (rooms still joined).
    Disconnecting {
        /// Server id.
        server: u64,
        /// The socket.
        socket: server::Socket,
        /// Why.
        reason: server::DisconnectReason,
        /// The rooms it is in, read when it starts leaving: a host that takes the event
        /// later (from a queue) still sees them, as socket.io's `disconnecting` does.
        rooms: Vec<String>,
        /// Keeps the socket connected (it can still emit, to itself and to its rooms)
        /// until the host's handlers are done: drop it (or call `release`) after them.
        leaving: Leaving,
    },
    /// A socket left.
    Disconnect {
        /// Server id.
        server: u64,
        /// The socket.
        socket: server::Socket,
        /// Why.
        reason: server::DisconnectReason,
    },
    /// An Engine.IO connection upgraded its transport.
    Upgrade {
        /// Server id.
        server: u64,
        /// The Engine.IO connection id.
        conn: String,
        /// The new transport.
        transport: TransportKind,
    },
    /// An event sent with `server_side_emit` by another server of the cluster.
    ServerSide {
        /// Server id.
        server: u64,
        /// The namespace it was sent to (`io.of(ns).serverSideEmit`).
        ns: String,
        /// Event name.
        name: String,
        /// Arguments.
        args: Vec<Value>,
        /// Present when the sender waits for an answer (one value).
        ack: Option<server::ServerSideAck>,
    },
    /// Client `client` connected (or reconnected).
    #[cfg(feature = "client")]
    ClientConnect {
        /// Client id ([`super::EmbeddedClient::id`]).
        client: u64,
    },
    /// Client `client` could not connect; `active` tells whether it retries by itself.
    #[cfg(feature = "client")]
    ClientConnectError {
        /// Client id.
        client: u64,
        /// Error message and data from the server.
        error: ConnectError,
        /// Whether the client keeps retrying.
        active: bool,
    },
    /// Client `client` disconnected.
    #[cfg(feature = "client")]
    ClientDisconnect {
        /// Client id.
        client: u64,
        /// Why.
        reason: client::DisconnectReason,
        /// Whether it will reconnect by itself.
        active: bool,
        /// For `transport close` / `transport error`: what socket.io-client's `disconnect`
        /// event gives as `details` (description, context).
        details: Option<client::DisconnectDetails>,
    },
    /// An event from the server to client `client`.
    #[cfg(feature = "client")]
    ClientMessage {
        /// Client id.
        client: u64,
        /// Event name.
        name: String,
        /// Arguments.
        args: Vec<Value>,
        /// Present when the server wants an acknowledgement.
        ack: Option<client::AckSender>,
    },
    /// A reconnection attempt starts.
    #[cfg(feature = "client")]
    ReconnectAttempt {
        /// Client id.
        client: u64,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// Reconnected after `attempt` attempts.
    #[cfg(feature = "client")]
    Reconnect {
        /// Client id.
        client: u64,
        /// Attempts it took.
        attempt: u32,
    },
    /// A reconnection attempt failed.
    #[cfg(feature = "client")]
    ReconnectError {
        /// Client id.
        client: u64,
        /// Why.
        message: String,
    },
    /// The client gave up reconnecting.
    #[cfg(feature = "client")]
    ReconnectFailed {
        /// Client id.
        client: u64,
    },
    /// The Manager's own events (socket.io-client's `manager.on("open" | "ping" | "close"
    /// | "error")`), sent only once the host asked for them
    /// ([`super::EmbeddedClient::watch_manager`]): a ping is an event every interval.
    #[cfg(feature = "client")]
    Manager {
        /// Client id (the connection's oldest open client, as for the reconnection events).
        client: u64,
        /// Which one.
        event: ManagerNotice,
    },
}

/// A Manager event forwarded by [`Event::Manager`].
#[cfg(feature = "client")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagerNotice {
    /// The Engine.IO connection opened.
    Open,
    /// The server pinged.
    Ping,
    /// The connection closed.
    Close(client::DisconnectReason),
    /// Opening the connection failed.
    Error(String),
}

#[cfg(feature = "client")]
impl ManagerNotice {
    /// socket.io-client's event name.
    pub fn name(&self) -> &'static str {
        match self {
            ManagerNotice::Open => "open",
            ManagerNotice::Ping => "ping",
            ManagerNotice::Close(_) => "close",
            ManagerNotice::Error(_) => "error",
        }
    }
}

/// The answer to a namespace middleware request; exactly one of `accept`/`refuse`
/// takes effect, and dropping it unanswered refuses the connection.
#[derive(Debug)]
pub struct Decision(pub(crate) Option<oneshot::Sender<Result<(), ConnectError>>>);

impl Decision {
    /// Lets the connection in.
    pub fn accept(mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Ok(()));
        }
    }

    /// Refuses it: the client's `connect_error` gets `message` and `data`.
    pub fn refuse(mut self, error: ConnectError) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Err(error));
        }
    }
}

/// How an acknowledgement requested by the host ended. Exactly one per request.
#[derive(Debug, Clone, PartialEq)]
pub enum AckOutcome {
    /// The peer answered with these arguments (for a broadcast: one array per socket).
    Answered(Vec<Value>),
    /// No answer within the timeout.
    TimedOut,
    /// The peer disconnected first.
    Disconnected,
    /// The runtime shut down first.
    Cancelled,
}

/// Calls the host's completion exactly once: with the outcome, or with `Cancelled`
/// when the task is dropped (runtime shutdown).
pub(crate) struct Completion(Option<Box<dyn FnOnce(AckOutcome) + Send>>);

impl Completion {
    pub(crate) fn new(f: impl FnOnce(AckOutcome) + Send + 'static) -> Self {
        Completion(Some(Box::new(f)))
    }

    pub(crate) fn complete(mut self, outcome: AckOutcome) {
        if let Some(f) = self.0.take() {
            f(outcome);
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f(AckOutcome::Cancelled);
        }
    }
}

impl From<Result<Vec<Value>, crate::error::AckError>> for AckOutcome {
    fn from(r: Result<Vec<Value>, crate::error::AckError>) -> Self {
        use crate::error::AckError;
        match r {
            Ok(args) => AckOutcome::Answered(args),
            Err(AckError::Timeout { .. }) => AckOutcome::TimedOut,
            Err(AckError::Disconnected | AckError::Emit(_)) => AckOutcome::Disconnected,
        }
    }
}

/// A socket's disconnection held back while the host runs its `disconnecting` handlers,
/// as socket.io runs them before the socket leaves its rooms. Dropping it (or
/// [`Leaving::release`]) lets the disconnection finish: rooms left, then `disconnect`.
#[derive(Debug)]
pub struct Leaving {
    deferral: Option<server::CloseDeferral>,
    holds: Arc<AtomicUsize>,
}

impl Leaving {
    pub(crate) fn new(deferral: Option<server::CloseDeferral>, holds: &Arc<AtomicUsize>) -> Leaving {
        if deferral.is_some() {
            holds.fetch_add(1, Ordering::AcqRel);
        }
        Leaving { deferral, holds: holds.clone() }
    }

    /// Lets the disconnection finish now. Idempotent.
    pub fn release(&mut self) {
        if let Some(d) = self.deferral.take() {
            // First the end of the disconnection (it queues `disconnect`), then the count a
            // draining host waits on.
            drop(d);
            self.holds.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Leaving {
    fn drop(&mut self) {
        self.release();
    }
}
