//! The sio (Rust API) driver of the conformance matrix: `sio-conformance-driver server|client`.
//! Reads one JSON command per line on stdin, writes replies and observations as JSON lines
//! on stdout (tests/conformance/README.md describes the protocol).
use std::io::Write;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};
use sio_core::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

mod client;
mod server;

/// Writes one line (whole lines only: the lock is held for the write).
pub fn out(v: Json) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{v}");
    let _ = stdout.flush();
}

/// Line protocol JSON → sio value (`{"$bin": base64}` → binary).
pub fn dec(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.clone()),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::Array(a.iter().map(dec).collect()),
        Json::Object(o) => {
            if o.len() == 1 {
                if let Some(Json::String(b)) = o.get("$bin") {
                    return Value::Binary(B64.decode(b).unwrap_or_default().into());
                }
            }
            Value::Object(o.iter().map(|(k, v)| (k.clone(), dec(v))).collect())
        }
    }
}

/// sio value → line protocol JSON.
pub fn enc(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.clone()),
        Value::String(s) => Json::String(s.clone()),
        Value::Binary(b) => json!({"$bin": B64.encode(b)}),
        Value::Array(a) => Json::Array(a.iter().map(enc).collect()),
        Value::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), enc(v))).collect::<Map<_, _>>()),
    }
}

/// `args` of a command as sio values.
pub fn args_of(cmd: &Json) -> Vec<Value> {
    cmd.get("args").and_then(Json::as_array).map(|a| a.iter().map(dec).collect()).unwrap_or_default()
}

pub fn str_of<'a>(cmd: &'a Json, key: &str) -> Option<&'a str> {
    cmd.get(key).and_then(Json::as_str)
}

pub fn strings_of(cmd: &Json, key: &str) -> Vec<String> {
    cmd.get(key)
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

pub fn ms_of(cmd: &Json, key: &str) -> Option<std::time::Duration> {
    cmd.get(key).and_then(Json::as_u64).map(std::time::Duration::from_millis)
}

/// A command's outcome: extra reply fields, or an error message.
pub type Reply = Result<Map<String, Json>, String>;

pub fn ok() -> Reply {
    Ok(Map::new())
}

fn reply(id: &Json, r: Reply) {
    match r {
        Ok(mut m) => {
            m.insert("re".into(), id.clone());
            m.insert("ok".into(), Json::Bool(true));
            out(Json::Object(m));
        }
        Err(e) => out(json!({"re": id, "ok": false, "error": e})),
    }
}

#[tokio::main]
async fn main() {
    let role = std::env::args().nth(1).unwrap_or_default();
    let mut server = server::Driver::default();
    let mut client = client::Driver::default();
    if role != "server" && role != "client" {
        eprintln!("usage: sio-conformance-driver server|client");
        std::process::exit(2);
    }
    out(json!({"ev": "ready", "lib": "sio-rust", "role": role}));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(cmd) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        let id = cmd.get("id").cloned().unwrap_or(Json::Null);
        let name = str_of(&cmd, "cmd").unwrap_or_default().to_owned();
        let r = if role == "server" { server.handle(&name, &cmd).await } else { client.handle(&name, &cmd).await };
        reply(&id, r);
    }
    if role == "server" {
        server.close().await;
    } else {
        client.close();
    }
}
