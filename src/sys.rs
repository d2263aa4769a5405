//! Raw `#[wasm_bindgen]` declarations of the WebExtension objects this crate touches. No logic.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A `runtime.Port` as the browser hands it out.
    #[derive(Debug, Clone)]
    pub type RawPort;

    #[wasm_bindgen(method, getter, structural)]
    pub fn name(this: &RawPort) -> JsValue;

    #[wasm_bindgen(method, getter, structural)]
    pub fn sender(this: &RawPort) -> JsValue;

    #[wasm_bindgen(method, getter, structural)]
    pub fn error(this: &RawPort) -> JsValue;

    #[wasm_bindgen(method, getter, structural, js_name = onMessage)]
    pub fn on_message(this: &RawPort) -> RawEvent;

    #[wasm_bindgen(method, getter, structural, js_name = onDisconnect)]
    pub fn on_disconnect(this: &RawPort) -> RawEvent;

    #[wasm_bindgen(method, structural, catch, js_name = postMessage)]
    pub fn post_message(this: &RawPort, message: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, structural, catch)]
    pub fn disconnect(this: &RawPort) -> Result<(), JsValue>;

    /// An extension event object (`addListener`/`removeListener`).
    #[derive(Debug, Clone)]
    pub type RawEvent;

    #[wasm_bindgen(method, structural, catch, js_name = addListener)]
    pub fn add_listener(this: &RawEvent, listener: &js_sys::Function) -> Result<(), JsValue>;

    #[wasm_bindgen(method, structural, catch, js_name = removeListener)]
    pub fn remove_listener(this: &RawEvent, listener: &js_sys::Function) -> Result<(), JsValue>;

    /// The `runtime` namespace.
    #[derive(Debug, Clone)]
    pub type RawRuntime;

    #[wasm_bindgen(method, structural, catch)]
    pub fn connect(this: &RawRuntime, info: &JsValue) -> Result<RawPort, JsValue>;

    #[wasm_bindgen(method, structural, catch, js_name = connect)]
    pub fn connect_to(
        this: &RawRuntime,
        extension_id: &str,
        info: &JsValue,
    ) -> Result<RawPort, JsValue>;

    #[wasm_bindgen(method, structural, catch, js_name = connectNative)]
    pub fn connect_native(this: &RawRuntime, application: &str) -> Result<RawPort, JsValue>;

    /// The `tabs` namespace.
    #[derive(Debug, Clone)]
    pub type RawTabs;

    #[wasm_bindgen(method, structural, catch, js_name = connect)]
    pub fn connect(this: &RawTabs, tab_id: i32, info: &JsValue) -> Result<RawPort, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `globalThis` itself. Not `js_sys::global()`: that prefers `self`/`window`, which in a Firefox
    /// content script is the page's window, where `browser` and `chrome` do not exist.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    pub static GLOBAL_THIS: JsValue;
}

#[wasm_bindgen(module = "/src/js/serializable.js")]
extern "C" {
    /// `null` when `value` crosses a port the same way in every browser and is surely within
    /// `limit` bytes of JSON; a string saying why it cannot be posted; or a number (its size bound)
    /// when it may be over `limit`.
    #[wasm_bindgen(catch, js_name = checkMessage)]
    pub fn check_message(value: &JsValue, limit: f64) -> Result<JsValue, JsValue>;

    /// `port.postMessage(value)` if `value` passes `checkMessage` at once (0); otherwise 1 and
    /// nothing was posted (for an object, [`take_verdict`] says why). A throw of `postMessage` is
    /// `Err`.
    #[wasm_bindgen(catch, js_name = postChecked)]
    pub fn post_checked(port: &RawPort, value: &JsValue, limit: f64) -> Result<u32, JsValue>;

    /// What `postChecked` found in the object it did not post: `checkMessage`'s answer, or `Err`
    /// with what a getter threw.
    #[wasm_bindgen(catch, js_name = takeVerdict)]
    pub fn take_verdict() -> Result<JsValue, JsValue>;

    /// Whether `value` as UTF-8 JSON is longer than `limit` bytes.
    #[wasm_bindgen(catch, js_name = jsonLongerThan)]
    pub fn json_longer_than(value: &JsValue, limit: f64) -> Result<bool, JsValue>;

    /// `value` as text for an error message: its JSON, else `String(value)`, else its type.
    pub fn describe(value: &JsValue) -> String;
}

#[wasm_bindgen(module = "/src/js/unreachable_port.js")]
extern "C" {
    /// A Firefox-shaped port that reports `message` as its error on the next task.
    #[wasm_bindgen(js_name = unreachablePort)]
    pub fn unreachable_port(name: &str, message: &str) -> RawPort;
}

#[wasm_bindgen(module = "/src/js/hold.js")]
extern "C" {
    /// What was held for `runtime.<event_name>` before the library listened (by the snippet in a
    /// background, or by the content-script bootstrap line): the entries, in arrival order, each
    /// `{ port, messages, disconnected, error, onMessage, onDisconnect }`. Holding stops.
    #[wasm_bindgen(catch, js_name = takeHeld)]
    pub fn take_held(event_name: &str) -> Result<js_sys::Array, JsValue>;
}
