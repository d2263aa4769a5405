//! How the reader hands out an array's elements, an object's entries and keys, and an enum's
//! variant.

use super::number::scan_number;
use super::{ended, Error, Number, Reader, Text};
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

/// The elements of an array or the entries of an object being read.
pub(super) struct Elements<'a, 'de> {
    pub(super) reader: &'a mut Reader<'de>,
    pub(super) first: bool,
}

impl Elements<'_, '_> {
    /// Whether another element follows (consuming the comma before it), or `close` is next.
    #[inline]
    pub(super) fn has_next(&mut self, close: u8) -> Result<bool, Error> {
        let reader = &mut *self.reader;
        match reader.next_token() {
            Some(found) if found == close => return Ok(false),
            None => return Err(ended("`,` or the end of the array/object")),
            Some(b',') if !self.first => {
                reader.at += 1;
                if reader.next_token() == Some(close) {
                    return Err(Error::at("a trailing comma", reader.at));
                }
            }
            Some(_) if !self.first => return Err(reader.unexpected("`,`")),
            Some(_) => self.first = false,
        }
        Ok(true)
    }

    /// Checks that an object key (a string) is next.
    #[inline]
    pub(super) fn key(&mut self) -> Result<(), Error> {
        if self.reader.next_token() == Some(b'"') {
            Ok(())
        } else {
            Err(self.reader.unexpected("an object key (a string)"))
        }
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.has_next(b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.has_next(b'}')? {
            return Ok(None);
        }
        self.key()?;
        seed.deserialize(MapKey(&mut *self.reader)).map(Some)
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.reader.expect(b':', "`:`")?;
        seed.deserialize(&mut *self.reader)
    }
}

/// An object key (the reader is at its opening quote): a string, or the number, bool or char
/// written inside it, as serde_json reads map keys.
pub(super) struct MapKey<'a, 'de>(pub(super) &'a mut Reader<'de>);

impl MapKey<'_, '_> {
    /// The key's number: its whole text, nothing around it.
    #[inline]
    fn number<'t>(text: &'t Text<'_>) -> Result<Number<'t>, Error> {
        let text = text.as_str();
        let number = scan_number(text, 0)?;
        if number.text.len() != text.len() {
            return Err(Error::new(crate::text::concat(&[
                "the object key \"",
                text,
                "\" is not a number",
            ])));
        }
        Ok(number)
    }
}

/// The deserialize methods of one integer type, from a quoted key.
macro_rules! key_integers {
    ($($method:ident),* $(,)?) => {
        $(#[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let key = self.0.string()?;
            MapKey::number(&key)?.visit_integer_only(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for MapKey<'_, 'de> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.visit_string(visitor)
    }

    key_integers!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
    );

    #[inline]
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let key = self.0.string()?;
        let value = MapKey::number(&key)?.int128(&visitor)?;
        visitor.visit_i128(value)
    }

    #[inline]
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let key = self.0.string()?;
        let value = MapKey::number(&key)?.int128(&visitor)?;
        visitor.visit_u128(value)
    }

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let key = self.0.string()?;
        visitor.visit_f32(MapKey::number(&key)?.float()?)
    }

    #[inline]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let key = self.0.string()?;
        visitor.visit_f64(MapKey::number(&key)?.float()?)
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.string()?.as_str() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(de::Error::invalid_type(
                Unexpected::Other("string"),
                &visitor,
            )),
        }
    }

    #[inline]
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_bytes(text.as_bytes()),
            Text::Owned(text) => visitor.visit_byte_buf(text.into_bytes()),
        }
    }

    #[inline]
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0.string()? {
            Text::Borrowed(text) => visitor.visit_enum(BorrowedStrDeserializer::new(text)),
            Text::Owned(text) => visitor.visit_enum(StringDeserializer::new(text)),
        }
    }

    forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// An enum written as `"Variant"`: only a unit variant.
pub(super) struct UnitVariant<'a, 'de>(pub(super) &'a mut Reader<'de>);

impl<'de> de::EnumAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let variant = seed.deserialize(&mut *self.0)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Error;

    #[inline]
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _: S) -> Result<S::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

/// An enum written as `{"Variant": content}` (the reader is past the `{`).
pub(super) struct Variant<'a, 'de>(pub(super) &'a mut Reader<'de>);

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        if self.0.next_token() != Some(b'"') {
            return Err(self.0.unexpected("the variant's name (a string)"));
        }
        let variant = seed.deserialize(&mut *self.0)?;
        self.0.expect(b':', "`:`")?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;

    #[inline]
    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self.0)
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self.0)
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.0, visitor)
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self.0, "", fields, visitor)
    }
}
