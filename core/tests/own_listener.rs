//! The own listener's first request: a WebSocket handshake answered without hyper (the 101
//! and the open packet in one write), and everything else still served by hyper.
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sio_core::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(5);

async fn listen() -> SocketAddr {
    let io = Server::builder().build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    std::mem::forget(io); // serves until the test process ends
    addr
}

fn upgrade_request(addr: SocketAddr, query: &str) -> String {
    format!(
        "GET /socket.io/?EIO=4&transport=websocket{query} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Reads until the end of the response head; returns the head and the bytes after it.
async fn read_head(tcp: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return (String::from_utf8(buf).unwrap(), rest);
        }
        let n = tokio::time::timeout(WAIT, tcp.read_buf(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed before the head ended: {:?}", String::from_utf8_lossy(&buf));
    }
}

#[tokio::test]
async fn a_new_websocket_gets_its_101_and_its_open_packet_in_one_write() {
    let addr = listen().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(upgrade_request(addr, "").as_bytes()).await.unwrap();
    // One read: what one write put on the connection arrives together.
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut buf)).await.unwrap().unwrap();
    let end = buf[..n].windows(4).position(|w| w == b"\r\n\r\n").expect("a whole head in the first read") + 4;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
    // An unmasked text frame holding the open packet, whole in the same read.
    let frame = &buf[end..n];
    assert!(frame.len() > 2 && frame[0] == 0x81, "the open packet's frame follows the head: {frame:?}");
    let len = usize::from(frame[1]);
    let text = String::from_utf8_lossy(&frame[2..]).into_owned();
    assert_eq!(frame.len(), 2 + len, "one whole frame: {text:?}");
    assert!(text.starts_with("0{\"sid\":\""), "{text:?}");
}

#[tokio::test]
async fn a_request_split_over_two_writes_is_still_upgraded() {
    let addr = listen().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let req = upgrade_request(addr, "");
    let (a, b) = req.split_at(20);
    tcp.write_all(a.as_bytes()).await.unwrap();
    // Likely read alone by the server (hyper then reads the rest); upgraded either way.
    tokio::time::sleep(Duration::from_millis(50)).await;
    tcp.write_all(b.as_bytes()).await.unwrap();
    let (head, rest) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut ws = WebSocketStream::from_partially_read(tcp, rest, Role::Client, None).await;
    let open = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{\"sid\""), "{open:?}");
}

#[tokio::test]
async fn polling_requests_are_still_served_on_the_connection() {
    let addr = listen().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let poll = format!("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    tcp.write_all(poll.as_bytes()).await.unwrap();
    let (head, body) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // Keep-alive: a second request on the same connection (a 404 outside the path).
    let mut body = body;
    let len: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .expect("content-length");
    while body.len() < len {
        tcp.read_buf(&mut body).await.unwrap();
    }
    assert!(String::from_utf8_lossy(&body).starts_with("0{\"sid\""));
    tcp.write_all(format!("GET /elsewhere HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await.unwrap();
    let (head, _) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

#[tokio::test]
async fn an_upgrade_of_a_polling_session_runs_its_probe() {
    let addr = listen().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let poll = format!("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(poll.as_bytes()).await.unwrap();
    let mut all = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut all)).await.unwrap().unwrap();
    let sid = all.split("\"sid\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();

    // The upgrade's 101 waits for no frame of ours: the client speaks first (2probe).
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(upgrade_request(addr, &format!("&sid={sid}")).as_bytes()).await.unwrap();
    let (head, rest) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut ws = WebSocketStream::from_partially_read(tcp, rest, Role::Client, None).await;
    ws.send(Message::text("2probe")).await.unwrap();
    let answer = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(answer.to_text().unwrap(), "3probe");
}

#[tokio::test]
async fn a_refused_upgrade_gets_its_answer_and_the_connection_closes() {
    let addr = listen().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(upgrade_request(addr, "&sid=unknown").as_bytes()).await.unwrap();
    let mut all = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut all)).await.unwrap().unwrap();
    assert!(all.starts_with("HTTP/1.1 400"), "{all}");
    assert!(all.contains("Session ID unknown"), "{all}");
}
