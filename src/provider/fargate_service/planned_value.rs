//! [`PlannedBlock`]: any attribute or nested block of a plan as a comparable value, unknown
//! parts included, so that planning can tell whether the container blocks (sidecars, health
//! checks, ulimits, ...) or the capacity provider strategy changed without a typed model for
//! every shape a plan may hold them in.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::plugin::Known;

/// A known value of any shape whose parts may be unknown.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// A bool.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Text(String),
    /// A list, set or tuple, in the order the value holds it.
    Seq(Vec<Known<Raw>>),
    /// An object or map.
    Map(BTreeMap<String, Known<Raw>>),
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Text(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Known<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, Known<Raw>>()? {
            entries.insert(key, value);
        }
        Ok(Raw::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

/// An attribute or nested block as a plan or state holds it. Null and an empty collection
/// are the same here: a state written before the attribute existed holds null where a plan
/// of the same configuration holds no blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedBlock(Known<Raw>);

impl<'de> Deserialize<'de> for PlannedBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Known::<Raw>::deserialize(deserializer)?;
        Ok(PlannedBlock(match value {
            Known::Value(Raw::Seq(items)) if items.is_empty() => Known::Null,
            Known::Value(Raw::Map(entries)) if entries.is_empty() => Known::Null,
            other => other,
        }))
    }
}

impl PlannedBlock {
    /// Whether the value is null or an empty collection.
    pub fn is_empty(&self) -> bool {
        self.0.is_null()
    }

    /// Whether the whole value is not known yet (not only parts of it).
    pub fn is_unknown(&self) -> bool {
        self.0.is_unknown()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Value;
    use crate::plugin::model::from_value;

    #[test]
    fn null_and_no_blocks_are_the_same_and_unknown_parts_compare() {
        let empty: PlannedBlock = from_value(&Value::List(vec![])).unwrap();
        let null: PlannedBlock = from_value(&Value::Null).unwrap();
        assert_eq!(empty, null);
        assert!(null.is_empty());
        let one = Value::List(vec![Value::object([
            ("name", Value::from("log_router")),
            ("image", Value::unknown()),
        ])]);
        let planned: PlannedBlock = from_value(&one).unwrap();
        assert!(!planned.is_empty());
        let known = Value::List(vec![Value::object([
            ("name", Value::from("log_router")),
            ("image", Value::from("fluent-bit:3")),
        ])]);
        let prior: PlannedBlock = from_value(&known).unwrap();
        assert_ne!(planned, prior);
        assert_eq!(prior, from_value::<PlannedBlock>(&known).unwrap());
        assert_eq!(
            from_value::<PlannedBlock>(&Value::unknown()).unwrap(),
            PlannedBlock(Known::Unknown)
        );
        assert!(
            from_value::<PlannedBlock>(&Value::unknown())
                .unwrap()
                .is_unknown()
        );
        assert!(!planned.is_unknown() && !null.is_unknown());
    }
}
