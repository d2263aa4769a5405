//! A serde `Serializer` adapter that refuses, while serializing, the values JSON text cannot carry
//! back to the same Rust value: non-finite floats (serde_json writes `null`), `Some(x)` where `x`
//! itself is written as `null` (`Some(None)`, `Some(())`: they would arrive as `None`), and
//! arrays/objects nested deeper than serde_json reads back ([`MAX_DEPTH`]).
//!
//! Everything else is forwarded unchanged to the wrapped serializer, in the same single pass.

use serde::ser::{self, Error as _, Serialize, Serializer};
use std::fmt;

/// The deepest nesting of JSON arrays and objects serde_json's deserializer accepts (its recursion
/// limit, measured: 127 nested arrays, structs or newtype variants; 63 tuple or struct variants,
/// each an object holding an array or object). A deeper value would encode and then fail to decode.
pub(super) const MAX_DEPTH: usize = 127;

/// Wraps a serializer; every nested value is wrapped again through [`Checked`]. `.1` is the number
/// of arrays and objects already open around the value.
pub(super) struct Check<S>(pub(super) S, pub(super) usize);

/// A value whose serialization goes through [`Check`], at a nesting depth.
pub(super) struct Checked<'a, T: ?Sized>(&'a T, usize);

impl<T: Serialize + ?Sized> Serialize for Checked<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Check(serializer, self.1))
    }
}

/// The depth inside `levels` more containers opened at `depth`, or the refusal.
fn open<E: ser::Error>(depth: usize, levels: usize) -> Result<usize, E> {
    let inside = depth + levels;
    if inside > MAX_DEPTH {
        return Err(E::custom(format_args!(
            "cannot encode arrays/objects nested more than {MAX_DEPTH} deep: the receiver's JSON \
             parser would refuse them"
        )));
    }
    Ok(inside)
}

thread_local! {
    /// Set while encoding for a native host: the value becomes a JS value before the browser
    /// writes it as JSON, so only what a JS number holds exactly may go (see [`js_numbers`]).
    static JS_NUMBERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `encode` refusing what a JS number cannot hold exactly: integers beyond ±(2^53 - 1) and
/// `-0.0` (the browser's JSON writes it as `0`).
pub(super) fn js_numbers<R>(encode: impl FnOnce() -> R) -> R {
    JS_NUMBERS.with(|flag| flag.set(true));
    let result = encode();
    JS_NUMBERS.with(|flag| flag.set(false));
    result
}

/// JavaScript's `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: i128 = (1 << 53) - 1;

/// The refusal of an integer a JS number would round, in [`js_numbers`] mode.
fn unsafe_integer<E: ser::Error>(value: i128) -> Result<(), E> {
    if JS_NUMBERS.with(std::cell::Cell::get) && value.abs() > MAX_SAFE_INTEGER {
        return Err(E::custom(format_args!(
            "cannot send the integer {value} to a native host exactly: the browser writes its \
             JSON from JS numbers, which round beyond 2^53"
        )));
    }
    Ok(())
}

/// The refusal of `-0.0` in [`js_numbers`] mode.
fn negative_zero<E: ser::Error>(value: f64) -> Result<(), E> {
    if JS_NUMBERS.with(std::cell::Cell::get) && value == 0.0 && value.is_sign_negative() {
        return Err(E::custom(
            "cannot send -0.0 to a native host exactly: the browser's JSON writes it as 0",
        ));
    }
    Ok(())
}

fn non_finite<E: ser::Error>(value: f64) -> E {
    E::custom(format_args!(
        "cannot encode the float {value}: JSON has no NaN or infinity (it would arrive as null)"
    ))
}

impl<S: Serializer> Serializer for Check<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Check<S::SerializeSeq>;
    type SerializeTuple = Check<S::SerializeTuple>;
    type SerializeTupleStruct = Check<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Check<S::SerializeTupleVariant>;
    type SerializeMap = Check<S::SerializeMap>;
    type SerializeStruct = Check<S::SerializeStruct>;
    type SerializeStructVariant = Check<S::SerializeStructVariant>;

    fn serialize_bool(self, v: bool) -> Result<S::Ok, S::Error> {
        self.0.serialize_bool(v)
    }
    fn serialize_i8(self, v: i8) -> Result<S::Ok, S::Error> {
        self.0.serialize_i8(v)
    }
    fn serialize_i16(self, v: i16) -> Result<S::Ok, S::Error> {
        self.0.serialize_i16(v)
    }
    fn serialize_i32(self, v: i32) -> Result<S::Ok, S::Error> {
        self.0.serialize_i32(v)
    }
    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        unsafe_integer(i128::from(v))?;
        self.0.serialize_i64(v)
    }
    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        unsafe_integer(v)?;
        self.0.serialize_i128(v)
    }
    fn serialize_u8(self, v: u8) -> Result<S::Ok, S::Error> {
        self.0.serialize_u8(v)
    }
    fn serialize_u16(self, v: u16) -> Result<S::Ok, S::Error> {
        self.0.serialize_u16(v)
    }
    fn serialize_u32(self, v: u32) -> Result<S::Ok, S::Error> {
        self.0.serialize_u32(v)
    }
    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        unsafe_integer(i128::from(v))?;
        self.0.serialize_u64(v)
    }
    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        unsafe_integer(i128::try_from(v).unwrap_or(i128::MAX))?;
        self.0.serialize_u128(v)
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        if !v.is_finite() {
            return Err(non_finite(f64::from(v)));
        }
        negative_zero(f64::from(v))?;
        self.0.serialize_f32(v)
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        if !v.is_finite() {
            return Err(non_finite(v));
        }
        negative_zero(v)?;
        self.0.serialize_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.0.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        open::<S::Error>(self.1, 1)?; // serde_json writes bytes as an array
        self.0.serialize_bytes(v)
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        if value.serialize(NullProbe).unwrap_or(false) {
            return Err(S::Error::custom(
                "cannot encode Some(x) where x is itself written as null (Some(None), Some(()), \
                 Some of a unit struct): it would arrive as None",
            ));
        }
        self.0.serialize_some(&Checked(value, self.1))
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_struct(name, &Checked(value, self.1))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // `{"variant": value}`
        let inside = open(self.1, 1)?;
        self.0
            .serialize_newtype_variant(name, index, variant, &Checked(value, inside))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let inside = open(self.1, 1)?;
        Ok(Check(self.0.serialize_seq(len)?, inside))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let inside = open(self.1, 1)?;
        Ok(Check(self.0.serialize_tuple(len)?, inside))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let inside = open(self.1, 1)?;
        Ok(Check(self.0.serialize_tuple_struct(name, len)?, inside))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        // `{"variant": [...]}`
        let inside = open(self.1, 2)?;
        Ok(Check(
            self.0.serialize_tuple_variant(name, index, variant, len)?,
            inside,
        ))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let inside = open(self.1, 1)?;
        Ok(Check(self.0.serialize_map(len)?, inside))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let inside = open(self.1, 1)?;
        Ok(Check(self.0.serialize_struct(name, len)?, inside))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        // `{"variant": {...}}`
        let inside = open(self.1, 2)?;
        Ok(Check(
            self.0.serialize_struct_variant(name, index, variant, len)?,
            inside,
        ))
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Forwards one compound trait whose elements are single values.
macro_rules! forward_compound {
    ($trait:ident, $method:ident) => {
        impl<S: ser::$trait> ser::$trait for Check<S> {
            type Ok = S::Ok;
            type Error = S::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
                self.0.$method(&Checked(value, self.1))
            }
            fn end(self) -> Result<S::Ok, S::Error> {
                self.0.end()
            }
        }
    };
}

forward_compound!(SerializeSeq, serialize_element);
forward_compound!(SerializeTuple, serialize_element);
forward_compound!(SerializeTupleStruct, serialize_field);
forward_compound!(SerializeTupleVariant, serialize_field);

/// Forwards one compound trait whose elements are named fields.
macro_rules! forward_fields {
    ($trait:ident) => {
        impl<S: ser::$trait> ser::$trait for Check<S> {
            type Ok = S::Ok;
            type Error = S::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), S::Error> {
                self.0.serialize_field(key, &Checked(value, self.1))
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
                self.0.skip_field(key)
            }
            fn end(self) -> Result<S::Ok, S::Error> {
                self.0.end()
            }
        }
    };
}

forward_fields!(SerializeStruct);
forward_fields!(SerializeStructVariant);

impl<S: ser::SerializeMap> ser::SerializeMap for Check<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Checked(key, self.1))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Checked(value, self.1))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

/// Answers "is this value written as JSON `null`?" looking only as deep as needed
/// (`Some`/newtype wrappers), never serializing the content of a container.
struct NullProbe;

/// Stops the probe at the first container: it is not null.
#[derive(Debug)]
struct NotNull;

impl fmt::Display for NotNull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not null")
    }
}

impl std::error::Error for NotNull {}

impl ser::Error for NotNull {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotNull
    }
}

type Stop = ser::Impossible<bool, NotNull>;

macro_rules! not_null {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<bool, NotNull> { Ok(false) })*
    };
}

impl Serializer for NullProbe {
    type Ok = bool;
    type Error = NotNull;
    type SerializeSeq = Stop;
    type SerializeTuple = Stop;
    type SerializeTupleStruct = Stop;
    type SerializeTupleVariant = Stop;
    type SerializeMap = Stop;
    type SerializeStruct = Stop;
    type SerializeStructVariant = Stop;

    not_null!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
    );

    fn serialize_none(self) -> Result<bool, NotNull> {
        Ok(true)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<bool, NotNull> {
        value.serialize(NullProbe)
    }
    fn serialize_unit(self) -> Result<bool, NotNull> {
        Ok(true)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<bool, NotNull> {
        Ok(true)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<bool, NotNull> {
        Ok(false)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool, NotNull> {
        value.serialize(NullProbe)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, NotNull> {
        Ok(false)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
    fn serialize_tuple(self, _: usize) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Stop, NotNull> {
        Err(NotNull)
    }
}
