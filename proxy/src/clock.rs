//! The one clock the proxy reads: Beijing time, as the rules engine evaluates coupons in it.

/// Now, in Beijing time.
pub fn now() -> coupon_rules::BeijingTime {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    coupon_rules::BeijingTime::from_unix_millis(ms)
}
