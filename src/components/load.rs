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
        let Some(this) = self.started.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let value = answer.await;
            if self.started.try_get_value() == Some(this) {
                self.value.set(Some(value));
                self.pending.set(false);
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
