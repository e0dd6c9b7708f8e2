//! `todo_ecs_cluster`: the ECS cluster that Fargate services run in, with its capacity
//! providers and default capacity provider strategy. This file holds the Resource
//! implementation; the schema and model are in `model.rs` and `capacity.rs`, the finder in
//! `find.rs`, the writes in `write.rs` and destroy in `delete.rs`.
//!
//! AWS calls per operation: create is one CreateCluster (its answer gives the ARN; everything
//! else the state records is what the successful call was asked to make); a refresh or import
//! is one DescribeClusters; an update is only the writes whose part changed; destroy is one
//! DeleteCluster. A read-back (DescribeClusters) follows only a write whose outcome is not
//! known: a failed update, or a create that failed without a clear answer.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use super::config::AwsClients;
use super::{
    CREATE_VISIBILITY_GRACE, ClientSlot, identity, imported, read_back, state_of, tags, test_hooks,
    update_outcome,
};
use crate::plugin::model::{from_value, patch, to_value};
use crate::plugin::resource::unsupported_state_version;
use crate::plugin::{
    Applied, CallContext, Diagnostic, Diagnostics, IdentitySchema, Imported, Private, Resource,
    ResourcePlan, Schema, Value, after_create,
};

mod capacity;
mod delete;
mod find;
mod list;
mod model;
mod write;

use find::find_cluster;
pub use list::EcsClusterList;
pub use model::{ClusterModel, ClusterStatus};
use model::{flatten_cluster, schema};
use write::{CreateOutcome, create_cluster, update_cluster};

/// The `todo_ecs_cluster` resource.
pub struct EcsCluster {
    clients: Arc<ClientSlot>,
}

impl EcsCluster {
    /// The resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// The attributes a create learns from ECS's answer.
#[derive(Debug, Serialize)]
struct CreatedAttributes<'a> {
    id: &'a str,
    arn: &'a str,
}

/// The state after a CreateCluster that answered with `arn`: the plan, which the call made
/// exactly, with the ID and ARN; `None` if the plan still holds unknown values.
fn state_from_answer(planned: &Value, name: &str, arn: &str) -> Option<Value> {
    let mut state = planned.clone();
    patch(&mut state, &CreatedAttributes { id: name, arn }).ok()?;
    state.is_wholly_known().then_some(state)
}

/// The cluster as it now is, for the state after a change or a refresh; `model` is the
/// configuration's view (see [`flatten_cluster`]).
async fn state_after_change(
    clients: &AwsClients,
    model: &ClusterModel,
    ctx: &CallContext,
) -> Result<Option<Value>, Diagnostics> {
    let found = find_cluster(clients, &model.name, ctx).await;
    state_of(found, "Cannot read ECS cluster", |cluster| {
        flatten_cluster(cluster, Some(model), &clients.default_tags)
    })
}

#[async_trait]
impl Resource for EcsCluster {
    fn type_name(&self) -> &'static str {
        "todo_ecs_cluster"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        capacity::validate_config(config)
    }

    fn upgrade_state(&self, version: i64, mut state: Value) -> Result<Value, Diagnostics> {
        let current = self.schema().version;
        if version != current {
            return Err(unsupported_state_version(
                self.type_name(),
                version,
                current,
            ));
        }
        // States written before the strategy blocks existed have none.
        if let Value::Object(attributes) = &mut state
            && attributes
                .get(capacity::STRATEGY_BLOCK)
                .is_none_or(Value::is_null)
        {
            attributes.insert(capacity::STRATEGY_BLOCK.to_owned(), Value::Set(Vec::new()));
        }
        Ok(state)
    }

    async fn modify_plan(&self, plan: &mut ResourcePlan, _ctx: &CallContext) -> Diagnostics {
        capacity::plan_strategy_defaults(plan);
        let default_tags = self.clients.default_tags();
        tags::plan_tags_all(plan, &default_tags)
            .err()
            .unwrap_or_default()
    }

    async fn create(&self, planned_value: &Value, ctx: &CallContext) -> Applied {
        let (clients, planned) = match self.clients.with_model::<ClusterModel>(planned_value) {
            Ok(found) => found,
            Err(d) => return Applied::failed(None, d),
        };
        let name = &planned.name;
        let fallback = planned_value.unknowns_to_null();
        let answered_arn = match create_cluster(clients, &planned, ctx).await {
            CreateOutcome::Answered(arn) => arn,
            CreateOutcome::Found(found, warning) => {
                let flattened = flatten_cluster(&found, Some(&planned), &clients.default_tags);
                let mut applied = match to_value(&flattened) {
                    Ok(state) => Applied::ok(state),
                    Err(error) => Applied::failed(Some(fallback), error),
                };
                applied.diagnostics.push(warning);
                return applied;
            }
            CreateOutcome::Failed(error) => return Applied::failed(None, error),
            CreateOutcome::Unknown(error) => return Applied::failed(Some(fallback), error),
        };
        crate::log_info!(cluster = %name, "created ECS cluster");
        // From here on the cluster exists and reaches the state whatever happens.
        let created = Applied::failed(Some(fallback.clone()), Diagnostics::new());
        after_create(created, async {
            test_hooks::panic_after_create(self.type_name());
            // CreateCluster made exactly what it was asked for: its answer is the state.
            if let Some(state) = answered_arn
                .as_deref()
                .and_then(|arn| state_from_answer(planned_value, name, arn))
            {
                return Applied::ok(state);
            }
            let detached = CallContext::detached();
            let found = read_back(CREATE_VISIBILITY_GRACE, || {
                find_cluster(clients, name, &detached)
            })
            .await;
            let state = state_of(found, "Cannot read ECS cluster", |cluster| {
                flatten_cluster(cluster, Some(&planned), &clients.default_tags)
            });
            match state {
                Ok(Some(state)) => Applied::ok(state),
                Ok(None) => Applied::failed(
                    None,
                    Diagnostic::error(
                        "Cluster vanished",
                        format!("ECS created {name:?} but does not report it."),
                    ),
                ),
                Err(d) => Applied::failed(Some(fallback), d),
            }
        })
        .await
    }

    async fn read(
        &self,
        state: &Value,
        _private: &mut Private,
        ctx: &CallContext,
    ) -> Result<Option<Value>, Diagnostics> {
        let Some(clients) = self.clients.if_known()? else {
            return Ok(Some(state.clone()));
        };
        let state: ClusterModel = from_value(state)?;
        state_after_change(clients, &state, ctx).await
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        _private: &Private,
        ctx: &CallContext,
    ) -> Applied {
        let (clients, planned_model) = match self.clients.with_model::<ClusterModel>(planned) {
            Ok(found) => found,
            Err(d) => return Applied::failed(Some(prior.clone()), d),
        };
        let prior_model: ClusterModel = match from_value(prior) {
            Ok(model) => model,
            Err(error) => return Applied::failed(Some(prior.clone()), error),
        };
        let name = &planned_model.name;
        let result = update_cluster(clients, &prior_model, &planned_model, ctx).await;
        // Every write succeeded: the cluster is as planned, no read-back needed.
        if result.is_ok() && planned.is_wholly_known() {
            return Applied::ok(planned.clone());
        }
        // Otherwise record the cluster as it now is (even after StopProvider).
        let state = state_after_change(clients, &planned_model, &CallContext::detached()).await;
        let in_use = result
            .as_ref()
            .err()
            .and_then(|error| write::capacity_in_use(name, error));
        match (in_use, state) {
            (Some(refused), Ok(state)) => {
                Applied::failed(Some(state.unwrap_or_else(|| prior.clone())), refused)
            }
            (Some(refused), Err(mut read)) => {
                read.push(refused);
                Applied::failed(Some(prior.clone()), read)
            }
            (None, state) => update_outcome(result, state, prior, "ECS cluster", name),
        }
    }

    async fn delete(&self, prior: &Value, _private: &Private, ctx: &CallContext) -> Diagnostics {
        let (clients, prior) = match self.clients.with_model::<ClusterModel>(prior) {
            Ok(found) => found,
            Err(d) => return d,
        };
        delete::delete_cluster(clients, &prior.name, ctx).await
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Imported, Diagnostics> {
        let clients = self.clients.get()?;
        imported(
            find_cluster(clients, id, ctx).await,
            "ECS cluster",
            format!("ECS has no active cluster {id:?} in this account and region."),
            |cluster| flatten_cluster(cluster, None, &clients.default_tags),
        )
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::named_schema("cluster"))
    }

    fn identity(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        identity::named_identity(&self.clients, state)
    }

    async fn import_by_identity(
        &self,
        identity: &Value,
        ctx: &CallContext,
    ) -> Result<Imported, Diagnostics> {
        let requested = identity::requested_named(&self.clients, identity)?;
        self.import(&requested.name, ctx).await
    }
}

#[cfg(test)]
mod tests;
