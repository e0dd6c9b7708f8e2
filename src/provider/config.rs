//! The `provider "todo"` block: its schema, its validation, and the AWS clients built from it
//! in ConfigureProvider (never at process start). Unset settings fall back to aws-config's
//! default chain (environment, profile, SSO, IMDS), including `AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL_ECS`.

use std::collections::BTreeMap;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use serde::Deserialize;

use crate::plugin::model::from_value;
use crate::plugin::validator::validate_block;
use crate::plugin::{
    Attribute, AttributePath, Block, Diagnostic, Diagnostics, Known, NestedBlock, Schema, Type,
    Validator, Value,
};

use super::tags;

/// Retries after the first attempt when `max_retries` is unset.
const DEFAULT_MAX_RETRIES: u32 = 3;

/// The provider's schema.
pub fn schema() -> Schema {
    Schema::new(
        Block::new(
            "Manages ECR repositories and ECS Fargate services. Credentials and region come from \
             the AWS default chain unless set here.",
        )
        .attribute(Attribute::optional("region", Type::String).describe(
            "AWS region, such as `eu-central-1`. Defaults to `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile's region.",
        ))
        .attribute(
            Attribute::optional("profile", Type::String)
                .describe("Named profile from the shared AWS config and credentials files."),
        )
        .attribute(
            Attribute::optional("access_key", Type::String)
                .sensitive()
                .describe("Access key ID. Prefer the default credential chain; set with `secret_key`."),
        )
        .attribute(
            Attribute::optional("secret_key", Type::String)
                .sensitive()
                .describe("Secret access key. Set together with `access_key`."),
        )
        .attribute(
            Attribute::optional("max_retries", Type::Number)
                .validate(Validator::Between(0, 25))
                .describe(&format!(
                    "How many times a throttled or failed AWS call is retried (default \
                     {DEFAULT_MAX_RETRIES})."
                )),
        )
        .block(
            NestedBlock::single(
                "endpoints",
                Block::new("Custom service endpoints, for emulators such as ministack, moto or LocalStack Pro.")
                    .attribute(endpoint_attribute("ecr", "Endpoint URL for ECR."))
                    .attribute(endpoint_attribute("ecs", "Endpoint URL for ECS.")),
            ),
        )
        .block(NestedBlock::single(
            "default_tags",
            Block::new("Tags applied to every resource that supports tags.").attribute(
                tags::tags_attribute("Tags merged into each resource's `tags_all`; resource `tags` win."),
            ),
        )),
    )
}

/// An endpoint URL setting of the `endpoints` block.
fn endpoint_attribute(name: &str, description: &str) -> Attribute {
    Attribute::optional(name, Type::String)
        .validate(Validator::custom(
            "An `http://` or `https://` URL.",
            |url| {
                if url.starts_with("http://") || url.starts_with("https://") {
                    Ok(())
                } else {
                    Err(format!("{url:?} is not an http:// or https:// URL."))
                }
            },
        ))
        .subject("endpoint URL")
        .describe(description)
}

/// The `provider` block as the configuration holds it.
#[derive(Debug, Deserialize)]
struct ConfigModel {
    region: Option<String>,
    profile: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    max_retries: Option<i64>,
    endpoints: Option<EndpointsModel>,
    default_tags: Option<DefaultTagsModel>,
}

/// The `endpoints` block.
#[derive(Debug, Deserialize)]
struct EndpointsModel {
    ecr: Option<String>,
    ecs: Option<String>,
}

/// The `default_tags` block. Terraform configures the provider during plan with values that
/// may not be known yet: a tag whose value is unknown is left out, as before.
#[derive(Debug, Deserialize)]
struct DefaultTagsModel {
    tags: Option<BTreeMap<String, Known<String>>>,
}

/// The static credentials of a configuration that may still hold unknown values.
#[derive(Debug, Deserialize)]
struct CredentialsConfig {
    access_key: Known<String>,
    secret_key: Known<String>,
}

/// A setting that counts only when it is not empty.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The provider configuration, once known.
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    /// AWS region.
    pub region: Option<String>,
    /// Shared config profile.
    pub profile: Option<String>,
    /// Static credentials (access key, secret key).
    pub static_credentials: Option<(String, String)>,
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// ECR endpoint override.
    pub ecr_endpoint: Option<String>,
    /// ECS endpoint override.
    pub ecs_endpoint: Option<String>,
    /// Default tags for every resource.
    pub default_tags: BTreeMap<String, String>,
}

impl ProviderConfig {
    /// Reads a (wholly known) provider configuration, checking it as `terraform validate` does.
    pub fn from_value(config: &Value) -> Result<Self, Diagnostics> {
        let mut diagnostics = validate_block(&schema().block, config, &AttributePath::default());
        diagnostics.extend(validate(config));
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let model: ConfigModel = from_value(config)?;
        let static_credentials = match (non_empty(model.access_key), non_empty(model.secret_key)) {
            (Some(access), Some(secret)) => Some((access, secret)),
            _ => None,
        };
        let (ecr_endpoint, ecs_endpoint) = match model.endpoints {
            Some(endpoints) => (non_empty(endpoints.ecr), non_empty(endpoints.ecs)),
            None => (None, None),
        };
        Ok(Self {
            region: non_empty(model.region),
            profile: non_empty(model.profile),
            static_credentials,
            max_retries: model.max_retries.and_then(|n| u32::try_from(n).ok()),
            ecr_endpoint,
            ecs_endpoint,
            default_tags: model
                .default_tags
                .and_then(|block| block.tags)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(key, value)| value.into_option().map(|value| (key, value)))
                .collect(),
        })
    }
}

/// Checks the rules of the provider configuration that span settings (each setting's own rules
/// are validators in the schema); unknown values are skipped.
pub fn validate(config: &Value) -> Diagnostics {
    let credentials: CredentialsConfig = match from_value(config) {
        Ok(credentials) => credentials,
        Err(error) => return error.into(),
    };
    let (access, secret) = (&credentials.access_key, &credentials.secret_key);
    let mut diagnostics = Diagnostics::new();
    if !access.is_unknown() && !secret.is_unknown() && access.is_null() != secret.is_null() {
        let missing = if access.is_null() {
            AttributePath::root("access_key")
        } else {
            AttributePath::root("secret_key")
        };
        diagnostics.push(Diagnostic::invalid(
            missing,
            "Incomplete static credentials",
            "Set both access_key and secret_key, or neither to use the default credential chain.",
        ));
    }
    diagnostics
}

/// AWS clients and the settings resources need, built once per provider process.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// ECR.
    pub ecr: aws_sdk_ecr::Client,
    /// ECS.
    pub ecs: aws_sdk_ecs::Client,
    /// The region in use (for log configuration and repository URLs).
    pub region: String,
    /// The provider's default tags.
    pub default_tags: BTreeMap<String, String>,
}

/// Builds the AWS clients.
pub async fn build_clients(config: ProviderConfig) -> Result<AwsClients, Diagnostics> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &config.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    if let Some((access, secret)) = &config.static_credentials {
        loader = loader.credentials_provider(aws_sdk_ecr::config::Credentials::new(
            access.clone(),
            secret.clone(),
            None,
            None,
            "terraform-provider-todo",
        ));
    }
    let attempts = config
        .max_retries
        .unwrap_or(DEFAULT_MAX_RETRIES)
        .saturating_add(1);
    loader = loader.retry_config(RetryConfig::standard().with_max_attempts(attempts));
    let shared = loader.load().await;
    let Some(region) = shared.region().map(ToString::to_string) else {
        return Err(Diagnostic::invalid(
            AttributePath::root("region"),
            "No AWS region",
            "Set region in the provider block, or AWS_REGION in the environment, or a region in \
             the AWS profile.",
        )
        .into());
    };
    let mut ecr = aws_sdk_ecr::config::Builder::from(&shared);
    if let Some(url) = &config.ecr_endpoint {
        ecr = ecr.endpoint_url(url);
    }
    let mut ecs = aws_sdk_ecs::config::Builder::from(&shared);
    if let Some(url) = &config.ecs_endpoint {
        ecs = ecs.endpoint_url(url);
    }
    Ok(AwsClients {
        ecr: aws_sdk_ecr::Client::from_conf(ecr.build()),
        ecs: aws_sdk_ecs::Client::from_conf(ecs.build()),
        region,
        default_tags: config.default_tags,
    })
}

#[cfg(test)]
mod tests {
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
        ProviderConfig::from_value(&value)
            .map_err(|d| d.iter().map(|d| d.summary.clone()).collect())
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
}
