//! Reads the model back from its own JSON form: what the proxy's API writes with serde
//! (`serde_json::to_string(&coupon)`). The widget reads it here, through the small
//! [`crate::json`] reader, instead of through serde's code generated for every type, which
//! cost its bundle 35 KB gzip. `rules/tests/model_json.rs` holds the two sides
//! together: whatever serde writes, this reads back equal.

use crate::discount::{Order, OrderItem};
use crate::error::{Error, Result};
use crate::json::Value;
use crate::model::{Coupon, CouponKind, CouponState, CustomEntrance, Merchant, MiniProgramEntrance, Source, UseMethod, Validity, WeeklySlots, DayRange, Window};
use crate::money::Fen;
use crate::time::Weekday;
use crate::wallet::TabCounts;
use crate::wire::json::{Item, Obj};

/// Parses `text` and reads its top-level object with `read`; errors name the field.
pub fn from_text<T>(text: &[u8], read: impl FnOnce(&Obj) -> Result<T>) -> Result<T> {
    let value = crate::json::parse(text).map_err(|e| Error::NotJson { detail: e.to_string() })?;
    read(&Obj::root(&value)?)
}

fn fen(o: &Obj, key: &str) -> Result<Fen> {
    o.req_int(key).map(Fen)
}

fn unknown_tag(o: &Obj, key: &str, tag: &str) -> Error {
    Error::BadValue { field: o.path_of(key), detail: format!("unknown value {tag:?}") }
}

pub fn coupon(o: &Obj) -> Result<Coupon> {
    let source = o.exact_str("source")?;
    let Some(source) = [Source::Merchant, Source::Stock].into_iter().find(|s| s.as_str() == source) else {
        return Err(unknown_tag(o, "source", &source));
    };
    Ok(Coupon {
        id: o.exact_str("id")?,
        source,
        stock_id: o.exact_str("stock_id")?,
        name: o.exact_str("name")?,
        kind: kind(&o.req_obj("kind")?)?,
        state: state(o)?,
        merchant: merchant(&o.req_obj("merchant")?)?,
        background: o.exact_str("background")?,
        description: o.exact_opt_str("description")?,
        image_url: o.exact_opt_str("image_url")?,
        goods: o.exact_opt_str("goods")?,
        single_item: o.req_bool("single_item")?,
        no_cash: o.req_bool("no_cash")?,
        validity: validity(&o.req_obj("validity")?)?,
        use_method: use_method(&o.req_obj("use_method")?)?,
        entrance: o.opt_obj("entrance")?.map(|e| entrance(&e)).transpose()?,
        received_at: o.opt_time("received_at")?,
        used_at: o.opt_time("used_at")?,
    })
}

fn kind(o: &Obj) -> Result<CouponKind> {
    Ok(match o.exact_str("type")?.as_str() {
        "fixed_amount" => CouponKind::FixedAmount { amount: fen(o, "amount")?, threshold: fen(o, "threshold")? },
        "discount" => CouponKind::Discount { pay_percent: o.req_small("pay_percent")?, threshold: fen(o, "threshold")? },
        "exchange" => CouponKind::Exchange { price: fen(o, "price")?, threshold: fen(o, "threshold")? },
        "cut_to" => CouponKind::CutTo { price: fen(o, "price")?, max_item_price: fen(o, "max_item_price")?, threshold: fen(o, "threshold")? },
        "balance" => CouponKind::Balance { balance: fen(o, "balance")? },
        "unknown" => CouponKind::Unknown { raw: o.exact_str("raw")? },
        other => return Err(unknown_tag(o, "type", other)),
    })
}

/// `"available"`, `"used"`, `"expired"`, or `{"unknown": "<WeChat's state>"}`.
fn state(o: &Obj) -> Result<CouponState> {
    match o.raw("state") {
        Some(Value::String(s)) => match s.as_str() {
            "available" => Ok(CouponState::Available),
            "used" => Ok(CouponState::Used),
            "expired" => Ok(CouponState::Expired),
            other => Err(unknown_tag(o, "state", other)),
        },
        Some(Value::Object(_)) => Ok(CouponState::Unknown(o.req_obj("state")?.exact_str("unknown")?)),
        Some(_) => Err(Error::WrongType { field: o.path_of("state"), expected: "a string or an object" }),
        None => Err(Error::Missing { field: o.path_of("state") }),
    }
}

fn merchant(o: &Obj) -> Result<Merchant> {
    Ok(Merchant { name: o.exact_opt_str("name")?, logo_url: o.exact_opt_str("logo_url")? })
}

fn window(o: &Obj) -> Result<Window> {
    Ok(Window { begin: o.opt_time("begin")?, end: o.opt_time("end")? })
}

fn validity(o: &Obj) -> Result<Validity> {
    Ok(Validity {
        stock_window: o.opt_obj("stock_window")?.map(|w| window(&w)).transpose()?,
        coupon_window: o.opt_obj("coupon_window")?.map(|w| window(&w)).transpose()?,
        days_after_receive: o.opt_small("days_after_receive")?,
        weekly: o.opt_obj("weekly")?.map(|w| weekly(&w)).transpose()?,
        irregular: o.opt_array("irregular")?.iter().map(|i| window(&i.obj()?)).collect::<Result<_>>()?,
    })
}

fn weekly(o: &Obj) -> Result<WeeklySlots> {
    let days = o.opt_array("days")?.iter().map(|d| {
        let n = d.int()?;
        u8::try_from(n).map(Weekday).map_err(|_| Error::BadValue { field: d.path.clone(), detail: format!("not a weekday: {n}") })
    }).collect::<Result<_>>()?;
    let ranges = o.opt_array("ranges")?.iter().map(|r| {
        let r = r.obj()?;
        Ok(DayRange { begin: r.req_small("begin")?, end: r.req_small("end")? })
    }).collect::<Result<_>>()?;
    Ok(WeeklySlots { days, ranges })
}

fn use_method(o: &Obj) -> Result<UseMethod> {
    Ok(match o.exact_str("type")?.as_str() {
        "offline" => UseMethod::Offline,
        "mini_program" => UseMethod::MiniProgram { appid: o.exact_opt_str("appid")?, path: o.exact_opt_str("path")? },
        "payment_code" => UseMethod::PaymentCode,
        "self_consume" => UseMethod::SelfConsume,
        "unknown" => UseMethod::Unknown { raw: o.exact_str("raw")? },
        other => return Err(unknown_tag(o, "type", other)),
    })
}

fn entrance(o: &Obj) -> Result<CustomEntrance> {
    let mini_program = o.opt_obj("mini_program")?.map(|m| -> Result<MiniProgramEntrance> {
        Ok(MiniProgramEntrance {
            appid: m.exact_str("appid")?,
            path: m.exact_opt_str("path")?,
            entrance_words: m.exact_opt_str("entrance_words")?,
            guiding_words: m.exact_opt_str("guiding_words")?,
        })
    });
    Ok(CustomEntrance {
        mini_program: mini_program.transpose()?,
        official_account_appid: o.exact_opt_str("official_account_appid")?,
        hall_id: o.exact_opt_str("hall_id")?,
        store_id: o.exact_opt_str("store_id")?,
    })
}

/// The coupons in the array under `key` (required), as the proxy's pages hold them.
pub fn coupons_of(o: &Obj, key: &str) -> Result<Vec<Coupon>> {
    o.req_array(key)?.iter().map(|item| coupon(&item.obj()?)).collect()
}

pub fn tab_counts(o: &Obj) -> Result<TabCounts> {
    Ok(TabCounts { available: o.req_small("available")?, used: o.req_small("used")?, expired: o.req_small("expired")? })
}

/// An order as a host page states it: `{"total": 12800, "items": [{"name": "…", "unit_price"
/// (or "unitPrice"): 3800, "quantity": 2}]}`; `items` and each `quantity` (1) are optional.
pub fn order(o: &Obj) -> Result<Order> {
    Ok(Order { total: fen(o, "total")?, items: order_items_of(o, "items")? })
}

/// The item lines under `key` (absent: none).
pub fn order_items_of(o: &Obj, key: &str) -> Result<Vec<OrderItem>> {
    o.opt_array(key)?.iter().map(order_item).collect()
}

/// A text that is just the item lines, as `data-order-items` holds them.
pub fn order_items(text: &[u8]) -> Result<Vec<OrderItem>> {
    match crate::json::parse(text).map_err(|e| Error::NotJson { detail: e.to_string() })? {
        Value::Array(items) => items.iter().enumerate().map(|(i, value)| order_item(&Item { value, path: format!("[{i}]") })).collect(),
        _ => Err(Error::WrongType { field: "(items)".into(), expected: "an array" }),
    }
}

fn order_item(item: &Item) -> Result<OrderItem> {
    let i = item.obj()?;
    let price = if i.raw("unit_price").is_some() { "unit_price" } else { "unitPrice" };
    Ok(OrderItem { name: i.exact_opt_str("name")?, unit_price: fen(&i, price)?, quantity: i.opt_small("quantity")?.unwrap_or(1) })
}
