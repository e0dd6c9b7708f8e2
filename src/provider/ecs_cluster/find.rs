//! Reading clusters back from ECS: DescribeClusters by name or ARN (with TAGS and SETTINGS;
//! capacity providers and the default strategy come with every answer), the finder that the
//! read, import, list and read-backs share, and the count of a cluster's ACTIVE services.

use aws_sdk_ecs::types::{Cluster, ClusterField};

use super::model::{ClusterState, ClusterStatus};
use crate::plugin::CallContext;
use crate::provider::aws_error::{CallError, call};
use crate::provider::config::AwsClients;

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
pub(super) async fn find_cluster(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<Option<ClusterState>, CallError> {
    let clusters = describe_clusters(clients, name, ctx).await?;
    Ok(clusters
        .iter()
        .find(|c| c.cluster_name() == Some(name) || c.cluster_arn() == Some(name))
        .map(|cluster| ClusterState::from_cluster(cluster, name)))
}

/// How many ACTIVE services the cluster reports (0 when it is gone).
pub(super) async fn active_services(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<i32, CallError> {
    let clusters = describe_clusters(clients, name, ctx).await?;
    Ok(clusters.iter().map(Cluster::active_services_count).sum())
}
