//! The core's `tracing` records for a Rust host: each TCP connection has its `conn`
//! span (with the peer's address), and the records of a socket's life — connected, and
//! disconnected with its reason — happen inside it.
mod support;

use std::sync::{Arc, Mutex};

use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use sio_core::server::Server;
use support::RawClient;

/// Each event's message with the names of the spans it happened in.
type Records = Arc<Mutex<Vec<(String, Vec<String>)>>>;

#[derive(Clone, Default)]
struct Seen(Records, Arc<tokio::sync::Notify>);

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Seen {
    fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {}

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut m = Message(String::new());
        event.record(&mut m);
        let spans = ctx.event_scope(event).map(|s| s.map(|span| span.name().to_owned()).collect()).unwrap_or_default();
        self.0.lock().unwrap().push((m.0, spans));
        self.1.notify_one();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_socket_life_is_logged_inside_its_connection_span() {
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let io = Server::builder().build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let (mut client, sid) = RawClient::connected(addr).await;
    client.send("41").await;
    let wanted = sid.clone();
    let deadline = tokio::time::Instant::now() + support::WAIT;
    let find =
        |what: &str| seen.0.lock().unwrap().iter().find(|(m, _)| m.starts_with(what) && m.contains(&wanted)).cloned();
    while find("socket disconnected").is_none() && tokio::time::Instant::now() < deadline {
        let _ = tokio::time::timeout_at(deadline, seen.1.notified()).await;
    }
    let (connected, spans) = find("socket connected").expect("a record of the socket connecting");
    assert!(spans.contains(&"conn".to_owned()), "{connected} outside a conn span: {spans:?}");
    let (gone, spans) = find("socket disconnected").expect("a record of the socket leaving");
    assert!(gone.contains("client namespace disconnect"), "{gone}");
    assert!(spans.contains(&"conn".to_owned()), "{gone} outside a conn span: {spans:?}");
}
