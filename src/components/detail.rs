//! The detail sheet: 使用须知, the coupon image, every validity rule in full, the times, the
//! code, the merchant, and the custom entrances.

use super::load::Load;
use super::use_coupon::{is_host, mini_program_link, navigate_in_mini_program};
use crate::api::{self, ApiError, CouponDetail};
use crate::events::{self, emit, EntranceKind};
use crate::i18n::t;
use crate::Options;
use coupon_rules::validity::span;
use coupon_rules::{text, BeijingTime, Coupon, CouponState, Lang, Source};
use leptos::prelude::*;

fn when(t: Option<BeijingTime>) -> Option<String> {
    t.map(|t| format!("{} {}", t.date_dotted(), t.hh_mm()))
}

#[component]
pub fn DetailBody(coupon: Coupon, lang: Lang) -> impl IntoView {
    let s = span(&coupon);
    let rows: Vec<(&'static str, String)> = [
        (t(lang, "有效期", "Valid"), Some(text::validity(&coupon, lang))),
        (
            t(lang, "可用时段", "Time slots"),
            coupon.validity.weekly.as_ref().map(|w| text::weekly(w, lang)),
        ),
        (
            t(lang, "特定时段", "Also usable"),
            (!coupon.validity.irregular.is_empty()).then(|| {
                coupon.validity.irregular.iter().map(text::period).collect::<Vec<_>>().join("；")
            }),
        ),
        (
            t(lang, "领取后有效", "After claiming"),
            coupon.validity.days_after_receive.map(|d| match lang {
                Lang::ZhCn => format!("{d}天"),
                Lang::En => format!("{d} days"),
            }),
        ),
        (t(lang, "生效时间", "Starts"), when(s.start)),
        (t(lang, "过期时间", "Expires"), when(s.expires_at())),
        (t(lang, "领取时间", "Claimed"), when(coupon.received_at)),
        (t(lang, "使用时间", "Used"), when(coupon.used_at)),
        (t(lang, "适用商品", "Goods"), coupon.goods.clone()),
        (t(lang, "商户", "Merchant"), coupon.merchant.name.clone()),
        (t(lang, "券码", "Code"), Some(coupon.id.clone())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let entrances = entrances(&coupon, lang);
    let notes = text::rule_notes(&coupon, lang);
    view! {
        <div class="cw-detail">
            {coupon.image_url.as_deref().and_then(coupon_rules::model::https_url).map(str::to_owned).map(|src| view! { <img class="cw-detail__image" src=src alt="" loading="lazy" referrerpolicy="no-referrer"/> })}
            {coupon.description.clone().map(|d| view! {
                <section class="cw-detail__section">
                    <h3 class="cw-detail__heading">{t(lang, "使用须知", "How to use")}</h3>
                    <p class="cw-detail__description">{d}</p>
                </section>
            })}
            <dl class="cw-detail__rules">
                {rows.into_iter().map(|(k, v)| view! { <div class="cw-detail__row"><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
            </dl>
            {(!notes.is_empty()).then(|| view! {
                <ul class="cw-detail__notes">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            })}
            {entrances}
        </div>
    }
}

/// The detail sheet: the coupon as the list had it, replaced by a fresh read (a 商家券
/// through WeChat's detail API) as soon as that arrives, so a coupon used on another device
/// shows as used. A failed read keeps the list's copy.
#[component]
pub fn DetailSheet(coupon: Coupon, lang: Lang) -> impl IntoView {
    let options = use_context::<Options>().unwrap_or_default();
    let fresh = Load::<Result<CouponDetail, ApiError>>::new();
    if coupon.source == Source::Merchant {
        let (base, c) = (options.api_base.clone(), coupon.clone());
        fresh.start(async move { api::coupon_detail(&base, &c).await });
    }
    let listed = coupon.state.clone();
    move || {
        let shown = fresh
            .value
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).map(|d| d.coupon.clone()))
            .unwrap_or_else(|| coupon.clone());
        let used_elsewhere = (shown.state == CouponState::Used && listed != CouponState::Used)
            .then(|| view! { <p class="cw-notice" role="status">{t(lang, "此券已使用", "This coupon has been used")}</p> });
        view! { {used_elsewhere} <DetailBody coupon=shown lang=lang/> }
    }
}

/// The custom entrances as actions a user can tap: the mini-program opens (in its own
/// web-view with the JS-SDK, else through the merchant's link template) and every tap is told
/// to the host (`cw:entrance`), which knows how to open an official account, a 营销馆 or a
/// store. Ids are never shown as text.
/// One custom entrance of the detail sheet: what it says and what a tap does.
struct EntranceButton {
    label: String,
    guiding: String,
    plain: bool,
    detail: events::Entrance,
    /// The mini-program path to navigate to in its own web-view, or a link to follow.
    path: Option<String>,
    href: Option<String>,
}

/// The coupon's custom entrances, in the order WeChat's own coupon page shows them.
fn entrance_buttons(coupon: &Coupon, options: &Options, lang: Lang) -> Vec<EntranceButton> {
    let entrance = coupon.entrance.clone().unwrap_or_default();
    let detail =
        |kind| events::Entrance { kind, coupon_id: coupon.id.clone(), ..Default::default() };
    let plain = |label: &'static str, guiding: &'static str, detail| EntranceButton {
        label: label.to_owned(),
        guiding: guiding.to_owned(),
        plain: true,
        detail,
        path: None,
        href: None,
    };
    let mut buttons = Vec::new();
    if let Some(m) = entrance.mini_program {
        let own = is_host(Some(&m.appid), options.mini_program_appid.as_deref());
        let link =
            mini_program_link(options.mini_program_link.as_deref(), &m.appid, m.path.as_deref());
        buttons.push(EntranceButton {
            label: m
                .entrance_words
                .clone()
                .unwrap_or_else(|| t(lang, "去小程序", "Open").to_owned()),
            guiding: m.guiding_words.clone().unwrap_or_default(),
            plain: false,
            detail: events::Entrance {
                appid: Some(m.appid.clone()),
                path: m.path.clone(),
                ..detail(EntranceKind::MiniProgram)
            },
            path: own.then(|| m.path.clone()).flatten(),
            href: (!own).then_some(link).flatten(),
        });
    }
    if let Some(appid) = entrance.official_account_appid {
        let detail =
            events::Entrance { appid: Some(appid), ..detail(EntranceKind::OfficialAccount) };
        buttons.push(plain(
            t(lang, "公众号", "Official account"),
            t(lang, "关注商家公众号", "Follow the merchant"),
            detail,
        ));
    }
    if let Some(hall) = entrance.hall_id {
        let detail = events::Entrance { hall_id: Some(hall), ..detail(EntranceKind::Hall) };
        buttons.push(plain(
            t(lang, "去营销馆", "More offers"),
            t(lang, "商家营销馆", "The merchant's offers"),
            detail,
        ));
    }
    if let Some(store) = entrance.store_id {
        let detail = events::Entrance { store_id: Some(store), ..detail(EntranceKind::Store) };
        buttons.push(plain(
            t(lang, "查看门店", "See the store"),
            t(lang, "适用门店", "Where to use it"),
            detail,
        ));
    }
    buttons
}

fn entrances(coupon: &Coupon, lang: Lang) -> impl IntoView {
    let options = use_context::<Options>().unwrap_or_default();
    entrance_buttons(coupon, &options, lang).into_iter().map(entrance_row).collect_view()
}

/// A tap reports the entrance to the host (`cw:entrance`), then opens it where the widget can.
fn entrance_row(b: EntranceButton) -> impl IntoView {
    let (detail, path) = (b.detail, b.path);
    let tap = move |e: web_sys::MouseEvent| {
        let Some(target) = e.target() else { return };
        emit(&target, "cw:entrance", &detail);
        if let Some(path) = &path {
            navigate_in_mini_program(path);
        }
    };
    let (label, plain) = (b.label, b.plain);
    view! {
        <div class="cw-detail__entrance">
            <span class="cw-detail__guiding">{b.guiding}</span>
            {match b.href {
                Some(href) => view! { <a class="cw-button" href=href on:click=tap>{label}</a> }.into_any(),
                None => view! { <button type="button" class="cw-button" class:cw-button--plain=plain on:click=tap>{label}</button> }.into_any(),
            }}
        </div>
    }
}
