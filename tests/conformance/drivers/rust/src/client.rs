//! Client role: one sio `Manager` per `connect`, its namespace sockets by client name.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value as Json};
use sio_core::client::{AckSender, Auth, Manager, ManagerConfig, ManagerEvent, Socket, SocketConfig};
use sio_core::engine::client::EngineEvent;
use sio_core::engine::server::TransportKind;
use sio_core::proto::Parser;
use sio_core::AckError;

use crate::{args_of, dec, enc, ms_of, ok, out, str_of, strings_of, Reply};

#[derive(Default)]
pub struct Driver {
    managers: Vec<(Manager, Arc<AtomicBool>)>,
    sockets: HashMap<String, Socket>,
    acks: Arc<Mutex<HashMap<String, AckSender>>>,
    ack_seq: Arc<AtomicU64>,
}

impl Driver {
    fn socket(&self, cmd: &Json) -> Result<&Socket, String> {
        let name = str_of(cmd, "client").unwrap_or_default();
        self.sockets.get(name).ok_or_else(|| format!("no client {name}"))
    }

    pub fn close(&mut self) {
        for (_, closed) in &self.managers {
            closed.store(true, Ordering::SeqCst);
        }
        for s in self.sockets.values() {
            s.disconnect();
        }
        self.managers.clear();
        self.sockets.clear();
        self.acks.lock().expect("driver lock poisoned").clear();
    }

    pub async fn handle(&mut self, name: &str, cmd: &Json) -> Reply {
        match name {
            "connect" => self.connect(cmd),
            "close" => {
                self.close();
                ok()
            }
            "emit" => {
                let s = self.socket(cmd)?;
                let event = str_of(cmd, "event").unwrap_or_default();
                let args = args_of(cmd);
                let res = match cmd.get("ackTag").cloned() {
                    None => s.emit(event, args),
                    Some(tag) => {
                        let client = str_of(cmd, "client").unwrap_or_default().to_owned();
                        let cb = move |res: Result<Vec<sio_core::Value>, AckError>| match res {
                            Ok(a) => out(
                                json!({"ev": "ack", "client": client, "tag": tag, "args": a.iter().map(enc).collect::<Vec<_>>()}),
                            ),
                            Err(AckError::Timeout { .. }) => out(
                                json!({"ev": "ack", "client": client, "tag": tag, "error": "operation has timed out"}),
                            ),
                            Err(e) => out(json!({"ev": "ack", "client": client, "tag": tag, "error": e.to_string()})),
                        };
                        match ms_of(cmd, "ackTimeout") {
                            Some(t) => s.timeout(t).emit_with_callback(event, args, cb),
                            None => s.emit_with_callback(event, args, cb),
                        }
                    }
                };
                res.map_err(|e| e.to_string())?;
                ok()
            }
            "ack" => {
                let key = str_of(cmd, "ack").unwrap_or_default();
                let ack = self
                    .acks
                    .lock()
                    .expect("driver lock poisoned")
                    .remove(key)
                    .ok_or_else(|| format!("no pending ack {key}"))?;
                ack.send(args_of(cmd));
                ok()
            }
            "disconnect" => {
                self.socket(cmd)?.disconnect();
                ok()
            }
            "connectAgain" => {
                self.socket(cmd)?.connect();
                ok()
            }
            "state" => {
                let s = self.socket(cmd)?;
                let mut m = Map::new();
                m.insert("connected".into(), json!(s.connected()));
                m.insert("active".into(), json!(s.active()));
                m.insert("id".into(), json!(s.id()));
                m.insert("recovered".into(), json!(s.recovered()));
                Ok(m)
            }
            "transport" => {
                let s = self.socket(cmd)?;
                let engine = s.io().engine().ok_or("not connected")?;
                let mut m = Map::new();
                m.insert("transport".into(), json!(engine.transport().as_str()));
                Ok(m)
            }
            other => Err(format!("unknown command {other}")),
        }
    }

    fn connect(&mut self, cmd: &Json) -> Reply {
        let opts = cmd.get("options").cloned().unwrap_or(json!({}));
        let mut config = ManagerConfig {
            url: str_of(cmd, "url").unwrap_or_default().to_owned(),
            auto_connect: false,
            ..ManagerConfig::default()
        };
        let transports = strings_of(&opts, "transports");
        if !transports.is_empty() {
            config.transports = transports.iter().filter_map(|t| TransportKind::parse(t)).collect();
        }
        if let Some(b) = opts.get("upgrade").and_then(Json::as_bool) {
            config.upgrade = b;
        }
        if let Some(b) = opts.get("reconnection").and_then(Json::as_bool) {
            config.reconnection = b;
        }
        if let Some(n) = opts.get("reconnectionAttempts").and_then(Json::as_u64) {
            config.reconnection_attempts = Some(n as u32);
        }
        if let Some(d) = ms_of(&opts, "reconnectionDelay") {
            config.reconnection_delay = d;
        }
        if let Some(d) = ms_of(&opts, "reconnectionDelayMax") {
            config.reconnection_delay_max = d;
        }
        if let Some(f) = opts.get("randomizationFactor").and_then(Json::as_f64) {
            config.randomization_factor = f;
        }
        if let Some(d) = ms_of(&opts, "timeout") {
            config.timeout = d;
        }
        if let Some(name) = str_of(&opts, "parser") {
            config.parser = Parser::from_name(name).ok_or_else(|| format!("unknown parser {name}"))?;
        }
        let mname = str_of(cmd, "manager").unwrap_or_default().to_owned();
        let manager = Manager::new(config);
        let closed = Arc::new(AtomicBool::new(false));
        let live = closed.clone();
        let mn = mname.clone();
        manager.on(move |_, ev| {
            if live.load(Ordering::SeqCst) {
                return;
            }
            match ev {
                ManagerEvent::ReconnectAttempt(n) => {
                    out(json!({"ev": "reconnect_attempt", "client": mn, "attempt": n}))
                }
                ManagerEvent::Reconnect(n) => out(json!({"ev": "reconnect", "client": mn, "attempt": n})),
                ManagerEvent::ReconnectError(e) => out(json!({"ev": "reconnect_error", "client": mn, "message": e})),
                ManagerEvent::ReconnectFailed => out(json!({"ev": "reconnect_failed", "client": mn})),
                ManagerEvent::Engine(EngineEvent::Upgrade(t)) => {
                    out(json!({"ev": "upgrade", "client": mn, "transport": t.as_str()}))
                }
                _ => {}
            }
        });
        let events = strings_of(cmd, "events");
        let mut created = Vec::new();
        for spec in cmd.get("sockets").and_then(Json::as_array).cloned().unwrap_or_default() {
            let client = str_of(&spec, "client").unwrap_or_default().to_owned();
            let ns = str_of(&spec, "ns").unwrap_or("/");
            let auth = spec.get("auth").map(|a| Auth::Static(dec(a))).unwrap_or_default();
            let s = manager.socket(ns, SocketConfig { auth, ..SocketConfig::default() });
            let (c, live) = (client.clone(), closed.clone());
            s.on_connect(move |s| {
                if !live.load(Ordering::SeqCst) {
                    out(json!({"ev": "connect", "client": c, "id": s.id(), "recovered": s.recovered()}));
                }
            });
            let (c, live) = (client.clone(), closed.clone());
            s.on_connect_error(move |s, e| {
                if !live.load(Ordering::SeqCst) {
                    let data = e.data.as_ref().map(enc).unwrap_or(Json::Null);
                    out(json!({"ev": "connect_error", "client": c, "message": e.message, "data": data, "active": s.active()}));
                }
            });
            let (c, live) = (client.clone(), closed.clone());
            s.on_disconnect(move |s, reason| {
                if !live.load(Ordering::SeqCst) {
                    out(json!({"ev": "disconnect", "client": c, "reason": reason.as_str(), "active": s.active()}));
                }
            });
            for name in &events {
                let (c, live, acks, seq, event) =
                    (client.clone(), closed.clone(), self.acks.clone(), self.ack_seq.clone(), name.clone());
                s.on(name.clone(), move |_, args, ack| {
                    if live.load(Ordering::SeqCst) {
                        return;
                    }
                    let key = ack.map(|a| {
                        let k = format!("k{}", seq.fetch_add(1, Ordering::Relaxed) + 1);
                        acks.lock().expect("driver lock poisoned").insert(k.clone(), a);
                        k
                    });
                    out(json!({"ev": "event", "client": c, "name": event, "args": args.iter().map(enc).collect::<Vec<_>>(), "ack": key}));
                });
            }
            self.sockets.insert(client, s.clone());
            created.push(s);
        }
        for s in created {
            s.connect();
        }
        self.managers.push((manager, closed));
        ok()
    }
}
