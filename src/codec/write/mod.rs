//! The wire text writer: a serde `Serializer` that writes a value as compact, ASCII-only JSON
//! text, refusing in the same single pass what JSON text cannot carry back to the same Rust value.
//!
//! Why our own and not serde_json's: the wire format is one narrow dialect (compact, ASCII, checked)
//! and serde_json's general writer, with the checking adapter and the ASCII rewrite it needed
//! around it, was the largest part of every typed content script's download (docs/performance.md,
//! "Size"). The output is the same text serde_json writes, byte for byte, with every non-ASCII
//! character escaped (a host test compares the two on generated values): integers by `itoa`,
//! floats by `zmij` (shortest round-trip digits), as serde_json does.
//!
//! Refused ([`Error`], then `NotSerializable`):
//! - non-finite floats (JSON has no NaN or infinity; serde_json would write `null`);
//! - `Some(x)` where `x` is itself written as `null` (`Some(None)`, `Some(())`): it would arrive as
//!   `None`;
//! - arrays/objects nested deeper than the reader accepts ([`MAX_DEPTH`]);
//! - map keys that are not strings, integers, floats, bools, chars or unit variants;
//! - for a native host ([`Writer::js_numbers`]), integers a JS number would round and `-0.0`.

mod key;
mod string;

use super::probe::is_null;
use super::{Error, MAX_DEPTH};
use key::KeyWriter;
use serde::ser::{self, Serialize};

/// JavaScript's `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: u128 = (1 << 53) - 1;

/// Writes one value's wire text into `out`.
pub(super) struct Writer {
    pub(super) out: Vec<u8>,
    /// Arrays and objects open around the value being written.
    depth: usize,
    /// Only what a JS number holds exactly (the native-host path: the browser makes the host's
    /// JSON from JS values).
    js_numbers: bool,
}

impl Writer {
    pub(super) fn new(js_numbers: bool) -> Self {
        Writer {
            out: Vec::with_capacity(64),
            depth: 0,
            js_numbers,
        }
    }

    /// Opens `levels` more containers, or refuses: the reader would not read them back.
    fn open(&mut self, levels: usize) -> Result<(), Error> {
        let inside = self.depth + levels;
        if inside > MAX_DEPTH {
            return Err(Error::new(
                "cannot encode arrays/objects nested more than 127 deep: the receiver's JSON \
                 parser would refuse them",
            ));
        }
        self.depth = inside;
        Ok(())
    }

    /// An integer's `text` (from `itoa`), whose absolute value is `magnitude`.
    #[inline]
    fn integer(&mut self, magnitude: u128, text: &str) -> Result<(), Error> {
        if self.js_numbers && magnitude > MAX_SAFE_INTEGER {
            return Err(not_a_js_number(text));
        }
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn float<F: zmij::Float + Into<f64> + Copy>(&mut self, value: F) -> Result<(), Error> {
        let wide: f64 = value.into();
        if !wide.is_finite() {
            // Named, not formatted: float formatting would add kilobytes to every wasm.
            let name = if wide.is_nan() {
                "NaN"
            } else if wide > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            return Err(Error::new(crate::text::concat(&[
                "cannot encode the float ",
                name,
                ": JSON has no NaN or infinity (it would arrive as null)",
            ])));
        }
        if self.js_numbers && wide == 0.0 && wide.is_sign_negative() {
            return Err(Error::new(
                "cannot send -0.0 to a native host exactly: the browser's JSON writes it as 0",
            ));
        }
        self.out
            .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
        Ok(())
    }

    /// `{"variant":` around a variant's content, one more level open.
    fn variant_key(&mut self, variant: &str, levels: usize) -> Result<(), Error> {
        self.open(levels)?;
        self.out.push(b'{');
        self.string(variant);
        self.out.push(b':');
        Ok(())
    }
}

/// Out of line: the error path stays out of every integer's hot path.
#[cold]
fn not_a_js_number(text: &str) -> Error {
    Error::new(crate::text::concat(&[
        "cannot send the integer ",
        text,
        " to a native host exactly: the browser writes its JSON from JS numbers, which round \
         beyond 2^53",
    ]))
}

macro_rules! integers {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(#[inline]
        fn $method(self, value: $ty) -> Result<(), Error> {
            self.integer(value.unsigned_abs().into(), itoa::Buffer::new().format(value))
        })*
    };
}

// `#[inline]` on the serializer's small methods, as serde_json has: they are called from the
// `Serialize` code of the user's crate, and without the hint they stayed calls there (a CPU
// profile in Chromium showed `serialize_i32`, `serialize_bool`, `end` … as functions of their
// own). Measured: the object-heavy typed post went from 1.26× serde_json's time to 1.00× in
// Chromium (`cpu_post_objects_100KiB`), for 36 B of the minimal content script.
impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    #[inline]
    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.out.extend_from_slice(text);
        Ok(())
    }
    integers!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
    );
    #[inline]
    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }
    #[inline]
    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }
    #[inline]
    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }
    #[inline]
    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        self.integer(value.into(), itoa::Buffer::new().format(value))
    }
    #[inline]
    fn serialize_u128(self, value: u128) -> Result<(), Error> {
        self.integer(value, itoa::Buffer::new().format(value))
    }
    #[inline]
    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        self.float(value)
    }
    #[inline]
    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        self.float(value)
    }
    #[inline]
    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.string(value.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    #[inline]
    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.string(value);
        Ok(())
    }
    #[inline]
    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        // An array of numbers, as serde_json writes bytes.
        let mut seq = ser::Serializer::serialize_seq(self, Some(value.len()))?;
        for byte in value {
            ser::SerializeSeq::serialize_element(&mut seq, byte)?;
        }
        ser::SerializeSeq::end(seq)
    }
    #[inline]
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        if is_null(value) {
            return Err(Error::new(
                "cannot encode Some(x) where x is itself written as null (Some(None), Some(()), \
                 Some of a unit struct): it would arrive as None",
            ));
        }
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    #[inline]
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant_key(variant, 1)?;
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        self.depth -= 1;
        Ok(())
    }
    #[inline]
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open(1)?;
        self.out.push(b'[');
        Ok(Compound::new(self, b"]"))
    }
    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    #[inline]
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    #[inline]
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant_key(variant, 2)?;
        self.out.push(b'[');
        Ok(Compound::new(self, b"]}"))
    }
    #[inline]
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open(1)?;
        self.out.push(b'{');
        Ok(Compound::new(self, b"}"))
    }
    #[inline]
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant_key(variant, 2)?;
        self.out.push(b'{');
        Ok(Compound::new(self, b"}}"))
    }
}

/// An open array or object (or a variant's `{"name":[` / `{"name":{`): commas between elements,
/// `close` at the end.
pub(super) struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
    close: &'static [u8],
}

impl<'a> Compound<'a> {
    #[inline]
    fn new(writer: &'a mut Writer, close: &'static [u8]) -> Self {
        Compound {
            writer,
            first: true,
            close,
        }
    }

    #[inline]
    fn comma(&mut self) {
        if !self.first {
            self.writer.out.push(b',');
        }
        self.first = false;
    }

    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.writer)
    }

    #[inline]
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.comma();
        self.writer.string(key);
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }

    #[inline]
    fn close(self) -> Result<(), Error> {
        self.writer.out.extend_from_slice(self.close);
        self.writer.depth -= self.close.len();
        Ok(())
    }
}

/// Implements one compound trait whose elements are single values.
macro_rules! elements {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            #[inline]
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            #[inline]
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    };
}

elements!(SerializeSeq, serialize_element);
elements!(SerializeTuple, serialize_element);
elements!(SerializeTupleStruct, serialize_field);
elements!(SerializeTupleVariant, serialize_field);

/// Implements one compound trait whose elements are named fields.
macro_rules! fields {
    ($trait:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            #[inline]
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            #[inline]
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    };
}

fields!(SerializeStruct);
fields!(SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(KeyWriter(&mut *self.writer))?;
        self.writer.out.push(b':');
        Ok(())
    }
    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}
