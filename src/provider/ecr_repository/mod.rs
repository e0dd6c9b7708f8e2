//! `todo_ecr_repository`: an ECR repository managed on its own, apart from any deployment.
//! This file is the resource (validation of the rules that span attributes, plan modification,
//! CRUD and import); the schema, model, finder, flatteners and lifecycle policy handling are
//! its siblings.

#[cfg(test)]
mod calls_tests;
mod find;
mod flatten;
mod lifecycle;
mod list;
mod model;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_ecr::types::{EncryptionType, ImageTagMutability, Repository};
use aws_smithy_types::DateTime;

use super::aws_error::{CallError, call};
use super::config::AwsClients;
use super::tags;
use super::{
    CREATE_VISIBILITY_GRACE, ClientSlot, UNCERTAIN_CREATE_GRACE, identity, imported, read_back,
    state_of, test_hooks, update_outcome,
};
use crate::plugin::model::{from_value, to_value};
use crate::plugin::{
    Applied, AttributePath, CallContext, Diagnostic, Diagnostics, IdentitySchema, Imported, Known,
    Private, Resource, ResourcePlan, Schema, Value, after_create,
};
use find::{FoundRepository, find_repository};
use flatten::flatten_repository;
use lifecycle::LifecycleSpec;
use model::{
    KmsKey, PlannedEncryption, RepositoryConfig, RepositoryModel, expand_encryption_configuration,
    expand_exclusion_filters, expand_image_scanning_configuration,
};

pub use lifecycle::{keep_images_policy, normalize_json, normalize_lifecycle_policy};
pub use list::EcrRepositoryList;
pub use schema::{MUTABILITY_VALUES, check_repository_name, repository_name};

/// The `todo_ecr_repository` resource.
pub struct EcrRepository {
    clients: Arc<ClientSlot>,
}

impl EcrRepository {
    /// The resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// The rules that span attributes (each attribute's own rules are validators in the schema).
fn check_config(config: &RepositoryConfig) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let filters = &config.image_tag_mutability_exclusion_filter;
    let filter_count = filters.as_ref().map_or(0, Vec::len);
    if let Known::Value(mutability) = &config.image_tag_mutability {
        let with_exclusion = matches!(
            ImageTagMutability::from(mutability.as_str()),
            ImageTagMutability::ImmutableWithExclusion | ImageTagMutability::MutableWithExclusion
        );
        if filter_count > 0 && !with_exclusion {
            diags.push(Diagnostic::invalid(
                AttributePath::root("image_tag_mutability_exclusion_filter"),
                "Exclusion filters need an *_WITH_EXCLUSION setting",
                format!(
                    "image_tag_mutability_exclusion_filter blocks are allowed only with \
                     IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not {mutability}."
                ),
            ));
        }
        if filter_count == 0 && with_exclusion && !filters.is_unknown() {
            diags.push(Diagnostic::invalid(
                AttributePath::root("image_tag_mutability"),
                "Missing exclusion filters",
                format!(
                    "{mutability} needs at least one image_tag_mutability_exclusion_filter block."
                ),
            ));
        }
    }
    let aes256 = config
        .encryption_type
        .as_ref()
        .is_some_and(|t| EncryptionType::from(t.as_str()) == EncryptionType::Aes256);
    if aes256 && config.kms_key.as_ref().is_some() {
        diags.push(Diagnostic::invalid(
            AttributePath::root("kms_key"),
            "kms_key needs KMS encryption",
            "kms_key applies only when encryption_type is \"KMS\".",
        ));
    }
    if !config.keep_images.is_null() && !config.lifecycle_policy.is_null() {
        diags.push(Diagnostic::invalid(
            AttributePath::root("keep_images"),
            "Conflicting lifecycle settings",
            "Set keep_images or lifecycle_policy, not both.",
        ));
    }
    diags
}

/// Puts the lifecycle policy `lifecycle` asks for, or deletes the repository's policy; returns
/// the policy text now in force as ECR answered it (`None`: no policy).
async fn put_lifecycle(
    clients: &AwsClients,
    name: &str,
    lifecycle: &LifecycleSpec,
    ctx: &CallContext,
) -> Result<Option<String>, CallError> {
    match lifecycle.policy_text() {
        Some(text) => {
            let request = clients
                .ecr
                .put_lifecycle_policy()
                .repository_name(name)
                .lifecycle_policy_text(&text);
            let output = call(ctx, "ecr:PutLifecyclePolicy", request.send()).await?;
            Ok(Some(
                output.lifecycle_policy_text().map_or(text, str::to_owned),
            ))
        }
        None => {
            let request = clients.ecr.delete_lifecycle_policy().repository_name(name);
            match call(ctx, "ecr:DeleteLifecyclePolicy", request.send()).await {
                Ok(_) => Ok(None),
                Err(error) if error.is(&["LifecyclePolicyNotFoundException"]) => Ok(None),
                Err(error) => Err(error),
            }
        }
    }
}

/// The state of the repository as it now is, with the local settings of `model` (the plan
/// after a change, the state on a refresh); `None` when it no longer exists. A failed read is
/// reported with `summary`.
async fn state_after_change(
    clients: &AwsClients,
    model: &RepositoryModel,
    ctx: &CallContext,
    summary: &str,
) -> Result<Option<Value>, Diagnostics> {
    state_of(
        find_repository(clients, &model.name, ctx).await,
        summary,
        |found| flatten_repository(found, Some(model), &clients.default_tags),
    )
}

/// How far ECR's clock may be behind ours when telling whether a repository was created by a
/// call that started at a given time.
const CLOCK_SKEW: Duration = Duration::from_secs(5);

/// Whether ECR reports the repository `planned` names created at or after `started` (less
/// [`CLOCK_SKEW`]): one that a create call whose answer was lost did make.
async fn created_since(
    clients: &AwsClients,
    planned: &RepositoryModel,
    started: SystemTime,
) -> bool {
    let detached = CallContext::detached();
    let find = || find_repository(clients, &planned.name, &detached);
    let Ok(Some(found)) = read_back(UNCERTAIN_CREATE_GRACE, find).await else {
        return false;
    };
    let since = DateTime::from(started.checked_sub(CLOCK_SKEW).unwrap_or(started));
    found
        .repository
        .created_at()
        .is_some_and(|created| created.secs() >= since.secs())
}

/// CreateRepository with everything the plan sets except the lifecycle policy; returns the
/// repository ECR answered (`None` if the answer holds none) and the tags it was created with.
async fn create_repository(
    clients: &AwsClients,
    planned: &RepositoryModel,
    ctx: &CallContext,
) -> Result<(Option<Repository>, BTreeMap<String, String>), CallError> {
    let tags_all = tags::merge(&clients.default_tags, planned.tags.as_ref());
    let request = clients
        .ecr
        .create_repository()
        .repository_name(&planned.name)
        .image_tag_mutability(planned.image_tag_mutability.clone())
        .set_image_tag_mutability_exclusion_filters(expand_exclusion_filters(
            &planned.image_tag_mutability_exclusion_filter,
        )?)
        .image_scanning_configuration(expand_image_scanning_configuration(planned.scan_on_push))
        .encryption_configuration(expand_encryption_configuration(
            &planned.encryption_type,
            planned.kms_key(),
        )?)
        .set_tags(tags::ecr_tags(&tags_all)?);
    let output = call(ctx, "ecr:CreateRepository", request.send()).await?;
    Ok((output.repository, tags_all))
}

/// Brings the repository from `prior` to `planned`: each setting ECR changes in place, when
/// its model fields differ, then the tags.
async fn update_repository(
    clients: &AwsClients,
    prior: &RepositoryModel,
    planned: &RepositoryModel,
    ctx: &CallContext,
) -> Result<(), CallError> {
    let name = &planned.name;
    if prior.image_tag_mutability != planned.image_tag_mutability
        || prior.image_tag_mutability_exclusion_filter
            != planned.image_tag_mutability_exclusion_filter
    {
        let request = clients
            .ecr
            .put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(planned.image_tag_mutability.clone())
            .set_image_tag_mutability_exclusion_filters(expand_exclusion_filters(
                &planned.image_tag_mutability_exclusion_filter,
            )?);
        call(ctx, "ecr:PutImageTagMutability", request.send()).await?;
    }
    if prior.scan_on_push != planned.scan_on_push {
        let request = clients
            .ecr
            .put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(expand_image_scanning_configuration(
                planned.scan_on_push,
            ));
        call(ctx, "ecr:PutImageScanningConfiguration", request.send()).await?;
    }
    let lifecycle = planned.lifecycle();
    if lifecycle.differs_from(&prior.lifecycle()) {
        put_lifecycle(clients, name, &lifecycle, ctx).await?;
    }
    let arn = prior.arn.as_ref().map_or("", String::as_str);
    let wanted = tags::merge(&clients.default_tags, planned.tags.as_ref());
    // The tags the refresh before this plan saw (as terraform-provider-aws diffs `tags_all`):
    // unchanged tags cost no call. Only a state that never recorded them lists them first.
    let current = match &prior.tags_all {
        Known::Value(current) => current.clone(),
        Known::Null | Known::Unknown => tags::list_ecr_tags(clients, arn, ctx).await?,
    };
    tags::sync_ecr_tags(clients, arn, &current, &wanted, ctx).await
}

/// The state a create records from what is known without reading: the repository
/// CreateRepository answered, the tags it was sent and the lifecycle policy ECR answered.
/// `None` when one of them is not known (no repository in the answer, a create whose answer
/// was lost, a lifecycle call that failed): then the repository is read back.
fn created_state(
    answered: Option<Repository>,
    tags: BTreeMap<String, String>,
    lifecycle_policy: Option<Option<String>>,
    planned: &RepositoryModel,
    default_tags: &BTreeMap<String, String>,
) -> Option<RepositoryModel> {
    let found = FoundRepository {
        name: planned.name.clone(),
        repository: answered?,
        lifecycle_policy: lifecycle_policy?,
        tags,
    };
    Some(flatten_repository(&found, Some(planned), default_tags))
}

#[async_trait]
impl Resource for EcrRepository {
    fn type_name(&self) -> &'static str {
        "todo_ecr_repository"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        match from_value::<RepositoryConfig>(config) {
            Ok(config) => check_config(&config),
            Err(error) => error.into(),
        }
    }

    async fn modify_plan(&self, plan: &mut ResourcePlan, _ctx: &CallContext) -> Diagnostics {
        let default_tags = self.clients.default_tags();
        if let Err(d) = tags::plan_tags_all(plan, &default_tags) {
            return d;
        }
        let planned = plan.planned_model::<PlannedEncryption>();
        let configured = plan.config_model::<KmsKey>();
        match (planned, configured) {
            (Ok(planned), Ok(configured)) => {
                let aes256 = planned
                    .encryption_type
                    .as_ref()
                    .is_some_and(|t| EncryptionType::from(t.as_str()) == EncryptionType::Aes256);
                if aes256 && configured.kms_key.is_null() {
                    // AES256 repositories have no key; keep the plan consistent with that.
                    let patch = KmsKey {
                        kms_key: Known::Null,
                    };
                    return plan.update_planned(&patch).err().unwrap_or_default();
                }
                Diagnostics::new()
            }
            (Err(d), _) | (_, Err(d)) => d,
        }
    }

    async fn create(&self, planned_value: &Value, ctx: &CallContext) -> Applied {
        let (clients, planned) = match self.clients.with_model::<RepositoryModel>(planned_value) {
            Ok(found) => found,
            Err(d) => return Applied::failed(None, d),
        };
        let name = &planned.name;
        let started = SystemTime::now();
        let mut diagnostics = Diagnostics::new();
        // What CreateRepository answered: `None` after a failed call, whose repository (if it
        // turns out ours) is read back.
        let mut answered = None;
        // Each step's future on the heap: they are large (the SDK's), and a test's stack small.
        match Box::pin(create_repository(clients, &planned, ctx)).await {
            Ok(created) => answered = Some(created),
            Err(error) => {
                let mut diagnostic = error.diagnostic("Cannot create ECR repository");
                let already_exists = error.is(&["RepositoryAlreadyExistsException"]);
                // CreateRepository has no idempotency token: when its answer was lost (and the
                // SDK's retry then found the repository), a repository created since this call
                // started is the one it created: the create goes on as if it had answered. Anything
                // older belongs to someone else.
                let ours = (already_exists || error.outcome_unknown())
                    && Box::pin(created_since(clients, &planned, started)).await;
                if !ours {
                    if already_exists {
                        diagnostic.detail.push_str(&format!(
                            "\n\nA repository named {name:?} already exists. Import it with \
                         `terraform import <address> {name}` to manage it here."
                        ));
                    }
                    return Applied::failed(None, diagnostic.at(AttributePath::root("name")));
                }
                crate::log_warn!(repository = %name, %error, "CreateRepository failed, yet created the repository; going on");
                diagnostics.push(diagnostic.into_warning().at(AttributePath::root("name")));
            }
        }
        crate::log_info!(repository = %name, "created ECR repository");
        // From here on the repository exists and reaches the state whatever happens: at worst
        // as planned, tainted through the error.
        let fallback = planned_value.unknowns_to_null();
        let created = Applied::failed(Some(fallback.clone()), Diagnostics::new());
        after_create(created, async {
            test_hooks::panic_after_create(self.type_name());
            let lifecycle = planned.lifecycle();
            // A new repository has no policy: `Some(None)` is known, `None` is not.
            let lifecycle_policy = match lifecycle {
                LifecycleSpec::None => Some(None),
                _ => match Box::pin(put_lifecycle(clients, name, &lifecycle, ctx)).await {
                    Ok(policy) => Some(policy),
                    Err(error) => {
                        diagnostics
                            .push(error.diagnostic("Cannot set the repository's lifecycle policy"));
                        None
                    }
                },
            };
            let known = answered.and_then(|(repository, tags)| {
                created_state(
                    repository,
                    tags,
                    lifecycle_policy,
                    &planned,
                    &clients.default_tags,
                )
            });
            let state = match known {
                Some(model) => to_value(&model).map(Some).map_err(Diagnostics::from),
                None => {
                    let detached = CallContext::detached();
                    let found = Box::pin(read_back(CREATE_VISIBILITY_GRACE, || {
                        find_repository(clients, name, &detached)
                    }))
                    .await;
                    state_of(found, "Cannot read the new repository", |found| {
                        flatten_repository(found, Some(&planned), &clients.default_tags)
                    })
                }
            };
            match state {
                Ok(Some(state)) => Applied::failed(Some(state), diagnostics),
                Ok(None) => {
                    diagnostics.push(Diagnostic::error(
                        "Repository vanished",
                        format!("ECR created {name:?} but does not report it."),
                    ));
                    Applied::failed(None, diagnostics)
                }
                Err(error) => {
                    // It exists: record what was planned; the next refresh fixes the details.
                    diagnostics.extend(error);
                    Applied::failed(Some(fallback), diagnostics)
                }
            }
        })
        .await
    }

    async fn read(
        &self,
        state: &Value,
        _private: &mut Private,
        ctx: &CallContext,
    ) -> Result<Option<Value>, Diagnostics> {
        let Some(clients) = self.clients.if_known()? else {
            return Ok(Some(state.clone()));
        };
        let state: RepositoryModel = from_value(state)?;
        let current =
            state_after_change(clients, &state, ctx, "Cannot read ECR repository").await?;
        if current.is_none() {
            crate::log_info!(repository = %state.name, "repository no longer exists");
        }
        Ok(current)
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        _private: &Private,
        ctx: &CallContext,
    ) -> Applied {
        let models = self
            .clients
            .with_model::<RepositoryModel>(planned)
            .and_then(|(clients, planned)| Ok((clients, from_value(prior)?, planned)));
        let (clients, prior_model, planned_model) = match models {
            Ok(models) => models,
            Err(d) => return Applied::failed(Some(prior.clone()), d),
        };
        let result = update_repository(clients, &prior_model, &planned_model, ctx).await;
        // Every call answered: the repository is as planned (what did not change is what the
        // refresh saw). Otherwise record it as it now is (even after StopProvider).
        if result.is_ok() && planned.is_wholly_known() {
            return Applied::ok(planned.clone());
        }
        let state = state_after_change(
            clients,
            &planned_model,
            &CallContext::detached(),
            "Cannot update ECR repository",
        )
        .await;
        update_outcome(result, state, prior, "ECR repository", &planned_model.name)
    }

    async fn delete(&self, prior: &Value, _private: &Private, ctx: &CallContext) -> Diagnostics {
        let (clients, prior) = match self.clients.with_model::<RepositoryModel>(prior) {
            Ok(found) => found,
            Err(d) => return d,
        };
        let name = &prior.name;
        let force = prior.force_delete;
        let request = clients
            .ecr
            .delete_repository()
            .repository_name(name)
            .force(force);
        match call(ctx, "ecr:DeleteRepository", request.send()).await {
            Ok(_) => {
                crate::log_info!(repository = %name, force, "deleted ECR repository");
                Diagnostics::new()
            }
            Err(error) if error.is(&["RepositoryNotFoundException"]) => Diagnostics::new(),
            Err(error) if error.is(&["RepositoryNotEmptyException"]) => Diagnostic::invalid(
                AttributePath::root("force_delete"),
                "Repository still holds images",
                format!(
                    "ECR repository {name:?} still contains images, so it was not deleted. \
                     Delete the images first, or set force_delete = true on the resource (and \
                     apply) to delete the repository together with its images."
                ),
            )
            .into(),
            Err(error) => error.diagnostic("Cannot delete ECR repository").into(),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Imported, Diagnostics> {
        let clients = self.clients.get()?;
        if let Err(reason) = check_repository_name(id) {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("Import todo_ecr_repository by repository name: {reason}."),
            )
            .into());
        }
        imported(
            find_repository(clients, id, ctx).await,
            "ECR repository",
            format!("ECR has no repository named {id:?} in this account and region."),
            |found| flatten_repository(found, None, &clients.default_tags),
        )
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::named_schema("repository"))
    }

    fn identity(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        identity::named_identity(&self.clients, state)
    }

    async fn import_by_identity(
        &self,
        identity: &Value,
        ctx: &CallContext,
    ) -> Result<Imported, Diagnostics> {
        let requested = identity::requested_named(&self.clients, identity)?;
        self.import(&requested.name, ctx).await
    }
}
