//! The admin instrumentation's bounds, with the Rust client over real sockets: a chatty
//! socket's events are relayed to the admin namespace at most `max_relayed_events_per_socket`
//! per second, and invalid options are refused.
use std::time::Duration;

use sio_core::client::{io, ClientOptions, ManagerConfig};
use sio_core::engine::server::TransportKind;
use sio_core::server::admin::{self, AdminAuth, AdminError, AdminOptions, AdminPassword};
use sio_core::server::Server;
use sio_core::Value;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

fn options() -> ClientOptions {
    ClientOptions {
        manager: ManagerConfig { transports: vec![TransportKind::Websocket], ..ManagerConfig::default() },
        force_new: true,
        ..ClientOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatty_socket_is_relayed_within_its_budget() {
    let io_ = Server::builder().build();
    admin::instrument(&io_, AdminOptions { max_relayed_events_per_socket: 20, ..AdminOptions::default() })
        .expect("valid options");
    // "done" answers once every earlier event of that socket was handled (and relayed),
    // after a marker to the admin namespace: it reaches the admin socket after the relays.
    let io2 = io_.clone();
    io_.on_connection(move |s| {
        let io3 = io2.clone();
        s.on("done", move |_, _, ack| {
            let _ = io3.of("/admin").emit("marker", vec![]);
            if let Some(ack) = ack {
                let _ = ack.send(vec![]);
            }
        });
    });
    let addr = io_.listen("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{addr}");

    let admin_socket = io(&format!("{url}/admin"), options());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let t = tx.clone();
    admin_socket.on("event_received", move |_, args, _| {
        let name =
            args.get(2).and_then(|a| a.as_array()).and_then(|a| a.first()).and_then(Value::as_str).map(str::to_owned);
        let _ = t.send(name.unwrap_or_default());
    });
    admin_socket.on("marker", move |_, _, _| {
        let _ = tx.send("<marker>".into());
    });
    let (ctx, mut configured) = mpsc::unbounded_channel();
    admin_socket.on("config", move |_, _, _| {
        let _ = ctx.send(());
    });
    tokio::time::timeout(WAIT, configured.recv()).await.expect("config").expect("open");

    let chatty = io(&url, options());
    for i in 0..500i64 {
        chatty.emit("spam", vec![Value::from(i)]).expect("emit");
    }
    tokio::time::timeout(WAIT, chatty.emit_with_ack("done", vec![])).await.expect("done in time").expect("acked");
    let mut relayed = 0;
    loop {
        let name = tokio::time::timeout(WAIT, rx.recv()).await.expect("the marker").expect("open");
        match name.as_str() {
            "<marker>" => break,
            "spam" => relayed += 1,
            _ => {}
        }
    }
    // The burst may straddle a second boundary: two budgets at most.
    assert!((1..=40).contains(&relayed), "{relayed} of 500 events relayed");
    chatty.disconnect();
    admin_socket.disconnect();
    io_.close();
}

#[tokio::test]
async fn invalid_options_are_refused() {
    let io_ = Server::builder().build();
    let bad = |opts: AdminOptions| admin::instrument(&io_, opts).expect_err("refused");
    let hash = |p: &str| AdminPassword::Bcrypt(p.into());
    let auth = |password| Some(AdminAuth { username: "admin".into(), password });
    assert!(
        matches!(bad(AdminOptions { auth: auth(hash("plain")), ..Default::default() }), AdminError::InvalidOption(m) if m.contains("bcrypt"))
    );
    assert!(matches!(bad(AdminOptions { namespace: "/".into(), ..Default::default() }), AdminError::InvalidOption(_)));
    assert!(matches!(
        bad(AdminOptions { server_stats_interval: Duration::ZERO, ..Default::default() }),
        AdminError::InvalidOption(_)
    ));
    assert!(matches!(bad(AdminOptions { max_sessions: 0, ..Default::default() }), AdminError::InvalidOption(_)));
    assert!("staging".parse::<admin::AdminMode>().is_err());
    admin::instrument(&io_, AdminOptions::default()).expect("valid");
    assert_eq!(admin::instrument(&io_, AdminOptions::default()), Err(AdminError::AlreadyInstrumented));
}

#[test]
fn instrument_needs_a_runtime() {
    let io_ = std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async { Server::builder().build() })
    })
    .join()
    .expect("built");
    assert_eq!(admin::instrument(&io_, AdminOptions::default()), Err(AdminError::NoRuntime));
}

/// `socket.data` changed after the connection reaches the UI as `socket_updated` (the
/// reference reports the property sets its proxy sees; here every change of the data).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_changes_are_socket_updated() {
    let io_ = Server::builder().build();
    admin::instrument(&io_, AdminOptions::default()).expect("valid options");
    io_.on_connection(|s| {
        s.on("set", |s, args, _| s.set_data(args.into_iter().next().unwrap_or_default()));
    });
    let addr = io_.listen("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{addr}");
    let admin_socket = io(&format!("{url}/admin"), options());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let t = tx.clone();
    admin_socket.on("config", move |_, _, _| {
        let _ = t.send(Value::Null);
    });
    admin_socket.on("socket_updated", move |_, args, _| {
        let _ = tx.send(args.into_iter().next().unwrap_or_default());
    });
    assert_eq!(tokio::time::timeout(WAIT, rx.recv()).await.expect("config"), Some(Value::Null));
    let user = io(&url, options());
    user.emit("set", vec![Value::from([("score", Value::from(7i64))])]).expect("emit");
    let update = loop {
        let v = tokio::time::timeout(WAIT, rx.recv()).await.expect("socket_updated").expect("open");
        if v.get("data").is_some() {
            break v;
        }
    };
    assert_eq!(update.get("nsp"), Some(&Value::from("/")));
    assert_eq!(update.get("data"), Some(&Value::from([("score", Value::from(7i64))])));
    assert_eq!(update.get("id").and_then(Value::as_str), user.id().as_deref());
    user.disconnect();
    admin_socket.disconnect();
    io_.close();
}
