//! The embedding layer every binding shares: a [`Runtime`] owning a tokio runtime,
//! servers and clients created on it, and [`Event`]s delivered to the host either by
//! a callback on a runtime thread or through a queue the host drains.
//!
//! Foreign code never touches async Rust: commands are plain method calls that return
//! at once (or block the calling host thread, never a runtime thread), events are plain
//! values, and acknowledgements complete exactly once.

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod client_engine;
mod dynamic;
mod engine;
mod event;
mod host;
#[cfg(feature = "client")]
mod host_auth;
mod log;
mod options;
mod parent;
mod reply;
mod server;
mod socket_key;
mod target;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Re-exported for the faces: a cluster adapter goes into [`Runtime::server_with`].
pub use crate::server::cluster::ClusterAdapter;
// The handle and value types events carry, so that a face names only `embed`.
#[cfg(feature = "client")]
pub use crate::client::{AckSender as ClientAckSender, DisconnectReason as ClientDisconnectReason};
pub use crate::engine::server::{PerMessageDeflate, TransportKind};
pub use crate::server::{AckSender, DisconnectReason, RemoteSocket, ServerSideAck, Socket};
// Client configuration: a face fills these (their defaults are socket.io-client's).
#[cfg(feature = "client")]
pub use crate::client::{Auth, ClientOptions, ManagerConfig, SocketConfig, Tuning};
pub use crate::proto::Parser;
/// The admin UI's options ([`EmbeddedServer::instrument`]).
pub use crate::server::admin::{AdminAuth, AdminError, AdminMode, AdminOptions, AdminPassword};
#[cfg(feature = "client")]
pub use client::{EmbeddedClient, EngineWatch};
#[cfg(feature = "client")]
pub use client_engine::ClientEngineActivity;
#[cfg(feature = "client")]
pub use event::ManagerNotice;
pub use event::{AckOutcome, Decision, Event, Leaving};
pub use options::{snake_case, ClusterAdapterKind, OptionError, OptionValue, ServerOptions, Unit, SERVER_OPTION_NAMES};
pub use server::{EmbeddedServer, PacketMiddleware};
pub use socket_key::{socket_key, AddressHasher, SocketMap};
pub use target::Target;
// Host-facing concepts: deferred answers, engine connections, a host's own HTTP server,
// dynamic namespaces the host names.
pub use crate::engine::server::WsMessage;
pub use dynamic::{DynamicEvent, DynamicMatcher};
pub use engine::{ConnActivity, ConnChange, EngineEvent, EnginePacket};
pub use host::{HostCall, HostRequest, HostResponse, HostSocket, SEND_CREDIT};
#[cfg(feature = "client")]
pub use host_auth::HostAuth;
pub use log::{set_log_sink, LogLevel, LogRecord, LogSink};
pub use reply::{reply, Pending, Reply};

/// How events reach the host.
#[derive(Clone)]
pub enum Delivery {
    /// Called on a runtime thread for each event, in order per connection. Must not block.
    Callback(Arc<dyn Fn(Event) + Send + Sync>),
    /// Queued; the host takes them with [`Runtime::next_event`] / [`Runtime::next_events`].
    Queue,
    /// Queued, and the host is woken once per batch: `wake` runs (on a runtime thread)
    /// when the first event arrives after the host last called [`Runtime::take_events`],
    /// not for every event. One wake-up of a host loop then carries every event queued.
    Wake(Arc<dyn Fn() + Send + Sync>),
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Delivery::Callback(_) => "Callback",
            Delivery::Queue => "Queue",
            Delivery::Wake(_) => "Wake",
        })
    }
}

/// Runtime options.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Worker threads (0: one per core the process may run on, as `#[tokio::main]`).
    pub workers: usize,
    /// Event delivery.
    pub delivery: Delivery,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions { workers: 0, delivery: Delivery::Queue }
    }
}

/// Errors of the embedding layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// The runtime was shut down.
    #[error("runtime is shut down")]
    Shutdown,
    /// An I/O error (e.g. the address is in use).
    #[error("{0}")]
    Io(String),
    /// An argument was invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// How long a shut-down runtime's queue waits for the host to release the
/// `disconnecting` events it holds ([`Leaving`]) before it reports itself drained.
pub const LEAVING_GRACE: Duration = Duration::from_secs(5);

pub(crate) struct Shared {
    handle: tokio::runtime::Handle,
    delivery: Delivery,
    queue: (crossbeam_channel::Sender<Event>, crossbeam_channel::Receiver<Event>),
    next_id: AtomicU64,
    servers: Mutex<Vec<crate::server::Server>>,
    #[cfg(feature = "client")]
    clients: Mutex<std::collections::HashMap<u64, crate::client::Socket>>,
    shut_down: std::sync::atomic::AtomicBool,
    /// Set from the wake-up of [`Delivery::Wake`] until the host takes the events.
    wake_pending: std::sync::atomic::AtomicBool,
    /// `disconnecting` events the host still holds ([`Leaving`]): after shutdown, the
    /// queue is not drained until they are released and their `disconnect` is queued.
    pub(crate) leaving: Arc<std::sync::atomic::AtomicUsize>,
}

impl Shared {
    pub(crate) fn deliver(&self, ev: Event) {
        match &self.delivery {
            Delivery::Callback(f) => f(ev),
            Delivery::Queue => {
                let _ = self.queue.0.send(ev);
            }
            Delivery::Wake(wake) => {
                let _ = self.queue.0.send(ev);
                if !self.wake_pending.swap(true, Ordering::AcqRel) {
                    wake();
                }
            }
        }
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn check(&self) -> Result<(), EmbedError> {
        if self.shut_down.load(Ordering::Acquire) {
            Err(EmbedError::Shutdown)
        } else {
            Ok(())
        }
    }

    /// Runs `fut` on the runtime and waits for it from a host thread.
    pub(crate) fn block_on<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, EmbedError> {
        self.check()?;
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        // Called from a worker (a host callback): hand the worker's queue to another
        // thread while waiting, or a runtime with one worker would wait for itself.
        let on_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let wait = || rx.recv().map_err(|_| EmbedError::Shutdown);
        if on_worker {
            tokio::task::block_in_place(wait)
        } else {
            wait()
        }
    }
}

/// Owns one multi-threaded tokio runtime shared by the servers and clients created from it.
pub struct Runtime {
    shared: Arc<Shared>,
    rt: Mutex<Option<tokio::runtime::Runtime>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("delivery", &self.shared.delivery).finish_non_exhaustive()
    }
}

impl Runtime {
    /// Starts a runtime.
    pub fn new(options: RuntimeOptions) -> Result<Runtime, EmbedError> {
        let workers = if options.workers == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            options.workers
        };
        let rt = crate::runtime::builder()
            .worker_threads(workers)
            .thread_name("sio-runtime")
            .build()
            .map_err(|e| EmbedError::Io(e.to_string()))?;
        let shared = Arc::new(Shared {
            handle: rt.handle().clone(),
            delivery: options.delivery,
            queue: crossbeam_channel::unbounded(),
            next_id: AtomicU64::new(0),
            servers: Mutex::default(),
            #[cfg(feature = "client")]
            clients: Mutex::default(),
            wake_pending: std::sync::atomic::AtomicBool::new(false),
            leaving: Arc::default(),
            shut_down: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(Runtime { shared, rt: Mutex::new(Some(rt)) })
    }

    /// Takes the next queued event, waiting up to `timeout`. `None` on timeout, in
    /// callback mode, or once the runtime is shut down and the queue is empty.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        if self.shared.shut_down.load(Ordering::Acquire) {
            return self.drain_next();
        }
        self.shared.queue.1.recv_timeout(timeout).ok()
    }

    /// After shutdown: the next queued event, waiting (up to [`LEAVING_GRACE`]) while the
    /// host still holds `disconnecting` events whose `disconnect` is yet to come.
    fn drain_next(&self) -> Option<Event> {
        let deadline = std::time::Instant::now() + LEAVING_GRACE;
        loop {
            if let Ok(ev) = self.shared.queue.1.try_recv() {
                return Some(ev);
            }
            let now = std::time::Instant::now();
            if self.shared.leaving.load(Ordering::Acquire) == 0 || now >= deadline {
                return self.shared.queue.1.try_recv().ok();
            }
            let step = (deadline - now).min(Duration::from_millis(10));
            if let Ok(ev) = self.shared.queue.1.recv_timeout(step) {
                return Some(ev);
            }
        }
    }

    /// Takes up to `max` queued events: waits up to `timeout` for the first, then takes
    /// what is queued without waiting. Empty on timeout, in callback mode, or once the
    /// runtime is shut down and the queue is empty. A host that pulls in bulk pays its
    /// crossing once per batch.
    pub fn next_events(&self, max: usize, timeout: Duration) -> Vec<Event> {
        if max == 0 {
            return Vec::new();
        }
        let Some(first) = self.next_event(timeout) else { return Vec::new() };
        // Sized once for what is queued: growing it event by event copied the batch over
        // and over.
        let mut out = Vec::with_capacity((self.shared.queue.1.len() + 1).min(max));
        out.push(first);
        while out.len() < max {
            match self.shared.queue.1.try_recv() {
                Ok(ev) => out.push(ev),
                Err(_) => break,
            }
        }
        out
    }

    /// With [`Delivery::Wake`]: takes every event queued so far (up to `max`) and re-arms
    /// the wake-up, so the next event wakes the host again. Never waits.
    pub fn take_events(&self, max: usize) -> Vec<Event> {
        self.shared.wake_pending.store(false, Ordering::Release);
        let mut out = Vec::with_capacity(self.shared.queue.1.len().min(max));
        while out.len() < max {
            match self.shared.queue.1.try_recv() {
                Ok(ev) => out.push(ev),
                Err(_) => break,
            }
        }
        if out.len() == max && !self.shared.queue.1.is_empty() {
            // More than one batch waits: make sure the host comes back for the rest.
            if let Delivery::Wake(wake) = &self.shared.delivery {
                if !self.shared.wake_pending.swap(true, Ordering::AcqRel) {
                    wake();
                }
            }
        }
        out
    }

    /// Opens a host turn on the calling thread: until the matching [`Runtime::end_turn`],
    /// the frames this thread queues (acks, emits, broadcasts) wake their connections'
    /// writers once, at the end, instead of once per frame. A host that handles a batch of
    /// events brackets the batch with it, so that a runtime worker sharing its core does not
    /// preempt it at every answer. Turns nest; what is queued is never held back past the
    /// outermost `end_turn`.
    pub fn begin_turn(&self) {
        crate::wake::begin();
    }

    /// Ends a host turn ([`Runtime::begin_turn`]): the writers it woke run, all handed to
    /// the runtime in one go. An `end_turn` without a `begin_turn` does nothing.
    pub fn end_turn(&self) {
        let wakers = crate::wake::end();
        if wakers.is_empty() {
            return;
        }
        if self.shared.shut_down.load(Ordering::Acquire) {
            wakers.into_iter().for_each(std::task::Waker::wake);
            return;
        }
        self.shared.handle.spawn(async move { wakers.into_iter().for_each(std::task::Waker::wake) });
    }

    /// A host turn that ends when the guard drops ([`Runtime::begin_turn`]).
    pub fn turn(&self) -> Turn<'_> {
        self.begin_turn();
        Turn(self)
    }

    /// Creates a server (not listening yet); the namespace `/` forwards its events.
    pub fn server(&self, config: crate::server::ServerConfig) -> Result<EmbeddedServer, EmbedError> {
        self.shared.check()?;
        Ok(EmbeddedServer::new(self.shared.clone(), config))
    }

    /// Creates a server from the options a face collected (checked here) and, for a
    /// cluster, the adapter the face built from `options.cluster_url`.
    pub fn server_with(
        &self,
        options: ServerOptions,
        adapter: Option<std::sync::Arc<dyn ClusterAdapter>>,
    ) -> Result<EmbeddedServer, EmbedError> {
        let mut config = options.into_config().map_err(|e| EmbedError::InvalidArgument(e.to_string()))?;
        config.adapter = adapter;
        self.server(config)
    }

    /// Creates a server from the options a face collected (checked here, before anything
    /// connects). With `cluster_url` set, `connect(url)` builds the cluster adapter inside
    /// the runtime (its connection tasks run there); its error is reported as an invalid
    /// `cluster_url`. The face only names the adapter crate.
    pub fn server_with_cluster<E: std::fmt::Display>(
        &self,
        options: ServerOptions,
        connect: impl FnOnce(&str, ClusterAdapterKind) -> Result<std::sync::Arc<dyn ClusterAdapter>, E>,
    ) -> Result<EmbeddedServer, EmbedError> {
        self.shared.check()?;
        let invalid = |e: OptionError| EmbedError::InvalidArgument(e.to_string());
        options.clone().into_config().map_err(invalid)?;
        let adapter = match options.cluster_url.as_deref() {
            Some(url) => {
                let _guard = self.shared.handle.enter();
                let option = "cluster_url".to_owned();
                let kind = options.cluster_adapter.unwrap_or_default();
                Some(connect(url, kind).map_err(|e| invalid(OptionError { option, message: e.to_string() }))?)
            }
            None => None,
        };
        self.server_with(options, adapter)
    }

    /// Creates a client for `url` (its path is the namespace) and starts connecting.
    #[cfg(feature = "client")]
    /// Fails with `InvalidArgument` if [`ManagerConfig::validate`] refuses the options.
    pub fn client(&self, url: &str, options: crate::client::ClientOptions) -> Result<EmbeddedClient, EmbedError> {
        self.shared.check()?;
        options.manager.validate().map_err(EmbedError::InvalidArgument)?;
        Ok(EmbeddedClient::new(self.shared.clone(), url, options))
    }

    /// Graceful shutdown: servers close (`server shutting down`), clients disconnect,
    /// pending acknowledgements complete with [`AckOutcome::Cancelled`], threads stop.
    /// Idempotent.
    pub fn shutdown(&self) {
        if self.shared.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let servers = std::mem::take(&mut *self.shared.servers.lock().expect("runtime lock poisoned"));
        #[cfg(feature = "client")]
        let clients: Vec<_> =
            std::mem::take(&mut *self.shared.clients.lock().expect("runtime lock poisoned")).into_values().collect();
        let (tx, rx) = std::sync::mpsc::channel();
        self.shared.handle.spawn(async move {
            for s in &servers {
                s.close();
            }
            #[cfg(feature = "client")]
            for c in &clients {
                c.disconnect();
                c.io().close();
            }
            // Let the transports write their last frames.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = tx.send(());
        });
        let on_runtime_thread = tokio::runtime::Handle::try_current().is_ok();
        if !on_runtime_thread {
            let _ = rx.recv_timeout(Duration::from_secs(2));
        }
        if let Some(rt) = self.rt.lock().expect("runtime lock poisoned").take() {
            if on_runtime_thread {
                // Blocking here would deadlock the thread we run on.
                rt.shutdown_background();
            } else {
                // Long enough for workers under a slow host (a debugger, valgrind) to
                // finish their tasks: past it, unfinished tasks are leaked, not dropped.
                rt.shutdown_timeout(Duration::from_secs(5));
            }
        }
    }
}

/// A host turn in progress ([`Runtime::turn`]).
#[must_use = "the turn ends when the guard drops"]
pub struct Turn<'a>(&'a Runtime);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.end_turn();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
        // Nobody can take the events still queued any more. Some hold handles that lead
        // back to this queue (a client's ack → its manager → the delivery into the
        // queue): dropped with the queue they would keep each other alive.
        while self.shared.queue.1.try_recv().is_ok() {}
    }
}
