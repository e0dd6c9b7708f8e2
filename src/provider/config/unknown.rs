//! The settings of a provider configuration that are not known yet.
//!
//! During plan Terraform may configure the provider with unknown values: a `region`, an
//! endpoint or a default tag that depends on another resource. Such a setting is not absent,
//! and the values that depend on it (a repository URL holds the region, `tags_all` the default
//! tags) must be planned unknown rather than guessed; [`unknown_settings`] names them.

use crate::plugin::Value;

/// Every setting of the provider block, by the name [`unknown_settings`] reports, with its path
/// in the configuration object (a nested block's attribute is under the block's name).
/// `default_tags` is reported whole: its map, or any value in it, unknown.
const SETTINGS: &[(&str, &[&str])] = &[
    ("region", &["region"]),
    ("profile", &["profile"]),
    ("access_key", &["access_key"]),
    ("secret_key", &["secret_key"]),
    ("max_retries", &["max_retries"]),
    ("retry_mode", &["retry_mode"]),
    ("attempt_timeout", &["attempt_timeout"]),
    ("operation_timeout", &["operation_timeout"]),
    ("endpoints.ecr", &["endpoints", "ecr"]),
    ("endpoints.ecs", &["endpoints", "ecs"]),
    ("default_tags", &["default_tags"]),
];

/// The names of the settings of `config` (the provider block as ConfigureProvider receives it)
/// whose value is unknown or holds an unknown value, in schema order: `region`, `profile`,
/// `access_key`, `secret_key`, `max_retries`, `retry_mode`, `attempt_timeout`,
/// `operation_timeout`, `endpoints.ecr`, `endpoints.ecs`, `default_tags`. A nested block that is
/// itself unknown makes each of its settings unknown; a wholly unknown configuration, all of
/// them. Empty when everything is known.
pub fn unknown_settings(config: &Value) -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|(_, path)| holds_unknown(config, path))
        .map(|(name, _)| *name)
        .collect()
}

/// Whether the value at `path` under `value` is unknown or holds an unknown value; an unknown
/// value on the way there counts, a null one or a missing attribute does not.
fn holds_unknown(value: &Value, path: &[&str]) -> bool {
    if value.is_unknown() {
        return true;
    }
    match path.split_first() {
        None => !value.is_wholly_known(),
        Some((name, rest)) => value
            .attr(name)
            .is_some_and(|inner| holds_unknown(inner, rest)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::provider::config::schema;

    fn text(value: &str) -> Value {
        Value::String(value.to_owned())
    }

    /// A wholly known configuration setting everything.
    fn known_config() -> Vec<(&'static str, Value)> {
        vec![
            ("region", text("eu-central-1")),
            ("profile", text("dev")),
            ("access_key", text("AKIA")),
            ("secret_key", text("secret")),
            ("max_retries", Value::from_i64(5)),
            ("retry_mode", text("adaptive")),
            ("attempt_timeout", text("10s")),
            ("operation_timeout", text("1m")),
            (
                "endpoints",
                Value::object([
                    ("ecr", text("http://127.0.0.1:4566")),
                    ("ecs", text("http://127.0.0.1:4566")),
                ]),
            ),
            (
                "default_tags",
                Value::object([(
                    "tags",
                    Value::Map(BTreeMap::from([("env".to_owned(), text("dev"))])),
                )]),
            ),
        ]
    }

    /// `known_config` with the value at `path` replaced.
    fn with(path: &[&str], replacement: Value) -> Value {
        fn replace(value: &mut Value, path: &[&str], replacement: Value) {
            match (value, path.split_first()) {
                (slot, None) => *slot = replacement,
                (Value::Object(attributes), Some((name, rest))) => {
                    if let Some(inner) = attributes.get_mut(name) {
                        replace(inner, rest, replacement);
                    }
                }
                (Value::Map(entries), Some((key, rest))) => {
                    if let Some(inner) = entries.get_mut(*key) {
                        replace(inner, rest, replacement);
                    }
                }
                _ => panic!("no {path:?}"),
            }
        }
        let mut config = Value::object(known_config());
        replace(&mut config, path, replacement);
        config
    }

    #[test]
    fn a_known_configuration_has_no_unknown_settings() {
        assert!(unknown_settings(&Value::object(known_config())).is_empty());
        let nulls: Vec<(&str, Value)> = known_config()
            .into_iter()
            .map(|(name, _)| (name, Value::Null))
            .collect();
        assert!(unknown_settings(&Value::object(nulls)).is_empty());
        assert!(unknown_settings(&Value::Null).is_empty());
        assert!(unknown_settings(&Value::Object(Default::default())).is_empty());
    }

    #[test]
    fn each_unknown_setting_is_named() {
        for (name, path) in SETTINGS {
            let config = with(path, Value::unknown());
            assert_eq!(unknown_settings(&config), [*name], "{path:?}");
        }
    }

    #[test]
    fn an_unknown_block_makes_its_settings_unknown() {
        assert_eq!(
            unknown_settings(&with(&["endpoints"], Value::unknown())),
            ["endpoints.ecr", "endpoints.ecs"]
        );
        assert_eq!(
            unknown_settings(&with(&["default_tags"], Value::unknown())),
            ["default_tags"]
        );
        assert_eq!(
            unknown_settings(&Value::unknown()),
            SETTINGS.iter().map(|(name, _)| *name).collect::<Vec<_>>()
        );
    }

    #[test]
    fn default_tags_count_when_their_map_or_any_value_is_unknown() {
        assert_eq!(
            unknown_settings(&with(&["default_tags", "tags"], Value::unknown())),
            ["default_tags"]
        );
        assert_eq!(
            unknown_settings(&with(&["default_tags", "tags", "env"], Value::unknown())),
            ["default_tags"]
        );
    }

    #[test]
    fn several_unknown_settings_are_named_in_schema_order() {
        let mut config = with(&["default_tags", "tags", "env"], Value::unknown());
        if let Value::Object(attributes) = &mut config {
            attributes.insert("region".to_owned(), Value::unknown());
            attributes.insert("secret_key".to_owned(), Value::unknown());
        }
        assert_eq!(
            unknown_settings(&config),
            ["region", "secret_key", "default_tags"]
        );
    }

    /// Every setting of the schema is in [`SETTINGS`], so a new one cannot be forgotten.
    #[test]
    fn every_setting_of_the_schema_is_covered() {
        let block = schema().block;
        let mut in_schema: Vec<String> = block.attributes.iter().map(|a| a.name.clone()).collect();
        for nested in &block.blocks {
            if nested.name == "default_tags" {
                in_schema.push(nested.name.clone());
                continue;
            }
            for attribute in &nested.block.attributes {
                in_schema.push(format!("{}.{}", nested.name, attribute.name));
            }
        }
        let mut covered: Vec<String> = SETTINGS.iter().map(|(n, _)| (*n).to_owned()).collect();
        in_schema.sort();
        covered.sort();
        assert_eq!(in_schema, covered);
        // The test configuration sets each of them, with values of the schema's types.
        assert_eq!(
            crate::plugin::model::conform(Value::object(known_config()), &schema().value_type()),
            Value::object(known_config())
        );
    }
}
