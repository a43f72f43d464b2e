//! Sandbox mode's wiring (the `sandbox` feature only): starts the `coupon-sandbox` upstream on
//! a loopback port and describes it as the [`DevUpstream`] sandbox mode runs against. Nothing
//! else in the proxy knows the sandbox; a production build does not contain this module.

use crate::config::{DevUpstream, MerchantIdentity, StartError};
use coupon_rules::api::DevUser;
use coupon_sandbox::{identity as id, Sandbox, SharedSandbox};
use std::net::SocketAddr;

/// Starts the sandbox with its data set on `addr` (port 0: any) and returns it with its
/// description for [`crate::config::Settings::resolve`].
pub async fn spawn_sandbox(addr: SocketAddr) -> Result<(DevUpstream, SharedSandbox), String> {
    let sandbox = Sandbox::new(coupon_sandbox::DATA)?;
    let bound = coupon_sandbox::spawn(sandbox.clone(), addr)
        .await
        .map_err(|e| format!("sandbox bind: {e}"))?;
    Ok((upstream(&format!("http://{bound}"), &sandbox), sandbox))
}

/// The sandbox at `base` as sandbox mode uses it.
pub fn upstream(base: &str, sandbox: &Sandbox) -> DevUpstream {
    DevUpstream {
        base: base.to_owned(),
        identity: MerchantIdentity {
            mchid: id::MCHID.into(),
            appid: id::APPID.into(),
            merchant_serial: id::MERCHANT_SERIAL.into(),
            merchant_key_pem: id::MERCHANT_KEY.into(),
        },
        public_key_pem: id::PLATFORM_PUBLIC.into(),
        public_key_id: id::PLATFORM_SERIAL.into(),
        apiv3_key: id::APIV3_KEY.into(),
        session_secret: id::SESSION_SECRET.into(),
        users: sandbox.users().into_iter().map(|(user, label)| DevUser { user, label }).collect(),
        claimable_stocks: coupon_sandbox::claimable_stocks(),
        partner_mchids: coupon_sandbox::PARTNER_MCHIDS.iter().map(|m| (*m).to_owned()).collect(),
    }
}

/// Points the sandbox's notifications (a 代金券's 核销) at the proxy serving on `addr`, as a
/// merchant registers its URL with WeChat Pay's callback APIs.
pub fn notify(sandbox: &SharedSandbox, addr: SocketAddr) {
    sandbox.set_notify_target(Some(notify_target(addr)));
}

/// The proxy on `addr` as the sandbox's notification target: each delivered once, retried 3 times.
pub fn notify_target(addr: SocketAddr) -> coupon_sandbox::notify::NotifyTarget {
    coupon_sandbox::notify::NotifyTarget {
        url: format!("http://{addr}/api/v1/wechatpay/notifications"),
        duplicates: 0,
        retries: 3,
    }
}

/// Sandbox-mode settings with a fresh sandbox on a loopback port (for the tests, the
/// end-to-end suite and the benchmarks): the settings and the sandbox, whose fault knobs and
/// statistics the caller may use.
pub async fn sandbox_settings() -> Result<(crate::config::Settings, SharedSandbox), StartError> {
    let (dev, sandbox) =
        spawn_sandbox(SocketAddr::from(([127, 0, 0, 1], 0))).await.map_err(StartError::Sandbox)?;
    let settings = crate::config::Settings::resolve(crate::config::Options::default(), Some(dev))?;
    Ok((settings, sandbox))
}
