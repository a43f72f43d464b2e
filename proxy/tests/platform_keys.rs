//! A year of WeChat Pay's keys, against the sandbox over real HTTP: a certificate rotation
//! mid-run, the switch to the WeChat Pay public key, unsigned refusals, probe signatures, and
//! the backup domain.

mod common;
use common::*;
use coupon_sandbox::{identity as id, Faults, KeyMode, PlatformState, Rotation};
use coupon_wechatpay::{Certificate, KeySet, PublicKey};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Every wallet read goes upstream, and a failure is never hidden by a stale copy.
fn uncached(s: &mut coupon_proxy::config::Settings) {
    s.cache_ttl = Duration::ZERO;
    s.stale_ttl = Duration::ZERO;
}

/// A wallet read that must have been served whole.
async fn read_whole_wallet(p: &TestProxy, me: &str) -> Result<(), String> {
    let (status, body) = p.get(me, "/coupons").await;
    let whole = status == 200 && body["missing"].as_array().is_some_and(Vec::is_empty);
    if whole {
        Ok(())
    } else {
        Err(format!("{status} {body}"))
    }
}

fn platform(mode: KeyMode, rotation: Rotation) -> PlatformState {
    PlatformState { mode, rotation }
}

fn public_key() -> (String, PublicKey) {
    (id::PLATFORM_SERIAL.to_owned(), PublicKey::from_pem(id::PLATFORM_PUBLIC).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_rotation_mid_run_is_survived_with_no_failed_request_and_no_restart() {
    // A merchant on certificates who gave only the APIv3 key: the first download is trusted
    // through the AEAD.
    let p = TestProxy::with(|s| {
        uncached(s);
        s.platform_keys = KeySet::default();
    })
    .await;
    p.sandbox().set_platform(platform(KeyMode::Certificates, Rotation::Before));
    let upstream = &p.running.app.upstream;
    assert_eq!(
        upstream.platform().preferred_serial().as_deref(),
        Some(id::PLATFORM_CERT_SERIALS[0])
    );
    let me = p.login("o_sandbox_demo").await;

    let p = Arc::new(p);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (p, me, stop) = (p.clone(), me.clone(), stop.clone());
        tokio::spawn(async move {
            let mut results = Vec::new();
            while !stop.load(Relaxed) {
                results.push(read_whole_wallet(&p, &me).await);
            }
            results
        })
    };
    for rotation in [Rotation::Listed, Rotation::Switched, Rotation::Retired] {
        tokio::time::sleep(Duration::from_millis(300)).await;
        p.sandbox().set_platform(platform(KeyMode::Certificates, rotation));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Relaxed);
    let results = reader.await.unwrap();
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{} of {} reads failed: {failed:?}", failed.len(), results.len());
    assert!(results.len() >= 8, "the reads ran through every stage: {}", results.len());
    // The successor is held and preferred, so the retired serial is never named again.
    assert_eq!(
        p.running.app.upstream.platform().preferred_serial().as_deref(),
        Some(id::PLATFORM_CERT_SERIALS[1])
    );
    read_whole_wallet(&p, &me).await.unwrap();
    assert_eq!(
        p.sandbox().stats().certificates.load(Relaxed),
        2,
        "the start-up download, then one for the new serial"
    );
}

#[tokio::test]
async fn a_migrating_merchant_with_certificate_and_public_key_gets_every_answer_verified() {
    let cert_pem =
        coupon_sandbox::Sandbox::new(coupon_sandbox::DATA).unwrap().certificate_pem(0).to_owned();
    let p = TestProxy::with(|s| {
        uncached(s);
        let mut keys = KeySet::default();
        let (id, key) = public_key();
        keys.set_public_key(&id, key);
        keys.add_certificate(Certificate::from_pem(&cert_pem).unwrap());
        s.platform_keys = keys;
        // No download to fall back on: every answer must verify with what is configured.
        s.apiv3_key = None;
    })
    .await;
    p.sandbox().set_platform(platform(KeyMode::Switching, Rotation::Before));
    let me = p.login("o_sandbox_demo").await;
    for _ in 0..3 {
        read_whole_wallet(&p, &me).await.unwrap();
    }
    assert_eq!(
        p.running.app.upstream.platform().preferred_serial().as_deref(),
        Some(id::PLATFORM_SERIAL),
        "the public key is named"
    );
}

#[tokio::test]
async fn a_merchant_with_the_public_key_alone_is_verified_while_switching_and_after() {
    let p = TestProxy::with(|s| {
        uncached(s);
        let mut keys = KeySet::default();
        let (id, key) = public_key();
        keys.set_public_key(&id, key);
        s.platform_keys = keys;
        s.apiv3_key = None;
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    // Switching: WeChat signs with the public key only because the request names it.
    p.sandbox().set_platform(platform(KeyMode::Switching, Rotation::Before));
    read_whole_wallet(&p, &me).await.unwrap();
    p.sandbox().set_platform(platform(KeyMode::PublicKey, Rotation::Before));
    read_whole_wallet(&p, &me).await.unwrap();
}

#[tokio::test]
async fn a_merchant_on_the_public_key_only_starts_though_the_certificate_download_is_404() {
    let sandbox_start = PlatformState { mode: KeyMode::PublicKey, rotation: Rotation::Before };
    let (mut s, sandbox) = coupon_proxy::dev::sandbox_settings().await.unwrap();
    sandbox.set_platform(sandbox_start);
    s.listen = "127.0.0.1:0".parse().unwrap();
    s.static_dir = std::env::temp_dir();
    let running =
        coupon_proxy::start(s).await.expect("the 404 means public key only, not a failure");
    assert_eq!(
        running.app.upstream.platform().preferred_serial().as_deref(),
        Some(id::PLATFORM_SERIAL)
    );
    assert_eq!(sandbox.stats().certificates.load(Relaxed), 1);
    running.shutdown().await;
}

/// The log lines of every test in this file.
fn captured_logs() -> CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .init();
        logs
    })
    .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_merchant_key_is_wechats_sign_error_with_its_request_id_logged_not_a_bad_signature()
{
    let logs = captured_logs();
    let p = TestProxy::with(|s| {
        uncached(s);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        s.identity.merchant_key_pem = id::PLATFORM_KEY.into(); // a real RSA key, not the merchant's
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (502, "UPSTREAM_REJECTED"), "{body}");
    assert_eq!(body["error"]["upstream_code"], "SIGN_ERROR");
    assert_eq!(body["error"]["retryable"], false);

    let metrics = p.metrics().await;
    assert!(metrics.contains("outcome=\"unsigned_SIGN_ERROR\""), "{metrics}");
    let logs = logs.text();
    let failure = logs
        .lines()
        .find(|l| l.contains("upstream call failed") && l.contains("SIGN_ERROR"))
        .unwrap_or_else(|| panic!("no failure logged:\n{logs}"));
    let field = failure
        .split("wechatpay_request_id=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default();
    let request_id = field.trim_matches('"');
    assert_eq!(request_id.len(), 32, "WeChat's Request-ID is logged: {failure}");
    assert!(!failure.contains("unverifiable") && !failure.contains("bad_signature"), "{failure}");
}

#[tokio::test]
async fn a_probe_signature_is_refused_labelled_as_a_probe_and_the_call_retried() {
    let p = TestProxy::with(|s| {
        uncached(s);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { probe_signature: 1, ..Faults::default() });
    read_whole_wallet(&p, &me).await.expect("the probe answer is refused, the retry's believed");
    let metrics = p.metrics().await;
    assert!(metrics.contains("outcome=\"probe_signature\""), "{metrics}");

    p.faults(Faults { probe_signature: 100, ..Faults::default() });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!(
        (status, code(&body)),
        (502, "UPSTREAM_BAD_RESPONSE"),
        "probes only: nothing is believed"
    );
}

#[tokio::test]
async fn an_unreachable_primary_is_retried_once_on_the_backup_domain() {
    let p = TestProxy::with(|s| {
        uncached(s);
        s.upstream_backup = s.upstream.take();
        s.upstream = Some("http://127.0.0.1:9".into()); // nothing listens there
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    read_whole_wallet(&p, &me).await.unwrap();
}

#[tokio::test]
async fn held_certificates_report_their_remaining_life_in_the_metrics() {
    let p = TestProxy::with(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics = p.metrics().await;
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("cw_platform_certificate_expiry_seconds")
                && l.contains(id::PLATFORM_CERT_SERIALS[0])
        })
        .unwrap_or_else(|| panic!("{metrics}"));
    let seconds: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        (199.0 * 86_400.0..=200.0 * 86_400.0).contains(&seconds),
        "the sandbox's first certificate has 200 days left: {line}"
    );
}
