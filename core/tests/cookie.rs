//! engine.io's `cookie` option: the session cookie on the handshake response of either
//! transport, with engine.io's defaults and each attribute settable; none without the option.
use std::time::Duration;

use sio_core::engine::server::{SameSite, SessionCookie};
use sio_core::server::Server;

async fn listen(cookie: Option<SessionCookie>) -> String {
    let mut builder = Server::builder();
    if let Some(c) = cookie {
        builder = builder.cookie(c);
    }
    let io = builder.build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    std::mem::forget(io); // serves until the test process ends
    format!("127.0.0.1:{}", addr.port())
}

/// The `Set-Cookie` headers and the sid of a polling handshake.
async fn polling_handshake(addr: &str) -> (Vec<String>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut out)).await.unwrap().unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let cookies = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim().to_owned())
        .collect();
    let sid = body.split("\"sid\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    (cookies, sid)
}

#[tokio::test]
async fn engine_io_defaults_on_the_polling_handshake() {
    let addr = listen(Some(SessionCookie::default())).await;
    let (cookies, sid) = polling_handshake(&addr).await;
    assert_eq!(cookies, vec![format!("io={sid}; Path=/; HttpOnly; SameSite=Lax")]);
}

#[tokio::test]
async fn every_attribute_and_the_websocket_handshake() {
    let cookie = SessionCookie {
        name: "sticky".into(),
        path: Some("/app".into()),
        http_only: false,
        same_site: Some(SameSite::None),
        secure: true,
        domain: Some("example.com".into()),
        max_age: Some(Duration::from_secs(3600)),
    };
    let addr = listen(Some(cookie)).await;
    let (_, res) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")).await.unwrap();
    let set: Vec<_> = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(set.len(), 1, "{set:?}");
    let rest = set[0].strip_prefix("sticky=").expect("named sticky");
    let (sid, attrs) = rest.split_once(';').unwrap();
    assert_eq!(sid.len(), 20, "the value is the session id: {sid}");
    assert_eq!(attrs, " Domain=example.com; Path=/app; Max-Age=3600; Secure; SameSite=None");
}

#[tokio::test]
async fn no_cookie_without_the_option() {
    let addr = listen(None).await;
    let (cookies, _) = polling_handshake(&addr).await;
    assert!(cookies.is_empty(), "{cookies:?}");
}
