//! `sio_runtime`: the tokio runtime, event delivery (callback or queue).
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::embed::{Delivery, EmbeddedServer, Runtime, RuntimeOptions};

use crate::args::HostPtr;
use crate::error::{guard, guard_void, null, sio_status, Error};
use crate::event::{sio_event, OwnedEvent};

/// Receives each event on a runtime thread. `ev` and everything it points to are
/// borrowed for the duration of the call. Must not block for long, and must not call
/// `sio_runtime_free`.
pub type sio_event_cb = Option<unsafe extern "C" fn(user_data: *mut c_void, ev: *const sio_event)>;
/// Releases `user_data`: the runtime's when it is freed, a socket's user data (see
/// `sio_socket_set_user_data`) when it is replaced or the socket freed.
pub type sio_free_cb = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The servers of a runtime, so socket events can carry their server.
pub(crate) type ServerTable = Arc<Mutex<HashMap<u64, EmbeddedServer>>>;

/// A runtime: worker threads shared by the servers and clients created from it.
pub struct sio_runtime {
    pub(crate) rt: Runtime,
    pub(crate) servers: ServerTable,
    queue_mode: bool,
    finalizer: Option<(sio_free_cb, HostPtr)>,
}

/// Creates a runtime with `workers` threads (0: one per core the process may run on).
///
/// With `callback` non-NULL, events are delivered by calling it on runtime threads (in
/// order per connection); `user_data` is passed along and `free_user_data` (may be NULL)
/// is called once when the runtime is freed. With `callback` NULL, events are queued for
/// `sio_next_event`. On success `*out` owns the runtime (free with `sio_runtime_free`).
#[no_mangle]
pub unsafe extern "C" fn sio_runtime_new(
    workers: u32,
    callback: sio_event_cb,
    user_data: *mut c_void,
    free_user_data: sio_free_cb,
    out: *mut *mut sio_runtime,
) -> sio_status {
    guard(|| {
        if out.is_null() {
            return Err(null("out"));
        }
        let servers: ServerTable = Arc::default();
        let data = HostPtr(user_data);
        let delivery = match callback {
            Some(cb) => {
                let table = servers.clone();
                Delivery::Callback(Arc::new(move |ev| {
                    let data = data;
                    // A panic while converting must not unwind into the runtime.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let owned = OwnedEvent::new(ev, |id| table.lock().ok()?.get(&id).cloned());
                        cb(data.0, &owned.c);
                    }));
                }))
            }
            None => Delivery::Queue,
        };
        let rt = Runtime::new(RuntimeOptions { workers: workers as usize, delivery: delivery.clone() })?;
        let runtime = sio_runtime {
            rt,
            servers,
            queue_mode: matches!(delivery, Delivery::Queue),
            finalizer: callback.map(|_| (free_user_data, data)),
        };
        *out = Box::into_raw(Box::new(runtime));
        Ok(())
    })
}

/// Queue mode: waits up to `timeout_ms` for the next event. On SIO_OK `*out` owns the
/// event (free with `sio_event_free`); SIO_ERR_TIMEOUT when none arrived (also after
/// shutdown once the queue is empty); SIO_ERR_WRONG_MODE in callback mode. May be
/// called from any thread, including concurrently.
#[no_mangle]
pub unsafe extern "C" fn sio_next_event(
    rt: *const sio_runtime,
    timeout_ms: u32,
    out: *mut *mut sio_event,
) -> sio_status {
    guard(|| {
        let rt = rt.as_ref().ok_or_else(|| null("rt"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        if !rt.queue_mode {
            return Err(Error::new(sio_status::SIO_ERR_WRONG_MODE, "the runtime delivers events by callback"));
        }
        let ev = rt
            .rt
            .next_event(Duration::from_millis(u64::from(timeout_ms)))
            .ok_or_else(|| Error::new(sio_status::SIO_ERR_TIMEOUT, "no event within the timeout"))?;
        let table = rt.servers.clone();
        let owned = OwnedEvent::new(ev, |id| table.lock().ok()?.get(&id).cloned());
        *out = Box::into_raw(owned).cast::<sio_event>();
        Ok(())
    })
}

/// Queue mode, in bulk: waits up to `timeout_ms` for the first event, then takes what is
/// queued without waiting, up to `max` events, into `out[0..*count]` (each freed with
/// `sio_event_free`). One call pays the crossing once for a whole burst. SIO_ERR_TIMEOUT
/// (and `*count` 0) when none arrived; SIO_ERR_WRONG_MODE in callback mode.
#[no_mangle]
pub unsafe extern "C" fn sio_next_events(
    rt: *const sio_runtime,
    timeout_ms: u32,
    out: *mut *mut sio_event,
    max: usize,
    count: *mut usize,
) -> sio_status {
    guard(|| {
        let rt = rt.as_ref().ok_or_else(|| null("rt"))?;
        let count = count.as_mut().ok_or_else(|| null("count"))?;
        *count = 0;
        if out.is_null() {
            return Err(null("out"));
        }
        if max == 0 {
            return Err(Error::new(sio_status::SIO_ERR_INVALID_ARGUMENT, "max must be at least 1"));
        }
        if !rt.queue_mode {
            return Err(Error::new(sio_status::SIO_ERR_WRONG_MODE, "the runtime delivers events by callback"));
        }
        let events = rt.rt.next_events(max, Duration::from_millis(u64::from(timeout_ms)));
        if events.is_empty() {
            return Err(Error::new(sio_status::SIO_ERR_TIMEOUT, "no event within the timeout"));
        }
        let table = rt.servers.clone();
        for (i, ev) in events.into_iter().enumerate() {
            let owned = OwnedEvent::new(ev, |id| table.lock().ok()?.get(&id).cloned());
            *out.add(i) = Box::into_raw(owned).cast::<sio_event>();
            *count = i + 1;
        }
        Ok(())
    })
}

/// Shuts the runtime down gracefully (servers close with "server shutting down",
/// clients disconnect, pending acks complete as cancelled) and frees it. NULL-safe.
/// Call from a host thread, never from an event callback. Servers and clients created
/// from it must not be used afterwards except to free them.
#[no_mangle]
pub unsafe extern "C" fn sio_runtime_free(rt: *mut sio_runtime) {
    guard_void(|| {
        if rt.is_null() {
            return;
        }
        let rt = Box::from_raw(rt);
        rt.rt.shutdown();
        if let Ok(mut servers) = rt.servers.lock() {
            // A server-wide packet middleware holds its server (to hand out socket
            // handles): dropping it breaks that cycle so the server is freed.
            for server in servers.values() {
                server.set_packet_middleware(None);
            }
            servers.clear();
        }
        if let Some((Some(free), data)) = rt.finalizer {
            free(data.0);
        }
    });
}
