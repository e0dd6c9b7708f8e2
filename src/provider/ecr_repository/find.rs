//! The finder: the repository as ECR reports it (DescribeRepositories), with its lifecycle
//! policy (GetLifecyclePolicy) and its tags (ListTagsForResource), those two read at once.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::Repository;

use crate::plugin::CallContext;
use crate::provider::aws_error::{CallError, call};
use crate::provider::config::AwsClients;
use crate::provider::tags;

/// A repository as ECR reports it.
#[derive(Debug, Clone)]
pub(super) struct FoundRepository {
    /// The repository's name.
    pub(super) name: String,
    /// What DescribeRepositories reports.
    pub(super) repository: Repository,
    /// The lifecycle policy text; `None` when the repository has none.
    pub(super) lifecycle_policy: Option<String>,
    /// All its tags.
    pub(super) tags: BTreeMap<String, String>,
}

/// Reads the repository named `name`; `None` when it does not exist.
pub(super) async fn find_repository(
    clients: &AwsClients,
    name: &str,
    ctx: &CallContext,
) -> Result<Option<FoundRepository>, CallError> {
    let request = clients.ecr.describe_repositories().repository_names(name);
    let repository = match call(ctx, "ecr:DescribeRepositories", request.send()).await {
        Ok(output) => match output
            .repositories()
            .iter()
            .find(|r| r.repository_name() == Some(name))
        {
            Some(repository) => repository.clone(),
            None => return Ok(None),
        },
        Err(error) if error.is(&["RepositoryNotFoundException"]) => return Ok(None),
        Err(error) => return Err(error),
    };
    // The policy and the tags are read side by side: one round trip, not two.
    let lifecycle_policy = async {
        let request = clients.ecr.get_lifecycle_policy().repository_name(name);
        match call(ctx, "ecr:GetLifecyclePolicy", request.send()).await {
            Ok(output) => Ok(output.lifecycle_policy_text().map(str::to_owned)),
            Err(error) if error.is(&["LifecyclePolicyNotFoundException"]) => Ok(None),
            Err(error) => Err(error),
        }
    };
    let arn = repository.repository_arn().unwrap_or_default();
    let tags = tags::list_ecr_tags(clients, arn, ctx);
    // Boxed: the SDK's futures are large, and the callers' (read-back polls) deep.
    let (lifecycle_policy, tags) = tokio::try_join!(Box::pin(lifecycle_policy), Box::pin(tags))?;
    Ok(Some(FoundRepository {
        name: name.to_owned(),
        repository,
        lifecycle_policy,
        tags,
    }))
}
