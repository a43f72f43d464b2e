//! A bottom sheet: a modal dialog that takes focus when it opens, closes on Escape, the
//! close button or the backdrop, and gives focus back to what opened it.

use crate::i18n::t;
use coupon_rules::Lang;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[component]
pub fn Sheet(
    title: String,
    lang: Lang,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let close_button = NodeRef::<html::Button>::new();
    let opener = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    Effect::new(move |_| {
        if let Some(b) = close_button.get() {
            let _ = b.focus();
        }
    });
    let close = move || {
        if let Some(o) = &opener {
            let _ = o.focus();
        }
        on_close.run(());
    };
    let close = StoredValue::new_local(close);
    let title_id = format!("cw-sheet-{}", js_sys::Math::random().to_bits());
    let labelled_by = title_id.clone();
    view! {
        <div class="cw-sheet" on:keydown=move |e: web_sys::KeyboardEvent| if e.key() == "Escape" { close.with_value(|c| c()) }>
            <div class="cw-sheet__backdrop" on:click=move |_| close.with_value(|c| c())></div>
            <div class="cw-sheet__panel" role="dialog" aria-modal="true" aria-labelledby=labelled_by>
                <header class="cw-sheet__header">
                    <h2 class="cw-sheet__title" id=title_id>{title}</h2>
                    <button type="button" class="cw-sheet__close" node_ref=close_button
                            aria-label=t(lang, "关闭", "Close") on:click=move |_| close.with_value(|c| c())>"×"</button>
                </header>
                <div class="cw-sheet__body">{children()}</div>
            </div>
        </div>
    }
}
