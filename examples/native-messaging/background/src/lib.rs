//! Background of the native messaging example: start the native host, ask it one typed question,
//! log the typed answers, then log how the host went away.
//!
//! Only an extension's background (or an extension page) may talk to a native host: in a content
//! script `runtime::connect_native` is `Err(Unsupported)` in every browser.

use futures_util::StreamExt;
use native_example_protocol::{Reply, Request, HOST_NAME};
use wasm_bindgen::prelude::*;
use webext_port::{runtime, Disconnect, ErrorKind};

fn log(text: &str) {
    web_sys::console::log_1(&text.into());
}

/// Called by `background.js` once the wasm is instantiated, i.e. each time the background starts.
#[wasm_bindgen]
pub async fn start() -> Result<(), JsError> {
    // Each connect_native starts a new host process, which lives as long as this port. The call
    // itself fails only for what is wrong before any process starts: a malformed name
    // (`InvalidArgument`), or no `connectNative` here (`Unsupported`: a content script, or a
    // manifest without the `nativeMessaging` permission). A host that is not installed is
    // reported on the port (below): the browser finds that out after this call returns.
    let host = runtime::connect_native(HOST_NAME)?.typed::<Reply, Request>();

    // Posted at once, before the host has even started: the browser queues them, and the host
    // reads them in order from its stdin.
    host.send(&Request::SystemInfo)?;
    // Ask it to exit, to show how that is reported. A real extension would keep the port open
    // while it needs the host, then call `host.disconnect()`, which stops the process.
    host.send(&Request::Exit { code: 0 })?;

    // One stream for the whole conversation: it ends when the connection does. A message that is
    // not a `Reply` (another version of the host?) is one `Err` with the raw value, and the port
    // stays up.
    let mut replies = host.messages();
    while let Some(reply) = replies.next().await {
        match reply {
            Ok(Reply::SystemInfo { os, arch, pid }) => {
                log(&format!("native host: {os} on {arch}, process {pid}"));
            }
            Ok(Reply::Exiting) => log("native host: exiting as asked"),
            Ok(Reply::Refused { reason }) => {
                log(&format!("native host refused a request: {reason}"));
            }
            Err(err) => log(&format!("not a Reply: {err} ({:?})", err.raw_value())),
        }
    }

    // Why it ended, the same kind in both browsers although they report it differently (Chromium:
    // "Native host has exited.", Firefox: no error at all).
    let reason = replies.reason();
    match reason.as_ref().and_then(Disconnect::error) {
        Some(err) => match err.kind() {
            ErrorKind::NativeHostExited => log("native host exited (NativeHostExited)"),
            ErrorKind::NativeHostNotFound => log(&format!(
                "native host {HOST_NAME:?} not found, or not allowed for this extension: \
                 install it (see examples/native-messaging/README.md). Browser: {}",
                err.message()
            )),
            ErrorKind::NativeProtocolError => log(&format!(
                "native host broke the protocol: {}",
                err.message()
            )),
            _ => log(&format!("native port failed: {err}")),
        },
        // A clean end, or our own `disconnect()`, which this example never calls.
        None => log("native port closed"),
    }
    Ok(())
}
