//! The codec's own error: one sentence, no position, and no float or `{:?}` formatting, whose code
//! (`core::fmt`'s float printer, Unicode printability tables) would otherwise ship in every typed
//! wasm only to describe a failure.

use crate::text::concat;
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
        Error::new(concat(&[what, " at byte ", itoa::Buffer::new().format(at)]))
    }

    /// The sentence.
    pub(super) fn text(&self) -> &str {
        &self.0 .0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(message.to_string())
    }
}

/// `what`, then what arrived, said without formatting a float (the number is in the message's raw
/// value) or debug-escaping a string, then what was expected.
#[inline(never)]
fn invalid(what: &str, found: Unexpected<'_>, expected: &dyn Expected) -> Error {
    let mut digits = itoa::Buffer::new();
    let mut utf8 = [0; 4];
    let (before, value, after) = match found {
        Unexpected::Bool(value) => ("boolean `", if value { "true" } else { "false" }, "`"),
        Unexpected::Unsigned(value) => ("integer `", digits.format(value), "`"),
        Unexpected::Signed(value) => ("integer `", digits.format(value), "`"),
        Unexpected::Float(_) => ("a floating point number", "", ""),
        Unexpected::Char(value) => ("character `", &*value.encode_utf8(&mut utf8), "`"),
        Unexpected::Str(value) => ("string \"", value, "\""),
        Unexpected::Bytes(_) => ("byte array", "", ""),
        Unexpected::Unit => ("null", "", ""),
        Unexpected::Option => ("Option value", "", ""),
        Unexpected::NewtypeStruct => ("newtype struct", "", ""),
        Unexpected::Seq => ("sequence", "", ""),
        Unexpected::Map => ("map", "", ""),
        Unexpected::Enum => ("enum", "", ""),
        Unexpected::UnitVariant => ("unit variant", "", ""),
        Unexpected::NewtypeVariant => ("newtype variant", "", ""),
        Unexpected::TupleVariant => ("tuple variant", "", ""),
        Unexpected::StructVariant => ("struct variant", "", ""),
        Unexpected::Other(other) => (other, "", ""),
    };
    Error::new(concat(&[
        what,
        before,
        value,
        after,
        ", expected ",
        &expected.to_string(),
    ]))
}

/// serde's wording for a name that is not one of `expected` (`` `a` ``, `` `a` or `b` ``,
/// `` one of `a`, `b`, `c` ``), after `what` ("variant", "field").
fn unknown(what: &str, name: &str, expected: &[&str]) -> Error {
    let mut text = concat(&["unknown ", what, " `", name, "`, "]);
    match expected {
        [] => text.push_str(if what == "variant" {
            "there are no variants"
        } else {
            "there are no fields"
        }),
        [one] => text.push_str(&concat(&["expected `", one, "`"])),
        [one, two] => text.push_str(&concat(&["expected `", one, "` or `", two, "`"])),
        many => {
            text.push_str("expected one of ");
            for (i, name) in many.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                text.push_str(&concat(&["`", name, "`"]));
            }
        }
    }
    Error::new(text)
}

/// The sentences of serde's default implementations, written without `core::fmt`
/// (`crate::text`): the same words.
impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(message.to_string())
    }
    fn invalid_type(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        invalid("invalid type: ", found, expected)
    }
    fn invalid_value(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        invalid("invalid value: ", found, expected)
    }
    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Error::new(concat(&[
            "invalid length ",
            itoa::Buffer::new().format(len),
            ", expected ",
            &expected.to_string(),
        ]))
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        unknown("variant", variant, expected)
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        unknown("field", field, expected)
    }
    fn missing_field(field: &'static str) -> Self {
        Error::new(concat(&["missing field `", field, "`"]))
    }
    fn duplicate_field(field: &'static str) -> Self {
        Error::new(concat(&["duplicate field `", field, "`"]))
    }
}
