//! Finders and status functions of `todo_fargate_service`, as terraform-provider-aws keeps
//! them beside a resource: the service (whatever its status), its task definition,
//! and the statuses ECS reports as enums.

use aws_sdk_ecs::types::{DeploymentRolloutState, Service, ServiceField, TaskDefinition};

use crate::plugin::CallContext;
use crate::provider::aws_error::{CallError, call};
use crate::provider::config::AwsClients;

/// ECS's service statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    /// Running (or able to run) tasks.
    Active,
    /// Deleted, with tasks still stopping.
    Draining,
    /// Deleted; ECS still reports it for a while.
    Inactive,
}

impl ServiceStatus {
    /// The status of a service ECS reported; an unreported status counts as ACTIVE.
    pub fn of(service: &Service) -> Self {
        match service.status() {
            Some("DRAINING") => ServiceStatus::Draining,
            Some("INACTIVE") => ServiceStatus::Inactive,
            _ => ServiceStatus::Active,
        }
    }

    /// Whether the service still exists (ACTIVE): DRAINING and INACTIVE are deleted.
    pub fn is_live(self) -> bool {
        self == ServiceStatus::Active
    }
}

/// Where the service's current deployment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutStatus {
    /// Tasks of the new revision are still starting.
    InProgress,
    /// The rollout completed (or, where ECS reports no rollout state, one deployment runs
    /// the desired count).
    Completed,
    /// The circuit breaker stopped the rollout, with ECS's reason.
    Failed(String),
    /// The service no longer exists.
    Gone,
    /// ECS does not report the service it has just created yet.
    NotVisibleYet,
}

impl RolloutStatus {
    /// The rollout status of the deployment `id`, the one a create or update started. A
    /// deployment that is no longer PRIMARY before it completed, or that ECS no longer reports,
    /// was replaced: by the circuit breaker's rollback (whose own deployment then completes,
    /// which must not read as success) or by someone else's deployment. Where ECS reports no
    /// rollout state at all, the PRIMARY deployment's status counts, as in [`RolloutStatus::of`].
    pub fn of_deployment(service: &Service, id: &str) -> Self {
        let Some(ours) = service.deployments().iter().find(|d| d.id() == Some(id)) else {
            return RolloutStatus::Failed(format!(
                "deployment {id} was replaced before it completed (ECS no longer reports it)"
            ));
        };
        let primary = ours.status() == Some("PRIMARY");
        match ours.rollout_state() {
            Some(DeploymentRolloutState::Completed) => RolloutStatus::Completed,
            Some(DeploymentRolloutState::Failed) => RolloutStatus::Failed(
                ours.rollout_state_reason()
                    .unwrap_or("no reason given")
                    .to_owned(),
            ),
            Some(_) if !primary => RolloutStatus::Failed(format!(
                "deployment {id} was replaced by another deployment before it completed"
            )),
            Some(_) => RolloutStatus::InProgress,
            None => RolloutStatus::of(service),
        }
    }

    /// The rollout status of the PRIMARY deployment of a service.
    pub fn of(service: &Service) -> Self {
        let primary = service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"));
        match primary.and_then(|d| d.rollout_state()) {
            Some(DeploymentRolloutState::Completed) => RolloutStatus::Completed,
            Some(DeploymentRolloutState::Failed) => RolloutStatus::Failed(
                primary
                    .and_then(|d| d.rollout_state_reason())
                    .unwrap_or("no reason given")
                    .to_owned(),
            ),
            Some(_) => RolloutStatus::InProgress,
            None if service.deployments().len() <= 1
                && service.running_count() == service.desired_count() =>
            {
                RolloutStatus::Completed
            }
            None => RolloutStatus::InProgress,
        }
    }
}

/// The service and its task definition as ECS reports them.
pub struct RemoteService {
    /// The service.
    pub service: Service,
    /// The task definition it runs (ECS reports one for every service).
    pub task_definition: Option<TaskDefinition>,
}

/// The service ECS reports under `name` (or ARN) in `cluster`, whatever its status; `None`
/// when ECS reports no such service or no such cluster. A name can be reported twice (an
/// INACTIVE record and a newer one): the live one wins.
pub async fn find_service(
    clients: &AwsClients,
    cluster: &str,
    name: &str,
    ctx: &CallContext,
) -> Result<Option<Service>, CallError> {
    let request = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .include(ServiceField::Tags);
    let output = match call(ctx, "ecs:DescribeServices", request.send()).await {
        Ok(output) => output,
        Err(error) if error.is(&["ClusterNotFoundException", "ServiceNotFoundException"]) => {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    let services = output.services();
    let named = |s: &&Service| s.service_name() == Some(name) || s.service_arn() == Some(name);
    Ok(services
        .iter()
        .filter(named)
        .find(|s| ServiceStatus::of(s).is_live())
        .or_else(|| services.iter().find(named))
        .cloned())
}

/// The live service with its task definition; `None` when it is gone.
pub async fn find_live_service(
    clients: &AwsClients,
    cluster: &str,
    name: &str,
    ctx: &CallContext,
) -> Result<Option<RemoteService>, CallError> {
    let Some(service) = find_service(clients, cluster, name, ctx)
        .await?
        .filter(|s| ServiceStatus::of(s).is_live())
    else {
        return Ok(None);
    };
    with_task_definition(clients, service, ctx).await.map(Some)
}

/// A service ECS reported, with the task definition it runs (DescribeTaskDefinition).
pub async fn with_task_definition(
    clients: &AwsClients,
    service: Service,
    ctx: &CallContext,
) -> Result<RemoteService, CallError> {
    let task_definition = match service.task_definition() {
        Some(arn) => {
            let request = clients.ecs.describe_task_definition().task_definition(arn);
            call(ctx, "ecs:DescribeTaskDefinition", request.send())
                .await?
                .task_definition()
                .cloned()
        }
        None => None,
    };
    Ok(RemoteService {
        service,
        task_definition,
    })
}
