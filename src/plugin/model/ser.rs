//! The serde `Serializer` that writes a model as a [`Value`]: structs as objects, string-keyed
//! maps as maps, sequences as lists, unit enum variants as strings, `None` as null and
//! [`super::Known::Unknown`] as an unknown value.

use bigdecimal::BigDecimal;
use serde::ser::{self, Serialize};

use super::{ModelError, UNKNOWN_MARKER};
use crate::plugin::diag::PathStep;
use crate::plugin::value::Value;

/// The error for an enum variant with data: only unit variants (strings) have a cty form.
fn carries_data(name: &str, variant: &str) -> ModelError {
    ModelError::new(format!(
        "{name}::{variant} carries data; only unit variants have a cty form"
    ))
}

/// Serializes into a [`Value`].
pub(crate) struct ValueSerializer;

fn number(n: impl Into<BigDecimal>) -> Value {
    Value::Number(n.into())
}

/// Every integer type becomes a number.
macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<Value, ModelError> {
            Ok(number(v))
        }
    )*};
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ModelError;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = ser::Impossible<Value, ModelError>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = MapSerializer;
    type SerializeStructVariant = ser::Impossible<Value, ModelError>;

    fn serialize_bool(self, v: bool) -> Result<Value, ModelError> {
        Ok(Value::Bool(v))
    }
    integers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64
    );
    fn serialize_f32(self, v: f32) -> Result<Value, ModelError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ModelError> {
        BigDecimal::try_from(v)
            .map(Value::Number)
            .map_err(|_| ModelError::new(format!("{v} is not a finite number")))
    }
    fn serialize_char(self, v: char) -> Result<Value, ModelError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ModelError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Value, ModelError> {
        Err(ModelError::new("bytes have no cty form; use a string"))
    }
    fn serialize_none(self) -> Result<Value, ModelError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ModelError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ModelError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, ModelError> {
        Ok(if name == UNKNOWN_MARKER {
            Value::unknown()
        } else {
            Value::Null
        })
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ModelError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ModelError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<Value, ModelError> {
        Err(carries_data(name, variant))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer, ModelError> {
        Ok(SeqSerializer(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer, ModelError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSerializer, ModelError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ModelError> {
        Err(carries_data(name, variant))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSerializer, ModelError> {
        Ok(MapSerializer {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
            object: false,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<MapSerializer, ModelError> {
        Ok(MapSerializer {
            entries: Vec::with_capacity(len),
            key: None,
            object: true,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ModelError> {
        Err(carries_data(name, variant))
    }
}

/// Collects the elements of a sequence into a list.
pub(crate) struct SeqSerializer(Vec<Value>);

impl SeqSerializer {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ModelError> {
        let index = i64::try_from(self.0.len()).unwrap_or(i64::MAX);
        let value = value
            .serialize(ValueSerializer)
            .map_err(|e| e.under(PathStep::Index(index)))?;
        self.0.push(value);
        Ok(())
    }
}

/// The three sequence kinds serde distinguishes all become lists.
macro_rules! sequence {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqSerializer {
            type Ok = Value;
            type Error = ModelError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ModelError> {
                self.push(value)
            }
            fn end(self) -> Result<Value, ModelError> {
                Ok(Value::List(self.0))
            }
        }
    )*};
}

sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// Collects the entries of a map (string keys) or the fields of a struct.
pub(crate) struct MapSerializer {
    /// In the order written; a later entry of a key replaces an earlier one.
    entries: Vec<(String, Value)>,
    key: Option<String>,
    /// A struct (an object) rather than a map.
    object: bool,
}

impl MapSerializer {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), ModelError> {
        let object = self.object;
        // The step is named only for an error.
        let value = value
            .serialize(ValueSerializer)
            .map_err(|e| e.under(super::entry_step(object, &key)))?;
        self.entries.push((key, value));
        Ok(())
    }
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ModelError> {
        match key.serialize(ValueSerializer)? {
            Value::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            other => Err(ModelError::new(format!(
                "map keys must be strings, found {}",
                other.kind()
            ))),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ModelError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ModelError::new("a map value was written before its key"))?;
        self.insert(key, value)
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::Map(self.entries.into_iter().collect()))
    }
}

impl ser::SerializeStruct for MapSerializer {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ModelError> {
        self.insert(key.to_owned(), value)
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::Object(self.entries.into_iter().collect()))
    }
}
