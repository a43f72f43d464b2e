//! The 我的代金券 view: tabs 可用 / 已使用 / 已过期 with counts, the cards of the chosen tab
//! loaded page by page as the user scrolls, refresh, and loading, empty, stale, login and
//! error states. A page that fails to load offers retry and keeps the pages already shown.

use super::card::CouponCard;
use super::claim::ClaimBar;
use super::dom;
use super::load::{FirstLoad, Load};
use super::windowed::{text_key, Windowed};
use crate::api::{self, ApiError, ClaimableStock, CouponPage};
use crate::i18n::t;
use crate::Options;
use coupon_rules::wallet::{Tab, TabCounts};
use coupon_rules::{BeijingTime, Coupon, Lang};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::PAGE_SIZE;

/// A full card's height before one has been measured (the list then uses measured ones).
pub const CARD_ESTIMATE_PX: f64 = 150.0;

#[component]
pub fn Wallet(
    options: Options,
    #[prop(optional)] refreshes: Option<RwSignal<u32>>,
) -> impl IntoView {
    provide_context(options.clone());
    let state = WalletState::new(refreshes.unwrap_or_else(|| RwSignal::new(0)));
    let load_first = first_page_loader(&options.api_base, &state);
    let stocks = state.stocks;
    let base = options.api_base.clone();
    let again = FirstLoad::new().again(format!("{base}/claimable"), move || claimable(base));
    stocks.start_then_again(claimable(options.api_base.clone()), again);
    wallet_view(state, options.lang, load_first)
}

async fn claimable(base: String) -> Result<Vec<ClaimableStock>, ApiError> {
    api::claimable(&base).await
}

/// The wallet's first screen drawn from answers already in hand: what [`Wallet`] draws once
/// they arrive. The proxy renders it to HTML, so the cards show before the wasm has loaded.
pub fn answered_wallet(
    options: Options,
    page: CouponPage,
    stocks: Vec<ClaimableStock>,
) -> impl IntoView {
    provide_context(options.clone());
    let state = WalletState::new(RwSignal::new(0));
    state.counts.set(Some(page.counts));
    state.first.value.set(Some((Tab::Available, Ok(page))));
    state.stocks.value.set(Some(Ok(stocks)));
    wallet_view(state, options.lang, || {})
}

/// What a wallet shows and what changes it.
#[derive(Clone, Copy)]
struct WalletState {
    tab: RwSignal<Tab>,
    refreshes: RwSignal<u32>,
    counts: RwSignal<Option<TabCounts>>,
    /// Coupons claimed since the list was loaded (see [`claimed_since_load`]).
    claimed: RwSignal<Vec<Coupon>>,
    on_claimed: Callback<Coupon>,
    first: Load<FirstPage>,
    stocks: Load<Result<Vec<ClaimableStock>, ApiError>>,
}

impl WalletState {
    fn new(refreshes: RwSignal<u32>) -> WalletState {
        let counts = RwSignal::new(None::<TabCounts>);
        let (claimed, on_claimed) = claimed_since_load(counts);
        let tab = RwSignal::new(Tab::Available);
        WalletState {
            tab,
            refreshes,
            counts,
            claimed,
            on_claimed,
            first: Load::new(),
            stocks: Load::new(),
        }
    }
}

fn wallet_view(
    s: WalletState,
    lang: Lang,
    load_first: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let WalletState { tab, refreshes, counts, claimed, on_claimed, first, stocks } = s;
    provide_context(super::use_coupon::WalletChanges { counts, refreshes });
    // The last first page each tab showed, kept through a failed reload.
    let shown_before = StoredValue::new([None::<CouponPage>, None, None]);
    // While a tab or a refresh loads, the cards already shown stay, dimmed and marked busy.
    let pending = move || first.pending.get() && first.value.with(Option::is_some);
    let section = NodeRef::<html::Section>::new();
    dom::report_failures(section, move || {
        first.value.with(|v| v.as_ref().and_then(|(_, r)| r.as_ref().err().cloned()))
    });
    // The first draw waits for the 领取 rows as well as the first cards: both requests are
    // under way (the loader started them), and nothing drawn moves when the later one answers.
    let ready =
        Memo::new(move |_| stocks.value.with(Option::is_some) && first.value.with(Option::is_some));
    // The proxy's drawing of this first screen, shown until then, goes as this one draws.
    dom::replace_prerendered(section, move || ready.get());
    view! {
        <section class="cw-wallet" node_ref=section aria-label=t(lang, "我的代金券", "My coupons")>
            <Show when=move || ready.get() fallback=|| view! { <Skeleton/> }>
            <ClaimBar stocks=stocks lang=lang on_claimed=on_claimed/>
            <Tabs current=tab counts=counts lang=lang/>
            {refresh_bar(refreshes, lang)}
            <div role="tabpanel" class="cw-wallet__panel" class:cw-wallet__panel--pending=pending
                 aria-busy=move || pending().to_string()>
                {move || match first.value.get() {
                    None => view! { <Skeleton/> }.into_any(),
                    Some((tab, Ok(page))) => {
                        shown_before.update_value(|m| m[slot(tab)] = Some(page.clone()));
                        first_page(page, tab, claimed, lang, load_first).into_any()
                    }
                    // A failed reload keeps what the user was looking at, under the error.
                    Some((tab, Err(e))) => match shown_before.with_value(|m| m[slot(tab)].clone()) {
                        Some(page) => kept_page(e, page, tab, claimed, lang, load_first).into_any(),
                        None => view! { <Failure error=e lang=lang retry=load_first/> }.into_any(),
                    },
                }}
            </div>
            </Show>
        </section>
    }
}

/// A tab's first page as loaded, with the tab it is of.
type FirstPage = (Tab, Result<CouponPage, ApiError>);

/// The tab's first page (with its tab), loaded again on a new tab or a refresh; each one
/// loaded sets the tabs' counts and forgets the claims shown since, which it holds already.
fn first_page_loader(base: &str, s: &WalletState) -> impl Fn() + Copy + Send + Sync + 'static {
    let base = StoredValue::new(base.to_owned());
    let WalletState { tab, refreshes, counts, claimed, first, .. } = *s;
    let load = move |tab: Tab, base: String| async move {
        let page = api::list_coupons(&base, tab, 0, PAGE_SIZE).await;
        if let Ok(p) = &page {
            counts.set(Some(p.counts));
            claimed.set(Vec::new());
        }
        (tab, page)
    };
    let first_load = FirstLoad::new();
    let load_first = move || {
        let (tab, base) = (tab.get_untracked(), base.get_value());
        let url = api::coupons_url(&base, tab, 0, PAGE_SIZE);
        let answer = load(tab, base.clone());
        first.start_then_again(answer, first_load.again(url, move || load(tab, base)));
    };
    Effect::new(move |_| {
        tab.track();
        refreshes.track();
        load_first();
    });
    load_first
}

/// The loaded pages of one tab, and the next one as the user reaches the end.
/// Where a tab's last shown page is kept.
fn slot(tab: Tab) -> usize {
    Tab::ALL.iter().position(|t| *t == tab).unwrap_or(0)
}

fn refresh_bar(refreshes: RwSignal<u32>, lang: Lang) -> impl IntoView {
    view! {
        <div class="cw-wallet__bar">
            <button type="button" class="cw-wallet__refresh" on:click=move |_| refreshes.update(|n| *n += 1)>{t(lang, "刷新", "Refresh")}</button>
        </div>
    }
}

/// Coupons claimed since the list was loaded, shown at the top of 可用 until the next load,
/// and what a claim does: adds one there and counts it.
fn claimed_since_load(
    counts: RwSignal<Option<TabCounts>>,
) -> (RwSignal<Vec<Coupon>>, Callback<Coupon>) {
    let claimed = RwSignal::new(Vec::<Coupon>::new());
    let on_claimed = Callback::new(move |c: Coupon| {
        claimed.update(|list| list.insert(0, c));
        counts.update(|c| {
            if let Some(c) = c {
                c.available += 1;
            }
        });
    });
    (claimed, on_claimed)
}

/// A tab's first page, with what the user must know about it: a source missing, a list cut short.
fn first_page(
    page: CouponPage,
    tab: Tab,
    claimed: RwSignal<Vec<Coupon>>,
    lang: Lang,
    retry: impl Fn() + 'static,
) -> impl IntoView {
    let notice = Partial(&page, lang);
    view! {
        {notice.map(|text| view! {
            <div class="cw-notice cw-notice--partial" role="status">
                <p>{text}</p>
                <button type="button" class="cw-button cw-button--plain" on:click=move |_| retry()>{t(lang, "重试", "Retry")}</button>
            </div>
        })}
        {page.truncated.then(|| view! { <p class="cw-notice" role="status">{t(lang, "券太多，仅显示了一部分", "Too many coupons: only some are shown")}</p> })}
        <Pages first=page tab=tab claimed=claimed lang=lang/>
    }
}

/// A reload that failed, over the page the user was looking at.
fn kept_page(
    error: ApiError,
    page: CouponPage,
    tab: Tab,
    claimed: RwSignal<Vec<Coupon>>,
    lang: Lang,
    retry: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <div class="cw-error cw-error--inline" role="alert">
            <p>{error.text(lang)}</p>
            {error.retryable.then(|| view! { <button type="button" class="cw-button" on:click=move |_| retry()>{t(lang, "重试", "Retry")}</button> })}
        </div>
        <Pages first=page tab=tab claimed=claimed lang=lang/>
    }
}

/// Coupons claimed since the load, then the loaded ones that are not among them.
fn claimed_first(mut list: Vec<Coupon>, loaded: &[Coupon]) -> Vec<Coupon> {
    let fresh = list.len();
    let more: Vec<Coupon> = loaded
        .iter()
        .filter(|c| !list[..fresh].iter().any(|n| n.source == c.source && n.id == c.id))
        .cloned()
        .collect();
    list.extend(more);
    list
}

/// Below the list: loading, a 加载更多 button (`can_load`), the end of the list, or nothing.
fn more_footer(
    pending: bool,
    can_load: bool,
    end: bool,
    lang: Lang,
    load_more: impl Fn() + 'static,
) -> AnyView {
    if pending {
        view! { <span class="cw-more__loading" role="status">{t(lang, "加载中…", "Loading…")}</span> }.into_any()
    } else if can_load {
        view! { <button type="button" class="cw-button cw-button--plain" on:click=move |_| load_more()>{t(lang, "加载更多", "Load more")}</button> }.into_any()
    } else if end {
        view! { <span class="cw-more__end">{t(lang, "没有更多了", "That's all")}</span> }.into_any()
    } else {
        ().into_any()
    }
}

#[component]
fn Pages(first: CouponPage, tab: Tab, claimed: RwSignal<Vec<Coupon>>, lang: Lang) -> impl IntoView {
    let options = use_context::<Options>().unwrap_or_default();
    let total = first.total;
    let stale = first.stale;
    let loaded = RwSignal::new(first.coupons);
    let base = StoredValue::new(options.api_base);
    let next_page = Load::<Result<CouponPage, ApiError>>::new();
    // Append each page that arrives.
    Effect::new(move |_| {
        if let Some(Ok(page)) = next_page.value.get() {
            loaded.update(|l| {
                if page.offset == l.len() {
                    l.extend(page.coupons);
                }
            });
        }
    });
    let failed = move || next_page.error();
    let has_more = move || loaded.with(Vec::len) < total;
    let load_more = move || {
        if has_more() && !next_page.pending.get_untracked() {
            let (base, offset) = (base.get_value(), loaded.with_untracked(Vec::len));
            next_page.start(async move { api::list_coupons(&base, tab, offset, PAGE_SIZE).await });
        }
    };
    let sentinel = NodeRef::<html::Div>::new();
    // Re-armed after every page: if the end is still on screen, the next page follows.
    dom::observe_when_visible(
        sentinel,
        move || loaded.with(Vec::len),
        move || {
            if failed().is_none() {
                load_more();
            }
        },
    );
    let now = crate::now();
    // 可用 shows coupons claimed since the load first, then the loaded pages.
    let shown = Memo::new(move |_| {
        let fresh = if tab == Tab::Available { claimed.get() } else { Vec::new() };
        loaded.with(|l| claimed_first(fresh, l))
    });
    view! {
        {stale.then(|| view! { <p class="cw-notice" role="status">{t(lang, "网络不佳，显示的是稍早的数据", "Showing earlier data: the network is slow")}</p> })}
        {move || shown.with(Vec::is_empty).then(|| view! { <p class="cw-empty">{empty_text(tab, lang)}</p> })}
        <CouponList coupons=shown.into() tab=tab now=now lang=lang/>
        {move || failed().map(|e| view! {
            <div class="cw-error cw-error--inline" role="alert">
                <p>{e.text(lang)}</p>
                {e.retryable.then(|| view! { <button type="button" class="cw-button" on:click=move |_| load_more()>{t(lang, "重试", "Retry")}</button> })}
            </div>
        })}
        <div class="cw-more" node_ref=sentinel>
            {move || {
                let end = !loaded.with(Vec::is_empty) && !has_more();
                more_footer(next_page.pending.get(), has_more() && failed().is_none(), end, lang, load_more)
            }}
        </div>
    }
}

/// A tab's coupons as cards, windowed: however many are loaded, only those near the screen
/// are drawn.
#[component]
pub fn CouponList(
    coupons: Signal<Vec<Coupon>>,
    tab: Tab,
    now: BeijingTime,
    lang: Lang,
) -> impl IntoView {
    view! {
        <Windowed items=coupons key=|c: &Coupon| text_key(&[c.source.as_str(), &c.id]) estimate=CARD_ESTIMATE_PX class="cw-list" tab=tab.as_str()
                  row=move |coupon: Coupon| view! { <CouponCard coupon=coupon now=now lang=lang/> }/>
    }
}

fn empty_text(tab: Tab, lang: Lang) -> &'static str {
    match tab {
        Tab::Available => t(lang, "暂无可用的券", "No coupons to use"),
        Tab::Used => t(lang, "暂无已使用的券", "No used coupons"),
        Tab::Expired => t(lang, "暂无已过期的券", "No expired coupons"),
    }
}

/// 可用 / 已使用 / 已过期, each with its count once known.
#[component]
fn Tabs(current: RwSignal<Tab>, counts: RwSignal<Option<TabCounts>>, lang: Lang) -> impl IntoView {
    let label = move |tab: Tab| match tab {
        Tab::Available => t(lang, "可用", "Usable"),
        Tab::Used => t(lang, "已使用", "Used"),
        Tab::Expired => t(lang, "已过期", "Expired"),
    };
    // 已过期 not read yet (a cold first screen): no number rather than a wrong one.
    let count = move |tab: Tab| {
        counts.get().and_then(|c| match tab {
            Tab::Available => Some(c.available),
            Tab::Used => Some(c.used),
            Tab::Expired => (!c.expired_pending).then_some(c.expired),
        })
    };
    // Arrow keys move between tabs, Home/End jump to the ends (WAI-ARIA tabs pattern).
    let on_key = move |e: web_sys::KeyboardEvent| {
        let i = Tab::ALL.iter().position(|t| *t == current.get_untracked()).unwrap_or(0);
        let n = Tab::ALL.len();
        let next = match e.key().as_str() {
            "ArrowRight" => (i + 1) % n,
            "ArrowLeft" => (i + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        e.prevent_default();
        current.set(Tab::ALL[next]);
        let focus = e
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|list| {
                list.query_selector(&format!("[data-tab={}]", Tab::ALL[next].as_str()))
                    .ok()
                    .flatten()
            });
        if let Some(el) = focus.and_then(|f| f.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    };
    view! {
        <div class="cw-tabs" role="tablist" aria-label=t(lang, "券状态", "Coupon state") on:keydown=on_key>
            {Tab::ALL.into_iter().map(|tab| view! {
                <button type="button" role="tab" class="cw-tabs__tab" data-tab=tab.as_str()
                        aria-selected=move || (current.get() == tab).to_string()
                        tabindex=move || if current.get() == tab { "0" } else { "-1" }
                        on:click=move |_| current.set(tab)>
                    {label(tab)}
                    {move || count(tab).map(|n| view! { <span class="cw-tabs__count">{format!("({n})")}</span> })}
                </button>
            }).collect_view()}
        </div>
    }
}

/// 部分券暂时无法显示（消费金）: which sources the page lacks; `None` when it is whole.
#[allow(non_snake_case)]
fn Partial(page: &CouponPage, lang: Lang) -> Option<String> {
    use crate::api::WalletSource;
    if page.missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = page
        .missing
        .iter()
        .map(|m| match m.source {
            WalletSource::Merchant => t(lang, "商家券", "merchant coupons"),
            WalletSource::Stock => t(lang, "代金券", "WeChat Pay coupons"),
            WalletSource::Balance => t(lang, "消费金", "balances"),
        })
        .collect();
    Some(match lang {
        Lang::ZhCn => format!("部分券暂时无法显示：{}", names.join("、")),
        Lang::En => format!("Some coupons cannot be shown right now: {}", names.join(", ")),
    })
}

#[component]
fn Failure(error: ApiError, lang: Lang, retry: impl Fn() + 'static) -> impl IntoView {
    let base = use_context::<Options>().map(|o| o.api_base).unwrap_or_default();
    if let Some(href) = error
        .login_url
        .as_deref()
        .filter(|_| error.code == api::ErrorCode::Unauthenticated)
        .and_then(|login| api::login_link(&base, login))
    {
        return view! {
            <div class="cw-error" role="alert">
                <p>{error.text(lang)}</p>
                <a class="cw-button" href=href>{t(lang, "登录", "Log in")}</a>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="cw-error" role="alert">
            <p>{error.text(lang)}</p>
            {error.retryable.then(|| view! { <button type="button" class="cw-button" on:click=move |_| retry()>{t(lang, "重试", "Retry")}</button> })}
        </div>
    }
    .into_any()
}

#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <div class="cw-list" aria-busy="true">
            {(0..3).map(|_| view! { <div class="cw-card cw-card--skeleton"></div> }).collect_view()}
        </div>
    }
}
