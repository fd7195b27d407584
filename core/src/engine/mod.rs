//! Engine.IO protocol 4 (and 3, [`eio3`], for socket.io-client 2.x): packets, polling
//! payloads, and the server transports.
//!
//! The codecs ([`packet`], [`payload`]) are pure and byte-exact; [`server`] runs them
//! over hyper (long-polling) and its own WebSocket framing, which keeps no buffer while a
//! connection is idle (the client uses tokio-tungstenite).

#[cfg(feature = "client")]
pub mod client;
pub mod deflate;
pub mod eio3;
pub mod packet;
pub mod payload;
pub mod server;

pub use packet::{Frame, Packet, PacketError};

/// tungstenite's read buffer for the client's WebSocket. tungstenite zero-fills it before
/// every read and the connection keeps it resident: the 128 KiB default cost half the CPU
/// of an echo (bench/PROFILE.md). Larger messages still arrive whole: the buffer grows to
/// the announced frame length, up to the size limits. (The server has its own framing,
/// `server/ws_own.rs`, which keeps no read buffer.)
#[cfg(feature = "client")]
pub(crate) const WS_READ_BUFFER: usize = 4096;
