//! Node.js binding of sio-core: a thin napi-rs layer over [`sio_core::embed`].
//!
//! One process-wide [`Runtime`] delivers its events, in batches, through one ThreadsafeFunction
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
mod event;
mod fast_call;
mod host;
mod keys;
mod log;
mod server;

use std::sync::OnceLock;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use sio_core::embed::{Delivery, Runtime, RuntimeOptions};

pub use event::{Ev, NativeEvent};
pub use fast_call::ack_by_key_fn;
pub use log::set_log_level;

/// Wakes the JS thread; its callback takes every queued event as one array.
type Tsfn = ThreadsafeFunction<(), Unknown<'static>, Vec<NativeEvent>, Status, false, true, 0>;

static TSFN: OnceLock<Tsfn> = OnceLock::new();
static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Events waiting for the JS thread, and whether a wake-up is already on its way: one
/// crossing into JavaScript carries every event queued since the last one.
static QUEUE: std::sync::Mutex<Vec<Ev>> = std::sync::Mutex::new(Vec::new());
static WAKE_PENDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Hands an event to JavaScript without blocking the calling (runtime) thread.
pub(crate) fn deliver(ev: Ev) {
    use std::sync::atomic::Ordering;
    let Some(tsfn) = TSFN.get() else { return };
    QUEUE.lock().expect("event queue poisoned").push(ev);
    if !WAKE_PENDING.swap(true, Ordering::AcqRel) {
        let _ = tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// On the JS thread: every queued event, converted (re-arms the wake-up first, so an
/// event queued meanwhile wakes JS again).
fn take_batch() -> Vec<NativeEvent> {
    WAKE_PENDING.store(false, std::sync::atomic::Ordering::Release);
    let evs = {
        let mut q = QUEUE.lock().expect("event queue poisoned");
        // The next batch likely is as long: room for it now, instead of growing the queue
        // event by event (a copy of what is queued at every doubling); at most a typical
        // batch's, so that an idle process does not keep a burst's.
        let room = q.len().min(1024);
        std::mem::replace(&mut *q, Vec::with_capacity(room))
    };
    event::batch_to_js(evs)
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
pub fn init(dispatch: Function<'_, Vec<NativeEvent>, Unknown<'static>>) -> Result<()> {
    if TSFN.get().is_some() {
        return Ok(());
    }
    let tsfn: Tsfn = dispatch
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|_| Ok(take_batch()))?;
    let _ = TSFN.set(tsfn);
    let rt = Runtime::new(RuntimeOptions {
        // Two workers even on one core: with one, the JS thread and the worker wake each
        // other per event (16k context switches/s in the echo bench against 1k/s).
        workers: 2,
        delivery: Delivery::Callback(std::sync::Arc::new(|ev| deliver(event::from_core(ev)))),
    })
    .map_err(|e| err("ERR_SIO_RUNTIME", e))?;
    let _ = RUNTIME.set(rt);
    Ok(())
}

/// Opens a turn of the JS thread: the frames JS queues until `endTurn` wake their
/// connections' writers once, at the end (the dispatcher brackets each run of events).
#[napi]
pub fn begin_turn() -> Result<()> {
    runtime()?.begin_turn();
    Ok(())
}

/// Ends the turn `beginTurn` opened: what JS queued during it goes out.
#[napi]
pub fn end_turn() -> Result<()> {
    runtime()?.end_turn();
    Ok(())
}

/// The names user code may not emit (`connect`, `disconnect`...).
#[napi]
pub fn reserved_events() -> Vec<String> {
    sio_core::RESERVED_EVENTS.iter().map(|s| (*s).to_owned()).collect()
}
