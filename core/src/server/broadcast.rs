//! Broadcasting: a selection of sockets (rooms, exceptions, flags) and what can be
//! done to it. An event is encoded once and the same frames go to every target.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::ack::{self, AckSink};
use crate::error::{check_reserved, AckError, EmitError};
use super::namespace::NsInner;
use super::remote::RemoteSocket;
use super::rooms::Room;
use super::socket::Socket;
use crate::proto::packet::encode_event;
use crate::value::Value;

/// A selection of sockets in a namespace (`io.to("room")`, `socket.broadcast`...).
#[derive(Clone)]
pub struct BroadcastOperator {
    ns: Arc<NsInner>,
    rooms: Vec<Room>,
    except: Vec<Room>,
    volatile: bool,
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
        BroadcastOperator { ns, rooms: Vec::new(), except: Vec::new(), volatile: false, local: false, timeout: None }
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

    fn targets_in(&self, ns: &NsInner) -> Vec<Socket> {
        ns.get_many(&ns.adapter.select(&self.rooms, &self.except))
    }

    /// The selected sockets in this process.
    pub fn sockets_local(&self) -> Vec<Socket> {
        self.ns.targets().iter().flat_map(|ns| self.targets_in(ns)).collect()
    }

    /// Emits an event to every selected socket.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        check_reserved(event)?;
        if self.ns.recovery.is_some() && !self.volatile {
            return self.emit_stored(event, args);
        }
        for ns in self.ns.targets() {
            let frames = encode_event(&ns.name, None, event, &args);
            for s in self.targets_in(&ns) {
                let _ = s.send_shared(&frames, self.volatile);
            }
        }
        Ok(())
    }

    /// Emits with an offset appended as last argument, keeping the packet for
    /// connection state recovery (as the reference server does).
    pub(crate) fn emit_stored(&self, event: &str, mut args: Vec<Value>) -> Result<(), EmitError> {
        for ns in self.ns.targets() {
            let store = ns.recovery.as_ref().expect("emit_stored is only used with recovery on");
            let offset = store.next_offset();
            args.push(Value::String(offset.clone()));
            let frames = encode_event(&ns.name, None, event, &args);
            args.pop();
            store.store(offset, &self.rooms, &self.except, &frames);
            for s in self.targets_in(&ns) {
                let _ = s.send_shared(&frames, false);
            }
        }
        Ok(())
    }

    /// Emits an event with an ack request to every selected socket and collects every
    /// answer. Fails with [`AckError::Timeout`] (holding the answers received) when some
    /// did not answer in time.
    pub async fn emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Vec<Value>>, AckError> {
        check_reserved(event)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let mut expected = 0;
        for ns in self.ns.targets() {
            let id = ns.next_ack_id();
            let frames = encode_event(&ns.name, Some(id), event, &args);
            for s in self.targets_in(&ns) {
                s.register_ack(id, AckSink::Many(tx.clone()));
                if s.send_shared(&frames, self.volatile).is_ok() {
                    expected += 1;
                }
            }
        }
        drop(tx);
        ack::wait_many(rx, expected, self.timeout.unwrap_or(Duration::MAX / 4)).await
    }

    /// Views of the selected sockets.
    pub async fn fetch_sockets(&self) -> Vec<RemoteSocket> {
        self.sockets_local().iter().map(RemoteSocket::from_local).collect()
    }

    /// Makes the selected sockets join `rooms`.
    pub fn sockets_join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        let rooms: Vec<Room> = rooms.into_iter().map(Into::into).collect();
        for s in self.sockets_local() {
            s.join(rooms.iter().cloned());
        }
    }

    /// Makes the selected sockets leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        for s in self.sockets_local() {
            s.leave(room);
        }
    }

    /// Disconnects the selected sockets.
    pub fn disconnect_sockets(&self, close: bool) {
        for s in self.sockets_local() {
            s.disconnect(close);
        }
    }
}
