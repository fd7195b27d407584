//! TLS on the own-port listener: a test CA made here (rcgen) signs the server's
//! certificate; the crate's client trusts that CA and connects over https (polling, then
//! the upgrade to wss) and over wss alone; `handshake.secure` is true. A plain HTTP request
//! to the TLS port gets 400, and a client that never completes the TLS handshake is
//! closed after the idle timeout; neither keeps the server from serving.
#![cfg(all(feature = "tls", feature = "client"))]

use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use sio_core::client::{io, ClientOptions, ManagerConfig, ManagerEvent};
use sio_core::engine::client::EngineEvent;
use sio_core::engine::server::{TlsConfig, TransportKind};
use sio_core::server::Server;
use sio_core::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

/// A test CA and a certificate it signed for `localhost` and `127.0.0.1`: (CA PEM, server
/// certificate PEM, server key PEM).
fn test_ca() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "sio test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (ca_pem, cert.pem(), key.serialize_pem())
}

/// A TLS server whose sockets answer `secure` with `[handshake.secure, transport]`.
async fn tls_server(tls: TlsConfig, idle_timeout: Duration) -> (Server, u16) {
    let io = Server::builder().tls(tls).idle_timeout(idle_timeout).build();
    io.on_connection(|socket| {
        socket.on("secure", |s, _, ack| {
            let transport = s.conn().transport().as_str();
            let _ = ack.expect("asked with an ack").send(vec![s.handshake().secure.into(), transport.into()]);
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr.port())
}

fn client_options(ca: &str, transports: &[TransportKind]) -> ClientOptions {
    let mut o = ClientOptions {
        manager: ManagerConfig { transports: transports.to_vec(), reconnection: false, ..ManagerConfig::default() },
        force_new: true,
        ..ClientOptions::default()
    };
    o.manager.tls.ca_pem = Some(ca.as_bytes().to_vec());
    o
}

/// Connects over `transports`, waits for the upgrade when both are given, and returns
/// what the server answers to `secure`.
async fn ask_secure(url: &str, ca: &str, transports: &[TransportKind]) -> Vec<Value> {
    let socket = io(url, client_options(ca, transports));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let t = tx.clone();
    socket.on_connect(move |_| {
        let _ = t.send("connect".to_owned());
    });
    let t = tx.clone();
    socket.on_connect_error(move |_, e| {
        let _ = t.send(format!("connect_error: {}", e.message));
    });
    socket.io().on(move |_, ev| {
        if let ManagerEvent::Engine(EngineEvent::Upgrade(t)) = ev {
            let _ = tx.send(format!("upgrade:{}", t.as_str()));
        }
    });
    let mut seen = Vec::new();
    let want_upgrade = transports.len() == 2;
    while !(seen.iter().any(|e| e == "connect") && (!want_upgrade || seen.iter().any(|e| e == "upgrade:websocket"))) {
        let e = tokio::time::timeout(WAIT, rx.recv()).await.expect("client event").expect("open channel");
        assert!(!e.starts_with("connect_error"), "{e}");
        seen.push(e);
    }
    let answer = socket.timeout(WAIT).emit_with_ack("secure", vec![]).await.unwrap();
    socket.disconnect();
    answer
}

#[tokio::test]
async fn the_client_connects_over_https_and_wss_with_a_test_ca() {
    let (ca, cert, key) = test_ca();
    let (server, port) = tls_server(TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap(), WAIT).await;
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{port}");
        let upgraded = ask_secure(&url, &ca, &[TransportKind::Polling, TransportKind::Websocket]).await;
        assert_eq!(upgraded, vec![Value::from(true), Value::from("websocket")], "{url}");
    }
    let url = format!("https://127.0.0.1:{port}");
    assert_eq!(ask_secure(&url, &ca, &[TransportKind::Polling]).await, vec![Value::from(true), "polling".into()]);
    assert_eq!(ask_secure(&url, &ca, &[TransportKind::Websocket]).await, vec![Value::from(true), "websocket".into()]);
    server.close();
}

#[tokio::test]
async fn certificate_and_key_from_files() {
    let (ca, cert, key) = test_ca();
    let dir = std::env::temp_dir().join(format!("sio-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let tls = TlsConfig::from_pem_files(&cert_path, &key_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let (server, port) = tls_server(tls, WAIT).await;
    let answer = ask_secure(&format!("https://127.0.0.1:{port}"), &ca, &[TransportKind::Websocket]).await;
    assert_eq!(answer, vec![Value::from(true), "websocket".into()]);
    server.close();
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_by_the_client() {
    let (_, cert, key) = test_ca();
    let (other_ca, _, _) = test_ca();
    let (server, port) = tls_server(TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap(), WAIT).await;
    let socket = io(&format!("https://127.0.0.1:{port}"), client_options(&other_ca, &[TransportKind::Websocket]));
    let (tx, mut rx) = mpsc::unbounded_channel();
    socket.on_connect_error(move |_, e| {
        let _ = tx.send(e.message.clone());
    });
    tokio::time::timeout(WAIT, rx.recv()).await.expect("connect_error").unwrap();
    assert!(!socket.connected());
    socket.disconnect();
    server.close();
}

/// Reads until the peer closes (or errors): what it sent, and when it closed.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> (Vec<u8>, Instant) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf)).await.expect("the server closes the connection") {
            Ok(0) | Err(_) => return (got, Instant::now()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_400_and_stalled_handshakes_are_closed() {
    let (ca, cert, key) = test_ca();
    let idle = Duration::from_millis(400);
    let (server, port) = tls_server(TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap(), idle).await;

    // Plain HTTP: answered 400 and closed at once.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    plain.write_all(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let (answer, _) = read_until_closed(&mut plain).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");

    // Silent, and a ClientHello that stops half-way: both closed after the idle timeout.
    let start = Instant::now();
    let silent = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // A handshake record header announcing 512 bytes, then 3 of them.
    partial.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]).await.unwrap();
    // Meanwhile a real client is served.
    let answer = ask_secure(&format!("https://127.0.0.1:{port}"), &ca, &[TransportKind::Websocket]).await;
    assert_eq!(answer, vec![Value::from(true), "websocket".into()]);
    for mut stream in [silent, partial] {
        let (got, closed) = read_until_closed(&mut stream).await;
        assert!(got.is_empty() || got[0] == 0x15, "nothing but a TLS alert: {got:?}");
        let after = closed - start;
        assert!(after >= idle - Duration::from_millis(50) && after < idle + Duration::from_secs(3), "{after:?}");
    }
    server.close();
}
