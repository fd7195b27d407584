//! The first request of a connection on the own listener, read before hyper sees it: a
//! WebSocket upgrade to the engine that arrived whole is answered by the engine directly
//! (hyper would write its 101 alone, then the open packet would take a second write);
//! anything else goes to hyper with the bytes read replayed in front of the stream.
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::http::{HeaderName, HeaderValue, Method, Request};
use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What the first read takes at most: an upgrade request longer than this goes to hyper.
const FIRST_READ: usize = 4096;

/// Headers an upgrade request may have to be taken here (more: hyper reads it).
const MAX_HEADERS: usize = 48;

/// Reads what the peer sent so far (at least a byte is known to be there).
pub(super) async fn read_first(stream: &mut TcpStream, max_header_size: usize) -> io::Result<Bytes> {
    let mut buf = Vec::with_capacity(FIRST_READ.min(max_header_size.max(1)));
    stream.read_buf(&mut buf).await?;
    Ok(Bytes::from(buf))
}

/// `bytes` as a WebSocket upgrade request (`GET`, HTTP/1.1, `Upgrade: websocket`) whose
/// request line and headers are all there and within `max_header_size`; with the length of
/// its head. `None`: anything else, for hyper to answer as usual.
pub(super) fn websocket_upgrade(bytes: &[u8], max_header_size: usize) -> Option<(Request<()>, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(len) = parsed.parse(bytes).ok()? else {
        return None;
    };
    if len > max_header_size || parsed.method != Some("GET") || parsed.version != Some(1) {
        return None;
    }
    let upgrade =
        |h: &httparse::Header<'_>| h.name.eq_ignore_ascii_case("upgrade") && h.value.eq_ignore_ascii_case(b"websocket");
    if !parsed.headers.iter().any(upgrade) {
        return None;
    }
    let mut req = Request::builder().method(Method::GET).uri(parsed.path?).body(()).ok()?;
    let map = req.headers_mut();
    map.reserve(parsed.headers.len());
    for h in parsed.headers.iter() {
        map.append(HeaderName::from_bytes(h.name.as_bytes()).ok()?, HeaderValue::from_bytes(h.value).ok()?);
    }
    Some((req, len))
}

/// A stream that reads `ahead` (bytes already read from it) before reading on.
pub(super) struct Replay<T> {
    ahead: Bytes,
    io: T,
}

impl<T> Replay<T> {
    pub(super) fn new(ahead: Bytes, io: T) -> Self {
        Replay { ahead, io }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Replay<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.ahead.is_empty() {
            return Pin::new(&mut self.io).poll_read(cx, buf);
        }
        let n = self.ahead.len().min(buf.remaining());
        buf.put_slice(&self.ahead[..n]);
        self.ahead.advance(n);
        if self.ahead.is_empty() {
            self.ahead = Bytes::new(); // frees the first read's buffer
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Replay<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &[u8] = b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn a_whole_upgrade_request_is_taken_with_its_headers() {
        let mut bytes = UPGRADE.to_vec();
        bytes.extend_from_slice(b"\x81\x82");
        let (req, len) = websocket_upgrade(&bytes, 16 * 1024).expect("an upgrade");
        assert_eq!(len, UPGRADE.len());
        assert_eq!(req.uri().path(), "/socket.io/");
        assert_eq!(req.uri().query(), Some("EIO=4&transport=websocket"));
        assert_eq!(req.headers()["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(req.headers()["upgrade"], "WebSocket");
    }

    #[test]
    fn anything_else_is_left_to_hyper() {
        let polling = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(websocket_upgrade(polling, 16 * 1024).is_none(), "not an upgrade");
        assert!(websocket_upgrade(&UPGRADE[..UPGRADE.len() - 2], 16 * 1024).is_none(), "incomplete");
        assert!(websocket_upgrade(UPGRADE, UPGRADE.len() - 1).is_none(), "over the header limit");
        let post = [b"POST".as_slice(), &UPGRADE[3..]].concat();
        assert!(websocket_upgrade(&post, 16 * 1024).is_none(), "not a GET");
        let http10 = String::from_utf8_lossy(UPGRADE).replace("HTTP/1.1", "HTTP/1.0");
        assert!(websocket_upgrade(http10.as_bytes(), 16 * 1024).is_none(), "HTTP/1.0");
        assert!(websocket_upgrade(b"\x16\x03\x01garbage", 16 * 1024).is_none(), "not HTTP");
    }

    #[tokio::test]
    async fn replay_reads_the_bytes_ahead_then_the_stream() {
        let (mut a, b) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut a, b" world").await.expect("write");
        drop(a);
        let mut r = Replay::new(Bytes::from_static(b"hello"), b);
        let mut all = String::new();
        r.read_to_string(&mut all).await.expect("read");
        assert_eq!(all, "hello world");
    }
}
