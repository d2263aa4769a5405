//! Test and benchmark support (feature `test-support`, not public API): the codec candidates that
//! were measured and the edge-value table every test layer runs (host, wasm-pack, end-to-end).
//!
//! Not covered by semver; do not use it in an extension.

mod edges;

pub use edges::{edge_cases, outcome, EdgeCase};
pub use edges::{
    Adjacent, Deep, Empty, EmptyTuple, External, F32Bits, F64Bits, Internal, Key, Unit, Untagged,
    UntaggedAmbiguous,
};

use crate::error::{ErrorKind, PortError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A way to turn a Rust value into a message and back. [`Candidate::Chosen`] is the library's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Candidate {
    /// The library's codec (`src/codec`): checked ASCII JSON text, built as a one-byte JS string.
    Chosen,
    /// (a) `serde_wasm_bindgen` with `Serializer::json_compatible()`: a JS object.
    SerdeWasmBindgen,
    /// (b) gloo-utils' JSON path: serde_json text → `JSON.parse` → a JS object; back with
    /// `JSON.stringify` → serde_json.
    GlooJson,
    /// (c) serde_json text posted as the JS string wasm-bindgen makes (`TextDecoder`).
    JsonText,
    /// (c'') (c) plus the Latin1 copy of PORT-BEHAVIOUR.md A2: `JSON.parse(JSON.stringify(s))`.
    JsonTextCopied,
}

impl Candidate {
    /// Every candidate, the library's first.
    pub const ALL: [Candidate; 5] = [
        Candidate::Chosen,
        Candidate::SerdeWasmBindgen,
        Candidate::GlooJson,
        Candidate::JsonText,
        Candidate::JsonTextCopied,
    ];

    /// A short stable name (`chosen`, `swb`, `gloo`, `text`, `text_copied`).
    pub fn name(self) -> &'static str {
        match self {
            Candidate::Chosen => "chosen",
            Candidate::SerdeWasmBindgen => "swb",
            Candidate::GlooJson => "gloo",
            Candidate::JsonText => "text",
            Candidate::JsonTextCopied => "text_copied",
        }
    }

    /// The candidate called `name` (see [`Candidate::name`]).
    pub fn from_name(name: &str) -> Option<Candidate> {
        Candidate::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Encodes `value` as a message.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue, PortError> {
        let refused = |err: &dyn std::fmt::Display| {
            PortError::new(ErrorKind::NotSerializable, format!("cannot encode: {err}"))
        };
        match self {
            Candidate::Chosen => crate::codec::encode(value),
            Candidate::SerdeWasmBindgen => value
                .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                .map_err(|e| refused(&e)),
            Candidate::GlooJson => {
                use gloo_utils::format::JsValueSerdeExt;
                JsValue::from_serde(value).map_err(|e| refused(&e))
            }
            Candidate::JsonText => serde_json::to_string(value)
                .map(|text| JsValue::from_str(&text))
                .map_err(|e| refused(&e)),
            Candidate::JsonTextCopied => {
                let text = serde_json::to_string(value).map_err(|e| refused(&e))?;
                let json = js_sys::JSON::stringify(&JsValue::from_str(&text))
                    .map_err(|_| refused(&"JSON.stringify threw"))?;
                js_sys::JSON::parse(&String::from(json)).map_err(|_| refused(&"JSON.parse threw"))
            }
        }
    }

    /// Decodes a message made by [`Candidate::encode`] of the same candidate.
    pub fn decode<T: DeserializeOwned>(self, value: JsValue) -> Result<T, PortError> {
        let failed = |err: &dyn std::fmt::Display| {
            PortError::new(ErrorKind::DecodeFailed, format!("cannot decode: {err}"))
        };
        match self {
            Candidate::Chosen => crate::codec::decode(value),
            Candidate::SerdeWasmBindgen => {
                serde_wasm_bindgen::from_value(value).map_err(|e| failed(&e))
            }
            Candidate::GlooJson => {
                use gloo_utils::format::JsValueSerdeExt;
                value.into_serde().map_err(|e| failed(&e))
            }
            Candidate::JsonText | Candidate::JsonTextCopied => {
                let text = value.as_string().ok_or_else(|| failed(&"not a string"))?;
                serde_json::from_str(&text).map_err(|e| failed(&e))
            }
        }
    }
}

/// The library's encoder, for the benchmark (`crate::codec::encode` is crate-private).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, PortError> {
    crate::codec::encode(value)
}

/// The library's decoder, for the benchmark.
pub fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, PortError> {
    crate::codec::decode(value)
}

/// The library's wire text of `value` (pure Rust).
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, PortError> {
    crate::codec::to_text(value)
}

/// The library's wire text back to a value (pure Rust).
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, PortError> {
    crate::codec::from_text(text)
}
