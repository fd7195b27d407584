//! Broadcast targets (`io.of(ns).to(..).except(..)`, `socket.broadcast`, `socket.to(..)`)
//! as plain values, and every operation a face runs on one or on a single socket. The
//! faces describe *who*; the rules (who is excluded, what volatile means, how a cluster is
//! reached) stay in the core, and every call here enters the runtime itself, so a face
//! calls from any host thread without knowing about tokio.
use std::time::Duration;

use super::event::{AckOutcome, Completion};
use super::EmbeddedServer;
use crate::error::EmitError;
use crate::host_args::HostArgs;
use crate::server::{AckSender, BroadcastOperator, RemoteSocket, ServerSideAck, Socket};
use crate::value::Value;

/// Who a broadcast reaches: the sockets of namespace `nsp` (a static namespace, or the
/// name a face gave a dynamic one) in any of `rooms` (all of them when empty), minus
/// those in any of `except`, minus `from` (the sending socket, as in `socket.broadcast`).
#[derive(Debug, Clone)]
pub struct Target {
    /// Namespace (or dynamic parent) name.
    pub nsp: String,
    /// Rooms reached (any of them); empty: every socket of the namespace.
    pub rooms: Vec<String>,
    /// Rooms excluded.
    pub except: Vec<String>,
    /// The sending socket, excluded (`socket.broadcast`, `socket.to(room)`).
    pub from: Option<Socket>,
    /// May be dropped for a socket that is not ready; never stored for recovery.
    pub volatile: bool,
    /// This server only, not the other servers of a cluster.
    pub local: bool,
    /// May be compressed (default true; socket.io's `compress(false)`: not deflated on
    /// WebSocket, and no HTTP compression for a polling response holding only such events).
    pub compress: bool,
}

impl Default for Target {
    fn default() -> Target {
        Target {
            nsp: String::new(),
            rooms: Vec::new(),
            except: Vec::new(),
            from: None,
            volatile: false,
            local: false,
            compress: true,
        }
    }
}

impl Target {
    /// Every socket of namespace `nsp`.
    pub fn namespace(nsp: impl Into<String>) -> Target {
        Target { nsp: nsp.into(), ..Target::default() }
    }

    /// Every socket of `socket`'s namespace but `socket` itself.
    pub fn broadcast_from(socket: &Socket) -> Target {
        Target { nsp: socket.ns().to_owned(), from: Some(socket.clone()), ..Target::default() }
    }

    /// Adds rooms reached.
    pub fn to(mut self, rooms: impl IntoIterator<Item = impl Into<String>>) -> Target {
        self.rooms.extend(rooms.into_iter().map(Into::into));
        self
    }

    /// Adds rooms excluded.
    pub fn except(mut self, rooms: impl IntoIterator<Item = impl Into<String>>) -> Target {
        self.except.extend(rooms.into_iter().map(Into::into));
        self
    }

    /// Marks the broadcast volatile.
    pub fn volatile(mut self, volatile: bool) -> Target {
        self.volatile = volatile;
        self
    }

    /// Whether the broadcast may be compressed (default true).
    pub fn compress(mut self, compress: bool) -> Target {
        self.compress = compress;
        self
    }

    /// Limits the broadcast to this server.
    pub fn local(mut self, local: bool) -> Target {
        self.local = local;
        self
    }
}

impl EmbeddedServer {
    /// The core operator for `target`.
    fn operator(&self, target: &Target) -> BroadcastOperator {
        let mut op = match &target.from {
            Some(socket) => socket.broadcast(),
            None => {
                let dynamic = self.dynamic.lock().expect("namespace lock poisoned").get(&target.nsp).cloned();
                match dynamic {
                    Some(parent) => parent.all(),
                    None => self.server.of(&target.nsp).all(),
                }
            }
        };
        for r in &target.rooms {
            op = op.to(r.clone());
        }
        for r in &target.except {
            op = op.except(r.clone());
        }
        if target.volatile {
            op = op.volatile();
        }
        if target.local {
            op = op.local();
        }
        op.compress(target.compress)
    }

    /// Emits `event` to every socket of `target`; the packet is encoded once.
    pub fn emit_to(&self, target: &Target, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        self.operator(target).emit(event, args)
    }

    /// Emits to every socket of `target` and completes `done` exactly once with one array
    /// of answers per socket, `TimedOut` when some did not answer within `timeout`,
    /// `Disconnected`, or `Cancelled` at shutdown.
    pub fn emit_to_with_ack(
        &self,
        target: &Target,
        event: &str,
        args: Vec<Value>,
        timeout: Duration,
        done: impl FnOnce(AckOutcome) + Send + 'static,
    ) -> Result<(), EmitError> {
        crate::error::check_reserved(event)?;
        let completion = Completion::new(done);
        let (op, event) = (self.operator(target).timeout(timeout), event.to_owned());
        self.shared.handle.spawn(async move {
            let outcome = match op.emit_with_ack(&event, args).await {
                Ok(all) => AckOutcome::Answered(all.into_iter().map(Value::Array).collect()),
                Err(crate::error::AckError::Timeout { .. }) => AckOutcome::TimedOut,
                Err(_) => AckOutcome::Disconnected,
            };
            completion.complete(outcome);
        });
        Ok(())
    }

    /// The sockets of `target` on this server (socket.io's `io.in(room).sockets` view
    /// over the local adapter; `fetch_sockets_*` reach the cluster).
    pub fn local_sockets(&self, target: &Target) -> Vec<Socket> {
        self.operator(target).sockets_local()
    }

    /// The sockets of `target` on every server of the cluster; `done` runs on a runtime
    /// thread (an empty list once the runtime is shut down).
    pub fn fetch_sockets_then(&self, target: &Target, done: impl FnOnce(Vec<RemoteSocket>) + Send + 'static) {
        let op = self.operator(target);
        self.shared.handle.spawn(async move { done(op.fetch_sockets().await) });
    }

    /// The sockets of `target` on every server of the cluster (blocks the calling thread;
    /// prefer [`EmbeddedServer::fetch_sockets_then`] in an event callback).
    pub fn fetch_sockets_of(&self, target: &Target) -> Result<Vec<RemoteSocket>, super::EmbedError> {
        let op = self.operator(target);
        self.shared.block_on(async move { op.fetch_sockets().await })
    }

    /// Makes every socket of `target` join `rooms` (`socketsJoin`).
    pub fn join_to(&self, target: &Target, rooms: Vec<String>) {
        let _guard = self.shared.handle.enter();
        self.operator(target).sockets_join(rooms);
    }

    /// Makes every socket of `target` leave `room` (`socketsLeave`).
    pub fn leave_to(&self, target: &Target, room: &str) {
        let _guard = self.shared.handle.enter();
        self.operator(target).sockets_leave(room);
    }

    /// Disconnects every socket of `target` (`disconnectSockets`; `close`: their whole
    /// connections). Returns at once; the `disconnect` events follow.
    pub fn disconnect_to(&self, target: &Target, close: bool) {
        let op = self.operator(target);
        self.shared.handle.spawn(async move { op.disconnect_sockets(close) });
    }

    /// How many servers the cluster has, this one included; `done` runs on a runtime thread.
    pub fn server_count_then(&self, done: impl FnOnce(usize) + Send + 'static) {
        let server = self.server.clone();
        self.shared.handle.spawn(async move { done(server.server_count().await) });
    }

    /// Emits to one socket (`volatile`: may be dropped if its client is not ready).
    pub fn emit(&self, socket: &Socket, event: &str, args: Vec<Value>, volatile: bool) -> Result<(), EmitError> {
        self.emit_flagged(socket, event, args, volatile, true)
    }

    /// [`EmbeddedServer::emit`] with socket.io's `compress` flag (false: not deflated on
    /// WebSocket, no HTTP compression for a polling response holding only such events).
    pub fn emit_flagged(
        &self,
        socket: &Socket,
        event: &str,
        args: Vec<Value>,
        volatile: bool,
        compress: bool,
    ) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        let emitter = socket.compress(compress);
        if volatile {
            emitter.volatile().emit(event, args)
        } else {
            emitter.emit(event, args)
        }
    }

    /// Makes `socket` join `rooms`.
    pub fn join(&self, socket: &Socket, rooms: Vec<String>) {
        let _guard = self.shared.handle.enter();
        socket.join(rooms);
    }

    /// Makes `socket` leave `room`.
    pub fn leave(&self, socket: &Socket, room: &str) {
        let _guard = self.shared.handle.enter();
        socket.leave(room);
    }

    /// Answers a client's acknowledgement request: `Ok(false)` if it was answered
    /// already, `Disconnected` once the socket has left.
    pub fn answer<'a>(&self, ack: &AckSender, args: impl Into<HostArgs<'a>>) -> Result<bool, EmitError> {
        let _guard = self.shared.handle.enter();
        ack.send_host(args.into())
    }

    /// Answers acknowledgement `id` of `socket` (the id an [`Event::Message`]'s
    /// [`AckSender::id`] gives): for a face that keeps the id rather than the sender, so
    /// that no handle object crosses per event. Unlike [`EmbeddedServer::answer`] it does
    /// not know whether `id` was answered already: the face answers each id once.
    ///
    /// [`Event::Message`]: crate::embed::Event::Message
    pub fn answer_id<'a>(&self, socket: &Socket, id: u64, args: impl Into<HostArgs<'a>>) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        crate::server::send_ack(socket, id, &args.into())
    }

    /// Answers another server's `serverSideEmitWithAck`; false if answered already.
    pub fn answer_server_side(&self, ack: &ServerSideAck, value: Value) -> bool {
        let _guard = self.shared.handle.enter();
        ack.send(value)
    }

    /// Emits to a socket fetched with [`EmbeddedServer::fetch_sockets_of`] (on whichever
    /// server of the cluster holds it).
    pub fn remote_emit(&self, socket: &RemoteSocket, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        let _guard = self.shared.handle.enter();
        socket.emit(event, args)
    }

    /// Makes a fetched socket join `rooms`.
    pub fn remote_join(&self, socket: &RemoteSocket, rooms: Vec<String>) {
        let _guard = self.shared.handle.enter();
        socket.join(rooms);
    }

    /// Makes a fetched socket leave `room`.
    pub fn remote_leave(&self, socket: &RemoteSocket, room: &str) {
        let _guard = self.shared.handle.enter();
        socket.leave(room);
    }

    /// Disconnects a fetched socket (`close`: its whole connection).
    pub fn remote_disconnect(&self, socket: &RemoteSocket, close: bool) {
        let socket = socket.clone();
        self.shared.handle.spawn(async move { socket.disconnect(close) });
    }
}
