//! Back/forward cache, one outcome: when the page this context lives in is put into the cache
//! (`pagehide` with `persisted`), every open port of the context is closed, at once.
//!
//! Measured (PORT-BEHAVIOUR.md A2): Chromium closes such a port itself (the other side gets
//! `BackForwardCache` ~50 ms later), while Firefox keeps it open and every `post` into the cached
//! page returns `Ok` for about a minute, to be lost when the entry is evicted. Closing our ports
//! in `pagehide` gives both browsers the Chromium outcome without its loss: the other side sees a
//! disconnect and its later posts fail, and this side's ports end with
//! [`ErrorKind::BackForwardCache`](crate::ErrorKind::BackForwardCache).

use super::core::{all_connected, Core};
use super::State;
use crate::error::{ErrorKind, PortError};
use crate::namespace::get;
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

type PageListener = Closure<dyn FnMut(JsValue)>;

thread_local! {
    /// The one `pagehide` and `pageshow` listener pair of this context: installed at the first
    /// port, kept for the life of the context (one pair per page: bounded).
    static LISTENERS: RefCell<Option<[PageListener; 2]>> = const { RefCell::new(None) };
    /// True between a persisted `pagehide` and the `pageshow` that restores the page.
    static CACHED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the page is in the back/forward cache right now (a reconnecting port waits).
pub(crate) fn page_is_cached() -> bool {
    CACHED.with(Cell::get)
}

/// Installs the listeners once, in contexts that have a window (pages, content scripts).
pub(crate) fn watch() {
    if LISTENERS.with(|l| l.borrow().is_some()) {
        return;
    }
    let global = crate::sys::GLOBAL_THIS.with(JsValue::clone);
    let add = get(&global, "addEventListener");
    let (Some(add), true) = (
        add.dyn_ref::<js_sys::Function>(),
        get(&global, "document").is_object(),
    ) else {
        return; // a service worker: no page, no cache
    };
    let on_hide = Closure::<dyn FnMut(JsValue)>::new(|event: JsValue| {
        if get(&event, "persisted").is_truthy() {
            CACHED.with(|c| c.set(true));
            close_all();
        }
    });
    let on_show = Closure::<dyn FnMut(JsValue)>::new(|_event: JsValue| {
        CACHED.with(|c| c.set(false));
    });
    let added = add
        .call2(&global, &"pagehide".into(), on_hide.as_ref())
        .and_then(|_| add.call2(&global, &"pageshow".into(), on_show.as_ref()));
    if added.is_ok() {
        LISTENERS.with(|l| *l.borrow_mut() = Some([on_hide, on_show]));
    }
}

/// Disconnects every open port of this context; each ends with `BackForwardCache`.
fn close_all() {
    for core in all_connected() {
        close(&core);
    }
}

fn close(core: &std::rc::Rc<Core>) {
    let _ = core.raw.disconnect();
    core.close(State::Failed(PortError::new(
        ErrorKind::BackForwardCache,
        "the page went into the back/forward cache; its ports were closed (both browsers)",
    )));
}
