//! The C ABI of sio (`libsio`). Conventions (see `include/sio.h`):
//!
//! - Handles are opaque, created through out-params, released once by a NULL-safe `*_free`.
//! - Every fallible function returns `sio_status` (`SIO_OK` = 0) and writes out-params only
//!   on success; `sio_last_error()` gives the detail of the last failure on this thread.
//! - Strings are UTF-8 with explicit lengths; event arguments are a JSON array in which
//!   binary buffers appear as `{"_placeholder":true,"num":N}`, plus the array of buffers.
//! - No panic crosses the ABI: every body runs inside `error::guard`.
#![warn(missing_docs)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod admin;
mod args;
mod client;
mod error;
mod event;
mod hooks;
mod log;
mod runtime;
mod server;
mod socket;
mod version;

pub use args::{sio_buf, sio_str};
pub use client::*;
pub use error::*;
pub use event::*;
pub use hooks::*;
pub use log::*;
pub use runtime::*;
pub use server::*;
pub use socket::*;
pub use version::*;
