//! The typed model of `todo_fargate_service` (its state, and its plan as apply receives it),
//! the partial models that planning compares, and the expand side: the model turned into the
//! ECS request parts (network, deployment, load balancer, container definition).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerDefinition, DeploymentCircuitBreaker,
    DeploymentConfiguration, KeyValuePair, LoadBalancer, LogConfiguration, LogDriver,
    NetworkConfiguration, PortMapping, Secret, TransportProtocol,
};
use serde::{Deserialize, Serialize};

use super::schema::{DEFAULT_CONTAINER_NAME, DEFAULT_WAIT_FOR_STEADY_STATE};
use crate::plugin::Known;
use crate::plugin::validator::parse_duration;
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

    /// The container definition that runs `image`.
    pub fn container_definition(
        &self,
        image: &str,
        region: &str,
    ) -> Result<ContainerDefinition, CallError> {
        let environment: Vec<KeyValuePair> = self
            .environment
            .iter()
            .flatten()
            .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
            .collect();
        let secrets = self
            .secrets
            .iter()
            .flatten()
            .map(|(k, v)| {
                Secret::builder()
                    .name(k)
                    .value_from(v)
                    .build()
                    .map_err(|e| CallError::Build("secret", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let logs = match &self.log_group {
            Some(group) => Some(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", group)
                    .options("awslogs-region", region)
                    .options(
                        "awslogs-stream-prefix",
                        self.log_stream_prefix
                            .as_deref()
                            .unwrap_or(self.container()),
                    )
                    .build()
                    .map_err(|e| CallError::Build("log configuration", e.to_string()))?,
            ),
            None => None,
        };
        Ok(ContainerDefinition::builder()
            .name(self.container())
            .image(image)
            .essential(true)
            .port_mappings(
                PortMapping::builder()
                    .set_container_port(self.container_port)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            )
            .set_environment((!environment.is_empty()).then_some(environment))
            .set_secrets((!secrets.is_empty()).then_some(secrets))
            .set_command(self.command.clone())
            .set_log_configuration(logs)
            .build())
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
