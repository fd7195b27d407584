//! Socket.IO protocol 5: the packet codec ([`packet`]) and the reassembly of packets
//! that carry binary attachments ([`binary`]). Pure code, no I/O.

pub mod binary;
pub mod packet;

pub use binary::{Decoded, Decoder, DecoderLimits};
pub use packet::{encode, Packet, PacketType, ParseError};
