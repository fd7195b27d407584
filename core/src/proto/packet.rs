//! Socket.IO packets: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`.
use bytes::Bytes;

use super::event_text::{self, TextEvent};
use crate::args::Args;
use crate::engine::Frame;
use crate::value::Value;

/// The packet types of protocol 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PacketType {
    /// 0: connect to a namespace (client: auth; server: `{sid}`).
    Connect = 0,
    /// 1: leave a namespace.
    Disconnect = 1,
    /// 2: an event `[name, ...args]`.
    Event = 2,
    /// 3: an acknowledgement `[...args]`.
    Ack = 3,
    /// 4: a refused namespace connection `{message, data?}`.
    ConnectError = 4,
    /// 5: an event with binary attachments.
    BinaryEvent = 5,
    /// 6: an acknowledgement with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    fn from_char(c: char) -> Option<PacketType> {
        Some(match c {
            '0' => PacketType::Connect,
            '1' => PacketType::Disconnect,
            '2' => PacketType::Event,
            '3' => PacketType::Ack,
            '4' => PacketType::ConnectError,
            '5' => PacketType::BinaryEvent,
            '6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// Why a text is not a valid Socket.IO packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Empty text or an unknown type digit.
    #[error("unknown packet type")]
    UnknownType,
    /// The attachment count of a binary packet is missing or not a number.
    #[error("illegal attachments")]
    IllegalAttachments,
    /// The namespace of a msgpack packet is not a string.
    #[error("invalid namespace")]
    InvalidNamespace,
    /// The ack id does not fit in 64 bits.
    #[error("invalid ack id")]
    InvalidId,
    /// The JSON payload is not valid JSON.
    #[error("invalid payload: {0}")]
    InvalidJson(String),
    /// The payload has the wrong shape for the packet type (e.g. an event that is not an array).
    #[error("invalid payload for packet type {0:?}")]
    InvalidPayload(PacketType),
    /// A placeholder names an attachment that does not exist, or its `num` is not an index.
    #[error("illegal attachments")]
    MissingAttachment,
    /// A binary packet declares more attachments, or its attachments hold more bytes, than
    /// the server accepts (`max_attachments`, `max_http_buffer_size`).
    #[error("attachments over the limit")]
    AttachmentsTooLarge,
    /// Binary data arrived when no packet was waiting for attachments.
    #[error("unexpected binary data")]
    UnexpectedBinary,
    /// Text arrived while a packet was still waiting for attachments.
    #[error("got plaintext data when reconstructing a packet")]
    UnexpectedText,
}

/// A decoded packet, attachments already put back in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// Packet type (binary types are reported as such; `data` holds the buffers).
    pub kind: PacketType,
    /// Namespace (`/` by default).
    pub nsp: String,
    /// Ack id, if the sender wants an acknowledgement (or this is one).
    pub id: Option<u64>,
    /// Payload (`Null` when absent, and when `event` holds it).
    pub data: Value,
    /// A text EVENT's name and arguments, kept as text by a decoder asked to
    /// ([`Decoder::keep_event_text`](super::Decoder::keep_event_text)); `data` is then `Null`.
    pub event: Option<TextEvent>,
}

impl Packet {
    /// A packet without an event kept as text.
    pub fn new(kind: PacketType, nsp: impl Into<String>, id: Option<u64>, data: Value) -> Packet {
        Packet { kind, nsp: nsp.into(), id, data, event: None }
    }

    /// An EVENT's name and arguments (a number as a name is read as its text), `None` for
    /// a payload of another shape.
    pub fn into_event(self) -> Option<(String, Args)> {
        if let Some(e) = self.event {
            return Some((e.name, e.args));
        }
        let Value::Array(mut items) = self.data else {
            return None;
        };
        if items.is_empty() {
            return None;
        }
        let name = match items.remove(0) {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some((name, Args::from(items)))
    }
}

/// The text part of a packet, before its attachments arrive.
#[derive(Debug)]
pub(crate) struct Header {
    pub kind: PacketType,
    pub nsp: String,
    pub id: Option<u64>,
    pub json: Option<Value>,
    pub event: Option<TextEvent>,
    pub attachments: usize,
}

/// Reads a packet's text; with `keep_event_text`, a text EVENT keeps its arguments as text.
pub(crate) fn parse_header(text: &str, keep_event_text: bool) -> Result<Header, ParseError> {
    let mut chars = text.char_indices().peekable();
    let kind = chars.next().and_then(|(_, c)| PacketType::from_char(c)).ok_or(ParseError::UnknownType)?;
    let mut rest = &text[1..];
    let mut attachments = 0;
    if kind.is_binary() {
        let dash = rest.find('-').ok_or(ParseError::IllegalAttachments)?;
        attachments = rest[..dash].parse::<usize>().map_err(|_| ParseError::IllegalAttachments)?;
        // As the reference parser: a binary packet has at least one attachment.
        if attachments == 0 {
            return Err(ParseError::IllegalAttachments);
        }
        rest = &rest[dash + 1..];
    }
    let mut nsp = "/".to_owned();
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        nsp = rest[..end].to_owned();
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        let id = rest[..digits].parse::<u64>().map_err(|_| ParseError::InvalidId)?;
        rest = &rest[digits..];
        Some(id)
    } else {
        None
    };
    if keep_event_text && kind == PacketType::Event {
        if let Some(event) = event_text::read(rest) {
            return Ok(Header { kind, nsp, id, json: None, event: Some(event), attachments });
        }
    }
    let json = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str::<Value>(rest).map_err(|e| ParseError::InvalidJson(e.to_string()))?)
    };
    if !payload_is_valid(kind, json.as_ref()) {
        return Err(ParseError::InvalidPayload(kind));
    }
    Ok(Header { kind, nsp, id, json, event: None, attachments })
}

/// The payload shapes the reference parser accepts for each type.
pub(crate) fn payload_is_valid(kind: PacketType, json: Option<&Value>) -> bool {
    use Value as J;
    match kind {
        PacketType::Connect => matches!(json, None | Some(J::Object(_))),
        PacketType::Disconnect => json.is_none(),
        PacketType::ConnectError => matches!(json, Some(J::Object(_) | J::String(_))),
        PacketType::Event | PacketType::BinaryEvent => match json {
            Some(J::Array(a)) => match a.first() {
                Some(J::String(name)) => !crate::RESERVED_EVENTS.contains(&name.as_str()),
                Some(J::Number(_)) => true,
                _ => false,
            },
            _ => false,
        },
        PacketType::Ack | PacketType::BinaryAck => matches!(json, Some(J::Array(_))),
    }
}

impl Header {
    pub(crate) fn complete(self, attachments: &[Bytes]) -> Result<Packet, ParseError> {
        let mut data = self.json.unwrap_or(Value::Null);
        // As the reference parser: only a binary packet has placeholders to replace.
        if self.kind.is_binary() {
            data.resolve_placeholders(attachments).map_err(|_| ParseError::MissingAttachment)?;
        }
        Ok(Packet { kind: self.kind, nsp: self.nsp, id: self.id, data, event: self.event })
    }
}

/// Encodes a packet into Engine.IO frames: one text frame, then one binary frame per
/// attachment. Binary buffers anywhere in `data` make it a binary packet.
pub fn encode(kind: PacketType, nsp: &str, id: Option<u64>, data: Option<&Value>) -> Vec<Frame> {
    encode_with(kind, nsp, id, |out, atts| {
        if let Some(d) = data {
            Value::write_wire_one(d, out, atts);
        }
    })
}

/// Encodes an EVENT `[event, ...args]` without building an intermediate array value.
pub fn encode_event(nsp: &str, id: Option<u64>, event: &str, args: &[Value]) -> Vec<Frame> {
    encode_with(PacketType::Event, nsp, id, |out, atts| {
        out.push(b'[');
        serde_json::to_writer(&mut *out, event).expect("writing a string into a Vec cannot fail");
        if args.is_empty() {
            out.push(b']');
        } else {
            // write_wire writes `[a,b]`: turn its `[` into the separator after the name.
            let at = out.len();
            Value::write_wire(args, out, atts);
            out[at] = b',';
        }
    })
}

/// Encodes an ACK `[...args]`.
pub fn encode_ack(nsp: &str, id: u64, args: &[Value]) -> Vec<Frame> {
    encode_with(PacketType::Ack, nsp, Some(id), |out, atts| Value::write_wire(args, out, atts))
}

/// Encodes an ACK whose argument list is JSON text already checked to be an array
/// without placeholders ([`crate::HostArgs::Wire`]).
pub fn encode_ack_wire(nsp: &str, id: u64, args: &str) -> Frame {
    text_frame(PacketType::Ack, nsp, Some(id), 0, args.as_bytes())
}

fn encode_with(
    kind: PacketType,
    nsp: &str,
    id: Option<u64>,
    body: impl FnOnce(&mut Vec<u8>, &mut Vec<Bytes>),
) -> Vec<Frame> {
    // Written straight after the header of a packet without buffers, the usual case; one
    // that turns out to carry buffers is written again under the binary header.
    let mut text = header(kind, nsp, id, 0, 64);
    let at = text.len();
    let mut atts = Vec::new();
    body(&mut text, &mut atts);
    if atts.is_empty() {
        return vec![into_frame(text)];
    }
    let kind = match kind {
        PacketType::Event => PacketType::BinaryEvent,
        PacketType::Ack => PacketType::BinaryAck,
        k => k,
    };
    let mut frames = Vec::with_capacity(1 + atts.len());
    frames.push(text_frame(kind, nsp, id, atts.len(), &text[at..]));
    frames.extend(atts.into_iter().map(Frame::Binary));
    frames
}

/// The start of a packet's text frame: `4`, the type, the attachment count of a binary
/// packet, the namespace unless `/`, the ack id; with room for `body` more bytes.
fn header(kind: PacketType, nsp: &str, id: Option<u64>, attachments: usize, body: usize) -> Vec<u8> {
    let (mut count, mut ack) = (itoa::Buffer::new(), itoa::Buffer::new());
    let count = if kind.is_binary() { count.format(attachments) } else { "" };
    let ack = id.map_or("", |id| ack.format(id));
    let len =
        2 + if kind.is_binary() { count.len() + 1 } else { 0 } + if nsp != "/" { nsp.len() + 1 } else { 0 } + ack.len();
    let mut text = Vec::with_capacity(len + body);
    text.push(b'4'); // Engine.IO message
    text.push(b'0' + kind as u8);
    if kind.is_binary() {
        text.extend_from_slice(count.as_bytes());
        text.push(b'-');
    }
    if nsp != "/" {
        text.extend_from_slice(nsp.as_bytes());
        text.push(b',');
    }
    text.extend_from_slice(ack.as_bytes());
    text
}

/// The text frame of a packet: its header, then `json`, in a buffer of its exact size.
fn text_frame(kind: PacketType, nsp: &str, id: Option<u64>, attachments: usize, json: &[u8]) -> Frame {
    let mut text = header(kind, nsp, id, attachments, json.len());
    text.extend_from_slice(json);
    into_frame(text)
}

/// A frame that owns `text`'s buffer, trimmed to its length first: bytes with spare room
/// would cost the frame a second allocation (shrinking in place costs none).
fn into_frame(mut text: Vec<u8>) -> Frame {
    text.shrink_to_fit();
    Frame::Text(String::from_utf8(text).expect("a namespace and serde_json's output are UTF-8").into())
}
