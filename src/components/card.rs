//! One coupon as a card: colour, merchant, value, condition, validity, weekly slots, tags,
//! state, and the use button.

use super::detail::DetailSheet;
use super::sheet::Sheet;
use super::use_coupon::{request_use, UseSheetBody};
use crate::i18n::use_button;
use coupon_rules::look::{card_look, Badge, CardLook, CardState};
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

/// The class of a card's state.
fn state_class(state: CardState) -> &'static str {
    match state {
        CardState::Used => "cw-card--used",
        CardState::Expired => "cw-card--expired",
        CardState::Usable => "cw-card--usable",
        CardState::Waiting => "cw-card--waiting",
    }
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
    let look = card_look(&coupon, now, lang);
    let class = format!("cw-card {} {}", state_class(look.state), colour_class(&coupon.background));
    let (stamp, can_use) = (look.stamp, look.can_use);
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
    let name = if compact {
        coupon.name.clone().into_any()
    } else {
        // The whole card opens the detail sheet through this button's ::after.
        view! {
            <button type="button" class="cw-card__open" aria-haspopup="dialog" on:click=move |_| open.set(Some(Open::Detail))>
                {coupon.name.clone()}
            </button>
        }
        .into_any()
    };
    view! {
        <article class=class data-coupon-id=coupon.id.clone() aria-label=coupon.name.clone()>
            <div class="cw-card__main">
                <div class="cw-card__value-box">
                    <span class="cw-card__value">{text::value(&coupon.kind, lang)}</span>
                    <span class="cw-card__condition">{text::condition(&coupon.kind, lang)}</span>
                </div>
                {card_info(&coupon, look, name, lang)}
            </div>
            {stamp.map(|s| view! { <span class="cw-card__stamp" aria-hidden="true">{s}</span> })}
            {(!compact).then(|| view! {
                <button type="button" class="cw-card__use" disabled=!can_use aria-haspopup="dialog" on:click=on_use>
                    {use_button(&coupon.use_method, lang)}
                </button>
            })}
            {move || open.get().map(|which| card_sheet(which, for_sheet.get_value(), lang, Callback::new(move |_| open.set(None))))}
        </article>
    }
}

/// The card's text beside its value: merchant, name, validity, slots, use time, tags, badge.
fn card_info(coupon: &Coupon, look: CardLook, name: AnyView, lang: Lang) -> impl IntoView {
    let badge = look.badge.map(|b| match b {
        Badge::ExpiringSoon(text) => ("cw-badge cw-badge--expiring", text.to_owned()),
        Badge::Waiting(text) => ("cw-badge cw-badge--waiting", text),
    });
    view! {
        <div class="cw-card__info">
            <div class="cw-card__merchant">
                <Logo url=coupon.merchant.logo_url.clone() name=look.merchant_name.clone()/>
                <span class="cw-card__merchant-name">{look.merchant_name}</span>
            </div>
            <h3 class="cw-card__name">{name}</h3>
            <p class="cw-card__validity">{text::validity(coupon, lang)}</p>
            {look.slots.map(|s| view! { <p class="cw-card__slots">{s}</p> })}
            {look.used_at.map(|u| view! { <p class="cw-card__used-at">{u}</p> })}
            <div class="cw-card__tags">
                {look.tags.into_iter().map(|tag| view! { <span class="cw-tag">{tag}</span> }).collect_view()}
                {badge.map(|(c, b)| view! { <span class=c>{b}</span> })}
            </div>
        </div>
    }
}

/// The sheet a card has open: its detail, or how to use it.
fn card_sheet(which: Open, c: Coupon, lang: Lang, close: Callback<()>) -> AnyView {
    match which {
        Open::Detail => view! { <Sheet title=c.name.clone() lang=lang on_close=close><DetailSheet coupon=c lang=lang/></Sheet> }.into_any(),
        Open::Use => view! { <Sheet title=use_button(&c.use_method, lang).to_owned() lang=lang on_close=close><UseSheetBody coupon=c lang=lang/></Sheet> }.into_any(),
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
