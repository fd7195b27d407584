//! The engine's own WebSocket framing (RFC 6455, server side) over a byte stream, in place
//! of tungstenite's: an idle connection holds no buffer. Reads go to a buffer on the stack
//! (the task's poll, not its future); only what is left of a frame when a read ends is
//! kept, and a frame's payload is read straight into the message's own allocation. Writes
//! are batched in a buffer that is freed once flushed.
//!
//! Behaviour as tungstenite's (which it replaces here; the client still uses tungstenite):
//! pings answered with pongs, a close answered with the same close frame (1002 for a code
//! that may not be sent), frames and messages over `max` bytes refused as a capacity error
//! (the transport closes with 1009), protocol violations (unmasked or reserved bits,
//! unknown opcodes, bad fragmentation, oversize control frames, invalid UTF-8) as errors.
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::ws_conn::BoxIo;
use crate::engine::deflate::frame::{
    apply_mask, first_byte, write_header, Header, OP_BINARY, OP_CONTINUATION, OP_TEXT,
};

const OP_CLOSE: u8 = 8;
const OP_PING: u8 = 9;
const OP_PONG: u8 = 10;

/// What one read takes at most, into a buffer on the stack. A frame's payload that does not
/// arrive whole in it is read straight into the message's buffer.
const READ_CHUNK: usize = 8 * 1024;

/// How much a partly read frame's buffer grows at a time.
const GROWTH: usize = 64 * 1024;

/// Bytes waiting to be written above which pings go unanswered.
const PONG_BACKLOG: usize = 16 * 1024;

/// A message or event from the peer.
pub(super) enum Event {
    Text(Utf8Bytes),
    Binary(Bytes),
    /// The peer's close frame (answered already).
    Close,
    /// A ping (answered) or a pong.
    Control,
}

/// Why reading stopped (the end of the stream, or its failure, is no message at all).
pub(super) enum ReadFail {
    /// A frame or message over the size limit.
    TooBig,
    /// The peer broke the protocol.
    Protocol(&'static str),
}

/// A WebSocket's server end over `io`.
pub(super) struct OwnWs {
    io: BoxIo,
    /// Largest frame or message accepted.
    max: usize,
    /// The frame being read once its header is in: its payload so far (capacity: all of it).
    head: Option<Header>,
    /// With `head`: the payload so far; without: bytes read past the last frame handled
    /// (the start of the next frames). Empty and unallocated between messages.
    rbuf: Vec<u8>,
    /// A fragmented data message so far: text or not, and its payload.
    partial: Option<(bool, Vec<u8>)>,
    /// Frames to write; `wpos` of them written. Unallocated once flushed.
    wbuf: Vec<u8>,
    wpos: usize,
    /// A close frame went out: no more frames, and the peer's close only acknowledges it.
    sent_close: bool,
    /// The peer's close frame came.
    got_close: bool,
    /// Reading is over (the end of the stream, an error, or after a close).
    ended: bool,
    /// The stream ended or failed.
    eof: bool,
}

impl OwnWs {
    /// `head`: bytes the peer sent past the handshake, read before the stream; `answer`:
    /// bytes to write before the first frames (the 101, so that both go in one write).
    pub(super) fn new(io: BoxIo, max: usize, head: Bytes, answer: Bytes) -> OwnWs {
        OwnWs {
            io,
            max,
            head: None,
            rbuf: head.to_vec(),
            partial: None,
            wbuf: answer.to_vec(),
            wpos: 0,
            sent_close: false,
            got_close: false,
            ended: false,
            eof: false,
        }
    }

    pub(super) fn io_mut(&mut self) -> &mut BoxIo {
        &mut self.io
    }

    /// The next message or event from the peer; `None` once reading is over.
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Event, ReadFail>>> {
        let res = ready!(self.poll_recv_inner(cx));
        if !matches!(res, Some(Ok(Event::Text(_) | Event::Binary(_) | Event::Control))) {
            self.ended = true;
            self.rbuf = Vec::new();
            self.partial = None;
            self.head = None;
        }
        Poll::Ready(res)
    }

    fn poll_recv_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Event, ReadFail>>> {
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            if let Some(h) = self.head {
                let len = h.len as usize;
                if self.rbuf.len() < len {
                    // The rest of the payload, straight into its buffer.
                    // The buffer grows with what arrives (a chunk at a time), not with what the
                    // header announced: a peer that announces a large frame and sends nothing
                    // more holds no more memory than it sent.
                    let missing = len - self.rbuf.len();
                    self.rbuf.reserve(missing.min(GROWTH));
                    let room = self.rbuf.capacity() - self.rbuf.len();
                    let spare = &mut self.rbuf.spare_capacity_mut()[..missing.min(room)];
                    let mut buf = ReadBuf::uninit(spare);
                    let read = ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf));
                    let n = buf.filled().len();
                    if read.is_err() || n == 0 {
                        self.eof = true;
                        return Poll::Ready(None);
                    }
                    // SAFETY: `poll_read` initialised the first `n` spare bytes.
                    unsafe { self.rbuf.set_len(self.rbuf.len() + n) };
                    continue;
                }
                self.head = None;
                let mut payload = std::mem::take(&mut self.rbuf);
                if let Some(key) = h.mask {
                    apply_mask(&mut payload, key, 0);
                }
                if let Some(ev) = self.on_frame(&h, payload) {
                    return Poll::Ready(Some(ev));
                }
                continue;
            }
            if !self.rbuf.is_empty() {
                let buf = std::mem::take(&mut self.rbuf);
                let (used, ev) = self.step(&buf);
                if used == 0 && ev.is_none() {
                    // Not a whole header yet: read more behind it.
                    self.rbuf = buf;
                    let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
                    let mut rb = ReadBuf::uninit(&mut chunk);
                    if ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb)).is_err() || rb.filled().is_empty() {
                        self.eof = true;
                        return Poll::Ready(None);
                    }
                    self.rbuf.extend_from_slice(rb.filled());
                    continue;
                }
                if self.head.is_none() && used < buf.len() {
                    self.rbuf = buf[used..].to_vec();
                }
                if let Some(ev) = ev {
                    return Poll::Ready(Some(ev));
                }
                continue;
            }
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut rb = ReadBuf::uninit(&mut chunk);
            let read = ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb));
            let data = rb.filled();
            if read.is_err() || data.is_empty() {
                self.eof = true;
                return Poll::Ready(None);
            }
            let mut at = 0;
            while at < data.len() {
                let (used, ev) = self.step(&data[at..]);
                if used == 0 && ev.is_none() {
                    // A header cut by the end of the read.
                    self.rbuf = data[at..].to_vec();
                    break;
                }
                at += used;
                if let Some(ev) = ev {
                    if self.head.is_none() && at < data.len() {
                        self.rbuf = data[at..].to_vec();
                    }
                    return Poll::Ready(Some(ev));
                }
            }
        }
    }

    /// Handles the frame at the start of `data`: returns the bytes it took and what it
    /// gave, `(0, None)` when `data` does not hold its header yet. A frame whose payload
    /// is not all in `data` takes all of it and waits in `head`/`rbuf` for the rest.
    fn step(&mut self, data: &[u8]) -> (usize, Option<Result<Event, ReadFail>>) {
        let Some(h) = Header::parse(data) else {
            return (0, None);
        };
        if let Err(e) = self.check(&h) {
            return (data.len(), Some(Err(e)));
        }
        let len = h.len as usize;
        let rest = &data[h.size..];
        if rest.len() < len {
            let mut payload = Vec::with_capacity(len.min(rest.len() + GROWTH));
            payload.extend_from_slice(rest);
            self.rbuf = payload;
            self.head = Some(h);
            return (data.len(), None);
        }
        let mut payload = rest[..len].to_vec();
        if let Some(key) = h.mask {
            apply_mask(&mut payload, key, 0);
        }
        (h.size + len, self.on_frame(&h, payload))
    }

    /// The header's rules (before its payload is read).
    fn check(&self, h: &Header) -> Result<(), ReadFail> {
        if h.rsv1 || h.reserved != 0 {
            return Err(ReadFail::Protocol("reserved bits set"));
        }
        if h.mask.is_none() {
            return Err(ReadFail::Protocol("unmasked frame from a client"));
        }
        match h.opcode {
            OP_CLOSE | OP_PING | OP_PONG => {
                if !h.fin {
                    return Err(ReadFail::Protocol("fragmented control frame"));
                }
                if h.len > 125 {
                    return Err(ReadFail::Protocol("control frame too big"));
                }
            }
            OP_CONTINUATION if self.partial.is_none() => return Err(ReadFail::Protocol("unexpected continuation")),
            OP_TEXT | OP_BINARY if self.partial.is_some() => return Err(ReadFail::Protocol("expected a continuation")),
            OP_CONTINUATION | OP_TEXT | OP_BINARY => {}
            _ => return Err(ReadFail::Protocol("unknown opcode")),
        }
        if h.len > self.max as u64 {
            return Err(ReadFail::TooBig);
        }
        Ok(())
    }

    /// A whole frame (unmasked): the message it completes, a control event, or nothing yet.
    fn on_frame(&mut self, h: &Header, payload: Vec<u8>) -> Option<Result<Event, ReadFail>> {
        match h.opcode {
            OP_PING => {
                // A peer that pings without reading our answers gets no more of them once
                // PONG_BACKLOG bytes wait to be written: unanswered pings cost it, not us.
                if !self.sent_close && self.buffered() < PONG_BACKLOG {
                    self.queue_frame(OP_PONG, &payload);
                }
                Some(Ok(Event::Control))
            }
            OP_PONG => Some(Ok(Event::Control)),
            OP_CLOSE => Some(self.on_close(&payload).map(|()| Event::Close)),
            OP_CONTINUATION => {
                let (text, mut msg) = self.partial.take()?;
                if msg.len() + payload.len() > self.max {
                    return Some(Err(ReadFail::TooBig));
                }
                msg.extend_from_slice(&payload);
                if !h.fin {
                    self.partial = Some((text, msg));
                    return None;
                }
                Some(message(text, msg))
            }
            op => {
                let text = op == OP_TEXT;
                if !h.fin {
                    self.partial = Some((text, payload));
                    return None;
                }
                Some(message(text, payload))
            }
        }
    }

    /// The peer's close frame: answered with the same one (1002 for a code that may not be
    /// sent) unless it answers ours.
    fn on_close(&mut self, payload: &[u8]) -> Result<(), ReadFail> {
        let code = match payload.len() {
            0 => None,
            1 => return Err(ReadFail::Protocol("invalid close frame")),
            _ => {
                std::str::from_utf8(&payload[2..]).map_err(|_| ReadFail::Protocol("invalid close reason"))?;
                Some(CloseCode::from(u16::from_be_bytes([payload[0], payload[1]])))
            }
        };
        self.got_close = true;
        if !self.sent_close {
            self.sent_close = true;
            match code {
                Some(c) if !c.is_allowed() => {
                    let mut reply = u16::from(CloseCode::Protocol).to_be_bytes().to_vec();
                    reply.extend_from_slice(b"Protocol violation");
                    self.queue_frame(OP_CLOSE, &reply);
                }
                _ => self.queue_frame(OP_CLOSE, payload),
            }
        }
        Ok(())
    }

    /// Appends a whole unmasked frame to the write buffer.
    fn queue_frame(&mut self, opcode: u8, payload: &[u8]) {
        self.queue_fragment(true, opcode, payload);
    }

    fn queue_fragment(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        self.wbuf.reserve(payload.len() + 10);
        write_header(&mut self.wbuf, first_byte(fin, false, opcode), payload.len() as u64, None);
        self.wbuf.extend_from_slice(payload);
    }

    /// Bytes waiting to be written.
    pub(super) fn buffered(&self) -> usize {
        self.wbuf.len() - self.wpos
    }

    /// Appends a data frame (a message, or a fragment of one: `first` says whether it
    /// opens the message, `fin` whether it ends it). Dropped after a close went out.
    pub(super) fn queue_data(&mut self, text: bool, first: bool, fin: bool, payload: &[u8]) {
        if self.sent_close {
            return;
        }
        let opcode = match (first, text) {
            (false, _) => OP_CONTINUATION,
            (true, true) => OP_TEXT,
            (true, false) => OP_BINARY,
        };
        self.queue_fragment(fin, opcode, payload);
    }

    /// Queues our close frame (`None`: without a status); false if the peer's close or
    /// the end of the stream came first (tungstenite's `ConnectionClosed`).
    pub(super) fn queue_close(&mut self, code: Option<CloseCode>) -> bool {
        if self.got_close || self.eof {
            return false;
        }
        if !self.sent_close {
            self.sent_close = true;
            let payload = code.map(|c| u16::from(c).to_be_bytes());
            self.queue_frame(OP_CLOSE, payload.as_ref().map_or(&[][..], |p| &p[..]));
        }
        true
    }

    /// Writes some of the write buffer (`Ready` once something was written, or nothing
    /// is buffered).
    pub(super) fn poll_write_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.wpos < self.wbuf.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.wbuf[self.wpos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.wpos += n;
            if self.wpos == self.wbuf.len() {
                self.wbuf = Vec::new();
                self.wpos = 0;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes out the write buffer and flushes the stream; the buffer is freed.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.wpos < self.wbuf.len() {
            ready!(self.poll_write_some(cx))?;
        }
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }
}

fn message(text: bool, payload: Vec<u8>) -> Result<Event, ReadFail> {
    if !text {
        return Ok(Event::Binary(Bytes::from(payload)));
    }
    Utf8Bytes::try_from(payload).map(Event::Text).map_err(|_| ReadFail::Protocol("invalid UTF-8"))
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    use super::*;

    const KEY: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

    /// A client frame: masked with `KEY`.
    fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
        crate::engine::deflate::frame::client_frame(first_byte, payload, KEY)
    }

    fn pair(max: usize) -> (OwnWs, DuplexStream) {
        let (a, b) = tokio::io::duplex(1 << 20);
        (OwnWs::new(Box::new(a), max, Bytes::new(), Bytes::new()), b)
    }

    async fn recv(ws: &mut OwnWs) -> Option<Result<Event, ReadFail>> {
        poll_fn(|cx| ws.poll_recv(cx)).await
    }

    async fn text(ws: &mut OwnWs) -> String {
        match recv(ws).await {
            Some(Ok(Event::Text(t))) => t.as_str().to_owned(),
            _ => panic!("expected a text message"),
        }
    }

    /// What the server wrote, once flushed.
    async fn written(ws: &mut OwnWs, peer: &mut DuplexStream, n: usize) -> Vec<u8> {
        poll_fn(|cx| ws.poll_flush(cx)).await.expect("flush");
        let mut out = vec![0; n];
        peer.read_exact(&mut out).await.expect("read");
        out
    }

    #[tokio::test]
    async fn messages_whole_split_and_batched() {
        let (mut ws, mut peer) = pair(1 << 20);
        // Two frames in one write, then one cut inside its header and its payload.
        let mut batch = frame(0x81, b"hello");
        batch.extend(frame(0x81, b"world"));
        peer.write_all(&batch).await.unwrap();
        assert_eq!(text(&mut ws).await, "hello");
        assert_eq!(text(&mut ws).await, "world");
        let long = "x".repeat(70_000);
        let f = frame(0x81, long.as_bytes());
        let cut = [1, 5, 9000, f.len()];
        let mut at = 0;
        let reader = tokio::spawn(async move { (text(&mut ws).await, ws) });
        for end in cut {
            peer.write_all(&f[at..end]).await.unwrap();
            tokio::task::yield_now().await;
            at = end;
        }
        let (got, mut ws) = reader.await.unwrap();
        assert_eq!(got, long);
        // Binary, fragmented, with a ping between the fragments (answered at once).
        peer.write_all(&frame(0x02, b"ab")).await.unwrap();
        peer.write_all(&frame(0x89, b"p")).await.unwrap();
        peer.write_all(&frame(0x80, b"cd")).await.unwrap();
        assert!(matches!(recv(&mut ws).await, Some(Ok(Event::Control))));
        assert_eq!(written(&mut ws, &mut peer, 3).await, [0x8a, 1, b'p']);
        match recv(&mut ws).await {
            Some(Ok(Event::Binary(b))) => assert_eq!(&b[..], b"abcd"),
            _ => panic!("expected the binary message"),
        }
        // Idle: nothing held.
        assert_eq!((ws.rbuf.capacity(), ws.wbuf.capacity()), (0, 0));
    }

    #[tokio::test]
    async fn memory_follows_what_arrives_not_what_is_announced() {
        let (mut ws, mut peer) = pair(8 << 20);
        // A header announcing 4 MB, then 10 bytes of it: the buffer holds a chunk, not 4 MB.
        let mut head = Vec::new();
        write_header(&mut head, 0x82, 4 << 20, Some(KEY));
        head.extend_from_slice(&[0; 10]);
        peer.write_all(&head).await.unwrap();
        let pending = poll_fn(|cx| Poll::Ready(ws.poll_recv(cx).is_pending())).await;
        assert!(pending, "a partial frame is no message");
        assert!(ws.rbuf.capacity() <= GROWTH + READ_CHUNK, "buffer of {} bytes", ws.rbuf.capacity());
    }

    #[tokio::test]
    async fn pings_without_reading_the_pongs_stop_being_answered() {
        let (mut ws, mut peer) = pair(1 << 20);
        let ping = frame(0x89, &[7; 100]);
        for _ in 0..1000 {
            peer.write_all(&ping).await.unwrap();
            assert!(matches!(recv(&mut ws).await, Some(Ok(Event::Control))));
        }
        // Nothing was flushed: what waits is bounded, not 1000 pongs.
        assert!(ws.buffered() <= PONG_BACKLOG + 102, "{} bytes of pongs wait", ws.buffered());
    }

    #[tokio::test]
    async fn close_is_answered_and_ends_reading() {
        let (mut ws, mut peer) = pair(1024);
        peer.write_all(&frame(0x88, &[0x03, 0xe8, b'b', b'y', b'e'])).await.unwrap();
        assert!(matches!(recv(&mut ws).await, Some(Ok(Event::Close))));
        assert!(recv(&mut ws).await.is_none());
        assert!(!ws.queue_close(None), "the peer closed first");
        assert_eq!(written(&mut ws, &mut peer, 7).await, [0x88, 5, 0x03, 0xe8, b'b', b'y', b'e']);
        // A code that may not be sent is answered with 1002.
        let (mut ws, mut peer) = pair(1024);
        peer.write_all(&frame(0x88, &[0x03, 0xed])).await.unwrap();
        assert!(matches!(recv(&mut ws).await, Some(Ok(Event::Close))));
        let reply = written(&mut ws, &mut peer, 2 + 2 + 18).await;
        assert_eq!(&reply[..4], [0x88, 20, 0x03, 0xea]);
        // Ours, then the peer's answer.
        let (mut ws, mut peer) = pair(1024);
        assert!(ws.queue_close(Some(CloseCode::Size)));
        assert_eq!(written(&mut ws, &mut peer, 4).await, [0x88, 2, 0x03, 0xf1]);
        peer.write_all(&frame(0x88, &[])).await.unwrap();
        assert!(matches!(recv(&mut ws).await, Some(Ok(Event::Close))));
        assert_eq!(ws.buffered(), 0, "an answer is not answered");
    }

    #[tokio::test]
    async fn limits_and_protocol_errors() {
        let cases: Vec<(Vec<u8>, bool)> = vec![
            (frame(0x81, &[b'a'; 11]), true),
            ([frame(0x01, &[b'a'; 6]), frame(0x80, &[b'a'; 6])].concat(), true),
            (frame(0xc1, b"a"), false),           // RSV1 without an extension
            (frame(0x83, b"a"), false),           // reserved opcode
            (frame(0x80, b"a"), false),           // continuation of nothing
            (frame(0x09, b"a"), false),           // fragmented ping
            (frame(0x81, &[0xff, 0xfe]), false),  // invalid UTF-8
            ([0x81, 0x01, b'a'].to_vec(), false), // unmasked
            ([frame(0x01, b"a"), frame(0x81, b"b")].concat(), false), // a new message inside one
        ];
        for (i, (bytes, too_big)) in cases.into_iter().enumerate() {
            let (mut ws, mut peer) = pair(10);
            peer.write_all(&bytes).await.unwrap();
            match recv(&mut ws).await {
                Some(Err(ReadFail::TooBig)) => assert!(too_big, "case {i}"),
                Some(Err(ReadFail::Protocol(_))) => assert!(!too_big, "case {i}"),
                _ => panic!("case {i}: expected an error"),
            }
            assert!(recv(&mut ws).await.is_none(), "case {i}: reading is over");
            assert!(ws.queue_close(None), "case {i}: the close frame still goes out");
        }
    }

    #[tokio::test]
    async fn end_of_stream() {
        let (mut ws, peer) = pair(10);
        drop(peer);
        assert!(recv(&mut ws).await.is_none());
        assert!(!ws.queue_close(None));
    }

    #[tokio::test]
    async fn writes_and_frees_the_buffer() {
        let (mut ws, mut peer) = pair(10);
        ws.queue_data(true, true, true, b"4hi");
        ws.queue_data(false, true, false, &[1, 2]);
        ws.queue_data(false, false, true, &[3]);
        let out = written(&mut ws, &mut peer, 5 + 4 + 3).await;
        assert_eq!(out, [0x81, 3, b'4', b'h', b'i', 0x02, 2, 1, 2, 0x80, 1, 3]);
        assert_eq!(ws.wbuf.capacity(), 0);
    }
}
