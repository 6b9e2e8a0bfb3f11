//! The serde deserializer over escaped text: each method reads only the
//! JSON types serde_json's same method accepts.

use serde::de::{self, Deserializer, IntoDeserializer, Visitor};

use super::GaveUp;
use super::access::{Elements, Members, Variant};
use super::reader::{Kind, Reader, Text, number};

/// The number methods of the deserializer: each reads a number (serde_json
/// reads every number type the same way, then the visitor converts).
macro_rules! numbers {
    ($plain_too:literal: $($method:ident)*) => {
        $(fn $method<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
            if self.peek_kind()? != Kind::Number {
                return Err(GaveUp);
            }
            number(self.number_text(), visitor, $plain_too, |json, visitor| json.$method(visitor))
        })*
    };
}

impl<'r> Reader<'r> {
    /// Reads the value that comes next, of one of the `allowed` kinds.
    fn value<V: Visitor<'r>>(&mut self, allowed: &[Kind], visitor: V) -> Result<V::Value, GaveUp> {
        let kind = self.peek_kind()?;
        if !allowed.contains(&kind) {
            return Err(GaveUp);
        }
        match kind {
            Kind::Null => self.literal("null").and_then(|()| visitor.visit_unit()),
            Kind::Bool if self.literal("true").is_ok() => visitor.visit_bool(true),
            Kind::Bool => self.literal("false").and_then(|()| visitor.visit_bool(false)),
            Kind::Number => number(self.number_text(), visitor, true, |json, visitor| {
                de::Deserializer::deserialize_any(json, visitor)
            }),
            Kind::String => match self.string()? {
                Text::Borrowed(text) => visitor.visit_borrowed_str(text),
                Text::Decoded => visitor.visit_str(self.decoded()),
            },
            Kind::Array => self.nested(b']', |reader| visitor.visit_seq(Elements { reader, first: true })),
            Kind::Object => self.nested(b'}', |reader| visitor.visit_map(Members { reader, first: true })),
        }
    }
}

impl<'r> Deserializer<'r> for &mut Reader<'r> {
    type Error = GaveUp;

    fn deserialize_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        use Kind::*;
        self.value(&[Null, Bool, Number, String, Array, Object], visitor)
    }

    fn deserialize_bool<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Bool], visitor)
    }

    fn deserialize_str<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::String], visitor)
    }

    fn deserialize_string<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::String], visitor)
    }

    fn deserialize_char<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::String], visitor)
    }

    fn deserialize_identifier<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::String], visitor)
    }

    fn deserialize_unit<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Null], visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'r>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Null], visitor)
    }

    fn deserialize_seq<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Array], visitor)
    }

    fn deserialize_tuple<V: Visitor<'r>>(self, _len: usize, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Array], visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'r>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Array], visitor)
    }

    fn deserialize_map<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Object], visitor)
    }

    fn deserialize_struct<V: Visitor<'r>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        self.value(&[Kind::Object, Kind::Array], visitor)
    }

    fn deserialize_option<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        if self.peek_kind()? == Kind::Null {
            self.literal("null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'r>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        // serde_json's raw values are serde_json's own.
        if name.starts_with("$serde_json") {
            return Err(GaveUp);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'r>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        match self.peek_kind()? {
            Kind::String => match self.string()? {
                Text::Borrowed(text) => visitor.visit_enum(de::value::BorrowedStrDeserializer::new(text)),
                Text::Decoded => visitor.visit_enum(self.decoded().into_deserializer()),
            },
            Kind::Object => self.nested(b'}', |reader| visitor.visit_enum(Variant { reader })),
            _ => Err(GaveUp),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_any(de::IgnoredAny)?;
        visitor.visit_unit()
    }

    fn deserialize_bytes<V: Visitor<'r>>(self, _visitor: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }

    fn deserialize_byte_buf<V: Visitor<'r>>(self, _visitor: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }

    numbers! { true:
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64
    }

    numbers! { false: deserialize_i128 deserialize_u128 }
}
