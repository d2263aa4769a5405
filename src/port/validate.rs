//! What [`Port::post`](crate::Port::post) checks before the browser sees a message, so that the
//! same value has the same outcome in Chromium (JSON) and Firefox (structured clone).
//!
//! Typed posts skip the walk of [`check_message`] when the codec's output is a string (it is
//! serializable by construction; it still passes [`check_size`]); a native port's typed value is
//! a JSON object made by `JSON.parse`, which the walk of `post` checks like any other.

use crate::error::{ErrorKind, PortError};
use crate::namespace::error_from_js;
use crate::sys;
use wasm_bindgen::{JsCast, JsValue};

/// The largest message a port carries: 64 MiB of UTF-8 JSON, Chromium's limit for extension
/// ports and for messages to a native host. Firefox would take more; the same message is refused
/// in both, before anything is sent.
///
/// A message over it is an `Err` of kind [`MessageTooLarge`](ErrorKind::MessageTooLarge) from
/// `post` (and typed `send`) in every browser, so a payload that works in Firefox cannot fail only
/// in Chromium. Split bigger data into several messages.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// use webext_port::{ErrorKind, MESSAGE_LIMIT};
/// let huge = "x".repeat(MESSAGE_LIMIT + 1);
/// if let Err(err) = port.post(&huge.as_str().into()) {
///     // Refused before the browser saw it, in Chromium and Firefox alike.
///     assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
/// }
/// # }
/// ```
pub const MESSAGE_LIMIT: usize = 64 * 1024 * 1024;

fn too_large() -> PortError {
    PortError::new(
        ErrorKind::MessageTooLarge,
        crate::text::concat(&[
            "a message may be at most ",
            itoa::Buffer::new().format(MESSAGE_LIMIT),
            " bytes of JSON (64 MiB, Chromium's limit; refused in every browser)",
        ]),
    )
}

/// Rejects values that would cross differently (or not at all) in Chromium and Firefox, and
/// messages over [`MESSAGE_LIMIT`]. The size bound is summed during the same walk, so a message
/// that is obviously small never pays for a `JSON.stringify`.
pub(crate) fn check_message(message: &JsValue) -> Result<(), PortError> {
    check_with(message, || {
        sys::check_message(message, MESSAGE_LIMIT as f64)
    })
}

/// [`check_message`] for a message `postChecked` just refused: an object's verdict is the one
/// that call found (`sys::take_verdict`), so nothing in the message is read twice.
pub(crate) fn check_refused(message: &JsValue) -> Result<(), PortError> {
    check_with(message, sys::take_verdict)
}

/// The rules of [`check_message`], with `verdict` giving `checkMessage`'s answer for an object.
fn check_with(
    message: &JsValue,
    verdict: impl FnOnce() -> Result<JsValue, JsValue>,
) -> Result<(), PortError> {
    let why = if message.is_object() {
        // A getter or Proxy that throws while being read cannot be sent either.
        match verdict() {
            // A number: the walk's size bound is over the limit; measure exactly.
            Ok(verdict) if verdict.as_f64().is_some() => return check_length(message),
            Ok(verdict) => verdict.as_string(),
            Err(thrown) => Some(crate::text::concat(&[
                "a value that throws when read (",
                error_from_js(&thrown).message(),
                ")",
            ])),
        }
    } else if message.is_string() {
        return check_size(message);
    } else if message.is_null() || message.as_bool().is_some() {
        None
    } else if let Some(number) = message.as_f64() {
        // Named, not formatted: float formatting would add kilobytes to every wasm that posts.
        let name = if number.is_nan() {
            "NaN"
        } else if number > 0.0 {
            "inf"
        } else {
            "-inf"
        };
        (!number.is_finite()).then(|| crate::text::concat(&[name, " (JSON turns it into null)"]))
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
            crate::text::concat(&[
                "cannot post ",
                &why,
                ": it does not cross a port the same way in every browser",
            ]),
        )),
    }
}

/// The size rule alone, for messages valid by construction (the codec's strings): a string of
/// `n` UTF-16 units is at most `6n + 2` bytes of JSON, so only a long one is measured.
pub(crate) fn check_size(message: &JsValue) -> Result<(), PortError> {
    if let Some(text) = message.dyn_ref::<js_sys::JsString>() {
        let bound = (text.length() as usize).saturating_mul(6).saturating_add(2);
        if bound <= MESSAGE_LIMIT {
            return Ok(());
        }
    }
    check_length(message)
}

/// The exact size rule, for the few messages whose bound says they might be over the limit.
fn check_length(message: &JsValue) -> Result<(), PortError> {
    let too_long = sys::json_longer_than(message, MESSAGE_LIMIT as f64).map_err(|thrown| {
        PortError::new(ErrorKind::NotSerializable, error_from_js(&thrown).message())
    })?;
    if too_long {
        Err(too_large())
    } else {
        Ok(())
    }
}
