//! A small client: connects, emits, prints every lifecycle event with its reason.
//!
//! Usage: `client [URL] [MESSAGE]` (default `http://localhost:3000`, "hello"), e.g.
//! against the chat example: `cargo run -p sio-core --example client -- http://localhost:3000`.
use std::time::Duration;

use sio_core::client::{io, Auth, ClientOptions, ManagerEvent};
use sio_core::Value;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "http://localhost:3000".into());
    let message = args.next().unwrap_or_else(|| "hello".into());
    let mut options = ClientOptions::default();
    options.socket.auth = Auth::Static(Value::from([("name", "rust-client".into())]));
    let socket = io(&url, options);
    socket.io().on(|_, ev| match ev {
        ManagerEvent::ReconnectAttempt(n) => println!("reconnect_attempt {n}"),
        ManagerEvent::Reconnect(n) => println!("reconnect after {n} attempts"),
        ManagerEvent::ReconnectError(e) => println!("reconnect_error {e}"),
        ManagerEvent::ReconnectFailed => println!("reconnect_failed"),
        ManagerEvent::Engine(sio_core::engine::client::EngineEvent::Upgrade(t)) => {
            println!("upgrade to {}", t.as_str())
        }
        _ => {}
    });
    socket.on_connect(|s| println!("connect id={:?} recovered={}", s.id(), s.recovered()));
    socket.on_connect_error(|s, e| println!("connect_error {} data={:?} active={}", e.message, e.data, s.active()));
    socket.on_disconnect(|s, reason| {
        println!(
            "disconnect reason={reason:?} ({}) will_reconnect={}",
            reason.as_str(),
            reason.reconnects() && s.active()
        )
    });
    socket.on_any(|_, event, args| {
        println!("event {event} {:?}", args.iter().map(Value::to_json_lossy).collect::<Vec<_>>())
    });
    socket.emit("chat message", vec![message.into()]).expect("not a reserved name");
    tokio::time::sleep(Duration::from_secs(3)).await;
    socket.disconnect();
    tokio::time::sleep(Duration::from_millis(100)).await;
}
