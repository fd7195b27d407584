//! The UI's commands (`emit`, `join`, `leave`, `_disconnect`), as socket.io v4's
//! `instrument` runs them. They reach existing namespaces only: the UI cannot make the
//! server create one.
use std::sync::Weak;

use crate::server::{BroadcastOperator, Server, ServerInner, Socket};
use crate::value::Value;

/// The features the `config` event announces.
pub(super) fn features(read_only: bool, development: bool) -> Vec<Value> {
    let mut f: Vec<&str> = if read_only {
        Vec::new()
    } else {
        vec!["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]
    };
    f.push("AGGREGATED_EVENTS");
    if development {
        f.push("ALL_EVENTS");
    }
    f.into_iter().map(Value::from).collect()
}

/// The sockets of namespace `nsp` narrowed by `filter` (a room, a socket id, or a list).
/// The server is held weakly: handlers live inside it.
fn target(server: &Weak<ServerInner>, nsp: Option<&Value>, filter: Option<&Value>) -> Option<BroadcastOperator> {
    let ns = Server(server.upgrade()?).existing_namespace(nsp?.as_str()?)?;
    let op = ns.all();
    Some(match filter {
        Some(Value::String(room)) if !room.is_empty() => op.to(room.clone()),
        Some(Value::Array(rooms)) => rooms.iter().filter_map(Value::as_str).fold(op, |op, r| op.to(r.to_owned())),
        _ => op,
    })
}

/// Listens for the UI's commands on admin socket `socket`.
pub(super) fn register(server: &Weak<ServerInner>, socket: &Socket) {
    let io = server.clone();
    socket.on("emit", move |_, args, _| {
        // (nsp, filter, event, ...args)
        if let (Some(op), Some(event)) = (target(&io, args.first(), args.get(1)), args.get(2).and_then(Value::as_str)) {
            let _ = op.emit(event, args[3..].to_vec());
        }
    });
    let io = server.clone();
    socket.on("join", move |_, args, _| {
        // (nsp, room, filter)
        if let (Some(op), Some(room)) = (target(&io, args.first(), args.get(2)), args.get(1).and_then(Value::as_str)) {
            op.sockets_join([room.to_owned()]);
        }
    });
    let io = server.clone();
    socket.on("leave", move |_, args, _| {
        if let (Some(op), Some(room)) = (target(&io, args.first(), args.get(2)), args.get(1).and_then(Value::as_str)) {
            op.sockets_leave(room);
        }
    });
    let io = server.clone();
    socket.on("_disconnect", move |_, args, _| {
        // (nsp, close, filter)
        if let Some(op) = target(&io, args.first(), args.get(2)) {
            op.disconnect_sockets(args.get(1).and_then(Value::as_bool).unwrap_or(false));
        }
    });
}
