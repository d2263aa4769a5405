//! The messages of the minimal example, in their own crate so that the content script and the
//! background (two wasm packages) agree on them at compile time.
//!
//! No floats on purpose: a message type without `f32`/`f64` lets the linker drop the codec's
//! float parsing and printing from the content script (see docs/performance.md, "Size").

use serde::{Deserialize, Serialize};

/// Content script → background.
#[derive(Serialize, Deserialize, Debug)]
pub enum ToBackground {
    /// The first message of every content script.
    Greeting(String),
}

/// Background → content script.
#[derive(Serialize, Deserialize, Debug)]
pub enum ToContent {
    /// The background's answer to each new connection.
    Reply(String),
}

/// The port name both sides use, so that the background can tell this connection from others.
pub const PORT_NAME: &str = "port-from-cs";
