//! The adapter's two Redis connections: one that publishes and runs commands (in the
//! order they were queued), one subscribed to the channels of every namespace. Both
//! survive Redis restarts: commands go through a reconnecting connection manager, the
//! subscriber reconnects with backoff and subscribes again. The queue of commands is
//! bounded ([`MAX_QUEUED`]): while Redis is unreachable the overflow is dropped (and
//! logged), as a node that is cut off cannot tell the others anyway.
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{mpsc, watch};

/// Commands waiting for Redis, at most (about 100 MB of 1 kB broadcasts).
pub const MAX_QUEUED: usize = 100_000;

/// What a command's answer is handed to, on the publishing task (in queue order).
pub type Then = Box<dyn FnOnce(redis::RedisResult<redis::Value>) + Send>;

/// Something to send to Redis without waiting for its answer.
pub enum Out {
    /// `PUBLISH channel payload`.
    Publish { channel: String, payload: Vec<u8> },
    /// Any other command (session keys, recovery stream, `SPUBLISH`).
    Command(redis::Cmd),
    /// A command whose answer matters (the id `XADD` gave an entry).
    CommandThen(redis::Cmd, Then),
}

/// A subscription: a channel, a pattern (`PSUBSCRIBE`), or a shard channel (`SSUBSCRIBE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sub {
    Channel(String),
    Pattern(String),
    Shard(String),
}

/// A change of the subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubChange {
    Add(Sub),
    Remove(Sub),
}

/// Receives each message as (channel, payload).
pub type Handler = Arc<dyn Fn(&str, &[u8]) + Send + Sync>;

pub struct Link {
    pub commands: ConnectionManager,
    out: mpsc::Sender<Out>,
    /// Every subscription, to subscribe again after a reconnection (one per room in the
    /// sharded adapter's dynamic modes: a set, not a list).
    subs: Mutex<HashSet<Sub>>,
    new_subs: mpsc::UnboundedSender<SubChange>,
    dropped: std::sync::atomic::AtomicU64,
    healthy: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
}

impl Link {
    /// Starts both connections' tasks on `rt`. Nothing connects before the tasks run, so
    /// an unreachable Redis is reported in the logs, not here. `sharded`: the subscriber
    /// speaks `SSUBSCRIBE` (subscriptions are then [`Sub::Shard`]).
    pub fn start(
        client: redis::Client,
        rt: &tokio::runtime::Handle,
        handler: Handler,
        sharded: bool,
    ) -> redis::RedisResult<Arc<Link>> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let commands = {
            let _enter = rt.enter();
            ConnectionManager::new_lazy_with_config(client.clone(), config)?
        };
        let (out, out_rx) = mpsc::channel(MAX_QUEUED);
        let (new_subs, subs_rx) = mpsc::unbounded_channel();
        let link = Arc::new(Link {
            commands: commands.clone(),
            out,
            subs: Mutex::default(),
            new_subs,
            dropped: Default::default(),
            healthy: Arc::new(AtomicBool::new(true)),
            stop: watch::channel(false).0,
        });
        rt.spawn(publisher(commands, out_rx, link.healthy.clone(), link.stop.subscribe()));
        let (weak, healthy, stop) = (Arc::downgrade(&link), link.healthy.clone(), link.stop.subscribe());
        if sharded {
            rt.spawn(crate::shard_sub::subscriber(client, weak, subs_rx, handler, healthy, stop));
        } else {
            rt.spawn(subscriber(client, weak, subs_rx, handler, healthy, stop));
        }
        Ok(link)
    }

    /// Queues `out`; it is sent after everything queued before it. A full queue drops it.
    pub fn send(&self, out: Out) {
        if let Err(mpsc::error::TrySendError::Full(out)) = self.out.try_send(out) {
            // Powers of two only: a long outage logs a handful of lines, not one per message.
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, limit = MAX_QUEUED, "redis adapter: command queue full; dropping");
            }
            if let Out::CommandThen(_, then) = out {
                then(Err(redis::RedisError::from((redis::ErrorKind::Io, "command queue full"))));
            }
        }
    }

    /// Publishes `payload` on `channel`.
    pub fn publish(&self, channel: String, payload: Vec<u8>) {
        self.send(Out::Publish { channel, payload });
    }

    /// Adds subscriptions, kept across reconnections.
    pub fn subscribe(&self, subs: Vec<Sub>) {
        let mut known = self.subs.lock().expect("subscription lock poisoned");
        for s in subs {
            if known.insert(s.clone()) {
                let _ = self.new_subs.send(SubChange::Add(s));
            }
        }
    }

    /// Drops a subscription.
    pub fn unsubscribe(&self, sub: Sub) {
        if self.subs.lock().expect("subscription lock poisoned").remove(&sub) {
            let _ = self.new_subs.send(SubChange::Remove(sub));
        }
    }

    pub(crate) fn known_subs(&self) -> Vec<Sub> {
        self.subs.lock().expect("subscription lock poisoned").iter().cloned().collect()
    }

    /// Whether the last command reached Redis.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Notes the outcome of a command, logging when Redis goes away and comes back.
    pub fn report<T>(&self, r: &redis::RedisResult<T>) {
        report(&self.healthy, r);
    }

    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Resolves (through [`stopped`]) once the adapter stops: for the other tasks.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

pub(crate) fn report<T>(healthy: &AtomicBool, r: &redis::RedisResult<T>) {
    match r {
        Ok(_) => {
            if !healthy.swap(true, Ordering::Relaxed) {
                tracing::info!("redis adapter: connection restored, cluster traffic resumes");
            }
        }
        Err(e) => {
            if healthy.swap(false, Ordering::Relaxed) {
                tracing::warn!(error = %e, "redis adapter: redis unreachable; serving local clients only until it is back");
            }
        }
    }
}

/// Resolves once `stop` is set (or its sender is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

async fn publisher(
    mut conn: ConnectionManager,
    mut rx: mpsc::Receiver<Out>,
    healthy: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let out = tokio::select! {
            out = rx.recv() => match out { Some(o) => o, None => return },
            _ = stopped(&mut stop) => return,
        };
        let r: redis::RedisResult<()> = match out {
            Out::Publish { channel, payload } => {
                redis::cmd("PUBLISH").arg(channel).arg(payload).query_async(&mut conn).await
            }
            Out::Command(cmd) => cmd.query_async(&mut conn).await,
            Out::CommandThen(cmd, then) => {
                let r: redis::RedisResult<redis::Value> = cmd.query_async(&mut conn).await;
                report(&healthy, &r);
                then(r);
                continue;
            }
        };
        report(&healthy, &r);
    }
}

async fn subscribe_one(sink: &mut redis::aio::PubSubSink, change: &SubChange) -> redis::RedisResult<()> {
    match change {
        SubChange::Add(Sub::Channel(c)) => sink.subscribe(c).await,
        SubChange::Add(Sub::Pattern(p)) => sink.psubscribe(p).await,
        SubChange::Remove(Sub::Channel(c)) => sink.unsubscribe(c).await,
        SubChange::Remove(Sub::Pattern(p)) => sink.punsubscribe(p).await,
        // Shard channels have their own subscriber (shard_sub.rs).
        SubChange::Add(Sub::Shard(_)) | SubChange::Remove(Sub::Shard(_)) => Ok(()),
    }
}

async fn subscriber(
    client: redis::Client,
    link: std::sync::Weak<Link>,
    mut new_subs: mpsc::UnboundedReceiver<SubChange>,
    handler: Handler,
    healthy: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(100);
    loop {
        let connected = tokio::select! {
            c = tokio::time::timeout(Duration::from_secs(2), client.get_async_pubsub()) => c,
            _ = stopped(&mut stop) => return,
        };
        match connected {
            Ok(Ok(pubsub)) => {
                let (mut sink, mut stream) = pubsub.split();
                // Drain first, then read the full list: a subscription added from here on
                // arrives through `new_subs`, one added before is in the list.
                while new_subs.try_recv().is_ok() {}
                let Some(subs) = link.upgrade().map(|l| l.known_subs()) else {
                    return;
                };
                let mut ok = true;
                for s in &subs {
                    ok &= subscribe_one(&mut sink, &SubChange::Add(s.clone())).await.is_ok();
                }
                if ok {
                    report(&healthy, &Ok(()));
                    delay = Duration::from_millis(100);
                    tracing::debug!(subscriptions = subs.len(), "redis adapter: subscribed");
                    loop {
                        tokio::select! {
                            msg = stream.next() => match msg {
                                Some(m) => handler(m.get_channel_name(), m.get_payload_bytes()),
                                None => break,
                            },
                            Some(s) = new_subs.recv() => {
                                if subscribe_one(&mut sink, &s).await.is_err() {
                                    break;
                                }
                            }
                            _ = stopped(&mut stop) => return,
                        }
                    }
                }
                tracing::warn!("redis adapter: subscription connection lost; reconnecting");
            }
            Ok(Err(e)) => report::<()>(&healthy, &Err(e)),
            Err(_) => {
                report::<()>(&healthy, &Err(redis::RedisError::from((redis::ErrorKind::Io, "connection timed out"))))
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stopped(&mut stop) => return,
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
