//! Destroying a cluster: DeleteCluster, tried again while the services and tasks of a service
//! destroyed just before are still on their way out, and refused at once with a clear error
//! while an ACTIVE service still runs in it.

use std::time::Duration;

use super::find::active_services;
use crate::plugin::poll::{ErrorKind, Poller, WaitError};
use crate::plugin::resource::stopped_diagnostic;
use crate::plugin::{CallContext, Diagnostic, Diagnostics};
use crate::provider::aws_error::{CallError, call, classify};
use crate::provider::config::AwsClients;

/// How long destroy waits for services and tasks that are on their way out (DRAINING services,
/// stopping tasks) before giving up, as terraform-provider-aws does.
const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

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
            crate::log_info!(cluster = %name, %error, "waiting for the cluster's services and tasks to stop");
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

/// Deletes the cluster `name`, waiting for services and tasks that are stopping; what went
/// wrong as diagnostics (none when it is gone).
pub(super) async fn delete_cluster(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Diagnostics {
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
        Err(WaitError::Failed(DeleteError::InUse(error))) => still_in_use(name, &error.to_string()),
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
