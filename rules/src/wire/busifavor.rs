//! 商家券 (busifavor): `GET /v3/marketing/busifavor/users/{openid}/coupons[/{code}/appids/{appid}]`.

use super::lenient::{self, WireFen};
use super::{https_url, parse_page, state, window, Page};
use crate::error::{from_json, Error, Result};
use crate::model::*;
use crate::palette;
use crate::time::{BeijingTime, Weekday};
use chrono::NaiveTime;
use serde::Deserialize;

/// Parses the 查询用户单张券详情 body (seed 001).
pub fn parse_merchant_coupon(body: &[u8]) -> Result<Coupon> {
    from_json::<WireCoupon>(body)?.into_coupon()
}

/// Parses the 根据过滤条件查询用户券 body (seed 003).
pub fn parse_merchant_coupon_list(body: &[u8]) -> Result<Page> {
    parse_page(body, WireCoupon::into_coupon)
}

#[derive(Deserialize)]
struct WireCoupon {
    #[serde(deserialize_with = "lenient::string")]
    coupon_code: String,
    #[serde(deserialize_with = "lenient::string")]
    stock_id: String,
    #[serde(deserialize_with = "lenient::string")]
    stock_name: String,
    #[serde(deserialize_with = "lenient::opt_enum")]
    stock_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_enum")]
    coupon_state: Option<String>,
    #[serde(default)]
    display_pattern_info: Option<DisplayPattern>,
    coupon_use_rule: UseRule,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    goods_name: Option<String>,
    #[serde(default)]
    custom_entrance: Option<Entrance>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    available_start_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    expire_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    receive_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    use_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    send_request_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    use_request_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    belong_merchant: Option<String>,
}

#[derive(Deserialize, Default)]
struct DisplayPattern {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    merchant_logo_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    merchant_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    background_color: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    coupon_image_url: Option<String>,
}

#[derive(Deserialize)]
struct UseRule {
    #[serde(default)]
    coupon_available_time: Option<AvailableTime>,
    #[serde(default)]
    fixed_normal_coupon: Option<FixedNormal>,
    #[serde(default)]
    discount_coupon: Option<DiscountRule>,
    #[serde(default)]
    exchange_coupon: Option<ExchangeRule>,
    #[serde(default, deserialize_with = "lenient::opt_enum")]
    use_method: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mini_programs_appid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mini_programs_path: Option<String>,
}

#[derive(Deserialize)]
struct FixedNormal {
    discount_amount: WireFen,
    transaction_minimum: WireFen,
}

#[derive(Deserialize)]
struct DiscountRule {
    #[serde(deserialize_with = "lenient::pay_percent")]
    discount_percent: u8,
    transaction_minimum: WireFen,
}

#[derive(Deserialize)]
struct ExchangeRule {
    exchange_price: WireFen,
    transaction_minimum: WireFen,
}

#[derive(Deserialize)]
struct AvailableTime {
    #[serde(default, deserialize_with = "lenient::opt_time")]
    available_begin_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    available_end_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_days")]
    available_day_after_receive: Option<u16>,
    #[serde(default)]
    available_week: Option<AvailableWeek>,
    /// WeChat spells it `irregulary_avaliable_time`; the correct spelling is read too.
    #[serde(default, alias = "irregulary_avaliable_time")]
    irregular_available_time: Option<Vec<Period>>,
}

#[derive(Deserialize)]
struct AvailableWeek {
    #[serde(default, deserialize_with = "lenient::week_days")]
    week_day: Vec<Weekday>,
    #[serde(default)]
    available_day_time: Option<Vec<DayTime>>,
}

#[derive(Deserialize)]
struct DayTime {
    #[serde(deserialize_with = "lenient::day_second")]
    begin_time: NaiveTime,
    #[serde(deserialize_with = "lenient::day_second")]
    end_time: NaiveTime,
}

#[derive(Deserialize)]
struct Period {
    #[serde(deserialize_with = "lenient::opt_time")]
    begin_time: Option<BeijingTime>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    end_time: Option<BeijingTime>,
}

#[derive(Deserialize)]
struct Entrance {
    #[serde(default)]
    mini_programs_info: Option<MiniProgramsInfo>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    appid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    hall_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    store_id: Option<String>,
}

#[derive(Deserialize)]
struct MiniProgramsInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mini_programs_appid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mini_programs_path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    entrance_words: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    guiding_words: Option<String>,
}

impl WireCoupon {
    fn into_coupon(self) -> Result<Coupon> {
        let kind = self.kind()?;
        let validity = self.validity()?;
        let use_method = match self.coupon_use_rule.use_method.as_deref() {
            Some("OFF_LINE") | None => UseMethod::Offline,
            Some("MINI_PROGRAMS") => UseMethod::MiniProgram {
                appid: self.coupon_use_rule.mini_programs_appid,
                path: self.coupon_use_rule.mini_programs_path,
            },
            Some("PAYMENT_CODE") => UseMethod::PaymentCode,
            Some("SELF_CONSUME" | "USER_SELF") => UseMethod::SelfConsume,
            Some(other) => UseMethod::Unknown { raw: other.to_owned() },
        };
        let display = self.display_pattern_info.unwrap_or_default();
        Ok(Coupon {
            id: self.coupon_code,
            source: Source::Merchant,
            stock_id: self.stock_id,
            name: self.stock_name,
            kind,
            state: state(self.coupon_state),
            merchant: Merchant {
                name: display.merchant_name,
                logo_url: https_url(display.merchant_logo_url),
            },
            background: palette::resolve(display.background_color.as_deref()).to_owned(),
            description: display.description,
            image_url: https_url(display.coupon_image_url),
            goods: self.goods_name,
            single_item: false,
            no_cash: false,
            validity,
            use_method,
            entrance: self.custom_entrance.map(Entrance::into_model),
            received_at: self.receive_time,
            used_at: self.use_time,
            goods_ids: Vec::new(),
            reconciliation: Reconciliation {
                send_request_no: self.send_request_no,
                use_request_no: self.use_request_no,
                belong_merchant: self.belong_merchant,
                ..Reconciliation::default()
            },
        })
    }

    fn kind(&self) -> Result<CouponKind> {
        let rule = &self.coupon_use_rule;
        let missing = |name: &str| {
            Error::field_error(format!("coupon_use_rule.{name}"), format!("missing field `{name}`"))
        };
        let Some(stock_type) = self.stock_type.clone() else {
            return Err(Error::field_error("stock_type", "missing field `stock_type`"));
        };
        Ok(match stock_type.as_str() {
            "NORMAL" => {
                let r = rule
                    .fixed_normal_coupon
                    .as_ref()
                    .ok_or_else(|| missing("fixed_normal_coupon"))?;
                CouponKind::FixedAmount {
                    amount: r.discount_amount.0,
                    threshold: r.transaction_minimum.0,
                }
            }
            "DISCOUNT" => {
                let r = rule.discount_coupon.as_ref().ok_or_else(|| missing("discount_coupon"))?;
                CouponKind::Discount {
                    pay_percent: r.discount_percent,
                    threshold: r.transaction_minimum.0,
                }
            }
            "EXCHANGE" => {
                let r = rule.exchange_coupon.as_ref().ok_or_else(|| missing("exchange_coupon"))?;
                CouponKind::Exchange {
                    price: r.exchange_price.0,
                    threshold: r.transaction_minimum.0,
                }
            }
            _ => CouponKind::Unknown { raw: stock_type },
        })
    }

    fn validity(&self) -> Result<Validity> {
        let mut v = Validity {
            coupon_window: window(self.available_start_time, self.expire_time, "expire_time")?,
            ..Validity::default()
        };
        let Some(t) = &self.coupon_use_rule.coupon_available_time else { return Ok(v) };
        let at = "coupon_use_rule.coupon_available_time";
        v.stock_window = window(
            t.available_begin_time,
            t.available_end_time,
            &format!("{at}.available_end_time"),
        )?;
        v.days_after_receive = t.available_day_after_receive;
        if let Some(week) = &t.available_week {
            let mut ranges = Vec::new();
            for (i, r) in week.available_day_time.iter().flatten().enumerate() {
                if r.end_time < r.begin_time {
                    return Err(Error::field_error(
                        format!("{at}.available_week.available_day_time[{i}].end_time"),
                        "ends before it begins",
                    ));
                }
                ranges.push(DayRange { begin: r.begin_time, end: r.end_time });
            }
            ranges.sort();
            v.weekly = Some(WeeklySlots { days: week.week_day.clone(), ranges });
        }
        for (i, p) in t.irregular_available_time.iter().flatten().enumerate() {
            let field = format!("{at}.irregular_available_time[{i}]");
            let w = window(p.begin_time, p.end_time, &format!("{field}.end_time"))?;
            v.irregular.push(w.ok_or_else(|| {
                Error::field_error(format!("{field}.begin_time"), "missing field `begin_time`")
            })?);
        }
        Ok(v)
    }
}

impl Entrance {
    fn into_model(self) -> CustomEntrance {
        CustomEntrance {
            mini_program: self.mini_programs_info.and_then(|m| {
                m.mini_programs_appid.map(|appid| MiniProgramEntrance {
                    appid,
                    path: m.mini_programs_path,
                    entrance_words: m.entrance_words,
                    guiding_words: m.guiding_words,
                })
            }),
            official_account_appid: self.appid,
            hall_id: self.hall_id,
            store_id: self.store_id,
        }
    }
}
