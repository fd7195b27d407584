//! The server real peers (socket.io-client, python-socketio, Chromium) are tested
//! against; its behaviour is specified in `tests/interop/CONTRACT.md`.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::engine::server::{ConnEvent, Cors, CorsOrigin, PerMessageDeflate, TransportKind};
use sio_core::proto::Parser;
use sio_core::server::{AckError, AckSender, RecoveryConfig, Server, Socket};
use sio_core::Value;

fn log(v: serde_json::Value) {
    println!("{v}");
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    Value::Array(v.into_iter().map(Value::String).collect())
}

fn reply(ack: &Option<AckSender>, args: Vec<Value>) {
    if let Some(ack) = ack {
        let _ = ack.send(args);
    }
}

/// Splits `[first, ...rest]`.
fn first_str(args: &mut Vec<Value>) -> String {
    if args.is_empty() {
        return String::new();
    }
    match args.remove(0) {
        Value::String(s) => s,
        other => other.to_json_lossy().to_string(),
    }
}

fn ack_result(res: Result<Vec<Vec<Value>>, AckError>) -> Vec<Value> {
    match res {
        Ok(all) => vec![Value::Null, Value::Array(all.into_iter().map(Value::Array).collect())],
        Err(AckError::Timeout { partial }) => {
            vec!["timeout".into(), Value::Array(partial.into_iter().map(Value::Array).collect())]
        }
        Err(e) => vec![e.to_string().into(), Value::Null],
    }
}

type Reasons = Arc<Mutex<Vec<Value>>>;

fn on_connection(io: &Server, socket: Socket, reasons: &Reasons) {
    let ns = socket.ns().to_owned();
    let transport = socket.conn().transport().as_str();
    log(
        serde_json::json!({"ev": "connection", "ns": ns, "id": socket.id(), "transport": transport, "recovered": socket.recovered()}),
    );
    let query =
        Value::Object(socket.handshake().query.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect());
    let _ = socket.emit(
        "welcome",
        vec![Value::from([
            ("id", socket.id().into()),
            ("ns", ns.clone().into()),
            ("auth", socket.handshake().auth.clone()),
            ("recovered", socket.recovered().into()),
            ("transport", transport.into()),
            ("query", query),
        ])],
    );
    let rooms_at_disconnecting: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = rooms_at_disconnecting.clone();
    socket.on_disconnecting(move |s, reason| {
        let mut rooms: Vec<String> = s.rooms().into_iter().collect();
        rooms.sort();
        log(serde_json::json!({"ev": "disconnecting", "ns": s.ns(), "id": s.id(), "reason": reason.as_str(), "rooms": rooms}));
        *seen.lock().unwrap() = rooms;
    });
    let reasons_log = reasons.clone();
    socket.on_disconnect(move |s, reason| {
        log(serde_json::json!({"ev": "disconnect", "ns": s.ns(), "id": s.id(), "reason": reason.as_str()}));
        let rooms = rooms_at_disconnecting.lock().unwrap().clone();
        reasons_log.lock().unwrap().push(Value::from([
            ("id", s.id().into()),
            ("ns", s.ns().into()),
            ("reason", reason.as_str().into()),
            ("rooms_at_disconnecting", sorted(rooms)),
        ]));
    });
    socket.use_middleware(|_, event, _| if event == "forbidden" { Err("unauthorized event".into()) } else { Ok(()) });
    socket.on_error(|s, message| {
        log(serde_json::json!({"ev": "error", "ns": s.ns(), "id": s.id(), "message": message}));
        let _ = s.emit("error-seen", vec![message.into()]);
    });
    socket.on_any(|s, event, _| log(serde_json::json!({"ev": "any", "id": s.id(), "event": event})));

    socket.on("echo", |s, args, ack| {
        let _ = s.emit("echo", args.clone());
        reply(&ack, args);
    });
    socket.on("join", |s, mut args, ack| {
        s.join([first_str(&mut args)]);
        reply(&ack, vec![sorted(s.rooms().into_iter().collect())]);
    });
    socket.on("leave", |s, mut args, ack| {
        s.leave(&first_str(&mut args));
        reply(&ack, vec![sorted(s.rooms().into_iter().collect())]);
    });
    let io2 = io.clone();
    socket.on("to-room", move |s, mut args, _| {
        let room = first_str(&mut args);
        let event = first_str(&mut args);
        let _ = io2.of(s.ns()).to(room).emit(&event, args);
    });
    socket.on("broadcast", |s, mut args, _| {
        let event = first_str(&mut args);
        let _ = s.broadcast().emit(&event, args);
    });
    socket.on("broadcast-room", |s, mut args, _| {
        let room = first_str(&mut args);
        let event = first_str(&mut args);
        let _ = s.to(room).emit(&event, args);
    });
    let io2 = io.clone();
    socket.on("except-room", move |s, mut args, _| {
        let room = first_str(&mut args);
        let event = first_str(&mut args);
        let _ = io2.of(s.ns()).except(room).emit(&event, args);
    });
    socket.on("ask", |s, mut args, ack| {
        let event = first_str(&mut args);
        let s = s.clone();
        tokio::spawn(async move {
            let res = s.timeout(Duration::from_millis(2000)).emit_with_ack(&event, args).await;
            let answer = match res {
                Ok(reply) => vec![Value::Null, Value::Array(reply)],
                Err(AckError::Timeout { .. }) => vec!["timeout".into(), Value::Null],
                Err(e) => vec![e.to_string().into(), Value::Null],
            };
            reply(&ack, answer);
        });
    });
    let io2 = io.clone();
    socket.on("ask-all", move |s, mut args, ack| {
        let event = first_str(&mut args);
        let ns = io2.of(s.ns());
        tokio::spawn(async move {
            let res = ns.timeout(Duration::from_millis(2000)).emit_with_ack(&event, args).await;
            reply(&ack, ack_result(res));
        });
    });
    socket.on("uncompressed", |s, mut args, _| {
        let event = first_str(&mut args);
        let _ = s.compress(false).emit(&event, args);
    });
    let io2 = io.clone();
    socket.on("broadcast-uncompressed", move |s, mut args, _| {
        let event = first_str(&mut args);
        let _ = io2.of(s.ns()).compress(false).emit(&event, args);
    });
    socket.on("volatile", |s, mut args, _| {
        let event = first_str(&mut args);
        let _ = s.volatile().emit(&event, args);
    });
    socket.on("set-data", |s, mut args, ack| {
        s.set_data(if args.is_empty() { Value::Null } else { args.remove(0) });
        reply(&ack, vec![true.into()]);
    });
    let io2 = io.clone();
    socket.on("fetch", move |s, _, ack| {
        let ns = io2.of(s.ns());
        tokio::spawn(async move {
            let mut sockets = ns.fetch_sockets().await;
            sockets.sort_by(|a, b| a.id.cmp(&b.id));
            let list = sockets
                .into_iter()
                .map(|r| {
                    Value::from([
                        ("id", r.id.clone().into()),
                        ("rooms", sorted(r.rooms.iter().cloned().collect())),
                        ("data", r.data.clone()),
                    ])
                })
                .collect();
            reply(&ack, vec![Value::Array(list)]);
        });
    });
    let io2 = io.clone();
    socket.on("fetch-join", move |s, mut args, ack| {
        let room = first_str(&mut args);
        let ns = io2.of(s.ns());
        tokio::spawn(async move {
            for r in ns.fetch_sockets().await {
                r.join([room.clone()]);
            }
            reply(&ack, vec![true.into()]);
        });
    });
    let io2 = io.clone();
    socket.on("sockets-join", move |s, mut args, ack| {
        io2.of(s.ns()).sockets_join([first_str(&mut args)]);
        reply(&ack, vec![true.into()]);
    });
    socket.on("handshake", |s, _, ack| reply(&ack, vec![s.handshake().to_value()]));
    socket.on("transport", |s, _, ack| reply(&ack, vec![s.conn().transport().as_str().into()]));
    socket.on("emit-reserved", |s, mut args, ack| {
        let name = first_str(&mut args);
        let res = match s.emit(&name, vec![]) {
            Ok(()) => Value::Null,
            Err(e) => e.to_string().into(),
        };
        reply(&ack, vec![res]);
    });
    socket.on("disconnect-me", |s, _, _| s.disconnect(false));
    socket.on("close-me", |s, _, _| s.disconnect(true));
    let io2 = io.clone();
    socket.on("disconnect-all", move |s, _, ack| {
        reply(&ack, vec![true.into()]);
        io2.of(s.ns()).disconnect_sockets(false);
    });
    let io2 = io.clone();
    socket.on("server-emit", move |_, mut args, _| {
        let event = first_str(&mut args);
        let reached = io2.server_side_emit(&event, args);
        log(serde_json::json!({"ev": "server-emit", "event": event, "reached": reached.ok()}));
    });
    let reasons2 = reasons.clone();
    socket.on("reasons", move |_, _, ack| {
        let list = reasons2.lock().unwrap().clone();
        reply(&ack, vec![Value::Array(list)]);
    });
    let io2 = io.clone();
    socket.on("shutdown", move |_, _, _| {
        let io = io2.clone();
        tokio::spawn(async move {
            io.close();
            // Give the transports a moment to flush their close frames before exiting.
            for _ in 0..50 {
                if io.engine().session_count() == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            log(serde_json::json!({"ev": "shutdown"}));
            std::process::exit(0);
        });
    });
}

/// `--admin-ui`: the admin UI's instrumentation on `/ui-admin` (`/admin` is the contract's).
fn instrument(io: &Server, args: &[String]) {
    use sio_core::server::admin::{self, AdminAuth, AdminOptions, AdminPassword};
    let auth = arg::<String>(args, "--admin-ui-auth").map(|pair| {
        let (user, password) = pair.split_once(':').expect("--admin-ui-auth USER:PASSWORD");
        // Hashed here as a user of @socket.io/admin-ui hashes it (bcrypt), at a low cost for tests.
        let hash = bcrypt::hash(password, 4).expect("bcrypt hashes any password");
        AdminAuth { username: user.to_owned(), password: AdminPassword::Bcrypt(hash) }
    });
    let opts = AdminOptions {
        auth,
        namespace: "/ui-admin".into(),
        read_only: args.iter().any(|a| a == "--admin-ui-readonly"),
        server_id: arg(args, "--admin-ui-server-id"),
        mode: arg::<String>(args, "--admin-ui-mode")
            .map_or(Default::default(), |m| m.parse().expect("--admin-ui-mode")),
        ..AdminOptions::default()
    };
    admin::instrument(io, opts).expect("valid admin options");
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = arg(&args, "--port").unwrap_or(3000);
    let mut builder = Server::builder()
        .ping_interval(Duration::from_millis(arg(&args, "--ping-interval").unwrap_or(25_000)))
        .ping_timeout(Duration::from_millis(arg(&args, "--ping-timeout").unwrap_or(20_000)))
        .connect_timeout(Duration::from_millis(arg(&args, "--connect-timeout").unwrap_or(45_000)))
        .cors(if args.iter().any(|a| a == "--admin-ui") {
            // The admin UI connects from its own origin with `withCredentials: true`.
            Cors { origin: CorsOrigin::Reflect, credentials: true }
        } else {
            Cors { origin: CorsOrigin::Any, credentials: false }
        });
    if let Some(t) = arg::<String>(&args, "--transports") {
        let kinds: Vec<TransportKind> = t.split(',').filter_map(TransportKind::parse).collect();
        builder = builder.transports(&kinds);
    }
    if let Some(name) = arg::<String>(&args, "--parser") {
        builder = builder.parser(Parser::from_name(&name).expect("--parser default|msgpack"));
    }
    // `--per-message-deflate` (threshold 1024, as ws) or `--per-message-deflate=N`.
    if let Some(flag) = args.iter().find(|a| a.starts_with("--per-message-deflate")) {
        let threshold = match flag.split_once('=') {
            Some((_, n)) => n.parse().expect("--per-message-deflate=BYTES"),
            None => PerMessageDeflate::default().threshold,
        };
        builder = builder.per_message_deflate(Some(PerMessageDeflate { threshold }));
    }
    if args.iter().any(|a| a == "--no-http-compression") {
        builder = builder.http_compression(None);
    }
    if args.iter().any(|a| a == "--allow-eio3") {
        builder = builder.allow_eio3(true);
    }
    if args.iter().any(|a| a == "--recovery") {
        builder = builder.connection_state_recovery(RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(60_000),
            skip_middlewares: true,
        });
    }
    let io = builder.build();
    let reasons: Reasons = Arc::default();
    // Upgrades belong to the connection (python-engineio upgrades before joining a namespace).
    io.on_engine_connection(|session| {
        let id = session.id().to_owned();
        session.on_event(move |ev| {
            if let ConnEvent::Upgrade(t) = ev {
                log(serde_json::json!({"ev": "upgrade", "id": id, "transport": t.as_str()}));
            }
        });
    });
    for ns in [io.of("/"), io.of_regex(regex::Regex::new(r"^/dyn-\d+$").expect("valid regex")), io.of("/admin")] {
        let (io2, reasons) = (io.clone(), reasons.clone());
        ns.on_connection(move |socket| on_connection(&io2, socket, &reasons));
    }
    io.of("/admin").use_middleware(|socket| async move {
        if socket.handshake().auth.get("token").and_then(Value::as_str) == Some("secret") {
            Ok(())
        } else {
            Err(sio_core::server::ConnectError::with_data(
                "unauthorized",
                Value::from([("reason", "bad token".into())]),
            ))
        }
    });
    if args.iter().any(|a| a == "--admin-ui") {
        instrument(&io, &args);
    }
    let addr = io.listen(("127.0.0.1", port)).await?;
    println!("listening on {}", addr.port());
    std::future::pending::<()>().await;
    Ok(())
}
