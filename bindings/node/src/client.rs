//! The client side: one socket (namespace) with its own Manager.
use std::collections::HashMap;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sio_core::client::{AckSender, Auth, ClientOptions};
use sio_core::embed::EmbeddedClient;
use sio_core::engine::server::TransportKind;
use sio_core::EmitError;

use crate::codec::{args_from_js, value_from_js};
use crate::event::Ev;
use crate::{deliver, err, runtime};

/// socket.io-client options (durations in ms). Unset fields keep socket.io-client's defaults.
#[napi(object)]
pub struct NativeClientOptions {
    /// Endpoint path.
    pub path: Option<String>,
    /// Extra query parameters.
    pub query: Option<HashMap<String, String>>,
    /// Extra HTTP headers.
    pub extra_headers: Option<HashMap<String, String>>,
    /// Transports in order (`polling`, `websocket`).
    pub transports: Option<Vec<String>>,
    /// Upgrade polling to WebSocket.
    pub upgrade: Option<bool>,
    /// Cache-busting `t` parameter.
    pub timestamp_requests: Option<bool>,
    /// Reconnect automatically.
    pub reconnection: Option<bool>,
    /// Attempts before giving up (absent: unlimited).
    pub reconnection_attempts: Option<u32>,
    /// First delay.
    pub reconnection_delay: Option<u32>,
    /// Largest delay.
    pub reconnection_delay_max: Option<u32>,
    /// Jitter, 0..=1.
    pub randomization_factor: Option<f64>,
    /// Connection timeout.
    pub timeout: Option<u32>,
    /// Connect at once.
    pub auto_connect: Option<bool>,
    /// CONNECT payload, JSON.
    pub auth: Option<String>,
    /// Retries for at-least-once delivery.
    pub retries: Option<u32>,
    /// Default ack timeout.
    pub ack_timeout: Option<u32>,
    /// Verify TLS certificates.
    pub reject_unauthorized: Option<bool>,
    /// Extra CA, PEM.
    pub ca: Option<String>,
}

fn ms(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

fn emit_err(e: EmitError) -> Error {
    match e {
        EmitError::Reserved(name) => err("ERR_SIO_RESERVED_EVENT", format!("\"{name}\" is a reserved event name")),
        EmitError::Disconnected => err("ERR_SIO_DISCONNECTED", "socket is disconnected"),
    }
}

/// A client socket.
#[napi]
pub struct NativeClient {
    c: EmbeddedClient,
}

#[napi]
impl NativeClient {
    /// Creates the client; it connects at once unless `autoConnect` is false.
    #[napi(constructor)]
    pub fn new(url: String, options: Option<NativeClientOptions>) -> Result<Self> {
        let mut opts = ClientOptions::default();
        if let Some(o) = options {
            let m = &mut opts.manager;
            if let Some(p) = o.path {
                m.path = if p.ends_with('/') { p } else { format!("{p}/") };
            }
            if let Some(q) = o.query {
                m.query = q.into_iter().collect();
            }
            if let Some(h) = o.extra_headers {
                m.extra_headers = h.into_iter().collect();
            }
            if let Some(t) = o.transports {
                m.transports = t
                    .iter()
                    .map(|s| TransportKind::parse(s).ok_or_else(|| err("ERR_SIO_INVALID_OPTION", format!("unknown transport \"{s}\""))))
                    .collect::<Result<_>>()?;
            }
            if let Some(v) = o.upgrade {
                m.upgrade = v;
            }
            if let Some(v) = o.timestamp_requests {
                m.timestamp_requests = v;
            }
            if let Some(v) = o.reconnection {
                m.reconnection = v;
            }
            m.reconnection_attempts = o.reconnection_attempts;
            if let Some(v) = o.reconnection_delay {
                m.reconnection_delay = ms(v);
            }
            if let Some(v) = o.reconnection_delay_max {
                m.reconnection_delay_max = ms(v);
            }
            if let Some(v) = o.randomization_factor {
                m.randomization_factor = v;
            }
            if let Some(v) = o.timeout {
                m.timeout = ms(v);
            }
            if let Some(v) = o.auto_connect {
                m.auto_connect = v;
            }
            if let Some(v) = o.reject_unauthorized {
                m.tls.reject_unauthorized = v;
            }
            if let Some(ca) = o.ca {
                m.tls.ca_pem = Some(ca.into_bytes());
            }
            if let Some(a) = o.auth {
                opts.socket.auth = Auth::Static(value_from_js(&a, &[])?);
            }
            opts.socket.retries = o.retries;
            opts.socket.ack_timeout = o.ack_timeout.map(ms);
        }
        let c = runtime()?.client(&url, opts).map_err(|e| err("ERR_SIO_RUNTIME", e))?;
        Ok(NativeClient { c })
    }

    /// The id carried by this client's events.
    #[napi(getter)]
    pub fn key(&self) -> u32 {
        self.c.id() as u32
    }

    /// The server-given socket id while connected.
    #[napi(getter)]
    pub fn sid(&self) -> Option<String> {
        self.c.socket().id()
    }

    /// Whether connected.
    #[napi(getter)]
    pub fn connected(&self) -> bool {
        self.c.socket().connected()
    }

    /// Whether it (re)connects by itself.
    #[napi(getter)]
    pub fn active(&self) -> bool {
        self.c.socket().active()
    }

    /// Whether the last connection recovered the session.
    #[napi(getter)]
    pub fn recovered(&self) -> bool {
        self.c.socket().recovered()
    }

    /// Connects (again).
    #[napi]
    pub fn connect(&self) {
        self.c.connect();
    }

    /// Disconnects (`io client disconnect`).
    #[napi]
    pub fn disconnect(&self) {
        self.c.disconnect();
    }

    /// Emits (buffered while disconnected).
    #[napi]
    pub fn emit(&self, event: String, json: String, bins: Vec<Buffer>) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.c.emit(&event, args).map_err(emit_err)
    }

    /// Emits with an acknowledgement; an `ack` event with `key` follows exactly once.
    #[napi]
    pub fn emit_with_ack(&self, event: String, json: String, bins: Vec<Buffer>, timeout_ms: Option<u32>, key: u32) -> Result<()> {
        let args = args_from_js(&json, &bins)?;
        self.c
            .emit_with_ack(&event, args, timeout_ms.map(ms), move |outcome| deliver(Ev::AckDone { key, outcome }))
            .map_err(emit_err)
    }
}

/// The answer to a server's acknowledgement request.
#[napi]
pub struct NativeClientAck {
    a: AckSender,
}

impl NativeClientAck {
    pub(crate) fn new(a: AckSender) -> Self {
        NativeClientAck { a }
    }
}

#[napi]
impl NativeClientAck {
    /// Sends the answer; false if one was already sent or the connection is gone.
    #[napi]
    pub fn send(&self, json: String, bins: Vec<Buffer>) -> Result<bool> {
        let _g = runtime()?.handle().enter();
        Ok(self.a.send(args_from_js(&json, &bins)?))
    }
}
