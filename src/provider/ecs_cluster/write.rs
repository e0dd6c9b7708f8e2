//! The cluster's writes. A create is one CreateCluster call carrying everything the plan sets,
//! capacity providers and the default strategy included; when it fails without a clear answer,
//! a read-back tells whether it made the cluster. An update sends only the calls whose part of
//! the plan changed (UpdateCluster, PutClusterCapacityProviders, TagResource and
//! UntagResource), comparing the plan with the prior state. PutClusterCapacityProviders is
//! tried again for a while when ECS is still busy with the cluster (an update in progress, a
//! cluster not ACTIVE yet), as terraform-provider-aws does; ECS's refusal to remove a
//! capacity provider a service still uses says what to do instead.

use std::time::Duration;

use super::capacity::expand_strategy;
use super::find::find_cluster;
use super::model::{ClusterModel, ClusterState, insights_setting};
use crate::plugin::poll::{ErrorKind, Poller, WaitError};
use crate::plugin::{CallContext, Diagnostic, Known};
use crate::provider::aws_error::{AwsError, CallError, call};
use crate::provider::config::AwsClients;
use crate::provider::{UNCERTAIN_CREATE_GRACE, read_back, tags};

/// What a CreateCluster call did.
#[derive(Debug)]
pub(super) enum CreateOutcome {
    /// ECS answered: the new cluster's ARN (`None` if the answer left the cluster out).
    Answered(Option<String>),
    /// The call failed, yet the cluster exists: its answer was lost, or the server failed after
    /// creating it (ECS answers a CreateCluster of an existing name with that cluster, so this
    /// is the cluster the call asked for). The create goes on, with the error as a warning.
    Found(ClusterState, Diagnostic),
    /// ECS refused, or no cluster appeared: nothing was created.
    Failed(Diagnostic),
    /// No answer, and ECS cannot be asked: the cluster may exist. It is recorded as planned
    /// (tainted, through the error); the next refresh drops it if it does not exist.
    Unknown(Diagnostic),
}

/// `items`, or `None` when there are none (so that the request leaves the field out).
fn unless_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// CreateCluster with the plan's name, Container Insights setting, tags (over the default
/// tags), capacity providers and default strategy.
pub(super) async fn create_cluster(
    clients: &AwsClients,
    planned: &ClusterModel,
    ctx: &CallContext,
) -> CreateOutcome {
    let summary = "Cannot create ECS cluster";
    let strategy = match expand_strategy(&planned.default_capacity_provider_strategy) {
        Ok(strategy) => strategy,
        Err(error) => return CreateOutcome::Failed(error.diagnostic(summary)),
    };
    let tags_all = tags::merge(&clients.default_tags, planned.tags.as_ref());
    let request = clients
        .ecs
        .create_cluster()
        .cluster_name(&planned.name)
        .settings(insights_setting(planned.container_insights))
        .set_tags(tags::ecs_tags(&tags_all))
        .set_capacity_providers(unless_empty(planned.providers().into_iter().collect()))
        .set_default_capacity_provider_strategy(unless_empty(strategy));
    let error = match call(ctx, "ecs:CreateCluster", request.send()).await {
        Ok(output) => {
            let arn = output.cluster().and_then(|c| c.cluster_arn());
            return CreateOutcome::Answered(arn.map(str::to_owned));
        }
        Err(error) => error,
    };
    let diagnostic = error.diagnostic(summary);
    if !error.outcome_unknown() {
        return CreateOutcome::Failed(diagnostic);
    }
    let detached = CallContext::detached();
    let find = || find_cluster(clients, &planned.name, &detached);
    match read_back(UNCERTAIN_CREATE_GRACE, find).await {
        Ok(Some(found)) => {
            crate::log_warn!(cluster = %planned.name, %error, "CreateCluster failed, yet created the cluster; going on");
            CreateOutcome::Found(found, diagnostic.into_warning())
        }
        Ok(None) => CreateOutcome::Failed(diagnostic),
        Err(read) => {
            crate::log_warn!(cluster = %planned.name, error = %read, "cannot tell whether CreateCluster created the cluster; recording it");
            CreateOutcome::Unknown(diagnostic)
        }
    }
}

/// Brings the cluster from `prior` (the state) to `planned` in place, sending only the calls
/// whose part changed. The prior state's ARN and `tags_all` say what the tags are now; only
/// a state without them (none this provider writes) costs a DescribeClusters first.
pub(super) async fn update_cluster(
    clients: &AwsClients,
    prior: &ClusterModel,
    planned: &ClusterModel,
    ctx: &CallContext,
) -> Result<(), CallError> {
    let name = &planned.name;
    if prior.container_insights != planned.container_insights {
        let request = clients
            .ecs
            .update_cluster()
            .cluster(name)
            .settings(insights_setting(planned.container_insights));
        call(ctx, "ecs:UpdateCluster", request.send()).await?;
    }
    if prior.providers() != planned.providers() || prior.strategy() != planned.strategy() {
        let poller = Poller::new(PUT_RETRY_TIMEOUT);
        put_capacity_providers(clients, planned, poller, ctx).await?;
    }
    let wanted = tags::merge(&clients.default_tags, planned.tags.as_ref());
    let (arn, current) = match (&prior.arn, &prior.tags_all) {
        (Known::Value(arn), Known::Value(current)) => (arn.clone(), current.clone()),
        _ => {
            let found = find_cluster(clients, name, ctx).await?;
            let found = found.ok_or_else(|| CallError::NotFound {
                what: "ECS cluster",
                name: name.clone(),
            })?;
            (found.arn, found.tags)
        }
    };
    tags::sync_ecs_tags(clients, &arn, &current, &wanted, ctx).await
}

/// How long PutClusterCapacityProviders is tried again while ECS is busy with the cluster
/// (terraform-provider-aws waits as long).
const PUT_RETRY_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// ECS's answer while another change to the cluster is under way.
const UPDATE_IN_PROGRESS: &str = "UpdateInProgressException";

/// ECS's answer (a ClientException) while the cluster is not ACTIVE yet.
const NOT_ACTIVE_MESSAGE: &str = "Cluster was not ACTIVE";

/// ECS's answer when a capacity provider to remove is still in use.
const IN_USE: &str = "ResourceInUseException";

/// Whether ECS refused a PutClusterCapacityProviders only because it is still busy with the
/// cluster: trying again later succeeds.
fn busy(error: &CallError) -> bool {
    error.is(&[UPDATE_IN_PROGRESS])
        || (error.is(&["ClientException"]) && error.to_string().contains(NOT_ACTIVE_MESSAGE))
}

/// The capacity providers were put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Put;

/// PutClusterCapacityProviders with the plan's capacity providers and default strategy, tried
/// again while ECS is busy with the cluster, until `poller`'s time limit.
pub(super) async fn put_capacity_providers(
    clients: &AwsClients,
    planned: &ClusterModel,
    poller: Poller,
    ctx: &CallContext,
) -> Result<(), CallError> {
    let strategy = expand_strategy(&planned.strategy())?;
    let put = || {
        let request = clients
            .ecs
            .put_cluster_capacity_providers()
            .cluster(&planned.name)
            .set_capacity_providers(Some(planned.providers().into_iter().collect()))
            .set_default_capacity_provider_strategy(Some(strategy.clone()));
        async move {
            let put = call(ctx, "ecs:PutClusterCapacityProviders", request.send()).await;
            if let Err(error) = &put
                && busy(error)
            {
                crate::log_info!(cluster = %planned.name, %error, "ECS is busy with the cluster; trying again");
            }
            put.map(|_| Put)
        }
    };
    // Only ECS's "busy" answers are tried again here: the SDK's own retries already cover
    // throttling and server errors, and a put that failed otherwise is reported as it is.
    let classify_put = |error: &CallError| {
        if busy(error) {
            ErrorKind::Transient
        } else {
            ErrorKind::Final
        }
    };
    match poller.until(ctx, &[], &[Put], put, classify_put).await {
        Ok(Put) => Ok(()),
        Err(WaitError::Failed(error)) => Err(error),
        Err(WaitError::Timeout {
            last_error: Some(error),
            ..
        }) => Err(error),
        Err(WaitError::Stopped) => Err(CallError::Stopped),
        Err(WaitError::Timeout { timeout, .. }) => Err(CallError::Aws(AwsError::Transport {
            operation: "ecs:PutClusterCapacityProviders",
            detail: format!("no answer within {}s", timeout.as_secs()),
            transient: true,
        })),
        Err(WaitError::Unexpected(Put)) => Ok(()),
    }
}

/// The error of an update that ECS refused because a service still uses a capacity provider
/// the plan removes, with what to do instead; `None` for any other error.
pub(super) fn capacity_in_use(name: &str, error: &CallError) -> Option<Diagnostic> {
    error.is(&[IN_USE]).then(|| {
        Diagnostic::error(
            "Capacity provider still in use",
            format!(
                "ECS refused to change the capacity providers of cluster {name:?}: {error}. A \
                 service still uses the capacity provider: move the services off it first \
                 (their capacity_provider_strategy, or the cluster's default strategy), then \
                 remove it from the cluster in a second apply."
            ),
        )
    })
}
