//! What `fetch_sockets` returns: a view of a socket that may live on another node.
use std::collections::HashSet;
use std::sync::Arc;

use super::broadcast::BroadcastOperator;
use super::cluster::SocketInfo;
use super::handshake::Handshake;
use super::namespace::NsInner;
use super::rooms::Room;
use super::socket::Socket;
use crate::error::EmitError;
use crate::value::Value;

/// A snapshot of a socket (`id`, `handshake`, `rooms`, `data`) with the operations
/// that work across nodes.
#[derive(Clone)]
pub struct RemoteSocket {
    /// Socket id.
    pub id: String,
    /// Namespace.
    pub ns: String,
    /// Handshake details.
    pub handshake: Handshake,
    /// Rooms at the time of the fetch.
    pub rooms: HashSet<Room>,
    /// `socket.data` at the time of the fetch.
    pub data: Value,
    local: Option<Socket>,
    nsp: Arc<NsInner>,
}

impl std::fmt::Debug for RemoteSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("id", &self.id)
            .field("ns", &self.ns)
            .field("rooms", &self.rooms)
            .field("data", &self.data)
            .field("local", &self.local.is_some())
            .finish()
    }
}

impl RemoteSocket {
    pub(crate) fn from_local(s: &Socket) -> RemoteSocket {
        RemoteSocket {
            id: s.id().to_owned(),
            ns: s.ns().to_owned(),
            handshake: s.handshake().clone(),
            rooms: s.rooms(),
            data: s.data(),
            local: Some(s.clone()),
            nsp: s.0.ns.clone(),
        }
    }

    pub(crate) fn from_info(nsp: Arc<NsInner>, info: SocketInfo) -> RemoteSocket {
        RemoteSocket {
            id: info.id,
            ns: nsp.name.clone(),
            handshake: super::cluster::handshake_from_value(&info.handshake),
            rooms: info.rooms.into_iter().collect(),
            data: info.data,
            local: None,
            nsp,
        }
    }

    /// Whether the socket is connected to this node.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The socket's own room, on whichever node it lives.
    fn remote(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.nsp.clone()).to(self.id.clone())
    }

    /// Emits to this socket.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        match &self.local {
            Some(s) => s.emit(event, args),
            None => self.remote().emit(event, args),
        }
    }

    /// Joins rooms.
    pub fn join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        match &self.local {
            Some(s) => s.join(rooms),
            None => self.remote().sockets_join(rooms),
        }
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        match &self.local {
            Some(s) => s.leave(room),
            None => self.remote().sockets_leave(room),
        }
    }

    /// Disconnects the socket.
    pub fn disconnect(&self, close: bool) {
        match &self.local {
            Some(s) => s.disconnect(close),
            None => self.remote().disconnect_sockets(close),
        }
    }
}
