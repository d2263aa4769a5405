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

/// `<namespace>.runtime` of the first namespace that has one, in any context: an extension
/// context, or a web page that an extension lists in `externally_connectable` (Chromium gives such
/// a page a `chrome.runtime` with only `connect` and `sendMessage`).
fn runtime_object() -> Result<JsValue, PortError> {
    api("runtime", "connect").ok_or_else(|| {
        PortError::new(
            ErrorKind::NotInExtension,
            "neither chrome.runtime nor browser.runtime exists: not running in an extension",
        )
    })
}

/// Whether `runtime` (which has no `id` now) belongs to an extension context whose extension was
/// reloaded, updated or removed. Measured in Chromium 156: an orphaned content script keeps its
/// `chrome.runtime` (with `getURL`), but `runtime.id` turns `undefined` a few ms after its ports
/// close, and `runtime.connect` then neither throws nor connects. A web page's `runtime` (listed
/// in `externally_connectable`) never had an `id` or a `getURL`.
fn orphaned(runtime: &JsValue) -> bool {
    get(runtime, "getURL").is_function()
}

/// The error for `what` in an orphaned extension context (see [`orphaned`]).
fn invalidated(what: &str) -> PortError {
    PortError::new(
        ErrorKind::ContextInvalidated,
        crate::text::concat(&[
            what,
            ": the extension was reloaded, updated or removed after this script started \
             (runtime.id is gone); this script can no longer reach it",
        ]),
    )
}

/// `Some(ContextInvalidated)` when this is an extension context whose extension went away (see
/// [`orphaned`]). Chromium dispatches no event to such a context, so a port that was opening
/// when it happened never hears back: the reconnecting port asks this while it waits.
pub(crate) fn context_invalidated(what: &str) -> Option<PortError> {
    let runtime = runtime_object().ok()?;
    (!get(&runtime, "id").is_string() && orphaned(&runtime)).then(|| invalidated(what))
}

/// `runtime` of an extension context (background, extension page, content script). A web page's
/// `runtime` has no `id`: there only [`runtime_any`] (for `connect_external`) applies. An
/// extension context whose extension went away is [`ErrorKind::ContextInvalidated`].
fn extension_runtime(what: &str) -> Result<JsValue, PortError> {
    let runtime = runtime_object()?;
    if get(&runtime, "id").is_string() {
        Ok(runtime)
    } else if orphaned(&runtime) {
        Err(invalidated(what))
    } else {
        Err(PortError::new(
            ErrorKind::NotInExtension,
            crate::text::concat(&[
                what,
                " needs an extension context; this is a web page, which may only \
                 connect_external to an extension that lists its origin in externally_connectable",
            ]),
        ))
    }
}

/// The `runtime` namespace of an extension context, for `what` (e.g. "runtime.connect").
pub(crate) fn runtime(what: &str) -> Result<RawRuntime, PortError> {
    extension_runtime(what).map(JsCast::unchecked_into)
}

/// The `runtime` namespace in any context, web pages included (`runtime.connect` to another
/// extension is what an `externally_connectable` page may do).
pub(crate) fn runtime_any() -> Result<RawRuntime, PortError> {
    let runtime = runtime_object()?;
    if !get(&runtime, "id").is_string() && orphaned(&runtime) {
        return Err(invalidated("runtime.connect"));
    }
    Ok(runtime.unchecked_into())
}

/// The `runtime` namespace, when it can `connectNative` here (not in content scripts).
///
/// A content script is the extension context without a `tabs` namespace. Chromium gives it no
/// `connectNative`; Firefox 153 gives it one whose port closes at once with "An unexpected error
/// occurred" (measured): both are [`ErrorKind::Unsupported`] here, before anything starts.
pub(crate) fn native_runtime() -> Result<RawRuntime, PortError> {
    let runtime = extension_runtime("runtime.connectNative")?;
    if get(&runtime, "connectNative").is_function() && api("tabs", "connect").is_some() {
        Ok(runtime.unchecked_into())
    } else {
        Err(PortError::new(
            ErrorKind::Unsupported,
            "runtime.connectNative is not available in this context (content scripts cannot use \
             native messaging; the background and extension pages can)",
        ))
    }
}

/// The `tabs` namespace (background and extension pages only).
pub(crate) fn tabs() -> Result<RawTabs, PortError> {
    extension_runtime("tabs.connect")?;
    api("tabs", "connect")
        .map(JsCast::unchecked_into)
        .ok_or_else(|| {
            PortError::new(
                ErrorKind::Unsupported,
                "tabs.connect is not available in this context (content scripts have no tabs API; \
                 the background and extension pages do)",
            )
        })
}

/// `runtime.<name>` as an event object, e.g. `onConnect`.
pub(crate) fn runtime_event(name: &str) -> Result<RawEvent, PortError> {
    let event = get(
        &extension_runtime(&crate::text::concat(&["runtime.", name]))?,
        name,
    );
    if is_object(&event) && get(&event, "addListener").is_function() {
        Ok(event.unchecked_into())
    } else {
        Err(PortError::new(
            ErrorKind::Unsupported,
            crate::text::concat(&["runtime.", name, " is not available in this context"]),
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
        .unwrap_or_else(|| crate::sys::describe(value));
    let mut err = PortError::from_browser_message(message);
    if get(value, "name").as_string().as_deref() == Some("DataCloneError") {
        err = PortError::new(ErrorKind::NotSerializable, err.message());
    }
    err
}
