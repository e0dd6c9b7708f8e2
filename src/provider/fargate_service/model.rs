//! The typed model of `todo_fargate_service` (its state, and its plan as apply receives it),
//! the partial models that planning compares, and the expand side: the model turned into the
//! ECS request parts (network, deployment, load balancer, container definitions). The shared
//! container settings are in `containers`, the sidecars in `sidecar`, the capacity provider
//! strategy in `strategy`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerDefinition, DeploymentCircuitBreaker,
    DeploymentConfiguration, EphemeralStorage, LoadBalancer, NetworkConfiguration, PortMapping,
    TransportProtocol,
};
use serde::{Deserialize, Serialize};

use super::containers::{
    ContainerSettings, ContainerSpec, DependencyModel, HealthCheckModel, LinuxParametersModel,
    LogConfigurationModel, UlimitModel,
};
use super::planned_value::PlannedBlock;
use super::schema::{DEFAULT_CONTAINER_NAME, DEFAULT_WAIT_FOR_STEADY_STATE};
use super::sidecar::SidecarModel;
use super::strategy::StrategyModel;
use crate::plugin::model::{from_value, patch};
use crate::plugin::validator::parse_duration;
use crate::plugin::{Diagnostics, Known, Value};
use crate::provider::aws_error::CallError;

/// How long create, update and delete wait when `timeouts` does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The service as its state records it, and as apply receives its plan (where only the
/// computed attributes may be unknown). Settings whose default the plan fills in are options
/// here: they are always set in a plan, and may be missing from what ECS reports.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ServiceModel {
    pub id: Known<String>,
    pub name: String,
    pub cluster: String,
    // Null only in states at schema version 0, which the upgrade fills in.
    pub family: Option<String>,
    // Null in states the provider wrote for services it could not read an image of.
    #[serde(with = "crate::plugin::model::empty_as_null")]
    pub repository_url: String,
    // Null in states of imported services pinned to a digest (the tag cannot be read back).
    #[serde(with = "crate::plugin::model::empty_as_null")]
    pub image_tag: String,
    pub pin_digest: Option<bool>,
    pub image: Known<String>,
    pub image_digest: Known<String>,
    pub container_name: Option<String>,
    pub container_port: Option<i32>,
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
    pub cpu_architecture: Option<String>,
    pub environment: Option<BTreeMap<String, String>>,
    pub secrets: Option<BTreeMap<String, String>>,
    pub command: Option<Vec<String>>,
    pub log_group: Option<String>,
    pub log_stream_prefix: Option<String>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub desired_count: Option<i32>,
    #[serde(deserialize_with = "crate::plugin::model::null_as_default")]
    pub subnets: BTreeSet<String>,
    pub security_groups: Option<BTreeSet<String>>,
    pub assign_public_ip: Option<bool>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub deployment_minimum_healthy_percent: Option<i32>,
    pub deployment_maximum_percent: Option<i32>,
    pub propagate_tags: Option<String>,
    pub enable_execute_command: Option<bool>,
    pub platform_version: Option<String>,
    pub wait_for_steady_state: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Known<BTreeMap<String, String>>,
    pub arn: Known<String>,
    pub task_definition_arn: Known<String>,
    pub task_definition_revision: Known<i64>,
    pub load_balancer: Option<LoadBalancerModel>,
    pub deployment_circuit_breaker: Option<CircuitBreakerModel>,
    pub timeouts: Option<TimeoutsModel>,
    // The application container's health and runtime settings, and the task's other
    // containers: all null in states written before they existed.
    pub stop_timeout: Option<i32>,
    pub readonly_root_filesystem: Option<bool>,
    pub user: Option<String>,
    pub working_directory: Option<String>,
    pub health_check: Option<HealthCheckModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub ulimits: Vec<UlimitModel>,
    pub linux_parameters: Option<LinuxParametersModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub container_depends_on: Vec<DependencyModel>,
    pub log_configuration: Option<LogConfigurationModel>,
    pub ephemeral_storage: Option<EphemeralStorageModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub sidecar: Vec<SidecarModel>,
    pub launch_type: Option<String>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub capacity_provider_strategy: BTreeSet<StrategyModel>,
}

/// The repeatable blocks, which a state written before they existed holds as null: the
/// upgrade writes them as no blocks, which is what a plan of the same configuration holds
/// (Terraform would otherwise plan a change from null to no blocks).
#[derive(Debug, Deserialize, Serialize)]
pub struct RepeatedBlocks {
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    ulimits: Vec<UlimitModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    container_depends_on: Vec<DependencyModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    sidecar: Vec<SidecarModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    capacity_provider_strategy: BTreeSet<StrategyModel>,
}

impl RepeatedBlocks {
    /// `state` with its null repeatable blocks written as no blocks.
    pub fn fill_in(mut state: Value) -> Result<Value, Diagnostics> {
        let blocks: RepeatedBlocks = from_value(&state)?;
        patch(&mut state, &blocks)?;
        Ok(state)
    }
}

/// The `ephemeral_storage` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct EphemeralStorageModel {
    pub size_in_gib: i32,
}

/// The `load_balancer` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LoadBalancerModel {
    pub target_group_arn: String,
}

/// The `deployment_circuit_breaker` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct CircuitBreakerModel {
    pub enable: bool,
    pub rollback: bool,
}

/// ECS's circuit breaker when the configuration has no block: enabled, with rollback.
pub const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerModel = CircuitBreakerModel {
    enable: true,
    rollback: true,
};

/// The `timeouts` block: durations such as `10m`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TimeoutsModel {
    pub create: Option<String>,
    pub update: Option<String>,
    pub delete: Option<String>,
}

/// Which operation a timeout is for.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

impl ServiceModel {
    /// The time limit of an operation: the `timeouts` block's, else [`DEFAULT_TIMEOUT`].
    pub fn timeout(&self, operation: Operation) -> Duration {
        let timeouts = self.timeouts.clone().unwrap_or_default();
        let text = match operation {
            Operation::Create => timeouts.create,
            Operation::Update => timeouts.update,
            Operation::Delete => timeouts.delete,
        };
        text.as_deref()
            .and_then(parse_duration)
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// Whether apply waits for the rollout (the plan always sets it; a state may not).
    pub fn waits_for_steady_state(&self) -> bool {
        self.wait_for_steady_state
            .unwrap_or(DEFAULT_WAIT_FOR_STEADY_STATE)
    }

    /// The task definition family the service registers revisions in.
    pub fn family(&self) -> &str {
        self.family.as_deref().unwrap_or(&self.name)
    }

    /// The container's name.
    pub fn container(&self) -> &str {
        self.container_name
            .as_deref()
            .unwrap_or(DEFAULT_CONTAINER_NAME)
    }

    /// The image a plan runs, given the digest its tag resolved to (if any).
    pub fn image_for(&self, digest: Option<&str>) -> Option<String> {
        if self.pin_digest == Some(true) {
            digest.map(|d| format!("{}@{d}", self.repository_url))
        } else {
            Some(format!("{}:{}", self.repository_url, self.image_tag))
        }
    }

    /// The awsvpc network configuration.
    pub fn network(&self) -> Result<NetworkConfiguration, CallError> {
        let groups = self.security_groups.clone().unwrap_or_default();
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(self.subnets.iter().cloned().collect()))
            .set_security_groups((!groups.is_empty()).then(|| groups.into_iter().collect()))
            .assign_public_ip(if self.assign_public_ip == Some(true) {
                AssignPublicIp::Enabled
            } else {
                AssignPublicIp::Disabled
            })
            .build()
            .map_err(|e| CallError::Build("network configuration", e.to_string()))?;
        Ok(NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build())
    }

    /// The deployment configuration (circuit breaker and percentages).
    pub fn deployment(&self) -> DeploymentConfiguration {
        let breaker = self
            .deployment_circuit_breaker
            .unwrap_or(DEFAULT_CIRCUIT_BREAKER);
        DeploymentConfiguration::builder()
            .deployment_circuit_breaker(
                DeploymentCircuitBreaker::builder()
                    .enable(breaker.enable)
                    .rollback(breaker.rollback)
                    .build(),
            )
            .set_minimum_healthy_percent(self.deployment_minimum_healthy_percent)
            .set_maximum_percent(self.deployment_maximum_percent)
            .build()
    }

    /// The load balancer registration, if any.
    pub fn load_balancers(&self) -> Option<Vec<LoadBalancer>> {
        self.load_balancer.as_ref().map(|lb| {
            vec![
                LoadBalancer::builder()
                    .target_group_arn(&lb.target_group_arn)
                    .container_name(self.container())
                    .set_container_port(self.container_port)
                    .build(),
            ]
        })
    }

    /// The application container's settings, as the containers module shares them.
    pub fn app_settings(&self) -> ContainerSettings {
        ContainerSettings {
            environment: self.environment.clone(),
            secrets: self.secrets.clone(),
            command: self.command.clone(),
            log_group: self.log_group.clone(),
            log_stream_prefix: self.log_stream_prefix.clone(),
            log_configuration: self.log_configuration.clone(),
            health_check: self.health_check.clone(),
            stop_timeout: self.stop_timeout,
            readonly_root_filesystem: self.readonly_root_filesystem,
            user: self.user.clone(),
            working_directory: self.working_directory.clone(),
            ulimits: self.ulimits.clone(),
            linux_parameters: self.linux_parameters.clone(),
            container_depends_on: self.container_depends_on.clone(),
        }
    }

    /// Sets the application container's settings (the flatten side).
    pub fn set_app_settings(&mut self, settings: ContainerSettings) {
        self.environment = settings.environment;
        self.secrets = settings.secrets;
        self.command = settings.command;
        self.log_group = settings.log_group;
        self.log_stream_prefix = settings.log_stream_prefix;
        self.log_configuration = settings.log_configuration;
        self.health_check = settings.health_check;
        self.stop_timeout = settings.stop_timeout;
        self.readonly_root_filesystem = settings.readonly_root_filesystem;
        self.user = settings.user;
        self.working_directory = settings.working_directory;
        self.ulimits = settings.ulimits;
        self.linux_parameters = settings.linux_parameters;
        self.container_depends_on = settings.container_depends_on;
    }

    /// The application's container definition, which runs `image`.
    pub fn container_definition(
        &self,
        image: &str,
        region: &str,
    ) -> Result<ContainerDefinition, CallError> {
        let settings = self.app_settings();
        ContainerSpec {
            name: self.container(),
            image,
            essential: true,
            cpu: None,
            memory: None,
            port_mappings: vec![
                PortMapping::builder()
                    .set_container_port(self.container_port)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            ],
            firelens: None,
            settings: &settings,
        }
        .definition(region)
    }

    /// Every container of the task definition: the application's (which runs `image`)
    /// first, then the sidecars in order.
    pub fn container_definitions(
        &self,
        image: &str,
        region: &str,
    ) -> Result<Vec<ContainerDefinition>, CallError> {
        let mut containers = vec![self.container_definition(image, region)?];
        for sidecar in &self.sidecar {
            containers.push(sidecar.container_definition(region)?);
        }
        Ok(containers)
    }

    /// The task's ephemeral storage, when set.
    pub fn task_ephemeral_storage(&self) -> Option<EphemeralStorage> {
        self.ephemeral_storage.map(|e| {
            EphemeralStorage::builder()
                .size_in_gib(e.size_in_gib)
                .build()
        })
    }
}

/// A map whose values may still be unknown in a plan.
pub type PlannedMap = Known<BTreeMap<String, Known<String>>>;

/// A list or set whose elements may still be unknown in a plan.
pub type PlannedList = Known<Vec<Known<String>>>;

/// What shapes the task definition, as a plan holds it (any value may be unknown): a
/// difference from the prior state registers a new revision.
#[derive(Debug, PartialEq, Deserialize)]
pub struct RevisionInputs {
    family: Known<String>,
    repository_url: Known<String>,
    image_tag: Known<String>,
    pin_digest: Known<bool>,
    container_name: Known<String>,
    container_port: Known<i64>,
    cpu: Known<i64>,
    memory: Known<i64>,
    cpu_architecture: Known<String>,
    environment: PlannedMap,
    secrets: PlannedMap,
    command: PlannedList,
    log_group: Known<String>,
    log_stream_prefix: Known<String>,
    execution_role_arn: Known<String>,
    task_role_arn: Known<String>,
    stop_timeout: Known<i64>,
    readonly_root_filesystem: Known<bool>,
    user: Known<String>,
    working_directory: Known<String>,
    health_check: PlannedBlock,
    ulimits: PlannedBlock,
    linux_parameters: PlannedBlock,
    container_depends_on: PlannedBlock,
    log_configuration: PlannedBlock,
    ephemeral_storage: PlannedBlock,
    sidecar: PlannedBlock,
}

/// The service's own settings, as a plan holds them: a difference from the prior state is an
/// UpdateService without a new revision.
#[derive(Debug, PartialEq, Deserialize)]
pub struct ServiceInputs {
    name: Known<String>,
    cluster: Known<String>,
    desired_count: Known<i64>,
    subnets: PlannedList,
    security_groups: PlannedList,
    assign_public_ip: Known<bool>,
    health_check_grace_period_seconds: Known<i64>,
    deployment_minimum_healthy_percent: Known<i64>,
    deployment_maximum_percent: Known<i64>,
    propagate_tags: Known<String>,
    enable_execute_command: Known<bool>,
    platform_version: Known<String>,
    tags: PlannedMap,
    load_balancer: Known<PlannedLoadBalancer>,
    deployment_circuit_breaker: Known<PlannedCircuitBreaker>,
    launch_type: Known<String>,
    capacity_provider_strategy: PlannedBlock,
}

/// The tags a plan gives the service, the provider's default tags included: a change of the
/// default tags alone changes nothing else, yet must reach ECS.
#[derive(Debug, PartialEq, Deserialize)]
pub struct PlannedTagsAll {
    tags_all: PlannedMap,
}

/// The `load_balancer` block in a plan.
#[derive(Debug, PartialEq, Deserialize)]
pub struct PlannedLoadBalancer {
    target_group_arn: Known<String>,
}

/// The `deployment_circuit_breaker` block in a plan.
#[derive(Debug, PartialEq, Deserialize)]
pub struct PlannedCircuitBreaker {
    enable: Known<bool>,
    rollback: Known<bool>,
}

/// The task definition family of a plan, and what a new service's default family is made of.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
pub struct PlannedFamily {
    pub family: Known<String>,
}

/// The names a default family is made of, as a plan holds them.
#[derive(Debug, Deserialize)]
pub struct FamilySource {
    pub name: Known<String>,
    pub cluster: Known<String>,
}

/// The image settings of a plan.
#[derive(Debug, PartialEq, Deserialize)]
pub struct PlannedImage {
    pub repository_url: Known<String>,
    pub image_tag: Known<String>,
    pub pin_digest: Known<bool>,
    pub image_digest: Known<String>,
}

/// The computed image attributes a plan sets.
#[derive(Debug, Deserialize, Serialize)]
pub struct ImageOutputs {
    pub image: Known<String>,
    pub image_digest: Known<String>,
}

/// The computed task definition attributes a plan sets.
#[derive(Debug, Deserialize, Serialize)]
pub struct RevisionOutputs {
    pub task_definition_arn: Known<String>,
    pub task_definition_revision: Known<i64>,
}

/// The attributes that only Terraform's state holds: changing them calls no AWS API.
#[derive(Debug, Serialize)]
pub struct LocalSettings {
    pub wait_for_steady_state: Option<bool>,
    pub timeouts: Option<TimeoutsModel>,
}
