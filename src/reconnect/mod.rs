//! Reconnecting ports: one logical session between a content script (or extension page) and the
//! background that survives the background going away: a Chromium service worker stopped, a
//! Firefox event page suspended, an extension update that keeps the content script's context.
//!
//! - [`ReconnectingPort`] (content side) opens the connection, and opens it again with backoff
//!   whenever it breaks, until [`close`](ReconnectingPort::close) or until the extension context
//!   is invalidated ([`ErrorKind::ContextInvalidated`](crate::ErrorKind::ContextInvalidated),
//!   for good).
//! - [`SessionHost`] (background side) turns the ports it is given into [`Session`]s, one per
//!   logical session, identified by the content side; a reconnection of a known session resumes
//!   it, and a restarted background resumes it where the content side says it is.
//!
//! # What is guaranteed
//! Each message carries a sequence number; the receiver delivers the next number only, drops
//! numbers it already delivered, and acknowledges what it delivered; the sender keeps every
//! message not yet acknowledged (the **replay buffer**, at most
//! [`ReconnectOptions::replay_limit`] messages) and sends them again, in order, on every new
//! connection. Hence:
//! - **content → background**: every message [`send`](ReconnectingPort::send) accepted is
//!   delivered to the background's [`Session`] exactly once and in order, across any number of
//!   reconnections and background restarts. The background acknowledges each message in the same
//!   task that delivered it, so a restarted background starts exactly after the last message its
//!   predecessor delivered. (The one window left: a background killed *inside* that task, after
//!   the delivery and before the acknowledgement left, gets that one message again. Browsers stop
//!   an idle background between tasks.)
//! - **background → content**: every message [`Session::send`] accepted is delivered to the
//!   content side exactly once and in order while that background instance lives, across
//!   reconnections. A stopped background's replay buffer stops with it: after a restart,
//!   [`Session::resumed`] is true and [`Session::peer_received`] says how many of the session's
//!   messages the content side has; numbering continues from there, and an application that can
//!   produce its output again sends it from that point (the end-to-end test does).
//! - **never silent**: a message that does not fit in the replay buffer is an `Err` of kind
//!   [`ReplayBufferFull`](crate::ErrorKind::ReplayBufferFull) (not sent, nothing dropped);
//!   after an invalidated context every `send` is an `Err`.
//!
//! # What it costs
//! Per message: an envelope `{wp:"m", s:<number>, b:<body>}` (about 20 bytes of JSON) and a
//! replay-buffer slot until acknowledged. Acknowledgements: the background sends one per content
//! message (`{wp:"a", ack}`: one extra port message back each); the content side sends one per
//! 32 background messages. Per connection: one hello and one welcome, then the unacknowledged
//! messages once more.
//!
//! ```no_run
//! use webext_port::reconnect::{ReconnectOptions, ReconnectingPort};
//! // Content script: a session that outlives the background's restarts.
//! let port = ReconnectingPort::<String, String>::connect("session", ReconnectOptions::default())?;
//! port.on_message(|reply| println!("{reply:?}"));
//! // Accepted while the background is stopped too: sent when it is back.
//! port.send(&"hello".to_owned())?;
//! # Ok::<(), webext_port::PortError>(())
//! ```

mod client;
mod delivery;
mod options;
mod server;
mod wire;

pub use client::ReconnectingPort;
pub use options::{ReconnectOptions, Status};
pub use server::{Session, SessionHost};

/// The content side acknowledges background messages once per this many.
const CONTENT_ACK_EVERY: u64 = 32;

/// Resolves after `ms` milliseconds (`setTimeout`, in pages, content scripts and workers).
async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = crate::sys::GLOBAL_THIS.with(wasm_bindgen::JsValue::clone);
        let set_timeout = crate::namespace::get(&global, "setTimeout");
        if let Some(set_timeout) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&set_timeout) {
            let _ = set_timeout.call2(&global, &resolve, &ms.into());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
