//! Engine.IO protocol 4: packets, polling payloads, and the server transports.
//!
//! The codecs ([`packet`], [`payload`]) are pure and byte-exact; [`server`] runs them
//! over hyper (long-polling) and tokio-tungstenite (WebSocket).

pub mod packet;
pub mod payload;
pub mod client;
pub mod server;

pub use packet::{Frame, Packet, PacketError};
