//! The task definition revisions of `todo_fargate_service`: registering the revision that runs
//! the planned image (after checking the image; with `pin_digest`, the digest the plan showed),
//! deregistering the ones the service owns, and observing what a pinned tag points at.

use aws_sdk_ecs::types::{
    Compatibility, CpuArchitecture, NetworkMode, OsFamily, RuntimePlatform, TaskDefinition,
};

use super::model::ServiceModel;
use super::revisions::RegisteredRevisions;
use super::{observed, plan, schema};
use crate::plugin::{CallContext, Diagnostic, Diagnostics, Private};
use crate::provider::aws_error::{CallError, call};
use crate::provider::config::AwsClients;
use crate::provider::tags;

/// Registers the task definition revision that runs `image` in the application container,
/// beside the sidecars; returns it as ECS answered.
pub(super) async fn register_task_definition(
    clients: &AwsClients,
    planned: &ServiceModel,
    image: &str,
    ctx: &CallContext,
) -> Result<TaskDefinition, CallError> {
    let tags_all = tags::merge(&clients.default_tags, planned.tags.as_ref());
    let platform = RuntimePlatform::builder()
        .set_cpu_architecture(
            planned
                .cpu_architecture
                .as_deref()
                .map(CpuArchitecture::from),
        )
        .operating_system_family(OsFamily::Linux)
        .build();
    let request = clients
        .ecs
        .register_task_definition()
        .family(planned.family())
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .set_cpu(planned.cpu.map(|cpu| cpu.to_string()))
        .set_memory(planned.memory.map(|memory| memory.to_string()))
        .runtime_platform(platform)
        .set_execution_role_arn(planned.execution_role_arn.clone())
        .set_task_role_arn(planned.task_role_arn.clone())
        .set_container_definitions(Some(planned.container_definitions(image, &clients.region)?))
        .set_ephemeral_storage(planned.task_ephemeral_storage())
        .set_tags(tags::ecs_tags(&tags_all));
    let output = call(ctx, "ecs:RegisterTaskDefinition", request.send()).await?;
    output
        .task_definition
        .filter(|td| td.task_definition_arn().is_some())
        .ok_or_else(|| {
            CallError::Build("task definition", "ECS returned no task definition".into())
        })
}

/// Deregisters a revision this resource registered and no longer needs; whether it worked (a
/// failure is logged; callers that must tell the user do).
pub(super) async fn deregister(clients: &AwsClients, arn: &str, ctx: &CallContext) -> bool {
    let request = clients
        .ecs
        .deregister_task_definition()
        .task_definition(arn);
    match call(ctx, "ecs:DeregisterTaskDefinition", request.send()).await {
        Ok(_) => true,
        Err(error) => {
            crate::log_warn!(task_definition = arn, %error, "could not deregister task definition");
            false
        }
    }
}

/// The digest a pinned plan deploys: the one the plan showed. If the tag has moved since, the
/// planned digest is still what is applied, and a warning says so.
pub(super) async fn planned_digest(
    clients: &AwsClients,
    planned: &ServiceModel,
    ctx: &CallContext,
    warnings: &mut Diagnostics,
) -> Result<Option<String>, Diagnostics> {
    let current = plan::resolve_image(
        clients,
        &planned.repository_url,
        &planned.image_tag,
        true,
        ctx,
    )
    .await;
    let Some(shown) = planned.image_digest.as_ref() else {
        // The plan could not resolve it (say, the repository was not created yet): now.
        return current;
    };
    match current {
        Ok(Some(now)) if &now != shown => warnings.push(
            Diagnostic::warning(
                "The image tag moved since the plan",
                format!(
                    "{tag:?} pointed at {shown} when the plan was made and points at {now} now. \
                     This apply deploys {shown}, as planned; plan and apply again to deploy {now}.",
                    tag = planned.image_tag
                ),
            )
            .at(schema::image_tag_path()),
        ),
        Ok(_) => {}
        Err(d) => {
            for diagnostic in d {
                warnings.push(diagnostic.into_warning());
            }
        }
    }
    Ok(Some(shown.clone()))
}

/// Checks the image (before anything is registered), then registers the task definition
/// revision that runs it and records it in `registered`; returns the revision as ECS answered
/// it. A tag that `plan_checked` says the plan Terraform made just before this apply (in this
/// process) has found is not asked for again; a pinned digest is always resolved. Warnings go
/// to `warnings`.
pub(super) async fn register_revision(
    clients: &AwsClients,
    planned: &ServiceModel,
    plan_checked: bool,
    registered: &mut RegisteredRevisions,
    warnings: &mut Diagnostics,
    ctx: &CallContext,
) -> Result<TaskDefinition, Diagnostics> {
    let digest = if planned.pin_digest == Some(true) {
        planned_digest(clients, planned, ctx, warnings).await?
    } else if plan_checked {
        None
    } else {
        plan::resolve_image(
            clients,
            &planned.repository_url,
            &planned.image_tag,
            false,
            ctx,
        )
        .await?
    };
    let image = planned.image_for(digest.as_deref()).ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Cannot resolve the image digest",
            "ECR reported no digest for the tag.",
        ))
    })?;
    let task_definition = register_task_definition(clients, planned, &image, ctx)
        .await
        .map_err(|e| Diagnostics::from(e.diagnostic("Cannot register the task definition")))?;
    let arn = task_definition.task_definition_arn().unwrap_or_default();
    registered.record(arn);
    crate::log_info!(service = %planned.name, task_definition = %arn, %image, "registered task definition");
    Ok(task_definition)
}

/// Deregisters a revision this resource registered and no longer needs, and forgets it.
pub(super) async fn deregister_owned(
    clients: &AwsClients,
    registered: &mut RegisteredRevisions,
    arn: &str,
    ctx: &CallContext,
) {
    if deregister(clients, arn, ctx).await {
        registered.forget(arn);
    }
}

/// Records what the pinned tag points at now, for the next plan (see `observed`). A tag that
/// cannot be resolved (gone, or ECR not answering) keeps the last observation: the pinned
/// image keeps running either way.
pub(super) async fn observe_pinned_tag(
    clients: &AwsClients,
    state: &ServiceModel,
    private: &mut Private,
    ctx: &CallContext,
) {
    let (url, tag) = (&state.repository_url, &state.image_tag);
    match plan::resolve_image(clients, url, tag, true, ctx).await {
        Ok(Some(digest)) => observed::ObservedImage {
            repository_url: url.clone(),
            image_tag: tag.clone(),
            digest,
        }
        .record(private),
        Ok(None) => {}
        Err(d) => {
            let reason = d.iter().map(|d| d.summary.as_str()).collect::<Vec<_>>();
            crate::log_warn!(service = %state.name, %tag, ?reason, "cannot resolve the pinned tag; keeping the pinned digest");
        }
    }
}
