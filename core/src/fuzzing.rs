//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), for parsers that are not
//! public. Not an API: hidden from the docs, may change at any time.
//!
//! The client's handshake: [`OpenInfo::parse`] is called as it is; the polling branch of
//! `engine::client::actor::open` (open packet first, the rest of the body kept for the
//! connection task) is inline there, so [`client_handshake_polling`] repeats its few
//! lines around the real `payload::decode` and `OpenInfo::parse`. A
//! `pub(crate) fn parse_polling_handshake(body: &[u8]) -> Result<(OpenInfo, Vec<Incoming>), HandshakeError>`
//! in the client (used by `actor::open`) would let it call that instead.
use crate::engine::client::{HandshakeError, OpenInfo};
use crate::engine::{payload, Frame, Packet};

/// What the client makes of the body of its handshake GET (polling first): the open
/// packet's data and how many packets followed it in the same body.
pub fn client_handshake_polling(body: &[u8]) -> Result<(OpenInfo, usize), HandshakeError> {
    let text = std::str::from_utf8(body).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let packets = payload::decode(text).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let mut packets = packets.into_iter();
    let Some(Packet::Open(json)) = packets.next() else {
        return Err(HandshakeError::Protocol(format!("expected an open packet, got {text:?}")));
    };
    let info = OpenInfo::parse(json)?;
    let leftovers = packets
        .map(|p| match p {
            Packet::Binary(b) => b.len(),
            other => match other.encode() {
                Frame::Text(t) => t.len(),
                Frame::Binary(_) => unreachable!("only binary packets encode to binary frames"),
            },
        })
        .count();
    Ok((info, leftovers))
}

/// What the client makes of the first text message of a WebSocket-first connection
/// (the websocket branch of `actor::open`).
pub fn client_handshake_websocket(text: &str) -> Result<OpenInfo, HandshakeError> {
    let json = text.strip_prefix('0').ok_or_else(|| HandshakeError::Protocol(text.to_string()))?;
    OpenInfo::parse(json)
}
