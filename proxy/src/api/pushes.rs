//! `GET /api/v1/coupons/{source}/{id}/events`: an open use sheet's coupon as Server-Sent
//! Events, sent when the sheet connects and again whenever the user's wallet changes (a
//! notification, a redemption or a claim, on any instance), so the sheet says 已使用 at once
//! without asking every second. The stream ends once the coupon is used.

use super::coupons::{coupon_ref, fresh_detail};
use crate::error::ApiError;
use crate::session::Session;
use crate::upstream::UpstreamError;
use crate::SharedApp;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use coupon_rules::api::CouponDetail;
use coupon_rules::{CouponState, Source};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often a stream looks at its wallet's version: one store read, no upstream call.
const LOOK_EVERY: Duration = Duration::from_millis(250);
/// A stream ends after this long and the browser connects again, so none outlives a deploy
/// by much and a session's end is noticed.
const LIFETIME: Duration = Duration::from_secs(300);
/// After an upstream failure, the coupon is read again this much later even with no change.
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// The streams this instance holds open.
pub struct Pushes {
    open: AtomicUsize,
    most: usize,
    stopping: watch::Sender<bool>,
}

impl Pushes {
    /// At most `most` streams at once; past it a sheet is refused and polls instead.
    pub fn new(most: usize) -> Self {
        Pushes { open: AtomicUsize::new(0), most, stopping: watch::Sender::new(false) }
    }

    /// Ends every stream, so a graceful shutdown does not wait for them.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// One stream's place in [`Pushes`], given back when the stream is dropped.
struct Slot(SharedApp);

impl Slot {
    fn take(app: &SharedApp) -> Option<Slot> {
        let pushes = &app.pushes;
        let taken = pushes.open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < pushes.most).then_some(n + 1)
        });
        taken.ok().map(|_| Slot(app.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.pushes.open.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Watch {
    slot: Slot,
    openid: String,
    source: Source,
    id: String,
    /// The wallet version the last event was read under (`None`: nothing sent yet).
    sent_under: Option<Option<Vec<u8>>>,
    retry_at: Option<Instant>,
    started: Instant,
    stopping: watch::Receiver<bool>,
    used: bool,
}

pub async fn events(
    session: Session,
    State(app): State<SharedApp>,
    Path((source, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !app.settings.push_updates {
        return Err(ApiError::NoSuchRoute);
    }
    let source = coupon_ref(&source, &id)?;
    // Full: the sheet's EventSource sees an error and the widget polls instead.
    let slot = Slot::take(&app).ok_or(ApiError::Upstream(UpstreamError::Throttled))?;
    let watch = Watch {
        stopping: app.pushes.stopping.subscribe(),
        slot,
        openid: session.openid,
        source,
        id,
        sent_under: None,
        retry_at: None,
        started: Instant::now(),
        used: false,
    };
    let stream = futures_util::stream::unfold(watch, next_event);
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // A front proxy (nginx) that buffers answers would hold every event back.
    response
        .headers_mut()
        .insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
    Ok(response)
}

/// Waits for the wallet to change and sends the coupon as read then; `None` ends the stream.
async fn next_event(mut w: Watch) -> Option<(Result<Event, std::convert::Infallible>, Watch)> {
    loop {
        if w.used || w.started.elapsed() > LIFETIME || *w.stopping.borrow() {
            return None;
        }
        let app = &w.slot.0;
        // A store that cannot be read now is looked at again next time.
        if let Ok(version) = app.wallets.version(&w.openid, None).await {
            let retry = w.retry_at.is_some_and(|at| Instant::now() >= at);
            if retry || w.sent_under.as_ref() != Some(&version) {
                w.sent_under = Some(version.clone());
                w.retry_at = None;
                match fresh_detail(app, &w.openid, w.source, &w.id, version).await {
                    Ok(coupon) => {
                        w.used = coupon.state == CouponState::Used;
                        let detail = CouponDetail { coupon, stale: false };
                        if let Ok(event) = Event::default().json_data(&detail) {
                            return Some((Ok(event), w));
                        }
                    }
                    // Not found or refused: nothing to tell until the wallet changes again.
                    Err(e) if e.is_refusal() => {}
                    Err(_) => w.retry_at = Some(Instant::now() + RETRY_AFTER),
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(LOOK_EVERY) => {}
            _ = w.stopping.changed() => {}
        }
    }
}
