//! The cty type system as the Terraform plugin protocol (tfplugin6) carries it.
//!
//! Terraform sends and expects every configuration, plan and state value as a
//! `DynamicValue`: msgpack bytes (or, for raw state, JSON) whose meaning is fixed by
//! the schema type the provider declared. This module holds the types
//! ([`Type`], [`ObjectType`]), the values ([`Value`], with unknowns and their
//! [`Refinement`]s), and the codecs:
//!
//! * [`decode_msgpack`] / [`encode_msgpack`]: the wire format of
//!   `docs/plugin-protocol/object-wire-format.md`, byte-compatible with go-cty;
//! * [`decode_json`] / [`encode_json`]: the JSON form used for raw state in
//!   `UpgradeResourceState`;
//! * [`Type::from_json`] / [`Type::to_json`]: the type JSON used in schemas and in
//!   values of type `dynamic`.
//!
//! Every decoder is meant for hostile input: it never panics, bounds nesting at
//! [`MAX_DEPTH`], and never trusts a length header for allocation beyond the bytes
//! that are really there.

// The provider does not use every helper of this codec; keep them all the same.

pub mod attributes;
mod json;
mod msgpack;
mod number;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bigdecimal::BigDecimal;

// The provider may not use every codec; re-exporting them all is still intended.
pub use attributes::Attributes;
pub use json::{JsonDecodeOptions, decode_json, decode_json_with_options, encode_json};
pub use msgpack::{decode_msgpack, encode_msgpack};

/// How deeply values and types may nest before a codec gives up with
/// [`ValueError::TooDeep`]; this keeps hostile input from overflowing the stack.
pub const MAX_DEPTH: usize = 128;

/// A cty type, as declared in a provider schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `"string"`: a Unicode string.
    String,
    /// `"number"`: an arbitrary-precision decimal number.
    Number,
    /// `"bool"`: true or false.
    Bool,
    /// `"dynamic"`: any type, decided at run time; such values travel with their
    /// concrete type (see [`Value::Dynamic`]).
    Dynamic,
    /// `["list",T]`: an ordered sequence of values of one type.
    List(Box<Type>),
    /// `["set",T]`: an unordered collection of distinct values of one type.
    Set(Box<Type>),
    /// `["map",T]`: string keys to values of one type.
    Map(Box<Type>),
    /// `["tuple",[T...]]`: a fixed-length sequence, each element of its own type.
    Tuple(Vec<Type>),
    /// `["object",{...}]`: named attributes, each of its own type.
    Object(ObjectType),
}

/// The attributes of an object type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ObjectType {
    /// Every attribute of the object, by name, with its type.
    pub attributes: BTreeMap<String, Type>,
    /// The names of attributes marked optional (the third element of the type JSON
    /// `["object",{...},["a","b"]]`); each must be a key of `attributes`.
    pub optional: BTreeSet<String>,
}

impl Type {
    /// An object type with the given attributes and no optional attributes.
    pub fn object<I: IntoIterator<Item = (String, Type)>>(attrs: I) -> Type {
        Type::Object(ObjectType {
            attributes: attrs.into_iter().collect(),
            optional: BTreeSet::new(),
        })
    }

    /// The list type `["list",t]`.
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    /// The set type `["set",t]`.
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// The map type `["map",t]`.
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// The tuple type `["tuple",[...]]` with the given element types.
    pub fn tuple(elements: Vec<Type>) -> Type {
        Type::Tuple(elements)
    }

    /// Whether this is a list, set or map type: the types that accept collection
    /// length refinements.
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }
}

impl fmt::Display for Type {
    /// Shows the type as its compact type JSON, such as `["list","string"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_json()))
    }
}

/// What is known about an unknown value: Terraform's "refinements".
///
/// `Refinement::default()` is a plain unknown, about which nothing is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refinement {
    /// The value will definitely not be null.
    pub not_null: bool,
    /// A string value will start with this prefix (strings only).
    pub string_prefix: Option<String>,
    /// A number value's lower bound, and whether the bound is inclusive
    /// (numbers only).
    pub number_lower: Option<(BigDecimal, bool)>,
    /// A number value's upper bound, and whether the bound is inclusive
    /// (numbers only).
    pub number_upper: Option<(BigDecimal, bool)>,
    /// The least length (inclusive) of a list, set or map value.
    pub length_lower: Option<u64>,
    /// The greatest length (inclusive) of a list, set or map value.
    pub length_upper: Option<u64>,
}

impl Refinement {
    /// Whether nothing is known, i.e. this is a plain unknown.
    pub fn is_empty(&self) -> bool {
        *self == Refinement::default()
    }
}

/// A cty value. Which variant is valid depends on the [`Type`] it is read or
/// written under: [`Value::Null`] and [`Value::Unknown`] fit any type.
///
/// The rare large parts (a refinement, a dynamic value's type) are boxed, so that a value is
/// as small as a number (40 bytes): values are moved into and out of every map and vector a
/// request builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// The null value of any type.
    Null,
    /// A value that is not known yet (during planning), with what is known of it.
    Unknown(Box<Refinement>),
    /// A known bool.
    Bool(bool),
    /// A known number.
    Number(BigDecimal),
    /// A known string.
    String(String),
    /// A known list.
    List(Vec<Value>),
    /// A known set; its element order is the wire order, and equality of two sets
    /// is order-sensitive.
    Set(Vec<Value>),
    /// A known tuple.
    Tuple(Vec<Value>),
    /// A known map.
    Map(BTreeMap<String, Value>),
    /// A known object. Decoders fill in every attribute of the type (null where
    /// absent); encoders write attributes missing here as null.
    Object(Attributes),
    /// A value whose schema type is `dynamic`, with its concrete type. A null or
    /// unknown value of type `dynamic` is plain [`Value::Null`] or
    /// [`Value::Unknown`] instead.
    Dynamic(Box<Type>, Box<Value>),
}

impl Value {
    /// A plain unknown value, with no refinements.
    pub fn unknown() -> Value {
        Value::Unknown(Box::default())
    }

    /// An unknown value with what is known of it.
    pub fn unknown_with(refinement: Refinement) -> Value {
        Value::Unknown(Box::new(refinement))
    }

    /// The null value of the given type; the same [`Value::Null`] for every type.
    pub fn null_of(_ty: &Type) -> Value {
        Value::Null
    }

    /// A known object with the given attributes (a later duplicate name wins).
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        )
    }

    /// A number value from an `i64`.
    pub fn from_i64(n: i64) -> Value {
        Value::Number(BigDecimal::from(n))
    }

    /// Whether the value is null (looking through [`Value::Dynamic`]).
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Dynamic(_, inner) => inner.is_null(),
            _ => false,
        }
    }

    /// Whether the value itself is unknown (looking through [`Value::Dynamic`]);
    /// a known list holding unknowns is not. See [`Value::is_wholly_known`].
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Dynamic(_, inner) => inner.is_unknown(),
            _ => false,
        }
    }

    /// Whether there is no unknown value anywhere inside this value.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) => entries.values().all(Value::is_wholly_known),
            Value::Object(attributes) => attributes.values().all(Value::is_wholly_known),
            Value::Dynamic(_, inner) => inner.is_wholly_known(),
        }
    }

    /// The string, if this is a known string (looking through [`Value::Dynamic`]).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic(_, inner) => inner.as_str(),
            _ => None,
        }
    }

    /// The bool, if this is a known bool (looking through [`Value::Dynamic`]).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dynamic(_, inner) => inner.as_bool(),
            _ => None,
        }
    }

    /// The number, if this is a known number (looking through [`Value::Dynamic`]).
    pub fn as_number(&self) -> Option<&BigDecimal> {
        match self {
            Value::Number(n) => Some(n),
            Value::Dynamic(_, inner) => inner.as_number(),
            _ => None,
        }
    }

    /// The number as an `i64`, if this is a known whole number that fits
    /// (looking through [`Value::Dynamic`]).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(number::exact_i64)
    }

    /// The attribute `name` of a known object (looking through
    /// [`Value::Dynamic`]); `None` for other values or an absent attribute.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attrs) => attrs.get(name),
            Value::Dynamic(_, inner) => inner.attr(name),
            _ => None,
        }
    }

    /// This object with its unknown top-level attributes replaced by null: what to record
    /// for an object that exists but could not be read back (state must be wholly known).
    /// Other values are returned as they are.
    pub fn unknowns_to_null(&self) -> Value {
        match self {
            Value::Object(attributes) => Value::Object(
                attributes
                    .iter()
                    .map(|(k, v)| {
                        let v = if v.is_unknown() {
                            Value::Null
                        } else {
                            v.clone()
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A short description of the kind of value, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "an unknown value",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Set(_) => "a set",
            Value::Tuple(_) => "a tuple",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
            Value::Dynamic(..) => "a dynamic value",
        }
    }
}

impl From<bool> for Value {
    /// A known bool.
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    /// A known number.
    fn from(n: i64) -> Value {
        Value::from_i64(n)
    }
}

impl From<String> for Value {
    /// A known string.
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&str> for Value {
    /// A known string.
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

/// Why a value or type could not be decoded or encoded. Every message names the
/// place in the value where it went wrong, as a path such as `.tags["x"]` or
/// `.rules[2]` (or `(root)` for the value itself).
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// The msgpack bytes are malformed or do not fit the type.
    #[error("invalid msgpack value at {path}: {message}")]
    Msgpack {
        /// Where in the value.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The JSON text is malformed or does not fit the type.
    #[error("invalid JSON value at {path}: {message}")]
    Json {
        /// Where in the value.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A type JSON is malformed.
    #[error("invalid type JSON: {0}")]
    TypeJson(String),
    /// A value to encode does not conform to the type it is encoded under.
    #[error("value does not conform to its type at {path}: {message}")]
    Mismatch {
        /// Where in the value.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// JSON cannot carry unknown values.
    #[error("unknown value at {path} cannot be encoded as JSON")]
    UnknownInJson {
        /// Where in the value.
        path: String,
    },
    /// The value or type nests deeper than [`MAX_DEPTH`].
    #[error("value at {path} is nested more than {max} levels deep")]
    TooDeep {
        /// Where in the value.
        path: String,
        /// The limit, [`MAX_DEPTH`].
        max: usize,
    },
}

/// One step of a [`Path`].
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    /// An object attribute: `.name`.
    Attr(&'a str),
    /// A map key: `["key"]`.
    Key(&'a str),
    /// A list, set or tuple index: `[2]`.
    Index(usize),
}

/// Where the codecs are in a value, kept on the stack while they recurse and
/// rendered only when an error needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Option<Step<'a>>,
}

impl<'a> Path<'a> {
    /// The value itself.
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        step: None,
    };

    fn child<'b>(&'b self, step: Step<'b>) -> Path<'b> {
        Path {
            parent: Some(self),
            step: Some(step),
        }
    }

    /// The object attribute `name` of this value.
    pub(crate) fn attr<'b>(&'b self, name: &'b str) -> Path<'b> {
        self.child(Step::Attr(name))
    }

    /// The map element with key `key` of this value.
    pub(crate) fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        self.child(Step::Key(key))
    }

    /// The element at `index` of this list, set or tuple.
    pub(crate) fn index(&self, index: usize) -> Path<'_> {
        self.child(Step::Index(index))
    }

    /// The path as text, such as `.tags["x"]`, or `(root)` for the value itself.
    pub(crate) fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut node = Some(self);
        while let Some(p) = node {
            if let Some(step) = p.step {
                steps.push(step);
            }
            node = p.parent;
        }
        if steps.is_empty() {
            return "(root)".to_owned();
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Key(key) => {
                    out.push('[');
                    json::push_json_string(&mut out, key);
                    out.push(']');
                }
                Step::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// A [`ValueError::Msgpack`] at this path.
    pub(crate) fn msgpack_error(&self, message: impl Into<String>) -> ValueError {
        ValueError::Msgpack {
            path: self.render(),
            message: message.into(),
        }
    }

    /// A [`ValueError::Json`] at this path.
    pub(crate) fn json_error(&self, message: impl Into<String>) -> ValueError {
        ValueError::Json {
            path: self.render(),
            message: message.into(),
        }
    }

    /// A [`ValueError::Mismatch`] at this path.
    pub(crate) fn mismatch(&self, message: impl Into<String>) -> ValueError {
        ValueError::Mismatch {
            path: self.render(),
            message: message.into(),
        }
    }

    /// A [`ValueError::TooDeep`] at this path, if `depth` is past [`MAX_DEPTH`].
    pub(crate) fn check_depth(&self, depth: usize) -> Result<(), ValueError> {
        if depth > MAX_DEPTH {
            Err(ValueError::TooDeep {
                path: self.render(),
                max: MAX_DEPTH,
            })
        } else {
            Ok(())
        }
    }
}
