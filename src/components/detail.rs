//! The detail sheet: 使用须知, the coupon image, every validity rule in full, the times, the
//! code, the merchant, and the custom entrances.

use crate::events::{self, emit};
use crate::i18n::t;
use coupon_rules::validity::span;
use coupon_rules::{text, BeijingTime, Coupon, Lang};
use leptos::prelude::*;

fn when(t: Option<BeijingTime>) -> Option<String> {
    t.map(|t| format!("{} {}", t.date_dotted(), t.hh_mm()))
}

#[component]
pub fn DetailBody(coupon: Coupon, lang: Lang) -> impl IntoView {
    let s = span(&coupon);
    let rows: Vec<(&'static str, String)> = [
        (t(lang, "有效期", "Valid"), Some(text::validity(&coupon, lang))),
        (t(lang, "可用时段", "Time slots"), coupon.validity.weekly.as_ref().map(|w| text::weekly(w, lang))),
        (t(lang, "特定时段", "Also usable"), (!coupon.validity.irregular.is_empty()).then(|| coupon.validity.irregular.iter().map(text::period).collect::<Vec<_>>().join("；"))),
        (t(lang, "领取后有效", "After claiming"), coupon.validity.days_after_receive.map(|d| match lang { Lang::ZhCn => format!("{d}天"), Lang::En => format!("{d} days") })),
        (t(lang, "生效时间", "Starts"), when(s.start)),
        (t(lang, "过期时间", "Expires"), when(s.expires_at())),
        (t(lang, "领取时间", "Claimed"), when(coupon.received_at)),
        (t(lang, "使用时间", "Used"), when(coupon.used_at)),
        (t(lang, "适用商品", "Goods"), coupon.goods.clone()),
        (t(lang, "商户", "Merchant"), coupon.merchant.name.clone()),
        (t(lang, "券码", "Code"), Some(coupon.id.clone())),
        (t(lang, "门店", "Store"), coupon.entrance.as_ref().and_then(|e| e.store_id.clone())),
        (t(lang, "营销馆", "Offers hall"), coupon.entrance.as_ref().and_then(|e| e.hall_id.clone())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let entrance = coupon.entrance.clone().unwrap_or_default();
    let mini = entrance.mini_program.clone();
    let official = entrance.official_account_appid.clone();
    let coupon_id = coupon.id.clone();
    view! {
        <div class="cw-detail">
            {super::card::safe_image_url(coupon.image_url.as_deref()).map(|src| view! { <img class="cw-detail__image" src=src alt="" loading="lazy" referrerpolicy="no-referrer"/> })}
            {coupon.description.clone().map(|d| view! {
                <section class="cw-detail__section">
                    <h3 class="cw-detail__heading">{t(lang, "使用须知", "How to use")}</h3>
                    <p class="cw-detail__description">{d}</p>
                </section>
            })}
            <dl class="cw-detail__rules">
                {rows.into_iter().map(|(k, v)| view! { <div class="cw-detail__row"><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
            </dl>
            {mini.map(|m| {
                let (coupon_id, appid, path) = (coupon_id.clone(), m.appid.clone(), m.path.clone());
                let tell = move |target: &web_sys::EventTarget| {
                    emit(target, "cw:entrance", &events::Entrance { kind: "mini_program", coupon_id: Some(&coupon_id), appid: &appid, path: path.as_deref() })
                };
                let words = m.entrance_words.clone().unwrap_or_else(|| t(lang, "去小程序", "Open").to_owned());
                view! {
                    <div class="cw-detail__entrance">
                        <span class="cw-detail__guiding">{m.guiding_words.clone()}</span>
                        <button type="button" class="cw-button"
                                on:click=move |e| if let Some(target) = e.target() { tell(&target) }>{words}</button>
                    </div>
                }
            })}
            {official.map(|appid| {
                let tell = move |target: &web_sys::EventTarget| {
                    emit(target, "cw:entrance", &events::Entrance { kind: "official_account", coupon_id: None, appid: &appid, path: None })
                };
                view! {
                    <div class="cw-detail__entrance">
                        <span class="cw-detail__guiding">{t(lang, "关注商家公众号", "Follow the merchant")}</span>
                        <button type="button" class="cw-button cw-button--plain"
                                on:click=move |e| if let Some(target) = e.target() { tell(&target) }>{t(lang, "公众号", "Official account")}</button>
                    </div>
                }
            })}
        </div>
    }
}
