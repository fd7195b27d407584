//! One Engine.IO session: its outgoing queue, transport state and close logic.
use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use bytes::Bytes;
use tokio::sync::{Mutex, MutexGuard, Notify};

use super::config::TransportKind;
use super::events::{ConnEvent, Events};
use super::frame_queue::{FrameQueue, Queued};
use super::request::{CompactRequest, RequestInfo};
use super::Shared;
use crate::engine::{Frame, Packet};

/// A message delivered to the layer above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(Bytes),
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed the connection or sent a close packet.
    TransportClose,
    /// The transport failed (I/O error, overlapping requests, oversize payload, slow consumer).
    TransportError,
    /// The client did not answer a ping within `ping_timeout`.
    PingTimeout,
    /// The client sent a packet that could not be decoded.
    ParseError,
    /// The server closed the session.
    ForcedClose,
    /// The server is shutting down.
    ServerShuttingDown,
}

impl CloseReason {
    /// The reason string of the reference implementation.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ServerShuttingDown => "server shutting down",
        }
    }

    /// True when the server chose to close: queued packets are flushed first.
    fn is_orderly(self) -> bool {
        matches!(self, CloseReason::ForcedClose | CloseReason::ServerShuttingDown)
    }
}

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is closed.
    #[error("session closed")]
    Closed,
    /// The session's queue is full: the client does not read fast enough.
    #[error("send buffer full")]
    Full,
}

/// The receiving end of a session's outgoing queue, held by one transport at a time (a
/// poll, the WebSocket); taking a frame out gives its bytes back to the session's budget.
pub(super) struct Outbox<'a> {
    session: &'a Session,
    _taken: MutexGuard<'a, ()>,
}

impl Outbox<'_> {
    fn took(&self, frame: &Frame) {
        self.session.queued.fetch_sub(frame_len(frame), Ordering::AcqRel);
    }

    pub(super) async fn recv(&mut self) -> Queued {
        let f = self.session.out.pop().await;
        self.took(&f.0);
        f
    }

    pub(super) fn try_recv(&mut self) -> Option<Queued> {
        let f = self.session.out.try_pop()?;
        self.took(&f.0);
        Some(f)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.session.out.is_empty()
    }

    /// Forgets the waker registered by `register`.
    pub(super) fn unregister(&self) {
        self.session.out.unregister();
    }

    /// Wakes `cx` at the next frame queued, and when the session closes.
    pub(super) fn register(&self, cx: &std::task::Context<'_>) {
        self.session.out.register(cx);
    }
}

/// What a frame costs the outgoing budget: its payload bytes (shared bytes of a broadcast
/// are counted for every session, as each session holds them until it writes them).
fn frame_len(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len(),
        Frame::Binary(b) => b.len(),
    }
}

/// An Engine.IO session.
pub struct Session {
    id: String,
    shared: Weak<Shared>,
    out: FrameQueue,
    /// Taken by the transport that reads `out` ([`Outbox`]).
    reader: Mutex<()>,
    queued: AtomicUsize,
    budget: usize,
    websocket: AtomicBool,
    pub(super) upgrading: AtomicBool,
    /// A polling GET is waiting for frames (polling's `writable` in engine.io).
    pub(super) poll_waiting: AtomicBool,
    /// Taken by the one WebSocket probe in progress (or done): a session upgrades once.
    pub(super) probe_taken: AtomicBool,
    /// Set while a ping waits for its pong: a pong nobody asked for is ignored.
    ping_outstanding: AtomicBool,
    /// When the outstanding ping's pong is due: a request seen after it finds the session
    /// closed with `ping timeout`, however late the timer task runs.
    pong_deadline: std::sync::Mutex<Option<tokio::time::Instant>>,
    pub(super) upgrade_wake: Notify,
    pub(super) pong: Notify,
    pub(super) post_lock: Mutex<()>,
    /// Woken when the session closes (`close_reason` set).
    closed: Notify,
    close_reason: OnceLock<CloseReason>,
    request: CompactRequest,
    /// [`Session::request`]'s expansion of `request`, made on demand.
    request_info: OnceLock<Box<RequestInfo>>,
    events: Events,
    attachment: std::sync::RwLock<Option<Arc<dyn Any + Send + Sync>>>,
    /// The runtime the session lives on: frames are queued from host threads too, and a
    /// close they trigger runs there.
    runtime: tokio::runtime::Handle,
    /// The client's Engine.IO protocol: 4, or 3 (socket.io-client 2.x, `allow_eio3`).
    protocol: u8,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("id", &self.id).field("transport", &self.transport()).finish()
    }
}

impl Session {
    pub(super) fn new(
        shared: &Arc<Shared>,
        request: RequestInfo,
        transport: TransportKind,
        protocol: u8,
    ) -> Arc<Session> {
        Arc::new(Session {
            id: crate::sid::generate(),
            shared: Arc::downgrade(shared),
            out: FrameQueue::new(shared.config.max_buffered_frames),
            reader: Mutex::new(()),
            queued: AtomicUsize::new(0),
            budget: shared.config.buffered_bytes_budget(),
            websocket: AtomicBool::new(transport == TransportKind::Websocket),
            upgrading: AtomicBool::new(false),
            poll_waiting: AtomicBool::new(false),
            probe_taken: AtomicBool::new(false),
            ping_outstanding: AtomicBool::new(false),
            pong_deadline: std::sync::Mutex::new(None),
            upgrade_wake: Notify::new(),
            pong: Notify::new(),
            post_lock: Mutex::new(()),
            closed: Notify::new(),
            close_reason: OnceLock::new(),
            request: CompactRequest::new(&request),
            request_info: OnceLock::new(),
            events: Events::default(),
            attachment: std::sync::RwLock::new(None),
            runtime: tokio::runtime::Handle::current(),
            protocol,
        })
    }

    /// The session id (`sid`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client's Engine.IO protocol: 4, or 3 for socket.io-client 2.x (`allow_eio3`).
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// The current transport.
    pub fn transport(&self) -> TransportKind {
        if self.websocket.load(Ordering::Acquire) {
            TransportKind::Websocket
        } else {
            TransportKind::Polling
        }
    }

    pub(super) fn set_websocket(&self) {
        self.websocket.store(true, Ordering::Release);
        self.upgrading.store(false, Ordering::Release);
        tracing::debug!(sid = %self.id, "session upgraded to websocket");
        self.events.emit(ConnEvent::Upgrade(TransportKind::Websocket));
    }

    /// The request that opened the session.
    pub fn request(&self) -> &RequestInfo {
        self.request_info.get_or_init(|| Box::new(self.request.expand()))
    }

    /// The request that opened the session, as the session keeps it.
    pub(crate) fn handshake_request(&self) -> &CompactRequest {
        &self.request
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.close_reason.get().is_some()
    }

    /// Why the session ended, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason.get().copied()
    }

    /// The outgoing queue, once no other transport reads it.
    pub(super) async fn outbox(&self) -> Outbox<'_> {
        Outbox { session: self, _taken: self.reader.lock().await }
    }

    /// The outgoing queue, unless another transport reads it.
    pub(super) fn try_outbox(&self) -> Option<Outbox<'_>> {
        Some(Outbox { session: self, _taken: self.reader.try_lock().ok()? })
    }

    /// Attaches the upper layer's state (set once, at open).
    pub fn set_attachment(&self, value: Arc<dyn Any + Send + Sync>) {
        *self.attachment.write().expect("attachment lock poisoned") = Some(value);
    }

    /// The upper layer's state, if it is of type `T`.
    pub fn attachment<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.attachment.read().expect("attachment lock poisoned").clone().and_then(|a| a.downcast::<T>().ok())
    }

    /// Listens to this connection's events (`upgrade`, `packet`, `packetCreate`, `drain`, `close`).
    pub fn on_event(&self, f: impl Fn(&ConnEvent<'_>) + Send + Sync + 'static) {
        self.events.add(Arc::new(f), true);
    }

    /// Listens to this connection's `upgrade` and `close` only (the other events may reach
    /// `f` too: it ignores them). Unlike [`Session::on_event`], costs nothing per packet.
    pub fn on_lifecycle(&self, f: impl Fn(&ConnEvent<'_>) + Send + Sync + 'static) {
        self.events.add(Arc::new(f), false);
    }

    pub(super) fn emit_event(&self, ev: ConnEvent<'_>) {
        self.events.emit(ev);
    }

    /// Queues a text message (`4` + text).
    pub fn send_text(self: &Arc<Self>, text: &str) -> Result<(), SendError> {
        self.send(Frame::message(text))
    }

    /// Bytes queued for the client and not yet written.
    pub fn buffered_bytes(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Counts `len` more bytes against the budget if they fit (one frame of any size fits
    /// an empty queue, so a message within `max_payload` always goes out).
    fn reserve(&self, len: usize, budget: usize) -> bool {
        self.queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| (q == 0 || q + len <= budget).then_some(q + len))
            .is_ok()
    }

    /// Queues a pre-encoded frame. A queue over its frame or byte budget closes the
    /// session with `transport error` (the client does not read fast enough).
    pub fn send(self: &Arc<Self>, frame: Frame) -> Result<(), SendError> {
        self.send_with(frame, true)
    }

    /// Loads what [`Session::send_with`] reads first, so that a broadcast can touch a run of
    /// sessions before sending to them: the loads of a short loop overlap in the CPU, while
    /// each send's own loads would wait for memory one after the other.
    pub(crate) fn warm(&self) {
        std::hint::black_box((self.is_closed(), self.queued.load(Ordering::Relaxed), self.out.touch()));
    }

    /// [`Session::warm`] without waiting for the lines: for a host thread that touches the
    /// session later, after other work (see `crate::prefetch`).
    pub(crate) fn prefetch_send(&self) {
        crate::prefetch::line(&self.close_reason);
        crate::prefetch::line(&self.queued);
        crate::prefetch::line(&self.out);
    }

    /// [`Session::send`], saying whether the frame may be compressed (socket.io's
    /// `compress` flag: permessage-deflate, and the polling response's HTTP compression
    /// when no other frame of it may be).
    pub fn send_with(self: &Arc<Self>, frame: Frame, compress: bool) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        self.events.emit(ConnEvent::PacketCreate(&frame));
        let len = frame_len(&frame);
        if !self.reserve(len, self.budget) {
            self.close_slow();
            return Err(SendError::Full);
        }
        if self.out.push((frame, compress)).is_err() {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            self.close_slow();
            return Err(SendError::Full);
        }
        Ok(())
    }

    fn close_slow(self: &Arc<Self>) {
        tracing::warn!(sid = %self.id, queued = self.buffered_bytes(), "send buffer full, closing slow session");
        // Close from a task: the caller may hold locks the close handlers take.
        let s = self.clone();
        self.runtime.spawn(async move { s.close(CloseReason::TransportError) });
    }

    /// Whether a frame sent now goes out at once (engine.io's `transport.writable`): on a
    /// WebSocket, nothing waits to be written; on polling, a GET waits and nothing is
    /// queued for it yet.
    pub fn writable(&self) -> bool {
        let idle = self.queued.load(Ordering::Acquire) == 0;
        match self.transport() {
            TransportKind::Websocket => idle,
            TransportKind::Polling => idle && self.poll_waiting.load(Ordering::Acquire),
        }
    }

    /// Queues a frame only if the transport is writable, dropping it otherwise, as
    /// socket.io does with volatile packets (a client behind, a poll not yet back).
    pub fn send_volatile(&self, frame: Frame) -> bool {
        self.send_volatile_with(frame, true)
    }

    /// [`Session::send_volatile`] with the `compress` flag of [`Session::send_with`].
    pub fn send_volatile_with(&self, frame: Frame, compress: bool) -> bool {
        let len = frame_len(&frame);
        if self.is_closed() || !self.writable() || !self.reserve(len, self.budget / 2) {
            return false;
        }
        if self.out.push((frame, compress)).is_err() {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Ends the session. The first call wins; later calls do nothing.
    pub fn close(self: &Arc<Self>, reason: CloseReason) {
        if self.close_reason.set(reason).is_err() {
            return;
        }
        tracing::debug!(sid = %self.id, reason = reason.as_str(), "session closed");
        self.closed.notify_waiters();
        // The WebSocket's task waits on its queue.
        self.out.wake();
        if let Some(shared) = self.shared.upgrade() {
            if reason.is_orderly() && self.transport() == TransportKind::Polling {
                // Keep the session reachable so the client's next poll collects what is
                // queued plus the close packet; the poll removes it, or this timer does.
                let weak = Arc::downgrade(&shared);
                let sid = self.id.clone();
                let grace = shared.config.ping_interval + shared.config.ping_timeout;
                self.runtime.spawn(async move {
                    tokio::time::sleep(grace).await;
                    if let Some(s) = weak.upgrade() {
                        s.remove(&sid);
                    }
                });
            } else {
                shared.remove(&self.id);
            }
            shared.handler.on_close(self, reason);
        }
        self.events.emit(ConnEvent::Close(reason));
        // The upper layer's state usually points back at this session: break the cycle.
        self.attachment.write().expect("attachment lock poisoned").take();
    }

    pub(super) fn forget(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.remove(&self.id);
        }
    }

    /// Handles one packet from the client, whatever the transport.
    pub(super) fn on_packet(self: &Arc<Self>, packet: Packet<'_>) {
        if self.is_closed() {
            return;
        }
        self.events.emit(ConnEvent::Packet(&packet));
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        match packet {
            Packet::Message(text) => shared.handler.on_message(self, Message::Text(text)),
            Packet::Binary(data) => shared.handler.on_message(self, Message::Binary(data)),
            Packet::Pong(_) => {
                if self.ping_outstanding.swap(false, Ordering::AcqRel) {
                    self.pong.notify_one();
                }
            }
            Packet::Close => self.close(CloseReason::TransportClose),
            // Protocol 3: the client pings, the server answers and restarts its deadline.
            Packet::Ping(data) if self.protocol == 3 => {
                let _ = self.send(Packet::Pong(data).encode());
                self.pong.notify_one();
            }
            // Engine.IO 4 heartbeats go server → client only.
            Packet::Ping(_) => self.close(CloseReason::TransportError),
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// Sends a ping whose pong is due at `deadline`; false if the session is closed.
    pub(super) fn ping(self: &Arc<Self>, deadline: tokio::time::Instant) -> bool {
        *self.pong_deadline.lock().expect("deadline lock poisoned") = Some(deadline);
        self.ping_outstanding.store(true, Ordering::Release);
        self.send(Frame::Text("2".into())).is_ok()
    }

    /// Whether the pong of the last ping came (then no pong is due any more).
    pub(super) fn pong_received(&self) -> bool {
        if self.ping_outstanding.load(Ordering::Acquire) {
            return false;
        }
        *self.pong_deadline.lock().expect("deadline lock poisoned") = None;
        true
    }

    /// Runs the heartbeat until the session ends: ping every `ping_interval`, close with
    /// `ping timeout` when no pong arrives within `ping_timeout`. Deadlines count from the
    /// moment the session opened (or the last pong), not from when a timer task happened
    /// to run, so they do not drift. (A session opened over WebSocket has it in the
    /// connection's task instead: `websocket.rs`.)
    pub(super) fn spawn_heartbeat(self: &Arc<Self>, interval: std::time::Duration, timeout: std::time::Duration) {
        let s = self.clone();
        let mut next_ping = tokio::time::Instant::now() + interval;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(next_ping) => {}
                    _ = wait_closed(&s) => return,
                }
                let deadline = next_ping + timeout;
                if !s.ping(deadline) {
                    return;
                }
                tokio::select! {
                    _ = s.pong.notified() => {}
                    _ = tokio::time::sleep_until(deadline) => {
                        s.close(CloseReason::PingTimeout);
                        return;
                    }
                    _ = wait_closed(&s) => return,
                }
                *s.pong_deadline.lock().expect("deadline lock poisoned") = None;
                next_ping = tokio::time::Instant::now() + interval;
            }
        });
    }

    /// Protocol 3's heartbeat: the client pings every `interval`; a ping not seen within
    /// `interval + timeout` of the previous one (or of the open) closes with `ping timeout`.
    pub(super) fn spawn_heartbeat_v3(self: &Arc<Self>, interval: std::time::Duration, timeout: std::time::Duration) {
        let s = self.clone();
        tokio::spawn(async move {
            loop {
                let deadline = tokio::time::Instant::now() + interval + timeout;
                *s.pong_deadline.lock().expect("deadline lock poisoned") = Some(deadline);
                tokio::select! {
                    _ = s.pong.notified() => {}
                    _ = tokio::time::sleep_until(deadline) => {
                        s.close(CloseReason::PingTimeout);
                        return;
                    }
                    _ = wait_closed(&s) => return,
                }
            }
        });
    }

    /// Closes the session with `ping timeout` if its pong is overdue; true if it is closed.
    /// Requests call this first, so a late timer task cannot keep an expired session alive.
    pub(super) fn expire_if_overdue(self: &Arc<Self>) -> bool {
        let overdue = self
            .pong_deadline
            .lock()
            .expect("deadline lock poisoned")
            .is_some_and(|d| tokio::time::Instant::now() >= d);
        if overdue {
            self.close(CloseReason::PingTimeout);
        }
        self.is_closed()
    }
}

/// Resolves once `session` is closed.
pub(super) async fn wait_closed(session: &Session) {
    loop {
        let closed = session.closed.notified();
        tokio::pin!(closed);
        // Registered before the look, so a close in between still wakes it.
        closed.as_mut().enable();
        if session.is_closed() {
            return;
        }
        closed.await;
    }
}
