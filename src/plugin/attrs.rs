//! Typed access to the attributes of object values (configuration, plan, state), and the
//! reverse: building object values from Rust data. Unknown and null both read as "absent";
//! use [`Value::is_unknown`] where the difference matters (validation of partial configs).

use std::collections::BTreeMap;

use bigdecimal::BigDecimal;

use super::value::Value;

/// Reads the attributes of an object value.
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'a>(pub &'a Value);

static NULL: Value = Value::Null;

impl<'a> Attrs<'a> {
    /// An attribute (null when absent).
    pub fn get(&self, name: &str) -> &'a Value {
        self.0.attr(name).unwrap_or(&NULL)
    }

    /// Whether an attribute is unknown (not yet known at plan time).
    pub fn is_unknown(&self, name: &str) -> bool {
        self.get(name).is_unknown()
    }

    /// A known string attribute.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name).as_str().map(str::to_owned)
    }

    /// A known, non-empty string attribute.
    pub fn non_empty(&self, name: &str) -> Option<String> {
        self.string(name).filter(|s| !s.is_empty())
    }

    /// A known bool attribute.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).as_bool()
    }

    /// A known whole-number attribute that fits i64.
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).as_i64()
    }

    /// A known map of strings (unknown or null elements are skipped).
    pub fn string_map(&self, name: &str) -> Option<BTreeMap<String, String>> {
        match self.get(name) {
            Value::Map(map) => Some(
                map.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// A known list or set of strings (unknown or null elements are skipped).
    pub fn string_list(&self, name: &str) -> Option<Vec<String>> {
        match self.get(name) {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The objects of a nested block (an empty list when absent; a single block gives one).
    pub fn blocks(&self, name: &str) -> Vec<Attrs<'a>> {
        match self.get(name) {
            Value::List(items) | Value::Set(items) => items.iter().map(Attrs).collect(),
            value @ Value::Object(_) => vec![Attrs(value)],
            _ => Vec::new(),
        }
    }

    /// A single nested block, if present and known.
    pub fn block(&self, name: &str) -> Option<Attrs<'a>> {
        self.blocks(name).into_iter().next()
    }
}

/// A string value.
pub fn string(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

/// A string value, or null.
pub fn opt_string(value: Option<impl Into<String>>) -> Value {
    value.map_or(Value::Null, string)
}

/// A bool value, or null.
pub fn opt_bool(value: Option<bool>) -> Value {
    value.map_or(Value::Null, Value::Bool)
}

/// A number value.
pub fn number(value: i64) -> Value {
    Value::Number(BigDecimal::from(value))
}

/// A number value, or null.
pub fn opt_number(value: Option<i64>) -> Value {
    value.map_or(Value::Null, number)
}

/// A map of strings, or null when `None`.
pub fn string_map(map: Option<&BTreeMap<String, String>>) -> Value {
    map.map_or(Value::Null, |m| {
        Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), string(v.clone())))
                .collect(),
        )
    })
}

/// A list of strings, or null when `None`.
pub fn string_list(items: Option<&[String]>) -> Value {
    items.map_or(Value::Null, |items| {
        Value::List(items.iter().cloned().map(string).collect())
    })
}

/// A set of strings, or null when `None`.
pub fn string_set(items: Option<&[String]>) -> Value {
    items.map_or(Value::Null, |items| {
        let mut sorted = items.to_vec();
        sorted.sort();
        sorted.dedup();
        Value::Set(sorted.into_iter().map(string).collect())
    })
}

/// An object value from attribute pairs.
pub fn object<I, K>(pairs: I) -> Value
where
    I: IntoIterator<Item = (K, Value)>,
    K: Into<String>,
{
    Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// An object with its unknown top-level attributes replaced by null: what to record for an
/// object that exists but could not be read back (state must be wholly known).
pub fn known_or_null(value: &Value) -> Value {
    match value {
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
