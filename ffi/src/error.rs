//! Status codes, the per-thread last error, and the panic boundary.
use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// Result of every fallible function.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_status {
    /// Success.
    SIO_OK = 0,
    /// A required pointer was NULL.
    SIO_ERR_NULL_ARG = 1,
    /// A string was not valid UTF-8.
    SIO_ERR_INVALID_UTF8 = 2,
    /// Arguments were not valid JSON, not an array, or referenced a missing buffer.
    SIO_ERR_INVALID_JSON = 3,
    /// An argument had an invalid value (see `sio_last_error`).
    SIO_ERR_INVALID_ARGUMENT = 4,
    /// The event name is reserved (`connect`, `disconnect`, ...).
    SIO_ERR_RESERVED_EVENT = 5,
    /// The socket is not connected.
    SIO_ERR_DISCONNECTED = 6,
    /// The runtime was shut down.
    SIO_ERR_SHUTDOWN = 7,
    /// An I/O error (address in use...).
    SIO_ERR_IO = 8,
    /// Nothing arrived within the timeout.
    SIO_ERR_TIMEOUT = 9,
    /// The operation needs the other delivery mode (e.g. `sio_next_event` with callbacks).
    SIO_ERR_WRONG_MODE = 10,
    /// The handle was already used up (an answered middleware decision...).
    SIO_ERR_USED = 11,
    /// A Rust panic was caught at the boundary (a bug in sio).
    SIO_ERR_PANIC = 12,
}

/// A failure with its detail.
#[derive(Debug)]
pub(crate) struct Error {
    pub status: sio_status,
    pub detail: String,
}

impl Error {
    pub(crate) fn new(status: sio_status, detail: impl Into<String>) -> Error {
        Error { status, detail: detail.into() }
    }
}

impl From<sio_core::EmitError> for Error {
    fn from(e: sio_core::EmitError) -> Self {
        let status = match e {
            sio_core::EmitError::Reserved(_) => sio_status::SIO_ERR_RESERVED_EVENT,
            sio_core::EmitError::Disconnected => sio_status::SIO_ERR_DISCONNECTED,
        };
        Error::new(status, e.to_string())
    }
}

impl From<sio_core::embed::EmbedError> for Error {
    fn from(e: sio_core::embed::EmbedError) -> Self {
        use sio_core::embed::EmbedError as E;
        let status = match e {
            E::Shutdown => sio_status::SIO_ERR_SHUTDOWN,
            E::Io(_) => sio_status::SIO_ERR_IO,
            E::InvalidArgument(_) => sio_status::SIO_ERR_INVALID_ARGUMENT,
        };
        Error::new(status, e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(detail: &str) {
    let c = CString::new(detail.replace('\0', " ")).expect("NULs were replaced");
    // During thread teardown the slot is gone: the detail is dropped, never a panic.
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = c);
}

/// Runs `body`, turning errors into status codes and panics into `SIO_ERR_PANIC`.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Error>) -> sio_status {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => sio_status::SIO_OK,
        Ok(Err(e)) => {
            set_last_error(&e.detail);
            e.status
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("panic: {msg}"));
            sio_status::SIO_ERR_PANIC
        }
    }
}

/// Like [`guard`] for functions without a status (getters, `*_free`): a panic is swallowed.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
}

/// Like [`guard`] for functions that return a value (getters): a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(fallback)
}

pub(crate) fn null(name: &str) -> Error {
    Error::new(sio_status::SIO_ERR_NULL_ARG, format!("{name} is NULL"))
}

/// A static, NUL-terminated description of `status`. Never NULL; thread-safe.
#[no_mangle]
pub extern "C" fn sio_status_str(status: sio_status) -> *const c_char {
    guard_value(c"".as_ptr(), || status_str(status).as_ptr().cast())
}

fn status_str(status: sio_status) -> &'static [u8] {
    match status {
        sio_status::SIO_OK => b"ok\0",
        sio_status::SIO_ERR_NULL_ARG => b"a required pointer is NULL\0",
        sio_status::SIO_ERR_INVALID_UTF8 => b"invalid UTF-8\0",
        sio_status::SIO_ERR_INVALID_JSON => b"invalid JSON arguments\0",
        sio_status::SIO_ERR_INVALID_ARGUMENT => b"invalid argument\0",
        sio_status::SIO_ERR_RESERVED_EVENT => b"reserved event name\0",
        sio_status::SIO_ERR_DISCONNECTED => b"socket is disconnected\0",
        sio_status::SIO_ERR_SHUTDOWN => b"runtime is shut down\0",
        sio_status::SIO_ERR_IO => b"I/O error\0",
        sio_status::SIO_ERR_TIMEOUT => b"timed out\0",
        sio_status::SIO_ERR_WRONG_MODE => b"wrong event delivery mode\0",
        sio_status::SIO_ERR_USED => b"handle already used\0",
        sio_status::SIO_ERR_PANIC => b"internal error (panic)\0",
    }
}

/// The detail of the last failure on the calling thread (NUL-terminated, empty if none).
/// Valid until the next sio call on this thread; never NULL.
#[no_mangle]
pub extern "C" fn sio_last_error() -> *const c_char {
    // After the thread's locals are gone (a call from a thread destructor): "".
    guard_value(c"".as_ptr(), || LAST_ERROR.try_with(|e| e.borrow().as_ptr()).unwrap_or(c"".as_ptr()))
}

/// Test hook: panics inside the boundary and returns `SIO_ERR_PANIC`, proving that no
/// panic crosses the ABI.
#[no_mangle]
pub extern "C" fn sio_debug_panic() -> sio_status {
    guard(|| panic!("sio_debug_panic was called"))
}
