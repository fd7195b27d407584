//! Why a server-side socket disconnected: the reasons of the v4 server seed.
use crate::engine::server::CloseReason;

/// The `reason` of the `disconnecting` and `disconnect` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The server called `socket.disconnect()`.
    ServerNamespaceDisconnect,
    /// The client called `socket.disconnect()`.
    ClientNamespaceDisconnect,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client did not answer a ping within `ping_timeout`.
    PingTimeout,
    /// The connection was closed (the user lost connection, changed network...).
    TransportClose,
    /// The connection encountered an error.
    TransportError,
    /// The server received an invalid Engine.IO packet.
    ParseError,
    /// The server received an invalid Socket.IO packet (or, over WebSocket, one that
    /// breaks the protocol's state rules).
    ForcedClose,
    /// The client did not join a namespace in time, or (over polling) broke the
    /// protocol's state rules, e.g. a second CONNECT to a namespace it joined.
    ForcedServerClose,
}

impl DisconnectReason {
    /// Every reason, in the order of the seed's table.
    pub const ALL: [DisconnectReason; 9] = [
        DisconnectReason::ServerNamespaceDisconnect,
        DisconnectReason::ClientNamespaceDisconnect,
        DisconnectReason::ServerShuttingDown,
        DisconnectReason::PingTimeout,
        DisconnectReason::TransportClose,
        DisconnectReason::TransportError,
        DisconnectReason::ParseError,
        DisconnectReason::ForcedClose,
        DisconnectReason::ForcedServerClose,
    ];

    /// The exact string of the reference implementation.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ForcedServerClose => "forced server close",
        }
    }

    /// Whether connection state recovery keeps the session for this reason (an abrupt
    /// end, not a deliberate disconnect).
    pub fn is_recoverable(self) -> bool {
        matches!(
            self,
            DisconnectReason::TransportError
                | DisconnectReason::TransportClose
                | DisconnectReason::ForcedClose
                | DisconnectReason::PingTimeout
                | DisconnectReason::ServerShuttingDown
                | DisconnectReason::ForcedServerClose
        )
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(r: CloseReason) -> Self {
        match r {
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError => DisconnectReason::TransportError,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ParseError => DisconnectReason::ParseError,
            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
            CloseReason::ServerShuttingDown => DisconnectReason::ServerShuttingDown,
        }
    }
}
