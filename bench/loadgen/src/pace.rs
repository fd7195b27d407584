//! The schedule of a paced echo (`echo --rate R`): every client sends one echo each
//! `clients / R` seconds, so that the clients together offer R round trips per second
//! whatever the server does (open loop), instead of the next echo when the ack arrives.
//!
//! The scheduled times are a fixed grid: a send that had to wait for the previous ack does
//! not move the ones after it, so a server that falls behind accumulates the delay in the
//! latency (measured from the scheduled time) rather than slowing the generator down.
use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

pub struct Pace {
    interval: Duration,
    /// The scheduled time of the client's next echo.
    due: Instant,
    /// Fires at `due`. One per client, re-armed after each send rather than created anew:
    /// a timer wheel entry, no busy loop, so 1k (or 10k) paced clients cost little.
    timer: Pin<Box<Sleep>>,
}

impl Pace {
    /// Client `index` of `clients`, one echo every `interval`. Its grid is offset by
    /// `index / clients` of an interval from `epoch`, so that the clients' sends are spread
    /// evenly over each interval (and a client that starts late joins its own grid instead
    /// of bunching up with the others); the first send is the first grid point from now on.
    pub fn new(interval: Duration, index: usize, clients: usize, epoch: std::time::Instant) -> Pace {
        let step = interval.as_secs_f64();
        let offset = step * index as f64 / clients.max(1) as f64;
        let since = epoch.elapsed().as_secs_f64() - offset;
        let k = (since / step).ceil().max(0.0);
        let due = Instant::from_std(epoch) + Duration::from_secs_f64(offset + k * step);
        Pace { interval, due, timer: Box::pin(tokio::time::sleep_until(due)) }
    }

    /// The scheduled time of the next echo.
    pub fn due(&self) -> Instant {
        self.due
    }

    /// Takes the scheduled time of the next echo (it is being sent) and arms the timer for
    /// the one after. Never skips a grid point: a late send is still a send of its own time.
    pub fn take(&mut self) -> Instant {
        let due = self.due;
        self.due += self.interval;
        self.timer.as_mut().reset(self.due);
        due
    }
}

/// Completes when `pace`'s timer reaches the scheduled time; never without a pace.
pub async fn fired(pace: &mut Option<Pace>) {
    match pace {
        Some(p) => p.timer.as_mut().await,
        None => std::future::pending().await,
    }
}
