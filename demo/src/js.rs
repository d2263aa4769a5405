//! Small helpers: a JS object for the tests that post raw values, timers, logging, outcomes.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use webext_port::{Disconnect, PortError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32);

    /// `globalThis`: in a Firefox content script `js_sys::global()` is the page's window, which
    /// has no `browser`.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: JsValue;
}

/// The scope's `globalThis` (the content script's own global in Firefox too).
pub fn global_this() -> JsValue {
    GLOBAL_THIS.with(JsValue::clone)
}

/// `{key: value, …}`.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// A future that resolves after `ms` milliseconds (works in pages and service workers).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| set_timeout(&resolve, ms));
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// How long a test waits, *after* its explicit completion signal (the first onDisconnect, the
/// last expected message), for a late duplicate to show up before it reports a count.
pub const QUIET_MS: i32 = 300;

/// The quiet period after a completion signal: see [`QUIET_MS`].
pub async fn quiet_period() {
    sleep(QUIET_MS).await;
}

/// Where a listener closure waits to be removed by its own first call.
type ClosureSlot = std::rc::Rc<std::cell::RefCell<Option<Closure<dyn FnMut(JsValue)>>>>;

/// Calls `f` once, on the task after the raw JS port `raw` first delivers a message to its own
/// `onMessage` listeners (the library's among them): a test's proof that a message has arrived.
pub fn after_first_raw_message(raw: &JsValue, f: impl FnOnce() + 'static) {
    let Ok(event) = Reflect::get(raw, &"onMessage".into()) else {
        return;
    };
    let listener: ClosureSlot = Default::default();
    let slot = listener.clone();
    let remove_from = event.clone();
    let mut f = Some(f);
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |_message: JsValue| {
        let Some(f) = f.take() else { return };
        let slot = slot.clone();
        let event = remove_from.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(closure) = slot.borrow_mut().take() {
                call(&event, "removeListener", closure.as_ref());
            }
            f();
        });
    });
    call(&event, "addListener", closure.as_ref());
    *listener.borrow_mut() = Some(closure);
}

/// `target[method](argument)`; `None` when there is no such method or it throws.
pub fn call(target: &JsValue, method: &str, argument: &JsValue) -> Option<JsValue> {
    let function = Reflect::get(target, &method.into()).ok()?;
    function
        .dyn_ref::<js_sys::Function>()?
        .call1(target, argument)
        .ok()
}

/// `chrome.<namespace>` (or `browser.<namespace>`) here, for the few extension APIs the library
/// does not wrap (`action.onClicked`, `tabs.create`, `runtime.getURL`, `runtime.id`).
pub fn api(namespace: &str) -> Option<JsValue> {
    let global = global_this();
    ["chrome", "browser"]
        .iter()
        .filter_map(|ns| Reflect::get(&global, &(*ns).into()).ok())
        .filter(|ns| ns.is_object())
        .filter_map(|ns| Reflect::get(&ns, &namespace.into()).ok())
        .find(|api| api.is_object())
}

/// `console.log` with a prefix, as the MDN example logs what it receives.
pub fn log(text: &str) {
    web_sys::console::log_1(&JsValue::from_str(&format!("[webext-port demo] {text}")));
}

/// `"ok"` or `"err:<kind>"`, the outcome format of conformance.json.
pub fn outcome(result: &Result<(), PortError>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(err) => format!("err:{}", err.kind()),
    }
}

/// `"clean"` or `"err:<kind>"`.
pub fn reason(disconnect: &Disconnect) -> String {
    match disconnect.error() {
        None => "clean".to_owned(),
        Some(err) => format!("err:{}", err.kind()),
    }
}
