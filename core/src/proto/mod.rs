//! Socket.IO protocol 5: the packet codecs ([`packet`], socket.io's default; msgpack, as
//! `socket.io-msgpack-parser`; [`Parser`] picks one) and the reassembly of packets that
//! carry binary attachments ([`binary`]). Pure code, no I/O.

pub mod binary;
mod event_text;
mod msgpack;
pub mod packet;
mod parser;

pub use binary::{Decoded, Decoder, DecoderLimits};
pub use event_text::TextEvent;
pub use packet::{encode, Packet, PacketType, ParseError};
pub use parser::Parser;
