//! Broadcasting: a selection of sockets (rooms, exceptions, flags) and what can be
//! done to it. An event is encoded once and the same frames go to every target.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::ack::{self, AckSink};
use super::cluster::{BroadcastOptions, ClusterAdapter, LoggedDelivery, StoredEvent};
use super::namespace::NsInner;
use super::remote::RemoteSocket;
use super::rooms::Room;
use super::socket::Socket;
use crate::engine::Frame;
use crate::error::{check_reserved, AckError, EmitError};
use crate::proto::Parser;
use crate::value::Value;

/// A selection of sockets in a namespace (`io.to("room")`, `socket.broadcast`...).
#[derive(Clone)]
pub struct BroadcastOperator {
    ns: Arc<NsInner>,
    rooms: Vec<Room>,
    except: Vec<Room>,
    volatile: bool,
    compress: bool,
    local: bool,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for BroadcastOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("ns", &self.ns.name)
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .finish_non_exhaustive()
    }
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NsInner>) -> Self {
        BroadcastOperator {
            ns,
            rooms: Vec::new(),
            except: Vec::new(),
            volatile: false,
            compress: true,
            local: false,
            timeout: None,
        }
    }

    /// Adds a target room (several rooms are a union).
    pub fn to(mut self, room: impl Into<Room>) -> Self {
        let room = room.into();
        if !self.rooms.contains(&room) {
            self.rooms.push(room);
        }
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn in_(self, room: impl Into<Room>) -> Self {
        self.to(room)
    }

    /// Excludes the members of `room`.
    pub fn except(mut self, room: impl Into<Room>) -> Self {
        self.except.push(room.into());
        self
    }

    /// Drops the event for clients that are not ready to receive it.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Whether the event may be compressed (default true, as socket.io's `compress(false)`):
    /// permessage-deflate skips it, and so does the polling response's HTTP compression
    /// when nothing else in it may be compressed. Not carried to other nodes of a cluster.
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// Only this node (matters with a cluster adapter).
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Timeout for [`BroadcastOperator::emit_with_ack`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub(crate) fn with_options(ns: Arc<NsInner>, opts: &BroadcastOptions) -> Self {
        BroadcastOperator {
            ns,
            rooms: opts.rooms.clone(),
            except: opts.except.clone(),
            volatile: opts.volatile,
            compress: true,
            local: false,
            timeout: opts.timeout,
        }
    }

    fn options(&self) -> BroadcastOptions {
        BroadcastOptions {
            rooms: self.rooms.clone(),
            except: self.except.clone(),
            volatile: self.volatile,
            timeout: self.timeout,
        }
    }

    /// The cluster to tell, unless this operation is for this node only.
    fn cluster(&self) -> Option<&Arc<dyn ClusterAdapter>> {
        self.ns.cluster.as_ref().filter(|_| !self.local)
    }

    fn targets_in(&self, ns: &NsInner) -> Vec<Socket> {
        ns.selected(&self.rooms, &self.except)
    }

    /// The selected sockets in this process.
    pub fn sockets_local(&self) -> Vec<Socket> {
        self.ns.targets().iter().flat_map(|ns| self.targets_in(ns)).collect()
    }

    /// Emits an event to every selected socket.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        check_reserved(event)?;
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::from(event));
        data.extend(args);
        self.emit_data(&data);
        Ok(())
    }

    /// Emits `data` = `[event, ...args]`, kept for recovery when it is on.
    pub(crate) fn emit_data(&self, data: &[Value]) {
        if self.ns.recovery.is_some() && !self.volatile {
            return self.emit_stored(data);
        }
        for ns in self.ns.targets() {
            let frames = encode_data(ns.parser, &ns.name, None, data);
            send_to_all(&self.targets_in(&ns), &frames, self.volatile, self.compress);
            if let Some(cluster) = self.cluster() {
                cluster.broadcast(&ns.name, data, &self.options());
            }
        }
    }

    /// Delivers `data` that another node sent (already offset when it was kept for
    /// recovery there) to the selected local sockets: encoded once, not stored again.
    pub(crate) fn deliver(&self, data: &[Value]) {
        for ns in self.ns.targets() {
            let frames = encode_data(ns.parser, &ns.name, None, data);
            send_to_all(&self.targets_in(&ns), &frames, self.volatile, self.compress);
        }
    }

    /// Emits with an offset appended as last argument, keeping the packet for
    /// connection state recovery (as the reference server does).
    pub(crate) fn emit_stored(&self, data: &[Value]) {
        let mut data = data.to_vec();
        for ns in self.ns.targets() {
            let store = ns.recovery.as_ref().expect("emit_stored is only used with recovery on");
            if store.logged_by_cluster() {
                self.emit_logged(&ns, &data);
                continue;
            }
            let offset = store.next_offset();
            data.push(Value::String(offset.clone()));
            let frames = encode_data(ns.parser, &ns.name, None, &data);
            store.store(StoredEvent {
                offset: &offset,
                rooms: &self.rooms,
                except: &self.except,
                data: &data,
                frames: &frames,
            });
            send_to_all(&self.targets_in(&ns), &frames, false, self.compress);
            if let Some(cluster) = self.cluster() {
                cluster.broadcast(&ns.name, &data, &self.options());
            }
            data.pop();
        }
    }

    /// Emits through the cluster's log, which names the offset: local sockets get the
    /// event once it is logged (as the reference does), in the order of the emits.
    fn emit_logged(&self, ns: &Arc<NsInner>, data: &[Value]) {
        let (target, rooms, except) = (ns.clone(), self.rooms.clone(), self.except.clone());
        let compress = self.compress;
        let mut owned = data.to_vec();
        let deliver: LoggedDelivery = Box::new(move |offset: Option<String>| {
            owned.extend(offset.map(Value::String));
            let frames = encode_data(target.parser, &target.name, None, &owned);
            for s in target.selected(&rooms, &except) {
                let _ = s.send_shared(&frames, false, compress);
            }
        });
        match self.cluster() {
            Some(cluster) => cluster.broadcast_logged(&ns.name, data, &self.options(), deliver),
            // Only this node: nothing is logged, so no offset (as the reference's `local`).
            None => deliver(None),
        }
    }

    /// Emits an event with an ack request to every selected socket and collects every
    /// answer. Fails with [`AckError::Timeout`] (holding the answers received) when some
    /// did not answer in time. With a cluster, the sockets of every node answer.
    pub async fn emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Vec<Value>>, AckError> {
        check_reserved(event)?;
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::from(event));
        data.extend(args);
        let (tx, rx) = mpsc::unbounded_channel();
        let mut expected = 0;
        for ns in self.ns.targets() {
            expected += self.send_with_ack(&ns, &data, &tx);
        }
        drop(tx);
        let timeout = self.timeout.unwrap_or(Duration::MAX / 4);
        let Some(cluster) = self.cluster().cloned() else {
            return ack::wait_many(rx, expected, timeout).await;
        };
        let (remote_tx, remote_rx) = mpsc::unbounded_channel();
        let mut nodes = 0;
        for ns in self.ns.targets() {
            cluster.broadcast_with_ack(&ns.name, &data, &self.options(), remote_tx.clone());
            nodes += 1;
        }
        drop(remote_tx);
        let deadline = tokio::time::Instant::now() + timeout;
        let others = match tokio::time::timeout_at(deadline, cluster.server_count()).await {
            Ok(n) => n.saturating_sub(1) * nodes,
            Err(_) => 0,
        };
        ack::wait_cluster(rx, expected, remote_rx, others, deadline).await
    }

    /// Sends `data` with a fresh ack id to the selected sockets of `ns`; returns how many
    /// were sent it.
    fn send_with_ack(&self, ns: &NsInner, data: &[Value], sink: &mpsc::UnboundedSender<Vec<Value>>) -> usize {
        let id = ns.next_ack_id();
        let frames = encode_data(ns.parser, &ns.name, Some(id), data);
        let mut sent = 0;
        for s in self.targets_in(ns) {
            s.register_ack(id, AckSink::Many(sink.clone()));
            if s.send_shared(&frames, self.volatile, self.compress).is_ok() {
                sent += 1;
            }
        }
        sent
    }

    /// The local half of a cluster broadcast with acks: each answer's first argument
    /// goes to `on_ack`. Returns how many clients were sent the event.
    pub(crate) fn emit_data_with_ack(&self, data: &[Value], on_ack: Arc<dyn Fn(Value) + Send + Sync>) -> usize {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<Value>>();
        let mut sent = 0;
        for ns in self.ns.targets() {
            sent += self.send_with_ack(&ns, data, &tx);
        }
        drop(tx);
        let timeout = self.timeout.unwrap_or(Duration::from_secs(60));
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + timeout;
            while let Ok(Some(args)) = tokio::time::timeout_at(deadline, rx.recv()).await {
                on_ack(args.into_iter().next().unwrap_or(Value::Null));
            }
        });
        sent
    }

    /// Views of the selected sockets, on every node of the cluster.
    pub async fn fetch_sockets(&self) -> Vec<RemoteSocket> {
        let mut sockets: Vec<RemoteSocket> = self.sockets_local().iter().map(RemoteSocket::from_local).collect();
        if let Some(cluster) = self.cluster() {
            for ns in self.ns.targets() {
                match cluster.fetch_sockets(&ns.name, &self.options()).await {
                    Ok(remote) => sockets.extend(remote.into_iter().map(|i| RemoteSocket::from_info(ns.clone(), i))),
                    Err(e) => {
                        tracing::warn!(ns = %ns.name, error = %e, "fetch_sockets: cluster answer incomplete")
                    }
                }
            }
        }
        sockets
    }

    /// Makes the selected sockets join `rooms`.
    pub fn sockets_join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        let rooms: Vec<Room> = rooms.into_iter().map(Into::into).collect();
        for s in self.sockets_local() {
            s.join(rooms.iter().cloned());
        }
        if let Some(cluster) = self.cluster() {
            for ns in self.ns.targets() {
                cluster.sockets_join(&ns.name, &self.options(), &rooms);
            }
        }
    }

    /// Makes the selected sockets leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        for s in self.sockets_local() {
            s.leave(room);
        }
        if let Some(cluster) = self.cluster() {
            for ns in self.ns.targets() {
                cluster.sockets_leave(&ns.name, &self.options(), &[room.to_owned()]);
            }
        }
    }

    /// Disconnects the selected sockets.
    pub fn disconnect_sockets(&self, close: bool) {
        for s in self.sockets_local() {
            s.disconnect(close);
        }
        if let Some(cluster) = self.cluster() {
            for ns in self.ns.targets() {
                cluster.disconnect_sockets(&ns.name, &self.options(), close);
            }
        }
    }
}

/// Encodes `[event, ...args]` as an EVENT packet.
fn encode_data(parser: Parser, nsp: &str, id: Option<u64>, data: &[Value]) -> Vec<crate::engine::Frame> {
    let (event, args) = match data.split_first() {
        Some((Value::String(e), args)) => (e.as_str(), args),
        _ => ("", data),
    };
    parser.encode_event(nsp, id, event, args)
}

/// Sends `frames` to every target, a run at a time: the run's sessions are touched first
/// (`Session::warm`). At 10k targets each send began with dependent loads from memory
/// (socket, client, session) that the sends' longer bodies kept from overlapping.
fn send_to_all(targets: &[Socket], frames: &[Frame], volatile: bool, compress: bool) {
    for run in targets.chunks(16) {
        for s in run {
            s.warm();
        }
        for s in run {
            let _ = s.send_shared(frames, volatile, compress);
        }
    }
}
