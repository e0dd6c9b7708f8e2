//! Provider-private state: data a resource keeps beside its state that users never see and
//! plans never show (terraform-plugin-framework's `Private`). Terraform stores the bytes with
//! the resource instance and hands them back on every later call: PlanResourceChange passes
//! them on as planned private, ApplyResourceChange answers the new ones, ReadResource and
//! ImportResourceState answer them too.
//!
//! Here the bytes are a JSON object; each resource reads and writes typed values under its own
//! keys. Bytes that are not a JSON object (written by something else) read as empty, with a
//! warning in the log, rather than failing the resource.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

/// A resource's private state: typed values under string keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Private(Map<String, Json>);

/// A private value that could not be read or written as the resource's type.
#[derive(Debug, thiserror::Error)]
#[error("private state key {key:?}: {source}")]
pub struct PrivateError {
    /// The key.
    pub key: String,
    /// What serde said.
    #[source]
    pub source: serde_json::Error,
}

impl Private {
    /// The private state Terraform sent (empty bytes: none).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        match serde_json::from_slice::<Json>(bytes) {
            Ok(Json::Object(map)) => Self(map),
            Ok(_) | Err(_) => {
                crate::log_warn!(
                    len = bytes.len(),
                    "private state is not a JSON object; reading it as empty"
                );
                Self::default()
            }
        }
    }

    /// The bytes to send Terraform (empty when there is nothing).
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.0.is_empty() {
            Vec::new()
        } else {
            serde_json::to_vec(&self.0).unwrap_or_default()
        }
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The value under `key`; `None` when it is not set.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, PrivateError> {
        self.0
            .get(key)
            .map(|value| T::deserialize(value))
            .transpose()
            .map_err(|source| PrivateError {
                key: key.to_owned(),
                source,
            })
    }

    /// Sets `key` to `value`.
    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) -> Result<(), PrivateError> {
        let value = serde_json::to_value(value).map_err(|source| PrivateError {
            key: key.to_owned(),
            source,
        })?;
        self.0.insert(key.to_owned(), value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_the_bytes() {
        let mut private = Private::default();
        assert!(private.to_bytes().is_empty());
        private.set("revisions", &vec!["a", "b"]).unwrap();
        let read = Private::from_bytes(&private.to_bytes());
        assert_eq!(read, private);
        let revisions: Option<Vec<String>> = read.get("revisions").unwrap();
        assert_eq!(revisions, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert!(read.get::<Vec<String>>("other").unwrap().is_none());
        assert!(read.get::<u32>("revisions").is_err());
    }

    #[test]
    fn foreign_bytes_read_as_empty() {
        assert_eq!(Private::from_bytes(b"not json"), Private::default());
        assert_eq!(Private::from_bytes(b"[1,2]"), Private::default());
        assert!(!Private::from_bytes(b"").contains("x"));
    }
}
