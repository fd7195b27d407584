//! Why a client socket disconnected: the reasons of the v4 client seed.

/// The `reason` of the client's `disconnect` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The server disconnected the socket (`socket.disconnect()` on the server). No reconnection.
    IoServerDisconnect,
    /// The client called `disconnect()`. No reconnection.
    IoClientDisconnect,
    /// The server stopped pinging within pingInterval + pingTimeout. Reconnects.
    PingTimeout,
    /// The connection was closed (server killed, network lost). Reconnects.
    TransportClose,
    /// The connection failed (e.g. a request error). Reconnects.
    TransportError,
    /// The server sent an invalid packet. Reconnects.
    ParseError,
    /// The manager closed the connection (no socket is active any more).
    ForcedClose,
}

impl DisconnectReason {
    /// The exact string of the reference client.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::IoServerDisconnect => "io server disconnect",
            DisconnectReason::IoClientDisconnect => "io client disconnect",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
        }
    }

    /// Whether the client reconnects by itself after this reason.
    pub fn reconnects(self) -> bool {
        !matches!(
            self,
            DisconnectReason::IoServerDisconnect | DisconnectReason::IoClientDisconnect | DisconnectReason::ForcedClose
        )
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<crate::engine::client::ClientCloseReason> for DisconnectReason {
    fn from(r: crate::engine::client::ClientCloseReason) -> Self {
        use crate::engine::client::ClientCloseReason as C;
        match r {
            C::TransportClose => DisconnectReason::TransportClose,
            C::TransportError => DisconnectReason::TransportError,
            C::PingTimeout => DisconnectReason::PingTimeout,
            C::ForcedClose => DisconnectReason::ForcedClose,
            C::ParseError => DisconnectReason::ParseError,
        }
    }
}

/// The `details` of a `transport close` / `transport error` disconnection, as
/// socket.io-client's `disconnect` event gives them ([`super::Socket::disconnect_details`]).
pub use crate::engine::client::CloseDetails as DisconnectDetails;
