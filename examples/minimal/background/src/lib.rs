//! Background of the minimal example: answer every content script, log what it says.

use futures_util::StreamExt;
use minimal_protocol::{ToBackground, ToContent, PORT_NAME};
use wasm_bindgen::prelude::*;
use webext_port::runtime;

/// Called by `background.js` once the wasm is instantiated. Connections that woke the background
/// while the wasm loaded (a Chromium service worker drops them unless a listener exists by the end
/// of its first turn) were held by webext-port itself; this first listener receives them first.
#[wasm_bindgen]
pub fn start() -> Result<(), JsError> {
    runtime::OnConnect::new()
        .listen(|port| {
            // Other code of the extension may open ports too: answer only ours.
            if port.name() != PORT_NAME {
                return;
            }
            let port = port.typed::<ToBackground, ToContent>();
            wasm_bindgen_futures::spawn_local(async move {
                // Err only when the tab is already gone: nothing to answer then.
                let _ = port.send(&ToContent::Reply("hi there content script!".into()));
                let mut greetings = port.messages();
                while let Some(Ok(ToBackground::Greeting(text))) = greetings.next().await {
                    web_sys::console::log_1(&format!("received: {text}").into());
                }
            });
        })?
        // Registered once at startup: keep it for the life of the background, no guard to hold.
        .forget();
    Ok(())
}
