//! Planning `todo_fargate_service`: `plan_image_change` computes `image` (and, with
//! `pin_digest`, its digest: the one the last refresh saw, see `observed`), refuses a tag that
//! was never pushed, and decides whether the apply registers a new task definition revision;
//! the shared rules have already filled in defaults and unknown computed values.

use super::image::ecr_location;
use super::model::{
    FamilySource, ImageOutputs, PlannedFamily, PlannedImage, RevisionInputs, RevisionOutputs,
    ServiceInputs,
};
use super::observed::ObservedImage;
use super::schema::{default_family, image_tag_path};
use crate::plugin::{AttributePath, CallContext, Diagnostic, Diagnostics, Known, ResourcePlan};
use crate::provider::ClientSlot;
use crate::provider::config::AwsClients;
use crate::provider::ecr_image::{self, ImageSelector};
use crate::provider::tags;

/// Checks that the image exists (when the repository is in ECR) and returns its digest. Other
/// registries are not checked: the provider cannot see into them.
pub async fn resolve_image(
    clients: &AwsClients,
    repository_url: &str,
    image_tag: &str,
    pin_digest: bool,
    ctx: &CallContext,
) -> Result<Option<String>, Diagnostics> {
    let Some(location) = ecr_location(repository_url) else {
        if pin_digest {
            return Err(Diagnostic::invalid(
                AttributePath::root("pin_digest"),
                "Cannot pin a digest outside ECR",
                format!(
                    "{repository_url:?} is not an ECR repository URL, so its tag cannot be \
                     resolved to a digest."
                ),
            )
            .into());
        }
        return Ok(None);
    };
    let selector = ImageSelector::Tag(image_tag.to_owned());
    ecr_image::find_image(
        clients,
        &location.repository,
        Some(&location.registry_id),
        &selector,
        ctx,
    )
    .await
    .map(|detail| detail.image_digest().map(str::to_owned))
    .map_err(|error| ecr_image::lookup_diagnostic(&error, image_tag_path()))
}

/// Whether a plan changes what the task definition holds, or the service's own settings.
fn changes(plan: &ResourcePlan) -> Result<(bool, bool), Diagnostics> {
    if plan.prior.is_none() {
        return Ok((true, true));
    }
    let revision = plan.prior_model::<RevisionInputs>()? != Some(plan.planned_model()?);
    let service = plan.prior_model::<ServiceInputs>()? != Some(plan.planned_model()?);
    Ok((revision, service))
}

/// Plans the family of a new service that names none: `<cluster>-<name>`, unknown until both
/// are known. An existing service keeps its family (the attribute is stable).
fn plan_family(plan: &mut ResourcePlan) -> Result<(), Diagnostics> {
    let planned: PlannedFamily = plan.planned_model()?;
    if !plan.is_create() || !planned.family.is_unknown() {
        return Ok(());
    }
    let source: FamilySource = plan.planned_model()?;
    if let (Known::Value(cluster), Known::Value(name)) = (&source.cluster, &source.name) {
        plan.update_planned(&PlannedFamily {
            family: Known::Value(default_family(cluster, name)),
        })?;
    }
    Ok(())
}

/// plan_image_change: see the module documentation. Returns warnings, or the errors that stop
/// the plan.
pub async fn plan_image_change(
    slot: &ClientSlot,
    plan: &mut ResourcePlan,
    ctx: &CallContext,
) -> Result<Diagnostics, Diagnostics> {
    tags::plan_tags_all(plan, &slot.default_tags())?;
    plan_family(plan)?;
    // While the provider's connection settings are unknown, images are checked at apply.
    let clients = slot.for_plan();
    let (container_change, service_change) = changes(plan)?;
    let planned: PlannedImage = plan.planned_model()?;
    let prior: Option<PlannedImage> = plan.prior_model()?;
    let known = match (
        &planned.repository_url,
        &planned.image_tag,
        &planned.pin_digest,
    ) {
        (Known::Value(url), Known::Value(tag), Known::Value(pin)) => Some((url, tag, *pin)),
        _ => None,
    };
    let image_changes = prior.as_ref().is_none_or(|prior| {
        prior.repository_url != planned.repository_url
            || prior.image_tag != planned.image_tag
            || prior.pin_digest != planned.pin_digest
    });
    let prior_digest = prior
        .as_ref()
        .map_or(Known::Null, |p| p.image_digest.clone());

    let mut digest: Option<String> = None;
    match known {
        // A new image: the tag must exist (refused here, before anything changes). A pinned
        // digest is left for the apply to resolve: the tag may move before then.
        Some((url, tag, pin)) if image_changes => {
            if let Some(clients) = clients {
                resolve_image(clients, url, tag, pin, ctx).await?;
            }
        }
        // The same pinned tag: the digest the last refresh saw (ECR is not asked here, so the
        // plan Terraform makes again during apply shows the same digest).
        Some((url, tag, true)) => {
            digest = ObservedImage::digest_of(&plan.private, url, tag)
                .or_else(|| prior_digest.as_ref().cloned());
        }
        _ => {}
    }
    let pinned_moved = known.is_some_and(|(_, _, pin)| pin)
        && digest.is_some()
        && prior_digest
            .as_ref()
            .is_some_and(|d| Some(d) != digest.as_ref());
    let image = match known {
        None => ImageOutputs {
            image: Known::Unknown,
            image_digest: Known::Unknown,
        },
        Some((url, _, true)) if !image_changes => match &digest {
            Some(d) => ImageOutputs {
                image: Known::Value(format!("{url}@{d}")),
                image_digest: Known::Value(d.clone()),
            },
            None => ImageOutputs {
                image: Known::Unknown,
                image_digest: Known::Unknown,
            },
        },
        Some((_, _, true)) => ImageOutputs {
            image: Known::Unknown,
            image_digest: Known::Unknown,
        },
        Some((url, tag, false)) => ImageOutputs {
            image: Known::Value(format!("{url}:{tag}")),
            image_digest: Known::Null,
        },
    };
    plan.update_planned(&image)?;

    let new_revision = container_change || pinned_moved;
    if plan.prior.is_some() {
        if new_revision {
            plan.update_planned(&RevisionOutputs {
                task_definition_arn: Known::Unknown,
                task_definition_revision: Known::Unknown,
            })?;
        } else {
            let kept: Option<RevisionOutputs> = plan.prior_model()?;
            plan.update_planned(&kept)?;
        }
        if !new_revision && !service_change {
            // Nothing reaches AWS: keep the recorded image fields exactly.
            let kept: Option<ImageOutputs> = plan.prior_model()?;
            plan.update_planned(&kept)?;
        }
    }
    Ok(Diagnostics::new())
}
