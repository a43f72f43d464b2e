//! The parsing edge: WeChat Pay v3 bodies in, [`crate::model`] out. WeChat's field names
//! appear here and nowhere else in the product.
//!
//! Each API's body is a set of serde structs named after WeChat's fields, read leniently
//! where real bodies need it ([`lenient`]) and strictly everywhere else: JSON syntax is never
//! repaired, and an error names the field's path. A list is read element by element, so one
//! coupon that cannot be read is reported and skipped without losing the page.

mod busifavor;
mod favor;
pub mod lenient;

pub use busifavor::{parse_merchant_coupon, parse_merchant_coupon_list};
pub use favor::{
    parse_claim_response, parse_stock, parse_stock_coupon, parse_stock_coupon_list,
    parse_stock_items, IssueRequest,
};

use crate::error::{from_json, from_value, Error, Result};
use crate::model::{Coupon, CouponState, Window};
use crate::time::BeijingTime;
use serde::de::DeserializeOwned;
use serde::Deserialize;

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

/// Both list APIs' envelope; `data`'s elements are read one by one.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Vec<serde_json::Value>>,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    total_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    offset: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    limit: Option<u64>,
}

/// Reads a list body whose elements are `W`, each turned into a coupon by `convert`.
fn parse_page<W: DeserializeOwned>(
    body: &[u8],
    convert: impl Fn(W) -> Result<Coupon>,
) -> Result<Page> {
    let envelope: Envelope = from_json(body)?;
    let mut coupons = Vec::new();
    let mut rejected = Vec::new();
    for (i, element) in envelope.data.unwrap_or_default().iter().enumerate() {
        match from_value::<W>(element).and_then(&convert) {
            Ok(c) => coupons.push(c),
            Err(e) => rejected.push(e.under(&format!("data[{i}]"))),
        }
    }
    let offset = envelope.offset.unwrap_or(0);
    let seen = (coupons.len() + rejected.len()) as u64;
    Ok(Page {
        total_count: envelope.total_count.unwrap_or(offset + seen),
        offset,
        limit: envelope.limit.unwrap_or(0),
        coupons,
        rejected,
    })
}

fn state(raw: Option<String>) -> CouponState {
    match raw.as_deref() {
        Some("SENDED") => CouponState::Available,
        Some("USED") => CouponState::Used,
        Some("EXPIRED") => CouponState::Expired,
        other => CouponState::Unknown(other.unwrap_or("").to_owned()),
    }
}

/// Keeps a URL only if it is plain `https` ([`crate::model::https_url`]).
fn https_url(url: Option<String>) -> Option<String> {
    url.and_then(|u| crate::model::https_url(&u).map(str::to_owned))
}

/// A time window from two optional ends (`end_field` names the end for an error); absent
/// when both are.
fn window(
    begin: Option<BeijingTime>,
    end: Option<BeijingTime>,
    end_field: &str,
) -> Result<Option<Window>> {
    if let (Some(b), Some(e)) = (begin, end) {
        if e < b {
            return Err(Error::field_error(end_field, "ends before it begins"));
        }
    }
    Ok((begin.is_some() || end.is_some()).then_some(Window { begin, end }))
}
