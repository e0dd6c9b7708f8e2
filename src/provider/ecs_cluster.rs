//! `todo_ecs_cluster`: the ECS cluster that Fargate services run in.
//! Schema, validation, plan modification, CRUD and import live together here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName, Tag};

use super::ClientSlot;
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use super::tags;
use crate::plugin::attrs::{self, Attrs};
use crate::plugin::resource::stopped_diagnostic;
use crate::plugin::{
    Applied, Attribute, AttributePath, Block, CallContext, Diagnostic, Diagnostics, Resource,
    ResourcePlan, Schema, Type, Value,
};

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
            .attribute(Attribute::computed("id", Type::String).stable().describe("The cluster name."))
            .attribute(
                Attribute::required("name", Type::String)
                    .requires_replace()
                    .describe("Cluster name (1-255 letters, digits, `-` and `_`). Changing it replaces the cluster."),
            )
            .attribute(
                Attribute::optional("container_insights", Type::Bool)
                    .default(Value::Bool(false))
                    .describe("Enable CloudWatch Container Insights. Updated in place."),
            )
            .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags for the cluster."))
            .attribute(Attribute::computed("tags_all", Type::map(Type::String)).describe(
                "The cluster's tags, including the provider's `default_tags`.",
            ))
            .attribute(Attribute::computed("arn", Type::String).stable().describe("The cluster ARN.")),
    )
}

/// Checks a cluster name: 1-255 letters, digits, hyphens and underscores.
pub fn check_cluster_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid cluster name: use 1-255 letters, digits, '-' and '_'"
        ))
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

impl ClusterState {
    fn to_value(
        &self,
        prior_tags: Option<&BTreeMap<String, String>>,
        default_tags: &BTreeMap<String, String>,
    ) -> Value {
        let own = tags::own_tags(&self.tags, default_tags, prior_tags);
        attrs::object([
            ("id", attrs::string(self.name.clone())),
            ("name", attrs::string(self.name.clone())),
            ("container_insights", Value::Bool(self.container_insights)),
            ("tags", attrs::string_map(own.as_ref())),
            ("tags_all", attrs::string_map(Some(&self.tags))),
            ("arn", attrs::string(self.arn.clone())),
        ])
    }
}

/// ECS tags from a map.
pub fn ecs_tags(tags: &BTreeMap<String, String>) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// A map from ECS tags.
pub fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Brings an ECS resource's tags from `current` to `wanted`.
pub async fn sync_ecs_tags(
    clients: &AwsClients,
    arn: &str,
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
    ctx: &CallContext,
) -> Result<(), CallError> {
    let tags::TagChanges { removed, changed } = tags::changes(current, wanted);
    if !removed.is_empty() {
        call(
            ctx,
            "ecs:UntagResource",
            clients
                .ecs
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send(),
        )
        .await?;
    }
    if !changed.is_empty() {
        call(
            ctx,
            "ecs:TagResource",
            clients
                .ecs
                .tag_resource()
                .resource_arn(arn)
                .set_tags(ecs_tags(&changed))
                .send(),
        )
        .await?;
    }
    Ok(())
}

fn insights_setting(enabled: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if enabled { "enabled" } else { "disabled" })
        .build()
}

impl EcsCluster {
    async fn describe(
        &self,
        clients: &AwsClients,
        name: &str,
        ctx: &CallContext,
    ) -> Result<Option<ClusterState>, CallError> {
        let output = call(
            ctx,
            "ecs:DescribeClusters",
            clients
                .ecs
                .describe_clusters()
                .clusters(name)
                .include(ClusterField::Tags)
                .include(ClusterField::Settings)
                .send(),
        )
        .await?;
        let Some(cluster) = output.clusters().iter().find(|c| {
            c.status() != Some("INACTIVE")
                && (c.cluster_name() == Some(name) || c.cluster_arn() == Some(name))
        }) else {
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
            tags: tag_map(cluster.tags()),
        }))
    }

    /// How many ACTIVE services the cluster reports (0 when it is gone).
    async fn active_services(
        &self,
        clients: &AwsClients,
        name: &str,
        ctx: &CallContext,
    ) -> Result<i32, CallError> {
        let output = call(
            ctx,
            "ecs:DescribeClusters",
            clients.ecs.describe_clusters().clusters(name).send(),
        )
        .await?;
        Ok(output
            .clusters()
            .iter()
            .filter(|c| c.status() != Some("INACTIVE"))
            .map(|c| c.active_services_count())
            .sum())
    }

    async fn state_after_change(
        &self,
        clients: &AwsClients,
        name: &str,
        planned: &Value,
        ctx: &CallContext,
    ) -> Result<Option<Value>, CallError> {
        let prior_tags = Attrs(planned).string_map("tags");
        Ok(self
            .describe(clients, name, ctx)
            .await?
            .map(|c| c.to_value(prior_tags.as_ref(), &clients.default_tags)))
    }
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
        let mut diags = Diagnostics::new();
        let attrs = Attrs(config);
        if let Some(name) = attrs.string("name")
            && let Err(reason) = check_cluster_name(&name)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("name"),
                "Invalid cluster name",
                reason,
            ));
        }
        diags.extend(tags::validate_tags(&attrs, AttributePath::root("tags")));
        diags
    }

    async fn modify_plan(&self, plan: &mut ResourcePlan, _ctx: &CallContext) -> Diagnostics {
        let default_tags = self
            .clients
            .get()
            .map(|c| c.default_tags.clone())
            .unwrap_or_default();
        let tags_all = tags::plan_tags_all(&default_tags, plan.planned("tags"));
        plan.set("tags_all", tags_all);
        Diagnostics::new()
    }

    async fn create(&self, planned: &Value, ctx: &CallContext) -> Applied {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return Applied::failed(None, d),
        };
        let attrs = Attrs(planned);
        let name = attrs.string("name").unwrap_or_default();
        let tags_all = tags::merge(&clients.default_tags, attrs.string_map("tags").as_ref());
        let created = call(
            ctx,
            "ecs:CreateCluster",
            clients
                .ecs
                .create_cluster()
                .cluster_name(&name)
                .settings(insights_setting(
                    attrs.bool("container_insights").unwrap_or(false),
                ))
                .set_tags(ecs_tags(&tags_all))
                .send(),
        )
        .await;
        if let Err(error) = created {
            return Applied::failed(None, error.diagnostic("Cannot create ECS cluster"));
        }
        tracing::info!(cluster = %name, "created ECS cluster");
        match self.state_after_change(clients, &name, planned, ctx).await {
            Ok(Some(state)) => Applied::ok(state),
            Ok(None) => Applied::failed(
                None,
                Diagnostic::error(
                    "Cluster vanished",
                    format!("ECS created {name:?} but does not report it."),
                ),
            ),
            Err(error) => {
                Applied::failed(None, error.diagnostic("Cannot read the new ECS cluster"))
            }
        }
    }

    async fn read(&self, state: &Value, ctx: &CallContext) -> Result<Option<Value>, Diagnostics> {
        let clients = self.clients.get()?;
        let Some(name) = Attrs(state).string("name") else {
            return Ok(None);
        };
        self.state_after_change(clients, &name, state, ctx)
            .await
            .map_err(|e| e.diagnostic("Cannot read ECS cluster").into())
    }

    async fn update(&self, prior: &Value, planned: &Value, ctx: &CallContext) -> Applied {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return Applied::failed(Some(prior.clone()), d),
        };
        let attrs = Attrs(planned);
        let name = attrs.string("name").unwrap_or_default();
        let result = async {
            let current = self.describe(clients, &name, ctx).await?.ok_or_else(|| {
                CallError::Build(
                    "cluster update",
                    format!("cluster {name:?} no longer exists"),
                )
            })?;
            let insights = attrs.bool("container_insights").unwrap_or(false);
            if current.container_insights != insights {
                call(
                    ctx,
                    "ecs:UpdateCluster",
                    clients
                        .ecs
                        .update_cluster()
                        .cluster(&name)
                        .settings(insights_setting(insights))
                        .send(),
                )
                .await?;
            }
            let wanted = tags::merge(&clients.default_tags, attrs.string_map("tags").as_ref());
            sync_ecs_tags(clients, &current.arn, &current.tags, &wanted, ctx).await
        }
        .await;
        let state = self.state_after_change(clients, &name, planned, ctx).await;
        match (result, state) {
            (Ok(()), Ok(Some(state))) => Applied::ok(state),
            (Err(error), Ok(state)) => Applied::failed(
                state.or(Some(prior.clone())),
                error.diagnostic("Cannot update ECS cluster"),
            ),
            (Ok(()), Ok(None)) => Applied::failed(
                None,
                Diagnostic::error("Cluster vanished", format!("{name:?} no longer exists.")),
            ),
            (_, Err(error)) => Applied::failed(
                Some(prior.clone()),
                error.diagnostic("Cannot update ECS cluster"),
            ),
        }
    }

    async fn delete(&self, prior: &Value, ctx: &CallContext) -> Diagnostics {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return d,
        };
        let Some(name) = Attrs(prior).string("name") else {
            return Diagnostics::new();
        };
        let still_in_use = |error: &CallError| {
            Diagnostic::error(
                "Cluster still runs services",
                format!(
                    "ECS cluster {name:?} still has services or tasks, so it was not deleted. \
                     Destroy its services first (a todo_fargate_service that references the \
                     cluster is destroyed before it when both are in one configuration). {error}"
                ),
            )
            .into()
        };
        let deadline = tokio::time::Instant::now() + DELETE_TIMEOUT;
        let mut delay = Duration::from_secs(1);
        loop {
            let error = match call(
                ctx,
                "ecs:DeleteCluster",
                clients.ecs.delete_cluster().cluster(&name).send(),
            )
            .await
            {
                Ok(_) => return Diagnostics::new(),
                Err(error) if error.is(&["ClusterNotFoundException"]) => {
                    return Diagnostics::new();
                }
                Err(error) => error,
            };
            let transient = [
                "ClusterContainsServicesException",
                "ClusterContainsTasksException",
                "UpdateInProgressException",
            ];
            if !error.is(&transient) {
                return if error.is(&["ClusterContainsContainerInstancesException"]) {
                    still_in_use(&error)
                } else {
                    error.diagnostic("Cannot delete ECS cluster").into()
                };
            }
            // ECS refuses while a deleted service is still DRAINING or its tasks are still
            // stopping (a service destroyed just before its cluster): wait for that. An ACTIVE
            // service is not going away: say so at once.
            match self.active_services(clients, &name, ctx).await {
                Ok(0) => {}
                Ok(_) => return still_in_use(&error),
                Err(CallError::Stopped) => return stopped_diagnostic().into(),
                Err(other) => return other.diagnostic("Cannot read ECS cluster").into(),
            }
            if tokio::time::Instant::now() + delay > deadline {
                return still_in_use(&error);
            }
            tracing::info!(cluster = %name, %error, "waiting for the cluster's services and tasks to stop");
            tokio::select! {
                () = ctx.cancelled() => return stopped_diagnostic().into(),
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Value, Diagnostics> {
        let clients = self.clients.get()?;
        match self.describe(clients, id, ctx).await {
            Ok(Some(cluster)) => Ok(cluster.to_value(None, &clients.default_tags)),
            Ok(None) => Err(Diagnostic::error(
                "Cannot import non-existent cluster",
                format!("ECS has no active cluster {id:?} in this account and region."),
            )
            .into()),
            Err(error) => Err(error.diagnostic("Cannot import ECS cluster").into()),
        }
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
        let slot = ClientSlot::default();
        let _ = slot.0.set(clients);
        let cluster = EcsCluster::new(Arc::new(slot));
        let prior = attrs::object([("name", attrs::string("main"))]);

        let started = std::time::Instant::now();
        let diagnostics = cluster.delete(&prior, &CallContext::default()).await;
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
