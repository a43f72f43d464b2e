//! The Redis store, shared by several proxy instances: one Redis (the `redis` crate's
//! multiplexed connection manager, which reconnects by itself when Redis comes back) or a Redis
//! Cluster (its cluster client, which follows `MOVED` and refreshes the slot map), found at
//! start-up; a timeout on every call, `rediss://` for TLS, a password in the URL.

use super::{Counts, PerMinute, Store, StoreError, StoreResult};
use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use std::sync::Arc;
use std::time::Duration;

pub struct RedisStore<C> {
    connection: C,
    timeout: Duration,
    /// Put before every key: several merchants (or test runs) can share one Redis.
    prefix: String,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// What `--redis-url` turned out to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    Standalone { version: String },
    Cluster { masters: u64 },
}

impl std::fmt::Display for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Topology::Standalone { version } => write!(f, "one Redis ({version})"),
            Topology::Cluster { masters } => write!(f, "a Redis Cluster of {masters} masters"),
        }
    }
}

async fn within<T>(
    timeout: Duration,
    what: &str,
    f: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> StoreResult<T> {
    tokio::time::timeout(timeout, f)
        .await
        .map_err(|_| StoreError(format!("Redis timed out {what}")))?
        .map_err(unavailable)
}

/// Connects to the Redis `urls` names (`redis://[:password@]host:port[/db]` or `rediss://…`;
/// for a cluster, one or more of its nodes, comma-separated) and says which topology it found.
/// Fails when Redis cannot be reached now; once connected, lost connections are re-established.
pub async fn connect(
    urls: &str,
    timeout: Duration,
    prefix: &str,
) -> StoreResult<(Arc<dyn Store>, Topology)> {
    if prefix.contains(['{', '}']) {
        return Err(StoreError("--redis-prefix cannot hold { or }: on a Redis Cluster it would become every key's hash tag".into()));
    }
    let seeds: Vec<&str> = urls.split(',').map(str::trim).filter(|u| !u.is_empty()).collect();
    let first =
        redis::Client::open(*seeds.first().ok_or_else(|| StoreError("no Redis address".into()))?)
            .map_err(unavailable)?;
    let mut probe =
        within(timeout * 2, "connecting", first.get_multiplexed_async_connection()).await?;
    let info: redis::InfoDict =
        within(timeout, "asking INFO", redis::cmd("INFO").arg("server").query_async(&mut probe))
            .await?;
    let version = info.get::<String>("redis_version").unwrap_or_else(|| "version unknown".into());
    match info.get::<String>("redis_mode").as_deref() {
        Some("cluster") => {
            let state: redis::InfoDict = within(timeout, "asking CLUSTER INFO", redis::cmd("CLUSTER").arg("INFO").query_async(&mut probe)).await?;
            if state.get::<String>("cluster_state").as_deref() != Some("ok") {
                return Err(StoreError("the Redis Cluster's cluster_state is not ok: every slot must be served".into()));
            }
            let client =
                redis::cluster::ClusterClient::builder(seeds).connection_timeout(timeout).response_timeout(timeout).retries(1).build().map_err(unavailable)?;
            let connection: ClusterConnection = within(timeout * 2, "connecting to the cluster", client.get_async_connection()).await?;
            let store = RedisStore { connection, timeout, prefix: prefix.to_owned() };
            Ok((Arc::new(store), Topology::Cluster { masters: state.get("cluster_size").unwrap_or(0) }))
        }
        Some("sentinel") => {
            Err(StoreError("--redis-url names a Redis Sentinel, not a Redis: give the master's address through a Sentinel-aware endpoint (README)".into()))
        }
        _ if seeds.len() > 1 => Err(StoreError("several --redis-url addresses are for a cluster's nodes, but the first is one Redis, not a cluster".into())),
        _ => {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(timeout)
                .set_response_timeout(timeout)
                .set_number_of_retries(1)
                .set_max_delay(1_000);
            let connection = within(timeout * 2, "connecting", ConnectionManager::new_with_config(first, config)).await?;
            let store = RedisStore { connection, timeout, prefix: prefix.to_owned() };
            Ok((Arc::new(store), Topology::Standalone { version }))
        }
    }
}

impl<C: ConnectionLike + Clone + Send + Sync> RedisStore<C> {
    fn k(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> StoreResult<T> {
        let mut c = self.connection.clone();
        within(self.timeout, "", cmd.query_async(&mut c)).await
    }

    async fn script<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> StoreResult<T> {
        let mut invocation = script.prepare_invoke();
        for k in keys {
            invocation.key(*k);
        }
        for a in args {
            invocation.arg(*a);
        }
        let mut c = self.connection.clone();
        within(self.timeout, "", invocation.invoke_async(&mut c)).await
    }
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait::async_trait]
impl<C: ConnectionLike + Clone + Send + Sync + 'static> Store for RedisStore<C> {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.run(redis::cmd("GET").arg(self.k(key))).await
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        self.run(redis::cmd("SET").arg(self.k(key)).arg(value).arg("PX").arg(millis(ttl))).await
    }

    async fn set_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        let answer: Option<String> = self
            .run(redis::cmd("SET").arg(self.k(key)).arg(value).arg("NX").arg("PX").arg(millis(ttl)))
            .await?;
        Ok(answer.is_some())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.run(redis::cmd("DEL").arg(self.k(key))).await
    }

    async fn delete_if_equal(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
        let script =
            SCRIPT.get_or_init(|| redis::Script::new("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"));
        let _: i64 = self.script(script, &[&self.k(key)], &[value]).await?;
        Ok(())
    }

    async fn count(&self, counter: &PerMinute) -> StoreResult<Counts> {
        Ok(self.get_all_and_count(&[], counter).await?.1)
    }

    async fn increment_below(
        &self,
        key: &str,
        ceiling: u64,
        window: Duration,
    ) -> StoreResult<Option<u64>> {
        // Read, compare and count in one script, so no refused caller is ever counted.
        static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
        let script = SCRIPT.get_or_init(|| {
            redis::Script::new("local n = tonumber(redis.call('GET', KEYS[1]) or '0') if n >= tonumber(ARGV[2]) then return -1 end n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n")
        });
        let n: i64 = self
            .script(
                script,
                &[&self.k(key)],
                &[millis(window).to_string().as_bytes(), ceiling.to_string().as_bytes()],
            )
            .await?;
        Ok(u64::try_from(n).ok())
    }

    async fn get_all_and_count(
        &self,
        keys: &[String],
        counter: &PerMinute,
    ) -> StoreResult<(Vec<Option<Vec<u8>>>, Counts)> {
        // One pipeline: MGET, INCR, the window set on the first count only (PEXPIRE … NX,
        // Redis 7), and GET of the minute before. No MULTI/EXEC: INCR is atomic by itself, and a
        // counter left without its expiry (a connection lost between the two) gets it from the
        // next request's PEXPIRE NX, and the transaction only cost throughput (BENCHMARKS.md). On
        // a cluster the keys share their user's hash tag (`store::user_tag`), so the pipeline is
        // one slot's.
        let current = self.k(&counter.current);
        let mut pipe = redis::pipe();
        if !keys.is_empty() {
            let mget = pipe.cmd("MGET");
            for k in keys {
                mget.arg(self.k(k));
            }
        }
        pipe.cmd("INCR")
            .arg(&current)
            .cmd("PEXPIRE")
            .arg(&current)
            .arg(millis(PerMinute::WINDOW))
            .arg("NX")
            .ignore()
            .cmd("GET")
            .arg(self.k(&counter.previous));
        let mut c = self.connection.clone();
        let (values, this_minute, last_minute): (Vec<Option<Vec<u8>>>, u64, Option<u64>) =
            if keys.is_empty() {
                let (n, last) = within(self.timeout, "", pipe.query_async(&mut c)).await?;
                (Vec::new(), n, last)
            } else {
                within(self.timeout, "", pipe.query_async(&mut c)).await?
            };
        if values.len() != keys.len() {
            return Err(StoreError(format!(
                "MGET of {} keys answered {} values",
                keys.len(),
                values.len()
            )));
        }
        Ok((values, Counts { this_minute, last_minute: last_minute.unwrap_or(0) }))
    }

    async fn ping(&self) -> StoreResult<()> {
        let _: String = self.run(&redis::cmd("PING")).await?;
        Ok(())
    }

    fn kind(&self) -> coupon_rules::api::StoreKind {
        coupon_rules::api::StoreKind::Redis
    }
}
