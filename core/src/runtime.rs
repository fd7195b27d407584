//! The tokio runtime sio recommends for serving many connections: tokio's multi-threaded
//! scheduler with two settings changed so that, under overload, every connection is served
//! in turn.
//!
//! Why: with tokio's defaults a worker takes up to 1,024 ready sockets from the I/O driver
//! at once. Their tasks overflow the worker's local run queue (256 slots), and the overflow
//! (the oldest half) goes to the global queue, which a busy worker visits once every ~61
//! tasks. Connections that land there wait while the others are served again and again:
//! with 1,000 clients in a closed echo loop, 1% of round trips took 250–330 ms while the
//! median took 0.7 ms, and some clients completed a quarter as many round trips as others
//! (bench/PROFILE.md, "Tail latency"). Taking at most [`MAX_IO_EVENTS_PER_TICK`] ready
//! sockets per visit of the driver keeps the local queue from overflowing, so readiness is
//! served in the order the kernel reported it: p99 within 2× of p50, every client served
//! equally.
//!
//! ```no_run
//! fn main() -> std::io::Result<()> {
//!     sio_core::runtime::builder().build()?.block_on(async {
//!         // build and listen with sio_core::server::Server here
//!     });
//!     Ok(())
//! }
//! ```

/// Ready I/O events a worker takes from the driver per visit (tokio's default: 1,024).
/// Small enough that one visit's tasks, each waking at most one other, fit in half of a
/// worker's local run queue.
pub const MAX_IO_EVENTS_PER_TICK: usize = 16;

/// A multi-threaded runtime builder (one worker per core the process may run on, I/O and
/// timers enabled) that serves connections fairly under overload (see the module docs).
pub fn builder() -> tokio::runtime::Builder {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.enable_all().max_io_events_per_tick(MAX_IO_EVENTS_PER_TICK);
    b
}
