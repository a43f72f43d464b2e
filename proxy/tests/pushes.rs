//! An open use sheet's event stream: the coupon when the sheet connects, again as soon as a
//! notification says it was used (on any instance), then the end of the stream; refused when
//! turned off or full, and never in the way of a shutdown.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

const USER: &str = "o_sandbox_demo";
/// A 代金券: its use is reported by WeChat Pay's notification only.
const COUPON: &str = "SBXS000001";
const EVENTS: &str = "/coupons/stock/SBXS000001/events";

/// A proxy whose wallets stay cached for an hour (only a notification changes one), the
/// sandbox's notifications sent to it, and the demo user's session with the wallet listed.
async fn listed(adjust: impl FnOnce(&mut coupon_proxy::config::Settings)) -> (TestProxy, String) {
    let p = TestProxy::with(|s| {
        s.cache_ttl = Duration::from_secs(3_600);
        adjust(s);
    })
    .await;
    p.notify_me(0);
    let me = p.login(USER).await;
    assert_eq!(p.get(&me, "/coupons").await.0, 200);
    (p, me)
}

/// An event stream as a browser's EventSource reads it.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(p: &TestProxy, cookie: &str) -> Stream {
        let response = p.http.get(p.url(EVENTS)).header("cookie", cookie).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Stream { response, buffer: String::new() }
    }

    /// The next event's data as JSON; `None` once the stream has ended. Comments (keep-alives)
    /// are skipped. Panics after `wait` with no event.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        tokio::time::timeout(wait, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let event: String = self.buffer.drain(..end + 2).collect();
                    let data: Vec<&str> =
                        event.lines().filter_map(|l| l.strip_prefix("data:")).collect();
                    if !data.is_empty() {
                        return Some(serde_json::from_str(data.join("\n").trim()).unwrap());
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap()?;
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("an event or the end in time")
    }
}

fn state(event: &Value) -> &str {
    event["coupon"]["state"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_stream_sends_the_coupon_then_its_use_as_soon_as_the_notification_comes_then_ends() {
    let (p, me) = listed(|_| {}).await;
    let mut stream = Stream::open(&p, &me).await;
    let first = stream.next(Duration::from_secs(5)).await.expect("the coupon on connecting");
    assert_eq!((first["coupon"]["id"].as_str(), state(&first)), (Some(COUPON), "available"));
    assert!(p.sandbox().redeem(USER, COUPON), "the till redeems it");
    let used = stream.next(Duration::from_secs(2)).await.expect("the use, pushed");
    assert_eq!(state(&used), "used", "{used}");
    assert!(used["coupon"]["used_at"].is_string(), "with its time: {used}");
    assert_eq!(stream.next(Duration::from_secs(2)).await, None, "and the stream ends");
}

#[tokio::test]
async fn a_stream_without_a_session_or_for_a_malformed_coupon_is_refused() {
    let (p, me) = listed(|_| {}).await;
    let (status, body) = p.get("", EVENTS).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
    let (status, body) = p.get(&me, "/coupons/stock/..%2Fx/events").await;
    assert_eq!((status, code(&body)), (400, "INVALID_PARAMETER"));
}

#[tokio::test]
async fn with_push_updates_off_there_is_no_stream_and_the_sheet_polls() {
    let (p, me) = listed(|s| s.push_updates = false).await;
    let (status, body) = p.get(&me, EVENTS).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(p.get(&me, "/coupons/stock/SBXS000001").await.0, 200, "the detail still answers");
}

#[tokio::test]
async fn an_instance_holding_its_most_streams_refuses_the_next() {
    // Half of --max-connections: two streams.
    let (p, me) = listed(|s| s.max_connections = 4).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut s = Stream::open(&p, &me).await;
        s.next(Duration::from_secs(5)).await.expect("the coupon on connecting");
        open.push(s);
    }
    let (status, body) = p.get(&me, EVENTS).await;
    assert_eq!((status, code(&body)), (503, "UPSTREAM_BUSY"), "full: the sheet polls instead");
    drop(open.pop());
    // The freed place is given back once the server sees the connection gone.
    for _ in 0..50 {
        if p.running.app.pushes.open() < 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut again = Stream::open(&p, &me).await;
    again.next(Duration::from_secs(5)).await.expect("a stream again once one closed");
}

#[tokio::test]
async fn a_shutdown_ends_open_streams_rather_than_waiting_for_them() {
    let (p, me) = listed(|_| {}).await;
    let mut stream = Stream::open(&p, &me).await;
    stream.next(Duration::from_secs(5)).await.expect("the coupon on connecting");
    let TestProxy { running, .. } = p;
    tokio::time::timeout(Duration::from_secs(3), running.shutdown())
        .await
        .expect("the shutdown does not wait for the stream's five minutes");
    assert_eq!(stream.next(Duration::from_secs(2)).await, None, "the stream has ended");
}

/// Only on Redis (scripts/test.sh runs this suite again on one): a notification received by
/// one instance reaches a stream held by another.
#[tokio::test]
async fn on_redis_a_stream_on_one_instance_sees_a_notification_received_by_another() {
    if std::env::var("CW_TEST_REDIS_URL").is_err() {
        return;
    }
    let (a, me) = listed(|_| {}).await;
    let b = a.twin().await;
    let mut stream = Stream::open(&b, &me).await;
    assert_eq!(state(&stream.next(Duration::from_secs(5)).await.unwrap()), "available");
    assert!(a.sandbox().redeem(USER, COUPON), "notified to instance A");
    let used = stream.next(Duration::from_secs(2)).await.expect("pushed by instance B");
    assert_eq!(state(&used), "used");
}
