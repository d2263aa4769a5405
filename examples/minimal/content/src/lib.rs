//! Content script of the minimal example: greet the background, log every reply until it goes
//! away.
//!
//! This crate is a wasm package of its own (not one package shared with the background) because a
//! content script is downloaded and instantiated in every matching page: it should carry only
//! content-script code. Here that is about a third of what one shared package would weigh.

use futures_util::StreamExt;
use minimal_protocol::{ToBackground, ToContent, PORT_NAME};
use wasm_bindgen::prelude::*;
use webext_port::{runtime, ConnectInfo};

fn log(text: &str) {
    web_sys::console::log_1(&text.into());
}

/// Called by `content.js` once the wasm is instantiated.
#[wasm_bindgen]
pub async fn start() -> Result<(), JsError> {
    let port = runtime::connect(&ConnectInfo::named(PORT_NAME))?.typed::<ToContent, ToBackground>();
    port.send(&ToBackground::Greeting("hello from content script".into()))?;
    let mut replies = port.messages();
    // The stream ends when the connection does; a reply that does not decode is one Err and the
    // port stays up, so a newer background cannot break an older content script.
    while let Some(reply) = replies.next().await {
        match reply {
            Ok(ToContent::Reply(text)) => log(&text),
            Err(err) => log(&err.to_string()),
        }
    }
    // A clean disconnect (the background reloaded, the extension was updated) is not an error.
    if let Some(err) = replies.reason().as_ref().and_then(|reason| reason.error()) {
        log(&err.to_string());
    }
    Ok(())
}

// Every page that matches downloads and compiles this wasm: talc instead of Rust's default
// dlmalloc is 2.5 KB less gzipped (docs/performance.md, "Size"). The background keeps dlmalloc.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
