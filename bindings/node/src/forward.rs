//! The loopback listener behind an attached `http.Server`: the JS forwarder
//! (`lib/attach.js`) hands it the requests and upgrades of the socket.io path.
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use sio_core::server::{not_found, Server};

use crate::{err, runtime};

/// The header the forwarder adds: `<token> <client ip> <client port>`.
const FORWARDED: &str = "x-sio-forwarded";

/// Binds `127.0.0.1:0`, serves `server` there until `stop` turns true, returns the port.
pub(crate) fn listen(server: &Server, token: String, stop: tokio::sync::watch::Receiver<bool>) -> Result<u16> {
    let rt = runtime()?;
    let io = |e: std::io::Error| err("ERR_SIO_LISTEN", e);
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io)?;
    std_listener.set_nonblocking(true).map_err(io)?;
    let port = std_listener.local_addr().map_err(io)?.port();
    let _g = rt.handle().enter();
    let listener = tokio::net::TcpListener::from_std(std_listener).map_err(io)?;
    let server = server.clone();
    let token: Arc<str> = token.into();
    let limits = server.engine().config().listen_limits();
    rt.handle().spawn(sio_core::engine::server::serve(
        listener,
        limits,
        move |mut req, _loopback| {
            let server = server.clone();
            // Removed so that `handshake.headers` shows what the client sent.
            let remote = req.headers_mut().remove(FORWARDED).and_then(|v| client_addr(v.to_str().ok()?, &token));
            async move {
                match remote {
                    Some(remote) if server.engine().matches(req.uri().path()) => server.handle(req, remote).await,
                    _ => not_found(),
                }
            }
        },
        stop,
    ));
    Ok(port)
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
