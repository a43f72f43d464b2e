//! The seeds' example bodies parse into the model, traps and all.

use chrono::NaiveTime;
use coupon_rules::model::*;
use coupon_rules::time::Weekday;
use coupon_rules::wire::{
    parse_merchant_coupon, parse_merchant_coupon_list, parse_stock_coupon, parse_stock_coupon_list,
};
use coupon_rules::{Error, Fen};

const DETAIL_001: &[u8] = include_bytes!("fixtures/busifavor_detail_001.json");
const LIST_003: &[u8] = include_bytes!("fixtures/busifavor_list_003.json");
const FAVOR_000: &[u8] = include_bytes!("fixtures/favor_list_000.json");

#[test]
fn merchant_coupon_detail_from_seed_001_reads_every_field() {
    let c = parse_merchant_coupon(DETAIL_001).expect("the documented body, its punctuation mended");
    assert_eq!(c.id, "123446565767");
    assert_eq!(c.source, Source::Merchant);
    assert_eq!(c.stock_id, "1002323");
    assert_eq!(c.name, "商家券");
    assert_eq!(c.kind, CouponKind::FixedAmount { amount: Fen(5), threshold: Fen(100) });
    assert_eq!(c.state, CouponState::Available);
    assert_eq!(c.merchant.name.as_deref(), Some("微信支付"));
    assert_eq!(c.merchant.logo_url.as_deref(), Some("https://xxx"));
    assert_eq!(
        c.background,
        coupon_rules::palette::DEFAULT_BACKGROUND,
        "\"xxxxx\" is not a palette name"
    );
    assert_eq!(c.description.as_deref(), Some("xxx门店可用"));
    assert_eq!(c.image_url, None, "\"图片cdn地址\" is not an https URL");
    assert_eq!(c.goods.as_deref(), Some("xxx商品可用"));
    let v = &c.validity;
    assert_eq!(v.days_after_receive, Some(3));
    assert_eq!(v.weekly.as_ref().unwrap().days, vec![Weekday::Mon, Weekday::Tue]);
    assert_eq!(
        v.weekly.as_ref().unwrap().ranges,
        vec![DayRange {
            begin: NaiveTime::from_hms_opt(1, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(23, 59, 59).unwrap()
        }]
    );
    assert_eq!(v.irregular.len(), 1, "read under WeChat's spelling irregulary_avaliable_time");
    assert_eq!(v.coupon_window.unwrap().end.unwrap().to_rfc3339(), "2019-12-31T13:29:35.120+08:00");
    assert_eq!(c.use_method, UseMethod::Offline);
    let e = c.entrance.unwrap();
    let mp = e.mini_program.unwrap();
    assert_eq!(
        (mp.appid.as_str(), mp.entrance_words.as_deref(), mp.guiding_words.as_deref()),
        ("wx234545656765876", Some("欢迎选购"), Some("获取更多优惠"))
    );
    assert_eq!(e.official_account_appid.as_deref(), Some("wx324345hgfhfghfg"));
    assert_eq!(
        (e.hall_id.as_deref(), e.store_id.as_deref()),
        (Some("233455656"), Some("233554655"))
    );
    assert_eq!(c.received_at.unwrap().to_rfc3339(), "2019-12-30T13:29:35.120+08:00");
    assert!(c.used_at.is_some());
}

#[test]
fn merchant_coupon_list_from_seed_003_keeps_the_envelope() {
    let page = parse_merchant_coupon_list(LIST_003).unwrap();
    assert_eq!((page.total_count, page.limit, page.offset), (100, 10, 1));
    assert_eq!(page.coupons.len(), 1);
    assert!(page.rejected.is_empty());
    assert_eq!(page.coupons[0].id, "123446565767");
}

#[test]
fn stock_coupon_list_from_seed_000_is_a_multiuse_balance() {
    let page = parse_stock_coupon_list(FAVOR_000).unwrap();
    assert_eq!((page.total_count, page.limit, page.offset), (100, 10, 10));
    let c = &page.coupons[0];
    assert_eq!(c.id, "98674556");
    assert_eq!(c.source, Source::Stock);
    assert_eq!(
        c.kind,
        CouponKind::Balance { balance: Fen(10000) },
        "business_type MULTIUSE wins over coupon_type"
    );
    assert_eq!(c.state, CouponState::Expired);
    assert!(!c.no_cash && !c.single_item);
    assert_eq!(c.use_method, UseMethod::PaymentCode);
}

#[test]
fn stock_coupon_kinds_normal_and_cut_to() {
    let body = br#"{"data":[
      {"coupon_id":"1","stock_id":"s","coupon_type":"NORMAL","status":"SENDED","no_cash":"true","singleitem":true,
       "normal_coupon_information":{"coupon_amount":"500","transaction_minimum":10000}},
      {"coupon_id":"2","stock_id":"s","coupon_type":"CUT_TO","status":"USED",
       "cut_to_message":{"single_price_max":100,"cut_to_price":80}},
      {"coupon_id":"3","stock_id":"s","coupon_type":"LUCKY","status":"SENDED"}
    ],"total_count":3,"offset":"0","limit":"20"}"#;
    let page = parse_stock_coupon_list(body).unwrap();
    let kinds: Vec<_> = page.coupons.iter().map(|c| c.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10000) },
            CouponKind::CutTo { price: Fen(80), max_item_price: Fen(100), threshold: Fen(0) },
            CouponKind::Unknown { raw: "LUCKY".into() },
        ]
    );
    assert!(page.coupons[0].no_cash && page.coupons[0].single_item);
    assert_eq!(page.coupons[1].state, CouponState::Used);
    assert_eq!(page.limit, 20);
}

#[test]
fn unknown_enum_values_are_kept_not_rejected() {
    let body = String::from_utf8(DETAIL_001.to_vec())
        .unwrap()
        .replace("\"SENDED\"", "\"FROZEN\"")
        .replace("\"OFF_LINE\"", "\"TELEPORT\"");
    let c = parse_merchant_coupon(body.as_bytes()).unwrap();
    assert_eq!(c.state, CouponState::Unknown("FROZEN".into()));
    assert_eq!(c.use_method, UseMethod::Unknown { raw: "TELEPORT".into() });
}

#[test]
fn errors_name_the_field() {
    let missing_code = String::from_utf8(DETAIL_001.to_vec())
        .unwrap()
        .replace("\"coupon_code\"", "\"kupon_code\"");
    assert_eq!(
        parse_merchant_coupon(missing_code.as_bytes()).unwrap_err().field(),
        Some("coupon_code")
    );

    let bad_amount = String::from_utf8(DETAIL_001.to_vec())
        .unwrap()
        .replace("\"discount_amount\": 5", "\"discount_amount\": \"five\"");
    let err = parse_merchant_coupon(bad_amount.as_bytes()).unwrap_err();
    assert_eq!(err.field(), Some("coupon_use_rule.fixed_normal_coupon.discount_amount"));
    assert!(err.to_string().contains("\"five\""), "{err}");
    assert!(!err.to_string().contains(" line "), "the path says where, not a position: {err}");

    let bad_day = String::from_utf8(DETAIL_001.to_vec()).unwrap().replace("\"2\"\n", "\"9\"\n");
    let err = parse_merchant_coupon(bad_day.as_bytes()).unwrap_err();
    assert_eq!(
        err.field(),
        Some("coupon_use_rule.coupon_available_time.available_week.week_day[1]")
    );

    assert!(matches!(parse_merchant_coupon(b"upstream exploded"), Err(Error::NotJson { .. })));
    assert_eq!(parse_merchant_coupon(b"[1,2]").unwrap_err().field(), Some("(body)"));
    // JSON syntax is never repaired: the documents' missing commas are typos, not wire data.
    let missing_comma = String::from_utf8(DETAIL_001.to_vec()).unwrap().replacen(
        "\"stock_name\": \"商家券\",",
        "\"stock_name\": \"商家券\"",
        1,
    );
    assert!(matches!(parse_merchant_coupon(missing_comma.as_bytes()), Err(Error::NotJson { .. })));
}

#[test]
fn one_bad_coupon_does_not_lose_the_rest_of_the_page() {
    let body = br#"{"data":[{"coupon_id":"ok","stock_id":"s","normal_coupon_information":{"coupon_amount":1}},
                            {"coupon_id":"bad","stock_id":"s","normal_coupon_information":{"coupon_amount":-1}},
                            "not an object"],"total_count":3}"#;
    let page = parse_stock_coupon_list(body).unwrap();
    assert_eq!(page.coupons.len(), 1);
    assert_eq!(page.rejected.len(), 2);
    assert_eq!(page.rejected[0].field(), Some("data[1].normal_coupon_information.coupon_amount"));
    assert_eq!(page.rejected[1].field(), Some("data[2]"));
}

#[test]
fn only_https_urls_survive() {
    for (url, kept) in [
        ("https://img.example/a.png", true),
        ("http://img/a.png", false),
        ("javascript:alert(1)", false),
        ("data:image/png;base64,xx", false),
        ("https://a b", false),
        ("https://x\" onerror=\"y", false),
    ] {
        let body = String::from_utf8(DETAIL_001.to_vec())
            .unwrap()
            .replace("\"https://xxx\"", &serde_json::to_string(url).unwrap());
        let c = parse_merchant_coupon(body.as_bytes()).unwrap();
        assert_eq!(c.merchant.logo_url.is_some(), kept, "{url}");
    }
}

#[test]
fn a_used_stock_coupon_carries_the_time_it_was_used() {
    // 查询代金券详情 answers one coupon shaped as one entry of the list.
    let one = r#"{"coupon_id":"c","stock_id":"s","status":"USED",
        "normal_coupon_information":{"coupon_amount":100},
        "consume_information":{"consume_time":"2026-12-01T10:00:00+08:00","consume_mchid":"1900000109","transaction_id":"4200000001"}}"#;
    let listed = format!(r#"{{"data":[{one}],"total_count":1}}"#);
    let at = coupon_rules::BeijingTime::parse_rfc3339("2026-12-01T10:00:00+08:00").unwrap();
    for c in [parse_stock_coupon(one.as_bytes()).unwrap(), {
        parse_stock_coupon_list(listed.as_bytes()).unwrap().coupons.remove(0)
    }] {
        assert_eq!(c.state, CouponState::Used);
        assert_eq!(c.used_at, Some(at));
    }
    let err = parse_stock_coupon(one.replace("100", r#""100元""#).as_bytes()).unwrap_err();
    assert_eq!(err.field(), Some("normal_coupon_information.coupon_amount"), "{err}");
}

/// 查询批次详情 as WeChat answers it (fields as wechatpay-go's `cashcoupons.Stock`).
const STOCK: &str = r#"{"stock_id":"9856000","stock_creator_mchid":"1900000109","stock_name":"微信支付代金券",
    "status":"running","create_time":"2026-11-01T10:00:00.120+08:00","description":"满50减5",
    "stock_use_rule":{"max_coupons":100,"max_amount":50000,"max_amount_by_day":5000,
      "fixed_normal_coupon":{"coupon_amount":500,"transaction_minimum":5000},
      "max_coupons_per_user":"3","coupon_type":"NORMAL","combine_use":false},
    "available_begin_time":"2026-11-01T00:00:00+08:00","available_end_time":"2026-12-31T23:59:59+08:00",
    "distributed_coupons":40,"no_cash":false,"singleitem":false,"stock_type":"NORMAL"}"#;

#[test]
fn a_stock_gives_its_name_state_what_is_left_and_the_per_user_limit() {
    let stock = coupon_rules::wire::parse_stock(STOCK.as_bytes()).unwrap();
    assert_eq!(stock.name, "微信支付代金券");
    assert_eq!(stock.state, StockState::Running);
    assert_eq!((stock.remaining, stock.max_per_user), (Some(60), Some(3)));
    let at = |s| coupon_rules::BeijingTime::parse_rfc3339(s).unwrap();
    assert!(stock.claimable(at("2026-12-03T12:00:00+08:00")));
    assert!(!stock.claimable(at("2027-01-01T00:00:00+08:00")), "its window is over");
}

#[test]
fn a_paused_stopped_or_exhausted_stock_is_not_offered() {
    let now = coupon_rules::BeijingTime::parse_rfc3339("2026-12-03T12:00:00+08:00").unwrap();
    for (from, to, state) in [
        (r#""running""#, r#""paused""#, StockState::Paused),
        (r#""running""#, r#""stoped""#, StockState::Stopped),
        (r#""running""#, r#""audit""#, StockState::NotStarted),
        (r#""distributed_coupons":40"#, r#""distributed_coupons":100"#, StockState::Running),
    ] {
        let stock = coupon_rules::wire::parse_stock(STOCK.replace(from, to).as_bytes()).unwrap();
        assert_eq!(stock.state, state, "{to}");
        assert!(!stock.claimable(now), "{to}");
    }
    let err = coupon_rules::wire::parse_stock(STOCK.replace(r#""3""#, r#""three""#).as_bytes());
    assert_eq!(err.unwrap_err().field(), Some("stock_use_rule.max_coupons_per_user"));
}

#[test]
fn a_page_of_a_single_item_stocks_goods_keeps_ids_sent_as_numbers() {
    let body = br#"{"total_count":12,"data":["SKU-1",1232001],"offset":0,"limit":10,"stock_id":"9865000"}"#;
    let (goods, total) = coupon_rules::wire::parse_stock_items(body).unwrap();
    assert_eq!((goods, total), (vec!["SKU-1".to_owned(), "1232001".to_owned()], 12));
    let err = coupon_rules::wire::parse_stock_items(br#"{"data":[{"id":1}]}"#).unwrap_err();
    assert_eq!(err.field(), Some("data[0]"), "{err}");
}
