//! [`ConnectListener`]: an `onConnect`/`onConnectExternal` listener that hands out [`Port`]s.

use crate::error::PortError;
use crate::listener::EventListener;
use crate::namespace::{error_from_js, get, runtime_event};
use crate::port::{Disconnect, Port};
use crate::sys::{RawEvent, RawPort};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Calls the user's closure with each new port, one at a time, in arrival order, even if a port
/// arrives while the closure is still running (re-entrancy queues instead of panicking).
struct Dispatch<F> {
    handler: RefCell<F>,
    queue: RefCell<VecDeque<Port>>,
}

impl<F: FnMut(Port)> Dispatch<F> {
    fn deliver(&self, port: Port) {
        self.queue.borrow_mut().push_back(port);
        let Ok(mut handler) = self.handler.try_borrow_mut() else {
            return; // the running call drains the queue
        };
        loop {
            let next = self.queue.borrow_mut().pop_front();
            match next {
                Some(port) => handler(port),
                None => break,
            }
        }
    }
}

/// Keeps an `onConnect`/`onConnectExternal` listener registered; dropping it removes the listener
/// and frees the closure. Ports already handed out stay open.
///
/// ```no_run
/// let guard = webext_port::runtime::on_connect(|port| {
///     let _ = port.post(&"welcome".into());
/// })?;
/// // Keep `guard` for as long as the listener should run (e.g. in a `thread_local!`).
/// # Ok::<(), webext_port::PortError>(())
/// ```
#[must_use = "dropping the guard removes the listener at once"]
pub struct ConnectListener {
    _listener: EventListener<dyn FnMut(JsValue)>,
}

impl fmt::Debug for ConnectListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectListener").finish_non_exhaustive()
    }
}

thread_local! {
    /// Listeners kept for the life of this JS context by [`ConnectListener::forget`].
    static FORGOTTEN: RefCell<Vec<ConnectListener>> = const { RefCell::new(Vec::new()) };
}

impl ConnectListener {
    /// Keeps the listener registered for the life of this JS context (the background's
    /// `onConnect` listener usually is), so nothing has to hold the guard.
    ///
    /// A deliberate, bounded leak, as gloo's `forget()`: the listener lives exactly as long as the
    /// page or worker does, which is what a listener registered once at startup needs. Do not call
    /// it on listeners made again and again (each call keeps one more).
    ///
    /// ```no_run
    /// // At startup, once: every connection for as long as the background runs.
    /// webext_port::runtime::on_connect(|port| {
    ///     let _ = port.post(&"welcome".into());
    /// })?
    /// .forget();
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn forget(self) {
        FORGOTTEN.with(|kept| kept.borrow_mut().push(self));
    }

    /// Registers `handler` on `runtime.<event_name>`, then hands it the ports held before it
    /// existed (see [`take_held`]), in arrival order, before any later port.
    pub(crate) fn register(
        event_name: &str,
        handler: impl FnMut(Port) + 'static,
    ) -> Result<ConnectListener, PortError> {
        let event = runtime_event(event_name)?;
        let dispatch = Rc::new(Dispatch {
            handler: RefCell::new(handler),
            queue: RefCell::new(VecDeque::new()),
        });
        let on_connect = dispatch.clone();
        let closure = Closure::<dyn FnMut(JsValue)>::new(move |raw: JsValue| {
            on_connect.deliver(Port::wrap(raw.unchecked_into()));
        });
        // Ours first, then release the holder, in one synchronous step: no port can fall between.
        let listener = EventListener::add(event, closure)?;
        for port in take_held(event_name) {
            dispatch.deliver(port);
        }
        Ok(ConnectListener {
            _listener: listener,
        })
    }
}

/// Takes over the ports held for `runtime.<event_name>` while the wasm loaded, with what they saw
/// meanwhile. Two holders fill the same slot (`src/js/hold.js`):
/// - in a background, the crate's own snippet, which the wasm-bindgen glue imports statically and
///   so runs in the background's first turn (it expires after `RELEASE_MS`, 5 s, if nothing takes
///   over);
/// - in a content script, the one-line bootstrap in `www/content.js`, before its `import()`.
///
/// Only the first listener registered for an event gets them. Nothing held (any other context, or
/// a snippet that was never imported) is an empty list.
fn take_held(event_name: &str) -> Vec<Port> {
    let Ok(entries) = crate::sys::take_held(event_name) else {
        return Vec::new();
    };
    entries.iter().filter_map(|entry| adopt(&entry)).collect()
}

/// One held entry: `{ port, messages, disconnected, error, onMessage, onDisconnect }`; `None` when
/// it holds no port object.
fn adopt(entry: &JsValue) -> Option<Port> {
    let raw = get(entry, "port");
    if !raw.is_object() {
        return None;
    }
    let raw: RawPort = raw.unchecked_into();
    for (event, key) in [
        (raw.on_message(), "onMessage"),
        (raw.on_disconnect(), "onDisconnect"),
    ] {
        if let Some(listener) = get(entry, key).dyn_ref::<js_sys::Function>() {
            let _ = RawEvent::remove_listener(&event, listener);
        }
    }
    let messages = get(entry, "messages")
        .dyn_into::<js_sys::Array>()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let closed = get(entry, "disconnected").is_truthy().then(|| {
        let error = get(entry, "error");
        if error.is_null() || error.is_undefined() {
            Disconnect::Clean
        } else {
            Disconnect::Error(error_from_js(&error))
        }
    });
    Some(Port::adopt(raw, messages, closed))
}
