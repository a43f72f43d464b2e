//! The checkout picker: which coupons apply to the order and what each saves, the best one
//! chosen by default, the others with the reason they do not apply. The host page learns the
//! choice and the amount payable (`cw:select`) at once, whenever they change, and at each
//! confirm.

use super::card::CouponCard;
use super::load::{FirstLoad, Load};
use super::sheet::Sheet;
use super::windowed::Windowed;
use crate::api::{self, ApiError};
use crate::events::{self, emit};
use crate::i18n::t;
use crate::Options;
use coupon_rules::rank::{Applicable, NotApplicable};
use coupon_rules::{rank, text, Coupon, Fen, Lang, Order, Ranking};
use leptos::html;
use leptos::prelude::*;

/// What the user chose: the best coupon (the default), a given one, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Best,
    Coupon(usize),
    Nothing,
}

#[component]
pub fn Picker(options: Options, order: RwSignal<Order>, refreshes: RwSignal<u32>) -> impl IntoView {
    provide_context(options.clone());
    let lang = options.lang;
    let base = StoredValue::new(options.api_base.clone());
    let coupons = Load::new();
    let all = |base: String| async move { api::all_available(&base).await };
    // A first answer that may be the browser's copy is ranked again as the proxy answers (and the
    // host told if the pick moves).
    let first_load = FirstLoad::new();
    let load = move || {
        let base = base.get_value();
        let url = api::coupons_url(&base, coupon_rules::wallet::Tab::Available, 0, api::PAGE_SIZE);
        let answer = all(base.clone());
        coupons.start_then_again(answer, first_load.again(url, move || all(base)));
    };
    Effect::new(move |_| {
        refreshes.track();
        load();
    });
    let section = NodeRef::<html::Section>::new();
    super::dom::report_failures(section, move || coupons.error());
    // While a refresh loads, the picker already shown stays.
    view! {
        <section class="cw-picker" node_ref=section aria-label=t(lang, "选择优惠券", "Choose a coupon")>
            {move || match coupons.value.get() {
                None => view! { <div class="cw-cell cw-cell--loading" aria-busy="true"></div> }.into_any(),
                Some(Ok(list)) => view! { <CouponPicker coupons=list order=order lang=lang/> }.into_any(),
                Some(Err(e)) => view! { <PickerFailure error=e lang=lang retry=load/> }.into_any(),
            }}
        </section>
    }
}

/// The picker over coupons already loaded: the summary cell and its sheet.
#[component]
pub fn CouponPicker(
    coupons: Vec<Coupon>,
    order: RwSignal<Order>,
    #[prop(optional)] lang: Lang,
) -> impl IntoView {
    let coupons = StoredValue::new(coupons);
    let now = RwSignal::new(crate::now());
    let ranking = Memo::new(move |_| coupons.with_value(|c| rank(c, &order.get(), now.get())));
    rerank_at_next_change(ranking, now);
    // What the host page has been told: the committed choice. The sheet edits a draft, which
    // only a confirm commits; closing the sheet drops it.
    let choice = RwSignal::new(Choice::Best);
    let draft = RwSignal::new(Choice::Best);
    let pick = move |c: Choice| {
        ranking.with(|r| match c {
            Choice::Best => r.applicable.first().cloned(),
            Choice::Nothing => None,
            Choice::Coupon(i) => {
                r.applicable.iter().find(|a| a.index == i).or(r.applicable.first()).cloned()
            }
        })
    };
    let selected = Memo::new(move |_| pick(choice.get()));
    let drafted = Memo::new(move |_| pick(draft.get()));
    let open = RwSignal::new(false);
    let cell = NodeRef::<html::Button>::new();
    let summary =
        move || summary_text(selected.get().as_ref(), ranking.with(|r| r.applicable.len()), lang);
    let tell = select_teller(coupons, selected, order, cell);
    let notice = RwSignal::new(None::<String>);
    let open_sheet = move || {
        draft.set(choice.get_untracked());
        notice.set(None);
        open.set(true);
    };
    let commit = move || {
        choice.set(draft.get_untracked());
        tell(true);
        open.set(false);
    };
    let sheet = Drafting { coupons, ranking, draft, drafted, now, notice, lang };
    let confirm = confirm_checked(sheet, commit);
    view! {
        <button type="button" class="cw-cell" node_ref=cell aria-haspopup="dialog" on:click=move |_| open_sheet()>
            <span class="cw-cell__title">{t(lang, "优惠券", "Coupon")}</span>
            <span class="cw-cell__value" class:cw-cell__value--saving=move || selected.with(Option::is_some)>{summary}</span>
        </button>
        {move || open.get().then(|| view! {
            <Sheet title=t(lang, "选择优惠券", "Choose a coupon").to_owned() lang=lang on_close=Callback::new(move |_| open.set(false))>
                {move || notice.get().map(|n| view! { <p class="cw-picker__notice" role="status">{n}</p> })}
                <PickerChoices ranking=ranking coupons=coupons choice=draft selected=drafted now=now lang=lang/>
                <button type="button" class="cw-button cw-picker__confirm" on:click=move |_| confirm()>{t(lang, "确定", "Confirm")}</button>
            </Sheet>
        })}
    }
}

/// What the open sheet edits: the coupons, their ranking and the drafted choice.
#[derive(Clone, Copy)]
struct Drafting {
    coupons: StoredValue<Vec<Coupon>>,
    ranking: Memo<Ranking>,
    draft: RwSignal<Choice>,
    drafted: Memo<Option<Applicable>>,
    now: RwSignal<coupon_rules::BeijingTime>,
    notice: RwSignal<Option<String>>,
    lang: Lang,
}

/// The confirm button: the drafted coupon is read fresh first (it may have been used at a
/// till or on another device since the list loaded), and committed only if it still saves
/// as much; otherwise the fresh copy re-ranks the sheet, a notice says why and the next best
/// is drafted for the user to confirm. No answer (offline, upstream down with nothing kept)
/// commits: the payment has the last word.
fn confirm_checked(s: Drafting, commit: impl Fn() + Copy + 'static) -> impl Fn() + Copy + 'static {
    let base = StoredValue::new(use_context::<crate::Options>().map(|o| o.api_base));
    let checking = StoredValue::new(false);
    move || {
        let (Some(base), Some(a)) = (base.get_value(), s.drafted.get_untracked()) else {
            return commit();
        };
        if checking.get_value() {
            return;
        }
        checking.set_value(true);
        let coupon = s.coupons.with_value(|c| c[a.index].clone());
        leptos::task::spawn_local(async move {
            let fresh = api::coupon_detail(&base, &coupon).await;
            checking.try_set_value(false);
            let fresh = match fresh {
                Ok(d) => d.coupon,
                Err(_) => return commit(),
            };
            s.coupons.update_value(|c| c[a.index] = fresh.clone());
            s.now.try_set(crate::now());
            // None: the sheet is gone; Some(None): it still saves as much.
            let why = s.ranking.try_with_untracked(|r| {
                if r.applicable.iter().any(|x| x.index == a.index && x.saving >= a.saving) {
                    return None;
                }
                Some(r.not_applicable.iter().find(|n| n.index == a.index).map_or_else(
                    || t(s.lang, "优惠已变化", "its saving changed").to_owned(),
                    |n| text::reason(&n.reason, &fresh, crate::now(), s.lang),
                ))
            });
            let Some(why) = why else { return };
            let Some(why) = why else { return commit() };
            let notice = match s.lang {
                Lang::ZhCn => format!("「{}」{why}，已为你选择下一张", fresh.name),
                Lang::En => format!("“{}”: {why}; the next best is chosen", fresh.name),
            };
            s.notice.try_set(Some(notice));
            s.draft.try_set(Choice::Best);
        });
    }
}

/// Tells the host page the choice (`cw:select`) whenever what applies to the order changes (the
/// best pick at first, a new amount, a slot opening) and at every confirm (the returned
/// function, with `true`), so the host's payable is always right.
fn select_teller(
    coupons: StoredValue<Vec<Coupon>>,
    selected: Memo<Option<Applicable>>,
    order: RwSignal<Order>,
    cell: NodeRef<html::Button>,
) -> impl Fn(bool) + Copy + 'static {
    let told = StoredValue::new(None::<(Option<(usize, i64)>, i64)>);
    let tell = move |confirmed: bool| {
        let total = order.with_untracked(|o| o.total);
        let chosen = selected.get_untracked();
        let key = (chosen.as_ref().map(|a| (a.index, a.saving.0)), total.0);
        if !confirmed && told.get_value() == Some(key) {
            return;
        }
        told.set_value(Some(key));
        let Some(el) = cell.get_untracked() else { return };
        coupons.with_value(|c| {
            emit(&el, "cw:select", &select_detail(c, chosen.as_ref(), total, confirmed));
        });
    };
    Effect::new(move |_| {
        selected.track();
        order.track();
        if cell.get().is_some() {
            tell(false);
        }
    });
    tell
}

/// The cell's summary: the chosen coupon's saving, how many apply, or that none does.
fn summary_text(selected: Option<&Applicable>, count: usize, lang: Lang) -> String {
    match selected {
        Some(a) => saving_text(a.saving),
        None if count > 0 => match lang {
            Lang::ZhCn => format!("{count}张可用"),
            Lang::En => format!("{count} available"),
        },
        None => t(lang, "暂无可用", "None available").to_owned(),
    }
}

/// `cw:select`'s detail: the chosen coupon (or none) and what the order then costs.
fn select_detail<'a>(
    coupons: &'a [Coupon],
    chosen: Option<&Applicable>,
    total: Fen,
    confirmed: bool,
) -> events::Select<'a> {
    let coupon = chosen.map(|a| &coupons[a.index]);
    let saving = chosen.map_or(Fen::ZERO, |a| a.saving);
    events::Select {
        coupon_id: coupon.map(|c| c.id.as_str()),
        source: coupon.map(|c| c.source),
        stock_id: coupon.map(|c| c.stock_id.as_str()),
        name: coupon.map(|c| c.name.as_str()),
        saving: saving.0,
        payable: total.saturating_sub(saving).0,
        confirmed,
    }
}

/// The sheet's content: applicable coupons as choices, then the others with their reasons.
#[component]
fn PickerChoices(
    ranking: Memo<Ranking>,
    coupons: StoredValue<Vec<Coupon>>,
    choice: RwSignal<Choice>,
    selected: Memo<Option<Applicable>>,
    now: RwSignal<coupon_rules::BeijingTime>,
    lang: Lang,
) -> impl IntoView {
    let group = format!("cw-pick-{}", js_sys::Math::random().to_bits());
    let group_none = group.clone();
    let is_selected =
        move |index: usize| selected.with(|s| s.as_ref().is_some_and(|a| a.index == index));
    let applicable = Memo::new(move |_| ranking.with(|r| r.applicable.clone()));
    let others = Memo::new(move |_| ranking.with(|r| r.not_applicable.clone()));
    let option = move |a: Applicable| {
        let coupon = coupons.with_value(|c| c[a.index].clone());
        let id = coupon.id.clone();
        // What 单品券 and 免充值 mean for this order.
        let notes = text::rule_notes(&coupon, lang).join(" ");
        view! {
            <label class="cw-option" data-coupon-id=id>
                <input type="radio" class="cw-option__radio" name=group.clone() prop:checked=move || is_selected(a.index)
                       on:change=move |_| choice.set(Choice::Coupon(a.index))/>
                <span class="cw-option__saving">{saving_text(a.saving)}</span>
                {(!notes.is_empty()).then(|| view! { <p class="cw-option__note">{notes}</p> })}
                <CouponCard coupon=coupon now=now.get_untracked() lang=lang compact=true/>
            </label>
        }
    };
    let other = move |n: NotApplicable| {
        let coupon = coupons.with_value(|c| c[n.index].clone());
        let reason = text::reason(&n.reason, &coupon, now.get_untracked(), lang);
        let id = coupon.id.clone();
        view! {
            <div class="cw-option cw-option--disabled" data-coupon-id=id>
                <CouponCard coupon=coupon now=now.get_untracked() lang=lang compact=true/>
                <p class="cw-option__reason">{reason}</p>
            </div>
        }
    };
    view! {
        <div class="cw-options" role="radiogroup" aria-label=t(lang, "可用优惠券", "Usable coupons")>
            <Windowed items=applicable.into() key=|a: &Applicable| a.index as u64 estimate=OPTION_ESTIMATE_PX class="cw-options__list" row=option/>
            <label class="cw-option cw-option--none">
                <input type="radio" class="cw-option__radio" name=group_none prop:checked=move || selected.with(Option::is_none)
                       on:change=move |_| choice.set(Choice::Nothing)/>
                <span>{t(lang, "不使用优惠券", "No coupon")}</span>
            </label>
        </div>
        <section class="cw-options cw-options--unavailable" class:cw-options--empty=move || others.with(Vec::is_empty)>
            <h3 class="cw-options__heading">{move || {
                let n = others.with(Vec::len);
                match lang { Lang::ZhCn => format!("不可用优惠券（{n}）"), Lang::En => format!("Not usable ({n})") }
            }}</h3>
            <Windowed items=others.into() key=|n: &NotApplicable| n.index as u64 estimate=OPTION_ESTIMATE_PX class="cw-options__list" row=other/>
        </section>
    }
}

/// A compact card in the sheet before one has been measured.
const OPTION_ESTIMATE_PX: f64 = 110.0;

/// Moves `now` forward when the next coupon's usability changes, so a time slot opening or
/// closing while the picker is open re-ranks it. Each re-rank drops the last timer, which
/// clears it and frees its callback (gloo's `Timeout`).
fn rerank_at_next_change(ranking: Memo<Ranking>, now: RwSignal<coupon_rules::BeijingTime>) {
    let timer = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    Effect::new(move |_| {
        let next = ranking.with(|r| r.next_change).map(|at| {
            // setTimeout takes at most i32::MAX ms (~24.8 days): a later change re-arms from there.
            let wait =
                (at.unix_millis() - crate::now().unix_millis()).clamp(0, i64::from(i32::MAX) - 1);
            gloo_timers::callback::Timeout::new(wait as u32 + 1, move || now.set(crate::now()))
        });
        timer.set_value(next);
    });
    on_cleanup(move || timer.set_value(None));
}

#[component]
fn PickerFailure(error: ApiError, lang: Lang, retry: impl Fn() + 'static) -> impl IntoView {
    view! {
        <div class="cw-cell cw-cell--error" role="alert">
            <span class="cw-cell__title">{error.text(lang)}</span>
            {error.retryable.then(|| view! { <button type="button" class="cw-button cw-button--plain" on:click=move |_| retry()>{t(lang, "重试", "Retry")}</button> })}
        </div>
    }
}

/// A saving in fen as the cell shows it, e.g. `-¥5.00`.
pub fn saving_text(saving: Fen) -> String {
    format!("-¥{}", saving.yuan_fixed())
}
