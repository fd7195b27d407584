//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), for parsers that are not
//! public. Not an API: hidden from the docs, may change at any time.
#[cfg(feature = "client")]
use crate::engine::client::{parse_polling_handshake, parse_websocket_handshake, HandshakeError, OpenInfo};

/// What the client makes of the body of its handshake GET (polling first): the open
/// packet's data and how many packets followed it in the same body.
#[cfg(feature = "client")]
pub fn client_handshake_polling(body: &[u8]) -> Result<(OpenInfo, usize), HandshakeError> {
    parse_polling_handshake(body).map(|(info, leftovers)| (info, leftovers.len()))
}

/// What the client makes of the first text message of a WebSocket-first connection.
#[cfg(feature = "client")]
pub fn client_handshake_websocket(text: &str) -> Result<OpenInfo, HandshakeError> {
    parse_websocket_handshake(text)
}

/// permessage-deflate on the server's read side: `input` as what a client sent after the
/// 101 (with the extension agreed, its parameters from `offer`), read to the end through
/// the deflate stream, as tungstenite would. Returns the bytes handed on; never panics,
/// and a message inflates to at most `limit` bytes before the stream gives up on it.
pub fn permessage_deflate_server(offer: &str, input: &[u8], limit: usize) -> usize {
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    /// The peer: `input`, then the end; what is written to it is dropped.
    struct Peer<'a>(&'a [u8]);
    impl AsyncRead for Peer<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let n = buf.remaining().min(self.0.len());
            buf.put_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Poll::Ready(Ok(()))
        }
    }
    impl AsyncWrite for Peer<'_> {
        fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    let agreement = crate::engine::deflate::negotiate::accept_offer([offer]).unwrap_or_default();
    let mut stream =
        crate::engine::deflate::DeflateStream::server(Peer(input), agreement, 0, limit, bytes::Bytes::new());
    let mut cx = Context::from_waker(Waker::noop());
    let (mut total, mut scratch) = (0, [0u8; 4096]);
    loop {
        let mut buf = ReadBuf::new(&mut scratch);
        match Pin::new(&mut stream).poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => return total,
            Poll::Ready(Ok(())) => total += buf.filled().len(),
            // The peer never waits; an error ends the read as it would the connection.
            Poll::Ready(Err(_)) | Poll::Pending => return total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::permessage_deflate_server;

    /// A masked client frame with RSV1 holding `data` deflated (no tail).
    fn compressed_frame(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::Compress::new(flate2::Compression::default(), false);
        let mut body = Vec::with_capacity(data.len() + 64);
        z.compress_vec(data, &mut body, flate2::FlushCompress::Sync).expect("deflates");
        body.truncate(body.len() - 4);
        let key = [1u8, 2, 3, 4];
        let mut out = vec![0xC1];
        if body.len() < 126 {
            out.push(0x80 | body.len() as u8);
        } else {
            out.push(0x80 | 126);
            out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(&key);
        out.extend(body.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        out
    }

    #[test]
    fn the_fuzz_entry_inflates_and_stops_at_the_limit() {
        let text = b"42[\"echo\",\"hello hello hello\"]";
        // header (2 + 4 zero mask bytes) + the text
        assert_eq!(permessage_deflate_server("permessage-deflate", &compressed_frame(text), 1024), 6 + text.len());
        // 1 MB of zeros against a 64 KiB limit: stopped after at most one more chunk.
        let out = permessage_deflate_server("permessage-deflate", &compressed_frame(&vec![0u8; 1 << 20]), 64 * 1024);
        assert!(out < 64 * 1024 + 2 * 16 * 1024 + 100, "{out}");
        assert_eq!(permessage_deflate_server("", b"", 10), 0);
    }
}
