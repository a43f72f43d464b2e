//! The parsing edge: WeChat Pay v3 bodies in, [`crate::model`] out. WeChat's field names
//! appear here and nowhere else in the product.

mod busifavor;
mod favor;
pub mod json;

pub use busifavor::{parse_merchant_coupon, parse_merchant_coupon_list};
pub use favor::{parse_claim_response, parse_stock_coupon_list};

use crate::error::{Error, Result};
use crate::model::{Coupon, Window};
use json::Obj;

/// One page of a list call, as both list APIs return it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub coupons: Vec<Coupon>,
    pub total_count: u64,
    pub offset: u64,
    pub limit: u64,
    /// Elements of `data` that could not be read; the rest of the page is still served.
    pub rejected: Vec<Error>,
}

fn parse_page(body: &[u8], item: impl Fn(&Obj<'_>) -> Result<Coupon>) -> Result<Page> {
    let value = json::parse_body(body)?;
    let root = Obj::root(&value)?;
    let mut coupons = Vec::new();
    let mut rejected = Vec::new();
    for element in root.opt_array("data")? {
        match element.obj().and_then(|o| item(&o)) {
            Ok(c) => coupons.push(c),
            Err(e) => rejected.push(e),
        }
    }
    let count = |key: &str, default: u64| -> Result<u64> {
        match root.opt_int(key)? {
            None => Ok(default),
            Some(n) => u64::try_from(n).map_err(|_| Error::BadValue { field: key.into(), detail: format!("negative: {n}") }),
        }
    };
    let offset = count("offset", 0)?;
    let limit = count("limit", 0)?;
    let seen = (coupons.len() + rejected.len()) as u64;
    let total_count = count("total_count", offset + seen)?;
    Ok(Page { coupons, total_count, offset, limit, rejected })
}

/// The largest amount accepted from upstream (¥1 billion); larger is an error, not a wrap.
const MAX_FEN: i64 = 100_000_000_000;

fn fen(obj: &Obj<'_>, key: &str) -> Result<crate::money::Fen> {
    let v = obj.req_int(key)?;
    if !(0..=MAX_FEN).contains(&v) {
        return Err(Error::BadValue { field: obj.path_of(key), detail: format!("amount out of range: {v}") });
    }
    Ok(crate::money::Fen(v))
}

fn opt_fen(obj: &Obj<'_>, key: &str) -> Result<Option<crate::money::Fen>> {
    if obj.opt_int(key)?.is_none() {
        return Ok(None);
    }
    fen(obj, key).map(Some)
}

/// Keeps a URL only if it is plain `https` ([`crate::model::https_url`]).
fn https_url(obj: &Obj<'_>, key: &str) -> Result<Option<String>> {
    Ok(obj.opt_str(key)?.and_then(|u| crate::model::https_url(&u).map(str::to_owned)))
}

fn state(raw: Option<String>) -> crate::model::CouponState {
    use crate::model::CouponState;
    match raw.as_deref() {
        Some("SENDED") => CouponState::Available,
        Some("USED") => CouponState::Used,
        Some("EXPIRED") => CouponState::Expired,
        other => CouponState::Unknown(other.unwrap_or("").to_owned()),
    }
}

/// A time window from two optional fields; absent when both are.
pub(super) fn window(o: &Obj<'_>, begin: &str, end: &str) -> Result<Option<Window>> {
    let w = Window { begin: o.opt_time(begin)?, end: o.opt_time(end)? };
    if let (Some(b), Some(e)) = (w.begin, w.end) {
        if e < b {
            return Err(Error::BadValue { field: o.path_of(end), detail: "ends before it begins".into() });
        }
    }
    Ok((w.begin.is_some() || w.end.is_some()).then_some(w))
}

