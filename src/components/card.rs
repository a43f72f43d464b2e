//! One coupon as a card: colour, merchant, value, condition, validity, weekly slots, tags,
//! state, and the use button.

use super::detail::DetailSheet;
use super::sheet::Sheet;
use super::use_coupon::{request_use, UseSheetBody};
use crate::i18n::{t, use_button};
use coupon_rules::model::{CouponKind, UseMethod};
use coupon_rules::validity::{
    availability, is_expiring_soon, Availability, DEFAULT_EXPIRING_SOON_MS,
};
use coupon_rules::{text, BeijingTime, Coupon, Lang};
use leptos::prelude::*;

/// The card's colour class: the palette's hex without `#`; anything else gets the default.
pub fn colour_class(hex: &str) -> String {
    let known = coupon_rules::palette::names().map(|n| coupon_rules::palette::resolve(Some(n)));
    let hex = if known.into_iter().any(|k| k.eq_ignore_ascii_case(hex)) {
        hex
    } else {
        coupon_rules::palette::DEFAULT_BACKGROUND
    };
    format!("cw-bg-{}", hex.trim_start_matches('#').to_ascii_lowercase())
}

/// `compact`: for lists where the card is one choice among others (the checkout picker): no
/// use button, no detail sheet.
#[component]
pub fn CouponCard(
    coupon: Coupon,
    now: BeijingTime,
    #[prop(optional)] lang: Lang,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let state = availability(&coupon, now);
    let state_class = match state {
        Availability::Used { .. } => "cw-card--used",
        Availability::Expired { .. }
        | Availability::Unavailable
        | Availability::OutsideSlot { next: None } => "cw-card--expired",
        Availability::Usable { .. } => "cw-card--usable",
        Availability::NotStarted { .. } | Availability::OutsideSlot { .. } => "cw-card--waiting",
    };
    let class = format!("cw-card {state_class} {}", colour_class(&coupon.background));
    let stamp = match state {
        Availability::Used { .. } => Some(t(lang, "已使用", "Used")),
        Availability::Expired { .. } => Some(t(lang, "已过期", "Expired")),
        _ => None,
    };
    let badge = match &state {
        Availability::Usable { .. } if is_expiring_soon(&coupon, now, DEFAULT_EXPIRING_SOON_MS) => {
            Some(("cw-badge cw-badge--expiring", text::expiring_soon(lang).to_owned()))
        }
        Availability::NotStarted { .. } | Availability::OutsideSlot { .. } => Some((
            "cw-badge cw-badge--waiting",
            text::availability_reason(&state, &coupon, now, lang),
        )),
        _ => None,
    };
    // Only a used coupon has a use time worth showing (upstream may send one regardless).
    let used_at = coupon
        .used_at
        .filter(|_| matches!(state, Availability::Used { .. }))
        .map(|u| format!("{}{} {}", t(lang, "使用时间 ", "Used "), u.date_dotted(), u.hh_mm()));
    let slots = coupon.validity.weekly.as_ref().map(|w| text::weekly(w, lang));
    let mut tags = Vec::new();
    if coupon.single_item {
        tags.push(t(lang, "单品券", "Single item"));
    }
    if coupon.no_cash {
        tags.push(t(lang, "免充值", "Merchant-funded"));
    }
    if matches!(coupon.kind, CouponKind::Balance { .. }) {
        tags.push(t(lang, "消费金", "Balance"));
    }
    let usable_method =
        !matches!(coupon.use_method, UseMethod::SelfConsume | UseMethod::Unknown { .. });
    let can_use = usable_method && state.is_usable();
    let merchant_name = coupon
        .merchant
        .name
        .clone()
        .unwrap_or_else(|| t(lang, "微信支付", "WeChat Pay").to_owned());
    let open = RwSignal::new(None::<Open>);
    let for_use = coupon.clone();
    let for_sheet = StoredValue::new(coupon.clone());
    let host_appid = use_context::<crate::Options>().and_then(|o| o.mini_program_appid);
    let on_use = move |e: web_sys::MouseEvent| {
        if let Some(target) = e.target() {
            if request_use(&for_use, &target, host_appid.as_deref()) {
                open.set(Some(Open::Use));
            }
        }
    };
    view! {
        <article class=class data-coupon-id=coupon.id.clone() aria-label=coupon.name.clone()>
            <div class="cw-card__main">
                <div class="cw-card__value-box">
                    <span class="cw-card__value">{text::value(&coupon.kind, lang)}</span>
                    <span class="cw-card__condition">{text::condition(&coupon.kind, lang)}</span>
                </div>
                <div class="cw-card__info">
                    <div class="cw-card__merchant">
                        <Logo url=coupon.merchant.logo_url.clone() name=merchant_name.clone()/>
                        <span class="cw-card__merchant-name">{merchant_name}</span>
                    </div>
                    <h3 class="cw-card__name">
                        {if compact {
                            coupon.name.clone().into_any()
                        } else {
                            // The whole card opens the detail sheet through this button's ::after.
                            view! {
                                <button type="button" class="cw-card__open" aria-haspopup="dialog" on:click=move |_| open.set(Some(Open::Detail))>
                                    {coupon.name.clone()}
                                </button>
                            }
                            .into_any()
                        }}
                    </h3>
                    <p class="cw-card__validity">{text::validity(&coupon, lang)}</p>
                    {slots.map(|s| view! { <p class="cw-card__slots">{s}</p> })}
                    {used_at.map(|u| view! { <p class="cw-card__used-at">{u}</p> })}
                    <div class="cw-card__tags">
                        {tags.into_iter().map(|tag| view! { <span class="cw-tag">{tag}</span> }).collect_view()}
                        {badge.map(|(c, b)| view! { <span class=c>{b}</span> })}
                    </div>
                </div>
            </div>
            {stamp.map(|s| view! { <span class="cw-card__stamp" aria-hidden="true">{s}</span> })}
            {(!compact).then(|| view! {
                <button type="button" class="cw-card__use" disabled=!can_use aria-haspopup="dialog" on:click=on_use>
                    {use_button(&coupon.use_method, lang)}
                </button>
            })}
            {move || open.get().map(|which| {
                let c = for_sheet.get_value();
                let close = Callback::new(move |_| open.set(None));
                match which {
                    Open::Detail => view! { <Sheet title=c.name.clone() lang=lang on_close=close><DetailSheet coupon=c lang=lang/></Sheet> }.into_any(),
                    Open::Use => view! { <Sheet title=use_button(&c.use_method, lang).to_owned() lang=lang on_close=close><UseSheetBody coupon=c lang=lang/></Sheet> }.into_any(),
                }
            })}
        </article>
    }
}

/// Which sheet a card has open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Detail,
    Use,
}

/// The merchant's logo, lazily loaded; its initial in a circle when missing or broken.
#[component]
fn Logo(url: Option<String>, name: String) -> impl IntoView {
    // Only plain https URLs: no script or data URLs, no mixed content.
    let url = url.as_deref().and_then(coupon_rules::model::https_url).map(str::to_owned);
    let broken = RwSignal::new(url.is_none());
    let initial: String = name.chars().next().map(String::from).unwrap_or_default();
    move || {
        if broken.get() {
            view! { <span class="cw-card__logo cw-card__logo--fallback" aria-hidden="true">{initial.clone()}</span> }.into_any()
        } else {
            view! {
                <img class="cw-card__logo" src=url.clone().unwrap_or_default() alt="" loading="lazy"
                     referrerpolicy="no-referrer" on:error=move |_| broken.set(true)/>
            }
            .into_any()
        }
    }
}
