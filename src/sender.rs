//! `runtime.MessageSender` and `tabs.Tab`, read field by field from whichever browser sent them.

use crate::namespace::get;
use wasm_bindgen::{JsCast, JsValue};

fn string(target: &JsValue, key: &str) -> Option<String> {
    get(target, key).as_string()
}

fn int(target: &JsValue, key: &str) -> Option<i32> {
    get(target, key)
        .as_f64()
        .filter(|n| n.fract() == 0.0 && *n >= f64::from(i32::MIN) && *n <= f64::from(i32::MAX))
        .map(|n| n as i32)
}

/// A whole number that JS represents exactly (|n| ≤ 2^53): Firefox's frame ids exceed `i32`
/// (a subframe's id is a browsing-context id such as 8589934593).
fn long(target: &JsValue, key: &str) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    get(target, key)
        .as_f64()
        .filter(|n| n.fract() == 0.0 && n.abs() <= EXACT)
        .map(|n| n as i64)
}

fn boolean(target: &JsValue, key: &str) -> Option<bool> {
    get(target, key).as_bool()
}

/// A number as text (Firefox's `contextId` is a whole number above `i32::MAX`) without Rust's
/// float formatting, which would add kilobytes to every background's wasm: integer formatting for
/// whole numbers, JS's own `String(n)` for anything else.
fn number_text(value: &JsValue) -> Option<String> {
    const SAFE: f64 = 9_007_199_254_740_991.0; // Number.MAX_SAFE_INTEGER: exact as an i64
    let n = value.as_f64()?;
    if n.fract() == 0.0 && n.abs() <= SAFE {
        return Some(crate::text::decimal(n as i64));
    }
    let number: &js_sys::Number = value.unchecked_ref();
    number.to_string_with_radix(10).ok().map(String::from)
}

/// Who opened a port: the `sender` of a port received in `onConnect`/`onConnectExternal`.
///
/// Fields one browser does not send are `None` (Chromium has no `env_type`, Firefox no
/// `document_lifecycle`, …); [`raw`](MessageSender::raw) keeps the whole object for anything else.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// if let Some(sender) = port.sender() {
///     let tab_id = sender.tab.as_ref().and_then(|tab| tab.id);
///     println!("port from tab {tab_id:?}, frame {:?}, url {:?}", sender.frame_id, sender.url);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MessageSender {
    /// The extension id of the sender.
    pub id: Option<String>,
    /// The URL of the page or frame that opened the port.
    pub url: Option<String>,
    /// The origin of that page or frame (Chromium 80+, Firefox 126+).
    pub origin: Option<String>,
    /// The tab, for ports opened from content scripts or tabs.
    pub tab: Option<Tab>,
    /// The frame that opened the port (0 = top frame), with `tab`. An `i64`: Firefox's subframe
    /// ids are browsing-context ids beyond `i32` (e.g. 8589934593).
    pub frame_id: Option<i64>,
    /// The document that opened the port (Chromium 106+, Firefox 153+).
    pub document_id: Option<String>,
    /// `"prerender"`, `"active"`, `"cached"` or `"pending_deletion"` (Chromium only).
    pub document_lifecycle: Option<String>,
    /// TLS channel id (Chromium, when asked for).
    pub tls_channel_id: Option<String>,
    /// The native application that opened the port (Chromium, native-initiated ports).
    pub native_application: Option<String>,
    /// The user script world (ports from `onUserScriptConnect`).
    pub user_script_world_id: Option<String>,
    /// Firefox: `"addon_child"`, `"content_child"`, ….
    pub env_type: Option<String>,
    /// Firefox: the sending context's id.
    pub context_id: Option<String>,
    /// The browser's object as it is.
    pub raw: JsValue,
}

impl MessageSender {
    /// Reads a `MessageSender` object; `None` for `undefined`/`null`.
    ///
    /// ```no_run
    /// # let value = wasm_bindgen::JsValue::NULL;
    /// let sender = webext_port::MessageSender::from_js(&value);
    /// ```
    pub fn from_js(value: &JsValue) -> Option<Self> {
        if value.is_undefined() || value.is_null() {
            return None;
        }
        let context_id = get(value, "contextId");
        Some(MessageSender {
            id: string(value, "id"),
            url: string(value, "url"),
            origin: string(value, "origin"),
            tab: Tab::from_js(&get(value, "tab")),
            frame_id: long(value, "frameId"),
            document_id: string(value, "documentId"),
            document_lifecycle: string(value, "documentLifecycle"),
            tls_channel_id: string(value, "tlsChannelId"),
            native_application: string(value, "nativeApplication"),
            user_script_world_id: string(value, "userScriptWorldId"),
            env_type: string(value, "envType"),
            context_id: context_id.as_string().or_else(|| number_text(&context_id)),
            raw: value.clone(),
        })
    }
}

/// The `tabs.Tab` inside a [`MessageSender`].
///
/// ```no_run
/// # fn demo(sender: webext_port::MessageSender) {
/// let tab_id: Option<i32> = sender.tab.and_then(|tab| tab.id);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Tab {
    /// The tab id, for `tabs::connect`.
    pub id: Option<i32>,
    /// The window holding the tab.
    pub window_id: Option<i32>,
    /// Position in the window.
    pub index: Option<i32>,
    /// The tab's URL (needs the `tabs` permission or a host permission).
    pub url: Option<String>,
    /// The tab's title (same permission rule as `url`).
    pub title: Option<String>,
    /// Whether it is the active tab of its window.
    pub active: Option<bool>,
    /// Whether it is in a private window.
    pub incognito: Option<bool>,
    /// `"loading"` or `"complete"`.
    pub status: Option<String>,
    /// The browser's object as it is.
    pub raw: JsValue,
}

impl Tab {
    /// Reads a `tabs.Tab` object; `None` for `undefined`/`null`.
    ///
    /// ```no_run
    /// # let value = wasm_bindgen::JsValue::NULL;
    /// let tab = webext_port::Tab::from_js(&value);
    /// ```
    pub fn from_js(value: &JsValue) -> Option<Self> {
        if value.is_undefined() || value.is_null() {
            return None;
        }
        Some(Tab {
            id: int(value, "id"),
            window_id: int(value, "windowId"),
            index: int(value, "index"),
            url: string(value, "url"),
            title: string(value, "title"),
            active: boolean(value, "active"),
            incognito: boolean(value, "incognito"),
            status: string(value, "status"),
            raw: value.clone(),
        })
    }
}
