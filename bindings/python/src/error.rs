//! The one place where Rust errors become Python exceptions. The exception classes are
//! defined in Python (`sio/exceptions.py`, so that they can also derive from the
//! builtin `ConnectionError`/`TimeoutError`/`TypeError`) and imported here.
use pyo3::prelude::*;
use sio_core::embed::{AckOutcome, EmbedError};
use sio_core::EmitError;

pyo3::import_exception!(sio_rs.exceptions, SocketIOError);
pyo3::import_exception!(sio_rs.exceptions, ConnectionError);
pyo3::import_exception!(sio_rs.exceptions, TimeoutError);
pyo3::import_exception!(sio_rs.exceptions, ReservedEventError);
pyo3::import_exception!(sio_rs.exceptions, BadArgument);

/// Errors of the embedding layer.
pub fn embed(e: EmbedError) -> PyErr {
    match e {
        EmbedError::Shutdown => SocketIOError::new_err("the server or client is closed"),
        EmbedError::Io(m) => ConnectionError::new_err(m),
        EmbedError::InvalidArgument(m) => BadArgument::new_err(m),
    }
}

/// Errors of an emit.
pub fn emit(e: EmitError) -> PyErr {
    match e {
        EmitError::Reserved(_) => ReservedEventError::new_err(e.to_string()),
        EmitError::Disconnected => ConnectionError::new_err(e.to_string()),
    }
}

/// An acknowledgement's outcome as `(replies, None)` or `(None, exception)`.
pub fn outcome(py: Python<'_>, outcome: AckOutcome) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
    let err = match outcome {
        AckOutcome::Answered(args) => return Ok((crate::convert::list(py, &args)?, py.None())),
        AckOutcome::TimedOut => TimeoutError::new_err("operation has timed out"),
        AckOutcome::Disconnected => ConnectionError::new_err("socket has been disconnected"),
        AckOutcome::Cancelled => SocketIOError::new_err("cancelled: the server or client was closed"),
    };
    Ok((py.None(), err.into_value(py).into_any()))
}
