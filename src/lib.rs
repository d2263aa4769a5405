//! Typed WebExtension ports for Rust compiled to WebAssembly, the same in Chromium and Firefox.
//!
//! | connection | open with | receive with |
//! |---|---|---|
//! | background → content script | [`tabs::connect`] | [`runtime::on_connect`] |
//! | content script → background | [`runtime::connect`] | [`runtime::on_connect`] |
//! | extension → native application | [`runtime::connect_native`] | — |
//! | extension → extension | [`runtime::connect_external`] | [`runtime::on_connect_external`] |
//!
//! Every call the browser can make throw returns a [`Result`]; every failure, whether the
//! browser threw it, put it in `port.error` (Firefox) or in `runtime.lastError` (Chromium), is one
//! [`PortError`] with a [`kind`](PortError::kind).
//!
//! ```no_run
//! use webext_port::{runtime, ConnectInfo, Disconnect};
//!
//! // Content script
//! let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?;
//! // Keep the guard as long as you want messages (here: until the end of the scope).
//! let _replies = port.on_message(|m| { /* m is a JsValue */ });
//! // Owned by the connection: fires when the background goes away, no guard to keep.
//! port.on_disconnect(|reason: Disconnect| { /* clean or error */ });
//! port.post(&"hello from content script".into())?;
//! # Ok::<(), webext_port::PortError>(())
//! ```
//!
//! The same port, typed and async: [`Port::typed`] sends and receives serde values (a message that
//! does not decode is an `Err` with [`ErrorKind::DecodeFailed`], the port stays up);
//! [`Port::messages`] is a `Stream` that ends when the connection does, [`Port::sink`] a `Sink`,
//! [`Port::split`] both halves, [`Port::closed`] a future of the reason, [`Port::state`] where the
//! connection is. All of them sit on the same listener list as the callbacks.
//!
//! ```no_run
//! use futures::StreamExt;
//! use serde::{Deserialize, Serialize};
//! use webext_port::{runtime, ConnectInfo};
//!
//! #[derive(Serialize, Deserialize, Debug)]
//! enum Msg { Hello { from: String }, Bye }
//!
//! # async fn content() -> Result<(), webext_port::PortError> {
//! let port = runtime::connect(&ConnectInfo::named("typed"))?.typed::<Msg, Msg>();
//! port.send(&Msg::Hello { from: "content".into() })?;
//! let mut replies = port.messages();
//! // The loop ends when the background goes away; a malformed reply is one Err, not the end.
//! while let Some(reply) = replies.next().await {
//!     match reply {
//!         Ok(msg) => println!("{msg:?}"),
//!         Err(err) => println!("ignored {:?}: {err}", err.raw_value()),
//!     }
//! }
//! println!("closed: {:?}", replies.reason());
//! # Ok(()) }
//! ```
//!
//! Two layers above ports, for the shapes extension code builds again and again: [`rpc`], typed
//! request/response over one port (correlation ids, timeouts, and no request left pending when
//! the port goes away), and [`port_set`], the background's content-script ports keyed by tab,
//! frame and document, with per-port reports for sends to a frame, a tab or everyone.
#![deny(missing_docs, missing_debug_implementations)]

/// Every Rust example in README.md, compiled by `cargo test --doc` so that none of them rots.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

// The layers, bottom up: each builds on the ones before it, never on a later one.
//
// 1. Bindings: `sys` (`#[wasm_bindgen] extern` declarations, no logic) and `namespace` (finding
//    `chrome`/`browser` in each context, reading `runtime.lastError`); `error` (`PortError`, its
//    kind and the one table of browser wordings, plain Rust); `text` (error sentences without
//    `core::fmt`).
mod error;
mod namespace;
mod sys;
mod text;

// 2. The port core: `port/` (`core.rs` is the one place browser differences are handled;
//    backlog, validate, guards, batch, pagehide), the RAII `listener` and the entry points that
//    hand out ports, named after the WebExtension namespaces: `runtime`, `tabs`, with
//    `connect_listener`, `sender` and `allowlist` for `onConnect`/`onConnectExternal`.
mod allowlist;
mod connect_listener;
mod listener;
mod port;
pub mod runtime;
mod sender;
pub mod tabs;

// 3. Typed and async: `port/typed.rs` and `port/futures.rs` (streams, sinks) over `codec/`
//    (the typed messages' wire format, docs/codec.md).
mod codec;

// 4. Request/response and many ports: `rpc/`, `port_set`.
pub mod port_set;
pub mod rpc;

// 5. Lifecycle: `reconnect/` (sessions across background restarts) and the startup holder
//    `js/hold.js` (connections that woke the background before the wasm was ready).
pub mod reconnect;

// Test and benchmark support (feature `test-support`): not public API.
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod test_support;

pub use allowlist::{Allowlist, Rejected};
pub use connect_listener::ConnectListener;
pub use error::{ErrorKind, PortError};
pub use port::{
    Closed, Disconnect, DisconnectListener, MessageListener, Messages, Port, PortId, PortSink,
    State, TypedMessages, TypedPort, TypedSink, BACKLOG_LIMIT, BATCH_MESSAGES, ENVELOPE_KEY,
    MESSAGE_LIMIT,
};
pub use runtime::ConnectInfo;
pub use sender::{MessageSender, Tab};
