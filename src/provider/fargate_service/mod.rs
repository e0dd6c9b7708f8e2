//! `todo_fargate_service`: an ECS Fargate service whose container image is
//! `<repository_url>:<image_tag>`. A new tag registers a new task definition revision and rolls
//! the service forward in place; an older tag rolls it back the same way. A tag that was never
//! pushed is refused before anything changes.
//!
//! This file is the Resource implementation (create, read, update, delete, import); the rest
//! sits beside it: [`schema`] (attributes, defaults, validators), `model` (the typed model and
//! the expand side), `containers`, `sidecar` and `strategy` (the container settings, the
//! sidecar blocks and the capacity provider strategy: model, schema, expand and flatten),
//! `planned_value` (nested blocks compared in plans), `flatten` (ECS's answer to the model),
//! `find` (finders and status enums),
//! `wait` (rollout and deletion waits), `plan` (plan_image_change), `register` (task definition
//! revisions), `revisions` and `observed` (what the private state records), `list` (the list
//! resource), `validate` and `validate_containers` (rules across attributes, containers and
//! placement).

mod answered;
#[cfg(test)]
mod calls_tests;
mod containers;
#[cfg(test)]
mod containers_tests;
mod find;
mod flatten;
mod image;
mod list;
mod model;
mod observed;
mod plan;
mod planned_value;
mod register;
mod revisions;
pub mod schema;
mod sidecar;
mod strategy;
#[cfg(test)]
mod tests;
mod validate;
mod validate_containers;
mod wait;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{PropagateTags, Service};

use self::answered::Answers;
use self::find::{find_live_service, with_task_definition};
// The redeploy action follows its deployment with the same finder.
pub(crate) use self::find::{ServiceStatus, find_service};
use self::flatten::flatten_service;
pub use self::image::{EcrLocation, ImageReference, ecr_location, split_image};
pub use self::list::FargateServiceList;
use self::model::{
    LocalSettings, Operation, PlannedTagsAll, RevisionInputs, ServiceInputs, ServiceModel,
};
use self::register::{deregister, deregister_owned, observe_pinned_tag, register_revision};
use self::revisions::RegisteredRevisions;
use self::schema::SCHEMA_VERSION;
pub use self::validate::fargate_memory_options;
use self::wait::{read_service_back, wait_for_deletion, wait_for_rollout};
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use super::{
    CREATE_VISIBILITY_GRACE, ClientSlot, UNCERTAIN_CREATE_GRACE, identity, imported, state_of,
    tags, test_hooks,
};
use crate::plugin::model::{from_value, patch, to_value};
use crate::plugin::resource::unsupported_state_version;
use crate::plugin::validator::is_arn;
use crate::plugin::{
    Applied, AttributePath, CallContext, Diagnostic, Diagnostics, IdentitySchema, Imported,
    Private, Resource, ResourcePlan, Schema, Value, after_create,
};

/// The `todo_fargate_service` resource.
pub struct FargateService {
    clients: Arc<ClientSlot>,
}

impl FargateService {
    /// The resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// Splits an import ID `<cluster>/<service>`. The cluster may be a name or an ARN (which holds
/// a '/' itself): the service name is what follows the last '/'.
pub fn parse_import_id(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('/').filter(|(cluster, service)| {
        let cluster_ok = if cluster.starts_with("arn:") {
            is_arn(cluster)
        } else {
            !cluster.is_empty() && !cluster.contains('/')
        };
        cluster_ok && !service.is_empty()
    })
}

/// The idempotency token of a CreateService: the same for a retry of the same create (the
/// same revision registered for the same service), so that ECS creates the service once.
fn client_token(planned: &ServiceModel, task_definition: &str) -> String {
    let mut hasher = DefaultHasher::new();
    (&planned.cluster, &planned.name, task_definition).hash(&mut hasher);
    format!("todo-{:016x}", hasher.finish())
}

/// The service as ECS reports it after a change (`after`), as the state records it; `None`
/// when it is gone. Not-found right after a create and transient errors are retried, and
/// StopProvider does not interrupt it.
async fn state_after_change(
    clients: &AwsClients,
    model: &ServiceModel,
    after: Operation,
) -> Result<Option<Value>, Diagnostics> {
    let grace = match after {
        Operation::Create => CREATE_VISIBILITY_GRACE,
        Operation::Update | Operation::Delete => Duration::ZERO,
    };
    let found = read_service_back(clients, model, grace).await;
    state_of(found, "Cannot read the ECS service", |remote| {
        flatten_service(remote, Some(model), &model.cluster, &clients.default_tags)
    })
}

/// After a create or update reached ECS: waits for the rollout (when asked) and records the
/// service as the answers received show it ([`answered::after_writes`]: the rollout wait's
/// last poll, else the write's own answer), or, when they do not tell (a wait that failed or
/// was stopped, an answer that was lost), as a read-back finds it; `fallback` is recorded when
/// it cannot be read back. `prior` is the state an update started from, `None` for a create.
/// `private` gets the [`answered::ReadRevision`] of a state flattened from a task definition.
async fn finish_rollout(
    clients: &AwsClients,
    planned: &ServiceModel,
    prior: Option<&ServiceModel>,
    mut answers: Answers,
    fallback: Value,
    (mut diagnostics, mut private): (Diagnostics, Private),
    ctx: &CallContext,
) -> Applied {
    let operation = match prior {
        None => Operation::Create,
        Some(_) => Operation::Update,
    };
    if planned.waits_for_steady_state() {
        let deployment = primary_deployment(answers.service.as_deref());
        let waiting = wait_for_rollout(clients, planned, operation, deployment.as_deref(), ctx);
        match Box::pin(waiting).await {
            Ok(last) => answers.service = last.map(Box::new),
            Err(d) => {
                diagnostics.push(d);
                answers.service = None;
            }
        }
    }
    let tags_all = tags::merge(&clients.default_tags, planned.tags.as_ref());
    let known = answered::after_writes(answers, planned, prior, &tags_all, &clients.default_tags);
    // A read-back reads the revision the service runs; an answer may keep the prior's.
    let revision_read = known.as_ref().is_none_or(|known| known.revision_answered);
    let state = match known {
        Some(known) => to_value(&known.state).map(Some).map_err(Diagnostics::from),
        None => Box::pin(state_after_change(clients, planned, operation)).await,
    };
    let applied = match state {
        Ok(Some(state)) => {
            let arn = state.attr("task_definition_arn").and_then(Value::as_str);
            if let Some(arn) = arn.filter(|_| revision_read) {
                answered::ReadRevision::record(arn, &mut private);
            }
            Applied::failed(Some(state), diagnostics)
        }
        Ok(None) => {
            diagnostics.push(Diagnostic::error(
                "Service vanished",
                format!("ECS no longer reports the service {:?}.", planned.name),
            ));
            Applied::failed(None, diagnostics)
        }
        Err(d) => {
            diagnostics.extend(d);
            Applied::failed(Some(fallback), diagnostics)
        }
    };
    applied.with_private(private)
}

/// A failed update: records the service as AWS now reports it (the prior state as a
/// fallback), so that the state matches what exists and the next apply converges. A revision
/// registered for the update (`new_revision`) that the service does not run or deploy is
/// deregistered; when ECS cannot be read, it stays (recorded as the resource's own).
async fn failed_update(
    clients: &AwsClients,
    prior: &ServiceModel,
    prior_value: &Value,
    new_revision: Option<&str>,
    registered: &mut RegisteredRevisions,
    error: CallError,
) -> Applied {
    let remote = read_service_back(clients, prior, Duration::ZERO).await;
    if let Some(arn) = new_revision {
        let in_use = match &remote {
            Ok(Some(remote)) => {
                let service = &remote.service;
                service.task_definition() == Some(arn)
                    || service
                        .deployments()
                        .iter()
                        .any(|d| d.task_definition() == Some(arn))
            }
            Ok(None) => false,
            Err(_) => true,
        };
        if !in_use {
            // The service still runs the old revision: remove the unused new one, so nothing
            // is orphaned and the next apply starts from what AWS has.
            deregister_owned(clients, registered, arn, &CallContext::detached()).await;
        }
    }
    let state = state_of(remote, "Cannot read the ECS service", |remote| {
        flatten_service(remote, Some(prior), &prior.cluster, &clients.default_tags)
    })
    .unwrap_or_else(|_| Some(prior_value.clone()));
    Applied::failed(state, error.diagnostic("Cannot update the ECS service"))
}

/// The ID of the PRIMARY deployment of a service that ECS answered (the one a create or
/// update just started).
fn primary_deployment(service: Option<&aws_sdk_ecs::types::Service>) -> Option<String> {
    service?
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.id())
        .map(str::to_owned)
}

/// Sends CreateService for the revision `task_definition`, with an idempotency token; returns
/// the service as ECS answered it (with the deployment it started).
async fn create_service(
    clients: &AwsClients,
    planned: &ServiceModel,
    task_definition: &str,
    ctx: &CallContext,
) -> Result<Option<Box<Service>>, CallError> {
    let tags_all = tags::merge(&clients.default_tags, planned.tags.as_ref());
    let request = clients
        .ecs
        .create_service()
        .cluster(&planned.cluster)
        .service_name(&planned.name)
        .task_definition(task_definition)
        .client_token(client_token(planned, task_definition))
        .set_desired_count(planned.desired_count)
        .set_launch_type(strategy::launch_type_for(
            &planned.capacity_provider_strategy,
        ))
        .set_capacity_provider_strategy(strategy::expand_strategy(
            &planned.capacity_provider_strategy,
        )?)
        .set_platform_version(planned.platform_version.clone())
        .network_configuration(planned.network()?)
        .set_load_balancers(planned.load_balancers())
        .set_health_check_grace_period_seconds(planned.health_check_grace_period_seconds)
        .deployment_configuration(planned.deployment())
        .set_propagate_tags(planned.propagate_tags.as_deref().map(PropagateTags::from))
        .set_enable_execute_command(planned.enable_execute_command)
        .set_tags(tags::ecs_tags(&tags_all));
    let output = call(ctx, "ecs:CreateService", request.send()).await?;
    Ok(output.service.map(Box::new))
}

/// What a CreateService that failed turned out to have done.
enum FailedCreate {
    /// ECS refused it, or reports no service: nothing was created.
    NotCreated(Diagnostic),
    /// The service exists, running the revision just registered: this create made it (its
    /// answer was lost, or the server failed after creating it). The create goes on, with the
    /// error as a warning and the service as ECS reports it.
    Created(Diagnostic, Box<Service>),
    /// No answer and ECS cannot be asked: the service may exist. It is recorded as planned
    /// (tainted, through the error); the next refresh drops it if it does not exist.
    Unknown(Diagnostic),
}

/// Finds out what a failed CreateService did. Only a 5xx or a lost answer can hide a created
/// service; a service that runs another revision is someone else's and is never taken.
async fn settle_failed_create(
    clients: &AwsClients,
    planned: &ServiceModel,
    td_arn: &str,
    error: &CallError,
) -> FailedCreate {
    let mut diagnostic = error.diagnostic("Cannot create the ECS service");
    if error.is(&["ClusterNotFoundException"]) {
        diagnostic = diagnostic.at(AttributePath::root("cluster"));
    }
    if !error.outcome_unknown() {
        return FailedCreate::NotCreated(diagnostic);
    }
    match read_service_back(clients, planned, UNCERTAIN_CREATE_GRACE).await {
        Ok(Some(remote)) if remote.service.task_definition() == Some(td_arn) => {
            crate::log_warn!(service = %planned.name, "CreateService failed, yet created the service; going on");
            FailedCreate::Created(diagnostic.into_warning(), Box::new(remote.service))
        }
        Ok(_) => FailedCreate::NotCreated(diagnostic),
        Err(read) => {
            crate::log_warn!(service = %planned.name, error = %read, "cannot tell whether CreateService created the service; recording it");
            FailedCreate::Unknown(diagnostic)
        }
    }
}

/// A state at schema version 0 read under the current schema: `family` was the service name.
fn upgrade_from_v0(mut state: Value) -> Result<Value, Diagnostics> {
    let model: ServiceModel = from_value(&state)?;
    if model.family.is_none() {
        let family = model::PlannedFamily {
            family: crate::plugin::Known::Value(model.name.clone()),
        };
        patch(&mut state, &family)?;
    }
    Ok(state)
}

/// Sends UpdateService with only what changed, as terraform-provider-aws does: on AWS, passing
/// the network configuration, load balancers or platform version again starts a new
/// deployment (new tasks) even when the values are the same, which a scale change must not do.
/// Returns the service as ECS answered it (none when nothing was sent).
async fn update_service(
    clients: &AwsClients,
    prior: &ServiceModel,
    planned: &ServiceModel,
    new_revision: Option<String>,
    ctx: &CallContext,
) -> Result<Option<Box<Service>>, CallError> {
    let mut any = new_revision.is_some();
    let mut request = clients
        .ecs
        .update_service()
        .cluster(&planned.cluster)
        .service(&planned.name)
        .set_task_definition(new_revision);
    let mut changed = |differs: bool| {
        any |= differs;
        differs
    };
    if changed(prior.desired_count != planned.desired_count) {
        request = request.set_desired_count(planned.desired_count);
    }
    if changed(prior.platform_version != planned.platform_version) {
        request = request.set_platform_version(planned.platform_version.clone());
    }
    if changed(
        prior.subnets != planned.subnets
            || prior.security_groups != planned.security_groups
            || prior.assign_public_ip != planned.assign_public_ip,
    ) {
        request = request.network_configuration(planned.network()?);
    }
    let has_load_balancer = planned.load_balancer.is_some() || prior.load_balancer.is_some();
    let container_moved = prior.container_name != planned.container_name
        || prior.container_port != planned.container_port;
    if changed(
        prior.load_balancer != planned.load_balancer || (has_load_balancer && container_moved),
    ) {
        // An empty list removes the load balancer.
        request = request.set_load_balancers(Some(planned.load_balancers().unwrap_or_default()));
    }
    if changed(prior.health_check_grace_period_seconds != planned.health_check_grace_period_seconds)
    {
        // Unset reads back as 0 (none).
        request = request.health_check_grace_period_seconds(
            planned.health_check_grace_period_seconds.unwrap_or(0),
        );
    }
    if changed(
        prior.deployment_circuit_breaker != planned.deployment_circuit_breaker
            || prior.deployment_minimum_healthy_percent
                != planned.deployment_minimum_healthy_percent
            || prior.deployment_maximum_percent != planned.deployment_maximum_percent,
    ) {
        request = request.deployment_configuration(planned.deployment());
    }
    if changed(prior.propagate_tags != planned.propagate_tags) {
        request =
            request.set_propagate_tags(planned.propagate_tags.as_deref().map(PropagateTags::from));
    }
    if changed(prior.enable_execute_command != planned.enable_execute_command) {
        request = request.set_enable_execute_command(planned.enable_execute_command);
    }
    if changed(prior.capacity_provider_strategy != planned.capacity_provider_strategy) {
        // ECS places tasks by the strategy only when it starts them: a new strategy takes a
        // new deployment, which ECS requires to be forced.
        request = request
            .set_capacity_provider_strategy(strategy::expand_strategy(
                &planned.capacity_provider_strategy,
            )?)
            .force_new_deployment(true);
    }
    if !any {
        return Ok(None);
    }
    let output = call(ctx, "ecs:UpdateService", request.send()).await?;
    Ok(output.service.map(Box::new))
}

/// Whether the plan Terraform made just before this update looked the image up: every plan
/// does when the repository, the tag or the pinning changes ([`plan::plan_image_change`]).
fn plan_checked_image(prior: &ServiceModel, planned: &ServiceModel) -> bool {
    prior.repository_url != planned.repository_url
        || prior.image_tag != planned.image_tag
        || prior.pin_digest != planned.pin_digest
}

/// Whether an update changes nothing but the settings only Terraform's state holds.
fn only_local_change(prior: &Value, planned: &Value) -> Result<bool, Diagnostics> {
    let same_revision = from_value::<RevisionInputs>(prior)? == from_value(planned)?;
    let same_service = from_value::<ServiceInputs>(prior)? == from_value(planned)?;
    let same_tags = from_value::<PlannedTagsAll>(prior)? == from_value(planned)?;
    Ok(same_revision && same_service && same_tags)
}

#[async_trait]
impl Resource for FargateService {
    fn type_name(&self) -> &'static str {
        "todo_fargate_service"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate_config(config)
    }

    async fn modify_plan(&self, plan: &mut ResourcePlan, ctx: &CallContext) -> Diagnostics {
        strategy::plan_strategy_defaults(plan);
        if let Err(errors) = strategy::plan_strategy_replacement(plan) {
            return errors;
        }
        match plan::plan_image_change(&self.clients, plan, ctx).await {
            Ok(warnings) => warnings,
            Err(errors) => errors,
        }
    }

    async fn create(&self, planned_value: &Value, ctx: &CallContext) -> Applied {
        let (clients, planned) = match self.clients.with_model::<ServiceModel>(planned_value) {
            Ok(found) => found,
            Err(d) => return Applied::failed(None, d),
        };
        let mut registered = RegisteredRevisions::default();
        let mut warnings = Diagnostics::new();
        // A new service's image is new: the plan Terraform just made during apply checked it.
        let registering =
            register_revision(clients, &planned, true, &mut registered, &mut warnings, ctx);
        // Each step's future on the heap: they are large (the SDK's), and a test's stack small.
        let task_definition = match Box::pin(registering).await {
            Ok(task_definition) => Box::new(task_definition),
            Err(d) => {
                warnings.extend(d);
                return Applied::failed(None, warnings);
            }
        };
        let td_arn = task_definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_owned();
        let created = Box::pin(create_service(clients, &planned, &td_arn, ctx)).await;
        let service = match created {
            Ok(service) => service,
            Err(error) => {
                match Box::pin(settle_failed_create(clients, &planned, &td_arn, &error)).await {
                    FailedCreate::Created(warning, service) => {
                        warnings.push(warning);
                        Some(service)
                    }
                    FailedCreate::Unknown(diagnostic) => {
                        warnings.push(diagnostic);
                        let private = registered.store(Private::default());
                        let state = Some(planned_value.unknowns_to_null());
                        return Applied::failed(state, warnings).with_private(private);
                    }
                    FailedCreate::NotCreated(diagnostic) => {
                        // Nothing may be orphaned: the revision registered for it goes too.
                        deregister_owned(clients, &mut registered, &td_arn, ctx).await;
                        warnings.push(diagnostic);
                        return Applied::failed(None, warnings);
                    }
                }
            }
        };
        crate::log_info!(service = %planned.name, "created ECS service");
        let private = registered.store(Private::default());
        // Whatever follows (a failed or stopped wait, a read that fails, a panic), the service
        // exists and reaches the state: at worst as planned, tainted through the error.
        let created = Applied::failed(Some(planned_value.unknowns_to_null()), warnings.clone())
            .with_private(private.clone());
        after_create(created, async {
            test_hooks::panic_after_create(self.type_name());
            let fallback = planned_value.unknowns_to_null();
            let answers = Answers {
                service,
                task_definition: Some(task_definition),
            };
            // On the heap: the rollout wait's future is deep, and a test's thread stack small.
            let outcome = (warnings, private);
            Box::pin(finish_rollout(
                clients, &planned, None, answers, fallback, outcome, ctx,
            ))
            .await
        })
        .await
    }

    async fn read(
        &self,
        state: &Value,
        private: &mut Private,
        ctx: &CallContext,
    ) -> Result<Option<Value>, Diagnostics> {
        let Some(clients) = self.clients.if_known()? else {
            return Ok(Some(state.clone()));
        };
        let state: ServiceModel = from_value(state)?;
        if state.pin_digest == Some(true) {
            observe_pinned_tag(clients, &state, private, ctx).await;
        }
        let summary = "Cannot read the ECS service";
        let found = find_service(clients, &state.cluster, &state.name, ctx).await;
        let service = match found {
            Ok(service) => service.filter(|s| ServiceStatus::of(s).is_live()),
            Err(error) => return Err(error.diagnostic(summary).into()),
        };
        let Some(service) = service else {
            crate::log_info!(service = %state.name, cluster = %state.cluster, "service no longer exists");
            return Ok(None);
        };
        // A registered revision never changes: the one the state records needs no reading.
        if answered::runs_recorded_revision(&service, &state.task_definition_arn, private) {
            let refreshed = answered::refreshed(service, &state, &clients.default_tags);
            return Ok(Some(to_value(&refreshed)?));
        }
        let remote = match with_task_definition(clients, service, ctx).await {
            Ok(remote) => remote,
            Err(error) => return Err(error.diagnostic(summary).into()),
        };
        if let Some(arn) = remote.service.task_definition() {
            answered::ReadRevision::record(arn, private);
        }
        let refreshed =
            flatten_service(&remote, Some(&state), &state.cluster, &clients.default_tags);
        Ok(Some(to_value(&refreshed)?))
    }

    async fn update(
        &self,
        prior_value: &Value,
        planned_value: &Value,
        private: &Private,
        ctx: &CallContext,
    ) -> Applied {
        let (clients, planned) = match self.clients.with_model::<ServiceModel>(planned_value) {
            Ok(found) => found,
            Err(d) => return Applied::failed(Some(prior_value.clone()), d),
        };
        let prior: ServiceModel = match from_value(prior_value) {
            Ok(prior) => prior,
            Err(e) => return Applied::failed(Some(prior_value.clone()), e),
        };
        let running = prior.task_definition_arn.as_ref().map(String::as_str);
        let mut registered = match RegisteredRevisions::owned(private, running) {
            Ok(registered) => registered,
            Err(d) => return Applied::failed(Some(prior_value.clone()), d),
        };
        let needs_revision = planned.task_definition_arn.is_unknown();
        match only_local_change(prior_value, planned_value) {
            Ok(true) if !needs_revision => {
                let local = LocalSettings {
                    wait_for_steady_state: planned.wait_for_steady_state,
                    timeouts: planned.timeouts.clone(),
                };
                let mut state = prior_value.clone();
                return match patch(&mut state, &local) {
                    Ok(()) => Applied::ok(state),
                    Err(e) => Applied::failed(Some(prior_value.clone()), e),
                };
            }
            Ok(_) => {}
            Err(d) => return Applied::failed(Some(prior_value.clone()), d),
        }

        let mut warnings = Diagnostics::new();
        let new_revision = if needs_revision {
            let checked = plan_checked_image(&prior, &planned);
            let registering = register_revision(
                clients,
                &planned,
                checked,
                &mut registered,
                &mut warnings,
                ctx,
            );
            match Box::pin(registering).await {
                Ok(task_definition) => Some(Box::new(task_definition)),
                Err(d) => {
                    warnings.extend(d);
                    return Applied::failed(Some(prior_value.clone()), warnings);
                }
            }
        } else {
            None
        };
        let new_arn = new_revision
            .as_ref()
            .and_then(|td| td.task_definition_arn())
            .map(str::to_owned);
        let updated = Box::pin(update_service(
            clients,
            &prior,
            &planned,
            new_arn.clone(),
            ctx,
        ))
        .await;
        let service = match updated {
            Ok(service) => service,
            Err(error) => {
                let new = new_arn.as_deref();
                let failed =
                    failed_update(clients, &prior, prior_value, new, &mut registered, error);
                let mut failed = Box::pin(failed).await;
                warnings.extend(failed.diagnostics);
                failed.diagnostics = warnings;
                return failed.with_private(registered.store(private.clone()));
            }
        };
        let private = registered.store(private.clone());
        let tagged = async {
            let arn = prior.arn.as_ref().cloned().unwrap_or_default();
            // The tags the refresh before this plan saw (as terraform-provider-aws diffs
            // `tags_all`): unchanged tags cost no call. Only a state that never recorded them
            // asks DescribeServices, which carries the tags.
            let current = match &prior.tags_all {
                crate::plugin::Known::Value(current) => current.clone(),
                _ => find_service(clients, &planned.cluster, &planned.name, ctx)
                    .await?
                    .filter(|service| ServiceStatus::of(service).is_live())
                    .map(|service| tags::ecs_tag_map(service.tags()))
                    .unwrap_or_default(),
            };
            let wanted = tags::merge(&clients.default_tags, planned.tags.as_ref());
            tags::sync_ecs_tags(clients, &arn, &current, &wanted, ctx).await
        }
        .await;
        if let Err(error) = tagged {
            let failed = failed_update(clients, &prior, prior_value, None, &mut registered, error);
            let mut failed = Box::pin(failed).await;
            warnings.extend(failed.diagnostics);
            failed.diagnostics = warnings;
            return failed.with_private(private);
        }
        let answers = Answers {
            service,
            task_definition: new_revision,
        };
        Box::pin(finish_rollout(
            clients,
            &planned,
            Some(&prior),
            answers,
            prior_value.clone(),
            (warnings, private),
            ctx,
        ))
        .await
    }

    async fn delete(
        &self,
        prior_value: &Value,
        private: &Private,
        ctx: &CallContext,
    ) -> Diagnostics {
        let (clients, prior) = match self.clients.with_model::<ServiceModel>(prior_value) {
            Ok(found) => found,
            Err(d) => return d,
        };
        let running = prior.task_definition_arn.as_ref().map(String::as_str);
        let registered = match RegisteredRevisions::owned(private, running) {
            Ok(registered) => registered,
            Err(d) => return d,
        };
        let (cluster, name) = (&prior.cluster, &prior.name);
        // `force` lets ECS stop the tasks itself (no UpdateService to zero first), and the
        // answer tells where the service stands (no DescribeServices first): INACTIVE is
        // deleted; otherwise it drains, and is waited for. Not found: deleted long ago (or its
        // cluster was); not active: deleted already, maybe still draining.
        let request = clients.ecs.delete_service().cluster(cluster).service(name);
        let draining = match call(ctx, "ecs:DeleteService", request.force(true).send()).await {
            Ok(output) => {
                crate::log_info!(service = %name, "deleted ECS service");
                output.service().map(ServiceStatus::of) != Some(ServiceStatus::Inactive)
            }
            Err(error) if error.is(&["ServiceNotFoundException", "ClusterNotFoundException"]) => {
                false
            }
            Err(error) if error.is(&["ServiceNotActiveException"]) => true,
            Err(error) => return error.diagnostic("Cannot delete the ECS service").into(),
        };
        // The service is deleted (or going): its revisions can go now, before the wait, so
        // that a wait cut short by Ctrl-C leaves none behind. Only the revisions this resource
        // registered: never another service's, another environment's or a person's revisions
        // of the same family. A deleted service's running tasks keep their revision.
        let mut left = Vec::new();
        for arn in registered.arns() {
            if !deregister(clients, arn, ctx).await {
                left.push(arn.as_str());
            }
        }
        if draining && let Err(d) = wait_for_deletion(clients, &prior, ctx).await {
            return d.into();
        }
        if left.is_empty() {
            return Diagnostics::new();
        }
        Diagnostic::warning(
            "Task definition revisions left ACTIVE",
            format!(
                "The service is deleted, but ECS did not deregister these revisions it registered: \
                 {}. Deregister them with `aws ecs deregister-task-definition --task-definition \
                 <arn>` once no other service runs them.",
                left.join(", ")
            ),
        )
        .into()
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Imported, Diagnostics> {
        let clients = self.clients.get()?;
        let Some((cluster, name)) = parse_import_id(id) else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!(
                    "Import todo_fargate_service as <cluster>/<service>, for example \
                     todo/todo-service (the cluster may also be its ARN); got {id:?}."
                ),
            )
            .into());
        };
        let mut imported = imported(
            find_live_service(clients, cluster, name, ctx).await,
            "ECS service",
            format!("ECS has no active service {name:?} in cluster {cluster:?}."),
            |remote| flatten_service(remote, None, cluster, &clients.default_tags),
        )?;
        // It owns no revision yet: the one it runs was registered by someone else.
        let mut private = RegisteredRevisions::default().store(Private::default());
        let read = imported.state.attr("task_definition_arn");
        if let Some(arn) = read.and_then(Value::as_str) {
            answered::ReadRevision::record(arn, &mut private);
        }
        imported.private = private;
        Ok(imported)
    }

    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        match version {
            0 => upgrade_from_v0(state).and_then(model::RepeatedBlocks::fill_in),
            SCHEMA_VERSION => model::RepeatedBlocks::fill_in(state),
            _ => Err(unsupported_state_version(
                self.type_name(),
                version,
                SCHEMA_VERSION,
            )),
        }
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::service_schema())
    }

    fn identity(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        identity::service_identity(&self.clients, state)
    }

    async fn import_by_identity(
        &self,
        id: &Value,
        ctx: &CallContext,
    ) -> Result<Imported, Diagnostics> {
        let requested = identity::requested_service(&self.clients, id)?;
        self.import(&format!("{}/{}", requested.cluster, requested.name), ctx)
            .await
    }
}
