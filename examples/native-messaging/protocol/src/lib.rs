//! The messages of the native messaging example, in a crate of their own so that the extension's
//! background (wasm) and the native host (a native binary) agree on them at compile time: the host
//! decodes exactly what the background sends, with no JSON schema kept by hand on either side.
//!
//! On a native port a typed message travels as the JSON value itself, which is what a host in any
//! language reads. Every message here is a JSON object with a `"type"` (`{"type":"Exit","code":0}`),
//! easy to dispatch on in a host written in another language.

use serde::{Deserialize, Serialize};

/// The host's name, as the browser knows it: the `name` in its manifest, and the file name of
/// that manifest (`webext_port_native_example.json`). Chromium's rule: lowercase letters,
/// digits and `_`, in parts joined by dots.
pub const HOST_NAME: &str = "webext_port_native_example";

/// Extension → host.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum Request {
    /// What a native program knows and an extension cannot: the operating system, the CPU
    /// architecture, the host's own process id.
    SystemInfo,
    /// Answer, then exit with this status. The example asks for it to show how the browser reports
    /// a host that went away: `NativeHostExited`, in Chromium and in Firefox.
    Exit {
        /// The host's exit status.
        code: i32,
    },
}

/// Host → extension.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum Reply {
    /// The answer to [`Request::SystemInfo`].
    SystemInfo {
        /// `std::env::consts::OS`, e.g. "linux".
        os: String,
        /// `std::env::consts::ARCH`, e.g. "x86_64".
        arch: String,
        /// The host's process id: each `connect_native` starts a new process.
        pid: u32,
    },
    /// The answer to [`Request::Exit`], sent just before the host exits.
    Exiting,
    /// A message the host could not read as a [`Request`].
    Refused {
        /// Why, in serde_json's words.
        reason: String,
    },
}
