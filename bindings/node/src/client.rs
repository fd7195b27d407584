//! The client side: a Manager (one Engine.IO connection) and its namespace sockets, over
//! `sio_core::embed::EmbeddedClient`: the first socket opens the connection, the others
//! are namespaces opened on it (`open_namespace_idle`), so they share it.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::embed::{
    AckOutcome, Auth, ClientAckSender, ClientEngineActivity, ClientOptions, EmbedError, EmbeddedClient, EngineWatch,
    HostAuth, ManagerConfig, Parser, Reply, SocketConfig, TransportKind, Tuning,
};
use sio_core::{EmitError, Value};

use crate::codec::{args_from_js, value_from_js};
use crate::event::Ev;
use crate::{deliver, err, runtime};

/// Keys of managers: JS routes reconnection events by them. Client sockets are keyed by
/// their `EmbeddedClient` id.
static NEXT_MANAGER: AtomicU32 = AtomicU32::new(0x4000_0000);

/// The manager of each client socket: the core tells reconnection events under the id of
/// one of the connection's clients, JS under its manager's key.
static MANAGERS: Mutex<Option<HashMap<u64, u32>>> = Mutex::new(None);

/// The JS key of client `client`'s manager (the id itself if unknown).
pub(crate) fn manager_of(client: u64) -> u64 {
    MANAGERS
        .lock()
        .expect("manager table poisoned")
        .as_ref()
        .and_then(|m| m.get(&client))
        .map_or(client, |k| u64::from(*k))
}

/// socket.io-client Manager options (durations in ms). Unset fields keep socket.io-client's defaults.
#[napi(object)]
pub struct NativeClientOptions {
    /// Endpoint path.
    pub path: Option<String>,
    /// Extra query parameters.
    pub query: Option<HashMap<String, String>>,
    /// Extra HTTP headers.
    pub extra_headers: Option<HashMap<String, String>>,
    /// Transports in order (`polling`, `websocket`).
    pub transports: Option<Vec<String>>,
    /// Upgrade polling to WebSocket.
    pub upgrade: Option<bool>,
    /// Cache-busting `t` parameter.
    pub timestamp_requests: Option<bool>,
    /// Reconnect automatically.
    pub reconnection: Option<bool>,
    /// Attempts before giving up (absent: unlimited).
    pub reconnection_attempts: Option<u32>,
    /// First delay.
    pub reconnection_delay: Option<u32>,
    /// Largest delay.
    pub reconnection_delay_max: Option<u32>,
    /// Jitter, 0..=1.
    pub randomization_factor: Option<f64>,
    /// Connection timeout.
    pub timeout: Option<u32>,
    /// Verify TLS certificates.
    pub reject_unauthorized: Option<bool>,
    /// Extra CA, PEM.
    pub ca: Option<String>,
    /// The packet format: `default` (socket.io-parser) or `msgpack` (socket.io-msgpack-parser).
    pub parser: Option<String>,
    /// Offer WebSocket permessage-deflate (default true).
    pub per_message_deflate: Option<bool>,
    /// Smallest message compressed, in bytes (default 1024).
    pub per_message_deflate_threshold: Option<u32>,
}

fn ms(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

fn emit_err(e: EmitError) -> Error {
    match e {
        EmitError::Reserved(name) => err("ERR_SIO_RESERVED_EVENT", format!("\"{name}\" is a reserved event name")),
        EmitError::Disconnected => err("ERR_SIO_DISCONNECTED", "socket is disconnected"),
    }
}

fn client_err(e: EmbedError) -> Error {
    match e {
        EmbedError::InvalidArgument(m) => err("ERR_SIO_INVALID_OPTION", m),
        e => err("ERR_SIO_RUNTIME", e),
    }
}

/// A Manager: one Engine.IO connection shared by its namespace sockets.
#[napi]
pub struct NativeManager {
    /// Scheme and authority.
    url: String,
    /// The options; the reconnection ones change with the setters.
    config: Mutex<ManagerConfig>,
    key: u32,
    /// The connection's first socket, through which the others are opened.
    first: Mutex<Option<EmbeddedClient>>,
    /// What JS hears of the Engine.IO connection (`socket.io.engine`): [`ENGINE_NONE`],
    /// [`ENGINE_LIFECYCLE`] or [`ENGINE_ALL`]. Raised only; read by the watcher.
    engine_level: Arc<AtomicU8>,
}

/// `socket.io.engine` has no listener: the connection is not watched.
const ENGINE_NONE: u8 = 0;
/// `open`, `upgrade` and `close` go to JS.
const ENGINE_LIFECYCLE: u8 = 1;
/// Also `packet`, `packetCreate` and `drain` (a call into JS per packet).
const ENGINE_ALL: u8 = 2;

/// The watcher of a manager's connection: hands JS (`manager_engine` events under the
/// manager's key) what its level lets through.
fn engine_watch(key: u32, level: Arc<AtomicU8>) -> EngineWatch {
    Arc::new(move |activity: ClientEngineActivity| {
        let per_packet = matches!(
            activity,
            ClientEngineActivity::Packet(_) | ClientEngineActivity::PacketCreate(_) | ClientEngineActivity::Drain
        );
        if per_packet && level.load(Ordering::Acquire) < ENGINE_ALL {
            return;
        }
        deliver(Ev::ClientEngine { manager: u64::from(key), activity });
    })
}

#[napi]
impl NativeManager {
    /// A manager for `url` (scheme and authority only). Nothing connects until a socket does.
    #[napi(constructor)]
    pub fn new(url: String, options: Option<NativeClientOptions>) -> Result<Self> {
        let mut m = ManagerConfig::default();
        if let Some(o) = options {
            if let Some(p) = o.path {
                m.path = if p.ends_with('/') { p } else { format!("{p}/") };
            }
            if let Some(q) = o.query {
                m.query = q.into_iter().collect();
            }
            if let Some(h) = o.extra_headers {
                m.extra_headers = h.into_iter().collect();
            }
            if let Some(t) = o.transports {
                m.transports = t
                    .iter()
                    .map(|s| {
                        TransportKind::parse(s)
                            .ok_or_else(|| err("ERR_SIO_INVALID_OPTION", format!("unknown transport \"{s}\"")))
                    })
                    .collect::<Result<_>>()?;
            }
            if let Some(v) = o.upgrade {
                m.upgrade = v;
            }
            if let Some(v) = o.timestamp_requests {
                m.timestamp_requests = v;
            }
            if let Some(v) = o.reconnection {
                m.reconnection = v;
            }
            m.reconnection_attempts = o.reconnection_attempts;
            if let Some(v) = o.reconnection_delay {
                m.reconnection_delay = ms(v);
            }
            if let Some(v) = o.reconnection_delay_max {
                m.reconnection_delay_max = ms(v);
            }
            if let Some(v) = o.randomization_factor {
                m.randomization_factor = v;
            }
            if let Some(v) = o.timeout {
                m.timeout = ms(v);
            }
            if let Some(v) = o.reject_unauthorized {
                m.tls.reject_unauthorized = v;
            }
            if let Some(ca) = o.ca {
                m.tls.ca_pem = Some(ca.into_bytes());
            }
            if o.per_message_deflate == Some(false) {
                m.per_message_deflate = None;
            } else if let (Some(t), Some(d)) = (o.per_message_deflate_threshold, m.per_message_deflate.as_mut()) {
                d.threshold = t as usize;
            }
            if let Some(p) = o.parser {
                m.parser = Parser::from_name(&p).ok_or_else(|| {
                    err(
                        "ERR_SIO_INVALID_OPTION",
                        format!("option \"parser\" must be \"default\" or \"msgpack\", not \"{p}\""),
                    )
                })?;
            }
        }
        // Sockets connect when JS says so, after their listeners are in place.
        m.auto_connect = false;
        let key = NEXT_MANAGER.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(NativeManager {
            url: url.trim_end_matches('/').to_owned(),
            config: Mutex::new(m),
            key,
            first: Mutex::default(),
            engine_level: Arc::new(AtomicU8::new(ENGINE_NONE)),
        })
    }

    /// The id carried by this manager's (reconnection) events.
    #[napi(getter)]
    pub fn key(&self) -> u32 {
        self.key
    }

    /// Changes the reconnection settings (socket.io-client's `reconnection(v)`,
    /// `reconnectionAttempts(n)`, `reconnectionDelay(ms)`, `reconnectionDelayMax(ms)`,
    /// `randomizationFactor(f)`, `timeout(ms)`): for the connection from its next attempt on,
    /// or for the one it will open. `attempts` absent: no limit.
    #[napi]
    pub fn set_tuning(
        &self,
        reconnection: bool,
        attempts: Option<u32>,
        delay_ms: u32,
        delay_max_ms: u32,
        randomization_factor: f64,
        timeout_ms: u32,
    ) -> Result<()> {
        let tuning = Tuning {
            reconnection,
            reconnection_attempts: attempts,
            reconnection_delay: ms(delay_ms),
            reconnection_delay_max: ms(delay_max_ms),
            randomization_factor,
            timeout: ms(timeout_ms),
        };
        tuning.validate().map_err(|e| err("ERR_SIO_INVALID_ARGUMENT", e))?;
        self.config.lock().expect("manager lock").set_tuning(tuning);
        if let Some(first) = self.first.lock().expect("manager lock").as_ref() {
            first.set_tuning(tuning).map_err(client_err)?;
        }
        Ok(())
    }

    /// The Engine.IO session id while the connection is open.
    #[napi(getter)]
    pub fn engine_id(&self) -> Option<String> {
        self.first.lock().expect("manager lock").as_ref()?.connection_id()
    }

    /// The Engine.IO connection's transport (`polling` or `websocket`) while it is open.
    #[napi(getter)]
    pub fn engine_transport(&self) -> Option<String> {
        let first = self.first.lock().expect("manager lock");
        Some(first.as_ref()?.socket().io().engine()?.transport().as_str().to_owned())
    }

    /// Starts telling JS (`manager_engine` events) what the Engine.IO connection does, across
    /// reconnections: `open`, `upgrade` and `close`, and with `per_packet` also `packet`,
    /// `packetCreate` and `drain`. A later call can add the packets, not remove them.
    #[napi]
    pub fn watch_engine(&self, per_packet: bool) {
        let level = if per_packet { ENGINE_ALL } else { ENGINE_LIFECYCLE };
        let before = self.engine_level.fetch_max(level, Ordering::AcqRel);
        if before == ENGINE_NONE {
            // Under the lock `socket` creates the connection with: watched from its start.
            if let Some(first) = self.first.lock().expect("manager lock").as_ref() {
                first.watch_engine(Some(engine_watch(self.key, self.engine_level.clone())));
            }
        }
    }

    /// Whether the Engine.IO connection is open.
    #[napi(getter)]
    pub fn is_open(&self) -> bool {
        self.first.lock().expect("manager lock").as_ref().is_some_and(|c| c.connection_open())
    }

    /// The socket of namespace `nsp` on this manager's connection (not connected yet).
    /// `auth` is the CONNECT payload as JSON. With `auth_fn`, the payload comes from a
    /// JS function instead: before each connect() JS hands it over with `set_auth`, and
    /// when the socket reconnects by itself a `client_auth` event asks JS for it.
    #[napi]
    pub fn socket(
        &self,
        nsp: String,
        auth: Option<String>,
        retries: Option<u32>,
        ack_timeout: Option<u32>,
        auth_fn: Option<bool>,
    ) -> Result<NativeClient> {
        let mut config = SocketConfig::default();
        if let Some(a) = auth {
            config.auth = Auth::Static(value_from_js(&a, &[])?);
        }
        // The client's id is known once it exists; JS is asked only when it connects.
        let id = Arc::new(AtomicU64::new(0));
        let host_auth = (auth_fn == Some(true)).then(|| {
            let id = id.clone();
            HostAuth::new(self.config.lock().expect("manager lock").timeout, move |reply| {
                deliver(Ev::ClientAuth { client: id.load(Ordering::Acquire), reply })
            })
        });
        if let Some(h) = &host_auth {
            config.auth = h.auth();
        }
        config.retries = retries;
        config.ack_timeout = ack_timeout.map(ms);
        let nsp = if nsp.starts_with('/') { nsp } else { format!("/{nsp}") };
        let c = {
            let mut first = self.first.lock().expect("manager lock");
            match first.as_ref() {
                Some(f) => f.open_namespace_idle(&nsp, config).map_err(client_err)?,
                None => {
                    let manager = self.config.lock().expect("manager lock").clone();
                    let options = ClientOptions { manager, socket: config, ..ClientOptions::default() };
                    let c = runtime()?.client(&format!("{}{nsp}", self.url), options).map_err(client_err)?;
                    if self.engine_level.load(Ordering::Acquire) != ENGINE_NONE {
                        c.watch_engine(Some(engine_watch(self.key, self.engine_level.clone())));
                    }
                    *first = Some(c.clone());
                    c
                }
            }
        };
        id.store(c.id(), Ordering::Release);
        MANAGERS.lock().expect("manager table poisoned").get_or_insert_with(HashMap::new).insert(c.id(), self.key);
        Ok(NativeClient { c, auth: host_auth })
    }
}

/// Where JS sends the CONNECT payload its `auth` function produced.
#[napi]
pub struct NativeAuthReply {
    r: Reply<Value>,
}

impl NativeAuthReply {
    pub(crate) fn new(r: Reply<Value>) -> Self {
        NativeAuthReply { r }
    }
}

#[napi]
impl NativeAuthReply {
    /// Sends the payload (JSON); only the first call counts.
    #[napi]
    pub fn send(&mut self, json: String) -> Result<()> {
        let v = value_from_js(&json, &[])?;
        self.r.send(v);
        Ok(())
    }
}

/// A client socket (one namespace of a Manager).
#[napi]
pub struct NativeClient {
    c: EmbeddedClient,
    auth: Option<Arc<HostAuth>>,
}

/// A socket JS can no longer reach is forgotten by the runtime (it is inactive: an active
/// one is held by the JS dispatcher); the connection closes with its last socket.
impl Drop for NativeClient {
    fn drop(&mut self) {
        if let Some(m) = MANAGERS.lock().expect("manager table poisoned").as_mut() {
            m.remove(&self.c.id());
        }
        self.c.close();
    }
}

#[napi]
impl NativeClient {
    /// The id carried by this socket's events.
    #[napi(getter)]
    pub fn key(&self) -> u32 {
        self.c.id() as u32
    }

    /// The server-given socket id while connected.
    #[napi(getter)]
    pub fn sid(&self) -> Option<String> {
        self.c.socket().id()
    }

    /// Whether connected.
    #[napi(getter)]
    pub fn connected(&self) -> bool {
        self.c.socket().connected()
    }

    /// Whether it (re)connects by itself.
    #[napi(getter)]
    pub fn active(&self) -> bool {
        self.c.socket().active()
    }

    /// Whether the last connection recovered the session.
    #[napi(getter)]
    pub fn recovered(&self) -> bool {
        self.c.socket().recovered()
    }

    /// Sets the CONNECT payload (JSON) the next connection sends (an `auth` function's result).
    #[napi]
    pub fn set_auth(&self, json: String) -> Result<()> {
        let v = value_from_js(&json, &[])?;
        if let Some(a) = &self.auth {
            a.set(v);
        }
        Ok(())
    }

    /// Connects (again). Returns at once; events follow (queued, never re-entrant).
    ///
    /// Takes effect on the JS thread rather than as a spawned task: JS reads `active`
    /// right after, and commands on sockets of one Manager must not race each other
    /// (two sockets disconnecting at once on two runtime threads can make the core
    /// close the shared connection under the first).
    #[napi]
    pub fn connect(&self) {
        self.c.connect_now();
    }

    /// Disconnects (`io client disconnect`). The event follows (queued).
    #[napi]
    pub fn disconnect(&self) {
        self.c.disconnect_now();
    }

    /// Emits (buffered while disconnected); `compress`: socket.io-client's flag (default true).
    #[napi]
    pub fn emit(&self, event: String, json: String, bins: Vec<Buffer>, compress: Option<bool>) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.c.emit_flagged(&event, args, false, compress.unwrap_or(true)).map_err(emit_err)
    }

    /// Emits a volatile event: dropped while the connection is not writable.
    #[napi]
    pub fn emit_volatile(&self, event: String, json: String, bins: Vec<Buffer>, compress: Option<bool>) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.c.emit_flagged(&event, args, true, compress.unwrap_or(true)).map_err(emit_err)
    }

    /// Emits with an acknowledgement; an `ack` event with `key` follows exactly once.
    /// `volatile` (`socket.volatile.emit(.., cb)`): dropped while the connection is not
    /// writable, the callback then timing out (or, without a timeout, never called).
    #[napi]
    pub fn emit_with_ack(
        &self,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        timeout_ms: Option<u32>,
        key: u32,
        volatile: Option<bool>,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        let done = move |outcome: AckOutcome| deliver(Ev::AckDone { key, outcome });
        let timeout = timeout_ms.map(ms);
        match volatile {
            Some(true) => self.c.emit_volatile_with_ack(&event, args, timeout, done),
            _ => self.c.emit_with_ack(&event, args, timeout, done),
        }
        .map_err(emit_err)
    }
}

/// The answer to a server's acknowledgement request.
#[napi]
pub struct NativeClientAck {
    a: ClientAckSender,
}

impl NativeClientAck {
    pub(crate) fn new(a: ClientAckSender) -> Self {
        NativeClientAck { a }
    }
}

#[napi]
impl NativeClientAck {
    /// Sends the answer; false if one was already sent or the connection is gone.
    #[napi]
    pub fn send(&self, json: String, bins: Vec<Buffer>) -> Result<bool> {
        Ok(self.a.send(args_from_js(&json, &bins)?))
    }
}
