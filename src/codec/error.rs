//! The codec's own error: one sentence, no position, and no float or `{:?}` formatting, whose code
//! (`core::fmt`'s float printer, Unicode printability tables) would otherwise ship in every typed
//! wasm only to describe a failure.

use serde::de::{self, Expected, Unexpected};
use serde::ser;
use std::fmt;

/// Why a value did not encode or a text did not decode; the codec wraps it in a `PortError`.
///
/// Boxed: every reader and writer step returns a `Result` with it, and a pointer keeps those
/// results small. Measured in V8 (Node 20, wasm, opt-level 3): reading the object-heavy bench
/// message took 1,040 µs with the `String` inline, 750 µs boxed.
#[derive(Debug)]
pub(crate) struct Error(Box<Message>);

/// The sentence, behind [`Error`]'s thin pointer (a `Box<str>` is two words, and a `Result` of it
/// no longer fits a wasm return value).
#[derive(Debug)]
struct Message(String);

impl Error {
    /// Cold and out of line: an error is rare, and building it inline (an allocation, a copy of
    /// the sentence) made the checks on every value's path slower (measured: the depth check
    /// alone was 13 % of writing the object-heavy bench message in V8).
    #[cold]
    #[inline(never)]
    pub(super) fn new(message: impl Into<String>) -> Self {
        Error(Box::new(Message(message.into())))
    }
}

impl Error {
    /// `what` at byte `at` of the text (cold, as [`Error::new`]).
    #[cold]
    #[inline(never)]
    pub(super) fn at(what: &str, at: usize) -> Self {
        Error::new(format!("{what} at byte {at}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0 .0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(message.to_string())
    }
}

/// What arrived, said without formatting a float (the number is in the message's raw value) or
/// debug-escaping a string.
struct Found<'a>(Unexpected<'a>);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(value) => write!(f, "boolean `{value}`"),
            Unexpected::Unsigned(value) => write!(f, "integer `{value}`"),
            Unexpected::Signed(value) => write!(f, "integer `{value}`"),
            Unexpected::Float(_) => f.write_str("a floating point number"),
            Unexpected::Char(value) => write!(f, "character `{value}`"),
            Unexpected::Str(value) => write!(f, "string \"{value}\""),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(message.to_string())
    }
    fn invalid_type(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Error::new(format!(
            "invalid type: {}, expected {expected}",
            Found(found)
        ))
    }
    fn invalid_value(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Error::new(format!(
            "invalid value: {}, expected {expected}",
            Found(found)
        ))
    }
}
