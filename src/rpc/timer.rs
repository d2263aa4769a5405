//! A one-shot `setTimeout` guard for request timeouts.
//!
//! `setTimeout` is a global function in every context an extension runs in (pages, content
//! scripts, Chromium's background service worker, Firefox's event page), so it is bound as a
//! global rather than through `window`, which a service worker does not have.

use std::fmt;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Calls its closure once after a delay, unless dropped first. Dropping clears the timeout and
/// frees the closure; the closure itself never drops the timer (its owner does, later), so a
/// closure is never freed while it runs.
pub(crate) struct Timer {
    handle: JsValue,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    /// `f` after `ms` milliseconds; `None` if the scope has no `setTimeout` (then nothing fires).
    pub(crate) fn once(ms: f64, f: impl FnOnce() + 'static) -> Option<Timer> {
        let mut f = Some(f);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        let handle = set_timeout(closure.as_ref().unchecked_ref(), ms).ok()?;
        Some(Timer {
            handle,
            _closure: closure,
        })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("handle", &self.handle)
            .finish()
    }
}
