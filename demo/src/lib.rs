//! The demo extension: the MDN `runtime.Port` example in Rust ([`mdn`]), plus the commands the
//! end-to-end tests click to make each browser show what crossed its ports.
//!
//! - `mdn`: the MDN example itself, both sides, typed, with a `PortSet` in the background;
//! - `protocol`: every message as a Rust type;
//! - `content`: the content script's page plumbing and the tests that run there; commands it
//!   does not run itself are requests to the background ([`webext_port::rpc`] on "commands");
//! - `background`: routes ports by name, answers the commands;
//! - `port_log`: the background's bookkeeping of the MDN ports (counts, connected since, last
//!   error, traffic), pushed to `ports_page`, the extension page the toolbar button opens;
//! - `rpc_scenarios`, `native`, `external`, `contexts`: the scenarios of each area.
//!
//! The content script shows every observation in the page as `<output id="r-KEY">VALUE</output>`.

mod background;
mod content;
mod contexts;
mod edge;
mod external;
mod js;
mod lifecycle;
mod lifecycle_bfcache;
mod lifecycle_faults;
mod lifecycle_leak;
mod lifecycle_stream;
mod mdn;
mod native;
mod port_log;
mod ports_page;
mod protocol;
mod rpc_scenarios;

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

/// Starts the ports page (`ports.html`): the MDN example's live ports, from the background.
#[wasm_bindgen]
pub fn start_ports_page() {
    ports_page::start();
}
