//! The widget's own words (labels and prompts). Rule wording lives in `coupon_rules::text`.

use coupon_rules::{Lang, UseMethod};

/// A zh-CN / English pair.
pub fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

pub fn use_button(method: &UseMethod, lang: Lang) -> &'static str {
    match method {
        UseMethod::Offline => t(lang, "立即使用", "Use now"),
        UseMethod::MiniProgram { .. } => t(lang, "去小程序使用", "Use in mini-program"),
        UseMethod::PaymentCode => t(lang, "付款码使用", "Pay with code"),
        UseMethod::SelfConsume | UseMethod::Unknown { .. } => t(lang, "暂不支持", "Not supported"),
    }
}
