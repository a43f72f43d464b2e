//! What real WeChat Pay bodies do, read by the serde types at the parsing edge: numbers and
//! booleans as strings, `week_day` in every shape it comes in, WeChat's misspelled key, and
//! errors that name the field's path.

mod common;

use coupon_rules::model::*;
use coupon_rules::time::Weekday;
use coupon_rules::wire::{
    parse_merchant_coupon, parse_merchant_coupon_list, parse_stock_coupon_list,
};
use coupon_rules::Fen;

/// A 商家券 body with `rule` as its `coupon_available_time` and `extra` members at the top.
fn merchant(available_time: &str, extra: &str) -> String {
    format!(
        r#"{{"coupon_code":"C1","stock_id":"S1","stock_name":"券","stock_type":"NORMAL",{extra}
            "coupon_use_rule":{{"fixed_normal_coupon":{{"discount_amount":"500","transaction_minimum":"10000"}},
                                "coupon_available_time":{available_time}}}}}"#
    )
}

fn days_of(body: &str) -> Vec<Weekday> {
    parse_merchant_coupon(body.as_bytes()).unwrap().validity.weekly.unwrap().days
}

#[test]
fn amounts_and_counts_may_be_numeric_strings() {
    let c = parse_merchant_coupon(merchant("{}", "").as_bytes()).unwrap();
    assert_eq!(c.kind, CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10000) });
    let page =
        parse_stock_coupon_list(br#"{"data":[],"total_count":"7","offset":"5","limit":"10"}"#)
            .unwrap();
    assert_eq!((page.total_count, page.offset, page.limit), (7, 5, 10));
}

#[test]
fn booleans_may_be_strings_or_zero_and_one() {
    let body = |no_cash: &str, single: &str| {
        format!(
            r#"{{"data":[{{"coupon_id":"1","stock_id":"s","no_cash":{no_cash},"singleitem":{single},"normal_coupon_information":{{"coupon_amount":1}}}}]}}"#
        )
    };
    for (no_cash, single, expected) in [
        (r#""true""#, r#""false""#, (true, false)),
        ("1", "0", (true, false)),
        ("false", "true", (false, true)),
        (r#""""#, "null", (false, false)),
    ] {
        let c = &parse_stock_coupon_list(body(no_cash, single).as_bytes()).unwrap().coupons[0];
        assert_eq!((c.no_cash, c.single_item), expected, "no_cash {no_cash}, singleitem {single}");
    }
    let page = parse_stock_coupon_list(body(r#""maybe""#, "false").as_bytes()).unwrap();
    assert_eq!(page.rejected[0].field(), Some("data[0].no_cash"));
}

#[test]
fn week_day_as_one_number_an_array_of_numbers_or_of_strings() {
    let week = |days: &str| merchant(&format!(r#"{{"available_week":{{"week_day":{days}}}}}"#), "");
    assert_eq!(days_of(&week("2")), vec![Weekday::Tue], "the documented type: one integer");
    assert_eq!(days_of(&week(r#""0""#)), vec![Weekday::Sun]);
    assert_eq!(
        days_of(&week("[6, 1, 1]")),
        vec![Weekday::Mon, Weekday::Sat],
        "Monday first, no repeats"
    );
    assert_eq!(
        days_of(&week(r#"["1", "2"]"#)),
        vec![Weekday::Mon, Weekday::Tue],
        "as the documents show it"
    );
    assert_eq!(days_of(&week("null")), vec![], "absent: every day");
    let err = parse_merchant_coupon(week(r#"["1", "7"]"#).as_bytes()).unwrap_err();
    assert_eq!(
        err.field(),
        Some("coupon_use_rule.coupon_available_time.available_week.week_day[1]")
    );
}

#[test]
fn irregular_periods_are_read_under_wechats_spelling_and_the_right_one() {
    let period =
        r#"[{"begin_time":"2025-05-20T10:00:00+08:00","end_time":"2025-05-20T18:00:00+08:00"}]"#;
    for key in ["irregulary_avaliable_time", "irregular_available_time"] {
        let c = parse_merchant_coupon(merchant(&format!(r#"{{"{key}":{period}}}"#), "").as_bytes())
            .unwrap();
        assert_eq!(c.validity.irregular.len(), 1, "{key}");
        assert_eq!(c.validity.irregular[0].begin.unwrap().hh_mm(), "10:00");
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let c = parse_merchant_coupon(
        merchant("{}", r#""a_field_wechat_added_later":{"x":[1]},"transferable":"false","#)
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(c.id, "C1");
}

#[test]
fn errors_name_the_path_of_the_field() {
    let cases = [
        (
            merchant(r#"{"available_day_after_receive":"0"}"#, ""),
            "coupon_use_rule.coupon_available_time.available_day_after_receive",
        ),
        (
            merchant(
                r#"{"available_week":{"available_day_time":[{"begin_time":3600,"end_time":86401}]}}"#,
                "",
            ),
            "coupon_use_rule.coupon_available_time.available_week.available_day_time[0].end_time",
        ),
        (
            merchant(
                r#"{"available_week":{"available_day_time":[{"begin_time":7200,"end_time":3600}]}}"#,
                "",
            ),
            "coupon_use_rule.coupon_available_time.available_week.available_day_time[0].end_time",
        ),
        (merchant("{}", r#""receive_time":"yesterday","#), "receive_time"),
        (
            merchant(
                "{}",
                r#""expire_time":"2020-01-01T00:00:00+08:00","available_start_time":"2021-01-01T00:00:00+08:00","#,
            ),
            "expire_time",
        ),
        (
            merchant("{}", "").replace(r#""discount_amount":"500""#, r#""discount_amount":-5"#),
            "coupon_use_rule.fixed_normal_coupon.discount_amount",
        ),
        (
            merchant("{}", "").replace(r#""stock_type":"NORMAL""#, r#""stock_type":"DISCOUNT""#),
            "coupon_use_rule.discount_coupon",
        ),
    ];
    for (body, field) in cases {
        let err = parse_merchant_coupon(body.as_bytes()).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
}

#[test]
fn a_bad_coupon_is_skipped_with_its_place_named() {
    let good = merchant("{}", "");
    let bad = merchant("{}", "").replace(r#""stock_id":"S1","#, "");
    let body = format!(r#"{{"data":[{good},{bad},{good}],"total_count":3,"offset":0,"limit":10}}"#);
    let page = parse_merchant_coupon_list(body.as_bytes()).unwrap();
    assert_eq!(page.coupons.len(), 2);
    assert_eq!(page.rejected.len(), 1);
    assert_eq!(page.rejected[0].field(), Some("data[1].stock_id"));
}
