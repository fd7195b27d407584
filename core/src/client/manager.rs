//! The Manager: one Engine.IO connection shared by the sockets of several namespaces,
//! and the reconnection loop of the reference client.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::mpsc;

use super::backoff::Backoff;
use super::config::{ManagerConfig, SocketConfig, Tuning};
use super::reason::{DisconnectDetails, DisconnectReason};
use super::socket::Socket;
use crate::engine::client::{EngineClient, EngineClientConfig, EngineEvent};
use crate::engine::Frame;
use crate::proto::{Decoded, DecoderLimits, Packet};

/// An event of the Manager (`socket.io` in the reference client).
#[derive(Debug)]
pub enum ManagerEvent<'a> {
    /// The Engine.IO connection opened.
    Open,
    /// The connection closed, with the reason.
    Close(DisconnectReason),
    /// Opening the connection failed.
    Error(&'a str),
    /// The server pinged.
    Ping,
    /// A Socket.IO packet arrived.
    Packet(&'a Packet),
    /// A reconnection attempt starts (attempt number, from 1).
    ReconnectAttempt(u32),
    /// Reconnected after this many attempts.
    Reconnect(u32),
    /// A reconnection attempt failed.
    ReconnectError(&'a str),
    /// Gave up after `reconnection_attempts`.
    ReconnectFailed,
    /// An event of the Engine.IO connection: `upgrade`, `drain`, `close`, and each
    /// received packet (`Text`, `Binary`, `Ping` — the reference's `packet`).
    Engine(&'a EngineEvent),
    /// A frame is about to be sent (the engine's `packetCreate`).
    PacketCreate(&'a Frame),
}

type Listener = Arc<dyn Fn(&Manager, &ManagerEvent<'_>) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ready {
    Closed,
    Opening,
    Open,
}

struct State {
    ready: Ready,
    engine: Option<EngineClient>,
    skip_reconnect: bool,
    reconnecting: bool,
    backoff: Backoff,
    /// Bumped at every open and close, so tasks of an old connection stand down.
    generation: u64,
    /// The reconnection settings in force: the config's, changed by the setters
    /// (socket.io-client's `manager.reconnection(v)`, ...).
    tuning: Tuning,
}

pub(crate) struct ManagerInner {
    config: ManagerConfig,
    state: Mutex<State>,
    sockets: Mutex<HashMap<String, Socket>>,
    listeners: RwLock<Vec<Listener>>,
    /// Keeps `packetCreate` free when nobody listens.
    has_listeners: std::sync::atomic::AtomicBool,
}

/// A Manager. Cheap to clone; clones are the same manager.
#[derive(Clone)]
pub struct Manager(pub(crate) Arc<ManagerInner>);

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager").field("url", &self.0.config.url).finish_non_exhaustive()
    }
}

impl Manager {
    /// A manager for `config`. Nothing connects until a socket does (or [`Manager::open`]).
    pub fn new(config: ManagerConfig) -> Manager {
        let backoff =
            Backoff::new(config.reconnection_delay, config.reconnection_delay_max, config.randomization_factor);
        let tuning = config.tuning();
        Manager(Arc::new(ManagerInner {
            config,
            state: Mutex::new(State {
                ready: Ready::Closed,
                engine: None,
                skip_reconnect: false,
                reconnecting: false,
                backoff,
                generation: 0,
                tuning,
            }),
            sockets: Mutex::default(),
            listeners: RwLock::default(),
            has_listeners: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// The options it was made with (the reconnection settings in force: [`Manager::tuning`]).
    pub fn config(&self) -> &ManagerConfig {
        &self.0.config
    }

    /// The reconnection settings in force.
    pub fn tuning(&self) -> Tuning {
        self.state().tuning
    }

    /// Changes the reconnection settings (socket.io-client's `reconnection(v)`,
    /// `reconnectionAttempts(n)`, `reconnectionDelay(ms)`, `reconnectionDelayMax(ms)`,
    /// `randomizationFactor(f)`, `timeout(ms)`), from the next attempt on.
    /// `InvalidArgument`-style `Err` for a randomization factor outside `0.0..=1.0`.
    pub fn set_tuning(&self, tuning: Tuning) -> Result<(), String> {
        tuning.validate()?;
        let mut st = self.state();
        st.backoff.set(tuning.reconnection_delay, tuning.reconnection_delay_max, tuning.randomization_factor);
        st.tuning = tuning;
        Ok(())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().expect("manager lock poisoned")
    }

    /// The socket of namespace `nsp` (created, and connected if `auto_connect`, on first use).
    pub fn socket(&self, nsp: &str, config: SocketConfig) -> Socket {
        let nsp = if nsp.starts_with('/') { nsp.to_owned() } else { format!("/{nsp}") };
        let socket = {
            let mut sockets = self.0.sockets.lock().expect("manager socket lock poisoned");
            if let Some(s) = sockets.get(&nsp) {
                return s.clone();
            }
            let s = Socket::new(self.clone(), nsp.clone(), config);
            sockets.insert(nsp, s.clone());
            s
        };
        if self.0.config.auto_connect {
            socket.connect();
        }
        socket
    }

    /// Listens to the manager's events.
    pub fn on(&self, f: impl Fn(&Manager, &ManagerEvent<'_>) + Send + Sync + 'static) {
        self.0.listeners.write().expect("listener lock poisoned").push(Arc::new(f));
        self.0.has_listeners.store(true, std::sync::atomic::Ordering::Release);
    }

    fn emit(&self, ev: ManagerEvent<'_>) {
        let listeners = self.0.listeners.read().expect("listener lock poisoned").clone();
        for l in listeners {
            l(self, &ev);
        }
    }

    /// The Engine.IO connection, while open.
    pub fn engine(&self) -> Option<EngineClient> {
        self.state().engine.clone()
    }

    /// Identifies the current connection (changes at every open and close).
    pub(crate) fn generation(&self) -> u64 {
        self.state().generation
    }

    /// Whether the connection is open.
    pub fn is_open(&self) -> bool {
        self.state().ready == Ready::Open
    }

    /// Whether a reconnection is in progress.
    pub fn reconnecting(&self) -> bool {
        self.state().reconnecting
    }

    /// Opens the connection if it is closed.
    pub fn open(&self) {
        self.open_inner(false);
    }

    pub(crate) fn send(&self, frames: Vec<Frame>) -> bool {
        self.send_with(frames, true)
    }

    /// [`Manager::send`] with socket.io-client's `compress` flag.
    pub(crate) fn send_with(&self, frames: Vec<Frame>, compress: bool) -> bool {
        let engine = self.state().engine.clone();
        let Some(e) = engine else { return false };
        let watched = self.0.has_listeners.load(std::sync::atomic::Ordering::Acquire);
        frames.into_iter().all(|f| {
            if watched {
                self.emit(ManagerEvent::PacketCreate(&f));
            }
            e.send_with(f, compress)
        })
    }

    fn engine_config(&self) -> EngineClientConfig {
        let c = &self.0.config;
        EngineClientConfig {
            url: c.url.clone(),
            path: c.path.clone(),
            query: c.query.clone(),
            extra_headers: c.extra_headers.clone(),
            transports: c.transports.clone(),
            upgrade: c.upgrade,
            timestamp_requests: c.timestamp_requests,
            timeout: self.state().tuning.timeout,
            tls: c.tls.clone(),
            per_message_deflate: c.per_message_deflate,
        }
    }

    fn active_sockets(&self) -> Vec<Socket> {
        self.0.sockets.lock().expect("manager socket lock poisoned").values().filter(|s| s.active()).cloned().collect()
    }

    fn open_inner(&self, reconnect: bool) {
        let generation = {
            let mut st = self.state();
            if st.ready != Ready::Closed {
                return;
            }
            st.ready = Ready::Opening;
            st.skip_reconnect = false;
            st.generation += 1;
            st.generation
        };
        let manager = self.clone();
        tokio::spawn(async move {
            let res = EngineClient::connect(manager.engine_config()).await;
            match res {
                Ok((engine, events)) => manager.on_engine_open(generation, engine, events, reconnect),
                Err(e) => manager.on_open_error(generation, &e.to_string(), reconnect),
            }
        });
    }

    fn on_engine_open(
        &self,
        generation: u64,
        engine: EngineClient,
        events: mpsc::UnboundedReceiver<EngineEvent>,
        reconnect: bool,
    ) {
        {
            let mut st = self.state();
            if st.generation != generation || st.ready != Ready::Opening {
                engine.close();
                return;
            }
            tracing::debug!(url = %self.0.config.url, sid = engine.sid(), "connection opened");
            st.ready = Ready::Open;
            st.engine = Some(engine);
        }
        self.emit(ManagerEvent::Open);
        if reconnect {
            let attempt = {
                let mut st = self.state();
                let attempt = st.backoff.attempts();
                st.reconnecting = false;
                st.backoff.reset();
                attempt
            };
            self.emit(ManagerEvent::Reconnect(attempt));
        }
        for s in self.active_sockets() {
            s.on_manager_open();
        }
        let manager = self.clone();
        tokio::spawn(async move { manager.read_loop(generation, events).await });
    }

    fn on_open_error(&self, generation: u64, error: &str, reconnect: bool) {
        {
            let mut st = self.state();
            if st.generation != generation {
                return;
            }
            st.ready = Ready::Closed;
        }
        self.emit(ManagerEvent::Error(error));
        for s in self.active_sockets() {
            s.on_manager_error(error);
        }
        if reconnect {
            self.state().reconnecting = false;
            self.reconnect();
            self.emit(ManagerEvent::ReconnectError(error));
        } else {
            let should = {
                let st = self.state();
                !st.reconnecting && st.tuning.reconnection && st.backoff.attempts() == 0
            };
            if should {
                self.reconnect();
            }
        }
    }

    async fn read_loop(&self, generation: u64, mut events: mpsc::UnboundedReceiver<EngineEvent>) {
        let mut decoder = self.0.config.parser.decoder(DecoderLimits::default());
        while let Some(ev) = events.recv().await {
            if self.state().generation != generation {
                return;
            }
            if self.0.has_listeners.load(std::sync::atomic::Ordering::Acquire) {
                self.emit(ManagerEvent::Engine(&ev));
            }
            let decoded = match &ev {
                EngineEvent::Text(t) => Some(decoder.text(t)),
                EngineEvent::Binary(b) => Some(decoder.binary(b.clone())),
                EngineEvent::Ping => {
                    self.emit(ManagerEvent::Ping);
                    None
                }
                EngineEvent::Close(reason, details) => {
                    self.on_close((*reason).into(), details.clone());
                    return;
                }
                EngineEvent::Upgrade(_) | EngineEvent::Drain | EngineEvent::Pong => None,
            };
            match decoded {
                Some(Ok(Decoded::Packet(p))) => {
                    self.emit(ManagerEvent::Packet(&p));
                    let socket = self.0.sockets.lock().expect("manager socket lock poisoned").get(&p.nsp).cloned();
                    if let Some(s) = socket {
                        s.on_packet(p);
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "invalid packet from server");
                    if let Some(engine) = self.engine() {
                        engine.close();
                    }
                    self.on_close(DisconnectReason::ParseError, None);
                    return;
                }
                Some(Ok(Decoded::Pending)) | None => {}
            }
        }
    }

    fn on_close(&self, reason: DisconnectReason, details: Option<DisconnectDetails>) {
        let reconnect = {
            let mut st = self.state();
            st.ready = Ready::Closed;
            st.engine = None;
            st.backoff.reset();
            st.generation += 1;
            st.tuning.reconnection && !st.skip_reconnect
        };
        tracing::debug!(url = %self.0.config.url, reason = reason.as_str(), reconnect, "connection closed");
        self.emit(ManagerEvent::Close(reason));
        for s in self.active_sockets() {
            s.on_manager_close(reason, details.clone());
        }
        if reconnect {
            self.reconnect();
        }
    }

    fn reconnect(&self) {
        let delay = {
            let mut st = self.state();
            if st.reconnecting || st.skip_reconnect {
                return;
            }
            if st.tuning.reconnection_attempts.is_some_and(|max| st.backoff.attempts() >= max) {
                st.backoff.reset();
                st.reconnecting = false;
                None
            } else {
                st.reconnecting = true;
                Some(st.backoff.duration())
            }
        };
        let Some(delay) = delay else {
            self.emit(ManagerEvent::ReconnectFailed);
            return;
        };
        let manager = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if manager.state().skip_reconnect {
                return;
            }
            let attempt = manager.state().backoff.attempts();
            manager.emit(ManagerEvent::ReconnectAttempt(attempt));
            if manager.state().skip_reconnect {
                return;
            }
            manager.open_inner(true);
        });
    }

    /// Called when a socket stops being active: closes the connection once none is.
    pub(crate) fn on_socket_destroyed(&self) {
        if self.active_sockets().is_empty() {
            self.close();
        }
    }

    /// Closes the connection and stops reconnecting.
    pub fn close(&self) {
        let engine = {
            let mut st = self.state();
            st.skip_reconnect = true;
            st.reconnecting = false;
            st.engine.clone()
        };
        if self.state().ready != Ready::Closed {
            self.on_close(DisconnectReason::ForcedClose, None);
        }
        if let Some(e) = engine {
            e.close();
        }
        // Sockets point at their manager: forget the inactive ones so the pair can be
        // freed (a socket registers again when it connects).
        self.0.sockets.lock().expect("manager socket lock poisoned").retain(|_, s| s.active());
    }

    pub(crate) fn register(&self, socket: &Socket) {
        self.0
            .sockets
            .lock()
            .expect("manager socket lock poisoned")
            .entry(socket.nsp().to_owned())
            .or_insert_with(|| socket.clone());
    }
}
