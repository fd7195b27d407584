//! The sharded pub/sub adapter: `@socket.io/redis-adapter`'s `createShardedAdapter`
//! (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), the cluster messages of `cluster_proto.rs`.
//!
//! Channels: `{prefix}#{nsp}#` for every node, `{prefix}#{nsp}#{uid}#` for responses to
//! one node, and in the dynamic modes `{prefix}#{nsp}#{room}#` per room, which only the
//! nodes with members of the room subscribe to.
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sio_core::Value;

use crate::cluster_proto::{ClusterNode, Message, Protocol, Shared, Transport};
use crate::codec::{decode_message, encode_json, encode_msgpack};
use crate::connection::{Link, Out, Sub};
use crate::RedisAdapterError;

/// Which rooms get a channel of their own (the reference's `subscriptionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubscriptionMode {
    /// Two channels per namespace; every node gets every broadcast.
    Static,
    /// Plus one per public room: a broadcast to one room reaches only its nodes.
    #[default]
    Dynamic,
    /// Plus one per room, private rooms (socket ids) included.
    DynamicPrivate,
}

/// Options of a [`ShardedRedisAdapter`].
#[derive(Debug, Clone)]
pub struct ShardedRedisAdapterConfig {
    /// `redis://host:port[/db]`.
    pub url: String,
    /// Prefix of every channel (the reference's `channelPrefix`; default `socket.io`).
    pub channel_prefix: String,
    /// Default [`SubscriptionMode::Dynamic`], as the reference.
    pub subscription_mode: SubscriptionMode,
    /// How long `fetch_sockets` and server-side acks wait for every node (default 5 s).
    pub requests_timeout: Duration,
}

impl ShardedRedisAdapterConfig {
    /// The defaults for the Redis server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        ShardedRedisAdapterConfig {
            url: url.into(),
            channel_prefix: "socket.io".into(),
            subscription_mode: SubscriptionMode::default(),
            requests_timeout: Duration::from_secs(5),
        }
    }
}

/// The sharded adapter's way of sending: `SPUBLISH` on the channels above.
pub struct ShardedTransport {
    link: Arc<Link>,
    prefix: String,
    mode: SubscriptionMode,
    uid: String,
}

/// A [`sio_core::server::cluster::ClusterAdapter`] over Redis sharded pub/sub,
/// wire-compatible with `@socket.io/redis-adapter`'s `createShardedAdapter`.
pub type ShardedRedisAdapter = ClusterNode<ShardedTransport>;

impl ShardedRedisAdapter {
    /// An adapter with `config`. Call it within a tokio runtime: its connection tasks
    /// run there. Redis need not be up yet.
    pub fn new(config: ShardedRedisAdapterConfig) -> Result<Arc<ShardedRedisAdapter>, RedisAdapterError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| RedisAdapterError::NoRuntime)?;
        let client =
            redis::Client::open(config.url.as_str()).map_err(|e| RedisAdapterError::InvalidUrl(e.to_string()))?;
        if !matches!(client.get_connection_info().addr(), redis::ConnectionAddr::Tcp(..)) {
            return Err(RedisAdapterError::InvalidUrl("sharded pub/sub needs a redis:// (TCP) URL".into()));
        }
        let proto = Protocol::new(config.requests_timeout);
        let shared = Arc::new_cyclic(|weak: &std::sync::Weak<Shared<ShardedTransport>>| {
            let weak = weak.clone();
            let handler = Arc::new(move |_channel: &str, payload: &[u8]| {
                let Some(shared) = weak.upgrade() else { return };
                match decode_message(payload).and_then(Message::from_value) {
                    Some(msg) => shared.on_message(msg, None),
                    None => tracing::debug!("sharded redis adapter: malformed message ignored"),
                }
            });
            let link = Link::start(client, &rt, handler, true).expect("a lazy connection manager does not connect");
            let transport = ShardedTransport {
                link,
                prefix: config.channel_prefix,
                mode: config.subscription_mode,
                uid: proto.uid.clone(),
            };
            Shared { proto, transport }
        });
        Ok(Arc::new(ClusterNode { shared }))
    }
}

impl ShardedTransport {
    fn channel(&self, ns: &str) -> String {
        format!("{}#{ns}#", self.prefix)
    }

    fn room_channel(&self, ns: &str, room: &str) -> String {
        format!("{}#{ns}#{room}#", self.prefix)
    }

    /// Whether a room has a channel of its own in this mode.
    fn separate(&self, private: bool) -> bool {
        match self.mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => !private,
            SubscriptionMode::DynamicPrivate => true,
        }
    }

    /// The reference's `computeChannel`: a broadcast without ack to one room goes to the
    /// room's channel (in dynamic mode unless the room looks like a socket id, 20 chars).
    fn channel_of(&self, msg: &Message) -> String {
        let data = msg.data.as_ref();
        let one_room = data
            .and_then(|d| d.get("opts"))
            .and_then(|o| o.get("rooms"))
            .and_then(Value::as_array)
            .filter(|r| r.len() == 1)
            .and_then(|r| r[0].as_str());
        let with_ack = data.and_then(|d| d.get("requestId")).is_some();
        if let (crate::cluster_proto::MessageType::Broadcast, false, Some(room)) = (msg.kind, with_ack, one_room) {
            let dynamic = match self.mode {
                SubscriptionMode::Static => false,
                // JavaScript's `room.length`: UTF-16 units.
                SubscriptionMode::Dynamic => room.encode_utf16().count() != 20,
                SubscriptionMode::DynamicPrivate => true,
            };
            if dynamic {
                return self.room_channel(&msg.nsp, room);
            }
        }
        self.channel(&msg.nsp)
    }

    fn spublish(&self, channel: String, msg: &Message) {
        let payload = if msg.needs_msgpack() { encode_msgpack(&msg.to_value()) } else { encode_json(&msg.to_value()) };
        let mut cmd = redis::cmd("SPUBLISH");
        cmd.arg(channel).arg(payload);
        self.link.send(Out::Command(cmd));
    }
}

impl Transport for ShardedTransport {
    fn publish(&self, msg: Message) {
        self.spublish(self.channel_of(&msg), &msg);
    }

    fn publish_response(&self, requester: &str, msg: Message) {
        self.spublish(self.room_channel(&msg.nsp, requester), &msg);
    }

    /// `PUBSUB SHARDNUMSUB` of the namespace channel: every node subscribes to it once.
    fn server_count(&self, ns: &str) -> BoxFuture<'static, usize> {
        let link = self.link.clone();
        let channel = self.channel(ns);
        Box::pin(async move {
            let mut conn = link.commands.clone();
            let r: redis::RedisResult<(String, usize)> =
                redis::cmd("PUBSUB").arg("SHARDNUMSUB").arg(channel).query_async(&mut conn).await;
            link.report(&r);
            r.map(|(_, n)| n).unwrap_or(1)
        })
    }

    fn add_namespace(&self, ns: &str) {
        let own = self.room_channel(ns, &self.uid);
        self.link.subscribe(vec![Sub::Shard(self.channel(ns)), Sub::Shard(own)]);
    }

    fn room_created(&self, ns: &str, room: &str, private: bool) {
        if self.separate(private) {
            self.link.subscribe(vec![Sub::Shard(self.room_channel(ns, room))]);
        }
    }

    fn room_deleted(&self, ns: &str, room: &str, private: bool) {
        if self.separate(private) {
            self.link.unsubscribe(Sub::Shard(self.room_channel(ns, room)));
        }
    }

    fn close(&self) {
        self.link.stop();
    }

    fn healthy(&self) -> bool {
        self.link.healthy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::{object, opts_value, packet_value};
    use crate::cluster_proto::MessageType;
    use sio_core::server::cluster::BroadcastOptions;

    fn broadcast(rooms: &[&str], with_ack: bool) -> Message {
        let opts = BroadcastOptions { rooms: rooms.iter().map(|r| r.to_string()).collect(), ..Default::default() };
        let mut fields = vec![("packet", packet_value("/", &["e".into()])), ("opts", opts_value(&opts, true))];
        if with_ack {
            fields.push(("requestId", "r".into()));
        }
        Message { uid: "u".into(), nsp: "/".into(), kind: MessageType::Broadcast, data: Some(object(fields)) }
    }

    #[tokio::test]
    async fn channels_follow_the_subscription_mode() {
        let node = |mode| {
            let mut c = ShardedRedisAdapterConfig::new("redis://127.0.0.1:1");
            c.subscription_mode = mode;
            ShardedRedisAdapter::new(c).unwrap()
        };
        let sid = "abcdefghij0123456789";
        let dynamic = node(SubscriptionMode::Dynamic);
        let t = &dynamic.shared.transport;
        assert_eq!(t.channel_of(&broadcast(&["room"], false)), "socket.io#/#room#");
        assert_eq!(t.channel_of(&broadcast(&[sid], false)), "socket.io#/#", "a socket id stays on the main channel");
        // 10 astral characters are 20 UTF-16 units: a socket id to the reference.
        let astral = "\u{1f600}".repeat(10);
        assert_eq!(t.channel_of(&broadcast(&[astral.as_str()], false)), "socket.io#/#");
        assert_eq!(t.channel_of(&broadcast(&["room"], true)), "socket.io#/#", "acks count every server");
        assert_eq!(t.channel_of(&broadcast(&["a", "b"], false)), "socket.io#/#");
        assert!(t.separate(false) && !t.separate(true));
        let private = node(SubscriptionMode::DynamicPrivate);
        assert_eq!(private.shared.transport.channel_of(&broadcast(&[sid], false)), format!("socket.io#/#{sid}#"));
        let fixed = node(SubscriptionMode::Static);
        assert_eq!(fixed.shared.transport.channel_of(&broadcast(&["room"], false)), "socket.io#/#");
        assert!(!fixed.shared.transport.separate(false));
    }
}
