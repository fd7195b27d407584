//! The packet format a server or client speaks, as socket.io's `parser` option picks it:
//! socket.io's default (text packets, binary as placeholders + attachments) or
//! `socket.io-msgpack-parser` (one MessagePack binary message per packet). Both peers of
//! a connection must use the same one.
use super::binary::{Decoder, DecoderLimits};
use super::packet::{self, PacketType};
use crate::engine::Frame;
use crate::value::Value;

/// A packet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parser {
    /// socket.io-parser: the default.
    #[default]
    Default,
    /// socket.io-msgpack-parser (python-socketio's `serializer='msgpack'`).
    Msgpack,
}

impl Parser {
    /// The parser named `default` or `msgpack`.
    pub fn from_name(name: &str) -> Option<Parser> {
        match name {
            "default" => Some(Parser::Default),
            "msgpack" => Some(Parser::Msgpack),
            _ => None,
        }
    }

    /// `default` or `msgpack`.
    pub fn name(self) -> &'static str {
        match self {
            Parser::Default => "default",
            Parser::Msgpack => "msgpack",
        }
    }

    /// A decoder of this format for one connection.
    pub fn decoder(self, limits: DecoderLimits) -> Decoder {
        Decoder::with_parser(self, limits)
    }

    /// Encodes a packet into Engine.IO frames.
    pub fn encode(self, kind: PacketType, nsp: &str, id: Option<u64>, data: Option<&Value>) -> Vec<Frame> {
        match self {
            Parser::Default => packet::encode(kind, nsp, id, data),
            Parser::Msgpack => {
                vec![super::msgpack::encode(
                    kind,
                    nsp,
                    id,
                    data.map(|d| |out: &mut Vec<u8>| crate::msgpack::write(d, out)),
                )]
            }
        }
    }

    /// Encodes an EVENT `[event, ...args]`.
    pub fn encode_event(self, nsp: &str, id: Option<u64>, event: &str, args: &[Value]) -> Vec<Frame> {
        match self {
            Parser::Default => packet::encode_event(nsp, id, event, args),
            Parser::Msgpack => vec![super::msgpack::encode_event(nsp, id, event, args)],
        }
    }

    /// Encodes an ACK `[...args]`.
    pub fn encode_ack(self, nsp: &str, id: u64, args: &[Value]) -> Vec<Frame> {
        match self {
            Parser::Default => packet::encode_ack(nsp, id, args),
            Parser::Msgpack => vec![msgpack_ack(nsp, id, args)],
        }
    }

    /// Encodes an ACK whose arguments are JSON text already checked to be an array without
    /// placeholders ([`crate::HostArgs::Wire`]): one frame, as no buffer is attached.
    pub fn encode_ack_wire(self, nsp: &str, id: u64, args: &str) -> Frame {
        match self {
            Parser::Default => packet::encode_ack_wire(nsp, id, args),
            Parser::Msgpack => {
                let args = match Value::from_wire_text(args, &[]) {
                    Ok(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                msgpack_ack(nsp, id, &args)
            }
        }
    }
}

fn msgpack_ack(nsp: &str, id: u64, args: &[Value]) -> Frame {
    let write = |out: &mut Vec<u8>| {
        crate::msgpack::write_array_len(args.len(), out);
        args.iter().for_each(|a| crate::msgpack::write(a, out));
    };
    super::msgpack::encode(PacketType::Ack, nsp, Some(id), Some(write))
}
