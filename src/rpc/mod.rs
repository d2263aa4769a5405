//! Request/response over a port: [`Client::request`] on one side, [`serve`] on the other.
//!
//! The two shapes extension code builds on ports again and again are "ask the background and
//! await the answer" and "answer whatever the content scripts ask". This module is both, typed
//! with serde, on top of [`Port`](crate::Port):
//!
//! - **Correlated**: every request carries an id; responses may come back in any order, and
//!   each reaches the caller that asked, so one port carries any number of concurrent requests.
//! - **Never hangs**: when the port goes away (the other side leaves or fails, or we
//!   [`disconnect`](crate::Port::disconnect)), every pending request fails at once with the
//!   disconnect's error; dropping the [`Client`] fails them too; an optional timeout
//!   ([`Client::with_timeout`], [`Client::request_with_timeout`]) fails one with
//!   [`TimedOut`](crate::ErrorKind::TimedOut). The timer is the global `setTimeout`, which exists
//!   in pages, content scripts and background service workers alike.
//! - **Typed errors**: a handler's `Err(PortError)` reaches the caller with the same kind and
//!   message; an envelope that does not decode is [`DecodeFailed`](crate::ErrorKind::DecodeFailed)
//!   for that one caller, never a panic.
//!
//! # Wire envelope
//!
//! Plain JSON-compatible objects, so a JS peer can speak it too:
//!
//! | message | shape |
//! |---|---|
//! | request | `{"rpc": 7, "request": <Req>}` |
//! | success | `{"rpc": 7, "ok": <Resp>}` |
//! | failure | `{"rpc": 7, "err": {"kind": "handler_failed", "message": "no such tab"}}` |
//!
//! `rpc` is the correlation id, a whole number the client picks (unique among its pending
//! requests). `kind` is an [`ErrorKind`](crate::ErrorKind) name (its `Display`); an unknown name
//! arrives as [`Other`](crate::ErrorKind::Other). A message without a numeric `rpc` is not an
//! envelope and is ignored by both sides, so rpc can share a port with other messages, and one
//! port can carry requests both ways. (The other way round, plain listeners on that port see the
//! envelopes too, a typed one as `DecodeFailed`: give rpc a port of its own when that is in the
//! way, as the demo does with its "commands" port.)
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use webext_port::{rpc, runtime, ConnectInfo, ErrorKind, PortError};
//!
//! #[derive(Serialize, Deserialize)]
//! enum Ask { Add(i32, i32), Divide(i32, i32) }
//!
//! // Background: answer each connection's requests while it lives.
//! let guard = runtime::on_connect(|port| {
//!     rpc::serve(&port, |ask: Ask| async move {
//!         match ask {
//!             Ask::Add(a, b) => Ok(a + b),
//!             Ask::Divide(_, 0) => Err(PortError::new(ErrorKind::HandlerFailed, "division by zero")),
//!             Ask::Divide(a, b) => Ok(a / b),
//!         }
//!     })
//!     .forget();
//! })?;
//!
//! // Content script: ask, await, match on the kind.
//! # async fn content() -> Result<(), PortError> {
//! let background = rpc::Client::<Ask, i32>::new(&runtime::connect(&ConnectInfo::named("calc"))?);
//! assert_eq!(background.request(&Ask::Add(2, 3)).await?, 5);
//! let err = background.request(&Ask::Divide(1, 0)).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::HandlerFailed);
//! # Ok(()) }
//! # drop(guard);
//! # Ok::<(), PortError>(())
//! ```

mod client;
mod server;
mod timer;
mod wire;

pub use client::{Client, Request};
pub use server::{serve, Server};
