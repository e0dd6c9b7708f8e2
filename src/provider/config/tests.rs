//! Unit tests of the provider block: reading a configuration, each setting's rules and the
//! rules across settings.

use std::time::Duration;

use serde::Serialize;

use super::*;
use crate::plugin::model::{conform, to_value};

/// A provider block, written through serde so that no setting's name is spelled here.
#[derive(Debug, Default, Serialize)]
struct Config {
    region: Option<&'static str>,
    access_key: Option<&'static str>,
    secret_key: Option<&'static str>,
    max_retries: Option<i64>,
    retry_mode: Option<&'static str>,
    attempt_timeout: Option<&'static str>,
    operation_timeout: Option<&'static str>,
    endpoints: Option<Endpoints>,
    default_tags: Option<DefaultTags>,
}

#[derive(Debug, Default, Serialize)]
struct Endpoints {
    ecr: Option<&'static str>,
    ecs: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
struct DefaultTags {
    tags: BTreeMap<&'static str, &'static str>,
}

fn read(config: &Config) -> Result<ProviderConfig, Vec<String>> {
    let value = conform(
        to_value(config).unwrap_or(Value::Null),
        &schema().value_type(),
    );
    ProviderConfig::from_value(&value).map_err(|d| d.iter().map(|d| d.summary.clone()).collect())
}

#[test]
fn a_valid_configuration_is_read() {
    let config = Config {
        region: Some("eu-central-1"),
        access_key: Some("AKIA"),
        secret_key: Some("secret"),
        max_retries: Some(5),
        endpoints: Some(Endpoints {
            ecr: Some("http://127.0.0.1:4566"),
            ecs: None,
        }),
        default_tags: Some(DefaultTags {
            tags: BTreeMap::from([("env", "dev")]),
        }),
        ..Config::default()
    };
    let parsed = read(&config).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(parsed.region.as_deref(), Some("eu-central-1"));
    assert_eq!(
        parsed.static_credentials,
        Some(("AKIA".to_owned(), "secret".to_owned()))
    );
    assert_eq!(parsed.max_retries, Some(5));
    assert_eq!(
        parsed.ecr_endpoint.as_deref(),
        Some("http://127.0.0.1:4566")
    );
    assert_eq!(parsed.ecs_endpoint, None);
    assert_eq!(
        parsed.default_tags.get("env").map(String::as_str),
        Some("dev")
    );
}

#[test]
fn invalid_settings_fail_with_their_summaries() {
    let config = Config {
        access_key: Some("AKIA"),
        max_retries: Some(26),
        endpoints: Some(Endpoints {
            ecr: Some("localhost:4566"),
            ecs: None,
        }),
        default_tags: Some(DefaultTags {
            tags: BTreeMap::from([("aws:reserved", "x")]),
        }),
        ..Config::default()
    };
    assert_eq!(
        read(&config).err().unwrap_or_default(),
        [
            "Invalid max_retries",
            "Invalid endpoint URL",
            "Invalid tag",
            "Incomplete static credentials"
        ]
    );
}

/// Terraform configures the provider during plan with values that may be unknown: a
/// default tag not known yet is left out instead of failing ConfigureProvider.
#[test]
fn unknown_default_tags_are_left_out() {
    let config = Config {
        default_tags: Some(DefaultTags {
            tags: BTreeMap::from([("env", "dev"), ("owner", "later")]),
        }),
        ..Config::default()
    };
    let mut value = conform(
        to_value(&config).unwrap_or(Value::Null),
        &schema().value_type(),
    );
    if let Value::Object(attributes) = &mut value
        && let Some(Value::Object(block)) = attributes.get_mut("default_tags")
        && let Some(Value::Map(tags)) = block.get_mut("tags")
    {
        tags.insert("owner".to_owned(), Value::unknown());
    }
    let parsed = ProviderConfig::from_value(&value)
        .unwrap_or_else(|d| panic!("{:?}", d.iter().collect::<Vec<_>>()));
    assert_eq!(
        parsed.default_tags,
        BTreeMap::from([("env".to_owned(), "dev".to_owned())])
    );
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn unset_limits_and_retry_mode_take_the_defaults() {
    let parsed = read(&Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(parsed.retry_mode, RetryMode::Standard);
    assert_eq!(parsed.max_retries, None);
    assert_eq!(
        parsed.call_limits,
        CallLimits {
            attempt: secs(30),
            operation: secs(120)
        }
    );
}

#[test]
fn limits_and_retry_mode_are_read() {
    let config = Config {
        retry_mode: Some("adaptive"),
        attempt_timeout: Some("45s"),
        operation_timeout: Some("1h"),
        ..Config::default()
    };
    let parsed = read(&config).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(parsed.retry_mode, RetryMode::Adaptive);
    assert_eq!(
        parsed.call_limits,
        CallLimits {
            attempt: secs(45),
            operation: secs(3600)
        }
    );
    let standard = Config {
        retry_mode: Some("standard"),
        operation_timeout: Some("1m30s"),
        ..Config::default()
    };
    let parsed = read(&standard).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(parsed.retry_mode, RetryMode::Standard);
    assert_eq!(
        parsed.call_limits,
        CallLimits {
            attempt: secs(30),
            operation: secs(90)
        }
    );
}

#[test]
fn invalid_limits_and_retry_modes_are_refused() {
    for (config, summary) in [
        (
            Config {
                retry_mode: Some("legacy"),
                ..Config::default()
            },
            "Invalid retry_mode",
        ),
        (
            Config {
                attempt_timeout: Some("30"),
                ..Config::default()
            },
            "Invalid attempt_timeout",
        ),
        (
            Config {
                attempt_timeout: Some("0s"),
                ..Config::default()
            },
            "Invalid attempt_timeout",
        ),
        (
            Config {
                operation_timeout: Some("2h"),
                ..Config::default()
            },
            "Invalid operation_timeout",
        ),
        (
            Config {
                attempt_timeout: Some("3m"),
                operation_timeout: Some("2m"),
                ..Config::default()
            },
            "Invalid attempt_timeout",
        ),
    ] {
        assert_eq!(
            read(&config).err().unwrap_or_default(),
            [summary],
            "{config:?}"
        );
    }
}

/// attempt <= operation is checked only when both are set and known: an unknown one is
/// checked again once Terraform knows it.
#[test]
fn attempt_within_operation_is_checked_when_both_are_known() {
    let config = Config {
        attempt_timeout: Some("3m"),
        operation_timeout: Some("2m"),
        ..Config::default()
    };
    let value = conform(
        to_value(&config).unwrap_or(Value::Null),
        &schema().value_type(),
    );
    let summaries = |value: &Value| -> Vec<String> {
        validate(value).iter().map(|d| d.summary.clone()).collect()
    };
    assert_eq!(summaries(&value), ["Invalid attempt_timeout"]);
    for unknown in ["attempt_timeout", "operation_timeout"] {
        let mut partly_unknown = value.clone();
        if let Value::Object(attributes) = &mut partly_unknown {
            attributes.insert(unknown.to_owned(), Value::unknown());
        }
        assert!(summaries(&partly_unknown).is_empty(), "{unknown}");
    }
}

#[test]
fn the_schema_documents_the_defaults() {
    let block = schema().block;
    let description = |name: &str| {
        block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.description.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert!(description("attempt_timeout").contains("Default `30s`"));
    assert!(description("operation_timeout").contains("Default `2m`"));
    assert!(description("retry_mode").contains("the default"));
    assert_eq!(duration_text(secs(3600)), "1h");
    assert_eq!(duration_text(secs(90)), "90s");
}
