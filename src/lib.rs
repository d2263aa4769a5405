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
//! let _replies = port.on_message(|m| { /* m is a JsValue */ })?;
//! let _closed = port.on_disconnect(|reason: Disconnect| { /* clean or error */ });
//! port.post(&"hello from content script".into())?;
//! # Ok::<(), webext_port::PortError>(())
//! ```
#![deny(missing_docs, missing_debug_implementations)]

mod allowlist;
// encode/decode are called by the typed port API (merged from the `core` branch).
#[allow(dead_code)]
mod codec;
mod connect_listener;
mod error;
mod listener;
mod namespace;
mod port;
pub mod runtime;
mod sender;
mod sys;
pub mod tabs;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod test_support;

pub use allowlist::{Allowlist, Rejected};
pub use connect_listener::ConnectListener;
pub use error::{classify, classify_native, ErrorKind, PortError};
pub use port::{Disconnect, DisconnectListener, MessageListener, Port, NATIVE_MESSAGE_LIMIT};
pub use runtime::ConnectInfo;
pub use sender::{MessageSender, Tab};
