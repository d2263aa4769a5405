//! How typed ports turn Rust values into port messages and back.
//!
//! TEMPORARY: this version (serde-wasm-bindgen's JSON-compatible serializer) only fixes the
//! interface the typed ports use; the measured codec replaces this file.

use crate::error::{ErrorKind, PortError};
use wasm_bindgen::JsValue;

/// `value` as a message that crosses every browser unchanged; `NotSerializable` when serde fails.
pub(crate) fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue, PortError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|err| PortError::new(ErrorKind::NotSerializable, err.to_string()))
}

/// A received message as a `T`; `DecodeFailed` carrying the message when it does not fit.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, PortError> {
    serde_wasm_bindgen::from_value(value.clone()).map_err(|err| {
        PortError::new(ErrorKind::DecodeFailed, err.to_string()).with_raw_value(value)
    })
}
