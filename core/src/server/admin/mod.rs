//! Server instrumentation for the official admin UI (`@socket.io/admin-ui`): its
//! namespace and authentication, `server_stats` on an interval, and in development mode
//! every socket, room and event live, plus the UI's commands unless read-only.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sio_core::server::{admin, Server};
//! let io = Server::builder().build();
//! admin::instrument(&io, admin::AdminOptions::default())?;
//! io.listen("127.0.0.1:3000").await?;
//! # Ok(()) }
//! ```
//!
//! Nothing here runs on a server that is not instrumented: the hooks it needs (room
//! changes, every connection, per-packet counts) are installed by [`instrument`].

mod auth;
mod commands;
mod options;
mod relay;
mod serialize;
mod stats;

use std::sync::Arc;
use std::time::Instant;

pub use options::{AdminAuth, AdminError, AdminMode, AdminOptions, AdminPassword};

use super::Server;
use crate::value::Value;
use auth::{NewSession, Sessions};
use relay::AdminNs;

/// Instruments `io` for the admin UI. Call it inside the server's tokio runtime (the
/// statistics run on it); a server is instrumented once.
pub fn instrument(io: &Server, opts: AdminOptions) -> Result<(), AdminError> {
    opts.validate()?;
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| AdminError::NoRuntime)?;
    if io.0.admin.set(()).is_err() {
        return Err(AdminError::AlreadyInstrumented);
    }
    let ns = io.of(&opts.namespace);
    let admin = AdminNs(Arc::downgrade(&ns.0));
    if let Some(auth) = opts.auth.clone() {
        let sessions = Arc::new(Sessions::new(opts.max_sessions, opts.session_ttl));
        ns.use_middleware(move |socket| {
            let (auth, sessions) = (auth.clone(), sessions.clone());
            async move {
                let given = socket.handshake().auth.clone();
                if let Some(id) = auth::check(&auth, &sessions, &given).await? {
                    socket.extensions().insert(NewSession(id));
                }
                Ok(())
            }
        });
    }
    let development = opts.mode == AdminMode::Development;
    let features = Value::Array(commands::features(opts.read_only, development));
    // Weak: this handler lives inside the server (a strong one would keep it alive for ever).
    let (weak, read_only) = (Arc::downgrade(&io.0), opts.read_only);
    ns.on_connection(move |socket| {
        let Some(inner) = weak.upgrade() else { return };
        let io2 = Server(inner);
        if let Some(NewSession(id)) = socket.extensions().remove::<NewSession>() {
            let _ = socket.emit("session", vec![id.into()]);
        }
        if !read_only {
            commands::register(&weak, &socket);
        }
        let _ = socket.emit("config", vec![Value::from([("supportedFeatures", features.clone())])]);
        if development {
            let all: Vec<Value> =
                io2.namespaces().iter().flat_map(|n| n.0.all_sockets()).map(|s| serialize::socket(&s)).collect();
            let _ = socket.emit("all_sockets", vec![Value::Array(all)]);
        }
    });
    let engine = stats::EngineStats::watch(io);
    if development {
        for n in io.namespaces() {
            relay::watch_namespace(&admin, &n);
        }
        let a = admin.clone();
        io.on_new_namespace(move |n| relay::watch_namespace(&a, n));
        let (a, limit) = (admin.clone(), opts.max_relayed_events_per_socket);
        io.on_any_connection(move |s| relay::watch_socket(&a, &s, limit));
    }
    let base = stats::Base {
        server_id: opts.server_id.clone().unwrap_or_else(stats::hostname),
        hostname: stats::hostname(),
        started: Instant::now(),
    };
    let (weak, mut stop, every) = (Arc::downgrade(&io.0), io.0.stop.subscribe(), opts.server_stats_interval);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(every);
        // After a stall, one late `server_stats`, not a burst of them.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            let Some(inner) = weak.upgrade() else { return };
            if !admin.watched() {
                engine.clear();
                continue;
            }
            let server = Server(inner);
            admin.emit("server_stats", vec![engine.snapshot(&server, &base)]);
        }
    });
    Ok(())
}
