//! The core's logs for a host: its `tracing` events, at or above a level the host picks,
//! handed to one sink as plain records named like the host's loggers (`sio.server`,
//! `sio.engine`, `sio.client`, `sio.redis`). A face turns them into Python `logging`
//! records, `debug`-style lines in Node, or a C callback.
//!
//! The sink is process-wide, as logging is in each host: the first [`set_log_sink`]
//! installs this module's subscriber as the global `tracing` one (and fails if the
//! process already has another, e.g. a Rust program's own).
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use super::EmbedError;

/// How severe a record is. Ordered: `Error` < `Warn` < ... < `Trace` in verbosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Something failed.
    Error = 1,
    /// Something degraded (a Redis outage, a slow client closed).
    Warn = 2,
    /// Notable state changes.
    Info = 3,
    /// Connections, upgrades, disconnections and their reasons, dropped packets.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LogLevel {
    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }

    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its level.
    pub level: LogLevel,
    /// The logger it belongs to: `sio.server`, `sio.engine`, `sio.client`, `sio.redis` or `sio`.
    pub logger: &'static str,
    /// The message, then its fields as `key=value`.
    pub message: String,
}

/// Receives the records; called on the thread that logged (often a runtime thread).
pub type LogSink = Arc<dyn Fn(&LogRecord) + Send + Sync>;

/// 0: off; otherwise the most verbose [`LogLevel`] forwarded.
static MAX: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<LogSink>> = RwLock::new(None);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Sends the core's records at `level` or more severe to `sink` from now on; `None`
/// stops. Fails if the process has another global `tracing` subscriber.
pub fn set_log_sink(level: Option<LogLevel>, sink: Option<LogSink>) -> Result<(), EmbedError> {
    let installed =
        INSTALLED.get_or_init(|| tracing_subscriber::registry().with(Bridge).try_init().map_err(|e| e.to_string()));
    if let Err(e) = installed {
        return Err(EmbedError::InvalidArgument(format!("the process already has a tracing subscriber: {e}")));
    }
    let level = if sink.is_some() { level.map_or(0, |l| l as u8) } else { 0 };
    *SINK.write().expect("log sink lock poisoned") = sink;
    MAX.store(level, Ordering::Release);
    // Callsites cache whether they are enabled: ask them again.
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// The logger a `tracing` target (a module path) belongs to.
fn logger_of(target: &str) -> &'static str {
    if target.starts_with("sio_redis") {
        "sio.redis"
    } else if target.starts_with("sio_core::engine") {
        "sio.engine"
    } else if target.starts_with("sio_core::client") {
        "sio.client"
    } else if target.starts_with("sio_core::server") || target.starts_with("sio_core::embed") {
        "sio.server"
    } else {
        "sio"
    }
}

fn ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("sio_")
}

struct Bridge;

impl<S: Subscriber> Layer<S> for Bridge {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        if !ours(meta) {
            return tracing::subscriber::Interest::never();
        }
        match MAX.load(Ordering::Acquire) {
            0 => tracing::subscriber::Interest::never(),
            max if (LogLevel::of(meta.level()) as u8) <= max => tracing::subscriber::Interest::always(),
            _ => tracing::subscriber::Interest::never(),
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        ours(meta) && (LogLevel::of(meta.level()) as u8) <= MAX.load(Ordering::Acquire)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let Some(sink) = SINK.read().expect("log sink lock poisoned").clone() else {
            return;
        };
        let mut text = Text::default();
        event.record(&mut text);
        let meta = event.metadata();
        sink(&LogRecord { level: LogLevel::of(meta.level()), logger: logger_of(meta.target()), message: text.0 });
    }
}

/// The message first, then `key=value` for each other field.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let fields = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}");
            self.0.push_str(&fields);
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let fields = std::mem::take(&mut self.0);
            self.0.push_str(value);
            self.0.push_str(&fields);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_reach_the_sink_by_logger_and_level() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        set_log_sink(Some(LogLevel::Info), Some(Arc::new(move |r: &LogRecord| s.lock().unwrap().push(r.clone()))))
            .expect("installed");
        tracing::info!(target: "sio_redis::connection", error = "refused", "redis unreachable");
        tracing::debug!(target: "sio_core::server::socket", "too verbose");
        set_log_sink(None, None).expect("off");
        tracing::warn!(target: "sio_core::engine::server", "after off");
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            vec![LogRecord {
                level: LogLevel::Info,
                logger: "sio.redis",
                message: "redis unreachable error=refused".into()
            }]
        );
    }
}
