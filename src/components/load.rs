//! Loading from the proxy without Leptos's async resources, which cost the bundle far more
//! than this does: the latest answer in a signal, whether a load is under way, and a way to
//! start one. The answer to a load that a newer one replaced is dropped, and so is any answer
//! that arrives after the view is gone.

use leptos::prelude::*;
use std::future::Future;

pub struct Load<T: Send + Sync + 'static> {
    /// The latest answer; `None` until the first arrives.
    pub value: RwSignal<Option<T>>,
    pub pending: RwSignal<bool>,
    started: StoredValue<u32>,
}

impl<T: Send + Sync + 'static> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Load<T> {}

impl<T: Send + Sync + 'static> Default for Load<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> Load<T> {
    pub fn new() -> Self {
        Load {
            value: RwSignal::new(None),
            pending: RwSignal::new(false),
            started: StoredValue::new(0),
        }
    }

    /// Starts loading; what `answer` yields replaces the value unless a newer load started.
    pub fn start(self, answer: impl Future<Output = T> + 'static) {
        let Some(this) = self.count() else { return };
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let value = answer.await;
            if self.started.try_get_value() == Some(this) {
                self.value.set(Some(value));
                self.pending.set(false);
            }
        });
    }

    /// This load's number, counted; `None` once the view is gone.
    fn count(self) -> Option<u32> {
        self.started.try_update_value(|n| {
            *n += 1;
            *n
        })
    }
}

impl<T: PartialEq + Send + Sync + 'static> Load<T> {
    /// [`Load::start`], then, once `answer` is shown, whatever `again` starts (a second look
    /// past the browser's cache, when the first answer may have been its copy): that replaces
    /// it quietly (nothing is marked pending), and only if it differs and no newer load started.
    pub fn start_then_again<A: Future<Output = T> + 'static>(
        self,
        answer: impl Future<Output = T> + 'static,
        again: impl FnOnce() -> Option<A> + 'static,
    ) {
        let Some(this) = self.count() else { return };
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let current = move || self.started.try_get_value() == Some(this);
            let value = answer.await;
            if !current() {
                return;
            }
            self.value.set(Some(value));
            self.pending.set(false);
            let Some(again) = again() else { return };
            let newer = again.await;
            if current() && self.value.with_untracked(|v| v.as_ref() != Some(&newer)) {
                self.value.set(Some(newer));
            }
        });
    }
}

impl<T: Send + Sync + 'static, E: Clone + Send + Sync + 'static> Load<Result<T, E>> {
    /// The latest answer's error, if it failed (tracked, like `value`).
    pub fn error(self) -> Option<E> {
        self.value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
    }
}

/// When a view asks again past the browser's cache: after its first load only (the one that can
/// have taken the loader's answer), and only if that answer for `url` may have been the
/// browser's copy ([`crate::api::maybe_stale`]).
#[derive(Clone, Copy)]
pub struct FirstLoad(StoredValue<bool>);

impl Default for FirstLoad {
    fn default() -> Self {
        Self::new()
    }
}

impl FirstLoad {
    pub fn new() -> FirstLoad {
        FirstLoad(StoredValue::new(true))
    }

    /// For the load starting now: what asks again once its answer is in, if anything should.
    pub fn again<F>(
        self,
        url: String,
        ask: impl FnOnce() -> F + 'static,
    ) -> impl FnOnce() -> Option<F> + 'static {
        let first = self.0.try_update_value(|f| std::mem::replace(f, false)) == Some(true);
        move || (first && crate::api::maybe_stale(&url)).then(ask)
    }
}
