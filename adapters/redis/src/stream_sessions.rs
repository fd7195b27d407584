//! Connection state recovery of the streams adapter, as the reference keeps it: a
//! disconnected socket's session is the key `{sessionKeyPrefix}{pid}` (base64
//! MessagePack of `{sid, pid, rooms, data}`, expiring with the recovery window), and the
//! packets it missed are the stream's broadcast entries after its offset, which is an
//! entry id. Any node of the cluster, sio or Node.js, can restore it.
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::future::BoxFuture;
use sio_core::proto::Parser;
use sio_core::server::cluster::{missed_by, PersistedSession, Restored, SessionStore, StoredEvent};
use sio_core::Value;

use crate::adapter::object;
use crate::cluster_proto::MessageType;
use crate::codec::{decode_msgpack, encode_msgpack, strings};
use crate::connection::{Link, Out};
use crate::streams::{entry_message, RedisStreamsAdapterConfig};

/// `XRANGE` calls of one restore, at most (the reference's bound), each of
/// [`ENTRIES_PER_READ`] entries.
const MAX_READS: usize = 100;
const ENTRIES_PER_READ: usize = 1000;

pub struct StreamSessions {
    link: Arc<Link>,
    config: RedisStreamsAdapterConfig,
    ns: String,
    window: Duration,
    parser: Parser,
}

impl StreamSessions {
    pub fn new(
        link: Arc<Link>,
        config: RedisStreamsAdapterConfig,
        ns: &str,
        window: Duration,
        parser: Parser,
    ) -> StreamSessions {
        StreamSessions { link, config, ns: ns.to_owned(), window, parser }
    }
}

/// Whether `offset` is a stream entry id (`<ms>-<seq>`).
fn is_entry_id(offset: &str) -> bool {
    offset
        .split_once('-')
        .is_some_and(|(ms, seq)| [ms, seq].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
}

/// The id right after `id` (exclusive ranges as the reference writes them).
fn next_id(id: &str) -> Option<String> {
    let (ms, seq) = id.split_once('-')?;
    Some(format!("{ms}-{}", seq.parse::<u64>().ok()?.checked_add(1)?))
}

type Entry = (String, Vec<(String, Vec<u8>)>);

fn field(fields: &[(String, Vec<u8>)], name: &str) -> Option<Vec<u8>> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

impl SessionStore for StreamSessions {
    fn next_offset(&self) -> String {
        // Not called: offsets are entry ids (logged_by_cluster).
        String::new()
    }

    fn store(&self, _event: StoredEvent<'_>) {}

    fn logged_by_cluster(&self) -> bool {
        true
    }

    fn persist(&self, session: PersistedSession) {
        let rooms = Value::Array(session.rooms.iter().map(|r| Value::from(r.as_str())).collect());
        let value = object(vec![
            ("sid", Value::from(session.sid)),
            ("pid", Value::from(session.pid.as_str())),
            ("rooms", rooms),
            ("data", session.data),
        ]);
        let encoded = base64::engine::general_purpose::STANDARD.encode(encode_msgpack(&value));
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{}{}", self.config.session_key_prefix, session.pid))
            .arg(encoded)
            .arg("PX")
            .arg(self.window.as_millis().max(1) as u64);
        self.link.send(Out::Command(cmd));
    }

    fn restore(&self, pid: &str, offset: &str) -> BoxFuture<'static, Restored> {
        let link = self.link.clone();
        let key = format!("{}{pid}", self.config.session_key_prefix);
        let stream = crate::streams::stream_of(&self.ns, &self.config.stream_name, self.config.stream_count);
        let (ns, parser, offset) = (self.ns.clone(), self.parser, offset.to_owned());
        Box::pin(async move {
            if !is_entry_id(&offset) {
                return None;
            }
            let mut conn = link.commands.clone();
            let (session, at): (Option<String>, Vec<Entry>) = {
                let r = redis::pipe()
                    .cmd("GETDEL")
                    .arg(&key)
                    .cmd("XRANGE")
                    .arg(&stream)
                    .arg(&offset)
                    .arg(&offset)
                    .query_async(&mut conn)
                    .await;
                link.report(&r);
                r.ok()?
            };
            if at.is_empty() {
                return None;
            }
            let raw = base64::engine::general_purpose::STANDARD.decode(session?).ok()?;
            let session = decode_msgpack(&raw)?;
            let session = PersistedSession {
                sid: session.get("sid")?.as_str()?.to_owned(),
                pid: session.get("pid")?.as_str()?.to_owned(),
                rooms: strings(session.get("rooms")),
                data: session.get("data").cloned().unwrap_or_default(),
            };
            let mut frames = Vec::new();
            let mut from = offset;
            for _ in 0..MAX_READS {
                let start = next_id(&from)?;
                let entries: redis::RedisResult<Vec<Entry>> = redis::cmd("XRANGE")
                    .arg(&stream)
                    .arg(start)
                    .arg("+")
                    .arg("COUNT")
                    .arg(ENTRIES_PER_READ)
                    .query_async(&mut conn)
                    .await;
                link.report(&entries);
                let entries = entries.ok()?;
                let Some((last, _)) = entries.last() else { break };
                from = last.clone();
                for (id, fields) in &entries {
                    let Some(msg) = entry_message(|name| field(fields, name)) else { continue };
                    if msg.nsp != ns || msg.kind != MessageType::Broadcast {
                        continue;
                    }
                    let Some(data) = msg.data else { continue };
                    let opts = data.get("opts");
                    let (rooms, except) =
                        (strings(opts.and_then(|o| o.get("rooms"))), strings(opts.and_then(|o| o.get("except"))));
                    if !missed_by(&session.rooms, &rooms, &except) {
                        continue;
                    }
                    let Some(Value::Array(mut args)) = data.get("packet").and_then(|p| p.get("data")).cloned() else {
                        continue;
                    };
                    args.push(Value::from(id.as_str()));
                    let Some((Value::String(event), args)) = args.split_first() else { continue };
                    frames.extend(parser.encode_event(&ns, None, event, args));
                }
                if entries.len() < ENTRIES_PER_READ {
                    break;
                }
            }
            Some((session, frames))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_entry_ids() {
        assert!(is_entry_id("1700000000000-0"));
        assert!(!is_entry_id("abc-1") && !is_entry_id("12") && !is_entry_id("-1") && !is_entry_id("1-"));
        assert_eq!(next_id("5-9").as_deref(), Some("5-10"));
        assert_eq!(next_id("x"), None);
    }
}
