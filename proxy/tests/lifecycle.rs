//! The proxy as an operator runs it: `--help`, and a graceful shutdown that lets requests in
//! flight finish.

mod common;
use common::*;
use coupon_sandbox::Faults;

#[test]
fn help_explains_every_option() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coupon-proxy"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--config",
        "--listen",
        "--mode",
        "--upstream",
        "--mchid",
        "--appid",
        "--merchant-serial",
        "--merchant-key-file",
        "--platform-key-file",
        "--platform-serial",
        "--app-secret",
        "--session-secret",
        "--allowed-origin",
        "--claimable-stock",
        "--static-dir",
        "--upstream-timeout-ms",
        "--cache-ttl-secs",
        "--stale-ttl-secs",
        "--session-ttl-secs",
        "--rate-limit-per-minute",
        "--oauth-api",
        "COUPON_PROXY_MCHID",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_lets_a_request_in_flight_finish() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { latency_ms: 400, ..Faults::default() });
    let (http, url) = (p.http.clone(), p.url("/coupons"));
    let in_flight = tokio::spawn(async move {
        http.get(url).header("cookie", me).send().await.map(|r| r.status().as_u16())
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let addr = p.running.addr;
    p.running.shutdown().await;
    assert_eq!(in_flight.await.unwrap().unwrap(), 200, "the request in flight completed");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "and nothing new is accepted");
}
