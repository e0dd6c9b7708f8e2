//! Typed models: a resource's configuration, plan and state as Rust structs instead of
//! attribute lookups by name, in the spirit of terraform-plugin-framework's `tfsdk` structs.
//!
//! A model is a plain `#[derive(Deserialize, Serialize)]` struct whose field names are the
//! schema's attribute names (serde `rename` where Rust needs another name). [`from_value`]
//! reads one from a decoded [`Value`]; [`to_value`] writes one back, and [`conform`] fits the
//! result to the schema type (lists that the schema declares as sets, attributes the model
//! leaves out).
//!
//! How cty's null and unknown values meet Rust types:
//!
//! | field type | null | unknown | known |
//! |---|---|---|---|
//! | `T` | error at the attribute's path | error at the attribute's path | `T` |
//! | `Option<T>` | `None` | `None` | `Some(T)` |
//! | [`Known<T>`] | [`Known::Null`] | [`Known::Unknown`] | [`Known::Value`] |
//!
//! So a required attribute is a plain `T` in the model of a plan that apply receives, an
//! optional one an `Option<T>`, and [`Known<T>`] is for the places that must tell "not set"
//! from "not known yet" (computed attributes in a plan, configuration at validate time).
//! Errors carry the [`AttributePath`] of the offending value, nested blocks included.

mod de;
mod ser;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::diag::{AttributePath, Diagnostic, Diagnostics, PathStep};
use super::value::{Attributes, Type, Value};

/// The newtype-struct name through which [`Known`] asks the value deserializer for the
/// difference between null and unknown (other deserializers never see it).
pub(crate) const KNOWN_MARKER: &str = "$todo::plugin::model::Known";

/// The unit-struct name through which [`Known::Unknown`] serializes as an unknown value.
pub(crate) const UNKNOWN_MARKER: &str = "$todo::plugin::model::Unknown";

/// A value that may be null or not yet known, for model fields where the difference matters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Known<T> {
    /// The value is null (unset).
    #[default]
    Null,
    /// The value is not known until apply.
    Unknown,
    /// A known, non-null value.
    Value(T),
}

impl<T> Known<T> {
    /// The value, if known and not null.
    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Known::Value(value) => Some(value),
            _ => None,
        }
    }

    /// The value, if known and not null.
    pub fn into_option(self) -> Option<T> {
        match self {
            Known::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Whether the value is not known yet.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Known::Unknown)
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Known::Null)
    }
}

impl<T> From<Option<T>> for Known<T> {
    /// `Some` is known, `None` is null.
    fn from(value: Option<T>) -> Self {
        value.map_or(Known::Null, Known::Value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Known<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KnownVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for KnownVisitor<T> {
            type Value = Known<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value that may be null or unknown")
            }

            fn visit_none<E: serde::de::Error>(self) -> Result<Known<T>, E> {
                Ok(Known::Null)
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Known<T>, E> {
                Ok(Known::Unknown)
            }

            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Known<T>, D::Error> {
                T::deserialize(d).map(Known::Value)
            }
        }

        deserializer.deserialize_newtype_struct(KNOWN_MARKER, KnownVisitor(Default::default()))
    }
}

impl<T: Serialize> Serialize for Known<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Known::Null => serializer.serialize_none(),
            Known::Unknown => serializer.serialize_unit_struct(UNKNOWN_MARKER),
            Known::Value(value) => value.serialize(serializer),
        }
    }
}

/// Why a value could not be read into a model, or a model written as a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ModelError {
    /// Where in the value (empty for the value itself).
    pub path: AttributePath,
    /// What is wrong.
    pub message: String,
}

impl ModelError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            path: AttributePath::default(),
            message: message.into(),
        }
    }

    /// The same error one step further down: `step` is prepended to the path.
    pub(crate) fn under(mut self, step: PathStep) -> Self {
        self.path = self.path.prefixed(step);
        self
    }

    /// An error diagnostic on the attribute path, with `summary`.
    pub fn diagnostic(&self, summary: &str) -> Diagnostic {
        let diagnostic = Diagnostic::error(summary, self.to_string());
        if self.path.steps().is_empty() {
            diagnostic
        } else {
            diagnostic.at(self.path.clone())
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.steps().is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl serde::de::Error for ModelError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new("has no value").under(PathStep::Attribute(field.to_owned()))
    }
}

impl serde::ser::Error for ModelError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }
}

impl From<ModelError> for Diagnostics {
    /// An error diagnostic for a value that does not fit its model: a provider bug, or a
    /// required value missing where the provider needs it.
    fn from(error: ModelError) -> Self {
        error.diagnostic("Unexpected value").into()
    }
}

/// Reads a model from a value.
pub fn from_value<M: DeserializeOwned>(value: &Value) -> Result<M, ModelError> {
    M::deserialize(de::ValueDeserializer::new(value))
}

/// Writes a model as a value. Sequences become lists and structs objects: [`conform`] the
/// result to the schema type before it is compared with values Terraform sent.
pub fn to_value<M: Serialize + ?Sized>(model: &M) -> Result<Value, ModelError> {
    model.serialize(ser::ValueSerializer)
}

/// For string fields that are never empty when set (validators refuse `""`): null reads as
/// `""` and `""` writes as null, so states written before a field was required stay
/// readable. Use with `#[serde(with = "crate::plugin::model::empty_as_null")]`.
pub mod empty_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `""` as null.
    pub fn serialize<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_empty() {
            serializer.serialize_none()
        } else {
            serializer.serialize_str(value)
        }
    }

    /// Reads null (or unknown) as `""`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
    }
}

/// Reads null (or unknown) as the type's default, for collections a state may hold as null.
/// Use with `#[serde(deserialize_with = "crate::plugin::model::null_as_default")]`.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Overwrites the attributes of the object `value` that `patch` (a model of some or all of
/// them) holds; the other attributes keep their values.
pub fn patch<M: Serialize + ?Sized>(value: &mut Value, patch: &M) -> Result<(), ModelError> {
    if let (Value::Object(attributes), Value::Object(changes)) = (value, to_value(patch)?) {
        attributes.extend(changes);
    }
    Ok(())
}

/// Fits a value built by [`to_value`] to `ty`: a list where the type is a set becomes a set
/// (sorted and without duplicates, in cty's order), an object gains the attributes of its type
/// that it lacks (as null) and loses any the type does not have, and a map where the type is an
/// object becomes an object. Everything else is left as it is.
pub fn conform(value: Value, ty: &Type) -> Value {
    match (value, ty) {
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Set(element)) => {
            let mut items: Vec<Value> = items.into_iter().map(|v| conform(v, element)).collect();
            sort_set(&mut items);
            Value::Set(items)
        }
        (Value::List(items) | Value::Set(items), Type::List(element)) => {
            Value::List(items.into_iter().map(|v| conform(v, element)).collect())
        }
        (Value::Map(entries), Type::Map(element)) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k, conform(v, element)))
                .collect(),
        ),
        (Value::Object(attributes), Type::Object(object)) => {
            Value::Object(conform_attributes(attributes, &object.attributes))
        }
        (Value::Map(entries), Type::Object(object)) => Value::Object(conform_attributes(
            entries.into_iter().collect(),
            &object.attributes,
        )),
        (value, _) => value,
    }
}

/// The path step to an object's attribute or to a map's entry named `key`, for an error under it.
fn entry_step(object: bool, key: &str) -> PathStep {
    if object {
        PathStep::Attribute(key.to_owned())
    } else {
        PathStep::Key(key.to_owned())
    }
}

/// Fits an object's entries to its type's attributes in place: both are sorted by name, so one
/// walk over them conforms each value, notes the attributes missing (added as null) and whether
/// an entry is not an attribute (removed). A model's value usually has exactly its type's
/// attributes: its map and names are then kept as they are, with nothing allocated.
fn conform_attributes(mut entries: Attributes, attributes: &BTreeMap<String, Type>) -> Attributes {
    let mut missing = Vec::new();
    let mut foreign = false;
    let mut types = attributes.iter().peekable();
    for (name, value) in entries.iter_mut() {
        while let Some((absent, _)) = types.next_if(|(attribute, _)| *attribute < name) {
            missing.push(absent);
        }
        match types.next_if(|(attribute, _)| *attribute == name) {
            Some((_, ty)) => *value = conform(std::mem::replace(value, Value::Null), ty),
            None => foreign = true,
        }
    }
    missing.extend(types.map(|(absent, _)| absent));
    if foreign {
        entries.retain(|name, _| attributes.contains_key(name));
    }
    for name in missing {
        entries.insert(name.clone(), Value::Null);
    }
    entries
}

/// Sorts set elements as cty orders known strings, numbers and bools, and drops duplicates;
/// other elements keep their order.
fn sort_set(items: &mut Vec<Value>) {
    let comparable = items
        .iter()
        .all(|v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)));
    // Unknown elements (and anything else) stay as Terraform sent them: two unknowns are two
    // elements, not one.
    if comparable {
        items.sort_by(|a, b| match (a, b) {
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        });
        items.dedup();
    }
}

#[cfg(test)]
mod tests;
