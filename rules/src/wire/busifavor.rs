//! 商家券 (busifavor): `GET /v3/marketing/busifavor/users/{openid}/coupons[/{code}/appids/{appid}]`.

use super::json::Obj;
use super::{fen, https_url, parse_page, state, window, Page};
use crate::error::{Error, Result};
use crate::model::*;
use crate::palette;
use crate::time::Weekday;

/// Parses the 查询用户单张券详情 body (seed 001).
pub fn parse_merchant_coupon(body: &[u8]) -> Result<Coupon> {
    let value = super::json::parse_body(body)?;
    coupon(&Obj::root(&value)?)
}

/// Parses the 根据过滤条件查询用户券 body (seed 003).
pub fn parse_merchant_coupon_list(body: &[u8]) -> Result<Page> {
    parse_page(body, coupon)
}

fn coupon(o: &Obj<'_>) -> Result<Coupon> {
    let rule = o.req_obj("coupon_use_rule")?;
    let display = o.opt_obj("display_pattern_info")?;
    let display_str = |key: &str| -> Result<Option<String>> { display.as_ref().map_or(Ok(None), |d| d.opt_str(key)) };
    let display_url = |key: &str| -> Result<Option<String>> { display.as_ref().map_or(Ok(None), |d| https_url(d, key)) };
    Ok(Coupon {
        id: o.req_str("coupon_code")?,
        source: Source::Merchant,
        stock_id: o.req_str("stock_id")?,
        name: o.req_str("stock_name")?,
        kind: kind(o, &rule)?,
        state: state(o.opt_enum("coupon_state")?),
        merchant: Merchant { name: display_str("merchant_name")?, logo_url: display_url("merchant_logo_url")? },
        background: palette::resolve(display_str("background_color")?.as_deref()).to_owned(),
        description: display_str("description")?,
        image_url: display_url("coupon_image_url")?,
        goods: o.opt_str("goods_name")?,
        single_item: false,
        no_cash: false,
        validity: validity(o, &rule)?,
        use_method: use_method(&rule)?,
        entrance: o.opt_obj("custom_entrance")?.map(|e| entrance(&e)).transpose()?,
        received_at: o.opt_time("receive_time")?,
        used_at: o.opt_time("use_time")?,
    })
}

fn kind(o: &Obj<'_>, rule: &Obj<'_>) -> Result<CouponKind> {
    let stock_type = o.opt_enum("stock_type")?.ok_or_else(|| Error::Missing { field: o.path_of("stock_type") })?;
    Ok(match stock_type.as_str() {
        "NORMAL" => {
            let r = rule.req_obj("fixed_normal_coupon")?;
            CouponKind::FixedAmount { amount: fen(&r, "discount_amount")?, threshold: fen(&r, "transaction_minimum")? }
        }
        "DISCOUNT" => {
            let r = rule.req_obj("discount_coupon")?;
            let percent = r.req_int("discount_percent")?;
            let pay_percent = u8::try_from(percent).ok().filter(|p| (1..=99).contains(p)).ok_or_else(|| Error::BadValue {
                field: r.path_of("discount_percent"),
                detail: format!("must be 1..=99, got {percent}"),
            })?;
            CouponKind::Discount { pay_percent, threshold: fen(&r, "transaction_minimum")? }
        }
        "EXCHANGE" => {
            let r = rule.req_obj("exchange_coupon")?;
            CouponKind::Exchange { price: fen(&r, "exchange_price")?, threshold: fen(&r, "transaction_minimum")? }
        }
        _ => CouponKind::Unknown { raw: stock_type },
    })
}

fn validity(o: &Obj<'_>, rule: &Obj<'_>) -> Result<Validity> {
    let mut v = Validity {
        coupon_window: window(o, "available_start_time", "expire_time")?,
        ..Validity::default()
    };
    let Some(t) = rule.opt_obj("coupon_available_time")? else { return Ok(v) };
    v.stock_window = window(&t, "available_begin_time", "available_end_time")?;
    if let Some(days) = t.opt_int("available_day_after_receive")? {
        let days = u16::try_from(days).ok().filter(|d| (1..=365).contains(d)).ok_or_else(|| Error::BadValue {
            field: t.path_of("available_day_after_receive"),
            detail: format!("must be 1..=365, got {days}"),
        })?;
        v.days_after_receive = Some(days);
    }
    if let Some(week) = t.opt_obj("available_week")? {
        v.weekly = Some(weekly(&week)?);
    }
    // WeChat's spelling; the correct one is read too in case they ever fix it.
    let irregular = match t.opt_array("irregulary_avaliable_time")? {
        items if items.is_empty() => t.opt_array("irregular_available_time")?,
        items => items,
    };
    for item in irregular {
        let p = item.obj()?;
        let w = window(&p, "begin_time", "end_time")?.ok_or_else(|| Error::Missing { field: p.path_of("begin_time") })?;
        v.irregular.push(w);
    }
    Ok(v)
}

fn weekly(week: &Obj<'_>) -> Result<WeeklySlots> {
    let mut days = Vec::new();
    for item in week.opt_array("week_day")? {
        let d = item.int()?;
        let d = u8::try_from(d).ok().filter(|d| *d <= 6).ok_or_else(|| Error::BadValue { field: item.path.clone(), detail: format!("weekday must be 0..=6, got {d}") })?;
        days.push(Weekday(d));
    }
    days.sort();
    days.dedup();
    let mut ranges = Vec::new();
    for item in week.opt_array("available_day_time")? {
        let r = item.obj()?;
        let second = |key: &str| -> Result<u32> {
            let s = r.req_int(key)?;
            u32::try_from(s).ok().filter(|s| *s <= 86_400).ok_or_else(|| Error::BadValue { field: r.path_of(key), detail: format!("must be 0..=86400 seconds, got {s}") })
        };
        let (begin, end) = (second("begin_time")?, second("end_time")?);
        if end < begin {
            return Err(Error::BadValue { field: r.path_of("end_time"), detail: "ends before it begins".into() });
        }
        ranges.push(DayRange { begin, end });
    }
    ranges.sort();
    Ok(WeeklySlots { days, ranges })
}

fn use_method(rule: &Obj<'_>) -> Result<UseMethod> {
    Ok(match rule.opt_enum("use_method")?.as_deref() {
        Some("OFF_LINE") | None => UseMethod::Offline,
        Some("MINI_PROGRAMS") => UseMethod::MiniProgram { appid: rule.opt_str("mini_programs_appid")?, path: rule.opt_str("mini_programs_path")? },
        Some("PAYMENT_CODE") => UseMethod::PaymentCode,
        Some("SELF_CONSUME" | "USER_SELF") => UseMethod::SelfConsume,
        Some(other) => UseMethod::Unknown { raw: other.to_owned() },
    })
}

fn entrance(e: &Obj<'_>) -> Result<CustomEntrance> {
    let mini_program = match e.opt_obj("mini_programs_info")? {
        Some(m) => m.opt_str("mini_programs_appid")?.map(|appid| -> Result<MiniProgramEntrance> {
            Ok(MiniProgramEntrance {
                appid,
                path: m.opt_str("mini_programs_path")?,
                entrance_words: m.opt_str("entrance_words")?,
                guiding_words: m.opt_str("guiding_words")?,
            })
        }).transpose()?,
        None => None,
    };
    Ok(CustomEntrance {
        mini_program,
        official_account_appid: e.opt_str("appid")?,
        hall_id: e.opt_str("hall_id")?,
        store_id: e.opt_str("store_id")?,
    })
}
