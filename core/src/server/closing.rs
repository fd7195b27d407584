//! The two halves of a socket's disconnection. `disconnecting` handlers run first, with
//! the socket still connected (socket.io: `connected` is true and emits still go out, to
//! the socket and from it to its rooms); the rest (rooms left, `disconnect`) follows once
//! every [`CloseDeferral`] taken during `disconnecting` is dropped. A host that handles
//! `disconnecting` later, on a thread of its own, holds one until its handler returns.
use std::sync::{Arc, Weak};

use super::reason::DisconnectReason;
use super::socket::Socket;

/// Holds back the end of a socket's disconnection until dropped.
#[derive(Clone)]
pub struct CloseDeferral(#[allow(dead_code)] Arc<PendingClose>);

impl std::fmt::Debug for CloseDeferral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloseDeferral").field("socket", &self.0.socket.id()).finish()
    }
}

pub(crate) struct PendingClose {
    socket: Socket,
    reason: DisconnectReason,
    /// The runtime the close started on: a host thread that drops the last deferral has
    /// none, and finishing may spawn (an adapter publishing the departure).
    runtime: Option<tokio::runtime::Handle>,
}

impl PendingClose {
    pub(crate) fn new(socket: Socket, reason: DisconnectReason) -> Arc<PendingClose> {
        Arc::new(PendingClose { socket, reason, runtime: tokio::runtime::Handle::try_current().ok() })
    }

    pub(crate) fn defer(pending: &Weak<PendingClose>) -> Option<CloseDeferral> {
        pending.upgrade().map(CloseDeferral)
    }
}

impl Drop for PendingClose {
    fn drop(&mut self) {
        let _entered = match (&self.runtime, tokio::runtime::Handle::try_current()) {
            (Some(rt), Err(_)) => Some(rt.enter()),
            _ => None,
        };
        self.socket.finish_close(self.reason);
    }
}
