//! The 我的代金券 view: the user's usable coupons as cards, with loading, empty, login and
//! error states (tabs, paging and sheets grow here).

use super::card::CouponCard;
use crate::api::{self, ApiError, CouponPage};
use crate::i18n::t;
use crate::Options;
use coupon_rules::wallet::{Tab, TabCounts};
use leptos::prelude::*;

const PAGE_SIZE: usize = 20;

#[component]
pub fn Wallet(options: Options) -> impl IntoView {
    let lang = options.lang;
    let base = options.api_base.clone();
    let tab = RwSignal::new(Tab::Available);
    let counts = RwSignal::new(None::<TabCounts>);
    let page = LocalResource::new(move || {
        let base = base.clone();
        let tab = tab.get();
        async move {
            let result = api::list_coupons(&base, tab, 0, PAGE_SIZE).await;
            if let Ok(p) = &result {
                counts.set(Some(p.counts));
            }
            result
        }
    });
    view! {
        <section class="cw-wallet" aria-label=t(lang, "我的代金券", "My coupons")>
            <Tabs current=tab counts=counts lang=lang/>
            <div role="tabpanel" class="cw-wallet__panel">
                <Suspense fallback=move || view! { <Skeleton/> }>
                    {move || page.get().map(|result| match result {
                        Ok(p) => view! { <CouponList page=p tab=tab.get_untracked() lang=lang/> }.into_any(),
                        Err(e) => view! { <Failure error=e lang=lang retry=move || page.refetch()/> }.into_any(),
                    })}
                </Suspense>
            </div>
        </section>
    }
}

/// 可用 / 已使用 / 已过期, each with its count once known.
#[component]
fn Tabs(current: RwSignal<Tab>, counts: RwSignal<Option<TabCounts>>, lang: coupon_rules::Lang) -> impl IntoView {
    let label = move |tab: Tab| match tab {
        Tab::Available => t(lang, "可用", "Usable"),
        Tab::Used => t(lang, "已使用", "Used"),
        Tab::Expired => t(lang, "已过期", "Expired"),
    };
    let count = move |tab: Tab| {
        counts.get().map(|c| match tab {
            Tab::Available => c.available,
            Tab::Used => c.used,
            Tab::Expired => c.expired,
        })
    };
    view! {
        <div class="cw-tabs" role="tablist">
            {Tab::ALL.into_iter().map(|tab| view! {
                <button type="button" role="tab" class="cw-tabs__tab" data-tab=tab.as_str()
                        aria-selected=move || (current.get() == tab).to_string()
                        on:click=move |_| current.set(tab)>
                    {label(tab)}
                    {move || count(tab).map(|n| view! { <span class="cw-tabs__count">{format!("({n})")}</span> })}
                </button>
            }).collect_view()}
        </div>
    }
}

#[component]
fn CouponList(page: CouponPage, tab: Tab, lang: coupon_rules::Lang) -> impl IntoView {
    let now = crate::now();
    if page.coupons.is_empty() {
        let empty = match tab {
            Tab::Available => t(lang, "暂无可用的券", "No coupons to use"),
            Tab::Used => t(lang, "暂无已使用的券", "No used coupons"),
            Tab::Expired => t(lang, "暂无已过期的券", "No expired coupons"),
        };
        return view! { <p class="cw-empty">{empty}</p> }.into_any();
    }
    view! {
        <div class="cw-list" role="list">
            {page.coupons.into_iter().map(|c| view! { <div role="listitem"><CouponCard coupon=c now=now lang=lang/></div> }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn Failure(error: ApiError, lang: coupon_rules::Lang, retry: impl Fn() + 'static) -> impl IntoView {
    if let Some(login) = error.login_url.clone().filter(|_| error.code == "UNAUTHENTICATED") {
        let href = format!("{login}?redirect={}", js_sys::encode_uri_component(&current_path()));
        return view! {
            <div class="cw-error" role="alert">
                <p>{error.message}</p>
                <a class="cw-button" href=href>{t(lang, "登录", "Log in")}</a>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="cw-error" role="alert">
            <p>{error.message}</p>
            <button type="button" class="cw-button" on:click=move |_| retry()>{t(lang, "重试", "Retry")}</button>
        </div>
    }
    .into_any()
}

fn current_path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/".into())
}

#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <div class="cw-list" aria-busy="true">
            {(0..3).map(|_| view! { <div class="cw-card cw-card--skeleton"></div> }).collect_view()}
        </div>
    }
}
