//! Channel and key names, as `@socket.io/redis-adapter` derives them from its `key`
//! option (default `socket.io`) and the namespace.

/// The channels of one namespace.
#[derive(Debug, Clone)]
pub struct Channels {
    /// Broadcasts: `socket.io#/ns#`, or `socket.io#/ns#room#` for a single room.
    pub broadcast: String,
    /// Requests between nodes: `socket.io-request#/ns#`.
    pub request: String,
    /// Responses to anyone: `socket.io-response#/ns#`.
    pub response: String,
    /// Responses addressed to this node: `socket.io-response#/ns#<uid>#`.
    pub specific_response: String,
}

impl Channels {
    pub fn new(key: &str, ns: &str, uid: &str) -> Channels {
        let response = format!("{key}-response#{ns}#");
        Channels {
            broadcast: format!("{key}#{ns}#"),
            request: format!("{key}-request#{ns}#"),
            specific_response: format!("{response}{uid}#"),
            response,
        }
    }

    /// The channel of a broadcast to `rooms`: the room's own when there is exactly one,
    /// so that nodes without members can ignore it cheaply.
    pub fn broadcast_to(&self, rooms: &[String]) -> String {
        match rooms {
            [room] => format!("{}{room}#", self.broadcast),
            _ => self.broadcast.clone(),
        }
    }
}

/// What a message on a subscribed channel is.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    /// A broadcast; the namespace is in the packet.
    Broadcast,
    /// A request for namespace `ns`.
    Request(&'a str),
    /// A response for namespace `ns`.
    Response(&'a str),
}

/// Classifies `channel` for adapter key `key`.
pub fn kind<'a>(key: &str, channel: &'a str) -> Option<Kind<'a>> {
    let rest = channel.strip_prefix(key)?;
    if rest.starts_with('#') {
        return Some(Kind::Broadcast);
    }
    if let Some(r) = rest.strip_prefix("-request#") {
        return Some(Kind::Request(r.strip_suffix('#')?));
    }
    if let Some(r) = rest.strip_prefix("-response#") {
        // `/ns#` or `/ns#<uid>#`: the namespace ends at the first `#`.
        return Some(Kind::Response(&r[..r.find('#')?]));
    }
    None
}

/// Session key of a disconnected socket kept for recovery.
pub fn session_key(key: &str, ns: &str, pid: &str) -> String {
    format!("{key}-session#{ns}#{pid}")
}

/// Stream of events kept for recovery in namespace `ns`.
pub fn events_key(key: &str, ns: &str) -> String {
    format!("{key}-events#{ns}#")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_reference_adapter() {
        let c = Channels::new("socket.io", "/admin", "abc123");
        assert_eq!(c.broadcast, "socket.io#/admin#");
        assert_eq!(c.broadcast_to(&["r1".into()]), "socket.io#/admin#r1#");
        assert_eq!(c.broadcast_to(&["r1".into(), "r2".into()]), "socket.io#/admin#");
        assert_eq!(c.request, "socket.io-request#/admin#");
        assert_eq!(c.response, "socket.io-response#/admin#");
        assert_eq!(c.specific_response, "socket.io-response#/admin#abc123#");
        assert_eq!(kind("socket.io", "socket.io#/#room#"), Some(Kind::Broadcast));
        assert_eq!(kind("socket.io", "socket.io-request#/#"), Some(Kind::Request("/")));
        assert_eq!(kind("socket.io", "socket.io-response#/chat#xyz#"), Some(Kind::Response("/chat")));
        assert_eq!(kind("socket.io", "other#/#"), None);
    }
}
