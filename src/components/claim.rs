//! 领取: a button per stock the merchant offers. One tap is one intended claim with its own
//! client key; taps while it is under way are ignored, and a retry after a network error
//! resends the same key, so the user gets exactly one coupon per intent.

use super::load::Load;
use crate::api::{self, ApiError, ClaimableStock};
use crate::events::{self, emit};
use crate::i18n::t;
use crate::Options;
use coupon_rules::{Coupon, Lang};
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn ClaimBar(
    stocks: Load<Result<Vec<ClaimableStock>, ApiError>>,
    lang: Lang,
    on_claimed: Callback<Coupon>,
) -> impl IntoView {
    move || {
        let stocks = stocks.value.get().and_then(Result::ok).filter(|s| !s.is_empty())?;
        Some(view! {
            <section class="cw-claims" aria-label=t(lang, "领取优惠券", "Claim coupons")>
                {stocks.into_iter().map(|stock| view! { <ClaimRow stock=stock lang=lang on_claimed=on_claimed/> }).collect_view()}
            </section>
        })
    }
}

/// A fresh key for a new intended claim.
fn new_key() -> String {
    let mut bytes = [0u8; 12];
    for b in &mut bytes {
        *b = (js_sys::Math::random() * 256.0) as u8;
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a claim's answer does: tells the host page (`cw:claim` or `cw:error`), hands the new
/// coupon to the wallet, forgets the idempotency key unless a retry should reuse it (only a
/// retryable failure keeps it: the retry is the same claim), and says what the row shows.
fn settle(
    result: Result<api::Claimed, ApiError>,
    target: Option<&web_sys::HtmlButtonElement>,
    stock_id: &str,
    key: StoredValue<Option<String>>,
    on_claimed: Callback<Coupon>,
    lang: Lang,
) -> (bool, String) {
    match result {
        Ok(claimed) => {
            key.set_value(None); // the next tap is a new claim
            if let Some(el) = target {
                let detail = events::Claim { stock_id, coupon_id: &claimed.coupon_id };
                emit(el, "cw:claim", &detail);
            }
            if let Some(coupon) = claimed.coupon {
                on_claimed.run(coupon);
            }
            (true, t(lang, "领取成功", "Claimed").to_owned())
        }
        Err(e) => {
            if !e.retryable {
                key.set_value(None);
            }
            if let Some(el) = target {
                let detail = events::Failure {
                    code: e.code,
                    message: &e.message,
                    retryable: e.retryable,
                    stock_id: Some(stock_id),
                };
                emit(el, "cw:error", &detail);
            }
            (false, e.text(lang))
        }
    }
}

#[component]
fn ClaimRow(stock: ClaimableStock, lang: Lang, on_claimed: Callback<Coupon>) -> impl IntoView {
    let options = use_context::<Options>().unwrap_or_default();
    let key = StoredValue::new(None::<String>);
    let stock_id = stock.stock_id.clone();
    let claim = Load::new();
    let send = move || {
        let client_key = key.get_value().unwrap_or_else(new_key);
        key.set_value(Some(client_key.clone()));
        let (base, stock_id) = (options.api_base.clone(), stock_id.clone());
        claim.start(async move { api::claim(&base, &stock_id, &client_key).await });
    };
    let button = NodeRef::<html::Button>::new();
    let message = RwSignal::new(None::<(bool, String)>);
    let stock_for_events = stock.stock_id.clone();
    // The limit WeChat Pay sets per user, shown before a claim would be refused for it.
    // Claims made here since the list loaded (a u32 signal, a type the bundle has already).
    let (max, held, claimed) = (stock.max_per_user, stock.held, RwSignal::new(0u32));
    Effect::new(move |_| {
        let Some(result) = claim.value.get() else { return };
        let target = button.get_untracked();
        let settled = settle(result, target.as_ref(), &stock_for_events, key, on_claimed, lang);
        if settled.0 {
            claimed.update(|n| *n += 1);
        }
        message.set(Some(settled));
    });
    let reached = move || max.is_some_and(|max| held + u64::from(claimed.get()) >= max);
    let limit = stock.max_per_user.map(|max| match lang {
        Lang::ZhCn => format!("每人限领{max}张"),
        Lang::En => format!("Limit {max} per person"),
    });
    let tap = move |_| {
        if !claim.pending.get_untracked() {
            message.set(None);
            send();
        }
    };
    view! {
        <div class="cw-claim" data-stock-id=stock.stock_id.clone()>
            <span class="cw-claim__name">{stock.name}</span>
            {limit.map(|l| view! { <span class="cw-claim__limit">{l}</span> })}
            <button type="button" class="cw-button cw-claim__button" node_ref=button disabled=reached
                    aria-disabled=move || claim.pending.get().to_string() on:click=tap>
                {move || match (reached(), claim.pending.get()) {
                    (true, _) => t(lang, "已达上限", "Limit reached"),
                    (false, true) => t(lang, "领取中…", "Claiming…"),
                    (false, false) => t(lang, "领取", "Claim"),
                }}
            </button>
            {move || message.get().map(|(ok, text)| view! {
                <p class="cw-claim__message" class:cw-claim__message--error=!ok role="status">{text}</p>
            })}
        </div>
    }
}
