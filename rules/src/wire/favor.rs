//! 代金券 and 消费金 (favor): `GET`/`POST /v3/marketing/favor/users/{openid}/coupons`.

use super::json::Obj;
use super::{fen, opt_fen, parse_page, state, window, Page};
use crate::error::{Error, Result};
use crate::model::*;
use crate::palette;

/// Parses the 根据商户号查用户的券 body (seeds 000 and 002).
pub fn parse_stock_coupon_list(body: &[u8]) -> Result<Page> {
    parse_page(body, coupon)
}

/// Parses the 发放代金券 response: the id of the coupon just issued.
pub fn parse_claim_response(body: &[u8]) -> Result<String> {
    let value = super::json::parse_body(body)?;
    Obj::root(&value)?.req_str("coupon_id")
}

fn coupon(o: &Obj<'_>) -> Result<Coupon> {
    let id = o.req_str("coupon_id")?;
    let kind = kind(o)?;
    let fallback_name = if matches!(kind, CouponKind::Balance { .. }) { "消费金" } else { "代金券" };
    Ok(Coupon {
        id,
        source: Source::Stock,
        stock_id: o.req_str("stock_id")?,
        name: o.opt_str("coupon_name")?.unwrap_or_else(|| fallback_name.to_owned()),
        kind,
        state: state(o.opt_enum("status")?),
        merchant: Merchant::default(),
        background: palette::DEFAULT_BACKGROUND.to_owned(),
        description: o.opt_str("description")?,
        image_url: None,
        goods: None,
        single_item: o.opt_bool("singleitem")?.unwrap_or(false),
        no_cash: o.opt_bool("no_cash")?.unwrap_or(false),
        validity: Validity {
            stock_window: window(o, "available_begin_time", "available_end_time")?,
            ..Validity::default()
        },
        // A 代金券 applies by itself when the user pays the merchant with WeChat Pay.
        use_method: UseMethod::PaymentCode,
        entrance: None,
        received_at: o.opt_time("create_time")?,
        used_at: None,
    })
}

fn kind(o: &Obj<'_>) -> Result<CouponKind> {
    let normal = o.opt_obj("normal_coupon_information")?;
    let threshold = match &normal {
        Some(n) => opt_fen(n, "transaction_minimum")?.unwrap_or_default(),
        None => Default::default(),
    };
    if o.opt_enum("business_type")?.as_deref() == Some("MULTIUSE") {
        return Ok(CouponKind::Balance { balance: fen(o, "available_balance")? });
    }
    Ok(match o.opt_enum("coupon_type")?.as_deref() {
        Some("CUT_TO") => {
            let c = o.req_obj("cut_to_message")?;
            CouponKind::CutTo { price: fen(&c, "cut_to_price")?, max_item_price: fen(&c, "single_price_max")?, threshold }
        }
        Some("NORMAL") | None => {
            let n = normal.ok_or_else(|| Error::Missing { field: o.path_of("normal_coupon_information") })?;
            CouponKind::FixedAmount { amount: fen(&n, "coupon_amount")?, threshold }
        }
        Some(other) => CouponKind::Unknown { raw: other.to_owned() },
    })
}
