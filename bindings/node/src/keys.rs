//! Connected sockets by number. A packed message names its socket by the number JS keeps
//! its `Socket` under, and an answer without buffers finds the socket by that number
//! through a plain function: no 20-character id for JS to hash per message and no JS
//! object to unwrap per answer (both showed in the echo's profile of the JS thread).
//!
//! A socket gets its number with its `connection` event and loses it with its
//! `disconnect` (or its server's `closed`); an answer to a number no longer held is
//! `ERR_SIO_DISCONNECTED`, as an answer to a disconnected socket.
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::{LazyLock, Mutex};

use napi::bindgen_prelude::*;
use napi::JsString;

use sio_core::embed::{socket_key, AddressHasher, EmbeddedServer, Socket, SocketMap};
use sio_core::EmitError;

use crate::codec::{host_args_from_js_text, with_js_str};
use crate::err;

struct Entry {
    server: u64,
    srv: EmbeddedServer,
    socket: Socket,
}

#[derive(Default)]
struct Keys {
    /// The last number given.
    last: u32,
    by_socket: SocketMap<u32>,
    entries: HashMap<u32, Entry, BuildHasherDefault<AddressHasher>>,
}

/// Numbers stay below 2^30: small integers for V8 (no heap number per message).
const KEY_MASK: u32 = (1 << 30) - 1;

static KEYS: LazyLock<Mutex<Keys>> = LazyLock::new(Mutex::default);

fn keys() -> std::sync::MutexGuard<'static, Keys> {
    KEYS.lock().expect("socket keys poisoned")
}

/// Gives a connected socket of server `server` its number (the one it has, if any).
pub(crate) fn register(server: u64, srv: &EmbeddedServer, socket: &Socket) -> u32 {
    let mut k = keys();
    if let Some(&key) = k.by_socket.get(&socket_key(socket)) {
        return key;
    }
    let mut key = k.last;
    loop {
        key = key.wrapping_add(1) & KEY_MASK;
        if key != 0 && !k.entries.contains_key(&key) {
            break;
        }
    }
    k.last = key;
    k.by_socket.insert(socket_key(socket), key);
    k.entries.insert(key, Entry { server, srv: srv.clone(), socket: socket.clone() });
    key
}

/// The number of a connected socket (none before its `connection` event reached JS).
pub(crate) fn key_of(socket: &Socket) -> Option<u32> {
    let k = keys();
    let key = k.by_socket.get(&socket_key(socket)).copied()?;
    // Looked up now, when the batch is converted, the entry an answer reads (`ack_by_key`)
    // is still in the cache when that answer comes, after the batch's handlers.
    std::hint::black_box(k.entries.get(&key).map(|e| e.server));
    Some(key)
}

/// A socket disconnected: its number is no longer its.
pub(crate) fn forget(socket: &Socket) {
    let mut k = keys();
    if let Some(key) = k.by_socket.remove(&socket_key(socket)) {
        k.entries.remove(&key);
    }
}

/// A server closed: the numbers of its sockets go (each had its `disconnect` before).
pub(crate) fn forget_server(server: u64) {
    let mut k = keys();
    let gone: Vec<u32> = k.entries.iter().filter(|(_, e)| e.server == server).map(|(&key, _)| key).collect();
    for key in gone {
        if let Some(e) = k.entries.remove(&key) {
            k.by_socket.remove(&socket_key(&e.socket));
        }
    }
}

/// Answers acknowledgement `id` of the socket numbered `key` with JSON text (no
/// buffers): `NativeSocket.ack` for the common case. Each id is answered once. JS calls it
/// as `ackByKey` (`fast_call`).
pub(crate) fn ack_by_key(key: u32, id: i64, json: JsString) -> Result<()> {
    let id = u64::try_from(id).map_err(|_| err("ERR_SIO_INVALID_ARGUMENT", "an ack id is not negative"))?;
    // The text is read into a scratch buffer and written from there into the packet.
    with_js_str(json, |text| {
        let args = host_args_from_js_text(text)?;
        // Answered under the lock, which only the JS thread takes (events are numbered and
        // forgotten there too): no server and socket handles cloned per answer.
        let k = keys();
        let e = k.entries.get(&key).ok_or_else(|| crate::server::emit_err(EmitError::Disconnected))?;
        e.srv.answer_id(&e.socket, id, args).map_err(crate::server::emit_err)
    })
}
