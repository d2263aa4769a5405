//! Map keys: JSON object keys are strings, so a key that is a number, bool or char is written as
//! its text in quotes (as serde_json writes it), and any other key is refused.

use super::{Error, Writer};
use serde::ser::{self, Serialize};

/// A map key: JSON object keys are strings, so scalars are written quoted (as serde_json does)
/// and anything else is refused.
pub(super) struct KeyWriter<'a>(pub(super) &'a mut Writer);

fn key_must_be_a_string() -> Error {
    Error::new("a JSON object key must be a string (or a number, bool or char written as one)")
}

impl KeyWriter<'_> {
    /// A scalar key: written by `write` between quotes.
    fn quoted(self, write: impl FnOnce(&mut Writer) -> Result<(), Error>) -> Result<(), Error> {
        self.0.out.push(b'"');
        write(&mut *self.0)?;
        self.0.out.push(b'"');
        Ok(())
    }
}

macro_rules! quoted_keys {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, value: $ty) -> Result<(), Error> {
            self.quoted(|writer| ser::Serializer::$method(writer, value))
        })*
    };
}

type NoKey = ser::Impossible<(), Error>;

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = NoKey;
    type SerializeTuple = NoKey;
    type SerializeTupleStruct = NoKey;
    type SerializeTupleVariant = NoKey;
    type SerializeMap = NoKey;
    type SerializeStruct = NoKey;
    type SerializeStructVariant = NoKey;

    quoted_keys!(
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
    );
    fn serialize_char(self, value: char) -> Result<(), Error> {
        ser::Serializer::serialize_char(self.0, value)
    }
    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.0.string(value);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.0.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NoKey, Error> {
        Err(key_must_be_a_string())
    }
}
