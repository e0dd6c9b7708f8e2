//! The `todo` provider: its configuration, the AWS clients it builds once configured, and its
//! resources (`todo_ecr_repository`, `todo_ecs_cluster`, `todo_fargate_service`) and data
//! source (`todo_ecr_image`).

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
    Applied, CallContext, DataSource, Diagnostic, Diagnostics, Imported, Provider, Resource,
    Schema, Value,
};

pub mod aws_error;
pub mod config;
pub mod docs;
pub mod ecr_image;
pub mod ecr_repository;
pub mod ecs_cluster;
#[cfg(test)]
mod fake_aws;
pub mod fargate_service;
pub mod tags;
pub mod test_hooks;
pub mod validate;

use aws_error::{CallError, classify};
use config::{AwsClients, ProviderConfig};

/// The provider's source address, as configurations name it (`source = "todo/todo"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/todo/todo";

/// The configured AWS clients, shared by every resource; set once by ConfigureProvider.
#[derive(Debug, Default)]
pub struct ClientSlot(OnceLock<AwsClients>);

impl ClientSlot {
    /// The clients and a model read from `value` (a plan or state), or what went wrong.
    pub fn with_model<M: DeserializeOwned>(
        &self,
        value: &Value,
    ) -> Result<(&AwsClients, M), Diagnostics> {
        let clients = self.get()?;
        Ok((clients, from_value(value)?))
    }

    /// The provider's default tags; none before ConfigureProvider (a plan of a configuration
    /// whose provider block is not yet known).
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.0
            .get()
            .map(|c| c.default_tags.clone())
            .unwrap_or_default()
    }

    /// The clients, or an error diagnostic if the provider was not configured.
    pub fn get(&self) -> Result<&AwsClients, Diagnostics> {
        self.0.get().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The todo provider was used before Terraform configured it. This is a bug in \
                 Terraform or the provider.",
            )
            .into()
        })
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

/// Reads an object back after a write, so that the state records what the write did: "not
/// found" is asked again for up to `grace` (after a create: [`CREATE_VISIBILITY_GRACE`] or
/// [`UNCERTAIN_CREATE_GRACE`]; after other writes: zero); transient errors are retried for a
/// bounded time. `find` should
/// run its calls under [`CallContext::detached`], so that StopProvider does not interrupt the
/// read that records a finished write.
pub async fn read_back<T, F, Fut>(grace: Duration, mut find: F) -> Result<Option<T>, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CallError>>,
{
    let detached = CallContext::detached();
    let delays = (Duration::from_millis(500), Duration::from_secs(5));
    if !grace.is_zero() {
        let visible = Poller::new(grace).delays(delays.0, delays.1);
        match visible.until_found(&detached, &mut find, classify).await {
            Ok(found) => return Ok(Some(found)),
            Err(WaitError::Failed(error)) => return Err(error),
            // Still not reported after the grace: the read below tells "gone" from "cannot
            // tell".
            Err(_) => {}
        }
    }
    // Any answer ends this wait; only transient errors make it poll again.
    let retried = Poller::new(READ_BACK_TIME).delays(delays.0, delays.1);
    let found = std::sync::Mutex::new(None);
    let refresh = || {
        let lookup = find();
        let found = &found;
        async move {
            let object = lookup.await?;
            let gone = object.is_none();
            if let Ok(mut slot) = found.lock() {
                *slot = object;
            }
            Ok(gone)
        }
    };
    match retried
        .until(&detached, &[], &[true, false], refresh, classify)
        .await
    {
        Ok(_) => Ok(found.into_inner().ok().flatten()),
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
        let parsed = match ProviderConfig::from_value(config) {
            Ok(parsed) => parsed,
            Err(diagnostics) => return diagnostics,
        };
        tracing::debug!(terraform_version, region = ?parsed.region, "configuring provider");
        let clients = config::build_clients(parsed).await;
        match clients {
            Ok(clients) => {
                // A second ConfigureProvider in the same process keeps the first clients.
                let _ = self.clients.0.set(clients);
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
}
