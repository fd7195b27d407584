//! WebSocket permessage-deflate (RFC 7692) for the engine's own WebSockets, server and
//! client side.
//!
//! tungstenite has no extension support (it refuses frames with RSV1 set), so the codec
//! sits under it, on the byte stream: [`DeflateStream`] inflates compressed frames the
//! peer sends into ordinary frames before tungstenite reads them, and deflates the data
//! frames tungstenite writes before they reach the socket. `negotiate` holds the
//! handshake's side: the server's choice among the client's offers and the client's
//! reading of the server's answer.
//!
//! Windows: flate2's pure-Rust backend always compresses with a 32 KiB window (15 bits),
//! so an offer asking the server for a smaller one is declined, and the client never offers
//! `client_max_window_bits`; inflating takes any window the peer uses.

pub(crate) mod frame;
pub(crate) mod negotiate;
mod stream;

pub(crate) use negotiate::Agreement;
pub use stream::{DeflateStream, Hints};

/// permessage-deflate settings of a server or client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMessageDeflate {
    /// Smallest message compressed, in bytes (default 1024, as `ws`): smaller messages
    /// cost more to deflate than they save.
    pub threshold: usize,
}

impl Default for PerMessageDeflate {
    fn default() -> Self {
        PerMessageDeflate { threshold: 1024 }
    }
}

/// The extension's name in `Sec-WebSocket-Extensions`.
pub(crate) const EXTENSION: &str = "permessage-deflate";

/// What a client offers in `Sec-WebSocket-Extensions` (with [`DeflateStream::client`]).
pub const CLIENT_OFFER: &str = negotiate::CLIENT_OFFER;
