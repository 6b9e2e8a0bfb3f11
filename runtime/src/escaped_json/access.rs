//! The elements of arrays, the members of objects and the variants of
//! enums, read from escaped text.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::GaveUp;
use super::reader::{Reader, Text};

/// The elements of an array, after its `[`.
pub(super) struct Elements<'a, 'r> {
    pub(super) reader: &'a mut Reader<'r>,
    pub(super) first: bool,
}

impl<'r> SeqAccess<'r> for Elements<'_, 'r> {
    type Error = GaveUp;

    fn next_element_seed<T: DeserializeSeed<'r>>(&mut self, seed: T) -> Result<Option<T::Value>, GaveUp> {
        match self.reader.next_item(&mut self.first, b']')? {
            Some(()) => seed.deserialize(&mut *self.reader).map(Some),
            None => Ok(None),
        }
    }
}

/// The members of an object, after its `{`.
pub(super) struct Members<'a, 'r> {
    pub(super) reader: &'a mut Reader<'r>,
    pub(super) first: bool,
}

impl<'r> MapAccess<'r> for Members<'_, 'r> {
    type Error = GaveUp;

    fn next_key_seed<K: DeserializeSeed<'r>>(&mut self, seed: K) -> Result<Option<K::Value>, GaveUp> {
        match self.reader.next_item(&mut self.first, b'}')? {
            Some(()) => seed.deserialize(Key { reader: &mut *self.reader }).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'r>>(&mut self, seed: V) -> Result<V::Value, GaveUp> {
        self.reader.expect(b':')?;
        seed.deserialize(&mut *self.reader)
    }
}

/// An object's key: always a string. A type that reads keys as anything
/// else (numbers, booleans: serde_json parses those from the key's text) is
/// left to serde_json.
struct Key<'a, 'r> {
    reader: &'a mut Reader<'r>,
}

impl<'r> Key<'_, 'r> {
    fn string<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match self.reader.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Decoded => visitor.visit_str(self.reader.decoded()),
        }
    }
}

impl<'r> Deserializer<'r> for Key<'_, 'r> {
    type Error = GaveUp;

    fn deserialize_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.string(visitor)
    }

    fn deserialize_str<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.string(visitor)
    }

    fn deserialize_string<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.reader.string()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'r>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf option unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum
    }
}

/// An enum written as an object of one member, `{"Variant": content}`,
/// after its `{`.
pub(super) struct Variant<'a, 'r> {
    pub(super) reader: &'a mut Reader<'r>,
}

impl<'a, 'r> EnumAccess<'r> for Variant<'a, 'r> {
    type Error = GaveUp;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'r>>(self, seed: V) -> Result<(V::Value, Self), GaveUp> {
        let mut first = true;
        self.reader.next_item(&mut first, b'}')?.ok_or(GaveUp)?;
        let variant = seed.deserialize(Key { reader: &mut *self.reader })?;
        self.reader.expect(b':')?;
        Ok((variant, self))
    }
}

impl<'r> VariantAccess<'r> for Variant<'_, 'r> {
    type Error = GaveUp;

    fn unit_variant(self) -> Result<(), GaveUp> {
        de::Deserialize::deserialize(&mut *self.reader)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'r>>(self, seed: T) -> Result<T::Value, GaveUp> {
        seed.deserialize(&mut *self.reader)
    }

    fn tuple_variant<V: Visitor<'r>>(self, _len: usize, visitor: V) -> Result<V::Value, GaveUp> {
        self.reader.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'r>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        self.reader.deserialize_struct("", &[], visitor)
    }
}
