//! The one wire format of typed messages: the value's JSON text, all ASCII, posted as a JS string.
//!
//! Why text (see `docs/codec.md` for the measurements): a string crosses Chromium (JSON) and
//! Firefox (structured clone) unchanged, so the same Rust value arrives as the same Rust value in
//! both; JSON *numbers* never pass through a JS number, so u64/i64/i128/u128 and -0.0 arrive
//! exactly; a string needs no per-message validation walk; and it was the fastest correct candidate.
//!
//! - [`encode`] refuses (before anything is posted, [`ErrorKind::NotSerializable`]) what JSON text
//!   cannot bring back: non-finite floats, `Some(x)` where `x` is written as `null`, arrays/objects
//!   nested deeper than the reader reads back (127, as serde_json), map keys that are not strings,
//!   integers, floats, bools or chars, and any error of the value's own `Serialize`.
//! - The text escapes every non-ASCII character (`\uXXXX`, surrogate pairs beyond the BMP), so it
//!   is ASCII and its JS string can be one-byte: in Firefox it is built with `String.fromCharCode`
//!   (Latin1), because Firefox posts the two-byte string `TextDecoder` (and so wasm-bindgen) makes
//!   ~2.4 × slower (PORT-BEHAVIOUR.md, A2); elsewhere with `TextDecoder`, which V8 already makes
//!   one-byte for ASCII and which is ~60 × faster there (`src/js/codec.js`).
//! - [`decode`] reads the string back with the codec's own reader; anything else is
//!   [`ErrorKind::DecodeFailed`].

mod error;
mod probe;
mod read;
mod swar;
mod write;

pub(crate) use error::Error;

use crate::error::{ErrorKind, PortError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The deepest nesting of arrays and objects the reader accepts, and so the writer sends: serde_json's
/// limit (127 nested arrays, structs or newtype variants; 63 tuple or struct variants, each an
/// object holding an array or object), kept so that the text stays readable by serde_json too.
const MAX_DEPTH: usize = 127;

/// `value` as the wire text's bytes, `js_numbers` for a native host (see [`write::Writer`]).
fn write_text<T: Serialize + ?Sized>(value: &T, js_numbers: bool) -> Result<Vec<u8>, PortError> {
    let mut writer = write::Writer::new(js_numbers);
    value.serialize(&mut writer).map_err(|err| {
        PortError::new(
            ErrorKind::NotSerializable,
            crate::text::concat(&["cannot encode the message: ", err.text()]),
        )
    })?;
    Ok(writer.out)
}

/// `value` as the wire text's bytes (pure Rust, so host-testable): checked, compact, ASCII-only
/// JSON.
pub(crate) fn to_ascii<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, PortError> {
    write_text(value, false)
}

/// The ASCII bytes the writer made, as a `String`.
fn ascii_string(bytes: Vec<u8>) -> Result<String, PortError> {
    String::from_utf8(bytes).map_err(|_| {
        PortError::new(
            ErrorKind::NotSerializable,
            "cannot encode the message: the JSON text is not UTF-8",
        )
    })
}

/// [`to_ascii`] as a `String` (tests and the edge table).
#[cfg(any(test, feature = "test-support"))]
pub(crate) fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, PortError> {
    ascii_string(to_ascii(value)?)
}

/// The wire text back to a value (pure Rust, so host-testable).
pub(crate) fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, PortError> {
    read::from_str(text).map_err(|err| {
        PortError::new(
            ErrorKind::DecodeFailed,
            crate::text::concat(&["the message does not decode: ", err.text()]),
        )
    })
}

/// [`from_text`] over bytes read from a JS string (ASCII, or the UTF-8 of a Rust `String`).
fn from_bytes<T: DeserializeOwned>(text: &[u8]) -> Result<T, PortError> {
    match std::str::from_utf8(text) {
        Ok(text) => from_text(text),
        Err(_) => Err(PortError::new(
            ErrorKind::DecodeFailed,
            "the message does not decode: it is not UTF-8",
        )),
    }
}

#[wasm_bindgen(module = "/src/js/codec.js")]
extern "C" {
    /// The JS string of the ASCII `bytes`, one-byte in every engine (see `src/js/codec.js`).
    #[wasm_bindgen(js_name = asciiToString)]
    fn ascii_to_string(bytes: &[u8]) -> JsValue;

    /// Writes the ASCII string `value` into `into`; see `src/js/codec.js` for the return codes.
    #[wasm_bindgen(js_name = readAscii)]
    fn read_ascii(value: &JsValue, into: &mut [u8]) -> i32;
}

/// Bytes kept for reading small messages without an allocation: most messages fit.
const SCRATCH: usize = 8 * 1024;

thread_local! {
    static SCRATCH_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SCRATCH]);
}

/// What [`read_text`] found.
enum Read<R> {
    NotAString,
    Parsed(R),
}

/// The first `length` bytes of `buffer`, `None` if `length` is out of range (which `readAscii`
/// never returns; the caller then reads the string the general way).
fn ascii_prefix(buffer: &[u8], length: i32) -> Option<&[u8]> {
    buffer.get(..usize::try_from(length).ok()?)
}

/// Hands a typed message's text to `parse`, read with as few calls into JS as possible (each costs
/// about a microsecond on a port event): one for an ASCII string that fits the scratch buffer,
/// which `parse` then reads in place, two for a longer one.
fn read_text<R>(value: &JsValue, parse: impl FnOnce(&[u8]) -> R) -> Read<R> {
    let scratch = SCRATCH_BUFFER.with(|buffer| {
        // Taken, not borrowed: a `Deserialize` impl that decodes another message meanwhile
        // finds it empty and allocates its own.
        std::mem::take(&mut *buffer.borrow_mut())
    });
    let mut buffer = if scratch.len() == SCRATCH {
        scratch
    } else {
        vec![0; SCRATCH]
    };
    let general = || value.as_string().unwrap_or_default();
    let outcome = match read_ascii(value, &mut buffer) {
        -1 => Read::NotAString,
        length @ 0.. => Read::Parsed(match ascii_prefix(&buffer, length) {
            Some(text) => parse(text),
            None => parse(general().as_bytes()),
        }),
        -2 => Read::Parsed(parse(general().as_bytes())),
        too_long => {
            // -3 - length: ask again with room for all of it.
            let mut long = vec![0; usize::try_from(-3 - i64::from(too_long)).unwrap_or(0)];
            let length = read_ascii(value, &mut long);
            Read::Parsed(match ascii_prefix(&long, length) {
                Some(text) => parse(text),
                None => parse(general().as_bytes()),
            })
        }
    };
    SCRATCH_BUFFER.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_empty() {
            *slot = buffer;
        }
    });
    outcome
}

/// Encodes `value` as a message: a JS string holding its JSON text.
///
/// [`ErrorKind::NotSerializable`] when the value cannot arrive as the same value (see the module
/// documentation); nothing has been posted then.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, PortError> {
    Ok(ascii_to_string(&to_ascii(value)?))
}

/// Decodes a message made by [`encode`] (in this or another browser).
///
/// [`ErrorKind::DecodeFailed`] when `value` is not a string or its text is not a `T`.
pub(crate) fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, PortError> {
    // Both errors carry what arrived (PortError::raw_value), so the caller can still look at it.
    match read_text(&value, from_bytes) {
        Read::Parsed(decoded) => decoded.map_err(|err| err.with_raw_value(&value)),
        Read::NotAString => Err(PortError::new(
            ErrorKind::DecodeFailed,
            "the message is not a typed message (a JSON string)",
        )
        .with_raw_value(&value)),
    }
}

/// A native host speaks JSON itself: on a `connectNative` port a typed message is the JSON
/// *value* (the browser writes it as the host's JSON), not its text in a string. What a JS value
/// cannot carry exactly (integers beyond 2^53, `-0.0`) is refused before anything is posted.
pub(crate) fn encode_json_value<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, PortError> {
    let text = ascii_string(write_text(value, true)?)?;
    js_sys::JSON::parse(&text).map_err(|_| {
        PortError::new(
            ErrorKind::NotSerializable,
            "cannot encode the message: its JSON text does not parse",
        )
    })
}

/// What a native host sent (a JSON value the browser parsed), decoded.
pub(crate) fn decode_json_value<T: DeserializeOwned>(value: JsValue) -> Result<T, PortError> {
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|text| text.as_string());
    let Some(text) = text else {
        return Err(PortError::new(
            ErrorKind::DecodeFailed,
            "the message is not JSON (JSON.stringify refused it)",
        )
        .with_raw_value(&value));
    };
    from_text(&text).map_err(|err| err.with_raw_value(&value))
}

/// [`encode`], or [`encode_json_value`] for a native port.
pub(crate) fn encode_for<T: Serialize + ?Sized>(
    native: bool,
    value: &T,
) -> Result<JsValue, PortError> {
    if native {
        encode_json_value(value)
    } else {
        encode(value)
    }
}

/// [`decode`], or [`decode_json_value`] for a native port.
pub(crate) fn decode_for<T: DeserializeOwned>(
    native: bool,
    value: JsValue,
) -> Result<T, PortError> {
    if native {
        decode_json_value(value)
    } else {
        decode(value)
    }
}

#[cfg(test)]
mod differential_tests;
#[cfg(test)]
mod tests;
