//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), for parsers that are not
//! public. Not an API: hidden from the docs, may change at any time.
#[cfg(feature = "client")]
use crate::engine::client::{parse_polling_handshake, parse_websocket_handshake, HandshakeError, OpenInfo};

/// What the client makes of the body of its handshake GET (polling first): the open
/// packet's data and how many packets followed it in the same body.
#[cfg(feature = "client")]
pub fn client_handshake_polling(body: &[u8]) -> Result<(OpenInfo, usize), HandshakeError> {
    parse_polling_handshake(body).map(|(info, leftovers)| (info, leftovers.len()))
}

/// What the client makes of the first text message of a WebSocket-first connection.
#[cfg(feature = "client")]
pub fn client_handshake_websocket(text: &str) -> Result<OpenInfo, HandshakeError> {
    parse_websocket_handshake(text)
}
