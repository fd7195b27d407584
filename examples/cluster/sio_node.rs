//! One sio node of a cluster joined through Redis; its behaviour is the contract in
//! `examples/cluster/README.md`, which `node-server.js` implements on the official
//! socket.io server with @socket.io/redis-adapter.
//!
//! `cargo run -p sio-redis --example cluster-node -- --port 3001 --redis redis://127.0.0.1:6379 --name a`
//! (`--adapter redis-sharded` or `redis-streams` for the other Redis adapters;
//! `--subscription-mode static|dynamic|dynamic-private`: the sharded one in that mode;
//! `--stream-count N --sharded-pubsub --only-plaintext`: options of the streams one)
use std::time::Duration;

use sio_core::embed::{ClusterAdapter, ClusterAdapterKind};
use sio_core::server::{AckError, AckSender, RecoveryConfig, RemoteSocket, Server, Socket};
use sio_core::Value;
use sio_redis::{
    RedisStreamsAdapter, RedisStreamsAdapterConfig, ShardedRedisAdapter, ShardedRedisAdapterConfig, SubscriptionMode,
};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn reply(ack: &Option<AckSender>, args: Vec<Value>) {
    if let Some(ack) = ack {
        let _ = ack.send(args);
    }
}

/// Removes and returns the first argument as a string.
fn take_str(args: &mut Vec<Value>) -> String {
    if args.is_empty() {
        return String::new();
    }
    match args.remove(0) {
        Value::String(s) => s,
        other => other.to_json_lossy().to_string(),
    }
}

fn describe(sockets: Vec<RemoteSocket>) -> Value {
    let mut list: Vec<(String, Value)> = sockets
        .into_iter()
        .map(|s| {
            let mut rooms: Vec<String> = s.rooms.into_iter().collect();
            rooms.sort();
            let rooms = Value::Array(rooms.into_iter().map(Value::String).collect());
            (s.id.clone(), Value::from([("id", s.id.into()), ("rooms", rooms), ("data", s.data)]))
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(list.into_iter().map(|(_, v)| v).collect())
}

/// Server-side `note` events received from other nodes.
type Notes = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

fn on_connection(io: &Server, socket: Socket, name: &str, notes: &Notes) {
    let welcome =
        Value::from([("id", socket.id().into()), ("node", name.into()), ("recovered", socket.recovered().into())]);
    let _ = socket.emit("welcome", vec![welcome]);
    socket.on("join", |s, mut args, ack| {
        s.join([take_str(&mut args)]);
        let mut rooms: Vec<String> = s.rooms().into_iter().collect();
        rooms.sort();
        reply(&ack, vec![Value::Array(rooms.into_iter().map(Value::String).collect())]);
    });
    let io2 = io.clone();
    socket.on("emit-all", move |_, mut args, _| {
        let event = take_str(&mut args);
        let _ = io2.emit(&event, args);
    });
    let io2 = io.clone();
    socket.on("emit-room", move |_, mut args, _| {
        let room = take_str(&mut args);
        let event = take_str(&mut args);
        let _ = io2.to(room).emit(&event, args);
    });
    let io2 = io.clone();
    socket.on("emit-except", move |_, mut args, _| {
        let room = take_str(&mut args);
        let event = take_str(&mut args);
        let _ = io2.except(room).emit(&event, args);
    });
    socket.on("set-data", |s, mut args, ack| {
        s.set_data(if args.is_empty() { Value::Null } else { args.remove(0) });
        reply(&ack, vec![true.into()]);
    });
    let io2 = io.clone();
    socket.on("fetch", move |_, _, ack| {
        let io = io2.clone();
        tokio::spawn(async move { reply(&ack, vec![describe(io.fetch_sockets().await)]) });
    });
    let io2 = io.clone();
    socket.on("sockets-join", move |_, mut args, ack| {
        io2.of("/").sockets_join([take_str(&mut args)]);
        reply(&ack, vec![true.into()]);
    });
    let io2 = io.clone();
    socket.on("sockets-leave", move |_, mut args, ack| {
        io2.of("/").sockets_leave(&take_str(&mut args));
        reply(&ack, vec![true.into()]);
    });
    let io2 = io.clone();
    socket.on("note-all", move |_, args, ack| {
        let _ = io2.server_side_emit("note", args);
        reply(&ack, vec![true.into()]);
    });
    let seen = notes.clone();
    socket.on("notes", move |_, _, ack| {
        let notes = seen.lock().expect("notes lock").clone();
        reply(&ack, vec![Value::Array(notes)]);
    });
    let io2 = io.clone();
    socket.on("fetch-join", move |_, mut args, ack| {
        let (io, room) = (io2.clone(), take_str(&mut args));
        tokio::spawn(async move {
            for s in io.fetch_sockets().await {
                s.join([room.clone()]);
            }
            reply(&ack, vec![true.into()]);
        });
    });
    let io2 = io.clone();
    socket.on("disconnect-room", move |_, mut args, _| {
        io2.of("/").in_(take_str(&mut args)).disconnect_sockets(false);
    });
    let io2 = io.clone();
    socket.on("server-count", move |_, _, ack| {
        let io = io2.clone();
        tokio::spawn(async move { reply(&ack, vec![Value::from(io.server_count().await as u64)]) });
    });
    let io2 = io.clone();
    socket.on("sse", move |_, mut args, ack| {
        let (io, event) = (io2.clone(), take_str(&mut args));
        tokio::spawn(async move {
            let answer = match io.server_side_emit_with_ack(&event, args).await {
                Ok(all) => vec![Value::Null, Value::Array(all)],
                Err(e) => vec![e.to_string().into(), Value::Null],
            };
            reply(&ack, vec![Value::Array(answer)]);
        });
    });
    let io2 = io.clone();
    socket.on("sse-ns", move |_, mut args, ack| {
        let (io, ns, event) = (io2.clone(), take_str(&mut args), take_str(&mut args));
        tokio::spawn(async move {
            let answer = match io.of(&ns).server_side_emit_with_ack(&event, args).await {
                Ok(all) => vec![Value::Null, Value::Array(all)],
                Err(e) => vec![e.to_string().into(), Value::Null],
            };
            reply(&ack, vec![Value::Array(answer)]);
        });
    });
    let io2 = io.clone();
    socket.on("ask-all", move |_, mut args, ack| {
        let (io, event) = (io2.clone(), take_str(&mut args));
        tokio::spawn(async move {
            let answer = match io.timeout(Duration::from_secs(3)).emit_with_ack(&event, args).await {
                Ok(all) => {
                    // One value per client (its first ack argument), sorted: order across nodes is not defined.
                    let mut firsts: Vec<String> = all
                        .into_iter()
                        .map(|a| a.into_iter().next().unwrap_or_default().to_json_lossy().to_string())
                        .collect();
                    firsts.sort();
                    vec![Value::Null, Value::Array(firsts.into_iter().map(Value::String).collect())]
                }
                Err(AckError::Timeout { .. }) => vec!["timeout".into(), Value::Null],
                Err(e) => vec![e.to_string().into(), Value::Null],
            };
            reply(&ack, vec![Value::Array(answer)]);
        });
    });
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Logs on stderr (info by default; RUST_LOG overrides): the adapter says there when
    // Redis is unreachable and when it is back.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = arg(&args, "--port").and_then(|p| p.parse().ok()).unwrap_or(3001);
    let redis = arg(&args, "--redis").unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let name = arg(&args, "--name").unwrap_or_else(|| format!("sio-{port}"));
    // --adapter redis | redis-sharded | redis-streams (the server option cluster_adapter).
    let kind = arg(&args, "--adapter").unwrap_or_else(|| "redis".into());
    let kind = ClusterAdapterKind::from_name(&kind).ok_or_else(|| format!("unknown adapter kind {kind:?}"))?;
    // --subscription-mode static | dynamic | dynamic-private: the sharded adapter's mode.
    let adapter: std::sync::Arc<dyn ClusterAdapter> = match arg(&args, "--subscription-mode") {
        Some(mode) => {
            let mut config = ShardedRedisAdapterConfig::new(redis.as_str());
            config.subscription_mode = match mode.as_str() {
                "static" => SubscriptionMode::Static,
                "dynamic" => SubscriptionMode::Dynamic,
                "dynamic-private" => SubscriptionMode::DynamicPrivate,
                other => return Err(format!("unknown subscription mode {other:?}").into()),
            };
            ShardedRedisAdapter::new(config)?
        }
        // The streams adapter's other options, as the reference's (streamCount,
        // useShardedPubSub, onlyPlaintext).
        None if kind == ClusterAdapterKind::RedisStreams => {
            let mut config = RedisStreamsAdapterConfig::new(redis.as_str());
            if let Some(n) = arg(&args, "--stream-count") {
                config.stream_count = n.parse()?;
            }
            config.use_sharded_pub_sub = args.iter().any(|a| a == "--sharded-pubsub");
            config.only_plaintext = args.iter().any(|a| a == "--only-plaintext");
            RedisStreamsAdapter::new(config)?
        }
        None => sio_redis::connect(&redis, kind)?,
    };
    let mut builder = Server::builder().adapter(adapter);
    if args.iter().any(|a| a == "--recovery") {
        builder = builder.connection_state_recovery(RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(60),
            skip_middlewares: true,
        });
    }
    if args.iter().any(|a| a == "--cookie") {
        // The `io` session cookie, for a load balancer with sticky sessions (haproxy.cfg).
        builder = builder.cookie(sio_core::engine::server::SessionCookie::default());
    }
    let io = builder.build();
    let node = name.clone();
    io.on_server_side_with_ack("whoami", move |_, ack| {
        if let Some(ack) = ack {
            ack.send(Value::from(node.as_str()));
        }
    });
    // Each namespace hears its own server-side events.
    let node = format!("{name}@admin");
    io.of("/admin").on_server_side_with_ack("whoami", move |_, ack| {
        if let Some(ack) = ack {
            ack.send(Value::from(node.as_str()));
        }
    });
    let notes = Notes::default();
    let seen = notes.clone();
    io.on_server_side("note", move |args| seen.lock().expect("notes lock").extend(args.iter().cloned()));
    let io2 = io.clone();
    let node = name.clone();
    io.on_connection(move |s| on_connection(&io2, s, &node, &notes));
    let addr = io.listen(("0.0.0.0", port)).await?;
    println!("listening on {}", addr.port());
    tokio::signal::ctrl_c().await?;
    io.close();
    Ok(())
}
