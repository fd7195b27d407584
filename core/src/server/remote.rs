//! What `fetch_sockets` returns: a view of a socket that may live on another node.
use std::collections::HashSet;

use crate::error::EmitError;
use super::handshake::Handshake;
use super::rooms::Room;
use super::socket::Socket;
use crate::value::Value;

/// A snapshot of a socket (`id`, `handshake`, `rooms`, `data`) with the operations
/// that work across nodes.
#[derive(Debug, Clone)]
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
        }
    }

    /// Emits to this socket.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        match &self.local {
            Some(s) => s.emit(event, args),
            None => Err(EmitError::Disconnected),
        }
    }

    /// Joins rooms.
    pub fn join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        if let Some(s) = &self.local {
            s.join(rooms);
        }
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        if let Some(s) = &self.local {
            s.leave(room);
        }
    }

    /// Disconnects the socket.
    pub fn disconnect(&self, close: bool) {
        if let Some(s) = &self.local {
            s.disconnect(close);
        }
    }
}
