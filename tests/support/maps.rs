//! String maps (tags, environments) in one comparable form, whether they come from the
//! Terraform state's JSON or are written out in a test.

use std::collections::BTreeMap;

use serde_json::Value;

/// A JSON object of strings (e.g. a resource's `tags` in the state) as a sorted map; anything
/// that is not an object is empty, a value that is not a string is `""`.
pub fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// The sorted map of `pairs`, for comparing with [`string_map`] or what AWS reports.
pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
