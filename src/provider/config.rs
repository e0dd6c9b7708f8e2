//! The `provider "todo"` block: its schema, its validation, and the AWS clients built from it
//! in ConfigureProvider (never at process start). Unset settings fall back to aws-config's
//! default chain (environment, profile, SSO, IMDS), including `AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL_ECS`.

use std::collections::BTreeMap;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;

use crate::plugin::attrs::Attrs;
use crate::plugin::{
    Attribute, AttributePath, Block, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};

use super::tags;

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
        .attribute(Attribute::optional("max_retries", Type::Number).describe(
            "How many times a throttled or failed AWS call is retried (default 3).",
        ))
        .block(
            NestedBlock::single(
                "endpoints",
                Block::new("Custom service endpoints, for emulators such as ministack, moto or LocalStack Pro.")
                    .attribute(Attribute::optional("ecr", Type::String).describe("Endpoint URL for ECR."))
                    .attribute(Attribute::optional("ecs", Type::String).describe("Endpoint URL for ECS.")),
            ),
        )
        .block(NestedBlock::single(
            "default_tags",
            Block::new("Tags applied to every resource that supports tags.").attribute(
                Attribute::optional("tags", Type::map(Type::String))
                    .describe("Tags merged into each resource's `tags_all`; resource `tags` win."),
            ),
        )),
    )
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
    /// Reads a (wholly known) provider configuration.
    pub fn from_value(config: &Value) -> Result<Self, Diagnostics> {
        let diagnostics = validate(config);
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let attrs = Attrs(config);
        let endpoints = attrs.block("endpoints");
        let endpoint = |name: &str| endpoints.and_then(|e| e.non_empty(name));
        let static_credentials =
            match (attrs.non_empty("access_key"), attrs.non_empty("secret_key")) {
                (Some(access), Some(secret)) => Some((access, secret)),
                _ => None,
            };
        Ok(Self {
            region: attrs.non_empty("region"),
            profile: attrs.non_empty("profile"),
            static_credentials,
            max_retries: attrs.i64("max_retries").and_then(|n| u32::try_from(n).ok()),
            ecr_endpoint: endpoint("ecr"),
            ecs_endpoint: endpoint("ecs"),
            default_tags: attrs
                .block("default_tags")
                .and_then(|b| b.string_map("tags"))
                .unwrap_or_default(),
        })
    }
}

/// Checks the provider configuration (unknown values are skipped).
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let attrs = Attrs(config);
    let access = attrs.get("access_key");
    let secret = attrs.get("secret_key");
    if !access.is_unknown() && !secret.is_unknown() && access.is_null() != secret.is_null() {
        let missing = if access.is_null() {
            "access_key"
        } else {
            "secret_key"
        };
        diagnostics.push(Diagnostic::invalid(
            AttributePath::root(missing),
            "Incomplete static credentials",
            "Set both access_key and secret_key, or neither to use the default credential chain.",
        ));
    }
    if let Some(retries) = attrs.i64("max_retries")
        && !(0..=25).contains(&retries)
    {
        diagnostics.push(Diagnostic::invalid(
            AttributePath::root("max_retries"),
            "Invalid max_retries",
            format!("max_retries must be between 0 and 25, got {retries}."),
        ));
    }
    if let Some(endpoints) = attrs.block("endpoints") {
        for service in ["ecr", "ecs"] {
            if let Some(url) = endpoints.string(service)
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                diagnostics.push(Diagnostic::invalid(
                    AttributePath::root("endpoints").attr(service),
                    "Invalid endpoint URL",
                    format!("{url:?} is not an http:// or https:// URL."),
                ));
            }
        }
    }
    if let Some(default_tags) = attrs.block("default_tags") {
        diagnostics.extend(
            #[allow(deprecated)]
            tags::validate_tags(
                &default_tags,
                AttributePath::root("default_tags").attr("tags"),
            ),
        );
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
    let attempts = config.max_retries.unwrap_or(3).saturating_add(1);
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
