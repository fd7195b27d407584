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
//! Beside it, the two adapters built on socket.io-adapter's `ClusterAdapter` messages:
//! [`ShardedRedisAdapter`] (`@socket.io/redis-adapter`'s `createShardedAdapter`, Redis 7
//! sharded pub/sub) and [`RedisStreamsAdapter`] (`@socket.io/redis-streams-adapter`);
//! [`connect`] builds any of the three.
//!
//! Connection state recovery across nodes (which the reference pub/sub adapter cannot
//! do) keeps sessions and missed events in Redis: a session key per disconnected socket
//! and a stream of events per namespace, both expiring with the recovery window.
#![warn(missing_docs)]

mod adapter;
mod channels;
mod cluster_proto;
pub mod codec;
mod connection;
mod requests;
mod sessions;
mod shard_sub;
mod sharded;
mod stream_sessions;
mod streams;

use std::sync::Arc;

#[doc(hidden)]
pub mod fuzzing;

pub use adapter::{RedisAdapter, RedisAdapterConfig};
pub use cluster_proto::ClusterNode;
pub use sharded::{ShardedRedisAdapter, ShardedRedisAdapterConfig, ShardedTransport, SubscriptionMode};
use sio_core::embed::{ClusterAdapter, ClusterAdapterKind};
pub use streams::{RedisStreamsAdapter, RedisStreamsAdapterConfig, StreamsTransport};

/// The adapter of `kind` for the Redis server at `url`, with its defaults: what a face
/// builds from the server options `cluster_url` and `cluster_adapter`. Call it within a
/// tokio runtime.
pub fn connect(url: &str, kind: ClusterAdapterKind) -> Result<Arc<dyn ClusterAdapter>, RedisAdapterError> {
    Ok(match kind {
        ClusterAdapterKind::Redis => RedisAdapter::new(url)?,
        ClusterAdapterKind::RedisSharded => ShardedRedisAdapter::new(ShardedRedisAdapterConfig::new(url))?,
        ClusterAdapterKind::RedisStreams => RedisStreamsAdapter::new(RedisStreamsAdapterConfig::new(url))?,
    })
}

/// Why a Redis adapter could not be created.
#[derive(Debug, thiserror::Error)]
pub enum RedisAdapterError {
    /// The URL is not a Redis URL (`redis://host:port[/db]`).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    /// The adapter starts its connection tasks on the current tokio runtime.
    #[error("RedisAdapter::new must be called within a tokio runtime")]
    NoRuntime,
    /// An option is out of its range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}
