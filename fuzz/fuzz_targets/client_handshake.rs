//! The client's parsing of the Engine.IO handshake: the body of the first polling GET
//! (open packet, possibly followed by more packets) and the first WebSocket text
//! message. Never panics; the client's deadline arithmetic on the announced
//! `pingInterval` + `pingTimeout` does not overflow.
//!
//! Through `sio_core::fuzzing` (crate-private code): see core/src/fuzzing.rs for what it
//! covers today.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sio_core::engine::client::OpenInfo;
use sio_core::fuzzing::{client_handshake_polling, client_handshake_websocket};

mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok((info, _leftovers)) = client_handshake_polling(data) {
        check(&info);
    }
    if let Ok(info) = client_handshake_websocket(common::utf8_prefix(data)) {
        check(&info);
    }
});

/// What `EngineClient::connect` and the connection task compute from the handshake.
fn check(info: &OpenInfo) {
    let _deadline = std::time::Instant::now() + info.ping_interval + info.ping_timeout;
}
