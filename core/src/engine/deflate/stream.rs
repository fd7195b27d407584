//! The byte-stream layer under tungstenite that does permessage-deflate.
//!
//! Reading, frames whose first fragment has RSV1 set are inflated and handed on as
//! ordinary frames of at most [`CHUNK`] bytes each (so a small frame that inflates to a lot
//! never sits whole in memory); a message that inflates past `limit` is handed on as a frame
//! announcing more than tungstenite's frame limit, which tungstenite answers with its usual
//! 1009 close. Writing, each data message tungstenite writes is deflated (RSV1 on its first
//! frame) when its [`Hints`] entry says so; control frames pass untouched.
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frame::{self, apply_mask, first_byte, write_header, Header, OP_CONTINUATION, RSV2};
use super::negotiate::{self, Agreement};

/// Inflated bytes per frame handed to tungstenite.
const CHUNK: usize = 16 * 1024;
/// Bytes read from the socket at a time.
const READ: usize = 8 * 1024;
/// Written bytes we hold before a write waits for the socket.
const HIGH_WATER: usize = 64 * 1024;
/// What RFC 7692 §7.2.2 has the sender strip and the receiver add back.
const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];
/// The most a client's handshake answer may take before we stop looking for its end.
const MAX_HANDSHAKE: usize = 16 * 1024;
/// Compression level: zlib's default (as `ws` uses).
const LEVEL: u32 = 6;

/// Which end of the connection this stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

/// Whether each message handed to tungstenite may be compressed, in the order handed over:
/// the writer of the connection knows the message (its `compress` flag, its whole length
/// when it is sent as fragments), the stream only sees frames.
#[derive(Debug)]
pub struct Hints {
    queue: Mutex<VecDeque<bool>>,
    threshold: usize,
}

impl Hints {
    fn new(threshold: usize) -> Hints {
        Hints { queue: Mutex::new(VecDeque::new()), threshold }
    }

    /// Records the next data message: `len` bytes, `compress` as the emit asked.
    pub fn push(&self, compress: bool, len: usize) {
        let yes = compress && len >= self.threshold;
        self.queue.lock().expect("hints lock poisoned").push_back(yes);
    }

    /// The decision for a data message whose first frame has `len` bytes: its hint, or the
    /// threshold when nobody said.
    fn decide(&self, len: usize) -> bool {
        self.queue.lock().expect("hints lock poisoned").pop_front().unwrap_or(len >= self.threshold)
    }
}

/// An incoming frame in progress.
struct InFrame {
    header: Header,
    remaining: u64,
    /// Payload bytes seen (the mask's position).
    offset: usize,
    /// Compressed: inflated; otherwise handed on as it arrives.
    inflate: bool,
    /// Unmasked compressed bytes not inflated yet.
    input: BytesMut,
    /// How much of [`TAIL`] went in after the message's last byte.
    tail_fed: usize,
    /// The inflater has given all it has for what went in.
    drained: bool,
}

/// An incoming compressed message in progress.
struct InMessage {
    /// The message's opcode, until its first inflated frame carries it.
    opcode: Option<u8>,
    size: usize,
    chunk: Vec<u8>,
    /// Whether any compressed byte arrived: an empty compressed message is an empty
    /// message (the tail alone is no deflate data).
    deflated: bool,
}

struct Reader {
    raw: BytesMut,
    out: BytesMut,
    frame: Option<InFrame>,
    message: Option<InMessage>,
    inflater: Option<Decompress>,
    /// The peer resets its compressor after each message: so do we our inflater.
    reset: bool,
    limit: usize,
    /// A client's stream until the end of the server's 101.
    handshake: bool,
    /// Everything passes untouched: no extension, or after a failure tungstenite reported.
    passthrough: bool,
}

struct Writer {
    pending: BytesMut,
    out: BytesMut,
    /// `None`: frames pass untouched.
    deflate: Option<Deflater>,
    /// Within a message being compressed (its continuation frames are too).
    compressing: bool,
}

struct Deflater {
    z: Option<Compress>,
    reset: bool,
    hints: Arc<Hints>,
}

/// A byte stream with permessage-deflate applied to the WebSocket frames crossing it: put
/// it between the TCP (or TLS) stream and tungstenite. The engine's server and client use
/// it; so does the bench's load generator.
pub struct DeflateStream<S> {
    inner: S,
    side: Side,
    read: Reader,
    write: Writer,
    hints: Arc<Hints>,
}

impl<S> DeflateStream<S> {
    fn new(inner: S, side: Side, threshold: usize, limit: usize) -> DeflateStream<S> {
        DeflateStream {
            inner,
            side,
            read: Reader {
                raw: BytesMut::new(),
                out: BytesMut::new(),
                frame: None,
                message: None,
                inflater: None,
                reset: false,
                limit,
                handshake: false,
                passthrough: false,
            },
            write: Writer { pending: BytesMut::new(), out: BytesMut::new(), deflate: None, compressing: false },
            hints: Arc::new(Hints::new(threshold)),
        }
    }

    /// `bytes` go out first, untouched, with the first frames written (the server's 101
    /// when it is written together with the open packet).
    pub(crate) fn with_preamble(mut self, bytes: Bytes) -> Self {
        self.write.out.extend_from_slice(&bytes);
        self
    }

    /// The server's stream once it answered `agreement`; `head`: bytes of the connection
    /// read past the upgrade request. Messages inflating past `limit` bytes fail.
    pub(crate) fn server(inner: S, agreement: Agreement, threshold: usize, limit: usize, head: Bytes) -> Self {
        let mut s = DeflateStream::new(inner, Side::Server, threshold, limit);
        s.read.raw.extend_from_slice(&head);
        s.activate(agreement);
        s
    }

    /// A client's stream, from before its upgrade request (which must offer
    /// [`CLIENT_OFFER`](super::CLIENT_OFFER) in `Sec-WebSocket-Extensions`): the server's
    /// answer decides whether frames are compressed; messages of at least `threshold`
    /// bytes are, and a message inflating past `limit` bytes fails the connection.
    pub fn client(inner: S, threshold: usize, limit: usize) -> Self {
        let mut s = DeflateStream::new(inner, Side::Client, threshold, limit);
        s.read.handshake = true;
        s
    }

    /// Where the connection's writer records its messages' compress decisions.
    pub fn hints(&self) -> Arc<Hints> {
        self.hints.clone()
    }

    fn activate(&mut self, a: Agreement) {
        let (ours, theirs) = match self.side {
            Side::Server => (a.server_no_context_takeover, a.client_no_context_takeover),
            Side::Client => (a.client_no_context_takeover, a.server_no_context_takeover),
        };
        self.read.reset = theirs;
        self.write.deflate = Some(Deflater { z: None, reset: ours, hints: self.hints.clone() });
    }

    /// Frames we hand to tungstenite: a server's tungstenite wants them masked (a zero key
    /// leaves the payload as it is).
    fn out_mask(&self) -> Option<[u8; 4]> {
        (self.side == Side::Server).then_some([0; 4])
    }

    /// Moves bytes from `raw` towards `out`; false when more input is needed.
    fn progress(&mut self) -> bool {
        if self.read.handshake {
            return self.end_of_handshake();
        }
        if self.read.passthrough || self.write.deflate.is_none() {
            if self.read.raw.is_empty() {
                return false;
            }
            let all = self.read.raw.split();
            self.read.out.unsplit(all);
            return true;
        }
        let Some(frame) = &self.read.frame else { return self.start_frame() };
        if frame.inflate {
            return self.inflate_step();
        }
        let r = &mut self.read;
        let frame = r.frame.as_mut().expect("checked above");
        let n = frame.remaining.min(r.raw.len() as u64) as usize;
        if n == 0 && frame.remaining > 0 {
            return false;
        }
        let bytes = r.raw.split_to(n);
        r.out.unsplit(bytes);
        frame.remaining -= n as u64;
        if frame.remaining == 0 {
            r.frame = None;
        }
        true
    }

    fn start_frame(&mut self) -> bool {
        let r = &mut self.read;
        let Some(h) = Header::parse(&r.raw) else { return false };
        let starts = h.rsv1 && h.is_data() && r.message.is_none();
        let continues = h.opcode == OP_CONTINUATION && !h.rsv1 && r.message.is_some();
        let inflate = starts || continues;
        if inflate {
            r.raw.advance(h.size);
            if starts {
                r.message = Some(InMessage {
                    opcode: Some(h.opcode),
                    size: 0,
                    chunk: Vec::with_capacity(CHUNK),
                    deflated: false,
                });
            }
        } else {
            // As it is: tungstenite judges it (RSV1 where it does not belong fails there).
            let bytes = r.raw.split_to(h.size);
            r.out.unsplit(bytes);
        }
        let frame = InFrame {
            header: h,
            remaining: h.len,
            offset: 0,
            inflate,
            input: BytesMut::new(),
            tail_fed: 0,
            drained: true,
        };
        r.frame = (inflate || h.len > 0).then_some(frame);
        true
    }

    fn inflate_step(&mut self) -> bool {
        let mask = self.out_mask();
        let r = &mut self.read;
        let frame = r.frame.as_mut().expect("a frame is in progress");
        let msg = r.message.as_mut().expect("a compressed frame belongs to a message");
        let mut progressed = false;
        let n = frame.remaining.min(r.raw.len() as u64) as usize;
        if n > 0 {
            let mut bytes = r.raw.split_to(n);
            if let Some(key) = frame.header.mask {
                apply_mask(&mut bytes, key, frame.offset);
            }
            frame.offset += n;
            frame.remaining -= n as u64;
            frame.input.unsplit(bytes);
            frame.drained = false;
            msg.deflated = true;
            progressed = true;
        }
        let at_end = frame.remaining == 0 && frame.header.fin;
        let feeding_tail = msg.deflated && frame.input.is_empty() && at_end && frame.tail_fed < TAIL.len();
        let src: &[u8] = if feeding_tail { &TAIL[frame.tail_fed..] } else { &frame.input };
        let src_len = src.len();
        if src_len == 0 && frame.drained {
            if frame.remaining > 0 {
                return progressed;
            }
            // The frame is done; at the message's end, so is the message.
            if frame.header.fin {
                let chunk = std::mem::take(&mut msg.chunk);
                let opcode = msg.opcode.take().unwrap_or(OP_CONTINUATION);
                emit(&mut r.out, true, opcode, &chunk, mask);
                r.message = None;
                if r.reset {
                    r.inflater = None;
                }
            }
            r.frame = None;
            return true;
        }
        let z = r.inflater.get_or_insert_with(|| Decompress::new(false));
        let (in0, out0) = (z.total_in(), z.total_out());
        let status = z.decompress_vec(src, &mut msg.chunk, FlushDecompress::Sync);
        let consumed = (z.total_in() - in0) as usize;
        let produced = (z.total_out() - out0) as usize;
        if feeding_tail {
            frame.tail_fed += consumed;
        } else {
            frame.input.advance(consumed);
        }
        msg.size += produced;
        let full = msg.chunk.len() == msg.chunk.capacity();
        match status {
            Err(e) => {
                tracing::debug!(error = %e, "a compressed message does not inflate");
                return self.fail(RSV2 as u64, None);
            }
            // A final block: what follows it (the tail) is not deflate data; the next
            // message starts a new stream.
            Ok(Status::StreamEnd) => {
                frame.input.clear();
                frame.tail_fed = TAIL.len();
                r.inflater = None;
            }
            Ok(_) if consumed == 0 && produced == 0 && !full && src_len > 0 => {
                return self.fail(RSV2 as u64, None);
            }
            Ok(_) => {}
        }
        if msg.size > r.limit {
            tracing::debug!(limit = r.limit, "a compressed message inflates past the limit");
            let (opcode, too_big) = (msg.opcode.unwrap_or(OP_CONTINUATION), r.limit as u64 + 1);
            return self.fail(too_big, Some(opcode));
        }
        frame.drained = !full && consumed == src_len;
        if full {
            let chunk = std::mem::replace(&mut msg.chunk, Vec::with_capacity(CHUNK));
            let opcode = msg.opcode.take().unwrap_or(OP_CONTINUATION);
            emit(&mut r.out, false, opcode, &chunk, mask);
        }
        true
    }

    /// Hands tungstenite a frame it fails the connection on: with `opcode`, a header
    /// announcing `len` bytes (over its size limit: 1009); without, a frame with RSV2 set
    /// (a protocol error). Everything after passes untouched.
    fn fail(&mut self, len: u64, opcode: Option<u8>) -> bool {
        let mut hdr = Vec::with_capacity(14);
        match opcode {
            Some(op) => write_header(&mut hdr, first_byte(false, false, op), len, self.out_mask()),
            None => write_header(&mut hdr, frame::RSV2 | first_byte(true, false, frame::OP_BINARY), 0, self.out_mask()),
        }
        self.read.out.extend_from_slice(&hdr);
        self.read.frame = None;
        self.read.message = None;
        self.read.passthrough = true;
        true
    }

    /// A client's stream: once the server's answer is whole, reads what it agreed to.
    fn end_of_handshake(&mut self) -> bool {
        let r = &mut self.read;
        let Some(end) = r.raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            if r.raw.len() > MAX_HANDSHAKE {
                r.handshake = false;
                r.passthrough = true;
                return true;
            }
            return false;
        };
        let head = r.raw.split_to(end + 4);
        r.handshake = false;
        let text = String::from_utf8_lossy(&head);
        let mut lines = text.split("\r\n");
        let switching = lines.next().is_some_and(|status| status.split(' ').nth(1) == Some("101"));
        let values: Vec<&str> = lines
            .filter_map(|l| l.split_once(':'))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-extensions"))
            .map(|(_, v)| v.trim())
            .collect();
        let answer = negotiate::read_response(values.iter().copied());
        r.out.unsplit(head);
        match answer {
            Ok(Some(agreement)) if switching => self.activate(agreement),
            Ok(_) => self.read.passthrough = true,
            Err(e) => {
                // RFC 7692 §5: a client fails the connection on an answer it did not ask for.
                tracing::debug!(error = %e, "the server answered permessage-deflate wrongly");
                let mut hdr = Vec::new();
                write_header(&mut hdr, RSV2 | first_byte(true, false, frame::OP_BINARY), 0, None);
                self.read.out.extend_from_slice(&hdr);
                self.read.passthrough = true;
            }
        }
        true
    }

    /// Parses whole frames out of `pending` into `out`, deflating what is to be.
    fn encode(&mut self) -> io::Result<()> {
        let w = &mut self.write;
        while let Some(h) = Header::parse(&w.pending) {
            let total = h.size + h.len as usize;
            if w.pending.len() < total {
                break;
            }
            let mut frame = w.pending.split_to(total);
            let Some(d) = &mut w.deflate else {
                w.out.unsplit(frame);
                continue;
            };
            let compress = if h.is_data() {
                w.compressing = d.hints.decide(h.len as usize);
                w.compressing
            } else {
                h.opcode == OP_CONTINUATION && w.compressing
            };
            if !compress {
                w.out.unsplit(frame);
                continue;
            }
            let mut payload = frame.split_off(h.size);
            if let Some(key) = h.mask {
                apply_mask(&mut payload, key, 0);
            }
            let z = d.z.get_or_insert_with(|| Compress::new(Compression::new(LEVEL), false));
            let mut body = deflate(z, &payload)?;
            if h.fin {
                if body.ends_with(&TAIL) {
                    body.truncate(body.len() - TAIL.len());
                } else if body.is_empty() {
                    // zlib writes nothing for a flush right after a flush; the peer appends
                    // the tail, which needs the stored block's header byte before it.
                    body.push(0);
                }
                w.compressing = false;
                if d.reset {
                    d.z = None;
                }
            }
            if let Some(key) = h.mask {
                apply_mask(&mut body, key, 0);
            }
            let mut hdr = Vec::with_capacity(14);
            write_header(&mut hdr, first_byte(h.fin, h.is_data(), h.opcode), body.len() as u64, h.mask);
            w.out.extend_from_slice(&hdr);
            w.out.extend_from_slice(&body);
        }
        Ok(())
    }
}

/// Appends a frame for tungstenite.
fn emit(out: &mut BytesMut, fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) {
    let mut hdr = Vec::with_capacity(14);
    write_header(&mut hdr, first_byte(fin, false, opcode), payload.len() as u64, mask);
    out.extend_from_slice(&hdr);
    out.extend_from_slice(payload);
}

/// `input` deflated and sync-flushed (ending in [`TAIL`]).
fn deflate(z: &mut Compress, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let start = z.total_in();
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(64));
        }
        let done = (z.total_in() - start) as usize;
        z.compress_vec(&input[done..], &mut out, FlushCompress::Sync).map_err(io::Error::other)?;
        if (z.total_in() - start) as usize == input.len() && out.len() < out.capacity() {
            return Ok(out);
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> DeflateStream<S> {
    /// Writes `out` to the socket; ready once all of it is written.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.write.out.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.write.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.write.out.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for DeflateStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.read.out.is_empty() {
                let n = buf.remaining().min(this.read.out.len());
                buf.put_slice(&this.read.out[..n]);
                this.read.out.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.progress() {
                continue;
            }
            let mut scratch = [0u8; READ];
            let mut rb = ReadBuf::new(&mut scratch);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                // The end: what is left unparsed goes on as it is (tungstenite sees the cut).
                this.read.passthrough = true;
                this.read.handshake = false;
                if this.read.raw.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                let rest = this.read.raw.split();
                this.read.out.unsplit(rest);
                continue;
            }
            this.read.raw.extend_from_slice(rb.filled());
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for DeflateStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.write.deflate.is_none() && this.write.pending.is_empty() && this.write.out.is_empty() {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        if this.write.out.len() >= HIGH_WATER {
            ready!(this.poll_drain(cx))?;
        }
        this.write.pending.extend_from_slice(buf);
        this.encode()?;
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
    use tokio_tungstenite::tungstenite::{Error, Message};
    use tokio_tungstenite::WebSocketStream;

    use super::*;

    type Ws = WebSocketStream<DeflateStream<tokio::io::DuplexStream>>;

    /// A client and a server WebSocket over one pipe, both with permessage-deflate, after a
    /// handshake the client's stream reads itself.
    async fn pair(agreement: Agreement, threshold: usize, limit: usize) -> (Ws, Ws, Arc<Hints>) {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let mut client = DeflateStream::client(a, threshold, 64 << 20);
        // The client writes its request untouched and reads the 101 itself.
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("request");
        let mut req = [0u8; 18];
        b.read_exact(&mut req).await.expect("request arrives");
        let answer =
            format!("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: {}\r\n\r\n", agreement.response());
        b.write_all(answer.as_bytes()).await.expect("answer");
        let mut head = vec![0u8; answer.len()];
        client.read_exact(&mut head).await.expect("the answer passes");
        assert_eq!(head, answer.as_bytes());
        let server = DeflateStream::server(b, agreement, threshold, limit, Bytes::new());
        let hints = server.hints();
        let config = WebSocketConfig::default().max_message_size(Some(limit)).max_frame_size(Some(limit));
        let server = WebSocketStream::from_raw_socket(server, Role::Server, Some(config)).await;
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        (client, server, hints)
    }

    fn big_text(n: usize) -> String {
        (0..n).map(|i| format!("message {} of the test; ", i % 97)).collect()
    }

    async fn round_trip(agreement: Agreement, threshold: usize) {
        let (mut client, mut server, _) = pair(agreement, threshold, 10 << 20).await;
        for n in [0, 1, 10, 3_000, 100_000] {
            let text = big_text(n);
            client.send(Message::Text(text.clone().into())).await.expect("client send");
            assert_eq!(server.next().await.expect("a message").expect("valid"), Message::Text(text.clone().into()));
            server.send(Message::Text(text.clone().into())).await.expect("server send");
            assert_eq!(client.next().await.expect("a message").expect("valid"), Message::Text(text.into()));
            let bin: Vec<u8> = (0..n * 10).map(|i| (i % 251) as u8).collect();
            server.send(Message::Binary(bin.clone().into())).await.expect("server send");
            assert_eq!(client.next().await.expect("a message").expect("valid"), Message::Binary(bin.clone().into()));
            client.send(Message::Binary(bin.clone().into())).await.expect("client send");
            assert_eq!(server.next().await.expect("a message").expect("valid"), Message::Binary(bin.into()));
        }
        // Control frames pass between them.
        client.send(Message::Ping(Bytes::from_static(b"p"))).await.expect("ping");
        client.send(Message::Text("after".into())).await.expect("send");
        assert_eq!(server.next().await.expect("ping").expect("valid"), Message::Ping(Bytes::from_static(b"p")));
        assert_eq!(server.next().await.expect("text").expect("valid"), Message::Text("after".into()));
    }

    #[tokio::test]
    async fn messages_round_trip_with_and_without_context_takeover() {
        round_trip(Agreement::default(), 0).await;
        round_trip(Agreement::default(), 1024).await;
        let reset =
            Agreement { server_no_context_takeover: true, client_no_context_takeover: true, ..Default::default() };
        round_trip(reset, 0).await;
    }

    #[tokio::test]
    async fn fragmented_messages_are_compressed_as_one() {
        use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
        use tokio_tungstenite::tungstenite::protocol::frame::Frame;
        let (mut client, mut server, hints) = pair(Agreement::default(), 10, 10 << 20).await;
        let text = big_text(5_000);
        let (a, b) = text.as_bytes().split_at(text.len() / 2);
        hints.push(true, text.len());
        server
            .feed(Message::Frame(Frame::message(Bytes::copy_from_slice(a), OpCode::Data(Data::Text), false)))
            .await
            .expect("first");
        server
            .feed(Message::Frame(Frame::message(Bytes::copy_from_slice(b), OpCode::Data(Data::Continue), true)))
            .await
            .expect("rest");
        // compress(false): sent as it is, however large.
        hints.push(false, text.len());
        server.send(Message::Text(text.clone().into())).await.expect("uncompressed");
        assert_eq!(client.next().await.expect("a message").expect("valid"), Message::Text(text.clone().into()));
        assert_eq!(client.next().await.expect("a message").expect("valid"), Message::Text(text.into()));
    }

    #[tokio::test]
    async fn a_message_inflating_past_the_limit_fails_with_capacity() {
        let (mut client, mut server, _) = pair(Agreement::default(), 0, 100_000).await;
        // A hundred times the limit, a few hundred bytes on the wire.
        client.send(Message::Binary(vec![0u8; 10_000_000].into())).await.expect("client send");
        match server.next().await {
            Some(Err(Error::Capacity(_))) => {}
            other => panic!("expected a capacity error, got {other:?}"),
        }
    }

    /// Everything `input` turns into on the server's read side (as tungstenite would read it).
    fn read_all(input: &[u8], chunks: &[usize]) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        rt.block_on(async {
            let (a, mut b) = tokio::io::duplex(1 << 16);
            let mut server = DeflateStream::server(a, Agreement::default(), 0, 100_000, Bytes::new());
            let input = input.to_vec();
            let chunks = chunks.to_vec();
            let writer = tokio::spawn(async move {
                let mut at = 0;
                for n in chunks.iter().cycle().take(input.len() + 1) {
                    if at >= input.len() {
                        break;
                    }
                    let end = (at + n.max(&1)).min(input.len());
                    if b.write_all(&input[at..end]).await.is_err() {
                        return;
                    }
                    at = end;
                }
                let _ = b.shutdown().await;
                // Keep the pipe open for reading until the other side is done.
                let mut sink = Vec::new();
                let _ = b.read_to_end(&mut sink).await;
            });
            let mut out = Vec::new();
            server.read_to_end(&mut out).await.expect("reads to the end");
            drop(server);
            writer.await.expect("the writer ends");
            out
        })
    }

    proptest::proptest! {
        /// Any bytes from a peer: no panic, and the read ends.
        #[test]
        fn any_input_is_survived(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), chunk in 1usize..64) {
            let _ = read_all(&input, &[chunk]);
        }

        /// Compressed messages split anywhere read the same as in one piece.
        #[test]
        fn compressed_messages_read_the_same_however_they_arrive(texts in proptest::collection::vec("[a-z ]{0,300}", 1..4), chunks in proptest::collection::vec(1usize..50, 1..5)) {
            let mut z = Compress::new(Compression::new(LEVEL), false);
            let mut input = Vec::new();
            for t in &texts {
                let mut body = deflate(&mut z, t.as_bytes()).expect("deflates");
                // zlib writes nothing for an empty message after a flush (no tail to strip).
                if body.ends_with(&TAIL) {
                    body.truncate(body.len() - TAIL.len());
                }
                input.extend(frame::client_frame(0x80 | frame::RSV1 | frame::OP_TEXT, &body, [1, 2, 3, 4]));
            }
            // Each message handed on whole, as an uncompressed frame (masked with a zero key).
            let mut expected = Vec::new();
            for t in &texts {
                write_header(&mut expected, first_byte(true, false, frame::OP_TEXT), t.len() as u64, Some([0; 4]));
                expected.extend_from_slice(t.as_bytes());
            }
            proptest::prop_assert_eq!(read_all(&input, &chunks), expected);
        }
    }

    #[test]
    fn a_truncated_or_corrupt_compressed_frame_is_handed_on_as_an_error() {
        // Not deflate data: tungstenite gets a frame with RSV2 (a protocol error).
        let out = read_all(&frame::client_frame(0x80 | frame::RSV1 | frame::OP_TEXT, &[0xff; 20], [9; 4]), &[7]);
        let h = Header::parse(&out).expect("a frame");
        assert_eq!(out[0] & RSV2, RSV2, "{out:?}");
        assert_eq!(h.len, 0);
    }

    #[test]
    fn hints_fall_back_to_the_threshold() {
        let hints = Hints::new(100);
        hints.push(true, 50);
        hints.push(true, 500);
        hints.push(false, 500);
        assert_eq!([hints.decide(1000), hints.decide(0), hints.decide(1000)], [false, true, false]);
        assert!(hints.decide(100) && !hints.decide(99));
    }
}
