//! The `todo` provider: its configuration, the AWS clients it builds once configured, and its
//! resources (`todo_ecr_repository`, `todo_ecs_cluster`, `todo_fargate_service`), data
//! source (`todo_ecr_image`) and action (`todo_fargate_service_redeploy`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::plugin::model::{from_value, to_value};
use crate::plugin::poll::{Poller, WaitError};
use crate::plugin::{
    Applied, CallContext, DataSource, Diagnostic, Diagnostics, Imported, Known, Provider, Resource,
    Schema, Value,
};

pub mod aws_error;
pub mod config;
pub mod docs;
pub mod ecr_authorization_token;
pub mod ecr_image;
pub mod ecr_repository;
pub mod ecs_cluster;
#[cfg(test)]
mod fake_aws;
pub mod fargate_service;
pub mod fargate_service_redeploy;
pub mod functions;
pub mod identity;
pub mod listing;
pub mod tags;
pub mod test_hooks;
pub mod validate;

use aws_error::{CallError, classify};
use config::{AwsClients, ProviderConfig};

/// The provider's source address, as configurations name it (`source = "todo/todo"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/todo/todo";

/// What ConfigureProvider left behind.
#[derive(Debug)]
enum Configured {
    /// The settings that say where and how to call AWS are known: the clients. During a plan
    /// `default_tags` may still be unknown (`default_tags_known` false).
    Ready {
        /// The clients.
        clients: AwsClients,
        /// Whether `default_tags` was known.
        default_tags_known: bool,
    },
    /// Settings that say where or how to call AWS (`region`, `endpoints`, credentials, …)
    /// depend on values known only at apply: no call is sent to a guessed region during this
    /// plan, and the values that depend on them are planned unknown.
    Unknown {
        /// The settings not known yet.
        settings: Vec<&'static str>,
        /// The default tags, when they are known themselves.
        default_tags: Known<BTreeMap<String, String>>,
    },
}

/// The configured AWS clients, shared by every resource; set once by ConfigureProvider.
#[derive(Debug, Default)]
pub struct ClientSlot(OnceLock<Configured>);

impl ClientSlot {
    /// Records what ConfigureProvider found; a second call in the same process keeps the first.
    fn configure(&self, configured: Configured) {
        let _ = self.0.set(configured);
    }

    /// A slot holding `clients`, as a fully known configuration leaves it (for unit tests).
    #[cfg(test)]
    pub(crate) fn ready(clients: AwsClients) -> Self {
        let slot = Self::default();
        slot.configure(Configured::Ready {
            clients,
            default_tags_known: true,
        });
        slot
    }

    /// The clients and a model read from `value` (a plan or state), or what went wrong.
    pub fn with_model<M: DeserializeOwned>(
        &self,
        value: &Value,
    ) -> Result<(&AwsClients, M), Diagnostics> {
        let clients = self.get()?;
        Ok((clients, from_value(value)?))
    }

    /// The provider's default tags as a plan sees them: unknown while the `default_tags` block
    /// depends on values known only at apply; none before ConfigureProvider.
    pub fn default_tags(&self) -> Known<BTreeMap<String, String>> {
        match self.0.get() {
            Some(Configured::Ready {
                clients,
                default_tags_known: true,
            }) => Known::Value(clients.default_tags.clone()),
            Some(Configured::Ready { .. }) => Known::Unknown,
            Some(Configured::Unknown { default_tags, .. }) => default_tags.clone(),
            None => Known::Value(BTreeMap::new()),
        }
    }

    /// The clients a plan may call AWS with; `None` when the provider's connection settings
    /// are not known yet (or it is not configured), so checks that need AWS wait for apply.
    pub fn for_plan(&self) -> Option<&AwsClients> {
        match self.0.get() {
            Some(Configured::Ready { clients, .. }) => Some(clients),
            _ => None,
        }
    }

    /// The clients; `Ok(None)` while the connection settings are not known yet, so that
    /// nothing is read from a guessed region: a refresh keeps the state as it is, an
    /// ephemeral resource opens with unknown values (Terraform opens it again at apply).
    pub fn if_known(&self) -> Result<Option<&AwsClients>, Diagnostics> {
        match self.0.get() {
            Some(Configured::Unknown { settings, .. }) => {
                crate::log_warn!(
                    ?settings,
                    "provider settings are not known yet; no AWS call until they are"
                );
                Ok(None)
            }
            _ => self.get().map(Some),
        }
    }

    /// The clients, or an error diagnostic if the provider was not configured or its
    /// connection settings are not known yet.
    pub fn get(&self) -> Result<&AwsClients, Diagnostics> {
        match self.0.get() {
            Some(Configured::Ready { clients, .. }) => Ok(clients),
            Some(Configured::Unknown { settings, .. }) => Err(Diagnostic::error(
                "Provider configuration not known yet",
                format!(
                    "The provider settings {} depend on values Terraform knows only after \
                     apply, so the provider cannot call AWS yet. Apply the resources they depend \
                     on first (terraform apply -target=...), or set them from known values.",
                    settings.join(", ")
                ),
            )
            .into()),
            None => Err(Diagnostic::error(
                "Provider not configured",
                "The todo provider was used before Terraform configured it. This is a bug in \
                 Terraform or the provider.",
            )
            .into()),
        }
    }
}

/// How long an object may stay invisible to reads right after its create call answered (ECS
/// and ECR reads are eventually consistent) before a read-back concludes that it is gone.
pub const CREATE_VISIBILITY_GRACE: Duration = Duration::from_secs(60);

/// How long a read-back looks for an object whose create call failed without a clear answer
/// (a lost answer, a 5xx): long enough for eventual consistency, short enough that a create
/// that really failed is reported soon.
pub const UNCERTAIN_CREATE_GRACE: Duration = Duration::from_secs(10);

/// How long a read-back polls through transient errors (throttling, 5xx, time-outs).
const READ_BACK_TIME: Duration = Duration::from_secs(60);

/// Reads an object back after a write, so that the state records what the write did. After a
/// create (`grace` of [`CREATE_VISIBILITY_GRACE`] or [`UNCERTAIN_CREATE_GRACE`]), "not found"
/// and transient errors are asked again until the grace ends; after other writes (`grace`
/// zero), transient errors are retried for `READ_BACK_TIME`. An error means "cannot tell". `find` should
/// run its calls under [`CallContext::detached`], so that StopProvider does not interrupt the
/// read that records a finished write.
pub async fn read_back<T, F, Fut>(grace: Duration, find: F) -> Result<Option<T>, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CallError>>,
{
    let detached = CallContext::detached();
    let delays = (Duration::from_millis(500), Duration::from_secs(5));
    if !grace.is_zero() {
        let visible = Poller::new(grace).delays(delays.0, delays.1);
        return match visible.until_found(&detached, find, classify).await {
            Ok(found) => Ok(Some(found)),
            Err(WaitError::Failed(error))
            | Err(WaitError::Timeout {
                last_error: Some(error),
                ..
            }) => Err(error),
            // Not reported within the grace: it does not exist.
            Err(_) => Ok(None),
        };
    }
    // Any answer ends this wait; only transient errors make it poll again.
    let retried = Poller::new(READ_BACK_TIME).delays(delays.0, delays.1);
    match retried
        .until_answer(&detached, find, |_| true, classify)
        .await
    {
        Ok(found) => Ok(found),
        Err(WaitError::Failed(error))
        | Err(WaitError::Timeout {
            last_error: Some(error),
            ..
        }) => Err(error),
        Err(_) => Ok(None),
    }
}

/// The state of an object as it now is: what a finder found, flattened; `None` when it is
/// gone. A failed read is an error with `summary`.
pub fn state_of<T, M: Serialize>(
    found: Result<Option<T>, CallError>,
    summary: &str,
    flatten: impl FnOnce(&T) -> M,
) -> Result<Option<Value>, Diagnostics> {
    match found {
        Ok(Some(found)) => Ok(Some(to_value(&flatten(&found))?)),
        Ok(None) => Ok(None),
        Err(error) => Err(error.diagnostic(summary).into()),
    }
}

/// The state of an object found for `terraform import`, flattened; an error naming `what`
/// (such as "ECS cluster") when it was not found (`missing` says where it was looked for) or
/// could not be read.
pub fn imported<T, M: Serialize>(
    found: Result<Option<T>, CallError>,
    what: &str,
    missing: String,
    flatten: impl FnOnce(&T) -> M,
) -> Result<Imported, Diagnostics> {
    let state = state_of(found, &format!("Cannot import {what}"), flatten)?;
    let state = state.ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            format!("Cannot import non-existent {what}"),
            missing,
        ))
    })?;
    Ok(state.into())
}

/// What an in-place update records: the object as it now is (`state`, read back whatever
/// happened), the prior state when it could not be read, and nothing when it is gone. `what`
/// names the object in errors, such as "ECS cluster".
pub fn update_outcome(
    result: Result<(), CallError>,
    state: Result<Option<Value>, Diagnostics>,
    prior: &Value,
    what: &str,
    name: &str,
) -> Applied {
    match (result, state) {
        (Ok(()), Ok(Some(state))) => Applied::ok(state),
        (Ok(()), Ok(None)) => Applied::failed(
            None,
            Diagnostic::error(
                format!("The {what} vanished"),
                format!("{name:?} no longer exists."),
            ),
        ),
        (Err(error), Ok(state)) => Applied::failed(
            state.or_else(|| Some(prior.clone())),
            error.diagnostic(&format!("Cannot update {what}")),
        ),
        (_, Err(d)) => Applied::failed(Some(prior.clone()), d),
    }
}

/// The `todo` provider.
#[derive(Debug, Default)]
pub struct TodoProvider {
    clients: Arc<ClientSlot>,
}

impl TodoProvider {
    /// An unconfigured provider.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Provider for TodoProvider {
    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, config: &Value, terraform_version: &str) -> Diagnostics {
        let unknown = config::unknown_settings(config);
        let connection_unknown: Vec<&'static str> = unknown
            .iter()
            .copied()
            .filter(|setting| *setting != "default_tags")
            .collect();
        if !connection_unknown.is_empty() {
            crate::log_info!(settings = ?unknown, "provider settings not known yet; no AWS call during this plan");
            let default_tags = if unknown.contains(&"default_tags") {
                Known::Unknown
            } else {
                Known::Value(config::known_default_tags(config))
            };
            self.clients.configure(Configured::Unknown {
                settings: unknown,
                default_tags,
            });
            return Diagnostics::new();
        }
        let parsed = match ProviderConfig::from_value(config) {
            Ok(parsed) => parsed,
            Err(diagnostics) => return diagnostics,
        };
        crate::log_debug!(terraform_version, region = ?parsed.region, "configuring provider");
        match config::build_clients(parsed).await {
            Ok(clients) => {
                self.clients.configure(Configured::Ready {
                    clients,
                    default_tags_known: unknown.is_empty(),
                });
                Diagnostics::new()
            }
            Err(diagnostics) => diagnostics,
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(ecr_repository::EcrRepository::new(self.clients.clone())),
            Arc::new(ecs_cluster::EcsCluster::new(self.clients.clone())),
            Arc::new(fargate_service::FargateService::new(self.clients.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(ecr_image::EcrImage::new(self.clients.clone()))]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn crate::plugin::EphemeralResource>> {
        vec![Arc::new(
            ecr_authorization_token::EcrAuthorizationToken::new(self.clients.clone()),
        )]
    }

    fn list_resources(&self) -> Vec<Arc<dyn crate::plugin::ListResource>> {
        vec![
            Arc::new(ecr_repository::EcrRepositoryList::new(self.clients.clone())),
            Arc::new(ecs_cluster::EcsClusterList::new(self.clients.clone())),
            Arc::new(fargate_service::FargateServiceList::new(
                self.clients.clone(),
            )),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn crate::plugin::Function>> {
        vec![
            Arc::new(functions::ImageUriFunction),
            Arc::new(functions::ParseImageUriFunction),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn crate::plugin::Action>> {
        vec![Arc::new(
            fargate_service_redeploy::FargateServiceRedeploy::new(self.clients.clone()),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::ResourcePlan;

    /// A provider block with `region` unknown (it depends on another resource).
    fn unknown_region() -> Value {
        let mut config = crate::plugin::model::conform(
            Value::Object(crate::plugin::Attributes::new()),
            &config::schema().value_type(),
        );
        if let Value::Object(attributes) = &mut config {
            attributes.insert("region".into(), Value::unknown());
        }
        config
    }

    #[tokio::test]
    async fn unknown_connection_settings_send_no_call_and_keep_the_state() {
        let provider = TodoProvider::new();
        let diagnostics = provider.configure(&unknown_region(), "1.15.5").await;
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(provider.clients.for_plan().is_none(), "no AWS call at plan");
        assert!(
            matches!(provider.clients.if_known(), Ok(None)),
            "state kept"
        );
        let error = provider
            .clients
            .get()
            .expect_err("no clients to apply with");
        let text = format!("{error:?}");
        assert!(text.contains("region"), "{text}");
        assert_eq!(
            provider.clients.default_tags(),
            Known::Value(BTreeMap::new())
        );
    }

    #[test]
    fn unknown_default_tags_plan_tags_all_unknown() {
        let mut plan = ResourcePlan {
            prior: None,
            config: Value::Null,
            planned: Value::Object(crate::plugin::Attributes::from([
                ("tags".to_owned(), Value::Null),
                ("tags_all".to_owned(), Value::unknown()),
            ])),
            requires_replace: vec![],
            private: Default::default(),
        };
        tags::plan_tags_all(&mut plan, &Known::Unknown).unwrap();
        assert!(plan.planned("tags_all").is_unknown());
        tags::plan_tags_all(
            &mut plan,
            &Known::Value(BTreeMap::from([("a".into(), "b".into())])),
        )
        .unwrap();
        assert!(!plan.planned("tags_all").is_unknown());
    }

    /// Every string attribute a configuration sets, with its path, in `block`.
    fn configurable_strings<'a>(
        block: &'a crate::plugin::Block,
        path: &str,
        found: &mut Vec<(String, &'a crate::plugin::Attribute)>,
    ) {
        use crate::plugin::schema::AttributeMode;
        for attribute in &block.attributes {
            if attribute.ty == crate::plugin::Type::String
                && attribute.mode != AttributeMode::Computed
            {
                found.push((format!("{path}{}", attribute.name), attribute));
            }
        }
        for nested in &block.blocks {
            configurable_strings(&nested.block, &format!("{path}{}.", nested.name), found);
        }
    }

    #[test]
    fn empty_strings_are_refused_at_validate_never_turned_into_null() {
        // What a configuration sets is what the state records: an optional string given as
        // "" would read back from AWS as unset (null), so every one refuses "" at validate.
        let provider = TodoProvider::new();
        let mut schemas: Vec<(&str, Schema)> = provider
            .resources()
            .iter()
            .map(|r| (r.type_name(), r.schema()))
            .collect();
        schemas.extend(
            provider
                .data_sources()
                .iter()
                .map(|d| (d.type_name(), d.schema())),
        );
        schemas.extend(
            provider
                .actions()
                .iter()
                .map(|a| (a.type_name(), a.schema())),
        );
        let mut accepted = Vec::new();
        for (type_name, schema) in &schemas {
            let mut strings = Vec::new();
            configurable_strings(&schema.block, "", &mut strings);
            for (path, attribute) in strings {
                let empty = Value::from("");
                let refused = attribute
                    .validators
                    .iter()
                    .any(|v| !v.check(&empty).is_empty());
                if !refused {
                    accepted.push(format!("{type_name}.{path}"));
                }
            }
        }
        assert!(accepted.is_empty(), "these accept \"\": {accepted:?}");
    }
}
