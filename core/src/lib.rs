//! sio-core: a Socket.IO v4 implementation (Engine.IO protocol 4, Socket.IO protocol 5).
//!
//! Layers, bottom up: [`engine`] (transports, heartbeat, upgrade), [`proto`] (Socket.IO
//! packet codec and binary attachments), [`server`] (namespaces, sockets, rooms, acks,
//! connection state recovery). [`Value`] is the argument model shared by every layer.
#![warn(missing_docs)]

mod args;
mod catch_all;
#[cfg(feature = "client")]
pub mod client;
pub mod embed;
pub mod engine;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod handler_list;
mod host_args;
mod json_check;
pub mod msgpack;
mod prefetch;
pub mod proto;
pub mod runtime;
pub mod server;
mod sid;
mod value;
mod wake;

pub use args::Args;
pub use error::{AckError, ConnectError, EmitError, RESERVED_EVENTS};
pub use host_args::HostArgs;
pub use value::{Value, WireTextError};
