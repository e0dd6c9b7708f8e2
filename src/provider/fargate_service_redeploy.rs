//! `todo_fargate_service_redeploy`: an action that starts a new deployment of the task
//! definition an ECS service already runs (UpdateService with `forceNewDeployment`), so that
//! new tasks pick up what changed outside the task definition: a rotated secret, an image
//! pushed again under the same tag. Run with
//! `terraform apply -invoke=action.todo_fargate_service_redeploy.<name>` or from a resource's
//! `lifecycle { action_trigger { ... } }`.
//!
//! When it waits (the default), it follows its own deployment (by ID) with the shared
//! [`Poller`] until the rollout completes, reporting each change of the deployment's task
//! counts and rollout state as a progress message; a rollout the circuit breaker stops fails
//! with ECS's reason. Throttling and 5xx answers are polled through until the deadline.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};
use serde::Deserialize;

use super::aws_error::{CallError, call, classify};
use super::config::AwsClients;
use super::fargate_service::{ServiceStatus, find_service};
use super::{ClientSlot, validate};
use crate::plugin::model::from_value;
use crate::plugin::poll::{Poller, WaitError};
use crate::plugin::resource::stopped_diagnostic;
use crate::plugin::validator::{Validator, parse_duration};
use crate::plugin::{
    Action, Attribute, AttributePath, Block, CallContext, Diagnostic, Diagnostics, Progress,
    Schema, Type, Value,
};

/// The action's type name.
pub const TYPE_NAME: &str = "todo_fargate_service_redeploy";

/// Whether the action waits for the rollout when the configuration does not say.
pub const DEFAULT_WAIT_FOR_STEADY_STATE: bool = true;

/// How long it waits when the configuration does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// [`DEFAULT_TIMEOUT`] as HCL writes it (the schema's default).
const DEFAULT_TIMEOUT_TEXT: &str = "20m";

/// The `todo_fargate_service_redeploy` action.
pub struct FargateServiceRedeploy {
    clients: Arc<ClientSlot>,
    /// Other delays between status checks (first, longest) than the [`Poller`]'s, for tests.
    delays: Option<(Duration, Duration)>,
}

impl FargateServiceRedeploy {
    /// The action, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self {
            clients,
            delays: None,
        }
    }
}

/// The action's configuration, as an invocation receives it (known).
#[derive(Debug, Deserialize)]
struct RedeployModel {
    cluster: String,
    service: String,
    wait_for_steady_state: Option<bool>,
    timeout: Option<String>,
}

impl RedeployModel {
    fn waits(&self) -> bool {
        self.wait_for_steady_state
            .unwrap_or(DEFAULT_WAIT_FOR_STEADY_STATE)
    }

    /// The wait's time limit (the validator has checked the text).
    fn timeout(&self) -> Duration {
        self.timeout
            .as_deref()
            .and_then(parse_duration)
            .unwrap_or(DEFAULT_TIMEOUT)
    }
}

/// The wait settings of a configuration that may hold unknown values (unknown reads as `None`).
#[derive(Debug, Deserialize)]
struct WaitSettings {
    wait_for_steady_state: Option<bool>,
    timeout: Option<String>,
}

/// The action's configuration schema.
pub fn schema() -> Schema {
    Schema::new(
        Block::new(
            "Starts a new deployment of the task definition an ECS service already runs, as \
             `aws ecs update-service --force-new-deployment` does: new tasks replace the running \
             ones and read secrets, parameters and mutable image tags afresh. Nothing in the \
             Terraform state changes. By default the action waits until the rollout completes, \
             showing its progress, and fails with ECS's reason if the circuit breaker stops it.",
        )
        .attribute(
            Attribute::required("cluster", Type::String)
                .validate(validate::cluster_reference())
                .describe("The service's cluster, by name or ARN."),
        )
        .attribute(
            Attribute::required("service", Type::String)
                .validate(validate::ecs_name())
                .subject("service name")
                .describe("The service name."),
        )
        .attribute(
            Attribute::optional("wait_for_steady_state", Type::Bool)
                .default(Value::Bool(DEFAULT_WAIT_FOR_STEADY_STATE))
                .describe(
                    "Wait until the new deployment's rollout is COMPLETED, reporting its task \
                     counts and rollout state as it goes. Without waiting, the action ends once \
                     ECS has started the deployment.",
                ),
        )
        .attribute(
            Attribute::optional("timeout", Type::String)
                .default(Value::from(DEFAULT_TIMEOUT_TEXT))
                .validate(Validator::Duration)
                .subject("duration")
                .describe(
                    "How long to wait for the rollout, such as `30m`. The deployment goes on in \
                     ECS after a time-out.",
                ),
        ),
    )
}

#[async_trait]
impl Action for FargateServiceRedeploy {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let settings: WaitSettings = match from_value(config) {
            Ok(settings) => settings,
            Err(error) => return error.into(),
        };
        match settings {
            WaitSettings {
                wait_for_steady_state: Some(false),
                timeout: Some(_),
            } => Diagnostic::warning(
                "Timeout without a wait",
                "timeout bounds the wait for the rollout, and wait_for_steady_state = false \
                 turns that wait off: the timeout has no effect.",
            )
            .at(AttributePath::root("timeout"))
            .into(),
            _ => Diagnostics::new(),
        }
    }

    async fn invoke(&self, config: &Value, progress: &Progress, ctx: &CallContext) -> Diagnostics {
        let (clients, model) = match self.clients.with_model::<RedeployModel>(config) {
            Ok(found) => found,
            Err(diagnostics) => return diagnostics,
        };
        let redeploy = Redeploy {
            clients,
            model: &model,
            progress,
            ctx,
        };
        match redeploy.run(self.delays).await {
            Ok(()) => Diagnostics::new(),
            Err(diagnostic) => diagnostic.into(),
        }
    }
}

/// One invocation.
struct Redeploy<'a> {
    clients: &'a AwsClients,
    model: &'a RedeployModel,
    progress: &'a Progress,
    ctx: &'a CallContext,
}

impl Redeploy<'_> {
    /// Starts the deployment and, when configured to, waits for its rollout.
    async fn run(&self, delays: Option<(Duration, Duration)>) -> Result<(), Diagnostic> {
        let RedeployModel {
            cluster, service, ..
        } = self.model;
        let deployment = self.start().await?;
        let id = deployment.id().unwrap_or_default().to_owned();
        self.progress.send(format!(
            "Started deployment {id} of {service:?} in cluster {cluster:?}: task definition {}, \
             {} desired tasks",
            short_task_definition(deployment.task_definition().unwrap_or("(none)")),
            deployment.desired_count(),
        ));
        if !self.model.waits() {
            self.progress.send(
                "Not waiting for the rollout (wait_for_steady_state = false); it goes on in ECS",
            );
            return Ok(());
        }
        let last = self.wait(&id, delays).await?;
        self.progress.send(format!(
            "Deployment {id} completed: {}",
            last.map_or_else(|| "rollout COMPLETED".to_owned(), |s| s.describe())
        ));
        Ok(())
    }

    /// UpdateService with `forceNewDeployment`: a write, so it runs to completion even if
    /// Terraform asks the provider to stop. Returns the new PRIMARY deployment.
    async fn start(&self) -> Result<Deployment, Diagnostic> {
        let RedeployModel {
            cluster, service, ..
        } = self.model;
        let request = self
            .clients
            .ecs
            .update_service()
            .cluster(cluster)
            .service(service)
            .force_new_deployment(true);
        let output = call(self.ctx, "ecs:UpdateService", request.send())
            .await
            .map_err(|error| self.start_error(&error))?;
        output
            .service()
            .and_then(|s| {
                s.deployments()
                    .iter()
                    .find(|d| d.status() == Some("PRIMARY"))
            })
            .filter(|d| d.id().is_some())
            .cloned()
            .ok_or_else(|| {
                Diagnostic::error(
                    "No deployment to follow",
                    format!(
                        "ECS accepted the new deployment of {service:?} but reported no PRIMARY \
                         deployment, so the action cannot follow its rollout."
                    ),
                )
            })
    }

    /// The error for a failed UpdateService, pointing at the attribute at fault.
    fn start_error(&self, error: &CallError) -> Diagnostic {
        let RedeployModel {
            cluster, service, ..
        } = self.model;
        let (hint, path) = if error.is(&["ServiceNotFoundException", "ServiceNotActiveException"]) {
            (
                format!(" ECS has no active service {service:?} in cluster {cluster:?}."),
                Some("service"),
            )
        } else if error.is(&["ClusterNotFoundException"]) {
            (format!(" ECS has no cluster {cluster:?}."), Some("cluster"))
        } else if error.outcome_unknown() {
            (
                " ECS may have started the deployment anyway: check the service's deployments \
                 before running the action again."
                    .to_owned(),
                None,
            )
        } else {
            (String::new(), None)
        };
        let mut detail = error.to_string();
        if !detail.ends_with('.') {
            detail.push('.');
        }
        detail.push_str(&hint);
        let diagnostic = Diagnostic::error("Cannot start a new deployment", detail);
        match path {
            Some(name) => diagnostic.at(AttributePath::root(name)),
            None => diagnostic,
        }
    }

    /// Polls the service until deployment `id` completes; returns the last snapshot seen.
    async fn wait(
        &self,
        id: &str,
        delays: Option<(Duration, Duration)>,
    ) -> Result<Option<Snapshot>, Diagnostic> {
        let RedeployModel {
            cluster, service, ..
        } = self.model;
        let timeout = self.model.timeout();
        let last = std::sync::Mutex::new(None::<Snapshot>);
        let refresh = || {
            let last = &last;
            async move {
                let found = find_service(self.clients, cluster, service, self.ctx).await?;
                let (state, snapshot) = deployment_state(found.as_ref(), id);
                if let Some(snapshot) = snapshot
                    && let Ok(mut last) = last.lock()
                    && last.as_ref() != Some(&snapshot)
                {
                    if state == DeploymentState::InProgress {
                        self.progress
                            .send(format!("Deployment {id}: {}", snapshot.describe()));
                    }
                    *last = Some(snapshot);
                }
                Ok(state)
            }
        };
        let mut poller = Poller::new(timeout);
        if let Some((first, max)) = delays {
            poller = poller.delays(first, max);
        }
        let waited = poller
            .until(
                self.ctx,
                &[DeploymentState::InProgress],
                &[DeploymentState::Completed],
                refresh,
                classify,
            )
            .await;
        let last = last.into_inner().ok().flatten();
        match waited {
            Ok(_) => Ok(last),
            Err(WaitError::Unexpected(DeploymentState::Failed(reason))) => Err(Diagnostic::error(
                "Deployment failed",
                format!(
                    "The deployment {id} of {service:?} failed: {reason}. With the circuit \
                     breaker's rollback enabled, ECS returns the service to its last working \
                     deployment. Check the tasks' stopped reasons and logs."
                ),
            )),
            Err(WaitError::Unexpected(DeploymentState::Replaced)) => Err(Diagnostic::error(
                "Deployment replaced",
                format!(
                    "Another deployment of {service:?} replaced {id} before its rollout \
                     completed (someone updated the service meanwhile); its rollout is no \
                     longer this action's to follow."
                ),
            )),
            Err(WaitError::Unexpected(_)) => Err(Diagnostic::error(
                "Service vanished",
                format!("Service {service:?} disappeared during the deployment {id}."),
            )),
            Err(WaitError::Failed(error)) => Err(error.diagnostic("Cannot watch the deployment")),
            Err(WaitError::Timeout {
                timeout,
                last_error,
                ..
            }) => Err(Diagnostic::error(
                "Timed out waiting for the deployment",
                format!(
                    "The deployment {id} of {service:?} did not complete within {}s{}{}. It goes \
                     on in ECS; raise timeout, or set wait_for_steady_state = false.",
                    timeout.as_secs(),
                    last.map_or_else(String::new, |s| format!(" (last seen: {})", s.describe())),
                    last_error.map_or_else(String::new, |e| format!(" (last error: {e})")),
                ),
            )
            .at(AttributePath::root("timeout"))),
            Err(WaitError::Stopped) => Err(stopped_diagnostic()),
        }
    }
}

/// Where the followed deployment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DeploymentState {
    /// Its tasks are still starting (or the old ones stopping).
    InProgress,
    /// Its rollout completed.
    Completed,
    /// The circuit breaker stopped it, with ECS's reason.
    Failed(String),
    /// A newer deployment took its place before it completed.
    Replaced,
    /// The service is gone.
    ServiceGone,
}

/// What a progress message reports of a deployment: its task counts and rollout state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    running: i32,
    desired: i32,
    pending: i32,
    failed: i32,
    rollout: String,
}

impl Snapshot {
    fn of(deployment: &Deployment) -> Self {
        Self {
            running: deployment.running_count(),
            desired: deployment.desired_count(),
            pending: deployment.pending_count(),
            failed: deployment.failed_tasks(),
            rollout: deployment
                .rollout_state()
                .map_or("not reported", DeploymentRolloutState::as_str)
                .to_owned(),
        }
    }

    /// "2 of 3 tasks running, 1 pending, rollout IN_PROGRESS".
    fn describe(&self) -> String {
        let mut text = format!("{} of {} tasks running", self.running, self.desired);
        if self.pending > 0 {
            text.push_str(&format!(", {} pending", self.pending));
        }
        if self.failed > 0 {
            text.push_str(&format!(", {} failed", self.failed));
        }
        text.push_str(&format!(", rollout {}", self.rollout));
        text
    }
}

/// The state of deployment `id` of `service` (`None`: no such service), and a snapshot of it
/// when ECS still reports it.
fn deployment_state(service: Option<&Service>, id: &str) -> (DeploymentState, Option<Snapshot>) {
    let Some(service) = service.filter(|s| ServiceStatus::of(s).is_live()) else {
        return (DeploymentState::ServiceGone, None);
    };
    let Some(deployment) = service.deployments().iter().find(|d| d.id() == Some(id)) else {
        // ECS drops a deployment once it has no tasks left: a newer one replaced it.
        return (DeploymentState::Replaced, None);
    };
    let snapshot = Snapshot::of(deployment);
    let primary = deployment.status() == Some("PRIMARY");
    let state = match deployment.rollout_state() {
        Some(DeploymentRolloutState::Failed) => DeploymentState::Failed(
            deployment
                .rollout_state_reason()
                .filter(|r| !r.is_empty())
                .unwrap_or("no reason given")
                .to_owned(),
        ),
        Some(DeploymentRolloutState::Completed) => DeploymentState::Completed,
        _ if !primary => DeploymentState::Replaced,
        Some(_) => DeploymentState::InProgress,
        // Where ECS reports no rollout state: done once it alone runs every desired task.
        None if service.deployments().len() == 1
            && deployment.running_count() == deployment.desired_count() =>
        {
            DeploymentState::Completed
        }
        None => DeploymentState::InProgress,
    };
    (state, Some(snapshot))
}

/// `family:revision` of a task definition ARN.
fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, short)| short)
}

#[cfg(test)]
mod tests;
