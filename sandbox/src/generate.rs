//! The sandbox data set: the seeds' own examples plus a few hundred generated coupons that
//! cover every kind, state, colour, window, weekly slot, irregular period and use method.
//! `coupon-proxy sandbox-data > sandbox/data.json` writes it; a test keeps it in sync.

use super::store::CLAIMABLE_STOCKS;
use crate::identity as id;
use coupon_rules::BeijingTime;
use serde_json::{json, Value};

/// The Beijing date the generated times are relative to (a Sunday).
const ANCHOR: &str = "2026-11-22";
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

const SEED_DETAIL_001: &str = include_str!("../../rules/tests/fixtures/busifavor_detail_001.json");
const SEED_FAVOR_000: &str = include_str!("../../rules/tests/fixtures/favor_list_000.json");

pub fn generate() -> Value {
    let anchor =
        BeijingTime::parse_rfc3339(&format!("{ANCHOR}T00:00:00+08:00")).expect("anchor date");
    let t = |offset_ms: i64| anchor.plus_millis(offset_ms).to_rfc3339();
    json!({
        "anchor": ANCHOR,
        "stocks": [
            { "stock_id": CLAIMABLE_STOCKS[0], "name": "新人专享 满50减5", "amount": 500, "minimum": 5000, "remaining": 100000, "max_per_user": 3, "days_valid": 30 },
            { "stock_id": CLAIMABLE_STOCKS[1], "name": "限量 满100减50", "amount": 5000, "minimum": 10000, "remaining": 0, "distributed": 500, "max_per_user": 1, "days_valid": 7 },
        ],
        "users": [
            { "openid": "o_sandbox_demo", "label": "演示用户（全部券种）", "shift_times": true, "merchant_coupons": demo_merchant(&t), "stock_coupons": demo_stock(&t) },
            { "openid": "o_sandbox_many", "label": "大量券用户（300张）", "shift_times": true, "merchant_coupons": many(&t, 240), "stock_coupons": many_stock(&t, 60) },
            { "openid": "o_sandbox_empty", "label": "无券用户", "shift_times": true, "merchant_coupons": [], "stock_coupons": [] },
            { "openid": "o_sandbox_seed", "label": "文档示例（seeds）", "shift_times": false, "merchant_coupons": [seed_detail()], "stock_coupons": seed_favor() },
        ],
    })
}

fn seed_detail() -> Value {
    let mut v: Value =
        serde_json::from_str(SEED_DETAIL_001).expect("seed 001 (punctuation mended) is JSON");
    v["_creator_merchant"] = json!(id::MCHID);
    v
}

fn seed_favor() -> Vec<Value> {
    let v: Value = serde_json::from_str(SEED_FAVOR_000).expect("seed 000 is JSON");
    v["data"].as_array().cloned().unwrap_or_default()
}

/// WeChat's weekday numbers and (begin, end) seconds of the day.
type WeekRule = (Vec<u8>, Vec<(u32, u32)>);

/// One merchant coupon (商家券) in WeChat's wire format.
struct M<'a> {
    code: String,
    name: &'a str,
    merchant: &'a str,
    colour: &'a str,
    kind: (&'a str, i64, i64),
    state: &'a str,
    window: (i64, i64),
    week: Option<WeekRule>,
    irregular: Vec<(i64, i64)>,
    method: &'a str,
    description: &'a str,
}

fn merchant(t: &impl Fn(i64) -> String, m: M<'_>) -> Value {
    let (stock_type, a, b) = m.kind;
    let mut rule = json!({ "use_method": m.method });
    match stock_type {
        "NORMAL" => {
            rule["fixed_normal_coupon"] = json!({ "discount_amount": a, "transaction_minimum": b })
        }
        "DISCOUNT" => {
            rule["discount_coupon"] = json!({ "discount_percent": a, "transaction_minimum": b })
        }
        _ => rule["exchange_coupon"] = json!({ "exchange_price": a, "transaction_minimum": b }),
    }
    if m.method == "MINI_PROGRAMS" {
        rule["mini_programs_appid"] = json!("wx1234567890abcdef");
        rule["mini_programs_path"] = json!(format!("/pages/coupon/use?code={}", m.code));
    }
    let mut available =
        json!({ "available_begin_time": t(m.window.0), "available_end_time": t(m.window.1) });
    if let Some((days, ranges)) = &m.week {
        available["available_week"] = json!({
            "week_day": days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "available_day_time": ranges.iter().map(|(b, e)| json!({ "begin_time": b, "end_time": e })).collect::<Vec<_>>(),
        });
    }
    if !m.irregular.is_empty() {
        available["irregulary_avaliable_time"] = json!(m
            .irregular
            .iter()
            .map(|(b, e)| json!({ "begin_time": t(*b), "end_time": t(*e) }))
            .collect::<Vec<_>>());
    }
    rule["coupon_available_time"] = available;
    let mut c = json!({
        "belong_merchant": id::MCHID,
        "stock_name": m.name,
        "comment": "sandbox",
        "goods_name": "全场商品可用",
        "stock_type": stock_type,
        "transferable": "false",
        "shareable": "false",
        "coupon_state": m.state,
        "display_pattern_info": {
            "description": m.description,
            "merchant_logo_url": format!("https://{}/sandbox-logo-{}.png", "img.sandbox.invalid", m.colour),
            "merchant_name": m.merchant,
            "background_color": m.colour,
            "coupon_image_url": "https://img.sandbox.invalid/coupon-detail.png",
        },
        "coupon_use_rule": rule,
        "custom_entrance": {
            "mini_programs_info": { "mini_programs_appid": "wx1234567890abcdef", "mini_programs_path": "/pages/index/index", "entrance_words": "欢迎选购", "guiding_words": "获取更多优惠" },
            "appid": "wx0000000000000001",
            "hall_id": "233455656",
            "store_id": "233554655",
        },
        "coupon_code": m.code,
        "stock_id": format!("SBX_BF_{}", stock_type),
        "available_start_time": t(m.window.0),
        "expire_time": t(m.window.1),
        "receive_time": t(m.window.0),
        "send_request_no": format!("SBXSEND{}", m.code),
        "_creator_merchant": id::MCHID,
        "_sender_merchant": id::MCHID,
    });
    if m.state == "USED" {
        c["use_request_no"] = json!(format!("SBXUSE{}", m.code));
        c["use_time"] = json!(t(m.window.0 + 2 * DAY + 11 * HOUR));
    }
    c
}

fn demo_merchant(t: &impl Fn(i64) -> String) -> Vec<Value> {
    let colours: Vec<&str> = coupon_rules::palette::names().collect();
    let current = (-10 * DAY, 30 * DAY);
    // (name, merchant, kind, state, window, weekly slot, irregular, use method, description)
    type Row<'a> = (
        &'a str,
        &'a str,
        (&'a str, i64, i64),
        &'a str,
        (i64, i64),
        Option<(Vec<u8>, Vec<(u32, u32)>)>,
        Vec<(i64, i64)>,
        &'a str,
        &'a str,
    );
    let rows: Vec<Row<'_>> = vec![
        (
            "满100减20",
            "喜茶 HEYTEA",
            ("NORMAL", 2000, 10000),
            "SENDED",
            current,
            None,
            vec![],
            "OFF_LINE",
            "全国门店可用，不与其他优惠同享",
        ),
        (
            "无门槛5元券",
            "瑞幸咖啡",
            ("NORMAL", 500, 0),
            "SENDED",
            current,
            None,
            vec![],
            "MINI_PROGRAMS",
            "小程序下单可用",
        ),
        (
            "全场8.8折",
            "优衣库",
            ("DISCOUNT", 88, 5000),
            "SENDED",
            current,
            None,
            vec![],
            "PAYMENT_CODE",
            "付款码支付自动抵扣",
        ),
        (
            "1元换购饮品",
            "奈雪的茶",
            ("EXCHANGE", 100, 3000),
            "SENDED",
            current,
            None,
            vec![],
            "OFF_LINE",
            "每单限换购一杯",
        ),
        (
            "周二会员日 满50减10",
            "盒马鲜生",
            ("NORMAL", 1000, 5000),
            "SENDED",
            current,
            Some((vec![2, 3], vec![(36000, 64800)])),
            vec![],
            "OFF_LINE",
            "仅周二、周三 10:00–18:00 可用",
        ),
        (
            "工作日午餐券",
            "麦当劳",
            ("NORMAL", 800, 3000),
            "SENDED",
            current,
            Some((vec![1, 2, 3, 4, 5], vec![(39600, 50400), (61200, 72000)])),
            vec![],
            "MINI_PROGRAMS",
            "工作日午市与晚市",
        ),
        (
            "周末早鸟 7折",
            "星巴克",
            ("DISCOUNT", 70, 3000),
            "SENDED",
            current,
            Some((vec![0, 6], vec![(25200, 36000)])),
            vec![],
            "OFF_LINE",
            "周末 07:00–10:00",
        ),
        (
            "双11狂欢券",
            "京东到家",
            ("NORMAL", 3000, 20000),
            "SENDED",
            current,
            Some((vec![], vec![])),
            vec![(2 * DAY, 3 * DAY), (9 * DAY + 20 * HOUR, 10 * DAY)],
            "PAYMENT_CODE",
            "仅限活动时段",
        ),
        (
            "即将过期 满30减8",
            "肯德基",
            ("NORMAL", 800, 3000),
            "SENDED",
            (-20 * DAY, 2 * DAY),
            None,
            vec![],
            "OFF_LINE",
            "请尽快使用",
        ),
        (
            "下周开抢 满200减50",
            "永辉超市",
            ("NORMAL", 5000, 20000),
            "SENDED",
            (5 * DAY, 35 * DAY),
            None,
            vec![],
            "OFF_LINE",
            "活动开始后可用",
        ),
        (
            "自助核销券",
            "全家 FamilyMart",
            ("NORMAL", 300, 1500),
            "SENDED",
            current,
            None,
            vec![],
            "SELF_CONSUME",
            "自助核销暂未开放",
        ),
        (
            "已用 满60减15",
            "海底捞",
            ("NORMAL", 1500, 6000),
            "USED",
            (-30 * DAY, 10 * DAY),
            None,
            vec![],
            "OFF_LINE",
            "已核销",
        ),
        (
            "已用 9折券",
            "名创优品",
            ("DISCOUNT", 90, 0),
            "USED",
            (-30 * DAY, 10 * DAY),
            None,
            vec![],
            "MINI_PROGRAMS",
            "已核销",
        ),
        (
            "已过期 满40减10",
            "必胜客",
            ("NORMAL", 1000, 4000),
            "EXPIRED",
            (-60 * DAY, -5 * DAY),
            None,
            vec![],
            "OFF_LINE",
            "已过期",
        ),
    ];
    rows.into_iter()
        .enumerate()
        .map(
            |(
                i,
                (name, merchant_name, kind, state, window, week, irregular, method, description),
            )| {
                merchant(
                    t,
                    M {
                        code: format!("SBXM{:06}", i + 1),
                        name,
                        merchant: merchant_name,
                        colour: colours[i % colours.len()],
                        kind,
                        state,
                        window,
                        week,
                        irregular,
                        method,
                        description,
                    },
                )
            },
        )
        .collect()
}

/// One stock coupon (代金券) or 消费金 in WeChat's wire format.
// One row of the data set's tables per call: positional, like the rows it builds.
#[allow(clippy::too_many_arguments)]
fn stock(
    t: &impl Fn(i64) -> String,
    id_: String,
    name: &str,
    kind: &str,
    a: i64,
    b: i64,
    status: &str,
    window: (i64, i64),
    no_cash: bool,
    single: bool,
) -> Value {
    let mut c = json!({
        "stock_creator_mchid": id::MCHID,
        "stock_id": format!("SBX_FV_{kind}"),
        "coupon_id": id_,
        "coupon_name": name,
        "status": status,
        "description": "微信支付代金券，支付时自动抵扣",
        "create_time": t(window.0),
        "coupon_type": if kind == "CUT_TO" { "CUT_TO" } else { "NORMAL" },
        "no_cash": no_cash,
        "available_begin_time": t(window.0),
        "available_end_time": t(window.1),
        "singleitem": single,
        "_sender_mchid": id::MCHID,
    });
    match kind {
        "CUT_TO" => c["cut_to_message"] = json!({ "single_price_max": a, "cut_to_price": b }),
        "MULTIUSE" => {
            c["business_type"] = json!("MULTIUSE");
            c["available_balance"] = json!(a);
        }
        _ => {
            c["normal_coupon_information"] = json!({ "coupon_amount": a, "transaction_minimum": b })
        }
    }
    c
}

fn demo_stock(t: &impl Fn(i64) -> String) -> Vec<Value> {
    let now = (-3 * DAY, 20 * DAY);
    vec![
        stock(
            t,
            "SBXS000001".into(),
            "微信支付代金券 满50减5",
            "NORMAL",
            500,
            5000,
            "SENDED",
            now,
            false,
            false,
        ),
        stock(
            t,
            "SBXS000002".into(),
            "免充值立减3元",
            "NORMAL",
            300,
            0,
            "SENDED",
            now,
            true,
            false,
        ),
        stock(
            t,
            "SBXS000003".into(),
            "单品券 满20减4",
            "NORMAL",
            400,
            2000,
            "SENDED",
            now,
            false,
            true,
        ),
        stock(
            t,
            "SBXS000004".into(),
            "爆款减至0.8元",
            "CUT_TO",
            1000,
            80,
            "SENDED",
            now,
            false,
            true,
        ),
        stock(
            t,
            "SBXS000005".into(),
            "已用 满30减6",
            "NORMAL",
            600,
            3000,
            "USED",
            now,
            false,
            false,
        ),
        stock(
            t,
            "SBXS000006".into(),
            "会员消费金",
            "MULTIUSE",
            10000,
            0,
            "SENDED",
            (-3 * DAY, 60 * DAY),
            false,
            false,
        ),
        stock(
            t,
            "SBXS000007".into(),
            "节日消费金",
            "MULTIUSE",
            3050,
            0,
            "SENDED",
            (-3 * DAY, 2 * DAY),
            false,
            false,
        ),
        stock(
            t,
            "SBXS000008".into(),
            "已过期 满20减2",
            "NORMAL",
            200,
            2000,
            "EXPIRED",
            (-40 * DAY, -10 * DAY),
            false,
            false,
        ),
        stock(
            t,
            "SBXS000009".into(),
            "过期消费金",
            "MULTIUSE",
            1200,
            0,
            "EXPIRED",
            (-40 * DAY, -2 * DAY),
            false,
            false,
        ),
    ]
}

/// A deterministic spread of coupons (a linear congruential sequence, no randomness).
fn many(t: &impl Fn(i64) -> String, n: usize) -> Vec<Value> {
    let colours: Vec<&str> = coupon_rules::palette::names().chain(["Color999"]).collect();
    let kinds = [
        ("NORMAL", 500, 5000),
        ("NORMAL", 1000, 0),
        ("DISCOUNT", 85, 3000),
        ("EXCHANGE", 990, 2000),
        ("NORMAL", 2000, 15000),
    ];
    let methods = ["OFF_LINE", "MINI_PROGRAMS", "PAYMENT_CODE", "SELF_CONSUME"];
    let states = ["SENDED", "SENDED", "SENDED", "SENDED", "USED", "EXPIRED"];
    let merchants = ["喜茶 HEYTEA", "瑞幸咖啡", "盒马鲜生", "麦当劳", "星巴克", "全家 FamilyMart"];
    let mut x: u64 = 20_261_122;
    (0..n)
        .map(|i| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let r = (x >> 33) as usize;
            let state = states[r % states.len()];
            let start = -((r % 20) as i64) * DAY;
            let end = if state == "EXPIRED" { -DAY } else { ((r / 7) % 40) as i64 * DAY + DAY };
            let week = match r % 5 {
                0 => Some((vec![(r % 7) as u8, ((r + 2) % 7) as u8], vec![(36_000, 64_800)])),
                1 => Some((vec![1, 2, 3, 4, 5], vec![])),
                _ => None,
            };
            let irregular = if r.is_multiple_of(11) { vec![(DAY, DAY + 6 * HOUR)] } else { vec![] };
            merchant(
                t,
                M {
                    code: format!("SBXN{:06}", i + 1),
                    name: ["满减券", "无门槛券", "折扣券", "换购券", "大额券"][r % 5],
                    merchant: merchants[(r / 3) % merchants.len()],
                    colour: colours[(r / 5) % colours.len()],
                    kind: kinds[r % kinds.len()],
                    state,
                    window: (start, end.max(start + DAY)),
                    week,
                    irregular,
                    method: methods[(r / 11) % methods.len()],
                    description: "大量券用户的测试数据",
                },
            )
        })
        .collect()
}

fn many_stock(t: &impl Fn(i64) -> String, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let kind = ["NORMAL", "CUT_TO", "MULTIUSE"][i % 3];
            let status = ["SENDED", "SENDED", "USED"][i % 3 % 2 + (i / 3) % 2];
            let (a, b) = match kind {
                "CUT_TO" => (1500, 100 + (i as i64 % 5) * 10),
                "MULTIUSE" => (1000 * (1 + i as i64 % 9), 0),
                _ => (100 * (1 + i as i64 % 20), 1000 * (i as i64 % 4)),
            };
            stock(
                t,
                format!("SBXT{:06}", i + 1),
                &format!("代金券 #{}", i + 1),
                kind,
                a,
                b,
                status,
                (-(i as i64 % 9) * DAY, (1 + i as i64 % 30) * DAY),
                i % 4 == 0,
                i % 5 == 0,
            )
        })
        .collect()
}
