//! The envelope requests and responses travel in (see the module docs of [`crate::rpc`]).

use crate::codec;
use crate::error::{ErrorKind, PortError};
use crate::namespace::get;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// The key every envelope has; a message without it is not ours and is left to other listeners.
pub(crate) const ID: &str = "rpc";
pub(crate) const REQUEST: &str = "request";
pub(crate) const OK: &str = "ok";
pub(crate) const ERR: &str = "err";

/// What one incoming message is, as far as the rpc layer is concerned.
pub(crate) enum Incoming {
    /// Not an envelope (no numeric `rpc` key): some other protocol on the same port.
    Foreign,
    /// `{rpc, request}`.
    Request(u32, JsValue),
    /// `{rpc, ok}` or `{rpc, err}`; an `err` that is not `{kind, message}` is `DecodeFailed`.
    Response(u32, Result<JsValue, PortError>),
    /// `{rpc}` with neither: it names a call but says nothing we can read.
    Malformed(u32, PortError),
}

fn has(target: &JsValue, key: &str) -> bool {
    target.is_object() && Reflect::has(target, &JsValue::from_str(key)).unwrap_or(false)
}

/// Sorts an incoming message.
pub(crate) fn read(message: &JsValue) -> Incoming {
    let id = get(message, ID).as_f64();
    let Some(id) = id.filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX)) else {
        return Incoming::Foreign;
    };
    let id = id as u32;
    if has(message, REQUEST) {
        Incoming::Request(id, get(message, REQUEST))
    } else if has(message, OK) {
        Incoming::Response(id, Ok(get(message, OK)))
    } else if has(message, ERR) {
        Incoming::Response(id, Err(read_error(&get(message, ERR))))
    } else {
        Incoming::Malformed(
            id,
            PortError::new(
                ErrorKind::DecodeFailed,
                crate::text::concat(&[
                    "rpc envelope ",
                    itoa::Buffer::new().format(id),
                    " has neither `",
                    REQUEST,
                    "`, `",
                    OK,
                    "` nor `",
                    ERR,
                    "`",
                ]),
            )
            .with_raw_value(message),
        )
    }
}

/// `{kind, message}` as the handler's error; anything else is `DecodeFailed`.
fn read_error(err: &JsValue) -> PortError {
    let kind = get(err, "kind").as_string();
    let message = get(err, "message").as_string();
    match (kind, message) {
        (Some(kind), Some(message)) => PortError::new(
            ErrorKind::from_name(&kind).unwrap_or(ErrorKind::Other),
            message,
        ),
        _ => PortError::new(
            ErrorKind::DecodeFailed,
            "rpc error envelope is not {kind: string, message: string}",
        )
        .with_raw_value(err),
    }
}

fn envelope(id: u32, key: &str, body: &JsValue) -> JsValue {
    let object = Object::new();
    // Setting properties on a fresh plain object cannot fail.
    let _ = Reflect::set(&object, &ID.into(), &f64::from(id).into());
    let _ = Reflect::set(&object, &key.into(), body);
    object.into()
}

/// `{rpc: id, request: <encoded request>}`.
pub(crate) fn request<T: serde::Serialize + ?Sized>(
    id: u32,
    request: &T,
) -> Result<JsValue, PortError> {
    Ok(envelope(id, REQUEST, &codec::encode(request)?))
}

/// `{rpc: id, ok: <encoded response>}`, or the `err` envelope when the response does not encode.
pub(crate) fn response<T: serde::Serialize>(id: u32, result: Result<T, PortError>) -> JsValue {
    match result.and_then(|value| codec::encode(&value)) {
        Ok(body) => envelope(id, OK, &body),
        Err(err) => error(id, &err),
    }
}

/// `{rpc: id, err: {kind, message}}`.
pub(crate) fn error(id: u32, err: &PortError) -> JsValue {
    let body = Object::new();
    let _ = Reflect::set(&body, &"kind".into(), &err.kind().as_str().into());
    let _ = Reflect::set(&body, &"message".into(), &err.message().into());
    envelope(id, ERR, &body.into())
}
