//! Human text for every rule, in zh-CN (the default) and English. The widget shows these
//! strings as they are, so a rule is worded in exactly one place.

use crate::api::ErrorCode;
use crate::discount::Reason;
use crate::model::{Coupon, CouponKind, WeeklySlots, Window};
use crate::money::Fen;
use crate::time::{hh_mm, BeijingTime, Weekday};
use crate::validity::{span, Availability};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    #[default]
    #[serde(alias = "zh", alias = "zh-cn")]
    ZhCn,
    En,
}

impl Lang {
    /// Reads a locale tag (`zh-CN`, `en-US`, `en`); anything not English is Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    pub(crate) fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }
}

/// The headline value: ¥5 / 8.8折 / 换购价¥1 / 减至¥0.80 / 余额¥100.
pub fn value(kind: &CouponKind, lang: Lang) -> String {
    match (kind, lang) {
        (CouponKind::FixedAmount { amount, .. }, _) => amount.to_string(),
        (CouponKind::Discount { pay_percent, .. }, Lang::ZhCn) => {
            format!("{}折", tenths(*pay_percent))
        }
        (CouponKind::Discount { pay_percent, .. }, Lang::En) => {
            format!("{}% off", 100 - u32::from(*pay_percent).min(100))
        }
        (CouponKind::Exchange { price, .. }, Lang::ZhCn) => format!("换购价{price}"),
        (CouponKind::Exchange { price, .. }, Lang::En) => format!("Buy for {price}"),
        (CouponKind::CutTo { price, .. }, Lang::ZhCn) => format!("减至{price}"),
        (CouponKind::CutTo { price, .. }, Lang::En) => format!("Now {price}"),
        (CouponKind::Balance { balance }, Lang::ZhCn) => format!("余额{balance}"),
        (CouponKind::Balance { balance }, Lang::En) => format!("Balance {balance}"),
        (CouponKind::Unknown { .. }, _) => "—".to_owned(),
    }
}

/// 88 → "8.8", 80 → "8".
fn tenths(pay_percent: u8) -> String {
    if pay_percent.is_multiple_of(10) {
        (pay_percent / 10).to_string()
    } else {
        format!("{}.{}", pay_percent / 10, pay_percent % 10)
    }
}

/// The condition line: 满¥100可用 / 无门槛 / 单价¥1以内可用.
pub fn condition(kind: &CouponKind, lang: Lang) -> String {
    let threshold = kind.threshold();
    let base = if threshold > Fen::ZERO {
        match lang {
            Lang::ZhCn => format!("满{threshold}可用"),
            Lang::En => format!("Min. spend {threshold}"),
        }
    } else {
        lang.pick("无门槛", "No minimum spend").to_owned()
    };
    match (kind, lang) {
        (CouponKind::CutTo { max_item_price, .. }, Lang::ZhCn) => {
            format!("单价{max_item_price}以内商品 · {base}")
        }
        (CouponKind::CutTo { max_item_price, .. }, Lang::En) => {
            format!("Items up to {max_item_price} · {base}")
        }
        (CouponKind::Balance { .. }, _) => {
            lang.pick("可抵扣订单金额", "Spend on any order").to_owned()
        }
        _ => base,
    }
}

/// The validity line: `2025.05.20 – 2025.05.31`, or 领取后3天内有效 before the dates are known.
pub fn validity(c: &Coupon, lang: Lang) -> String {
    let s = span(c);
    match (s.start, s.expires_at(), c.validity.days_after_receive) {
        (Some(b), Some(e), _) => format!("{} – {}", b.date_dotted(), e.date_dotted()),
        (_, _, Some(days)) if c.received_at.is_none() => match lang {
            Lang::ZhCn => format!("领取后{days}天内有效"),
            Lang::En => format!("Valid for {days} days after claiming"),
        },
        (None, Some(e), _) => match lang {
            Lang::ZhCn => format!("{}前有效", e.date_dotted()),
            Lang::En => format!("Valid until {}", e.date_dotted()),
        },
        (Some(b), None, _) => match lang {
            Lang::ZhCn => format!("{}起有效", b.date_dotted()),
            Lang::En => format!("Valid from {}", b.date_dotted()),
        },
        (None, None, _) => lang.pick("长期有效", "No expiry").to_owned(),
    }
}

const ZH_DAYS: [&str; 7] = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
const EN_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

fn day_name(d: Weekday, lang: Lang) -> &'static str {
    let i = d.num_days_from_sunday() as usize;
    match lang {
        Lang::ZhCn => ZH_DAYS[i],
        Lang::En => EN_DAYS[i],
    }
}

/// 每周二、周三 10:00–18:00 / 每周一至周五 / 每天 09:00–12:00、14:00–18:00.
pub fn weekly(slots: &WeeklySlots, lang: Lang) -> String {
    let days = day_list(&slots.days, lang);
    let ranges: Vec<String> =
        slots.ranges.iter().map(|r| format!("{}–{}", hh_mm(r.begin), hh_mm(r.end))).collect();
    let sep = lang.pick("、", ", ");
    if ranges.is_empty() {
        days
    } else {
        format!("{days} {}", ranges.join(sep))
    }
}

fn day_list(days: &[Weekday], lang: Lang) -> String {
    if days.is_empty() || days.len() == 7 {
        return lang.pick("每天", "Daily").to_owned();
    }
    // Monday-first order, as a Chinese calendar reads; runs of three or more collapse.
    let mut ordered: Vec<Weekday> = days.to_vec();
    ordered.sort_by_key(Weekday::num_days_from_monday);
    let mut runs: Vec<(Weekday, Weekday)> = Vec::new();
    for d in ordered {
        match runs.last_mut() {
            Some((_, last)) if last.succ() == d && *last != Weekday::Sun => *last = d,
            _ => runs.push((d, d)),
        }
    }
    let mut parts = Vec::new();
    for (first, last) in runs {
        let len = last.num_days_from_monday() - first.num_days_from_monday() + 1;
        if len >= 3 {
            parts.push(format!(
                "{}{}{}",
                day_name(first, lang),
                lang.pick("至", "–"),
                day_name(last, lang)
            ));
        } else {
            let mut d = first;
            for _ in 0..len {
                parts.push(day_name(d, lang).to_owned());
                d = d.succ();
            }
        }
    }
    match lang {
        Lang::ZhCn => format!("每{}", parts.join("、")),
        Lang::En => parts.join(", "),
    }
}

/// An irregular period: `2025.05.20 10:00 – 2025.05.21 18:00`.
pub fn period(w: &Window) -> String {
    let at = |t: Option<BeijingTime>| {
        t.map_or_else(|| "…".to_owned(), |t| format!("{} {}", t.date_dotted(), t.hh_mm()))
    };
    format!("{} – {}", at(w.begin), at(w.end))
}

/// Why a coupon does not apply: 未满¥100 / 仅周二可用 / 10:00后可用 / 已过期 …
pub fn reason(r: &Reason, c: &Coupon, now: BeijingTime, lang: Lang) -> String {
    match r {
        Reason::NotUsable { availability } => availability_reason(availability, c, now, lang),
        Reason::BelowThreshold { threshold } => match lang {
            Lang::ZhCn => format!("未满{threshold}"),
            Lang::En => format!("Spend {threshold} to use"),
        },
        Reason::NoEligibleItem { max_item_price: Some(max) } => match lang {
            Lang::ZhCn => format!("无单价{max}以内的商品"),
            Lang::En => format!("No item priced up to {max}"),
        },
        Reason::NoEligibleItem { max_item_price: None } => {
            lang.pick("无可换购的商品", "No item to exchange").to_owned()
        }
        Reason::SingleItemUnknown => lang.pick("仅限指定商品", "Selected goods only").to_owned(),
        Reason::NoCoveredItem => {
            lang.pick("本单无指定商品", "No covered goods in this order").to_owned()
        }
        Reason::EmptyBalance => lang.pick("余额不足", "No balance left").to_owned(),
        Reason::NoSaving => lang.pick("本单无优惠", "No saving on this order").to_owned(),
        Reason::UnsupportedKind => lang.pick("暂不支持此券", "Not supported yet").to_owned(),
    }
}

/// The state line when a coupon cannot be used now; empty when it can.
pub fn availability_reason(a: &Availability, c: &Coupon, now: BeijingTime, lang: Lang) -> String {
    match a {
        Availability::Usable { .. } => String::new(),
        Availability::Used { .. } => lang.pick("已使用", "Used").to_owned(),
        Availability::Expired { .. } => lang.pick("已过期", "Expired").to_owned(),
        Availability::Unavailable => lang.pick("暂不可用", "Unavailable").to_owned(),
        Availability::OutsideSlot { next: None } => {
            lang.pick("有效期内已无可用时段", "No usable time left").to_owned()
        }
        Availability::NotStarted { from: next }
        | Availability::OutsideSlot { next: Some(next) } => {
            let today_closed = c
                .validity
                .weekly
                .as_ref()
                .is_some_and(|w| !w.days.is_empty() && !w.days.contains(&now.weekday()));
            if today_closed
                && c.validity.irregular.is_empty()
                && matches!(a, Availability::OutsideSlot { .. })
            {
                let days =
                    c.validity.weekly.as_ref().map(|w| day_list(&w.days, lang)).unwrap_or_default();
                let days = days.strip_prefix('每').unwrap_or(&days).to_owned();
                return match lang {
                    Lang::ZhCn => format!("仅{days}可用"),
                    Lang::En => format!("{days} only"),
                };
            }
            let when = if next.date() == now.date() {
                next.hh_mm()
            } else {
                format!("{} {}", next.month_day(), next.hh_mm())
            };
            match lang {
                Lang::ZhCn => format!("{when}后可用"),
                Lang::En => format!("Usable from {when}"),
            }
        }
    }
}

/// What the coupon's 单品券 and 免充值 rules mean, one line each, for the detail sheet and
/// the picker.
pub fn rule_notes(c: &Coupon, lang: Lang) -> Vec<&'static str> {
    let mut notes = Vec::new();
    if c.single_item {
        notes.push(lang.pick(
            "单品券：仅抵扣指定商品中的一件，不抵扣整单",
            "Single item: takes off one unit of the covered goods, not the whole order",
        ));
    }
    if c.no_cash {
        notes.push(lang.pick(
            "免充值：优惠由商家出资，直接从实付金额中扣减",
            "Merchant-funded: the saving comes straight off what you pay",
        ));
    }
    notes
}

/// The message of a `NOT_FOUND` for an address that is no route of the API (not a coupon).
pub fn no_such_route(lang: Lang) -> &'static str {
    lang.pick(
        "接口不存在，请检查 api-base 的设置",
        "No such API address; check the api-base setting",
    )
}

/// What the user reads for a failure of the proxy's API, by its stable `code` and, when
/// WeChat Pay refused, WeChat's own code. `None`: a code of a newer proxy; show its message.
pub fn error_message(
    code: ErrorCode,
    upstream_code: Option<&str>,
    lang: Lang,
) -> Option<&'static str> {
    use ErrorCode::*;
    let (zh, en) = match (code, upstream_code) {
        (_, Some("NOT_ENOUGH")) => ("来晚了，券已被领完", "Too late: they have all been claimed"),
        (_, Some("RULELIMIT" | "RULE_LIMIT")) => {
            ("已达到领取上限", "You have reached the claim limit")
        }
        (_, Some("USER_ACCOUNT_ABNORMAL")) => (
            "账户异常，暂时无法领取或使用，请联系微信支付客服",
            "Your account cannot use coupons right now; contact WeChat Pay support",
        ),
        (_, Some("FREQUENCY_LIMITED")) => {
            ("操作太频繁，请稍后再试", "Too many requests, try again shortly")
        }
        (_, Some("USER_NOT_EXISTS")) => {
            ("未找到你的券，请确认登录的微信账号", "No coupons found for this WeChat account")
        }
        (_, Some("RESOURCE_NOT_EXISTS")) => ("券不存在或已失效", "This coupon no longer exists"),
        (MerchantSetup, _) => (
            "商家服务配置有误，暂时无法查看，请联系商家",
            "The shop's coupon service is not set up right; please contact the shop",
        ),
        (Unauthenticated, _) => ("请先登录", "Please log in"),
        (CsrfFailed, _) => {
            ("请求已失效，请刷新页面后重试", "This page is out of date; refresh and try again")
        }
        (OriginNotAllowed, _) => ("当前页面无权访问", "This page may not use the coupon service"),
        (InvalidParameter, _) => ("请求参数有误", "The request was not valid"),
        (BodyTooLarge, _) => ("请求内容过大", "The request was too large"),
        (NotFound, _) => ("券不存在或已失效", "This coupon no longer exists"),
        (MethodNotAllowed, _) => {
            ("请求方式有误", "The request used a method this address does not take")
        }
        (UserNotFound, _) => {
            ("未找到你的券，请确认登录的微信账号", "No coupons found for this WeChat account")
        }
        (RateLimited, _) => ("操作太频繁，请稍后再试", "Too many requests, try again shortly"),
        (StockNotClaimable, _) => ("该券不可领取", "This coupon cannot be claimed here"),
        (ClaimRejected, _) => ("领取失败，请稍后再试", "Could not claim it, try again later"),
        (Forbidden, _) => ("无权调用", "Not allowed"),
        (ServiceUnavailable, _) => (
            "服务暂时不可用，请稍后重试",
            "The service is temporarily unavailable; try again later",
        ),
        (UpstreamTimeout, _) => {
            ("微信支付响应超时，请稍后重试", "WeChat Pay did not answer in time; try again")
        }
        (UpstreamUnavailable, _) => {
            ("暂时无法连接微信支付，请稍后重试", "WeChat Pay cannot be reached; try again")
        }
        (UpstreamBusy, _) => ("微信支付繁忙，请稍后重试", "WeChat Pay is busy; try again"),
        (UpstreamError, _) => {
            ("微信支付暂时出错，请稍后重试", "WeChat Pay had a problem; try again")
        }
        (UpstreamRejected, _) => ("微信支付拒绝了请求", "WeChat Pay refused the request"),
        (UpstreamBadResponse, _) => {
            ("微信支付返回异常，请稍后重试", "WeChat Pay sent an unreadable answer; try again")
        }
        (Network, _) => {
            ("网络异常，请检查网络后重试", "Network problem; check your connection and try again")
        }
        (Timeout, _) => ("请求超时，请稍后重试", "The request timed out; try again"),
        (BadResponse, _) => ("数据异常，请稍后重试", "Unexpected data; try again"),
        (BadRequest, _) => ("请求无法发送，请稍后重试", "The request could not be sent; try again"),
        (Unknown, _) => return None,
    };
    Some(lang.pick(zh, en))
}

/// 即将过期 badge.
pub fn expiring_soon(lang: Lang) -> &'static str {
    lang.pick("即将过期", "Expiring soon")
}
