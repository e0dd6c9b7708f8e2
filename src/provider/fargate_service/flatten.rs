//! The flatten side of `todo_fargate_service`: the service and task definition as ECS reports
//! them, turned into the model the state records. Where ECS cannot tell what the
//! configuration chose (an empty map or none, a default left unset, the tag behind a pinned
//! digest), the prior state decides.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{AssignPublicIp, CpuArchitecture, PropagateTags};

use super::containers::{ContainerSettings, flatten_settings};
use super::find::RemoteService;
use super::image::{ImageReference, split_image};
use super::model::{
    CircuitBreakerModel, DEFAULT_CIRCUIT_BREAKER, EphemeralStorageModel, LoadBalancerModel,
    ServiceModel,
};
use super::schema::{
    DEFAULT_CONTAINER_NAME, DEFAULT_CPU_ARCHITECTURE, DEFAULT_WAIT_FOR_STEADY_STATE,
};
use super::sidecar::flatten_sidecars;
use super::strategy::{flatten_launch_type, flatten_strategy};
use crate::plugin::Known;
use crate::provider::tags;

/// The `deployment_circuit_breaker` block: the default (enabled, with rollback) reads back as
/// no block when none was set.
fn flatten_circuit_breaker(
    remote: &RemoteService,
    prior: Option<&CircuitBreakerModel>,
) -> Option<CircuitBreakerModel> {
    let breaker = remote
        .service
        .deployment_configuration()
        .and_then(|d| d.deployment_circuit_breaker());
    match breaker {
        Some(b) => {
            let model = CircuitBreakerModel {
                enable: b.enable(),
                rollback: b.rollback(),
            };
            (prior.is_some() || model != DEFAULT_CIRCUIT_BREAKER).then_some(model)
        }
        None => prior.copied(),
    }
}

/// The `load_balancer` block.
fn flatten_load_balancer(remote: &RemoteService) -> Option<LoadBalancerModel> {
    remote
        .service
        .load_balancers()
        .first()
        .and_then(|lb| lb.target_group_arn())
        .map(|arn| LoadBalancerModel {
            target_group_arn: arn.to_owned(),
        })
}

/// The state for a service ECS reports. `prior` is the state (or plan) it replaces, `None` on
/// import; `cluster` is the cluster as the configuration names it.
pub fn flatten_service(
    remote: &RemoteService,
    prior: Option<&ServiceModel>,
    cluster: &str,
    default_tags: &BTreeMap<String, String>,
) -> ServiceModel {
    let s = &remote.service;
    let td = remote.task_definition.as_ref();
    let container_name = prior.map_or(DEFAULT_CONTAINER_NAME, ServiceModel::container);
    let container = td.and_then(|td| {
        let defs = td.container_definitions();
        defs.iter()
            .find(|c| c.name() == Some(container_name))
            .or_else(|| defs.first())
    });
    let image = container.and_then(|c| c.image()).unwrap_or_default();
    let recorded_tag = || prior.map(|p| p.image_tag.clone()).unwrap_or_default();
    let (repository_url, image_tag, image_digest, pin_digest) = if image.is_empty() {
        (
            prior.map(|p| p.repository_url.clone()).unwrap_or_default(),
            recorded_tag(),
            prior.map_or(Known::Null, |p| p.image_digest.clone()),
            prior.and_then(|p| p.pin_digest),
        )
    } else {
        match split_image(image) {
            (url, ImageReference::Tag(tag)) => (url, tag, Known::Null, Some(false)),
            // The tag cannot be read back from a digest: keep the recorded one.
            (url, ImageReference::Digest(digest)) => {
                (url, recorded_tag(), Known::Value(digest), Some(true))
            }
        }
    };
    let prior_settings = prior.map(ServiceModel::app_settings);
    let app_settings: ContainerSettings = match container {
        Some(c) => flatten_settings(c, prior_settings.as_ref()),
        None => prior_settings.clone().unwrap_or_default(),
    };
    let app_name = container.and_then(|c| c.name()).unwrap_or(container_name);
    let sidecars = match td {
        Some(td) => flatten_sidecars(
            td.container_definitions(),
            app_name,
            prior.map_or(&[], |p| p.sidecar.as_slice()),
        ),
        None => prior.map(|p| p.sidecar.clone()).unwrap_or_default(),
    };
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let deployment = s.deployment_configuration();
    let grace = match s.health_check_grace_period_seconds() {
        Some(0) | None if prior.is_none_or(|p| p.health_check_grace_period_seconds.is_none()) => {
            None
        }
        Some(seconds) => Some(seconds),
        None => prior.and_then(|p| p.health_check_grace_period_seconds),
    };
    let remote_tags = tags::ecs_tag_map(s.tags());
    let arn = s.service_arn().unwrap_or_default().to_owned();
    let security_groups: Option<BTreeSet<String>> = match vpc.map(|v| v.security_groups()) {
        Some([]) if prior.is_none_or(|p| p.security_groups.is_none()) => None,
        Some(groups) => Some(groups.iter().cloned().collect()),
        None => prior.and_then(|p| p.security_groups.clone()),
    };
    let mut model = ServiceModel {
        id: Known::Value(arn.clone()),
        arn: Known::Value(arn),
        name: s
            .service_name()
            .map(str::to_owned)
            .or_else(|| prior.map(|p| p.name.clone()))
            .unwrap_or_default(),
        cluster: cluster.to_owned(),
        // The family of the revision the service runs: an imported service keeps its own.
        family: td
            .and_then(|t| t.family())
            .map(str::to_owned)
            .or_else(|| prior.and_then(|p| p.family.clone())),
        repository_url,
        image_tag,
        pin_digest,
        image: if image.is_empty() {
            prior.map_or(Known::Null, |p| p.image.clone())
        } else {
            Known::Value(image.to_owned())
        },
        image_digest,
        container_name: container
            .and_then(|c| c.name())
            .map(str::to_owned)
            .or_else(|| prior.and_then(|p| p.container_name.clone())),
        container_port: container
            .and_then(|c| c.port_mappings().first())
            .and_then(|m| m.container_port())
            .or_else(|| prior.and_then(|p| p.container_port)),
        cpu: td
            .and_then(|t| t.cpu())
            .and_then(|c| c.parse().ok())
            .or_else(|| prior.and_then(|p| p.cpu)),
        memory: td
            .and_then(|t| t.memory())
            .and_then(|m| m.parse().ok())
            .or_else(|| prior.and_then(|p| p.memory)),
        cpu_architecture: Some(
            td.and_then(|td| td.runtime_platform())
                .and_then(|r| r.cpu_architecture())
                .map_or(DEFAULT_CPU_ARCHITECTURE, CpuArchitecture::as_str)
                .to_owned(),
        ),
        // The application container's settings follow (set_app_settings).
        environment: None,
        secrets: None,
        command: None,
        log_group: None,
        log_stream_prefix: None,
        log_configuration: None,
        health_check: None,
        stop_timeout: None,
        readonly_root_filesystem: None,
        user: None,
        working_directory: None,
        ulimits: Vec::new(),
        linux_parameters: None,
        container_depends_on: Vec::new(),
        ephemeral_storage: match td {
            // 20 GiB is what a task has when it sets none.
            Some(td) => td
                .ephemeral_storage()
                .map(|e| EphemeralStorageModel {
                    size_in_gib: e.size_in_gib(),
                })
                .filter(|e| {
                    e.size_in_gib != 20 || prior.is_some_and(|p| p.ephemeral_storage.is_some())
                }),
            None => prior.and_then(|p| p.ephemeral_storage),
        },
        sidecar: sidecars,
        launch_type: flatten_launch_type(s, prior.and_then(|p| p.launch_type.as_ref())),
        capacity_provider_strategy: flatten_strategy(s),
        execution_role_arn: td
            .and_then(|t| t.execution_role_arn())
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        task_role_arn: td
            .and_then(|t| t.task_role_arn())
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        desired_count: Some(s.desired_count()),
        subnets: vpc.map_or_else(
            || prior.map(|p| p.subnets.clone()).unwrap_or_default(),
            |v| v.subnets().iter().cloned().collect(),
        ),
        security_groups,
        assign_public_ip: vpc
            .and_then(|v| v.assign_public_ip())
            .map(|a| *a == AssignPublicIp::Enabled)
            .or_else(|| prior.and_then(|p| p.assign_public_ip)),
        load_balancer: flatten_load_balancer(remote),
        health_check_grace_period_seconds: grace,
        deployment_circuit_breaker: flatten_circuit_breaker(
            remote,
            prior.and_then(|p| p.deployment_circuit_breaker.as_ref()),
        ),
        deployment_minimum_healthy_percent: deployment
            .and_then(|d| d.minimum_healthy_percent())
            .or_else(|| prior.and_then(|p| p.deployment_minimum_healthy_percent)),
        deployment_maximum_percent: deployment
            .and_then(|d| d.maximum_percent())
            .or_else(|| prior.and_then(|p| p.deployment_maximum_percent)),
        propagate_tags: s
            .propagate_tags()
            .map(|p| PropagateTags::as_str(p).to_owned())
            .or_else(|| prior.and_then(|p| p.propagate_tags.clone())),
        enable_execute_command: Some(s.enable_execute_command()),
        // A service created without a platform version runs the latest, which ECS reports as
        // LATEST (emulators as an empty text).
        platform_version: s
            .platform_version()
            .map(|v| if v.is_empty() { "LATEST" } else { v }.to_owned())
            .or_else(|| prior.and_then(|p| p.platform_version.clone())),
        wait_for_steady_state: Some(
            prior
                .and_then(|p| p.wait_for_steady_state)
                .unwrap_or(DEFAULT_WAIT_FOR_STEADY_STATE),
        ),
        timeouts: prior.and_then(|p| p.timeouts.clone()),
        tags: tags::own_tags(
            &remote_tags,
            default_tags,
            prior.and_then(|p| p.tags.as_ref()),
        ),
        tags_all: Known::Value(remote_tags),
        task_definition_arn: s
            .task_definition()
            .map(|arn| Known::Value(arn.to_owned()))
            .or_else(|| prior.map(|p| p.task_definition_arn.clone()))
            .unwrap_or(Known::Null),
        task_definition_revision: td
            .map(|t| Known::Value(i64::from(t.revision())))
            .or_else(|| prior.map(|p| p.task_definition_revision.clone()))
            .unwrap_or(Known::Null),
    };
    model.set_app_settings(app_settings);
    model
}
