//! The `provider "todo"` block: its schema, its validation, and the AWS clients built from it
//! in ConfigureProvider (never at process start). Unset settings fall back to aws-config's
//! default chain (environment, profile, SSO, IMDS), including `AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL_ECS`.
//!
//! - [`limits`]: the time limits and retries of every AWS call;
//! - [`clients`]: the clients built from the configuration;
//! - [`scan_on_push`]: the ECR interceptor that sends a false `scanOnPush` explicitly;
//! - [`unknown`]: which settings are not known yet when Terraform configures the provider.

pub mod clients;
pub mod credentials;
pub mod https_client;
pub mod limits;
pub mod scan_on_push;
#[cfg(test)]
mod tests;
pub mod unknown;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::plugin::model::from_value;
use crate::plugin::validator::{parse_duration, validate_block};
use crate::plugin::{
    Attribute, AttributePath, Block, Diagnostic, Diagnostics, Known, NestedBlock, Schema, Type,
    Validator, Value,
};

use super::tags;

pub use clients::{AwsClients, LazyClient, build_clients};
pub use limits::{CallLimits, RetryMode};
pub use unknown::unknown_settings;

use limits::{DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_OPERATION_TIMEOUT};

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
        .attribute(
            Attribute::optional("retry_mode", Type::String)
                .validate(Validator::OneOf(RetryMode::NAMES))
                .describe(
                    "How retries are spaced: `standard` (jittered exponential backoff; the \
                     default) or `adaptive` (standard, plus a client-side rate limiter that slows \
                     every call down after throttling, for accounts that share their API rate \
                     limits with other tools).",
                ),
        )
        .attribute(timeout_attribute(
            "attempt_timeout",
            &format!(
                "The longest one attempt of an AWS call (one HTTP exchange) may take before it \
                 is abandoned and retried, such as `10s`. Default `{}`, or `operation_timeout` \
                 if that is shorter. ECS and ECR answer in well under a second.",
                duration_text(DEFAULT_ATTEMPT_TIMEOUT)
            ),
        ))
        .attribute(timeout_attribute(
            "operation_timeout",
            &format!(
                "The longest a whole AWS call may take, retries and the waits between them \
                 included, such as `5m`. Default `{}`, or `attempt_timeout` if that is longer. \
                 At least `attempt_timeout`. Raise it with `max_retries` if throttled calls must \
                 keep trying longer.",
                duration_text(DEFAULT_OPERATION_TIMEOUT)
            ),
        ))
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

/// A time-out setting: a duration from 1 s to 1 h.
fn timeout_attribute(name: &str, description: &str) -> Attribute {
    Attribute::optional(name, Type::String)
        .validate(Validator::Duration)
        .validate(limits::timeout_bounds())
        .describe(description)
}

/// A duration as the configuration writes it: `30s`, `2m`, `1h`.
fn duration_text(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
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
    retry_mode: Option<RetryMode>,
    attempt_timeout: Option<String>,
    operation_timeout: Option<String>,
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

impl DefaultTagsModel {
    /// The tags whose values are known.
    fn known(self) -> BTreeMap<String, String> {
        self.tags
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(key, value)| value.into_option().map(|value| (key, value)))
            .collect()
    }
}

/// The known default tags of a provider configuration that may still hold unknown values
/// elsewhere (a tag whose value is unknown is left out).
pub fn known_default_tags(config: &Value) -> BTreeMap<String, String> {
    #[derive(Deserialize)]
    struct DefaultTagsOnly {
        default_tags: Option<DefaultTagsModel>,
    }
    from_value::<DefaultTagsOnly>(config)
        .ok()
        .and_then(|model| model.default_tags)
        .map(DefaultTagsModel::known)
        .unwrap_or_default()
}

/// The settings whose rules span more than one of them, in a configuration that may still hold
/// unknown values.
#[derive(Debug, Deserialize)]
struct PairedSettings {
    access_key: Known<String>,
    secret_key: Known<String>,
    attempt_timeout: Known<String>,
    operation_timeout: Known<String>,
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
    /// How retries are spaced.
    pub retry_mode: RetryMode,
    /// The time limits of every AWS call.
    pub call_limits: CallLimits,
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
            retry_mode: model.retry_mode.unwrap_or_default(),
            call_limits: CallLimits::from_settings(
                model.attempt_timeout.as_deref().and_then(parse_duration),
                model.operation_timeout.as_deref().and_then(parse_duration),
            ),
            ecr_endpoint,
            ecs_endpoint,
            default_tags: model
                .default_tags
                .map(DefaultTagsModel::known)
                .unwrap_or_default(),
        })
    }
}

/// Checks the rules of the provider configuration that span settings (each setting's own rules
/// are validators in the schema): static credentials come in pairs, and an attempt's time limit
/// is not longer than its operation's. Unknown values are skipped.
pub fn validate(config: &Value) -> Diagnostics {
    let settings: PairedSettings = match from_value(config) {
        Ok(settings) => settings,
        Err(error) => return error.into(),
    };
    let (access, secret) = (&settings.access_key, &settings.secret_key);
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
    if let Some(diagnostic) = limits::attempt_longer_than_operation(
        &settings.attempt_timeout,
        &settings.operation_timeout,
    ) {
        diagnostics.push(diagnostic);
    }
    diagnostics
}
