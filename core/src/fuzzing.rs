//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), for parsers that are not
//! public. Not an API: hidden from the docs, may change at any time.
//!
//! The client's handshake parsing is private to `engine::client` (`OpenInfo::parse`, and
//! the polling branch of `actor::open` inline), so these functions are, for now, a
//! line-by-line MIRROR of that code built from the public pieces (`payload::decode`,
//! `Packet`, `OpenInfo`). Once the client exposes it, e.g.
//! `pub(crate) fn parse_polling_handshake(body: &[u8]) -> Result<(OpenInfo, usize), HandshakeError>`
//! (used by `actor::open`) and `pub(crate) fn OpenInfo::parse`, each body below becomes a
//! one-line call and the fuzz target stays as it is.
use std::time::Duration;

use crate::engine::client::{HandshakeError, OpenInfo};
use crate::engine::{payload, Frame, Packet};

/// What the client makes of the body of its first polling GET (the handshake
/// response): the open packet's data and how many packets came after it in the same
/// body (kept for the connection task). Mirror of the polling branch of `actor::open`.
pub fn client_handshake_polling(body: &[u8]) -> Result<(OpenInfo, usize), HandshakeError> {
    let text = std::str::from_utf8(body).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let packets = payload::decode(text).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let mut packets = packets.into_iter();
    let Some(Packet::Open(json)) = packets.next() else {
        return Err(HandshakeError::Protocol(format!("expected an open packet, got {text:?}")));
    };
    let info = open_info(json)?;
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

/// What the client makes of the first text message of a WebSocket-first connection.
/// Mirror of the websocket branch of `actor::open`.
pub fn client_handshake_websocket(text: &str) -> Result<OpenInfo, HandshakeError> {
    let json = text.strip_prefix('0').ok_or_else(|| HandshakeError::Protocol(text.to_string()))?;
    open_info(json)
}

/// Mirror of `OpenInfo::parse` (engine/client/mod.rs).
fn open_info(json: &str) -> Result<OpenInfo, HandshakeError> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| HandshakeError::Protocol(e.to_string()))?;
    let ms = |k: &str| v[k].as_u64().map(Duration::from_millis);
    Ok(OpenInfo {
        sid: v["sid"].as_str().ok_or_else(|| HandshakeError::Protocol("missing sid".into()))?.to_owned(),
        upgrades: v["upgrades"]
            .as_array()
            .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        ping_interval: ms("pingInterval").unwrap_or(Duration::from_millis(25_000)),
        ping_timeout: ms("pingTimeout").unwrap_or(Duration::from_millis(20_000)),
        max_payload: v["maxPayload"].as_u64().unwrap_or(1_000_000) as usize,
    })
}
