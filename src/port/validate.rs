//! What [`Port::post`](crate::Port::post) checks before the browser sees a message, so that the
//! same value has the same outcome in Chromium (JSON) and Firefox (structured clone).
//!
//! Typed posts skip [`check_serializable`]: the codec's output is serializable by construction.

use crate::error::{ErrorKind, PortError};
use crate::namespace::error_from_js;
use crate::sys;
use wasm_bindgen::JsValue;

/// The largest message a native messaging host may be sent: Chromium's limit (64 MiB of JSON);
/// Firefox allows more, so the same message is refused in both.
pub const NATIVE_MESSAGE_LIMIT: usize = 64 * 1024 * 1024;

/// Rejects values that would cross differently (or not at all) in Chromium and Firefox.
pub(crate) fn check_serializable(message: &JsValue) -> Result<(), PortError> {
    let why = if message.is_object() {
        // A getter or Proxy that throws while being read cannot be sent either.
        sys::why_not_serializable(message).unwrap_or_else(|thrown| {
            Some(format!(
                "a value that throws when read ({})",
                error_from_js(&thrown).message()
            ))
        })
    } else if message.is_string() || message.is_null() || message.as_bool().is_some() {
        None
    } else if let Some(number) = message.as_f64() {
        (!number.is_finite()).then(|| format!("{number} (JSON turns it into null)"))
    } else if message.is_undefined() {
        Some("undefined (JSON turns it into null)".to_owned())
    } else if message.is_function() {
        Some("a function".to_owned())
    } else if message.is_symbol() {
        Some("a symbol".to_owned())
    } else {
        Some("a BigInt".to_owned())
    };
    match why {
        None => Ok(()),
        Some(why) => Err(PortError::new(
            ErrorKind::NotSerializable,
            format!("cannot post {why}: it does not cross a port the same way in every browser"),
        )),
    }
}

/// Refuses a message to a native host that is over [`NATIVE_MESSAGE_LIMIT`] bytes of JSON.
pub(crate) fn check_native_size(message: &JsValue) -> Result<(), PortError> {
    let too_long =
        sys::json_longer_than(message, NATIVE_MESSAGE_LIMIT as f64).map_err(|thrown| {
            PortError::new(ErrorKind::NotSerializable, error_from_js(&thrown).message())
        })?;
    if too_long {
        return Err(PortError::new(
            ErrorKind::MessageTooLarge,
            format!(
                "a message to a native host may be at most {NATIVE_MESSAGE_LIMIT} bytes of JSON"
            ),
        ));
    }
    Ok(())
}
