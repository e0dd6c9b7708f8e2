//! Resource tags: validation by AWS's rules, and `tags_all`, the resource's tags merged over
//! the provider's default tags (the resource's own value wins for the same key).

use std::collections::BTreeMap;

use crate::plugin::attrs::{Attrs, string_map};
use crate::plugin::{AttributePath, Diagnostic, Diagnostics, Value};

/// The largest number of tags AWS allows on a resource.
pub const MAX_TAGS: usize = 50;

/// Checks a `tags` map attribute of `attrs` (keys 1-128 characters, values up to 256, not
/// starting with `aws:`).
pub fn validate_tags(attrs: &Attrs<'_>, path: AttributePath) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let Some(tags) = attrs.string_map("tags") else {
        return diagnostics;
    };
    if tags.len() > MAX_TAGS {
        diagnostics.push(Diagnostic::invalid(
            path.clone(),
            "Too many tags",
            format!(
                "AWS allows at most {MAX_TAGS} tags; this map has {}.",
                tags.len()
            ),
        ));
    }
    for (key, value) in &tags {
        let key_path = path.clone().key(key);
        if key.is_empty() || key.chars().count() > 128 {
            diagnostics.push(Diagnostic::invalid(
                key_path.clone(),
                "Invalid tag key",
                "Tag keys must be 1 to 128 characters long.",
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            diagnostics.push(Diagnostic::invalid(
                key_path.clone(),
                "Reserved tag key",
                format!("Tag key {key:?} uses the reserved prefix \"aws:\"."),
            ));
        }
        if value.chars().count() > 256 {
            diagnostics.push(Diagnostic::invalid(
                key_path,
                "Invalid tag value",
                "Tag values must be at most 256 characters long.",
            ));
        }
    }
    diagnostics
}

/// The provider's default tags overlaid with the resource's tags.
pub fn merge(
    default_tags: &BTreeMap<String, String>,
    tags: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut all = default_tags.clone();
    if let Some(tags) = tags {
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    all
}

/// What changes bring a resource's tags from `current` to `wanted`: the keys to untag, and the
/// tags to (re)write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Keys present now but not wanted.
    pub removed: Vec<String>,
    /// Wanted tags that are missing or have another value.
    pub changed: BTreeMap<String, String>,
}

/// The [`TagChanges`] from `current` to `wanted`.
pub fn changes(
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> TagChanges {
    TagChanges {
        removed: current
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect(),
        changed: wanted
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// The planned `tags_all`: known when `tags` is wholly known, unknown otherwise.
pub fn plan_tags_all(default_tags: &BTreeMap<String, String>, tags: &Value) -> Value {
    let mut own = BTreeMap::new();
    match tags {
        Value::Null => {}
        Value::Map(map) => {
            for (key, value) in map {
                match value.as_str() {
                    Some(value) => own.insert(key.clone(), value.to_owned()),
                    None => return Value::unknown(),
                };
            }
        }
        _ => return Value::unknown(),
    }
    string_map(Some(&merge(default_tags, Some(&own))))
}

/// The resource's own tags given what AWS reports (`tags_all`): the keys the configuration
/// manages keep their remote values, and remote keys that are neither configured nor default
/// tags are reported too, so that tags added outside Terraform show as drift.
pub fn own_tags(
    remote: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior_tags: Option<&BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    let own: BTreeMap<String, String> = remote
        .iter()
        .filter(|(k, v)| {
            prior_tags.is_some_and(|p| p.contains_key(*k)) || default_tags.get(*k) != Some(*v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if own.is_empty() && prior_tags.is_none() {
        None
    } else {
        Some(own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn changes_untag_removed_keys_and_rewrite_changed_values() {
        let current = map(&[("keep", "1"), ("gone", "x"), ("moved", "a")]);
        let wanted = map(&[("keep", "1"), ("moved", "b"), ("new", "y")]);
        assert_eq!(
            changes(&current, &wanted),
            TagChanges {
                removed: vec!["gone".to_owned()],
                changed: map(&[("moved", "b"), ("new", "y")]),
            }
        );
        assert_eq!(changes(&wanted, &wanted), TagChanges::default());
    }

    #[test]
    fn resource_tags_win_over_defaults() {
        let merged = merge(
            &map(&[("team", "a"), ("env", "dev")]),
            Some(&map(&[("env", "prod")])),
        );
        assert_eq!(merged, map(&[("team", "a"), ("env", "prod")]));
    }

    #[test]
    fn own_tags_drop_defaults_but_keep_drift() {
        let remote = map(&[("team", "a"), ("env", "prod"), ("added", "x")]);
        let own = own_tags(
            &remote,
            &map(&[("team", "a")]),
            Some(&map(&[("env", "prod")])),
        );
        assert_eq!(own, Some(map(&[("env", "prod"), ("added", "x")])));
        assert_eq!(
            own_tags(&map(&[("team", "a")]), &map(&[("team", "a")]), None),
            None
        );
    }
}
