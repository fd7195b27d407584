//! The few Socket.IO packets the load generator writes and reads, as text (namespace `/`).
//!
//! Engine.IO 4 over WebSocket: one Engine.IO packet per frame; `0{..}` open, `2`/`3`
//! ping/pong, `4` message. Socket.IO 5 inside `4`: `0` CONNECT, `1` DISCONNECT, `2` EVENT,
//! `3` ACK, `4` CONNECT_ERROR, `5` BINARY_EVENT, `6` BINARY_ACK, each followed by its
//! attachment count and `-` (binary kinds), its ack id, then a JSON array.

/// The event every client sends in the echo scenarios.
pub const ECHO_PAYLOAD: &str = r#"{"text":"the quick brown fox jumps over the lazy dog","n":42}"#;
/// A binary attachment placeholder, as the reference encoders write it.
pub const PLACEHOLDER: &str = r#"{"_placeholder":true,"num":0}"#;
/// The room every client joins in the broadcast scenario.
pub const ROOM: &str = "bench";

/// `42<id>["echo",<payload>]`
pub fn echo_text(id: u64, payload: &str) -> String {
    format!("42{id}[\"echo\",{payload}]")
}

/// A JSON document of at least `bytes` bytes that looks like application data (records
/// with repeated keys and varied values), for the compressed echo.
pub fn json_payload(bytes: usize) -> String {
    let mut out = String::from("[");
    // Records of varied values under repeated keys, as application data looks.
    let mut i = 0u64;
    while out.len() < bytes {
        if i > 0 {
            out.push(',');
        }
        let score = (i * 7919) % 1000;
        out.push_str(&format!(
            r#"{{"id":{i},"user":"user-{}","online":{},"score":{score}.{},"tags":["t{}","t{}"],"note":"message number {i} of the bench"}}"#,
            i * 31 % 977,
            i.is_multiple_of(3),
            // never `.0`: JavaScript would echo `12.0` back as `12`
            1 + i % 9,
            i % 17,
            i % 5
        ));
        i += 1;
    }
    out.push(']');
    out
}

/// `451-<id>["echo",<placeholder>]`, followed on the wire by one binary frame.
pub fn echo_binary(id: u64) -> String {
    format!("451-{id}[\"echo\",{PLACEHOLDER}]")
}

/// `42<id>["join","bench"]`
pub fn join(id: u64) -> String {
    format!("42{id}[\"join\",\"{ROOM}\"]")
}

/// `42["bcast","bench",{"t":<send time µs>,"pad":"xxx.."}]`
pub fn bcast(t_us: u64, pad: usize) -> String {
    format!("42[\"bcast\",\"{ROOM}\",{{\"t\":{t_us},\"pad\":\"{}\"}}]", "x".repeat(pad))
}

/// `42["bcast","bench",{"t":<send time µs>,"s":<sequence>,"pad":"xxx.."}]`: a numbered
/// broadcast of a stream, so that clients can tell when one overtakes another.
pub fn bcast_seq(t_us: u64, seq: u64, pad: usize) -> String {
    format!("42[\"bcast\",\"{ROOM}\",{{\"t\":{t_us},\"s\":{seq},\"pad\":\"{}\"}}]", "x".repeat(pad))
}

/// Leading decimal digits of `s` as a number, and the rest.
fn digits(s: &str) -> Option<(u64, &str)> {
    let end = s.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// `43<id><body>` → (id, body).
pub fn ack(text: &str) -> Option<(u64, &str)> {
    digits(text.strip_prefix("43")?)
}

/// `46<n>-<id><body>` → (attachments, id, body).
pub fn binary_ack(text: &str) -> Option<(u64, u64, &str)> {
    let (n, rest) = digits(text.strip_prefix("46")?)?;
    let (id, body) = digits(rest.strip_prefix('-')?)?;
    Some((n, id, body))
}

/// The send time carried by a broadcast delivery `42["b",{"t":..,..}]`.
pub fn bcast_time(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("42[\"b\",")?;
    let at = rest.find("\"t\":")?;
    digits(rest[at + 4..].trim_start()).map(|(t, _)| t)
}

/// The sequence number of a stream's broadcast delivery (`"s":..`), if it has one.
pub fn bcast_seq_of(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("42[\"b\",")?;
    let at = rest.find("\"s\":")?;
    digits(rest[at + 4..].trim_start()).map(|(s, _)| s)
}

/// Whether an ack body is the array `[expected]` (byte for byte, or as equal JSON).
pub fn same_args(body: &str, expected_arg: &str) -> bool {
    let b = body.as_bytes();
    if b.len() == expected_arg.len() + 2
        && b[0] == b'['
        && b[b.len() - 1] == b']'
        && &body[1..body.len() - 1] == expected_arg
    {
        return true;
    }
    match (serde_json::from_str::<serde_json::Value>(body), serde_json::from_str::<serde_json::Value>(expected_arg)) {
        (Ok(serde_json::Value::Array(a)), Ok(e)) => a.len() == 1 && a[0] == e,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_acks() {
        assert_eq!(ack("4317[1]"), Some((17, "[1]")));
        assert_eq!(ack("42[1]"), None);
        assert_eq!(binary_ack("461-9[{}]"), Some((1, 9, "[{}]")));
        assert_eq!(binary_ack("46-9[]"), None);
    }

    #[test]
    fn parses_broadcast_time() {
        let delivered = bcast(123456, 3).replacen("42[\"bcast\",\"bench\",", "42[\"b\",", 1);
        assert_eq!(bcast_time(&delivered), Some(123456));
        assert_eq!(bcast_time(r#"42["b",{"t":987,"pad":"xx"}]"#), Some(987));
        assert_eq!(bcast_time(r#"42["b",{"pad":"xx","t": 5}]"#), Some(5));
    }

    #[test]
    fn parses_broadcast_sequence() {
        let delivered = bcast_seq(7, 42, 3).replacen("42[\"bcast\",\"bench\",", "42[\"b\",", 1);
        assert_eq!(bcast_time(&delivered), Some(7));
        assert_eq!(bcast_seq_of(&delivered), Some(42));
        assert_eq!(bcast_seq_of(r#"42["b",{"t":987,"pad":"xx"}]"#), None);
    }

    #[test]
    fn compares_args() {
        assert!(same_args(&format!("[{ECHO_PAYLOAD}]"), ECHO_PAYLOAD));
        assert!(same_args(r#"[{"n":42, "text":"the quick brown fox jumps over the lazy dog"}]"#, ECHO_PAYLOAD));
        assert!(!same_args("[1]", ECHO_PAYLOAD));
    }
}
