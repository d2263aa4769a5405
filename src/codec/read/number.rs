//! JSON numbers: the grammar, and how a number becomes a visitor's value (as serde_json reads it).

use super::Error;
use serde::de::{self, Expected, Unexpected, Visitor};

/// A number's text, checked against JSON's grammar.
pub(super) struct Number<'t> {
    pub(super) text: &'t str,
    pub(super) negative: bool,
    /// No fraction and no exponent.
    pub(super) integer: bool,
}

/// The number that starts at byte `start` of `text`.
pub(super) fn scan_number(text: &str, start: usize) -> Result<Number<'_>, Error> {
    let bytes = text.as_bytes();
    let mut at = start;
    let invalid = |at: usize| Error::at("an invalid number", at);
    let digits = |at: &mut usize| {
        let from = *at;
        while let Some(b'0'..=b'9') = bytes.get(*at) {
            *at += 1;
        }
        *at > from
    };
    let negative = bytes.get(at) == Some(&b'-');
    if negative {
        at += 1;
    }
    match bytes.get(at) {
        // One leading zero, and no digit after it.
        Some(b'0') => {
            at += 1;
            if let Some(b'0'..=b'9') = bytes.get(at) {
                return Err(invalid(at));
            }
        }
        Some(b'1'..=b'9') => {
            digits(&mut at);
        }
        _ => return Err(invalid(at)),
    }
    let mut integer = true;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        integer = false;
        if !digits(&mut at) {
            return Err(invalid(at));
        }
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        integer = false;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        if !digits(&mut at) {
            return Err(invalid(at));
        }
    }
    let text = text.get(start..at).ok_or_else(|| invalid(start))?;
    Ok(Number {
        text,
        negative,
        integer,
    })
}

impl Number<'_> {
    /// The magnitude of an integer that fits 64 bits.
    pub(super) fn magnitude(&self) -> Option<u64> {
        if !self.integer {
            return None;
        }
        let digits = self.text.as_bytes();
        let digits = digits.get(usize::from(self.negative)..).unwrap_or_default();
        let value = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'))
        };
        // Up to 19 digits cannot overflow; only a 20-digit number needs the checked last step
        // (a checked 64-bit multiply is a 128-bit multiply in wasm: 3.5% of reading the
        // object-heavy bench message, by profile).
        match digits.split_last() {
            Some((&last, head)) if digits.len() == 20 => value(head)
                .checked_mul(10)?
                .checked_add(u64::from(last - b'0')),
            _ if digits.len() < 20 => Some(value(digits)),
            _ => None,
        }
    }

    /// As serde_json reads an integer: `u64`, or `i64` when negative; `None` for what it reads as
    /// a float (a fraction or exponent, beyond 64 bits, `-0`).
    pub(super) fn visit_integer<'de, V: Visitor<'de>>(
        &self,
        visitor: V,
    ) -> Result<Result<V::Value, Error>, V> {
        match self.magnitude() {
            Some(value) if !self.negative => Ok(visitor.visit_u64(value)),
            Some(value @ 1..=0x8000_0000_0000_0000) => {
                Ok(visitor.visit_i64(0i64.wrapping_sub_unsigned(value)))
            }
            _ => Err(visitor),
        }
    }

    /// For an integer type: an integer, or the type error (never parses a float).
    pub(super) fn visit_integer_only<'de, V: Visitor<'de>>(
        &self,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.visit_integer(visitor).unwrap_or_else(|visitor| {
            Err(de::Error::invalid_type(
                Unexpected::Other("a number that is not a 64-bit integer"),
                &visitor,
            ))
        })
    }

    /// For `deserialize_any`: an integer, else a float.
    pub(super) fn visit_any<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value, Error> {
        self.visit_integer(visitor)
            .unwrap_or_else(|visitor| visitor.visit_f64(self.float()?))
    }

    pub(super) fn float<F: std::str::FromStr + Finite>(&self) -> Result<F, Error> {
        match self.text.parse::<F>() {
            Ok(value) if value.finite() => Ok(value),
            _ => Err(Error::new(crate::text::concat(&[
                "the number ",
                self.text,
                " is out of the float's range",
            ]))),
        }
    }

    pub(super) fn int128<I: std::str::FromStr>(&self, expected: &dyn Expected) -> Result<I, Error> {
        if !self.integer {
            return Err(de::Error::invalid_type(
                Unexpected::Other("a number with a fraction or exponent"),
                expected,
            ));
        }
        self.text.parse().map_err(|_| {
            Error::new(crate::text::concat(&[
                "the integer ",
                self.text,
                " is out of the type's range",
            ]))
        })
    }
}

pub(super) trait Finite {
    fn finite(&self) -> bool;
}

impl Finite for f32 {
    fn finite(&self) -> bool {
        self.is_finite()
    }
}

impl Finite for f64 {
    fn finite(&self) -> bool {
        self.is_finite()
    }
}
