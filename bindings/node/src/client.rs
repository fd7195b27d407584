//! The client side: a Manager (one Engine.IO connection) and its namespace sockets,
//! built on the core client API directly so that sockets of one Manager share its
//! connection (`sio_core::embed::EmbeddedClient` makes one Manager per socket).
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::client::{AckSender, Auth, Manager, ManagerConfig, ManagerEvent, Socket, SocketConfig};
use sio_core::embed::TransportKind;
use sio_core::embed::{AckOutcome, Event};
use sio_core::{EmitError, Value};

use crate::codec::{args_from_js, value_from_js};
use crate::event::Ev;
use crate::{deliver, err, runtime, BoxFuture};

/// Ids of managers and client sockets: above the ids the embed runtime gives servers, so
/// the JS dispatcher's maps never mix them up.
static NEXT_ID: AtomicU32 = AtomicU32::new(0x4000_0000);

fn next_id() -> u32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed) + 1
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

/// Completes an acknowledgement exactly once: with the answer, or `cancelled` if the
/// core drops the callback unanswered.
struct Completion(Option<u32>);

impl Completion {
    fn complete(mut self, outcome: AckOutcome) {
        if let Some(key) = self.0.take() {
            deliver(Ev::AckDone { key, outcome });
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(key) = self.0.take() {
            deliver(Ev::AckDone { key, outcome: AckOutcome::Cancelled });
        }
    }
}

/// A Manager: one Engine.IO connection shared by its namespace sockets.
#[napi]
pub struct NativeManager {
    m: Manager,
    id: u32,
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
        }
        m.url = url;
        // Sockets connect when JS says so, after their listeners are in place.
        m.auto_connect = false;
        let _g = runtime()?.handle().enter();
        let manager = Manager::new(m);
        let id = next_id();
        manager.on(move |_, ev| {
            let event = match ev {
                ManagerEvent::ReconnectAttempt(n) => Event::ReconnectAttempt { client: u64::from(id), attempt: *n },
                ManagerEvent::Reconnect(n) => Event::Reconnect { client: u64::from(id), attempt: *n },
                ManagerEvent::ReconnectError(msg) => {
                    Event::ReconnectError { client: u64::from(id), message: (*msg).to_owned() }
                }
                ManagerEvent::ReconnectFailed => Event::ReconnectFailed { client: u64::from(id) },
                _ => return,
            };
            deliver(Ev::Core(event));
        });
        Ok(NativeManager { m: manager, id })
    }

    /// The id carried by this manager's (reconnection) events.
    #[napi(getter)]
    pub fn key(&self) -> u32 {
        self.id
    }

    /// The Engine.IO session id while the connection is open.
    #[napi(getter)]
    pub fn engine_id(&self) -> Option<String> {
        self.m.engine().map(|e| e.sid().to_owned())
    }

    /// Whether the Engine.IO connection is open.
    #[napi(getter)]
    pub fn is_open(&self) -> bool {
        self.m.is_open()
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
        let id = next_id();
        let client = u64::from(id);
        let mut config = SocketConfig::default();
        if let Some(a) = auth {
            config.auth = Auth::Static(value_from_js(&a, &[])?);
        }
        let slot = Arc::new(AuthSlot::default());
        if auth_fn == Some(true) {
            let (slot, timeout) = (slot.clone(), self.m.config().timeout);
            config.auth = Auth::Deferred(Arc::new(move || slot.payload(client, timeout)));
        }
        config.retries = retries;
        config.ack_timeout = ack_timeout.map(ms);
        let _g = runtime()?.handle().enter();
        let s = self.m.socket(&nsp, config);
        s.on_connect(move |_| deliver(Ev::Core(Event::ClientConnect { client })));
        s.on_connect_error(move |sock, error| {
            deliver(Ev::Core(Event::ClientConnectError { client, error: error.clone(), active: sock.active() }));
        });
        s.on_disconnect(move |sock, reason| {
            deliver(Ev::Core(Event::ClientDisconnect { client, reason, active: sock.active() }))
        });
        s.on_unhandled(move |_, name, args, ack| {
            deliver(Ev::Core(Event::ClientMessage { client, name: name.to_owned(), args, ack }));
        });
        Ok(NativeClient { s, id, auth: slot })
    }

    /// Closes the connection and stops reconnecting.
    #[napi]
    pub fn close(&self) -> Result<()> {
        let _g = runtime()?.handle().enter();
        self.m.close();
        Ok(())
    }
}

/// The CONNECT payload of a socket whose `auth` is a JS function.
#[derive(Default)]
struct AuthSlot {
    /// Computed by JS for the next CONNECT (used once).
    fresh: Mutex<Option<Value>>,
    /// The last payload sent (the fallback when JS does not answer).
    last: Mutex<Option<Value>>,
}

impl AuthSlot {
    fn set(&self, v: Value) {
        *self.last.lock().expect("auth lock") = Some(v.clone());
        *self.fresh.lock().expect("auth lock") = Some(v);
    }

    /// Called by the core each time it sends CONNECT. JS's call to `auth` happened
    /// before connect() or, for a reconnection, happens now: CONNECT waits for the
    /// callback (no thread does), up to the connection `timeout`, after which the last
    /// payload is sent again.
    fn payload(self: &Arc<Self>, client: u64, timeout: Duration) -> BoxFuture<Value> {
        if let Some(v) = self.fresh.lock().expect("auth lock").take() {
            return Box::pin(std::future::ready(v));
        }
        let (reply, rx) = tokio::sync::oneshot::channel();
        deliver(Ev::ClientAuth { client, reply });
        let slot = self.clone();
        Box::pin(async move {
            let mut last =
                slot.last.lock().expect("auth lock").clone().unwrap_or_else(|| Value::Object(Default::default()));
            if let Ok(Ok(v)) = tokio::time::timeout(timeout, rx).await {
                *slot.last.lock().expect("auth lock") = Some(v.clone());
                last = v;
            }
            last
        })
    }
}

/// Where JS sends the CONNECT payload its `auth` function produced.
#[napi]
pub struct NativeAuthReply {
    tx: Option<tokio::sync::oneshot::Sender<Value>>,
}

impl NativeAuthReply {
    pub(crate) fn new(tx: tokio::sync::oneshot::Sender<Value>) -> Self {
        NativeAuthReply { tx: Some(tx) }
    }
}

#[napi]
impl NativeAuthReply {
    /// Sends the payload (JSON); only the first call counts.
    #[napi]
    pub fn send(&mut self, json: String) -> Result<()> {
        let v = value_from_js(&json, &[])?;
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(v);
        }
        Ok(())
    }
}

/// A client socket (one namespace of a Manager).
#[napi]
pub struct NativeClient {
    s: Socket,
    id: u32,
    auth: Arc<AuthSlot>,
}

#[napi]
impl NativeClient {
    /// The id carried by this socket's events.
    #[napi(getter)]
    pub fn key(&self) -> u32 {
        self.id
    }

    /// The server-given socket id while connected.
    #[napi(getter)]
    pub fn sid(&self) -> Option<String> {
        self.s.id()
    }

    /// Whether connected.
    #[napi(getter)]
    pub fn connected(&self) -> bool {
        self.s.connected()
    }

    /// Whether it (re)connects by itself.
    #[napi(getter)]
    pub fn active(&self) -> bool {
        self.s.active()
    }

    /// Whether the last connection recovered the session.
    #[napi(getter)]
    pub fn recovered(&self) -> bool {
        self.s.recovered()
    }

    /// Sets the CONNECT payload (JSON) the next connection sends (an `auth` function's result).
    #[napi]
    pub fn set_auth(&self, json: String) -> Result<()> {
        self.auth.set(value_from_js(&json, &[])?);
        Ok(())
    }

    /// Connects (again). Returns at once; events follow (queued, never re-entrant).
    ///
    /// Runs on the JS thread rather than as a spawned task: commands on sockets of one
    /// Manager must not race each other (two sockets disconnecting at once on two
    /// runtime threads can make the core close the shared connection under the first).
    #[napi]
    pub fn connect(&self) -> Result<()> {
        let _g = runtime()?.handle().enter();
        self.s.connect();
        Ok(())
    }

    /// Disconnects (`io client disconnect`). The event follows (queued).
    #[napi]
    pub fn disconnect(&self) -> Result<()> {
        let _g = runtime()?.handle().enter();
        self.s.disconnect();
        Ok(())
    }

    /// Emits (buffered while disconnected).
    #[napi]
    pub fn emit(&self, event: String, json: String, bins: Vec<Buffer>) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        let _g = runtime()?.handle().enter();
        self.s.emit(&event, args).map_err(emit_err)
    }

    /// Emits with an acknowledgement; an `ack` event with `key` follows exactly once.
    #[napi]
    pub fn emit_with_ack(
        &self,
        event: String,
        json: String,
        bins: Vec<Buffer>,
        timeout_ms: Option<u32>,
        key: u32,
    ) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        let _g = runtime()?.handle().enter();
        let completion = Completion(Some(key));
        let callback =
            move |res: std::result::Result<Vec<sio_core::Value>, sio_core::AckError>| completion.complete(res.into());
        match timeout_ms {
            Some(t) => self.s.timeout(ms(t)).emit_with_callback(&event, args, callback),
            None => self.s.emit_with_callback(&event, args, callback),
        }
        .map_err(emit_err)
    }
}

/// The answer to a server's acknowledgement request.
#[napi]
pub struct NativeClientAck {
    a: AckSender,
}

impl NativeClientAck {
    pub(crate) fn new(a: AckSender) -> Self {
        NativeClientAck { a }
    }
}

#[napi]
impl NativeClientAck {
    /// Sends the answer; false if one was already sent or the connection is gone.
    #[napi]
    pub fn send(&self, json: String, bins: Vec<Buffer>) -> Result<bool> {
        let _g = runtime()?.handle().enter();
        Ok(self.a.send(args_from_js(&json, &bins)?))
    }
}
