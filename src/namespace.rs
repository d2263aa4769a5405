//! Finding the extension API namespace (`chrome` or `browser`) and reading `runtime.lastError`.
//!
//! Chromium ≥ 148 defines `browser` too, so its presence says nothing about the browser. We take
//! whichever global has a `runtime` object (`chrome` first: in Firefox `chrome === browser`).

use crate::error::{ErrorKind, PortError};
use crate::sys::{RawEvent, RawRuntime, RawTabs};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// The scope's `globalThis` (see [`crate::sys::GLOBAL_THIS`] for why not `js_sys::global()`).
fn global() -> JsValue {
    crate::sys::GLOBAL_THIS.with(JsValue::clone)
}

const NAMESPACES: [&str; 2] = ["chrome", "browser"];

/// `target[key]`, `undefined` when `target` is not an object or the getter throws.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_object(value: &JsValue) -> bool {
    value.is_object() || value.is_function()
}

/// `<namespace>.<member>` of the first namespace (`chrome`, then `browser`) whose member is an
/// object with a `<method>` function.
fn api(member: &str, method: &str) -> Option<JsValue> {
    let global = global();
    NAMESPACES
        .iter()
        .map(|ns| get(&global, ns))
        .filter(is_object)
        .map(|ns| get(&ns, member))
        .find(|object| is_object(object) && get(object, method).is_function())
}

/// `<namespace>.runtime` of the first namespace that has one.
fn runtime_object() -> Result<JsValue, PortError> {
    api("runtime", "connect").ok_or_else(|| {
        PortError::new(
            ErrorKind::NotInExtension,
            "neither chrome.runtime nor browser.runtime exists: not running in an extension",
        )
    })
}

/// The `runtime` namespace.
pub(crate) fn runtime() -> Result<RawRuntime, PortError> {
    runtime_object().map(JsCast::unchecked_into)
}

/// The `tabs` namespace (background and extension pages only).
pub(crate) fn tabs() -> Result<RawTabs, PortError> {
    runtime_object()?;
    api("tabs", "connect")
        .map(JsCast::unchecked_into)
        .ok_or_else(|| {
            PortError::new(
                ErrorKind::Unsupported,
                "tabs.connect is not available in this context (content scripts have no tabs API)",
            )
        })
}

/// `runtime.<name>` as an event object, e.g. `onConnect`.
pub(crate) fn runtime_event(name: &str) -> Result<RawEvent, PortError> {
    let event = get(&runtime_object()?, name);
    if is_object(&event) && get(&event, "addListener").is_function() {
        Ok(event.unchecked_into())
    } else {
        Err(PortError::new(
            ErrorKind::Unsupported,
            format!("runtime.{name} is not available in this context"),
        ))
    }
}

/// `runtime.lastError` of every namespace, first one set. Reading it also marks it checked,
/// which keeps Chromium from logging "Unchecked runtime.lastError".
pub(crate) fn last_error() -> Option<JsValue> {
    let global = global();
    NAMESPACES
        .iter()
        .map(|ns| get(&global, ns))
        .filter(is_object)
        .map(|ns| get(&get(&ns, "runtime"), "lastError"))
        .find(|e| !e.is_undefined() && !e.is_null())
}

/// A thrown or reported JS error as a [`PortError`], classified by its message.
pub(crate) fn error_from_js(value: &JsValue) -> PortError {
    let message = value
        .as_string()
        .or_else(|| get(value, "message").as_string())
        .unwrap_or_else(|| format!("{value:?}"));
    let mut err = PortError::from_browser_message(message);
    if get(value, "name").as_string().as_deref() == Some("DataCloneError") {
        err = PortError::new(ErrorKind::NotSerializable, err.message());
    }
    err
}
