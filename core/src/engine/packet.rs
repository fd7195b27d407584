//! Engine.IO packets: a type digit followed by data (`4hello`), or a raw binary frame.
use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A decoded Engine.IO packet, borrowing its text data from the frame it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `0` + handshake JSON.
    Open(&'a str),
    /// `1`: the session is over.
    Close,
    /// `2` (+ `probe` during an upgrade).
    Ping(&'a str),
    /// `3` (+ `probe` during an upgrade).
    Pong(&'a str),
    /// `4` + text.
    Message(&'a str),
    /// A binary message (a binary WebSocket frame, or `b` + base64 over polling).
    Binary(Bytes),
    /// `5`: switch to the probed transport.
    Upgrade,
    /// `6`: does nothing (flushes a pending poll during an upgrade).
    Noop,
}

/// Why a frame is not an Engine.IO packet.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PacketError {
    /// The frame was empty.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type `0`..`6`.
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    /// A `b`-prefixed polling packet did not hold valid base64.
    #[error("invalid base64 in binary packet")]
    InvalidBase64,
}

impl<'a> Packet<'a> {
    /// Decodes a text frame.
    pub fn decode(text: &'a str) -> Result<Packet<'a>, PacketError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(PacketError::Empty)?;
        let data = &text[kind.len_utf8()..];
        Ok(match kind {
            '0' => Packet::Open(data),
            '1' => Packet::Close,
            '2' => Packet::Ping(data),
            '3' => Packet::Pong(data),
            '4' => Packet::Message(data),
            '5' => Packet::Upgrade,
            '6' => Packet::Noop,
            other => return Err(PacketError::UnknownType(other)),
        })
    }

    /// engine.io's name of the packet type (`open`, `close`, `ping`, `pong`, `message`,
    /// `upgrade`, `noop`), as its `packet`/`packetCreate` events give it; binary is a
    /// `message` too.
    pub fn type_name(&self) -> &'static str {
        match self {
            Packet::Open(_) => "open",
            Packet::Close => "close",
            Packet::Ping(_) => "ping",
            Packet::Pong(_) => "pong",
            Packet::Message(_) | Packet::Binary(_) => "message",
            Packet::Upgrade => "upgrade",
            Packet::Noop => "noop",
        }
    }

    /// Encodes for the wire.
    pub fn encode(&self) -> Frame {
        let text = match self {
            Packet::Open(d) => format!("0{d}"),
            Packet::Close => "1".into(),
            Packet::Ping(d) => format!("2{d}"),
            Packet::Pong(d) => format!("3{d}"),
            Packet::Message(d) => format!("4{d}"),
            Packet::Binary(b) => return Frame::Binary(b.clone()),
            Packet::Upgrade => "5".into(),
            Packet::Noop => "6".into(),
        };
        Frame::Text(text.into())
    }
}

/// An encoded packet ready for any transport, cheap to clone: a broadcast encodes one
/// `Frame` and queues clones of it to every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text packet, type digit included (`"4..."`, `"2"`).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Frame {
    /// A message frame (`4` + text).
    pub fn message(text: &str) -> Frame {
        let mut s = String::with_capacity(text.len() + 1);
        s.push('4');
        s.push_str(text);
        Frame::Text(s.into())
    }

    /// The packet type digit of a text frame (`None` for binary).
    pub fn kind(&self) -> Option<char> {
        match self {
            Frame::Text(t) => t.as_str().chars().next(),
            Frame::Binary(_) => None,
        }
    }

    /// Bytes this frame takes in a polling payload (for batching limits).
    pub fn polling_len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => 1 + b.len().div_ceil(3) * 4,
        }
    }

    /// Decodes back into a packet view (for `packetCreate` listeners and tests).
    pub fn packet(&self) -> Result<Packet<'_>, PacketError> {
        match self {
            Frame::Text(t) => Packet::decode(t.as_str()),
            Frame::Binary(b) => Ok(Packet::Binary(b.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_type() {
        assert_eq!(Packet::decode("0{}"), Ok(Packet::Open("{}")));
        assert_eq!(Packet::decode("1"), Ok(Packet::Close));
        assert_eq!(Packet::decode("2probe"), Ok(Packet::Ping("probe")));
        assert_eq!(Packet::decode("3"), Ok(Packet::Pong("")));
        assert_eq!(Packet::decode("4héllo"), Ok(Packet::Message("héllo")));
        assert_eq!(Packet::decode("5"), Ok(Packet::Upgrade));
        assert_eq!(Packet::decode("6"), Ok(Packet::Noop));
        assert_eq!(Packet::decode(""), Err(PacketError::Empty));
        assert_eq!(Packet::decode("a123"), Err(PacketError::UnknownType('a')));
        assert_eq!(Packet::decode("é"), Err(PacketError::UnknownType('é')));
    }

    #[test]
    fn names_every_type() {
        let names: Vec<_> =
            ["0{}", "1", "2", "3", "4x", "5", "6"].iter().map(|t| Packet::decode(t).unwrap().type_name()).collect();
        assert_eq!(names, ["open", "close", "ping", "pong", "message", "upgrade", "noop"]);
        assert_eq!(Packet::Binary(Bytes::from_static(b"x")).type_name(), "message");
    }

    #[test]
    fn round_trips() {
        for text in ["0{\"sid\":1}", "1", "2", "3probe", "4x", "5", "6"] {
            let f = Packet::decode(text).unwrap().encode();
            assert_eq!(f, Frame::Text(text.into()));
        }
        assert_eq!(Frame::message("hi"), Frame::Text("4hi".into()));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = Packet::decode(&s);
        }
    }
}
