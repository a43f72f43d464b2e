//! The proxy's state in a real Redis (started here on a free loopback port, stopped at the
//! end): the store behaves as the in-memory one does (one suite, two stores), and several
//! instances on one Redis act as one proxy: sessions, rate limits, claims and the single
//! flight are shared, and a Redis outage is a 503, never a 500, until Redis is back.

mod common;
use common::{code, ids, TestProxy};
use coupon_proxy::MemoryStore;
use coupon_proxy::Topology;
use coupon_proxy::{key, Counts, PerMinute, Store};
use coupon_sandbox::Faults;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// redis-servers of our own on free loopback ports: one Redis, or a Redis Cluster of three
/// masters (each also needs its port + 10,000 free, for the cluster bus).
struct Redis {
    ports: Vec<u16>,
    /// The cluster nodes' working folder: their node files let them rejoin after a restart.
    dir: std::path::PathBuf,
    cluster: bool,
    /// Whether the cluster has been formed (its slots assigned), so that a restart waits for it.
    formed: bool,
    children: Vec<Child>,
}

fn free_port(cluster: bool) -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if !cluster
            || (port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok())
        {
            return port;
        }
    }
}

impl Redis {
    fn start() -> Redis {
        Redis::new(false, 1)
    }

    /// Three masters, every slot served, as `redis-cli --cluster create` makes them.
    fn cluster() -> Redis {
        let mut r = Redis::new(true, 3);
        let nodes: Vec<String> = r.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(created.success(), "redis-cli --cluster create");
        r.formed = true;
        r.wait_until_served();
        r
    }

    fn new(cluster: bool, nodes: usize) -> Redis {
        let dir = std::env::temp_dir().join(format!("cw-redis-{}", coupon_proxy::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut r = Redis {
            ports: (0..nodes).map(|_| free_port(cluster)).collect(),
            dir,
            cluster,
            formed: false,
            children: Vec::new(),
        };
        r.resume();
        r
    }

    /// The address the proxy is given: for a cluster, one node (the client finds the others).
    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.ports[0])
    }

    /// Starts (again) on the same ports, and waits until each answers.
    fn resume(&mut self) {
        for port in self.ports.clone() {
            let mut args: Vec<String> = [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
            .map(String::from)
            .into();
            if self.cluster {
                args.extend(
                    [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        &format!("nodes-{port}.conf"),
                    ]
                    .map(String::from),
                );
            }
            let child = Command::new("redis-server")
                .args(&args)
                .current_dir(&self.dir)
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server (scripts/bootstrap.sh installs it)");
            self.children.push(child);
            let up = (0..100).any(|_| {
                std::thread::sleep(Duration::from_millis(20));
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            assert!(up, "redis-server did not start");
        }
        if self.formed {
            self.wait_until_served();
        }
    }

    fn wait_until_served(&self) {
        let ok = |port: &u16| {
            let out = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "cluster", "info"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok")
        };
        for _ in 0..200 {
            if self.ports.iter().all(ok) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the cluster never served every slot");
    }

    fn stop(&mut self) {
        for mut c in self.children.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

async fn redis_store(r: &Redis) -> Arc<dyn Store> {
    coupon_proxy::connect_redis(&r.url(), Duration::from_millis(500), "").await.unwrap().0
}

/// The store's contract, whichever store it is.
async fn behaves_as_a_store(store: Arc<dyn Store>) {
    let k = key(&["test", &coupon_proxy::random_token()]);
    assert_eq!(store.get(&k).await.unwrap(), None);
    store.set(&k, b"v1".to_vec(), Duration::from_millis(300)).await.unwrap();
    assert_eq!(store.get(&k).await.unwrap().as_deref(), Some(&b"v1"[..]));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(store.get(&k).await.unwrap(), None, "expired");

    assert!(store.set_if_absent(&k, b"owner-a".to_vec(), Duration::from_secs(5)).await.unwrap());
    assert!(
        !store.set_if_absent(&k, b"owner-b".to_vec(), Duration::from_secs(5)).await.unwrap(),
        "single use"
    );
    store.delete_if_equal(&k, b"owner-b").await.unwrap();
    assert_eq!(
        store.get(&k).await.unwrap().as_deref(),
        Some(&b"owner-a"[..]),
        "only the owner releases"
    );
    store.delete_if_equal(&k, b"owner-a").await.unwrap();
    assert_eq!(store.get(&k).await.unwrap(), None);

    // A fixed instant, half a minute in (1.8e12 ms is a minute's turn), so no minute turns
    // during the test.
    let at = 1_800_000_030_000;
    let name = format!("{{{}}}", coupon_proxy::random_token());
    let counter = PerMinute::at(&["test-count", &name], at);
    let hits: Vec<_> = (0..100)
        .map(|_| {
            let (store, counter) = (store.clone(), counter.clone());
            tokio::spawn(async move { store.count(&counter).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for h in hits {
        let counts = h.await.unwrap();
        assert_eq!(counts.last_minute, 0);
        seen.push(counts.this_minute);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=100).collect::<Vec<u64>>(), "atomic: every count exactly once");
    let next = store.count(&PerMinute::at(&["test-count", &name], at + 60_000)).await.unwrap();
    assert_eq!(
        next,
        Counts { this_minute: 1, last_minute: 100 },
        "the next minute reads this one's count"
    );

    let capped = key(&["test-capped", &coupon_proxy::random_token()]);
    let tries: Vec<_> = (0..60)
        .map(|_| {
            let (store, capped) = (store.clone(), capped.clone());
            tokio::spawn(async move {
                store.increment_below(&capped, 40, Duration::from_secs(5)).await.unwrap()
            })
        })
        .collect();
    let mut counted = Vec::new();
    for t in tries {
        counted.extend(t.await.unwrap());
    }
    counted.sort_unstable();
    assert_eq!(counted, (1..=40).collect::<Vec<u64>>(), "counted up to the ceiling, once each");
    assert_eq!(
        store.increment_below(&capped, u64::MAX, Duration::from_secs(5)).await.unwrap(),
        Some(41),
        "the 20 refused were not counted"
    );
    store.ping().await.unwrap();
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_contract() {
    behaves_as_a_store(Arc::new(MemoryStore::new(1 << 20))).await;
}

#[tokio::test]
async fn the_redis_store_keeps_the_contract() {
    let r = Redis::start();
    behaves_as_a_store(redis_store(&r).await).await;
}

#[tokio::test]
async fn a_redis_cluster_keeps_the_contract() {
    let r = Redis::cluster();
    behaves_as_a_store(redis_store(&r).await).await;
}

#[tokio::test]
async fn the_topology_is_found_at_start_up() {
    let (one, cluster) = (Redis::start(), Redis::cluster());
    let topology = |url: String| async move {
        coupon_proxy::connect_redis(&url, Duration::from_millis(500), "").await.map(|(_, t)| t)
    };
    assert!(matches!(topology(one.url()).await, Ok(Topology::Standalone { .. })));
    assert_eq!(topology(cluster.url()).await, Ok(Topology::Cluster { masters: 3 }));
    let seeds =
        format!("redis://127.0.0.1:{}/,redis://127.0.0.1:{}/", cluster.ports[1], cluster.ports[2]);
    assert_eq!(topology(seeds).await, Ok(Topology::Cluster { masters: 3 }), "several seeds");
    let wrong = format!("{},{}", one.url(), cluster.url());
    assert!(topology(wrong).await.unwrap_err().0.contains("not a cluster"));
    let braces = coupon_proxy::connect_redis(&one.url(), Duration::from_millis(500), "shop{1}:")
        .await
        .err()
        .unwrap();
    assert!(braces.0.contains("hash tag"), "{braces:?}");
}

#[tokio::test]
async fn on_a_cluster_a_requests_reads_are_one_round_trip_because_a_users_keys_share_a_slot() {
    use coupon_proxy::user;
    let r = Redis::cluster();
    let store = redis_store(&r).await;
    // What a request reads (its session, its user's wallet version) and counts (its rate), as
    // session.rs and cache.rs name them: one pipeline, on one node.
    let id = format!("{{{}}}{}", coupon_proxy::user_tag("o_user"), coupon_proxy::random_token());
    let keys = [key(&["session", &id]), key(&["wallet-fresh", &user("o_user")])];
    store.set(&keys[1], b"7".to_vec(), Duration::from_secs(5)).await.unwrap();
    let rate = PerMinute::at(&["rate", &id], coupon_proxy::now().unix_millis());
    let (values, count) = store.get_all_and_count(&keys, &rate).await.unwrap();
    assert_eq!(
        (values, count),
        (vec![None, Some(b"7".to_vec())], Counts { this_minute: 1, last_minute: 0 })
    );
    // Untagged, the same keys fall in different slots and Redis refuses the read outright.
    let untagged = [key(&["session", "plain-id"]), key(&["wallet-fresh", "o_user"])];
    assert!(store
        .get_all_and_count(&untagged, &PerMinute::at(&["rate", "plain-id"], 0))
        .await
        .is_err());
}

/// Two proxies on one Redis and one sandbox: the common test proxy and its twin.
struct Pair {
    a: TestProxy,
    b: TestProxy,
}

async fn pair(redis: &Redis, adjust: impl Fn(&mut coupon_proxy::config::Settings)) -> Pair {
    let a = TestProxy::with(|s| {
        s.redis_url = Some(redis.url());
        adjust(s);
    })
    .await;
    let b = a.twin().await;
    Pair { a, b }
}

impl Pair {
    fn calls(&self) -> (u64, u64) {
        (self.a.calls("merchant_list"), self.a.calls("stock_list"))
    }
}

async fn a_session_made_on_one_instance_works_on_the_other_and_logout_ends_it_everywhere(r: Redis) {
    let p = pair(&r, |_| {}).await;
    let me = p.a.login("o_sandbox_demo").await;
    assert_eq!(p.b.get(&me, "/coupons").await.0, 200, "logged in on A, served by B");
    let (status, _) = p.b.post_with_csrf(&me, "/session/logout", &json!({})).await;
    assert!(status == 204 || status == 200, "{status}");
    let (status, body) = p.a.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "logged out on B, gone on A");
}

async fn a_rate_limit_counts_across_both_instances(r: Redis) {
    let p = pair(&r, |s| s.rate_limit_per_minute = 6).await;
    let me = p.a.login("o_sandbox_empty").await;
    for on in [&p.a, &p.b, &p.a, &p.b, &p.a, &p.b] {
        assert_eq!(on.get(&me, "/claimable").await.0, 200);
    }
    let (status, body) = p.a.get(&me, "/claimable").await;
    assert_eq!(
        (status, code(&body)),
        (429, "RATE_LIMITED"),
        "six requests in a minute, three on each"
    );
}

async fn a_cold_burst_across_both_instances_makes_one_upstream_fetch_per_query(r: Redis) {
    let p = pair(&r, |s| s.rate_limit_per_minute = u32::MAX).await;
    let me = p.a.login("o_sandbox_demo").await;
    let before = p.calls();
    let burst: Vec<_> = (0..100)
        .map(|i| {
            let (http, url, me) = (
                p.a.http.clone(),
                if i % 2 == 0 { &p.a } else { &p.b }.url("/coupons"),
                me.clone(),
            );
            tokio::spawn(async move {
                http.get(url).header("cookie", me).send().await.unwrap().status().as_u16()
            })
        })
        .collect();
    for b in burst {
        assert_eq!(b.await.unwrap(), 200);
    }
    let after = p.calls();
    assert_eq!(after.0 - before.0, 1, "one 商家券 list fetch for 100 requests on two instances");
    assert_eq!(after.1 - before.1, 6, "each 代金券/消费金 query of 可用 once (three each)");
}

async fn the_expired_part_read_on_one_instance_serves_the_other(r: Redis) {
    let p = pair(&r, |_| {}).await;
    let me = p.a.login("o_sandbox_demo").await;
    assert_eq!(p.a.get(&me, "/coupons").await.0, 200);
    let (_, on_a) = p.a.get(&me, "/coupons?tab=expired&limit=50").await;
    let after_a = p.calls();
    let (_, on_b) = p.b.get(&me, "/coupons?tab=expired&limit=50").await;
    assert_eq!(ids(&on_b), ids(&on_a), "B serves what A read");
    assert_eq!(on_b["counts"]["expired_pending"], false);
    assert_eq!(p.calls(), after_a, "and asks upstream nothing");
}

async fn a_claim_on_one_instance_shows_on_the_other_at_once_and_a_retry_there_issues_nothing_more(
    r: Redis,
) {
    let p = pair(&r, |s| s.upstream_timeout = Duration::from_millis(300)).await;
    let me = p.a.login("o_sandbox_empty").await;
    assert_eq!(p.b.get(&me, "/coupons").await.1["total"], 0, "B has cached the empty wallet");
    // The first try on A times out (WeChat Pay issues the coupon, the answer is lost) …
    p.a.faults(Faults { latency_ms: 1_000, ..Faults::default() });
    let claim = json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": "shared-key-0001" });
    let (status, _) = p.a.post_with_csrf(&me, "/claims", &claim).await;
    assert_eq!(status, 504, "timed out");
    p.a.faults(Faults::default());
    // … and the retry goes to B: the same intended claim, no second coupon.
    let (status, body) = p.b.post_with_csrf(&me, "/claims", &claim).await;
    assert_eq!(status, 200, "{body}");
    let (_, wallet) = p.a.get(&me, "/coupons").await;
    assert_eq!(wallet["total"], 1, "exactly one coupon, shown by A at once: {wallet}");
    let (_, wallet) = p.b.get(&me, "/coupons").await;
    assert_eq!(wallet["total"], 1);
}

async fn a_redis_outage_is_a_503_never_a_500_and_the_instances_recover_by_themselves(mut r: Redis) {
    let p = pair(&r, |_| {}).await;
    let me = p.a.login("o_sandbox_demo").await;
    assert_eq!(p.b.get(&me, "/coupons").await.0, 200);
    r.stop();
    for on in [&p.a, &p.b] {
        let (status, body) = on.get(&me, "/coupons").await;
        assert_eq!((status, code(&body)), (503, "SERVICE_UNAVAILABLE"), "{body}");
        assert_eq!(body["error"]["retryable"], true);
        let health: Value =
            on.http.get(on.url("/health")).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            (health["status"].as_str(), health["store"]["available"].as_bool()),
            (Some("degraded"), Some(false))
        );
    }
    r.resume();
    // Sessions lived only in Redis (no persistence): a new login, then everything works again.
    for on in [&p.a, &p.b] {
        let mut recovered = false;
        for _ in 0..100 {
            let health: Value =
                on.http.get(on.url("/health")).send().await.unwrap().json().await.unwrap();
            if health["status"] == "ok" {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(recovered, "each instance's connection comes back without a restart");
    }
    let me = p.a.login("o_sandbox_demo").await;
    assert_eq!(p.b.get(&me, "/coupons").await.0, 200);
}

/// Each two-instance scenario above, on one Redis and on a Redis Cluster of three masters.
async fn a_notification_to_one_instance_is_acted_on_once_for_both(r: Redis) {
    let p = pair(&r, |s| s.cache_ttl = Duration::from_secs(3_600)).await;
    let me = p.a.login("o_sandbox_demo").await;
    assert_eq!(p.b.get(&me, "/coupons").await.0, 200, "both instances have the wallet cached");
    assert!(p.a.sandbox().redeem("o_sandbox_demo", "SBXS000001"), "used at the till");
    let resource = serde_json::json!({ "coupon_id": "SBXS000001", "stock_id": "SBX_FV_NORMAL" });
    let notification = p.a.sandbox().notification(
        coupon_wechatpay::notification::COUPON_USE,
        &resource,
        coupon_sandbox::notify::Spoil::default(),
    );
    assert_eq!(p.a.deliver(&notification).await, 204);
    let (_, used) = p.b.get(&me, "/coupons?tab=used&limit=50").await;
    assert!(ids(&used).contains(&"SBXS000001".to_owned()), "A's notification reaches B: {used}");
    // WeChat's retry of the same notification, arriving at the other instance.
    assert_eq!(p.b.deliver(&notification).await, 204);
    let calls = p.a.calls("stock_list");
    p.a.get(&me, "/coupons").await;
    assert_eq!(p.a.calls("stock_list"), calls, "the retry is known on B: no second fetch");
}

macro_rules! on_one_redis_and_on_a_cluster {
    ($($scenario:ident),* $(,)?) => {
        mod one_redis {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Redis::start()).await
            })*
        }
        mod cluster {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Redis::cluster()).await
            })*
        }
    };
}

on_one_redis_and_on_a_cluster!(
    a_session_made_on_one_instance_works_on_the_other_and_logout_ends_it_everywhere,
    a_rate_limit_counts_across_both_instances,
    a_cold_burst_across_both_instances_makes_one_upstream_fetch_per_query,
    the_expired_part_read_on_one_instance_serves_the_other,
    a_claim_on_one_instance_shows_on_the_other_at_once_and_a_retry_there_issues_nothing_more,
    a_redis_outage_is_a_503_never_a_500_and_the_instances_recover_by_themselves,
    a_notification_to_one_instance_is_acted_on_once_for_both,
);
