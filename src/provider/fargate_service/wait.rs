//! The waits of `todo_fargate_service`, all on the shared [`Poller`]: a rollout until its
//! PRIMARY deployment completes, a deletion until ECS reports the service gone, and the read
//! right after a create. Throttling, 5xx answers and time-outs are polled through until the
//! deadline; a service ECS does not report yet right after CreateService (its reads are
//! eventually consistent) is waited for, for at most [`CREATE_VISIBILITY_GRACE`].

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use aws_sdk_ecs::types::Service;

use super::find::{RemoteService, RolloutStatus, ServiceStatus, find_live_service, find_service};
use super::model::{Operation, ServiceModel};
use super::schema::image_tag_path;
use crate::plugin::poll::{Poller, WaitError};
use crate::plugin::resource::stopped_diagnostic;
use crate::plugin::{CallContext, Diagnostic};
use crate::provider::aws_error::{CallError, classify};
use crate::provider::config::AwsClients;
use crate::provider::{CREATE_VISIBILITY_GRACE, read_back};

/// The service a wait is about.
#[derive(Clone, Copy)]
struct WaitTarget<'a> {
    /// The clients to ask ECS with.
    clients: &'a AwsClients,
    /// The cluster, by name or ARN.
    cluster: &'a str,
    /// The service name.
    name: &'a str,
}

impl<'a> WaitTarget<'a> {
    fn of(clients: &'a AwsClients, model: &'a ServiceModel) -> Self {
        Self {
            clients,
            cluster: &model.cluster,
            name: &model.name,
        }
    }
}

/// Polls the service until `status` of what ECS reports (`None`: no such service) is one of
/// `target`, through `pending`, for at most `timeout`.
async fn poll_service<S: PartialEq + std::fmt::Debug>(
    service: WaitTarget<'_>,
    timeout: Duration,
    ctx: &CallContext,
    states: (&[S], &[S]),
    status: impl Fn(Option<&Service>) -> S,
) -> Result<S, WaitError<S, CallError>> {
    let WaitTarget {
        clients,
        cluster,
        name,
    } = service;
    let status = &status;
    let refresh = || async move {
        let service = find_service(clients, cluster, name, ctx).await?;
        Ok(status(service.as_ref()))
    };
    let (pending, target) = states;
    Poller::new(timeout)
        .until(ctx, pending, target, refresh, classify)
        .await
}

/// The service as ECS now reports it after a change, with its task definition; `None` when
/// it is gone. See [`read_back`]: right after a create, not-found is asked again for `grace`.
pub async fn read_service_back(
    clients: &AwsClients,
    model: &ServiceModel,
    grace: Duration,
) -> Result<Option<RemoteService>, CallError> {
    let detached = CallContext::detached();
    read_back(grace, || {
        find_live_service(clients, &model.cluster, &model.name, &detached)
    })
    .await
}

/// The rollout status of a service, [`RolloutStatus::Gone`] once it is deleted.
fn rollout_status(service: Option<&Service>, deployment: Option<&str>) -> RolloutStatus {
    match (service, deployment) {
        (Some(s), Some(id)) if ServiceStatus::of(s).is_live() => {
            RolloutStatus::of_deployment(s, id)
        }
        (Some(s), None) if ServiceStatus::of(s).is_live() => RolloutStatus::of(s),
        _ => RolloutStatus::Gone,
    }
}

/// Waits until the rollout of `deployment` (the one the create or update started; without one,
/// the PRIMARY deployment) completes, and returns the service as the poll that saw it complete
/// reported it; FAILED, or a rollback that replaced it, is an error with ECS's reason, pointing
/// at `image_tag`.
pub async fn wait_for_rollout(
    clients: &AwsClients,
    planned: &ServiceModel,
    operation: Operation,
    deployment: Option<&str>,
    ctx: &CallContext,
) -> Result<Option<Service>, Diagnostic> {
    let service = WaitTarget::of(clients, planned);
    let (name, timeout) = (service.name, planned.timeout(operation));
    let states = (
        &[RolloutStatus::InProgress, RolloutStatus::NotVisibleYet][..],
        &[RolloutStatus::Completed][..],
    );
    // Right after CreateService, ECS may not report the service for a moment.
    let started = Instant::now();
    // The service as the latest poll reported it.
    let last = Mutex::new(None);
    let status = |service: Option<&Service>| {
        if let Ok(mut last) = last.lock() {
            *last = service.cloned();
        }
        rollout_status(service, deployment)
    };
    let status = |service: Option<&Service>| match status(service) {
        RolloutStatus::Gone
            if matches!(operation, Operation::Create)
                && started.elapsed() < CREATE_VISIBILITY_GRACE =>
        {
            RolloutStatus::NotVisibleYet
        }
        status => status,
    };
    let waited = poll_service(service, timeout, ctx, states, status).await;
    crate::log_debug!(service = name, "rollout wait ended");
    match waited {
        Ok(_) => Ok(last.into_inner().ok().flatten()),
        Err(WaitError::Unexpected(RolloutStatus::Failed(reason))) => Err(Diagnostic::error(
            "Deployment failed",
            format!(
                "The deployment of {name:?} failed: {reason}. With the circuit breaker's rollback \
                 enabled, ECS returned the service to its last working revision. Check the tasks' \
                 stopped reasons and logs, fix the image or settings, and apply again."
            ),
        )
        .at(image_tag_path())),
        Err(WaitError::Unexpected(_)) => Err(Diagnostic::error(
            "Service vanished",
            format!("Service {name:?} disappeared during the deployment."),
        )),
        Err(WaitError::Failed(error)) => Err(error.diagnostic("Cannot watch the deployment")),
        Err(WaitError::Timeout {
            timeout,
            last_error,
            ..
        }) => Err(Diagnostic::error(
            "Timed out waiting for the deployment",
            format!(
                "The deployment of {name:?} did not complete within {}s{}. It goes on in ECS; \
                 the next apply waits for it again. Raise the timeouts block or set \
                 wait_for_steady_state = false.",
                timeout.as_secs(),
                last_error.map_or_else(String::new, |e| format!(" (last error: {e})")),
            ),
        )),
        Err(WaitError::Stopped) => Err(stopped_diagnostic()),
    }
}

/// Waits until ECS reports the service INACTIVE or not at all. A DRAINING service still has
/// tasks stopping, and its cluster cannot be deleted until they have.
pub async fn wait_for_deletion(
    clients: &AwsClients,
    prior: &ServiceModel,
    ctx: &CallContext,
) -> Result<(), Diagnostic> {
    let name = prior.name.as_str();
    let timeout = prior.timeout(Operation::Delete);
    let pending = [Some(ServiceStatus::Active), Some(ServiceStatus::Draining)];
    let gone = [None, Some(ServiceStatus::Inactive)];
    let status = |service: Option<&Service>| service.map(ServiceStatus::of);
    let waited = poll_service(
        WaitTarget::of(clients, prior),
        timeout,
        ctx,
        (&pending, &gone),
        status,
    )
    .await;
    crate::log_debug!(service = name, "deletion wait ended");
    match waited {
        Ok(_) => Ok(()),
        Err(WaitError::Failed(error)) => {
            Err(error.diagnostic("Cannot confirm the service was deleted"))
        }
        Err(WaitError::Timeout {
            timeout,
            last_error,
            ..
        }) => Err(Diagnostic::error(
            "Timed out deleting the service",
            format!(
                "ECS still reports {name:?} after {}s{}. Run destroy again to go on waiting.",
                timeout.as_secs(),
                last_error.map_or_else(String::new, |e| format!(" (last error: {e})")),
            ),
        )),
        Err(WaitError::Stopped) => Err(stopped_diagnostic()),
        Err(WaitError::Unexpected(status)) => Err(Diagnostic::error(
            "Cannot confirm the service was deleted",
            format!("ECS reports {name:?} as {status:?}."),
        )),
    }
}
