//! `todo_ecs_cluster`: the ECS cluster that Fargate services run in. The schema and the
//! model come first, then the finder and status, then the Resource implementation.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};
use serde::{Deserialize, Serialize};

use super::aws_error::{CallError, call, classify};
use super::config::AwsClients;
use super::tags;
use super::validate;
use super::{
    CREATE_VISIBILITY_GRACE, ClientSlot, identity, imported, read_back, state_of, test_hooks,
    update_outcome,
};
use crate::plugin::model::from_value;
use crate::plugin::poll::{ErrorKind, Poller, WaitError};
use crate::plugin::resource::stopped_diagnostic;
use crate::plugin::{
    Applied, Attribute, Block, CallContext, Diagnostic, Diagnostics, IdentitySchema, Imported,
    Known, Private, Resource, ResourcePlan, Schema, Type, Value, after_create,
};

mod list;

pub use list::EcsClusterList;

/// How long destroy waits for services and tasks that are on their way out (DRAINING services,
/// stopping tasks) before giving up, as terraform-provider-aws does.
const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

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

fn schema() -> Schema {
    Schema::new(
        Block::new("An ECS cluster for Fargate services.")
            .attribute(
                Attribute::computed("id", Type::String)
                    .stable()
                    .describe("The cluster name."),
            )
            .attribute(
                Attribute::required("name", Type::String)
                    .requires_replace()
                    .validate(validate::ecs_name())
                    .subject("cluster name")
                    .describe("Cluster name."),
            )
            .attribute(
                Attribute::optional("container_insights", Type::Bool)
                    .default(Value::Bool(false))
                    .describe("Enable CloudWatch Container Insights. Updated in place."),
            )
            .attribute(tags::tags_attribute("Tags for the cluster."))
            .attribute(tags::tags_all_attribute(
                "The cluster's tags, including the provider's `default_tags`.",
            ))
            .attribute(
                Attribute::computed("arn", Type::String)
                    .stable()
                    .describe("The cluster ARN."),
            ),
    )
}

/// The cluster as configuration, plan and state hold it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClusterModel {
    id: Known<String>,
    name: String,
    container_insights: bool,
    tags: Option<BTreeMap<String, String>>,
    tags_all: Known<BTreeMap<String, String>>,
    arn: Known<String>,
}

/// ECS's cluster statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterStatus {
    /// Ready for services.
    Active,
    /// Being created.
    Provisioning,
    /// Being deleted.
    Deprovisioning,
    /// Creation failed.
    Failed,
    /// Deleted; ECS still reports it for a while.
    Inactive,
}

impl ClusterStatus {
    /// Reads ECS's status text; an unreported status counts as ACTIVE.
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some("PROVISIONING") => ClusterStatus::Provisioning,
            Some("DEPROVISIONING") => ClusterStatus::Deprovisioning,
            Some("FAILED") => ClusterStatus::Failed,
            Some("INACTIVE") => ClusterStatus::Inactive,
            _ => ClusterStatus::Active,
        }
    }
}

/// The cluster as ECS reports it.
#[derive(Debug, Clone)]
struct ClusterState {
    name: String,
    arn: String,
    container_insights: bool,
    tags: BTreeMap<String, String>,
}

/// The state to record for a cluster ECS reports: the resource's own tags are told from the
/// default tags by `prior_tags` (the configured tags), as for every resource with `tags_all`.
fn flatten_cluster(
    cluster: &ClusterState,
    prior_tags: Option<&BTreeMap<String, String>>,
    default_tags: &BTreeMap<String, String>,
) -> ClusterModel {
    ClusterModel {
        id: Known::Value(cluster.name.clone()),
        name: cluster.name.clone(),
        container_insights: cluster.container_insights,
        tags: tags::own_tags(&cluster.tags, default_tags, prior_tags),
        tags_all: Known::Value(cluster.tags.clone()),
        arn: Known::Value(cluster.arn.clone()),
    }
}

fn insights_setting(enabled: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if enabled { "enabled" } else { "disabled" })
        .build()
}

/// The live clusters ECS reports under `name` (or ARN), with their tags and settings.
async fn describe_clusters(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<Vec<Cluster>, CallError> {
    let request = clients
        .ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings);
    let output = call(ctx, "ecs:DescribeClusters", request.send()).await?;
    Ok(output
        .clusters()
        .iter()
        .filter(|c| ClusterStatus::parse(c.status()) != ClusterStatus::Inactive)
        .cloned()
        .collect())
}

/// Reads the cluster named `name` (or ARN); `None` when ECS reports no live cluster by it.
async fn find_cluster(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<Option<ClusterState>, CallError> {
    let clusters = describe_clusters(clients, name, ctx).await?;
    let Some(cluster) = clusters
        .iter()
        .find(|c| c.cluster_name() == Some(name) || c.cluster_arn() == Some(name))
    else {
        return Ok(None);
    };
    let container_insights = cluster.settings().iter().any(|s| {
        s.name() == Some(&ClusterSettingName::ContainerInsights)
            && matches!(s.value(), Some("enabled" | "enhanced"))
    });
    Ok(Some(ClusterState {
        name: cluster.cluster_name().unwrap_or(name).to_owned(),
        arn: cluster.cluster_arn().unwrap_or_default().to_owned(),
        container_insights,
        tags: tags::ecs_tag_map(cluster.tags()),
    }))
}

/// How many ACTIVE services the cluster reports (0 when it is gone).
async fn active_services(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<i32, CallError> {
    let clusters = describe_clusters(clients, name, ctx).await?;
    Ok(clusters.iter().map(Cluster::active_services_count).sum())
}

/// Where a DeleteCluster attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deletion {
    /// ECS deleted the cluster (or had none).
    Deleted,
    /// ECS refused because services or tasks are still stopping: try again.
    Draining,
}

/// Why a cluster cannot be deleted.
#[derive(Debug)]
enum DeleteError {
    /// It still runs services or holds container instances.
    InUse(CallError),
    /// Any other failure.
    Call(CallError),
}

/// ECS refuses DeleteCluster with these while services or tasks are still on their way out.
const STILL_STOPPING: [&str; 3] = [
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "UpdateInProgressException",
];

/// One DeleteCluster attempt.
async fn try_delete(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<Deletion, DeleteError> {
    let request = clients.ecs.delete_cluster().cluster(name);
    let error = match call(ctx, "ecs:DeleteCluster", request.send()).await {
        Ok(_) => return Ok(Deletion::Deleted),
        Err(error) if error.is(&["ClusterNotFoundException"]) => return Ok(Deletion::Deleted),
        Err(error) => error,
    };
    if error.is(&["ClusterContainsContainerInstancesException"]) {
        return Err(DeleteError::InUse(error));
    }
    if !error.is(&STILL_STOPPING) {
        return Err(DeleteError::Call(error));
    }
    // ECS refuses while a deleted service is still DRAINING or its tasks are still stopping
    // (a service destroyed just before its cluster): wait for that. An ACTIVE service is not
    // going away: say so at once.
    match active_services(clients, name, ctx).await {
        Ok(0) => {
            tracing::info!(cluster = %name, %error, "waiting for the cluster's services and tasks to stop");
            Ok(Deletion::Draining)
        }
        Ok(_) => Err(DeleteError::InUse(error)),
        Err(other) => Err(DeleteError::Call(other)),
    }
}

fn still_in_use(name: &str, reason: &str) -> Diagnostics {
    Diagnostic::error(
        "Cluster still runs services",
        format!(
            "ECS cluster {name:?} still has services or tasks, so it was not deleted. Destroy its \
             services first (a todo_fargate_service that references the cluster is destroyed \
             before it when both are in one configuration). {reason}"
        ),
    )
    .into()
}

/// The cluster as it now is, for the state after a change or a refresh.
async fn state_after_change(
    clients: &AwsClients,
    model: &ClusterModel,
    ctx: &CallContext,
) -> Result<Option<Value>, Diagnostics> {
    let found = find_cluster(clients, &model.name, ctx).await;
    state_of(found, "Cannot read ECS cluster", |cluster| {
        flatten_cluster(cluster, model.tags.as_ref(), &clients.default_tags)
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

    async fn modify_plan(&self, plan: &mut ResourcePlan, _ctx: &CallContext) -> Diagnostics {
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
        let tags_all = tags::merge(&clients.default_tags, planned.tags.as_ref());
        let request = clients
            .ecs
            .create_cluster()
            .cluster_name(name)
            .settings(insights_setting(planned.container_insights))
            .set_tags(tags::ecs_tags(&tags_all));
        if let Err(error) = call(ctx, "ecs:CreateCluster", request.send()).await {
            return Applied::failed(None, error.diagnostic("Cannot create ECS cluster"));
        }
        tracing::info!(cluster = %name, "created ECS cluster");
        // From here on the cluster exists and reaches the state whatever happens.
        let fallback = planned_value.unknowns_to_null();
        let created = Applied::failed(Some(fallback.clone()), Diagnostics::new());
        after_create(created, async {
            test_hooks::panic_after_create(self.type_name());
            let detached = CallContext::detached();
            let found = read_back(CREATE_VISIBILITY_GRACE, || {
                find_cluster(clients, name, &detached)
            })
            .await;
            let state = state_of(found, "Cannot read ECS cluster", |cluster| {
                flatten_cluster(cluster, planned.tags.as_ref(), &clients.default_tags)
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
        let name = &planned_model.name;
        let result = async {
            let current =
                find_cluster(clients, name, ctx)
                    .await?
                    .ok_or_else(|| CallError::NotFound {
                        what: "ECS cluster",
                        name: name.clone(),
                    })?;
            if current.container_insights != planned_model.container_insights {
                let request = clients
                    .ecs
                    .update_cluster()
                    .cluster(name)
                    .settings(insights_setting(planned_model.container_insights));
                call(ctx, "ecs:UpdateCluster", request.send()).await?;
            }
            let wanted = tags::merge(&clients.default_tags, planned_model.tags.as_ref());
            tags::sync_ecs_tags(clients, &current.arn, &current.tags, &wanted, ctx).await
        }
        .await;
        // Whatever happened, record the cluster as it now is (even after StopProvider).
        let state = state_after_change(clients, &planned_model, &CallContext::detached()).await;
        update_outcome(result, state, prior, "ECS cluster", name)
    }

    async fn delete(&self, prior: &Value, _private: &Private, ctx: &CallContext) -> Diagnostics {
        let (clients, prior) = match self.clients.with_model::<ClusterModel>(prior) {
            Ok(found) => found,
            Err(d) => return d,
        };
        let name = &prior.name;
        let poller =
            Poller::new(DELETE_TIMEOUT).delays(Duration::from_secs(1), Duration::from_secs(10));
        let deleted = poller
            .until(
                ctx,
                &[Deletion::Draining],
                &[Deletion::Deleted],
                || try_delete(clients, name, ctx),
                |error| match error {
                    DeleteError::Call(error) => classify(error),
                    DeleteError::InUse(_) => ErrorKind::Final,
                },
            )
            .await;
        match deleted {
            Ok(_) => Diagnostics::new(),
            Err(WaitError::Failed(DeleteError::InUse(error))) => {
                still_in_use(name, &error.to_string())
            }
            Err(WaitError::Failed(DeleteError::Call(error))) => {
                error.diagnostic("Cannot delete ECS cluster").into()
            }
            Err(WaitError::Timeout { timeout, .. }) => still_in_use(
                name,
                &format!(
                    "Its services and tasks were still stopping after {}s.",
                    timeout.as_secs()
                ),
            ),
            Err(WaitError::Stopped) => stopped_diagnostic().into(),
            Err(WaitError::Unexpected(state)) => Diagnostic::error(
                "Cannot delete ECS cluster",
                format!("Unexpected deletion state {state:?}."),
            )
            .into(),
        }
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
mod tests {
    use super::*;
    use crate::provider::fake_aws::{Answer, FakeAws};

    /// ECS refuses to delete a cluster with an ACTIVE service (no emulator does): the destroy
    /// fails at once with an error that says to destroy the services first.
    #[tokio::test]
    async fn deleting_a_cluster_with_an_active_service_fails_clearly() {
        let fake = FakeAws::default();
        fake.answer(
            "DeleteCluster",
            Answer::error(
                "ClusterContainsServicesException",
                "The Cluster cannot be deleted while Services are active.",
            ),
        );
        fake.answer(
            "DescribeClusters",
            Answer::ok(serde_json::json!({"clusters": [{
                "clusterName": "main", "status": "ACTIVE", "activeServicesCount": 1,
                "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
            }], "failures": []})),
        );
        let clients = fake.start().await.expect("fake endpoint");
        let slot = ClientSlot::ready(clients);
        let cluster = EcsCluster::new(Arc::new(slot));
        let prior = crate::plugin::model::to_value(&ClusterModel {
            id: Known::Value("main".into()),
            name: "main".into(),
            container_insights: false,
            tags: None,
            tags_all: Known::Null,
            arn: Known::Null,
        })
        .unwrap_or(Value::Null);

        let started = std::time::Instant::now();
        let diagnostics = cluster
            .delete(&prior, &Private::default(), &CallContext::default())
            .await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no waiting for an ACTIVE service"
        );
        let text = diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<String>();
        assert!(diagnostics.has_errors());
        assert!(text.contains("Cluster still runs services"), "{text}");
        assert!(text.contains("Destroy its services first"), "{text}");
        let deletes = fake
            .calls()
            .iter()
            .filter(|c| c.operation == "DeleteCluster")
            .count();
        assert_eq!(deletes, 1);
    }
}
