//! A list that renders only the rows near the screen (windowing), so that showing 10,000
//! coupons costs what showing one screenful does. Rows may differ in height: each is measured
//! once it has been drawn and remembered by its key; rows never drawn count as the average
//! height of those measured so far (or `estimate` before any). Spacers above and below the
//! drawn rows stand in for the rest, so the page keeps its full height and scroll bar.
//!
//! What is "near the screen" is worked out from the list's own position in the viewport,
//! whoever scrolls it (the page, or a sheet around it), so any number of lists can live on
//! one page.

use leptos::html;
use leptos::prelude::*;
use std::collections::HashMap;

/// Rows drawn beyond each edge of the screen, in CSS pixels, so a fling does not show blanks.
const OVERSCAN_PX: f64 = 400.0;

/// The y offsets of each row's top and of the end, from per-row heights.
fn offsets(heights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out = Vec::with_capacity(heights.size_hint().0 + 1);
    let mut y = 0.0;
    out.push(y);
    for h in heights {
        y += h;
        out.push(y);
    }
    out
}

/// The rows `start..end` that overlap `top..bottom` (list coordinates); `offsets` as above.
fn rows_between(offsets: &[f64], top: f64, bottom: f64) -> (usize, usize) {
    let n = offsets.len() - 1;
    // The first row whose bottom is below `top`, and the first row whose top is at or below `bottom`.
    let start = offsets[1..].partition_point(|&end| end <= top).min(n);
    let end = offsets[..n].partition_point(|&begin| begin < bottom).max(start);
    (start, end)
}

/// The drawn rows of a windowed list: the list's children carrying `data-index`.
fn drawn_rows(list: &web_sys::HtmlElement) -> Vec<(usize, f64)> {
    let rows = list.children();
    (0..rows.length())
        .filter_map(|i| rows.item(i))
        .filter_map(|el| {
            let index = el.get_attribute("data-index")?.parse().ok()?;
            Some((index, el.get_bounding_client_rect().height()))
        })
        .collect()
}

/// The part of the list to draw, in the list's own pixels, with `overscan` either side;
/// until the list is on the page, it is assumed to start at the top of the screen.
fn visible_span(list: NodeRef<html::Div>, overscan: f64) -> (f64, f64) {
    let viewport = screen_height();
    let top = list.get_untracked().map_or(0.0, |el| el.get_bounding_client_rect().top());
    ((-top - overscan).max(0.0), viewport - top + overscan)
}

/// The screen's height in CSS pixels: the window's, or, drawn on the server, the one the
/// page asked for (a [`ScreenHeight`] in context).
fn screen_height() -> f64 {
    const ASSUMED: f64 = 800.0;
    if !super::dom::IN_BROWSER {
        return use_context::<ScreenHeight>().map_or(ASSUMED, |h| h.0);
    }
    web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(ASSUMED)
}

/// The height of the screen a list drawn on the server is for, in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub struct ScreenHeight(pub f64);

/// The drawn rows whose height is new or moved by half a pixel or more, by key.
fn new_heights<T>(
    list: &web_sys::HtmlElement,
    items: &[T],
    key: fn(&T) -> u64,
    measured: &HashMap<u64, f64>,
) -> Vec<(u64, f64)> {
    drawn_rows(list)
        .into_iter()
        .filter_map(|(i, h)| Some((key(items.get(i)?), h)))
        .filter(|(k, h)| h > &0.0 && measured.get(k).is_none_or(|old| (old - h).abs() >= 0.5))
        .collect()
}

/// Items `start..end` (clamped to the list) with their index in the whole list.
fn numbered<T: Clone>(items: &[T], start: usize, end: usize) -> Vec<(usize, T)> {
    let end = end.min(items.len());
    items[start.min(end)..end].iter().cloned().enumerate().map(|(i, t)| (start + i, t)).collect()
}

/// A spacer's height in whole pixels (the only float the widget would print, and printing
/// floats costs ~6 KB). None on the server: a strict CSP refuses a style attribute in HTML, and
/// the spacers are below what the first screen shows.
fn px(y: f64) -> Option<String> {
    super::dom::IN_BROWSER.then(|| format!("{}px", y.round() as i64))
}

/// After rows are drawn: remember their heights; if that moved anything, `look` again.
/// The first rows are painted before anything is measured and before the overscan is drawn:
/// measuring at once would force the page's first layout inside the task that drew them, and
/// the rows beyond the screen would hold up the first paint (`first_draw_done`).
fn measure_after_drawing<T: Send + Sync + 'static>(
    list: NodeRef<html::Div>,
    items: Signal<Vec<T>>,
    key: fn(&T) -> u64,
    measured: RwSignal<HashMap<u64, f64>>,
    range: Memo<(usize, usize)>,
    first_draw_done: impl Fn() + 'static,
    look: impl Fn() + 'static,
) {
    let measure = StoredValue::new_local(move || {
        // None once the list is gone (a frame may come after it was removed).
        let Some(el) = list.try_get_untracked().flatten() else { return };
        let changed = items
            .with_untracked(|items| measured.with_untracked(|m| new_heights(&el, items, key, m)));
        if !changed.is_empty() {
            measured.update(|m| m.extend(changed));
        }
        look();
    });
    let first_draw_done = StoredValue::new_local(first_draw_done);
    Effect::new(move |ran: Option<()>| {
        range.track();
        if ran.is_none() {
            super::dom::after_paint(move || {
                if first_draw_done.try_with_value(|f| f()).is_some() {
                    measure.with_value(|m| m());
                }
            });
        } else {
            measure.with_value(|m| m());
        }
    });
}

/// `items` as a windowed list: `row` draws one item, `key` tells items apart across updates
/// (a number: one key type for every list keeps the bundle smaller; see [`text_key`]).
/// Each row is a `listitem` with its position (`aria-posinset` / `aria-setsize`), and the list
/// carries `data-count` (all items, drawn or not).
#[component]
pub fn Windowed<T, R, V>(
    items: Signal<Vec<T>>,
    key: fn(&T) -> u64,
    row: R,
    /// Height of a row not yet measured, before any has been, in CSS pixels.
    estimate: f64,
    #[prop(into)] class: String,
    #[prop(optional, into)] label: Option<String>,
    #[prop(optional)] tab: Option<&'static str>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let list = NodeRef::<html::Div>::new();
    let measured = RwSignal::new(HashMap::<u64, f64>::new());
    let layout = Memo::new(move |_| {
        measured.with(|m| {
            let fallback =
                if m.is_empty() { estimate } else { m.values().sum::<f64>() / m.len() as f64 };
            items.with(|items| {
                offsets(items.iter().map(|t| m.get(&key(t)).copied().unwrap_or(fallback)))
            })
        })
    });
    // No overscan until the first rows are painted (see measure_after_drawing).
    let overscan = StoredValue::new(0.0);
    let window_now = move || visible_span(list, overscan.get_value());
    let seen = RwSignal::new(window_now());
    let range = Memo::new(move |_| {
        let (top, bottom) = seen.get();
        layout.with(|o| rows_between(o, top, bottom))
    });
    let look = move || {
        let now = window_now();
        if seen.get_untracked() != now {
            seen.set(now);
        }
    };
    let first_draw_done = move || overscan.set_value(OVERSCAN_PX);
    measure_after_drawing(list, items, key, measured, range, first_draw_done, look);
    super::dom::follow_scrolling(look);
    let shown = move || {
        let (start, end) = range.get();
        items.with(|items| numbered(items, start, end))
    };
    let above = move || px(layout.with(|o| o[range.get().0.min(o.len() - 1)]));
    let below = move || px(layout.with(|o| o[o.len() - 1] - o[range.get().1.min(o.len() - 1)]));
    let count = move || items.with(Vec::len);
    view! {
        <div class=format!("cw-window {class}") role="list" aria-label=label data-tab=tab node_ref=list data-count=move || count().to_string()>
            <div class="cw-window__spacer" role="presentation" style:height=above></div>
            <For each=shown key=move |(i, t): &(usize, T)| (*i, key(t)) children=move |(i, item)| view! {
                <div class="cw-window__row" role="listitem" data-index=i.to_string() aria-posinset=(i + 1).to_string() aria-setsize=move || count().to_string()>
                    {row(item)}
                </div>
            }/>
            <div class="cw-window__spacer" role="presentation" style:height=below></div>
        </div>
    }
}

/// A row key from text (FNV-1a): two different texts sharing one is harmless, it only makes
/// one row borrow the other's height until drawn.
pub fn text_key(parts: &[&str]) -> u64 {
    parts
        .iter()
        .flat_map(|p| p.bytes().chain([0xff]))
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}
