//! 代金券 and 消费金 (favor): `GET`/`POST /v3/marketing/favor/users/{openid}/coupons[/{coupon_id}]`,
//! and their stocks, `GET /v3/marketing/favor/stocks/{stock_id}[/items]`.

use super::lenient::{self, WireFen};
use super::{parse_page, state, window, Page};
use crate::error::{from_json, Error, Result};
use crate::model::*;
use crate::palette;
use crate::time::BeijingTime;
use serde::Deserialize;

/// Parses the 根据商户号查用户的券 body (seeds 000 and 002).
pub fn parse_stock_coupon_list(body: &[u8]) -> Result<Page> {
    parse_page(body, WireCoupon::into_coupon)
}

/// Parses the 查询代金券详情 body: one coupon, shaped as one entry of the list.
pub fn parse_stock_coupon(body: &[u8]) -> Result<Coupon> {
    from_json::<WireCoupon>(body)?.into_coupon()
}

/// The 发放代金券 request body (seed 002). `coupon_value` and `coupon_minimum` (fen) are
/// sent only for stocks whose value the merchant sets at issue time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssueRequest {
    pub stock_id: String,
    /// The merchant's idempotency key: the same key never issues a second coupon.
    pub out_request_no: String,
    pub appid: String,
    pub stock_creator_mchid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_value: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_minimum: Option<u64>,
}

/// Parses the 发放代金券 response: the id of the coupon just issued.
pub fn parse_claim_response(body: &[u8]) -> Result<String> {
    #[derive(Deserialize)]
    struct Issued {
        #[serde(deserialize_with = "lenient::string")]
        coupon_id: String,
    }
    Ok(from_json::<Issued>(body)?.coupon_id)
}

/// Parses the 查询批次详情 body (field names as wechatpay-go's `cashcoupons.Stock`).
pub fn parse_stock(body: &[u8]) -> Result<Stock> {
    #[derive(Deserialize)]
    struct WireStock {
        #[serde(deserialize_with = "lenient::string")]
        stock_id: String,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        stock_name: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_enum")]
        status: Option<String>,
        #[serde(default)]
        stock_use_rule: Option<UseRule>,
        #[serde(default, deserialize_with = "lenient::opt_count")]
        distributed_coupons: Option<u64>,
        #[serde(default, deserialize_with = "lenient::opt_time")]
        available_end_time: Option<BeijingTime>,
    }
    #[derive(Deserialize)]
    struct UseRule {
        #[serde(default, deserialize_with = "lenient::opt_count")]
        max_coupons: Option<u64>,
        #[serde(default, deserialize_with = "lenient::opt_count")]
        max_coupons_per_user: Option<u64>,
    }
    let w: WireStock = from_json(body)?;
    let rule =
        w.stock_use_rule.unwrap_or(UseRule { max_coupons: None, max_coupons_per_user: None });
    let state = match w.status.as_deref() {
        Some("RUNNING") => StockState::Running,
        Some("PAUSED") => StockState::Paused,
        // WeChat spells it `stoped`.
        Some("STOPED" | "STOPPED") => StockState::Stopped,
        Some("UNACTIVATED" | "AUDIT") => StockState::NotStarted,
        other => StockState::Unknown(other.unwrap_or("").to_owned()),
    };
    Ok(Stock {
        name: w.stock_name.unwrap_or_else(|| w.stock_id.clone()),
        stock_id: w.stock_id,
        state,
        remaining: rule
            .max_coupons
            .map(|max| max.saturating_sub(w.distributed_coupons.unwrap_or(0))),
        max_per_user: rule.max_coupons_per_user,
        ends: w.available_end_time,
    })
}

/// One page of 查询可用单品: the goods ids a 单品券 stock covers, and how many there are in all.
pub fn parse_stock_items(body: &[u8]) -> Result<(Vec<String>, u64)> {
    #[derive(Deserialize)]
    struct Items {
        #[serde(default)]
        data: Option<Vec<GoodsId>>,
        #[serde(default, deserialize_with = "lenient::opt_count")]
        total_count: Option<u64>,
    }
    #[derive(Deserialize)]
    struct GoodsId(#[serde(deserialize_with = "lenient::string")] String);
    let items: Items = from_json(body)?;
    let goods: Vec<String> = items.data.unwrap_or_default().into_iter().map(|g| g.0).collect();
    let total = items.total_count.unwrap_or(goods.len() as u64);
    Ok((goods, total))
}

#[derive(Deserialize)]
struct WireCoupon {
    #[serde(deserialize_with = "lenient::string")]
    coupon_id: String,
    #[serde(deserialize_with = "lenient::string")]
    stock_id: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    coupon_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_enum")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    create_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_enum")]
    coupon_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    no_cash: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    singleitem: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    available_begin_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    available_end_time: Option<BeijingTime>,
    #[serde(default)]
    normal_coupon_information: Option<NormalInformation>,
    #[serde(default)]
    cut_to_message: Option<CutToMessage>,
    #[serde(default)]
    available_balance: Option<WireFen>,
    #[serde(default, deserialize_with = "lenient::opt_enum")]
    business_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    stock_creator_mchid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    out_request_no: Option<String>,
    /// Present once the coupon is used (查询代金券详情, the `COUPON.USE` resource).
    #[serde(default)]
    consume_information: Option<ConsumeInformation>,
}

#[derive(Deserialize)]
struct ConsumeInformation {
    #[serde(default, deserialize_with = "lenient::opt_time")]
    consume_time: Option<BeijingTime>,
}

#[derive(Deserialize)]
struct NormalInformation {
    #[serde(default)]
    coupon_amount: Option<WireFen>,
    #[serde(default)]
    transaction_minimum: Option<WireFen>,
}

#[derive(Deserialize)]
struct CutToMessage {
    single_price_max: WireFen,
    cut_to_price: WireFen,
}

impl WireCoupon {
    fn into_coupon(self) -> Result<Coupon> {
        let kind = self.kind()?;
        let fallback_name =
            if matches!(kind, CouponKind::Balance { .. }) { "消费金" } else { "代金券" };
        Ok(Coupon {
            id: self.coupon_id,
            source: Source::Stock,
            stock_id: self.stock_id,
            name: self.coupon_name.unwrap_or_else(|| fallback_name.to_owned()),
            kind,
            state: state(self.status),
            merchant: Merchant::default(),
            background: palette::DEFAULT_BACKGROUND.to_owned(),
            description: self.description,
            image_url: None,
            goods: None,
            single_item: self.singleitem.unwrap_or(false),
            no_cash: self.no_cash.unwrap_or(false),
            validity: Validity {
                stock_window: window(
                    self.available_begin_time,
                    self.available_end_time,
                    "available_end_time",
                )?,
                ..Validity::default()
            },
            // A 代金券 applies by itself when the user pays the merchant with WeChat Pay.
            use_method: UseMethod::PaymentCode,
            entrance: None,
            received_at: self.create_time,
            used_at: self.consume_information.and_then(|c| c.consume_time),
            goods_ids: Vec::new(),
            reconciliation: Reconciliation {
                stock_creator_mchid: self.stock_creator_mchid,
                out_request_no: self.out_request_no,
                ..Reconciliation::default()
            },
        })
    }

    fn kind(&self) -> Result<CouponKind> {
        let threshold = self
            .normal_coupon_information
            .as_ref()
            .and_then(|n| n.transaction_minimum)
            .map_or(Default::default(), |t| t.0);
        if self.business_type.as_deref() == Some("MULTIUSE") {
            let balance = self.available_balance.ok_or_else(|| {
                Error::field_error("available_balance", "missing field `available_balance`")
            })?;
            return Ok(CouponKind::Balance { balance: balance.0 });
        }
        Ok(match self.coupon_type.as_deref() {
            Some("CUT_TO") => {
                let c = self.cut_to_message.as_ref().ok_or_else(|| {
                    Error::field_error("cut_to_message", "missing field `cut_to_message`")
                })?;
                CouponKind::CutTo {
                    price: c.cut_to_price.0,
                    max_item_price: c.single_price_max.0,
                    threshold,
                }
            }
            Some("NORMAL") | None => {
                let missing = |f: &str| {
                    Error::field_error(
                        f,
                        format!("missing field `{}`", f.rsplit('.').next().unwrap_or(f)),
                    )
                };
                let n = self
                    .normal_coupon_information
                    .as_ref()
                    .ok_or_else(|| missing("normal_coupon_information"))?;
                let amount = n
                    .coupon_amount
                    .ok_or_else(|| missing("normal_coupon_information.coupon_amount"))?;
                CouponKind::FixedAmount { amount: amount.0, threshold }
            }
            Some(other) => CouponKind::Unknown { raw: other.to_owned() },
        })
    }
}
