//! The Redis Streams adapter: `@socket.io/redis-streams-adapter` (0.3). Messages that
//! must survive a short outage (broadcasts, room changes, disconnections) are entries of
//! one stream (`XADD ... MAXLEN ~ maxLen`), read by every node in an `XREAD BLOCK` loop;
//! requests that only matter now (broadcasts with acks, `fetch_sockets`, server-side
//! events) and all responses go through pub/sub, MessagePack-encoded, on
//! `{prefix}#{nsp}#` and `{prefix}#{nsp}#{uid}#`. An entry's id is the offset of its
//! event for connection state recovery, which works across nodes: sessions are Redis
//! keys (see `stream_sessions.rs`).
use std::sync::{Arc, Weak};
use std::time::Duration;

use base64::Engine as _;
use futures_util::future::BoxFuture;
use sio_core::proto::Parser;
use sio_core::server::cluster::{LoggedDelivery, SessionStore};
use sio_core::Value;

use crate::cluster_proto::{ClusterNode, Message, MessageType, Protocol, Shared, Transport};
use crate::codec::{decode_msgpack, encode_msgpack};
use crate::connection::{stopped, Link, Out, Sub};
use crate::RedisAdapterError;

/// Options of a [`RedisStreamsAdapter`], as the reference names them.
#[derive(Debug, Clone)]
pub struct RedisStreamsAdapterConfig {
    /// `redis://host:port[/db]`.
    pub url: String,
    /// The stream (`streamName`; default `socket.io`).
    pub stream_name: String,
    /// Streams the namespaces are spread over (`streamCount`; default 1): with more,
    /// namespace `ns` uses `{stream_name}-{i}`, `i` from the reference's hash of `ns`.
    pub stream_count: usize,
    /// Requests and responses over sharded pub/sub, Redis 7 (`useShardedPubSub`; default false).
    pub use_sharded_pub_sub: bool,
    /// Stream entries always JSON, binary as Node Buffers' JSON (`onlyPlaintext`; default false).
    pub only_plaintext: bool,
    /// Prefix of the pub/sub channels (`channelPrefix`; default `socket.io`).
    pub channel_prefix: String,
    /// Approximate length the stream is trimmed to (`maxLen`; default 10 000).
    pub max_len: usize,
    /// Entries read per `XREAD` (`readCount`; default 100).
    pub read_count: usize,
    /// How long one `XREAD` blocks (`blockTimeInMs`; default 5 s).
    pub block_time: Duration,
    /// Prefix of the session keys of recovery (`sessionKeyPrefix`; default `sio:session:`).
    pub session_key_prefix: String,
    /// How long `fetch_sockets` and server-side acks wait for every node (default 5 s).
    pub requests_timeout: Duration,
}

impl RedisStreamsAdapterConfig {
    /// The defaults for the Redis server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisStreamsAdapterConfig {
            url: url.into(),
            stream_name: "socket.io".into(),
            stream_count: 1,
            use_sharded_pub_sub: false,
            only_plaintext: false,
            channel_prefix: "socket.io".into(),
            max_len: 10_000,
            read_count: 100,
            block_time: Duration::from_secs(5),
            session_key_prefix: "sio:session:".into(),
            requests_timeout: Duration::from_secs(5),
        }
    }
}

/// The streams adapter's way of sending: stream entries and pub/sub.
pub struct StreamsTransport {
    pub(crate) link: Arc<Link>,
    pub(crate) config: RedisStreamsAdapterConfig,
    uid: String,
}

/// A [`sio_core::server::cluster::ClusterAdapter`] over Redis Streams, wire-compatible
/// with `@socket.io/redis-streams-adapter`, with connection state recovery across nodes.
pub type RedisStreamsAdapter = ClusterNode<StreamsTransport>;

impl RedisStreamsAdapter {
    /// An adapter with `config`. Call it within a tokio runtime: its connection tasks
    /// run there. Redis need not be up yet.
    pub fn new(config: RedisStreamsAdapterConfig) -> Result<Arc<RedisStreamsAdapter>, RedisAdapterError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| RedisAdapterError::NoRuntime)?;
        let client =
            redis::Client::open(config.url.as_str()).map_err(|e| RedisAdapterError::InvalidUrl(e.to_string()))?;
        if config.max_len == 0 || config.read_count == 0 || config.block_time.is_zero() || config.stream_count == 0 {
            return Err(RedisAdapterError::InvalidOption(
                "max_len, read_count, block_time and stream_count must be positive".into(),
            ));
        }
        // One XREAD names every stream: a bound keeps that command (and its reply) sane.
        if config.stream_count > 1024 {
            return Err(RedisAdapterError::InvalidOption("stream_count must be at most 1024".into()));
        }
        let proto = Protocol::new(config.requests_timeout);
        let shared = Arc::new_cyclic(|weak: &Weak<Shared<StreamsTransport>>| {
            let weak = weak.clone();
            let handler = Arc::new(move |_channel: &str, payload: &[u8]| {
                let Some(shared) = weak.upgrade() else { return };
                match decode_msgpack(payload).and_then(Message::from_value) {
                    Some(msg) => shared.on_message(msg, None),
                    None => tracing::debug!("redis streams adapter: malformed message ignored"),
                }
            });
            let link = Link::start(client.clone(), &rt, handler, config.use_sharded_pub_sub)
                .expect("a lazy connection manager does not connect");
            let transport = StreamsTransport { link, config, uid: proto.uid.clone() };
            Shared { proto, transport }
        });
        rt.spawn(read_stream(client, Arc::downgrade(&shared)));
        Ok(Arc::new(ClusterNode { shared }))
    }
}

/// The reference's `isEphemeral`: what goes through pub/sub rather than the stream.
fn is_ephemeral(msg: &Message) -> bool {
    match msg.kind {
        MessageType::Broadcast => msg.data.as_ref().and_then(|d| d.get("requestId")).is_some(),
        MessageType::ServerSideEmit | MessageType::FetchSockets => true,
        _ => false,
    }
}

/// The stream of namespace `ns` (the reference's `computeStreamName`: Java's string
/// hash over UTF-16 units, in 32 bits, remainder with its sign).
pub fn stream_of(ns: &str, name: &str, count: usize) -> String {
    if count <= 1 {
        return name.to_owned();
    }
    let hash = ns.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)));
    format!("{name}-{}", hash % count as i32)
}

/// A message as stream entry fields: `uid`, `nsp`, `type` (decimal) and `data` (JSON,
/// or base64 MessagePack when it holds binary, unless `plaintext`).
pub fn entry_fields(msg: &Message, plaintext: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mut fields = vec![
        ("uid", msg.uid.clone().into_bytes()),
        ("nsp", msg.nsp.clone().into_bytes()),
        ("type", (msg.kind as i64).to_string().into_bytes()),
    ];
    if let Some(data) = &msg.data {
        let encoded = if !plaintext && msg.needs_msgpack() {
            base64::engine::general_purpose::STANDARD.encode(encode_msgpack(data)).into_bytes()
        } else {
            crate::codec::encode_json(data)
        };
        fields.push(("data", encoded));
    }
    fields
}

/// The message of a stream entry; `None` when it is not one.
pub fn entry_message(field: impl Fn(&str) -> Option<Vec<u8>>) -> Option<Message> {
    let text = |name: &str| field(name).and_then(|b| String::from_utf8(b).ok());
    let kind = MessageType::from_i64(text("type")?.parse().ok()?)?;
    let data = match field("data") {
        None => None,
        Some(raw) if raw.first() == Some(&b'{') => {
            let json: serde_json::Value = serde_json::from_slice(&raw).ok()?;
            Some(Value::from(json))
        }
        Some(raw) => decode_msgpack(&base64::engine::general_purpose::STANDARD.decode(raw).ok()?),
    };
    Some(Message { uid: text("uid").unwrap_or_default(), nsp: text("nsp")?, kind, data })
}

impl StreamsTransport {
    fn public_channel(&self, ns: &str) -> String {
        format!("{}#{ns}#", self.config.channel_prefix)
    }

    fn stream(&self, ns: &str) -> String {
        stream_of(ns, &self.config.stream_name, self.config.stream_count)
    }

    /// Publishes on pub/sub, sharded or not as configured.
    fn publish_on(&self, channel: String, payload: Vec<u8>) {
        if self.config.use_sharded_pub_sub {
            let mut cmd = redis::cmd("SPUBLISH");
            cmd.arg(channel).arg(payload);
            self.link.send(Out::Command(cmd));
        } else {
            self.link.publish(channel, payload);
        }
    }

    fn xadd(&self, msg: &Message) -> redis::Cmd {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.stream(&msg.nsp)).arg("MAXLEN").arg("~").arg(self.config.max_len).arg("*");
        for (k, v) in entry_fields(msg, self.config.only_plaintext) {
            cmd.arg(k).arg(v);
        }
        cmd
    }
}

impl Transport for StreamsTransport {
    fn publish(&self, msg: Message) {
        if is_ephemeral(&msg) {
            self.publish_on(self.public_channel(&msg.nsp), encode_msgpack(&msg.to_value()));
        } else {
            self.link.send(Out::Command(self.xadd(&msg)));
        }
    }

    fn publish_logged(&self, msg: Message, deliver: LoggedDelivery) {
        let then = Box::new(move |r: redis::RedisResult<redis::Value>| {
            let id = r.ok().and_then(|v| redis::from_redis_value::<String>(v).ok());
            deliver(id);
        });
        self.link.send(Out::CommandThen(self.xadd(&msg), then));
    }

    fn publish_response(&self, requester: &str, msg: Message) {
        let channel = format!("{}#{}#{requester}#", self.config.channel_prefix, msg.nsp);
        self.publish_on(channel, encode_msgpack(&msg.to_value()));
    }

    /// `PUBSUB NUMSUB` (or `SHARDNUMSUB`) of the namespace's public channel: every node
    /// subscribes once.
    fn server_count(&self, ns: &str) -> BoxFuture<'static, usize> {
        let link = self.link.clone();
        let channel = self.public_channel(ns);
        let which = if self.config.use_sharded_pub_sub { "SHARDNUMSUB" } else { "NUMSUB" };
        Box::pin(async move {
            let mut conn = link.commands.clone();
            let r: redis::RedisResult<(String, usize)> =
                redis::cmd("PUBSUB").arg(which).arg(channel).query_async(&mut conn).await;
            link.report(&r);
            r.map(|(_, n)| n).unwrap_or(1)
        })
    }

    fn add_namespace(&self, ns: &str) {
        let private = format!("{}#{ns}#{}#", self.config.channel_prefix, self.uid);
        let sub = if self.config.use_sharded_pub_sub { Sub::Shard } else { Sub::Channel };
        self.link.subscribe(vec![sub(self.public_channel(ns)), sub(private)]);
    }

    fn session_store(&self, ns: &str, window: Duration, parser: Parser) -> Option<Arc<dyn SessionStore>> {
        Some(Arc::new(crate::stream_sessions::StreamSessions::new(
            self.link.clone(),
            self.config.clone(),
            ns,
            window,
            parser,
        )))
    }

    fn close(&self) {
        self.link.stop();
    }

    fn healthy(&self) -> bool {
        self.link.healthy()
    }
}

/// The `XREAD BLOCK` loop: every entry after the ones that existed at start, in order,
/// on its own connection (a blocked read would hold up the commands). After a Redis
/// restart it goes on from the last id it read.
async fn read_stream(client: redis::Client, shared: Weak<Shared<StreamsTransport>>) {
    let (config, mut stop) = match shared.upgrade() {
        Some(s) => (s.transport.config.clone(), s.transport.link.stop_signal()),
        None => return,
    };
    let manager = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(config.block_time + Duration::from_secs(5)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_millis(500));
    let mut conn = match redis::aio::ConnectionManager::new_lazy_with_config(client, manager) {
        Ok(c) => c,
        Err(e) => return tracing::warn!(error = %e, "redis streams adapter: cannot read the stream"),
    };
    // Every stream, each read from its own last id.
    let streams: Vec<String> = if config.stream_count <= 1 {
        vec![config.stream_name.clone()]
    } else {
        (0..config.stream_count).map(|i| format!("{}-{i}", config.stream_name)).collect()
    };
    let mut offsets = vec!["$".to_owned(); streams.len()];
    let block_ms = config.block_time.as_millis() as u64;
    loop {
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT").arg(config.read_count).arg("BLOCK").arg(block_ms).arg("STREAMS").arg(&streams).arg(&offsets);
        let read = cmd.query_async::<Option<redis::streams::StreamReadReply>>(&mut conn);
        let reply = tokio::select! {
            r = read => r,
            _ = stopped(&mut stop) => return,
        };
        let Some(shared) = shared.upgrade() else { return };
        shared.transport.link.report(&reply);
        match reply {
            Ok(Some(reply)) => {
                for key in reply.keys {
                    let Some(at) = streams.iter().position(|s| *s == key.key) else { continue };
                    for entry in key.ids {
                        let field = |name: &str| entry.map.get(name).and_then(|v| redis::from_redis_value_ref(v).ok());
                        if let Some(msg) = entry_message(field) {
                            shared.on_message(msg, Some(&entry.id));
                        }
                        offsets[at] = entry.id;
                    }
                }
            }
            Ok(None) => {}
            Err(_) => {
                drop(shared);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = stopped(&mut stop) => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::object;
    use bytes::Bytes;

    fn fields_of(msg: &Message, plaintext: bool) -> impl Fn(&str) -> Option<Vec<u8>> {
        let fields = entry_fields(msg, plaintext);
        move |name| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn entries_encode_as_the_reference() {
        let join = Message {
            uid: "u".into(),
            nsp: "/".into(),
            kind: MessageType::SocketsJoin,
            data: Some(object(vec![("rooms", Value::Array(vec!["r".into()]))])),
        };
        let get = fields_of(&join, false);
        assert_eq!(get("type").unwrap(), b"4");
        assert_eq!(get("data").unwrap(), br#"{"rooms":["r"]}"#);
        assert_eq!(entry_message(get), Some(join));
        let bin = Message {
            uid: "u".into(),
            nsp: "/".into(),
            kind: MessageType::Broadcast,
            data: Some(object(vec![("b", Value::Binary(Bytes::from_static(&[1, 2])))])),
        };
        let get = fields_of(&bin, false);
        assert_ne!(get("data").unwrap()[0], b'{', "binary data is base64 MessagePack");
        assert_eq!(entry_message(get), Some(bin.clone()));
        assert_eq!(entry_message(|_| None), None);
        let plain = fields_of(&bin, true)("data").unwrap();
        assert_eq!(plain, br#"{"b":{"type":"Buffer","data":[1,2]}}"#, "onlyPlaintext: a Buffer's JSON");
    }

    #[test]
    fn streams_per_namespace_as_the_reference() {
        // The reference's computeStreamName for these (its hashCode run in node).
        assert_eq!(stream_of("/", "socket.io", 1), "socket.io");
        assert_eq!(stream_of("/", "socket.io", 3), "socket.io-2");
        assert_eq!(stream_of("/admin", "socket.io", 3), "socket.io-1");
        assert_eq!(stream_of("/a-much-longer-namespace-name", "s", 7), "s-6");
        assert_eq!(stream_of("/zzzzzzzz", "s", 7), "s--5", "a negative hash keeps its sign");
        assert_eq!(stream_of("/namespace-number-one", "s", 7), "s-0", "-0 is written 0");
        assert_eq!(stream_of("/\u{e9}", "s", 7), "s-3", "UTF-16 units");
    }
}
