//! A server behind a host's own HTTP server (Node's `http.Server` with `io.attach`): the
//! host forwards the requests and upgrades of the socket.io path to a loopback port the
//! core listens on, adding `x-sio-forwarded: <token> <client ip> <client port>`. The token
//! makes sure only the host's forwarder is served (another local process reaching the
//! port gets 404), and the address becomes the socket's `handshake.address`. Sessions
//! served this way behave exactly like own-port ones; the listener stops when the server
//! closes.
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::{EmbedError, EmbeddedServer};
use crate::engine::server::Peer;
use crate::server::not_found;

/// The header the host's forwarder adds: `<token> <client ip> <client port>`.
pub const FORWARDED_HEADER: &str = "x-sio-forwarded";

impl EmbeddedServer {
    /// Binds `127.0.0.1:0` and serves this server there for a host's forwarder until the
    /// server closes; returns the port. Every request must carry [`FORWARDED_HEADER`] with
    /// `token`; anything else gets 404. The header is removed before the request is
    /// served, so `handshake.headers` shows what the client sent.
    pub fn listen_forwarded(&self, token: &str) -> Result<u16, EmbedError> {
        self.shared.check()?;
        let io = |e: std::io::Error| EmbedError::Io(e.to_string());
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io)?;
        std_listener.set_nonblocking(true).map_err(io)?;
        let port = std_listener.local_addr().map_err(io)?.port();
        let _guard = self.shared.handle.enter();
        let listener = tokio::net::TcpListener::from_std(std_listener).map_err(io)?;
        let server = self.server.clone();
        let token: Arc<str> = token.into();
        let limits = server.engine().config().listen_limits();
        let stop = server.stop_signal();
        self.shared.handle.spawn(crate::engine::server::serve(
            listener,
            limits,
            move |mut req, peer: Peer| {
                let server = server.clone();
                let remote =
                    req.headers_mut().remove(FORWARDED_HEADER).and_then(|v| client_addr(v.to_str().ok()?, &token));
                async move {
                    match remote {
                        Some(remote) if server.engine().matches(req.uri().path()) => {
                            server.handle_from(req, Peer { remote, ..peer }).await
                        }
                        _ => not_found(),
                    }
                }
            },
            stop,
        ));
        Ok(port)
    }
}

/// The client's address from the forwarder's header, if the token is right.
fn client_addr(header: &str, token: &str) -> Option<SocketAddr> {
    let mut parts = header.split(' ');
    let given = parts.next()?;
    // Compare every byte: the time taken tells nothing about the token.
    if given.len() != token.len() || given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0 {
        return None;
    }
    // Node gives link-local IPv6 addresses with a zone (`fe80::1%eth0`).
    let ip = parts.next()?.split('%').next()?;
    let ip: IpAddr = ip.parse().ok()?;
    let port: u16 = parts.next()?.parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::client_addr;

    #[test]
    fn the_header_needs_the_token() {
        assert_eq!(client_addr("tok 10.0.0.1 4000", "tok"), Some("10.0.0.1:4000".parse().unwrap()));
        assert_eq!(
            client_addr("tok ::ffff:127.0.0.1 1", "tok").map(|a| a.ip().to_string()),
            Some("::ffff:127.0.0.1".into())
        );
        assert_eq!(client_addr("tok fe80::1%eth0 2", "tok").map(|a| a.port()), Some(2));
        assert_eq!(client_addr("bad 10.0.0.1 4000", "tok"), None);
        assert_eq!(client_addr("tok 10.0.0.1", "tok"), None);
        assert_eq!(client_addr("tok not-an-ip 1", "tok"), None);
    }
}
