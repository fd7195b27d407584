//! A cluster adapter over Redis pub/sub that speaks the wire format of
//! `@socket.io/redis-adapter` (channels, request types, MessagePack packets), so sio
//! servers and Node.js socket.io servers can serve one cluster together.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sio_core::server::Server;
//! use sio_redis::RedisAdapter;
//! let adapter = RedisAdapter::new("redis://127.0.0.1:6379")?;
//! let io = Server::builder().adapter(adapter).build();
//! io.listen("0.0.0.0:3000").await?;
//! # Ok(()) }
//! ```
//!
//! Connection state recovery across nodes (which the reference pub/sub adapter cannot
//! do) keeps sessions and missed events in Redis: a session key per disconnected socket
//! and a stream of events per namespace, both expiring with the recovery window.
#![warn(missing_docs)]

mod adapter;
mod channels;
pub mod codec;
mod connection;
mod requests;
mod sessions;

pub use adapter::{RedisAdapter, RedisAdapterConfig};

/// Why a Redis adapter could not be created.
#[derive(Debug, thiserror::Error)]
pub enum RedisAdapterError {
    /// The URL is not a Redis URL (`redis://host:port[/db]`).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    /// The adapter starts its connection tasks on the current tokio runtime.
    #[error("RedisAdapter::new must be called within a tokio runtime")]
    NoRuntime,
}
