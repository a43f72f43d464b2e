//! `GET /first-screen`: the wallet's first screen drawn here, as HTML, from the answers the
//! widget's first two requests get (`/coupons`' first page of 可用 and `/claimable`), with the
//! widget's own components. The loader (`scripts/loader.js`) shows it while the wasm loads,
//! so the cards are on screen a round trip after the page, not after the bundle.

use super::ApiQuery;
use crate::error::ApiError;
use crate::session::Session;
use crate::upstream::UpstreamError;
use crate::SharedApp;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use coupon_rules::api::CouponPage;
use coupon_rules::wallet::Tab;
use coupon_rules::Lang;

/// The screen heights drawn for, in CSS pixels: a phone's to a tall tablet's.
const SCREEN_PX: std::ops::RangeInclusive<u32> = 200..=4000;

/// `GET /first-screen`'s query: the host's `lang`, and the screen's height (how many cards the
/// widget itself would draw first).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstScreenQuery {
    lang: Option<String>,
    screen: Option<u32>,
}

pub async fn wallet(
    session: Session,
    State(app): State<SharedApp>,
    ApiQuery(q): ApiQuery<FirstScreenQuery>,
) -> Result<Response, ApiError> {
    if let Some(px) = q.screen {
        ApiError::check_range("screen", px, SCREEN_PX)?;
    }
    // The very page `/coupons` answers the widget with (the loader asks for the same one).
    let size = coupon_widget::api::PAGE_SIZE;
    let first = super::coupons::page(&app, &session, Tab::Available, 0, size);
    let (first, stocks) = tokio::join!(first, super::claims::offered_stocks(&app, &session));
    // The body as kept for `/coupons`, read back: one page, written once.
    let page: CouponPage = serde_json::from_slice(&first?)
        .map_err(|e| ApiError::Upstream(UpstreamError::Malformed(e.to_string())))?;
    let options = coupon_widget::Options {
        lang: q.lang.as_deref().map_or(Lang::ZhCn, Lang::from_tag),
        ..Default::default()
    };
    let html = coupon_widget::first_screen_html(options, page, stocks, q.screen.map(f64::from));
    Ok(super::shown_again(&app, ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html)))
}
