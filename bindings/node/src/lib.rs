//! Node.js binding of sio-core: a thin napi-rs layer over [`sio_core::embed`].
//!
//! One process-wide [`Runtime`] delivers its events through one ThreadsafeFunction
//! (non-blocking calls from runtime threads, a *weak* function so it never keeps the
//! process alive by itself). The JavaScript wrapper (`lib/`) dispatches events to the
//! right server or client object and decides, with a ref'd timer, how long the process
//! must stay alive (while a server listens or a client is active).
//!
//! Arguments cross the boundary the way socket.io-parser moves them: JSON text in which
//! every binary buffer is replaced by `{"_placeholder":true,"num":N}`, plus the buffers.
#![warn(missing_docs)]
#![allow(clippy::new_without_default)]

mod client;
mod codec;
mod conn;
mod event;
mod forward;
mod server;

use std::sync::OnceLock;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use sio_core::embed::{Delivery, Runtime, RuntimeOptions};

pub use event::{Ev, NativeEvent};

type Tsfn = ThreadsafeFunction<Ev, Unknown<'static>, NativeEvent, Status, false, true, 0>;

static TSFN: OnceLock<Tsfn> = OnceLock::new();
static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// An answer JavaScript gives later (what the core's async hooks take).
pub(crate) type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// Hands an event to JavaScript without blocking the calling (runtime) thread.
pub(crate) fn deliver(ev: Ev) {
    if let Some(tsfn) = TSFN.get() {
        let _ = tsfn.call(ev, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// The runtime, once [`init`] ran.
pub(crate) fn runtime() -> Result<&'static Runtime> {
    RUNTIME.get().ok_or_else(|| err("ERR_SIO_NOT_INITIALISED", "init() was not called"))
}

/// An error whose message starts with a stable code; the JS wrapper moves it to `err.code`.
pub(crate) fn err(code: &str, message: impl std::fmt::Display) -> Error {
    Error::from_reason(format!("{code}: {message}"))
}

/// Installs the event dispatcher and starts the runtime. Idempotent: later calls are
/// ignored (one dispatcher per process).
#[napi]
pub fn init(dispatch: Function<'_, NativeEvent, Unknown<'static>>) -> Result<()> {
    if TSFN.get().is_some() {
        return Ok(());
    }
    let tsfn: Tsfn = dispatch
        .build_threadsafe_function::<Ev>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| event::to_js(ctx.value))?;
    let _ = TSFN.set(tsfn);
    let rt = Runtime::new(RuntimeOptions {
        workers: 2,
        delivery: Delivery::Callback(std::sync::Arc::new(|ev| deliver(event::from_core(ev)))),
    })
    .map_err(|e| err("ERR_SIO_RUNTIME", e))?;
    let _ = RUNTIME.set(rt);
    Ok(())
}

/// The names user code may not emit (`connect`, `disconnect`...).
#[napi]
pub fn reserved_events() -> Vec<String> {
    sio_core::RESERVED_EVENTS.iter().map(|s| (*s).to_owned()).collect()
}
