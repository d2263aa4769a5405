//! The demo extension: the MDN `runtime.Port` examples in Rust, plus the commands the end-to-end
//! tests click to make each browser show what crossed its ports.
//!
//! Protocol (content ↔ background over the "port-from-cs" port):
//! - content → background: `{greeting}` (MDN) or `{cmd}` (a test command);
//! - background → content: `{greeting}` (MDN reply and broadcast) or `{reply, value}` (command result).
//!
//! The content script shows every observation in the page as `<output id="r-KEY">VALUE</output>`.

mod background;
mod content;
mod contexts;
mod edge;
mod external;
mod js;
mod native;

use wasm_bindgen::prelude::*;

/// Starts the background script; `held` and `held_external` are the `onConnect` and
/// `onConnectExternal` holders from `www/hold.js`, `held_clicks` the `action.onClicked` events
/// that came before the wasm was ready.
#[wasm_bindgen]
pub fn start_background(held: JsValue, held_external: JsValue, held_clicks: js_sys::Array) {
    background::start(&held, &held_external, held_clicks.length());
}

/// Starts the content script.
#[wasm_bindgen]
pub fn start_content() {
    content::start();
}
