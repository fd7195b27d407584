//! What the embedding-layer tests share: a queue-mode runtime and its next event.
use std::time::Duration;

use sio_core::embed::{Delivery, Event, Runtime, RuntimeOptions};

pub const WAIT: Duration = Duration::from_secs(10);

/// A runtime whose events the test takes from the queue.
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions { workers: 2, delivery: Delivery::Queue }).unwrap()
}

/// The next event, skipping transport upgrades (their timing is the network's).
pub fn next(rt: &Runtime) -> Event {
    loop {
        match rt.next_event(WAIT).expect("an event within the timeout") {
            Event::Upgrade { .. } => continue,
            ev => return ev,
        }
    }
}
