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
mod external;
mod js;
mod lifecycle;
mod lifecycle_bfcache;
mod lifecycle_leak;
mod lifecycle_stream;
mod native;

use wasm_bindgen::prelude::*;

/// Starts the background script. Connections that woke it before the wasm was ready are held by
/// the library's own snippet and handed to its listeners: nothing to pass.
#[wasm_bindgen]
pub fn start_background() {
    background::start();
}

/// Starts the content script.
#[wasm_bindgen]
pub fn start_content() {
    content::start();
}
