//! The one wire format of typed messages: the value's JSON text, all ASCII, posted as a JS string.
//!
//! Why text (see `docs/codec.md` for the measurements): a string crosses Chromium (JSON) and
//! Firefox (structured clone) unchanged, so the same Rust value arrives as the same Rust value in
//! both; JSON *numbers* never pass through a JS number, so u64/i64/i128/u128 and -0.0 arrive
//! exactly; a string needs no per-message validation walk; and it was the fastest correct candidate.
//!
//! - [`encode`] refuses (before anything is posted, [`ErrorKind::NotSerializable`]) what JSON text
//!   cannot bring back: non-finite floats, `Some(x)` where `x` is written as `null`, map keys that
//!   are not strings, integers, floats, bools or chars (serde_json), and any error of the value's
//!   own `Serialize`.
//! - The text escapes every non-ASCII character (`\uXXXX`, surrogate pairs beyond the BMP), so it
//!   is ASCII and its JS string can be one-byte: in Firefox it is built with `String.fromCharCode`
//!   (Latin1), because Firefox posts the two-byte string `TextDecoder` (and so wasm-bindgen) makes
//!   ~2.4 × slower (PORT-BEHAVIOUR.md, A2); elsewhere with `TextDecoder`, which V8 already makes
//!   one-byte for ASCII and which is ~60 × faster there (`src/js/codec.js`).
//! - [`decode`] reads the string back with serde_json; anything else is
//!   [`ErrorKind::DecodeFailed`].

mod check;

use crate::error::{ErrorKind, PortError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io;
use wasm_bindgen::prelude::*;

/// serde_json's compact output with every non-ASCII character escaped, so the text is ASCII.
struct AsciiFormatter;

const HEX: &[u8; 16] = b"0123456789abcdef";

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        while let Some(offset) = bytes[start..].iter().position(|b| !b.is_ascii()) {
            let at = start + offset;
            writer.write_all(&bytes[start..at])?;
            let ch = fragment[at..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut units = [0u16; 2];
            for &mut unit in ch.encode_utf16(&mut units) {
                let hex = |shift: u16| HEX[usize::from((unit >> shift) & 0xf)];
                writer.write_all(&[b'\\', b'u', hex(12), hex(8), hex(4), hex(0)])?;
            }
            start = at + ch.len_utf8();
        }
        writer.write_all(&bytes[start..])
    }
}

/// `value` as the wire text (pure Rust, so host-testable): checked, compact, ASCII-only JSON.
pub(crate) fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, PortError> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    value
        .serialize(check::Check(&mut serializer))
        .map_err(|err| {
            PortError::new(
                ErrorKind::NotSerializable,
                format!("cannot encode the message: {err}"),
            )
        })?;
    // Only ASCII was written: the formatter escapes the rest and serde_json escapes controls.
    String::from_utf8(out).map_err(|_| {
        PortError::new(
            ErrorKind::NotSerializable,
            "cannot encode the message: the JSON text is not UTF-8",
        )
    })
}

/// The wire text back to a value (pure Rust, so host-testable).
pub(crate) fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, PortError> {
    serde_json::from_str(text).map_err(|err| {
        PortError::new(
            ErrorKind::DecodeFailed,
            format!("the message does not decode: {err}"),
        )
    })
}

#[wasm_bindgen(module = "/src/js/codec.js")]
extern "C" {
    /// The JS string of the ASCII `bytes`, one-byte in every engine (see `src/js/codec.js`).
    #[wasm_bindgen(js_name = asciiToString)]
    fn ascii_to_string(bytes: &[u8]) -> JsValue;
}

/// Encodes `value` as a message: a JS string holding its JSON text.
///
/// [`ErrorKind::NotSerializable`] when the value cannot arrive as the same value (see the module
/// documentation); nothing has been posted then.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, PortError> {
    let text = to_text(value)?;
    Ok(ascii_to_string(text.as_bytes()))
}

/// Decodes a message made by [`encode`] (in this or another browser).
///
/// [`ErrorKind::DecodeFailed`] when `value` is not a string or its text is not a `T`.
pub(crate) fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, PortError> {
    // TODO(merge): attach raw value (PortError::raw_value) to both errors below.
    let Some(text) = value.as_string() else {
        return Err(PortError::new(
            ErrorKind::DecodeFailed,
            "the message is not a typed message (a JSON string)",
        ));
    };
    from_text(&text)
}

#[cfg(test)]
mod tests;
