//! Small helpers for building and reading plain JS message objects, timers and logging.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use webext_port::{Disconnect, PortError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32);
}

/// `{key: value, …}`.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// `value[key]` as a string, if it is one.
pub fn string(value: &JsValue, key: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// A future that resolves after `ms` milliseconds (works in pages and service workers).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| set_timeout(&resolve, ms));
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
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
