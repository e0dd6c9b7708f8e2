//! The serde `Deserializer` over a decoded [`Value`]: objects and maps as serde maps, lists,
//! sets and tuples as sequences, numbers as integers where they are whole, strings also as
//! unit enum variants. Every error is tagged with the path of the value it is about.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::{KNOWN_MARKER, ModelError};
use crate::plugin::diag::PathStep;
use crate::plugin::value::Value;

/// Deserializes one value (borrowed from the decoded request).
pub(crate) struct ValueDeserializer<'a> {
    value: &'a Value,
}

impl<'a> ValueDeserializer<'a> {
    pub(crate) fn new(value: &'a Value) -> Self {
        // A dynamic value is read as the value it wraps.
        let mut value = value;
        while let Value::Dynamic(_, inner) = value {
            value = inner;
        }
        Self { value }
    }
}

fn absent(value: &Value) -> ModelError {
    if value.is_unknown() {
        ModelError::new("is not known yet")
    } else {
        ModelError::new("has no value")
    }
}

impl<'de, 'a> de::Deserializer<'de> for ValueDeserializer<'a> {
    type Error = ModelError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        match self.value {
            Value::Null | Value::Unknown(_) => Err(absent(self.value)),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(i) = self.value.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    let text = n.to_string();
                    match text.parse::<f64>() {
                        Ok(f) => visitor.visit_f64(f),
                        Err(_) => Err(ModelError::new(format!("{text} is not a number"))),
                    }
                }
            }
            Value::String(s) => visitor.visit_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visitor.visit_seq(SeqAccess {
                    items: items.iter(),
                    index: 0,
                })
            }
            Value::Object(entries) => visitor.visit_map(MapAccess {
                entries: Entries::Object(entries.iter()),
                pending: None,
            }),
            Value::Map(entries) => visitor.visit_map(MapAccess {
                entries: Entries::Map(entries.iter()),
                pending: None,
            }),
            Value::Dynamic(_, inner) => ValueDeserializer::new(inner).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        match self.value {
            Value::Null | Value::Unknown(_) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ModelError> {
        if name != KNOWN_MARKER {
            return visitor.visit_newtype_struct(self);
        }
        match self.value {
            Value::Null => visitor.visit_none(),
            Value::Unknown(_) => visitor.visit_unit(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ModelError> {
        match self.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Null | Value::Unknown(_) => Err(absent(self.value)),
            other => Err(ModelError::new(format!(
                "expected a string, found {}",
                other.kind()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct SeqAccess<'a> {
    items: std::slice::Iter<'a, Value>,
    index: i64,
}

impl<'de, 'a> de::SeqAccess<'de> for SeqAccess<'a> {
    type Error = ModelError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ModelError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer::new(item))
            .map(Some)
            .map_err(|e| e.under(PathStep::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A map's entries or an object's attributes, in order. One type for both, so that each
/// model's `visit_map` is compiled once, not once per form; the form also names the steps of
/// error paths (`.name` for an attribute, `["key"]` for a map's element).
enum Entries<'a> {
    Map(std::collections::btree_map::Iter<'a, String, Value>),
    Object(crate::plugin::value::attributes::Iter<'a>),
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a String, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Entries::Map(entries) => entries.next(),
            Entries::Object(attributes) => attributes.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Entries::Map(entries) => entries.size_hint(),
            Entries::Object(attributes) => attributes.size_hint(),
        }
    }
}

impl ExactSizeIterator for Entries<'_> {}

struct MapAccess<'a> {
    entries: Entries<'a>,
    pending: Option<(&'a String, &'a Value)>,
}

impl<'de, 'a> de::MapAccess<'de> for MapAccess<'a> {
    type Error = ModelError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ModelError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        seed.deserialize(key.as_str().into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ModelError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(ModelError::new("a map value was read before its key"));
        };
        // The step is named only for an error: a model reads every attribute of its value
        // (skipping the ones it has no field for), and most reads succeed.
        let object = matches!(self.entries, Entries::Object(_));
        seed.deserialize(ValueDeserializer::new(value))
            .map_err(|e| e.under(super::entry_step(object, key)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
