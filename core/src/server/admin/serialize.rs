//! Sockets and dates in the shapes the admin UI reads (the reference's `serialize`).
use std::time::SystemTime;

use crate::server::utc::Utc;
use crate::server::Socket;
use crate::value::Value;

/// A socket as `all_sockets` and `socket_connected` describe it.
pub(super) fn socket(s: &Socket) -> Value {
    let h = s.handshake();
    let pairs =
        |p: &[(String, String)]| Value::Object(p.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect());
    // Behind a proxy the UI shows the client's address, as the reference does.
    let address = h.header("cf-connecting-ip").or_else(|| h.header("x-forwarded-for")).unwrap_or(&h.address).to_owned();
    let handshake = Value::from([
        ("address", address.into()),
        ("headers", pairs(&h.headers[..])),
        ("query", pairs(&h.query[..])),
        ("issued", h.issued.into()),
        ("secure", h.secure.into()),
        ("time", h.time.clone().into()),
        ("url", Value::from(&*h.url)),
        ("xdomain", h.xdomain.into()),
    ]);
    let mut rooms: Vec<String> = s.rooms().into_iter().collect();
    rooms.sort();
    Value::from([
        ("id", s.id().into()),
        ("clientId", client_id(s).into()),
        ("transport", s.conn().transport().as_str().into()),
        ("nsp", s.ns().into()),
        ("data", data(s)),
        ("handshake", handshake),
        ("rooms", Value::Array(rooms.into_iter().map(Value::from).collect())),
    ])
}

/// The connection's id as the UI groups sockets by it (its first 12 characters).
fn client_id(s: &Socket) -> String {
    s.conn().id().chars().take(12).collect()
}

/// `socket.data` without the reference's private `_admin` key.
pub(super) fn data(s: &Socket) -> Value {
    let mut d = s.data();
    if let Value::Object(map) = &mut d {
        map.shift_remove("_admin");
    }
    d
}

/// Now, as JSON encodes a JavaScript `Date` (`2020-11-22T00:33:46.123Z`).
pub(super) fn now() -> Value {
    iso_date(SystemTime::now()).into()
}

fn iso_date(t: SystemTime) -> String {
    let u = Utc::of(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", u.year, u.month, u.day, u.hour, u.minute, u.second, u.millis)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_dates_as_json_does() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_606_005_226_123);
        assert_eq!(super::iso_date(t), "2020-11-22T00:33:46.123Z");
    }
}
