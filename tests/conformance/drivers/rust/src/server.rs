//! Server role: an sio `Server` per `listen`, sockets and pending acks by id.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value as Json};
use sio_core::engine::server::{ConnEvent, Cors, CorsOrigin, TransportKind};
use sio_core::proto::Parser;
use sio_core::server::{AckError, AckSender, BroadcastOperator, ConnectError, RecoveryConfig, Server, Socket};

use crate::{args_of, dec, enc, ms_of, ok, out, str_of, strings_of, Reply};

#[derive(Default)]
struct Shared {
    sockets: HashMap<String, Socket>,
    acks: HashMap<String, AckSender>,
}

#[derive(Default)]
pub struct Driver {
    io: Option<Server>,
    shared: Arc<Mutex<Shared>>,
    ack_seq: Arc<AtomicU64>,
}

fn sorted_rooms(s: &Socket) -> Vec<String> {
    let mut rooms: Vec<String> = s.rooms().into_iter().collect();
    rooms.sort();
    rooms
}

impl Driver {
    fn socket(&self, cmd: &Json, key: &str) -> Result<Socket, String> {
        let id = str_of(cmd, key).ok_or_else(|| format!("missing {key}"))?;
        self.shared
            .lock()
            .expect("driver lock poisoned")
            .sockets
            .get(id)
            .cloned()
            .ok_or_else(|| format!("no connected socket {id}"))
    }

    fn io(&self) -> Result<&Server, String> {
        self.io.as_ref().ok_or_else(|| "not listening".to_string())
    }

    pub async fn close(&mut self) {
        if let Some(io) = self.io.take() {
            io.close();
            // let the transports flush their close packets (bounded)
            for _ in 0..100 {
                if io.engine().session_count() == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let mut sh = self.shared.lock().expect("driver lock poisoned");
        sh.sockets.clear();
        sh.acks.clear();
    }

    pub async fn handle(&mut self, name: &str, cmd: &Json) -> Reply {
        match name {
            "listen" => self.listen(cmd).await,
            "close" => {
                self.close().await;
                ok()
            }
            "emit" => self.emit(cmd),
            "ack" => {
                let key = str_of(cmd, "ack").unwrap_or_default();
                let ack = self
                    .shared
                    .lock()
                    .expect("driver lock poisoned")
                    .acks
                    .remove(key)
                    .ok_or_else(|| format!("no pending ack {key}"))?;
                ack.send(args_of(cmd)).map_err(|e| e.to_string())?;
                ok()
            }
            "join" => {
                self.socket(cmd, "socket")?.join(strings_of(cmd, "rooms"));
                ok()
            }
            "leave" => {
                self.socket(cmd, "socket")?.leave(str_of(cmd, "room").unwrap_or_default());
                ok()
            }
            "rooms" => {
                let s = self.socket(cmd, "socket")?;
                let mut m = Map::new();
                m.insert("rooms".into(), json!(sorted_rooms(&s)));
                Ok(m)
            }
            "setData" => {
                self.socket(cmd, "socket")?.set_data(dec(cmd.get("data").unwrap_or(&Json::Null)));
                ok()
            }
            "fetchSockets" => {
                let ns = self.io()?.of(str_of(cmd, "ns").unwrap_or("/"));
                let mut list = ns.fetch_sockets().await;
                list.sort_by(|a, b| a.id.cmp(&b.id));
                let sockets: Vec<Json> = list
                    .iter()
                    .map(|r| {
                        let mut rooms: Vec<String> = r.rooms.iter().cloned().collect();
                        rooms.sort();
                        json!({"id": r.id, "rooms": rooms, "data": enc(&r.data)})
                    })
                    .collect();
                let mut m = Map::new();
                m.insert("sockets".into(), Json::Array(sockets));
                Ok(m)
            }
            "disconnect" => {
                let close = cmd.get("close").and_then(Json::as_bool).unwrap_or(false);
                self.socket(cmd, "socket")?.disconnect(close);
                ok()
            }
            "transport" => {
                let s = self.socket(cmd, "socket")?;
                let mut m = Map::new();
                m.insert("transport".into(), json!(s.conn().transport().as_str()));
                Ok(m)
            }
            other => Err(format!("unknown command {other}")),
        }
    }

    async fn listen(&mut self, cmd: &Json) -> Reply {
        self.close().await;
        let opts = cmd.get("options").cloned().unwrap_or(json!({}));
        let mut b = Server::builder().cors(Cors { origin: CorsOrigin::Any, credentials: false });
        if let Some(d) = ms_of(&opts, "pingInterval") {
            b = b.ping_interval(d);
        }
        if let Some(d) = ms_of(&opts, "pingTimeout") {
            b = b.ping_timeout(d);
        }
        if let Some(d) = ms_of(&opts, "connectTimeout") {
            b = b.connect_timeout(d);
        }
        let transports = strings_of(&opts, "transports");
        if !transports.is_empty() {
            let kinds: Vec<TransportKind> = transports.iter().filter_map(|t| TransportKind::parse(t)).collect();
            b = b.transports(&kinds);
        }
        if let Some(rec) = opts.get("recovery").filter(|r| r.is_object()) {
            b = b.connection_state_recovery(RecoveryConfig {
                max_disconnection_duration: ms_of(rec, "maxDisconnectionDuration").unwrap_or(Duration::from_secs(60)),
                skip_middlewares: true,
            });
        }
        if let Some(name) = str_of(&opts, "parser") {
            b = b.parser(Parser::from_name(name).ok_or_else(|| format!("unknown parser {name}"))?);
        }
        let io = b.build();
        io.on_engine_connection(|session| {
            let id = session.id().to_owned();
            session.on_event(move |ev| {
                if let ConnEvent::Upgrade(t) = ev {
                    out(json!({"ev": "upgrade", "conn": id, "transport": t.as_str()}));
                }
            });
        });
        let events = strings_of(cmd, "events");
        let mut names = vec!["/".to_string()];
        let namespaces = cmd.get("namespaces").and_then(Json::as_object).cloned().unwrap_or_default();
        names.extend(namespaces.keys().filter(|n| n.as_str() != "/").cloned());
        for name in names {
            let ns = io.of(&name);
            if let Some(refuse) = namespaces.get(&name).and_then(|n| n.get("refuse")) {
                let message = str_of(refuse, "message").unwrap_or_default().to_owned();
                let data = refuse.get("data").map(dec);
                ns.use_middleware(move |_socket| {
                    let err = match &data {
                        Some(d) => ConnectError::with_data(message.clone(), d.clone()),
                        None => ConnectError::new(message.clone()),
                    };
                    async move { Err(err) }
                });
            }
            let (shared, seq, events) = (self.shared.clone(), self.ack_seq.clone(), events.clone());
            ns.on_connection(move |socket| on_connection(socket, &shared, &seq, &events));
        }
        let addr = io.listen(("127.0.0.1", 0)).await.map_err(|e| e.to_string())?;
        self.io = Some(io);
        let mut m = Map::new();
        m.insert("port".into(), json!(addr.port()));
        Ok(m)
    }

    fn emit(&self, cmd: &Json) -> Reply {
        let event = str_of(cmd, "event").unwrap_or_default().to_owned();
        let args = args_of(cmd);
        if let Some(tag) = cmd.get("ackTag").cloned() {
            let s = self.socket(cmd, "socket")?;
            let timeout = ms_of(cmd, "ackTimeout").unwrap_or(Duration::from_secs(5));
            tokio::spawn(async move {
                match s.timeout(timeout).emit_with_ack(&event, args).await {
                    Ok(res) => out(json!({"ev": "ack", "tag": tag, "args": res.iter().map(enc).collect::<Vec<_>>()})),
                    Err(AckError::Timeout { .. }) => {
                        out(json!({"ev": "ack", "tag": tag, "error": "operation has timed out"}))
                    }
                    Err(e) => out(json!({"ev": "ack", "tag": tag, "error": e.to_string()})),
                }
            });
            return ok();
        }
        let rooms = strings_of(cmd, "rooms");
        let except = strings_of(cmd, "except");
        let with_rooms = |mut op: BroadcastOperator| {
            for r in &rooms {
                op = op.to(r.clone());
            }
            for r in &except {
                op = op.except(r.clone());
            }
            op
        };
        let res = if cmd.get("socket").is_some() {
            self.socket(cmd, "socket")?.emit(&event, args)
        } else if cmd.get("from").is_some() {
            let s = self.socket(cmd, "from")?;
            with_rooms(s.broadcast()).emit(&event, args)
        } else {
            let ns = self.io()?.of(str_of(cmd, "ns").unwrap_or("/"));
            with_rooms(ns.all()).emit(&event, args)
        };
        res.map_err(|e| e.to_string())?;
        ok()
    }
}

fn on_connection(socket: Socket, shared: &Arc<Mutex<Shared>>, seq: &Arc<AtomicU64>, events: &[String]) {
    let ns = socket.ns().to_owned();
    let id = socket.id().to_owned();
    shared.lock().expect("driver lock poisoned").sockets.insert(id.clone(), socket.clone());
    out(json!({
        "ev": "connection", "ns": ns, "id": id, "conn": socket.conn().id(),
        "transport": socket.conn().transport().as_str(), "recovered": socket.recovered(),
        "auth": enc(&socket.handshake().auth), "rooms": sorted_rooms(&socket),
    }));
    socket.on_disconnecting(|s, reason| {
        out(json!({"ev": "disconnecting", "ns": s.ns(), "id": s.id(), "reason": reason.as_str(), "rooms": sorted_rooms(s)}));
    });
    let sh = shared.clone();
    socket.on_disconnect(move |s, reason| {
        sh.lock().expect("driver lock poisoned").sockets.remove(s.id());
        out(json!({"ev": "disconnect", "ns": s.ns(), "id": s.id(), "reason": reason.as_str()}));
    });
    for name in events {
        let (sh, seq, event) = (shared.clone(), seq.clone(), name.clone());
        socket.on(name.clone(), move |s, args, ack| {
            let key = ack.map(|a| {
                let k = format!("k{}", seq.fetch_add(1, Ordering::Relaxed) + 1);
                sh.lock().expect("driver lock poisoned").acks.insert(k.clone(), a);
                k
            });
            out(json!({"ev": "event", "ns": s.ns(), "id": s.id(), "name": event, "args": args.iter().map(enc).collect::<Vec<_>>(), "ack": key}));
        });
    }
}
