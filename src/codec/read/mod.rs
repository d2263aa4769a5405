//! The wire text reader: a serde `Deserializer` over a JSON text, accepting what serde_json's
//! `from_str` accepts and giving the same values (a host test compares the two on generated and
//! hand-written texts).
//!
//! Why our own: see [`super::write`]. What it keeps from serde_json, because a value must arrive
//! as the value that was sent:
//! - integers as `u64` when they fit, negative ones as `i64`; `i128`/`u128` read from their digits;
//!   anything else (fractions, exponents, integers beyond 64 bits, `-0`) as a float, parsed
//!   exactly (core's correctly rounded parser; `f32` is parsed as `f32`, never through `f64`);
//! - at most [`MAX_DEPTH`] arrays/objects nested (an enum with content is an object around it);
//! - structs from objects or arrays, enums from `"Variant"` or `{"Variant": content}`, map keys
//!   that are quoted numbers, bools or chars, bytes from an array or a string.
//!
//! Floats are parsed only where a float is asked for (an `f32`/`f64` field, `deserialize_any`):
//! a content script whose messages hold none does not carry the float parser, and skipping an
//! unknown field never parses one.

mod access;
mod deserializer;
mod number;

use super::swar::skip_plain;
use super::{Error, MAX_DEPTH};
use access::Elements;
use number::{scan_number, Number};
use serde::de::{self, Expected, Unexpected, Visitor};

/// `text` as a `T`: exactly one JSON value, with only whitespace around it.
pub(super) fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    let mut reader = Reader {
        text,
        at: 0,
        depth: 0,
    };
    let value = T::deserialize(&mut reader)?;
    if reader.next_token().is_some() {
        return Err(Error::at("trailing characters after the value,", reader.at));
    }
    Ok(value)
}

struct Reader<'de> {
    text: &'de str,
    /// The byte offset of the next character to read (always at an ASCII byte or the end, so
    /// always a character boundary).
    at: usize,
    /// Arrays and objects open around the value being read.
    depth: usize,
}

/// A string's content: borrowed from the text unless it had escapes.
enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(text) => text,
            Text::Owned(text) => text,
        }
    }
}

#[cold]
fn ended(expected: &str) -> Error {
    Error::new(crate::text::concat(&[
        "the text ended where ",
        expected,
        " was expected",
    ]))
}

impl<'de> Reader<'de> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte after whitespace, not consumed.
    fn next_token(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
        self.peek()
    }

    #[cold]
    fn unexpected(&self, expected: &str) -> Error {
        match self.peek() {
            None => ended(expected),
            Some(_) => Error::at(&crate::text::concat(&["expected ", expected]), self.at),
        }
    }

    /// Consumes `byte` (after whitespace), or fails.
    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), Error> {
        if self.next_token() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<(), Error> {
        let end = self.at + word.len();
        if self.text.as_bytes().get(self.at..end) == Some(word.as_bytes()) {
            self.at = end;
            Ok(())
        } else {
            Err(self.unexpected(word))
        }
    }

    /// Consumes the `[` or `{` at `at`: one level deeper, or refused.
    fn open(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(
                "arrays/objects nested more than 127 deep (the writer never sends them)",
            ));
        }
        self.at += 1;
        Ok(())
    }

    /// Consumes the `]` or `}` that ends what [`Reader::open`] opened.
    fn close(&mut self, byte: u8, expected: &str) -> Result<(), Error> {
        match self.next_token() {
            Some(found) if found == byte => {
                self.at += 1;
                self.depth -= 1;
                Ok(())
            }
            Some(b',') => Err(Error::at(
                "more elements than expected (or a trailing comma)",
                self.at,
            )),
            _ => Err(self.unexpected(expected)),
        }
    }

    /// The type error for the value that starts at `at` (after whitespace).
    #[cold]
    fn invalid(&mut self, expected: &dyn Expected) -> Error {
        let found = match self.next_token() {
            Some(b'n') => Unexpected::Unit,
            Some(b't' | b'f') => Unexpected::Other("boolean"),
            Some(b'"') => Unexpected::Other("string"),
            Some(b'-' | b'0'..=b'9') => Unexpected::Other("number"),
            Some(b'[') => Unexpected::Seq,
            Some(b'{') => Unexpected::Map,
            _ => return self.unexpected("a value"),
        };
        de::Error::invalid_type(found, expected)
    }

    /// The string whose opening quote is at `at`.
    fn string(&mut self) -> Result<Text<'de>, Error> {
        self.at += 1;
        let bytes = self.text.as_bytes();
        let mut owned: Option<String> = None;
        let mut run = self.at;
        loop {
            self.at = skip_plain(bytes, self.at, false);
            let Some(&byte) = bytes.get(self.at) else {
                return Err(ended("the end of a string"));
            };
            match byte {
                b'"' => {
                    let tail = self.slice(run)?;
                    self.at += 1;
                    return Ok(match owned {
                        None => Text::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Text::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let head = self.slice(run)?;
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(head);
                    self.at += 1;
                    text.push(self.escape()?);
                    run = self.at;
                }
                0..=0x1f => {
                    return Err(Error::at(
                        "a control character (JSON escapes them) inside a string",
                        self.at,
                    ))
                }
                _ => self.at += 1,
            }
        }
    }

    /// The text from `from` to `at` (both at ASCII bytes, so character boundaries).
    fn slice(&self, from: usize) -> Result<&'de str, Error> {
        self.text
            .get(from..self.at)
            .ok_or_else(|| Error::new("a string that is not UTF-8"))
    }

    /// The character of the escape after a `\`.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(&byte) = self.text.as_bytes().get(self.at) else {
            return Err(ended("an escape"));
        };
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let lone = || Error::new("a lone UTF-16 surrogate in a \\u escape");
                let unit = u32::from(self.hex4()?);
                let code = match unit {
                    0xd800..=0xdbff => {
                        if self.text.as_bytes().get(self.at..self.at + 2) != Some(b"\\u") {
                            return Err(lone());
                        }
                        self.at += 2;
                        let low = u32::from(self.hex4()?);
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(lone());
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err(lone()),
                    _ => unit,
                };
                char::from_u32(code).ok_or_else(lone)?
            }
            _ => return Err(Error::at("an invalid escape", self.at)),
        })
    }

    /// Reads past the string whose opening quote is at `at`, building nothing. As in serde_json,
    /// an ignored string's `\u` escapes must be hex but need not pair their surrogates.
    fn skip_string(&mut self) -> Result<(), Error> {
        self.at += 1;
        loop {
            self.at = skip_plain(self.text.as_bytes(), self.at, false);
            let Some(byte) = self.peek() else {
                return Err(ended("the end of a string"));
            };
            self.at += 1;
            match byte {
                b'"' => return Ok(()),
                b'\\' => match self.peek() {
                    Some(b'u') => {
                        self.at += 1;
                        self.hex4()?;
                    }
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
                    _ => return Err(Error::at("an invalid escape", self.at)),
                },
                0..=0x1f => {
                    return Err(Error::at(
                        "a control character (JSON escapes them) inside a string",
                        self.at - 1,
                    ))
                }
                _ => {}
            }
        }
    }

    fn hex4(&mut self) -> Result<u16, Error> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|byte| char::from(byte).to_digit(16))
                .ok_or_else(|| Error::new("a \\u escape needs four hex digits"))?;
            unit = unit << 4 | digit as u16;
            self.at += 1;
        }
        Ok(unit)
    }

    fn visit_string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Owned(text) => visitor.visit_string(text),
        }
    }

    fn number(&mut self) -> Result<Number<'de>, Error> {
        let number = scan_number(self.text, self.at)?;
        self.at += number.text.len();
        Ok(number)
    }

    /// The number at `at` (after whitespace), or a type error.
    fn expect_number(&mut self, expected: &dyn Expected) -> Result<Number<'de>, Error> {
        match self.next_token() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.invalid(expected)),
        }
    }

    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.open()?;
        let value = visitor.visit_seq(Elements {
            reader: self,
            first: true,
        })?;
        self.close(b']', "`]`")?;
        Ok(value)
    }

    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.open()?;
        let value = visitor.visit_map(Elements {
            reader: self,
            first: true,
        })?;
        self.close(b'}', "`}`")?;
        Ok(value)
    }

    /// Reads past one value without building it (an unknown field, `IgnoredAny`): checks its
    /// syntax as strictly as reading it would, never parses a float.
    fn skip(&mut self) -> Result<(), Error> {
        match self.next_token() {
            Some(b'n') => self.literal("null"),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'"') => self.skip_string(),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            Some(open @ (b'[' | b'{')) => {
                self.open()?;
                let (close, expected) = if open == b'[' {
                    (b']', "`]`")
                } else {
                    (b'}', "`}`")
                };
                let mut elements = Elements {
                    reader: self,
                    first: true,
                };
                while elements.has_next(close)? {
                    if open == b'{' {
                        elements.key()?;
                        elements.reader.skip()?;
                        elements.reader.expect(b':', "`:`")?;
                    }
                    elements.reader.skip()?;
                }
                self.close(close, expected)
            }
            _ => Err(self.unexpected("a value")),
        }
    }
}
