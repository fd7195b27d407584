//! The subscriber of sharded pub/sub (`SSUBSCRIBE`, Redis 7). The `redis` crate's
//! pub/sub connection has no shard channels, so this one speaks RESP2 itself: it only
//! sends `AUTH`/`SELECT`/`SSUBSCRIBE`/`SUNSUBSCRIBE` and reads push replies. It
//! reconnects with backoff and subscribes again, as the classic subscriber does.
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::connection::{report, stopped, Handler, Link, Sub, SubChange};

/// Largest reply accepted (a published message): beyond it the connection is dropped.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// A RESP2 reply, as far as a subscriber needs one.
#[derive(Debug, PartialEq)]
pub enum Reply {
    Bulk(Option<Vec<u8>>),
    Simple(String),
    Error(String),
    Int(i64),
    Array(Vec<Reply>),
}

/// Reads one reply from the front of `buf`: `Ok(None)` while it is incomplete.
pub fn parse(buf: &mut BytesMut) -> Result<Option<Reply>, String> {
    let mut at = 0;
    match parse_at(buf, &mut at, 0)? {
        Some(reply) => {
            buf.advance(at);
            Ok(Some(reply))
        }
        None => Ok(None),
    }
}

/// Longest header or simple-string line: a reply whose line goes on is not Redis speaking.
const MAX_LINE: usize = 64 * 1024;

fn line<'a>(buf: &'a [u8], at: &mut usize) -> Result<Option<&'a [u8]>, String> {
    let rest = &buf[*at..];
    let window = &rest[..rest.len().min(MAX_LINE + 2)];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(end) => {
            *at += end + 2;
            Ok(Some(&rest[..end]))
        }
        None if rest.len() > MAX_LINE => Err(format!("a reply line longer than {MAX_LINE} bytes")),
        None => Ok(None),
    }
}

fn number(l: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(l).ok().and_then(|s| s.parse().ok()).ok_or_else(|| "bad length in reply".to_owned())
}

fn parse_at(buf: &[u8], at: &mut usize, depth: usize) -> Result<Option<Reply>, String> {
    if depth > 8 {
        return Err("reply nested too deeply".into());
    }
    let Some(&kind) = buf.get(*at) else { return Ok(None) };
    *at += 1;
    let Some(l) = line(buf, at)? else { return Ok(None) };
    let text = || String::from_utf8_lossy(l).into_owned();
    Ok(Some(match kind {
        b'+' => Reply::Simple(text()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Int(number(l)?),
        b'$' => {
            let n = number(l)?;
            if n < 0 {
                return Ok(Some(Reply::Bulk(None)));
            }
            let n = n as usize;
            if n > MAX_MESSAGE_BYTES {
                return Err(format!("message of {n} bytes exceeds {MAX_MESSAGE_BYTES}"));
            }
            if buf.len() < *at + n + 2 {
                return Ok(None);
            }
            let bytes = buf[*at..*at + n].to_vec();
            *at += n + 2;
            Reply::Bulk(Some(bytes))
        }
        b'*' => {
            let n = number(l)?;
            if n < 0 {
                return Ok(Some(Reply::Array(Vec::new())));
            }
            if n > 1024 {
                return Err(format!("array of {n} items in a subscriber's reply"));
            }
            let mut items = Vec::with_capacity(n as usize);
            for _ in 0..n {
                match parse_at(buf, at, depth + 1)? {
                    Some(r) => items.push(r),
                    None => return Ok(None),
                }
            }
            Reply::Array(items)
        }
        other => return Err(format!("unexpected reply type {:?}", other as char)),
    }))
}

/// A command as RESP2 bytes.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn change_command(change: &SubChange) -> Option<Vec<u8>> {
    match change {
        SubChange::Add(Sub::Shard(c)) => Some(command(&[b"SSUBSCRIBE", c.as_bytes()])),
        SubChange::Remove(Sub::Shard(c)) => Some(command(&[b"SUNSUBSCRIBE", c.as_bytes()])),
        _ => None,
    }
}

/// Connects, authenticates and selects the database of `client`'s URL.
async fn connect(client: &redis::Client) -> Result<(TcpStream, BytesMut), String> {
    let info = client.get_connection_info();
    let redis::ConnectionAddr::Tcp(host, port) = info.addr() else {
        return Err("sharded pub/sub needs a redis:// (TCP) URL".into());
    };
    let mut stream = TcpStream::connect((host.as_str(), *port)).await.map_err(|e| e.to_string())?;
    let settings = info.redis_settings();
    let mut setup = Vec::new();
    if let Some(password) = settings.password() {
        let mut args: Vec<&[u8]> = vec![b"AUTH"];
        if let Some(user) = settings.username() {
            args.push(user.as_bytes());
        }
        args.push(password.as_bytes());
        setup.push(command(&args));
    }
    if settings.db() != 0 {
        setup.push(command(&[b"SELECT", settings.db().to_string().as_bytes()]));
    }
    let mut buf = BytesMut::new();
    for cmd in setup {
        stream.write_all(&cmd).await.map_err(|e| e.to_string())?;
        loop {
            match parse(&mut buf)? {
                Some(Reply::Error(e)) => return Err(e),
                Some(_) => break,
                None => {
                    if stream.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                        return Err("connection closed".into());
                    }
                }
            }
        }
    }
    Ok((stream, buf))
}

/// Runs one connection until it fails or the adapter stops (`Ok(true)`).
async fn serve(
    client: &redis::Client,
    link: &Weak<Link>,
    changes: &mut mpsc::UnboundedReceiver<SubChange>,
    handler: &Handler,
    healthy: &AtomicBool,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, String> {
    let (mut stream, mut buf) = tokio::time::timeout(Duration::from_secs(2), connect(client))
        .await
        .map_err(|_| "connection timed out".to_owned())??;
    // Drain first, then read the full list (as the classic subscriber does).
    while changes.try_recv().is_ok() {}
    let Some(subs) = link.upgrade().map(|l| l.known_subs()) else {
        return Ok(true);
    };
    for s in subs {
        if let Some(cmd) = change_command(&SubChange::Add(s)) {
            stream.write_all(&cmd).await.map_err(|e| e.to_string())?;
        }
    }
    report(healthy, &Ok(()));
    loop {
        while let Some(reply) = parse(&mut buf)? {
            // ["smessage", channel, payload]; confirmations are ["ssubscribe", channel, n].
            // An error is a Redis without sharded pub/sub (before 7) or a refused channel:
            // logged, as nothing would cross the cluster.
            if let Reply::Error(e) = &reply {
                tracing::warn!(error = %e, "sharded redis adapter: SSUBSCRIBE refused (sharded pub/sub needs Redis 7)");
            }
            if let Reply::Array(items) = reply {
                if let [Reply::Bulk(Some(kind)), Reply::Bulk(Some(channel)), Reply::Bulk(Some(payload))] = &items[..] {
                    if kind == b"smessage" {
                        handler(&String::from_utf8_lossy(channel), payload);
                    }
                }
            }
        }
        tokio::select! {
            n = stream.read_buf(&mut buf) => {
                if n.map_err(|e| e.to_string())? == 0 {
                    return Err("connection closed".into());
                }
            }
            Some(change) = changes.recv() => {
                if let Some(cmd) = change_command(&change) {
                    stream.write_all(&cmd).await.map_err(|e| e.to_string())?;
                }
            }
            _ = stopped(stop) => return Ok(true),
        }
    }
}

pub async fn subscriber(
    client: redis::Client,
    link: Weak<Link>,
    mut changes: mpsc::UnboundedReceiver<SubChange>,
    handler: Handler,
    healthy: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(100);
    loop {
        let started = tokio::time::Instant::now();
        match serve(&client, &link, &mut changes, &handler, &healthy, &mut stop).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => {
                report::<()>(&healthy, &Err(redis::RedisError::from((redis::ErrorKind::Io, "sharded subscriber", e))));
            }
        }
        if started.elapsed() > Duration::from_secs(5) {
            delay = Duration::from_millis(100);
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stopped(&mut stop) => return,
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_push_replies_split_anywhere() {
        let wire =
            b"*3\r\n$8\r\nsmessage\r\n$4\r\nch#1\r\n$4\r\na\r\nb\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\nc\r\n:1\r\n";
        for cut in 0..wire.len() {
            let mut buf = BytesMut::from(&wire[..cut]);
            let mut got = Vec::new();
            while let Some(r) = parse(&mut buf).unwrap() {
                got.push(r);
            }
            buf.extend_from_slice(&wire[cut..]);
            while let Some(r) = parse(&mut buf).unwrap() {
                got.push(r);
            }
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert_eq!(
                got[0],
                Reply::Array(vec![
                    Reply::Bulk(Some(b"smessage".to_vec())),
                    Reply::Bulk(Some(b"ch#1".to_vec())),
                    Reply::Bulk(Some(b"a\r\nb".to_vec())),
                ])
            );
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn refuses_oversized_and_garbage_replies() {
        let mut big = BytesMut::from(format!("${}\r\n", MAX_MESSAGE_BYTES + 1).as_str());
        assert!(parse(&mut big).is_err());
        assert!(parse(&mut BytesMut::from("?x\r\n")).is_err());
        assert!(parse(&mut BytesMut::from("$abc\r\n")).is_err());
        let endless = format!("+{}", "x".repeat(MAX_LINE + 1));
        assert!(parse(&mut BytesMut::from(endless.as_str())).is_err());
        assert_eq!(parse(&mut BytesMut::from("+xx")), Ok(None), "incomplete, not an error");
        assert_eq!(command(&[b"SSUBSCRIBE", b"a#"]), b"*2\r\n$10\r\nSSUBSCRIBE\r\n$2\r\na#\r\n");
    }
}
