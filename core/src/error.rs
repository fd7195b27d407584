//! Errors shared by the server and client APIs.
use crate::value::Value;

/// Event names the application may not emit.
pub const RESERVED_EVENTS: [&str; 6] =
    ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

/// Why an emit failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The name is one of [`RESERVED_EVENTS`](crate::RESERVED_EVENTS).
    #[error("\"{0}\" is a reserved event name")]
    Reserved(String),
    /// The socket is no longer connected.
    #[error("socket is disconnected")]
    Disconnected,
}

/// Why an acknowledgement did not arrive.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AckError {
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// No answer within the timeout. For broadcasts, `partial` holds the answers that did arrive.
    #[error("operation has timed out")]
    Timeout {
        /// Answers received before the timeout (broadcasts only).
        partial: Vec<Vec<Value>>,
    },
    /// The socket disconnected before answering.
    #[error("socket has been disconnected")]
    Disconnected,
}

/// A refusal from a namespace middleware: becomes CONNECT_ERROR `{message, data}` and the
/// client's `connect_error`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    /// `err.message` on the client.
    pub message: String,
    /// `err.data` on the client.
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError { message: message.into(), data: None }
    }

    /// A refusal with a message and data.
    pub fn with_data(message: impl Into<String>, data: Value) -> Self {
        ConnectError { message: message.into(), data: Some(data) }
    }
}

pub(crate) fn check_reserved(event: &str) -> Result<(), EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        Err(EmitError::Reserved(event.to_owned()))
    } else {
        Ok(())
    }
}
