//! The sharded adapter's subscriptions, as Redis sees them (`PUBSUB SHARDNUMSUB`): in the
//! dynamic modes a room's channel is subscribed while the room has local members, and
//! every subscription comes back after a Redis restart. Needs `redis-server` 7 on PATH.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sio_core::server::cluster::ClusterAdapter;
use sio_redis::{ShardedRedisAdapter, ShardedRedisAdapterConfig, SubscriptionMode};

struct Redis(Child);

impl Redis {
    fn start(port: u16) -> Redis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        Redis(child)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Subscribers of shard channel `channel`, once Redis answers.
async fn subscribers(url: &str, channel: &str) -> usize {
    for _ in 0..100 {
        if let Ok(client) = redis::Client::open(url) {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let r: redis::RedisResult<(String, usize)> =
                    redis::cmd("PUBSUB").arg("SHARDNUMSUB").arg(channel).query_async(&mut conn).await;
                if let Ok((_, n)) = r {
                    return n;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis never answered");
}

/// Waits until `channel` has `n` subscribers (subscriptions are asynchronous).
async fn settle(url: &str, channel: &str, n: usize) {
    for _ in 0..100 {
        if subscribers(url, channel).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(subscribers(url, channel).await, n, "subscribers of {channel}");
}

fn adapter(url: &str, mode: SubscriptionMode) -> std::sync::Arc<ShardedRedisAdapter> {
    let mut config = ShardedRedisAdapterConfig::new(url);
    config.subscription_mode = mode;
    ShardedRedisAdapter::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_channels_follow_local_rooms_and_survive_a_restart() {
    let port = free_port();
    let mut redis = Redis::start(port);
    let url = format!("redis://127.0.0.1:{port}");
    let dynamic = adapter(&url, SubscriptionMode::Dynamic);
    let private = adapter(&url, SubscriptionMode::DynamicPrivate);
    let fixed = adapter(&url, SubscriptionMode::Static);
    for a in [&dynamic, &private, &fixed] {
        a.add_namespace("/");
        a.room_created("/", &"public".to_owned(), false);
        a.room_created("/", &"sid0123456789abcdefg".to_owned(), true);
    }
    settle(&url, "socket.io#/#", 3).await;
    settle(&url, "socket.io#/#public#", 2).await; // the dynamic ones
    settle(&url, "socket.io#/#sid0123456789abcdefg#", 1).await; // dynamic-private only
    settle(&url, &format!("socket.io#/#{}#", dynamic.uid()), 1).await; // its responses

    dynamic.room_deleted("/", &"public".to_owned(), false);
    settle(&url, "socket.io#/#public#", 1).await;

    // Restarted: every node subscribes again, rooms included, the deleted one not.
    drop(redis);
    redis = Redis::start(port);
    settle(&url, "socket.io#/#", 3).await;
    settle(&url, "socket.io#/#public#", 1).await;
    settle(&url, "socket.io#/#sid0123456789abcdefg#", 1).await;
    assert!(dynamic.connected());
    for a in [&dynamic, &private, &fixed] {
        a.close();
    }
    settle(&url, "socket.io#/#", 0).await;
    drop(redis);
}
