//! "Is this value written as JSON `null`?", asked of `Some(x)` before `x` is written: `Some(None)`,
//! `Some(())` and `Some` of a unit struct would arrive as `None`, so the writer refuses them.

use serde::ser::{self, Serialize, Serializer};
use std::fmt;

/// Whether `value` is written as `null`, looking only as deep as needed (`Some`/newtype
/// wrappers), never serializing the content of a container.
pub(super) fn is_null<T: Serialize + ?Sized>(value: &T) -> bool {
    value.serialize(NullProbe).unwrap_or(false)
}

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
