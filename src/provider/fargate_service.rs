//! `todo_fargate_service`: an ECS Fargate service whose container image is
//! `<repository_url>:<image_tag>`. A new tag registers a new task definition revision and rolls
//! the service forward in place; an older tag rolls it back the same way. A tag that was never
//! pushed is refused before anything changes. Schema, validation, plan modification, CRUD and
//! import live together here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, CpuArchitecture,
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentRolloutState, KeyValuePair,
    LaunchType, LoadBalancer, LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode,
    OsFamily, PortMapping, PropagateTags, RuntimePlatform, Secret, Service, ServiceField,
    TaskDefinition, TaskDefinitionStatus, TransportProtocol,
};

use super::ClientSlot;
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use super::ecr_image::{self, ImageLookupError, ImageSelector};
use super::tags;
use super::tags::{ecs_tag_map as tag_map, ecs_tags, sync_ecs_tags};
use super::validate::legacy as validate;
use crate::plugin::attrs::{self, Attrs};
use crate::plugin::resource::stopped_diagnostic;
use crate::plugin::{
    Applied, Attribute, AttributePath, Block, CallContext, Diagnostic, Diagnostics, NestedBlock,
    Resource, ResourcePlan, Schema, Type, Value,
};

/// How long create, update and delete wait by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Attributes that shape the task definition: a change to any of them registers a new revision.
const CONTAINER_ATTRIBUTES: [&str; 15] = [
    "repository_url",
    "image_tag",
    "pin_digest",
    "container_name",
    "container_port",
    "cpu",
    "memory",
    "cpu_architecture",
    "environment",
    "secrets",
    "command",
    "log_group",
    "log_stream_prefix",
    "execution_role_arn",
    "task_role_arn",
];

/// Attributes that only Terraform's state holds; changing them calls no AWS API.
const LOCAL_ATTRIBUTES: [&str; 2] = ["wait_for_steady_state", "timeouts"];

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

fn schema() -> Schema {
    let computed = |name: &str, ty: Type, text: &str| Attribute::computed(name, ty).describe(text);
    Schema::new(
        Block::new(
            "An ECS Fargate service running one container whose image is \
             `<repository_url>:<image_tag>`. Pass the image tag at apply time \
             (`terraform apply -var image_tag=$(git rev-parse --short HEAD)`): a new tag rolls the \
             service forward in place, an older tag rolls it back, and a tag that was never pushed \
             is refused before anything changes.",
        )
        .attribute(computed("id", Type::String, "The service ARN.").stable())
        .attribute(
            Attribute::required("name", Type::String)
                .requires_replace()
                .describe("Service name, also the task definition family. Changing it replaces the service."),
        )
        .attribute(
            Attribute::required("cluster", Type::String)
                .requires_replace()
                .describe("Cluster name or ARN. Changing it replaces the service."),
        )
        .attribute(Attribute::required("repository_url", Type::String).describe(
            "The image repository, normally `todo_ecr_repository.<name>.repository_url`.",
        ))
        .attribute(Attribute::required("image_tag", Type::String).describe(
            "The image tag to run, such as the short git SHA. ECR's rule: up to 128 letters, \
             digits, `_`, `.` and `-`, not starting with `.` or `-`. Changing it rolls the service \
             to a new task definition revision in place.",
        ))
        .attribute(
            Attribute::optional("pin_digest", Type::Bool)
                .default(Value::Bool(false))
                .describe(
                    "Run `<repository_url>@<digest>`: the tag is resolved to its digest and recorded, \
                     so a later push to a mutable tag cannot change what runs; a moved tag shows as \
                     a change in the next plan.",
                ),
        )
        .attribute(computed(
            "image",
            Type::String,
            "The image the task definition runs: `<repository_url>:<image_tag>`, or \
             `<repository_url>@<digest>` with `pin_digest`.",
        ))
        .attribute(computed(
            "image_digest",
            Type::String,
            "With `pin_digest`, the digest that `image_tag` resolved to.",
        ))
        .attribute(
            Attribute::optional("container_name", Type::String)
                .default(attrs::string("app"))
                .describe("The container name (default `app`)."),
        )
        .attribute(
            Attribute::optional("container_port", Type::Number)
                .default(attrs::number(3000))
                .describe("The port the container listens on (default 3000)."),
        )
        .attribute(
            Attribute::optional("cpu", Type::Number)
                .default(attrs::number(256))
                .describe("Task CPU units (default 256); only Fargate's valid cpu/memory pairs are accepted."),
        )
        .attribute(
            Attribute::optional("memory", Type::Number)
                .default(attrs::number(512))
                .describe("Task memory in MiB (default 512); must be valid for `cpu` on Fargate."),
        )
        .attribute(
            Attribute::optional("cpu_architecture", Type::String)
                .default(attrs::string("X86_64"))
                .describe("`X86_64` (default) or `ARM64`: must match the image's platform."),
        )
        .attribute(Attribute::optional("environment", Type::map(Type::String)).describe(
            "Environment variables for the container.",
        ))
        .attribute(Attribute::optional("secrets", Type::map(Type::String)).describe(
            "Environment variables filled from Secrets Manager or SSM Parameter Store: variable \
             name to secret or parameter ARN. Needs `execution_role_arn`.",
        ))
        .attribute(Attribute::optional("command", Type::list(Type::String)).describe(
            "Overrides the image's command.",
        ))
        .attribute(Attribute::optional("log_group", Type::String).describe(
            "CloudWatch Logs group for the awslogs driver (region from the provider).",
        ))
        .attribute(Attribute::optional("log_stream_prefix", Type::String).describe(
            "awslogs stream prefix (default: the container name). Needs `log_group`.",
        ))
        .attribute(Attribute::optional("execution_role_arn", Type::String).describe(
            "Role ECS uses to pull the image, write logs and read secrets.",
        ))
        .attribute(Attribute::optional("task_role_arn", Type::String).describe(
            "Role the application's AWS calls use.",
        ))
        .attribute(
            Attribute::optional("desired_count", Type::Number)
                .default(attrs::number(1))
                .describe("How many tasks to run (default 1). Updated in place."),
        )
        .attribute(Attribute::required("subnets", Type::set(Type::String)).describe(
            "Subnet IDs for the tasks' network interfaces.",
        ))
        .attribute(Attribute::optional("security_groups", Type::set(Type::String)).describe(
            "Security group IDs for the tasks.",
        ))
        .attribute(
            Attribute::optional("assign_public_ip", Type::Bool)
                .default(Value::Bool(false))
                .describe("Give tasks a public IP (needed in public subnets without NAT)."),
        )
        .attribute(Attribute::optional("health_check_grace_period_seconds", Type::Number).describe(
            "Seconds to ignore failing load balancer health checks after a task starts.",
        ))
        .attribute(
            Attribute::optional("deployment_minimum_healthy_percent", Type::Number)
                .default(attrs::number(100))
                .describe("Lower bound of running tasks during a deployment, in percent of `desired_count` (default 100)."),
        )
        .attribute(
            Attribute::optional("deployment_maximum_percent", Type::Number)
                .default(attrs::number(200))
                .describe("Upper bound of tasks during a deployment, in percent of `desired_count` (default 200)."),
        )
        .attribute(
            Attribute::optional("propagate_tags", Type::String)
                .default(attrs::string("SERVICE"))
                .describe("Copy tags to tasks from `SERVICE` (default), `TASK_DEFINITION`, or `NONE`."),
        )
        .attribute(
            Attribute::optional("enable_execute_command", Type::Bool)
                .default(Value::Bool(false))
                .describe("Allow `aws ecs execute-command` into the tasks."),
        )
        .attribute(
            Attribute::optional("platform_version", Type::String)
                .default(attrs::string("LATEST"))
                .describe("Fargate platform version (default `LATEST`)."),
        )
        .attribute(
            Attribute::optional("wait_for_steady_state", Type::Bool)
                .default(Value::Bool(true))
                .describe(
                    "Wait until the deployment's rollout is COMPLETED (default true). A rollout the \
                     circuit breaker stops fails the apply with ECS's reason.",
                ),
        )
        .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags for the service and its task definitions."))
        .attribute(computed("tags_all", Type::map(Type::String), "The tags including the provider's `default_tags`."))
        .attribute(computed("arn", Type::String, "The service ARN.").stable())
        .attribute(computed("task_definition_arn", Type::String, "The task definition revision the service runs."))
        .attribute(computed("task_definition_revision", Type::Number, "The revision number of that task definition."))
        .block(
            NestedBlock::single(
                "load_balancer",
                Block::new("Registers the container (`container_name`:`container_port`) with a load balancer target group.")
                    .attribute(Attribute::required("target_group_arn", Type::String).describe("The target group ARN.")),
            ),
        )
        .block(NestedBlock::single(
            "deployment_circuit_breaker",
            Block::new(
                "Stops a deployment whose tasks keep failing, and rolls back to the last working \
                 revision. Without this block: enabled, with rollback.",
            )
            .attribute(Attribute::required("enable", Type::Bool).describe("Enable the circuit breaker."))
            .attribute(Attribute::required("rollback", Type::Bool).describe("Roll back a failed deployment.")),
        ))
        .block(NestedBlock::single(
            "timeouts",
            Block::new("How long to wait, as durations such as `30s`, `10m` or `1h` (default 20m each).")
                .attribute(Attribute::optional("create", Type::String).describe("For create."))
                .attribute(Attribute::optional("update", Type::String).describe("For update."))
                .attribute(Attribute::optional("delete", Type::String).describe("For delete.")),
        )),
    )
}

/// Fargate's valid memory sizes (MiB) for a CPU size.
pub fn fargate_memory_options(cpu: i64) -> Option<Vec<i64>> {
    let range = |from: i64, to: i64, step: i64| (from..=to).step_by(step as usize).collect();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122_880, 8192),
        _ => return None,
    })
}

/// Parses a duration such as `90s`, `10m`, `1h` or `1h30m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        let value: u64 = number.parse().ok()?;
        total = total.checked_add(value.checked_mul(unit)?)?;
        number.clear();
        seen_unit = true;
    }
    (number.is_empty() && seen_unit).then(|| Duration::from_secs(total))
}

/// Splits a container image into repository and tag (`repo:tag`) or digest (`repo@sha256:..`).
pub fn split_image(image: &str) -> (String, ImageReference) {
    if let Some((repository, digest)) = image.split_once('@') {
        return (
            repository.to_owned(),
            ImageReference::Digest(digest.to_owned()),
        );
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (
                image[..at].to_owned(),
                ImageReference::Tag(image[at + 1..].to_owned()),
            )
        }
        None => (image.to_owned(), ImageReference::Tag("latest".to_owned())),
    }
}

/// What follows the repository in an image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReference {
    /// `:tag`
    Tag(String),
    /// `@digest`
    Digest(String),
}

/// An ECR repository named by a repository URL (`<account>.dkr.ecr.<region>.<domain>/<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrLocation {
    /// The registry (account) ID.
    pub registry_id: String,
    /// The repository name.
    pub repository: String,
}

/// Reads an ECR repository URL; `None` for other registries (Docker Hub, GHCR, ...).
pub fn ecr_location(repository_url: &str) -> Option<EcrLocation> {
    let (host, repository) = repository_url.split_once('/')?;
    let registry_id = host.split('.').next()?;
    let is_ecr = host.contains(".dkr.ecr.") && registry_id.chars().all(|c| c.is_ascii_digit());
    (is_ecr && !repository.is_empty()).then(|| EcrLocation {
        registry_id: registry_id.to_owned(),
        repository: repository.to_owned(),
    })
}

/// The service as configured (from a plan or a state).
#[derive(Debug, Clone)]
struct ServiceSpec {
    name: String,
    cluster: String,
    repository_url: String,
    image_tag: String,
    pin_digest: bool,
    container_name: String,
    container_port: i32,
    cpu: i64,
    memory: i64,
    cpu_architecture: String,
    environment: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
    command: Option<Vec<String>>,
    log_group: Option<String>,
    log_stream_prefix: Option<String>,
    execution_role_arn: Option<String>,
    task_role_arn: Option<String>,
    desired_count: i32,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    assign_public_ip: bool,
    target_group_arn: Option<String>,
    health_check_grace_period_seconds: Option<i32>,
    circuit_breaker: (bool, bool),
    minimum_healthy_percent: i32,
    maximum_percent: i32,
    propagate_tags: String,
    enable_execute_command: bool,
    platform_version: String,
    wait_for_steady_state: bool,
    timeouts: Timeouts,
    tags_all: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy)]
struct Timeouts {
    create: Duration,
    update: Duration,
    delete: Duration,
}

fn timeouts(attrs: &Attrs<'_>) -> Timeouts {
    let block = attrs.block("timeouts");
    let get = |name: &str| {
        block
            .and_then(|b| b.string(name))
            .and_then(|t| parse_duration(&t))
            .unwrap_or(DEFAULT_TIMEOUT)
    };
    Timeouts {
        create: get("create"),
        update: get("update"),
        delete: get("delete"),
    }
}

fn to_i32(value: Option<i64>, default: i32) -> i32 {
    value.and_then(|v| i32::try_from(v).ok()).unwrap_or(default)
}

impl ServiceSpec {
    fn from_value(value: &Value, default_tags: &BTreeMap<String, String>) -> Self {
        let a = Attrs(value);
        let breaker = a.block("deployment_circuit_breaker");
        Self {
            name: a.string("name").unwrap_or_default(),
            cluster: a.string("cluster").unwrap_or_default(),
            repository_url: a.string("repository_url").unwrap_or_default(),
            image_tag: a.string("image_tag").unwrap_or_default(),
            pin_digest: a.bool("pin_digest").unwrap_or(false),
            container_name: a.string("container_name").unwrap_or_else(|| "app".into()),
            container_port: to_i32(a.i64("container_port"), 3000),
            cpu: a.i64("cpu").unwrap_or(256),
            memory: a.i64("memory").unwrap_or(512),
            cpu_architecture: a
                .string("cpu_architecture")
                .unwrap_or_else(|| "X86_64".into()),
            environment: a.string_map("environment").unwrap_or_default(),
            secrets: a.string_map("secrets").unwrap_or_default(),
            command: a.string_list("command"),
            log_group: a.non_empty("log_group"),
            log_stream_prefix: a.non_empty("log_stream_prefix"),
            execution_role_arn: a.non_empty("execution_role_arn"),
            task_role_arn: a.non_empty("task_role_arn"),
            desired_count: to_i32(a.i64("desired_count"), 1),
            subnets: a.string_list("subnets").unwrap_or_default(),
            security_groups: a.string_list("security_groups").unwrap_or_default(),
            assign_public_ip: a.bool("assign_public_ip").unwrap_or(false),
            target_group_arn: a
                .block("load_balancer")
                .and_then(|b| b.string("target_group_arn")),
            health_check_grace_period_seconds: a
                .i64("health_check_grace_period_seconds")
                .and_then(|v| i32::try_from(v).ok()),
            circuit_breaker: breaker.map_or((true, true), |b| {
                (
                    b.bool("enable").unwrap_or(true),
                    b.bool("rollback").unwrap_or(true),
                )
            }),
            minimum_healthy_percent: to_i32(a.i64("deployment_minimum_healthy_percent"), 100),
            maximum_percent: to_i32(a.i64("deployment_maximum_percent"), 200),
            propagate_tags: a
                .string("propagate_tags")
                .unwrap_or_else(|| "SERVICE".into()),
            enable_execute_command: a.bool("enable_execute_command").unwrap_or(false),
            platform_version: a
                .string("platform_version")
                .unwrap_or_else(|| "LATEST".into()),
            wait_for_steady_state: a.bool("wait_for_steady_state").unwrap_or(true),
            timeouts: timeouts(&a),
            tags_all: tags::merge(default_tags, a.string_map("tags").as_ref()),
        }
    }

    fn network(&self) -> Result<NetworkConfiguration, CallError> {
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(self.subnets.clone()))
            .set_security_groups(
                (!self.security_groups.is_empty()).then(|| self.security_groups.clone()),
            )
            .assign_public_ip(if self.assign_public_ip {
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

    fn deployment(&self) -> DeploymentConfiguration {
        DeploymentConfiguration::builder()
            .deployment_circuit_breaker(
                DeploymentCircuitBreaker::builder()
                    .enable(self.circuit_breaker.0)
                    .rollback(self.circuit_breaker.1)
                    .build(),
            )
            .minimum_healthy_percent(self.minimum_healthy_percent)
            .maximum_percent(self.maximum_percent)
            .build()
    }

    fn load_balancers(&self) -> Option<Vec<LoadBalancer>> {
        self.target_group_arn.as_ref().map(|arn| {
            vec![
                LoadBalancer::builder()
                    .target_group_arn(arn)
                    .container_name(&self.container_name)
                    .container_port(self.container_port)
                    .build(),
            ]
        })
    }

    fn container(&self, image: &str, region: &str) -> Result<ContainerDefinition, CallError> {
        let environment: Vec<KeyValuePair> = self
            .environment
            .iter()
            .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
            .collect();
        let secrets = self
            .secrets
            .iter()
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
                            .clone()
                            .unwrap_or_else(|| self.container_name.clone()),
                    )
                    .build()
                    .map_err(|e| CallError::Build("log configuration", e.to_string()))?,
            ),
            None => None,
        };
        Ok(ContainerDefinition::builder()
            .name(&self.container_name)
            .image(image)
            .essential(true)
            .port_mappings(
                PortMapping::builder()
                    .container_port(self.container_port)
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

/// The image a spec runs, given the digest its tag resolved to (if any).
fn image_for(spec: &ServiceSpec, digest: Option<&str>) -> Option<String> {
    if spec.pin_digest {
        digest.map(|d| format!("{}@{d}", spec.repository_url))
    } else {
        Some(format!("{}:{}", spec.repository_url, spec.image_tag))
    }
}

/// The service and its task definition as ECS reports them.
struct ServiceState {
    service: Service,
    task_definition: Option<TaskDefinition>,
}

/// An empty remote collection reads back as whatever (null or empty) the prior state held.
fn map_like_prior(map: BTreeMap<String, String>, prior: &Value) -> Value {
    if map.is_empty() && prior.is_null() {
        Value::Null
    } else {
        attrs::string_map(Some(&map))
    }
}

impl ServiceState {
    /// The state value, with local-only settings and null-vs-empty choices taken from `prior`.
    fn to_value(&self, prior: &Value, default_tags: &BTreeMap<String, String>) -> Value {
        let p = Attrs(prior);
        let s = &self.service;
        let td = self.task_definition.as_ref();
        let container_name = p.string("container_name").unwrap_or_else(|| "app".into());
        let container = td.and_then(|td| {
            let defs = td.container_definitions();
            defs.iter()
                .find(|c| c.name() == Some(container_name.as_str()))
                .or_else(|| defs.first())
        });
        let image = container
            .and_then(|c| c.image())
            .unwrap_or_default()
            .to_owned();
        let (repository_url, reference) = split_image(&image);
        let (image_tag, image_digest, pin_digest) = match reference {
            ImageReference::Tag(tag) => (attrs::string(tag), Value::Null, false),
            ImageReference::Digest(digest) => (
                // The tag cannot be read back from a digest: keep the recorded one.
                p.get("image_tag").clone(),
                attrs::string(digest),
                true,
            ),
        };
        let log_options = container
            .and_then(|c| c.log_configuration())
            .and_then(|l| l.options())
            .cloned()
            .unwrap_or_default();
        let port = container
            .and_then(|c| c.port_mappings().first())
            .and_then(|m| m.container_port());
        let vpc = s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration());
        let deployment = s.deployment_configuration();
        let breaker = deployment.and_then(|d| d.deployment_circuit_breaker());
        let breaker_value = match breaker {
            // The default (enabled, with rollback) reads back as no block when none was set.
            Some(b)
                if !(p.get("deployment_circuit_breaker").is_null()
                    && b.enable()
                    && b.rollback()) =>
            {
                attrs::object([
                    ("enable", Value::Bool(b.enable())),
                    ("rollback", Value::Bool(b.rollback())),
                ])
            }
            Some(_) => Value::Null,
            None => p.get("deployment_circuit_breaker").clone(),
        };
        let target_group = s
            .load_balancers()
            .first()
            .and_then(|lb| lb.target_group_arn());
        let grace = match s.health_check_grace_period_seconds() {
            Some(0) | None if p.get("health_check_grace_period_seconds").is_null() => Value::Null,
            Some(seconds) => attrs::number(i64::from(seconds)),
            None => p.get("health_check_grace_period_seconds").clone(),
        };
        let keep = |name: &str| p.get(name).clone();
        let number_or_prior =
            |value: Option<i64>, name: &str| value.map_or_else(|| keep(name), attrs::number);
        let string_or_prior =
            |value: Option<&str>, name: &str| value.map_or_else(|| keep(name), attrs::string);
        let command = container.map(|c| c.command().to_vec()).unwrap_or_default();
        let remote_tags = tag_map(s.tags());
        let own_tags = tags::own_tags(&remote_tags, default_tags, p.string_map("tags").as_ref());
        let arn = s.service_arn().unwrap_or_default().to_owned();
        let environment: BTreeMap<String, String> = container
            .map(|c| {
                c.environment()
                    .iter()
                    .filter_map(|kv| {
                        Some((
                            kv.name()?.to_owned(),
                            kv.value().unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let secrets: BTreeMap<String, String> = container
            .map(|c| {
                c.secrets()
                    .iter()
                    .map(|s| (s.name().to_owned(), s.value_from().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let cpu_architecture = td
            .and_then(|td| td.runtime_platform())
            .and_then(|r| r.cpu_architecture())
            .map_or("X86_64", CpuArchitecture::as_str);
        let stream_prefix = log_options.get("awslogs-stream-prefix").cloned();
        let stream_prefix = match (&stream_prefix, p.get("log_stream_prefix").is_null()) {
            // The default prefix (the container name) reads back as unset.
            (Some(prefix), true) if *prefix == container_name => Value::Null,
            _ => attrs::opt_string(stream_prefix),
        };
        attrs::object([
            ("id", attrs::string(arn.clone())),
            ("arn", attrs::string(arn)),
            ("name", string_or_prior(s.service_name(), "name")),
            ("cluster", keep("cluster")),
            (
                "repository_url",
                if image.is_empty() {
                    keep("repository_url")
                } else {
                    attrs::string(repository_url)
                },
            ),
            (
                "image_tag",
                if image.is_empty() {
                    keep("image_tag")
                } else {
                    image_tag
                },
            ),
            ("pin_digest", Value::Bool(pin_digest)),
            (
                "image",
                if image.is_empty() {
                    keep("image")
                } else {
                    attrs::string(image.clone())
                },
            ),
            ("image_digest", image_digest),
            (
                "container_name",
                container
                    .and_then(|c| c.name())
                    .map_or_else(|| keep("container_name"), attrs::string),
            ),
            (
                "container_port",
                number_or_prior(port.map(i64::from), "container_port"),
            ),
            (
                "cpu",
                number_or_prior(td.and_then(|t| t.cpu()).and_then(|c| c.parse().ok()), "cpu"),
            ),
            (
                "memory",
                number_or_prior(
                    td.and_then(|t| t.memory()).and_then(|m| m.parse().ok()),
                    "memory",
                ),
            ),
            ("cpu_architecture", attrs::string(cpu_architecture)),
            (
                "environment",
                map_like_prior(environment, p.get("environment")),
            ),
            ("secrets", map_like_prior(secrets, p.get("secrets"))),
            (
                "command",
                if command.is_empty() && p.get("command").is_null() {
                    Value::Null
                } else {
                    attrs::string_list(Some(&command))
                },
            ),
            (
                "log_group",
                attrs::opt_string(log_options.get("awslogs-group").cloned()),
            ),
            ("log_stream_prefix", stream_prefix),
            (
                "execution_role_arn",
                attrs::opt_string(
                    td.and_then(|t| t.execution_role_arn())
                        .filter(|s| !s.is_empty()),
                ),
            ),
            (
                "task_role_arn",
                attrs::opt_string(td.and_then(|t| t.task_role_arn()).filter(|s| !s.is_empty())),
            ),
            ("desired_count", attrs::number(i64::from(s.desired_count()))),
            (
                "subnets",
                vpc.map_or_else(|| keep("subnets"), |v| attrs::string_set(Some(v.subnets()))),
            ),
            (
                "security_groups",
                match vpc.map(|v| v.security_groups()) {
                    Some([]) if p.get("security_groups").is_null() => Value::Null,
                    Some(groups) => attrs::string_set(Some(groups)),
                    None => keep("security_groups"),
                },
            ),
            (
                "assign_public_ip",
                vpc.and_then(|v| v.assign_public_ip()).map_or_else(
                    || keep("assign_public_ip"),
                    |a| Value::Bool(*a == AssignPublicIp::Enabled),
                ),
            ),
            (
                "load_balancer",
                target_group.map_or(Value::Null, |arn| {
                    attrs::object([("target_group_arn", attrs::string(arn))])
                }),
            ),
            ("health_check_grace_period_seconds", grace),
            ("deployment_circuit_breaker", breaker_value),
            (
                "deployment_minimum_healthy_percent",
                number_or_prior(
                    deployment
                        .and_then(|d| d.minimum_healthy_percent())
                        .map(i64::from),
                    "deployment_minimum_healthy_percent",
                ),
            ),
            (
                "deployment_maximum_percent",
                number_or_prior(
                    deployment.and_then(|d| d.maximum_percent()).map(i64::from),
                    "deployment_maximum_percent",
                ),
            ),
            (
                "propagate_tags",
                string_or_prior(
                    s.propagate_tags().map(PropagateTags::as_str),
                    "propagate_tags",
                ),
            ),
            (
                "enable_execute_command",
                Value::Bool(s.enable_execute_command()),
            ),
            (
                "platform_version",
                string_or_prior(s.platform_version(), "platform_version"),
            ),
            (
                "wait_for_steady_state",
                p.bool("wait_for_steady_state")
                    .map_or(Value::Bool(true), Value::Bool),
            ),
            ("timeouts", keep("timeouts")),
            ("tags", attrs::string_map(own_tags.as_ref())),
            ("tags_all", attrs::string_map(Some(&remote_tags))),
            (
                "task_definition_arn",
                string_or_prior(s.task_definition(), "task_definition_arn"),
            ),
            (
                "task_definition_revision",
                number_or_prior(
                    td.map(|t| i64::from(t.revision())),
                    "task_definition_revision",
                ),
            ),
        ])
    }
}

/// Whether a service that DescribeServices returned still exists.
fn is_live(service: &Service) -> bool {
    !matches!(service.status(), Some("INACTIVE" | "DRAINING"))
}

impl FargateService {
    async fn describe(
        &self,
        clients: &AwsClients,
        cluster: &str,
        name: &str,
        ctx: &CallContext,
    ) -> Result<Option<ServiceState>, CallError> {
        let Some(service) = self
            .find_service(clients, cluster, name, ctx)
            .await?
            .filter(is_live)
        else {
            return Ok(None);
        };
        let task_definition = match service.task_definition() {
            Some(arn) => call(
                ctx,
                "ecs:DescribeTaskDefinition",
                clients
                    .ecs
                    .describe_task_definition()
                    .task_definition(arn)
                    .send(),
            )
            .await?
            .task_definition()
            .cloned(),
            None => None,
        };
        Ok(Some(ServiceState {
            service,
            task_definition,
        }))
    }

    /// Checks that the image exists (when the repository is in ECR) and returns its digest.
    /// Other registries are not checked: the provider cannot see into them.
    async fn resolve_image(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        ctx: &CallContext,
    ) -> Result<Option<String>, Diagnostics> {
        let Some(location) = ecr_location(&spec.repository_url) else {
            if spec.pin_digest {
                return Err(Diagnostic::invalid(
                    AttributePath::root("pin_digest"),
                    "Cannot pin a digest outside ECR",
                    format!("{:?} is not an ECR repository URL, so its tag cannot be resolved to a digest.", spec.repository_url),
                )
                .into());
            }
            return Ok(None);
        };
        let selector = ImageSelector::Tag(spec.image_tag.clone());
        match ecr_image::find_image(
            clients,
            &location.repository,
            Some(&location.registry_id),
            &selector,
            ctx,
        )
        .await
        {
            Ok(detail) => Ok(detail.image_digest().map(str::to_owned)),
            Err(
                error @ (ImageLookupError::TagNotFound { .. }
                | ImageLookupError::RepositoryNotFound { .. }),
            ) => Err(ecr_image::lookup_diagnostic(
                &error,
                AttributePath::root("image_tag"),
            )),
            Err(error) => Err(ecr_image::lookup_diagnostic(
                &error,
                AttributePath::root("image_tag"),
            )),
        }
    }

    async fn register_task_definition(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        image: &str,
        ctx: &CallContext,
    ) -> Result<TaskDefinition, CallError> {
        let output = call(
            ctx,
            "ecs:RegisterTaskDefinition",
            clients
                .ecs
                .register_task_definition()
                .family(&spec.name)
                .requires_compatibilities(Compatibility::Fargate)
                .network_mode(NetworkMode::Awsvpc)
                .cpu(spec.cpu.to_string())
                .memory(spec.memory.to_string())
                .runtime_platform(
                    RuntimePlatform::builder()
                        .cpu_architecture(CpuArchitecture::from(spec.cpu_architecture.as_str()))
                        .operating_system_family(OsFamily::Linux)
                        .build(),
                )
                .set_execution_role_arn(spec.execution_role_arn.clone())
                .set_task_role_arn(spec.task_role_arn.clone())
                .container_definitions(spec.container(image, &clients.region)?)
                .set_tags(ecs_tags(&spec.tags_all))
                .send(),
        )
        .await?;
        output.task_definition().cloned().ok_or_else(|| {
            CallError::Build("task definition", "ECS returned no task definition".into())
        })
    }

    async fn deregister(&self, clients: &AwsClients, arn: &str, ctx: &CallContext) {
        if let Err(error) = call(
            ctx,
            "ecs:DeregisterTaskDefinition",
            clients
                .ecs
                .deregister_task_definition()
                .task_definition(arn)
                .send(),
        )
        .await
        {
            tracing::warn!(task_definition = arn, %error, "could not deregister task definition");
        }
    }

    /// Waits until the primary deployment's rollout completes; FAILED is an error with ECS's reason.
    async fn wait_for_rollout(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        timeout: Duration,
        ctx: &CallContext,
    ) -> Result<(), Diagnostic> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut delay = Duration::from_millis(500);
        loop {
            let state = self
                .describe(clients, &spec.cluster, &spec.name, ctx)
                .await
                .map_err(|e| e.diagnostic("Cannot watch the deployment"))?;
            let Some(state) = state else {
                return Err(Diagnostic::error(
                    "Service vanished",
                    format!("Service {:?} disappeared during the deployment.", spec.name),
                ));
            };
            let service = &state.service;
            let primary = service
                .deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"));
            match primary.and_then(|d| d.rollout_state()) {
                Some(DeploymentRolloutState::Completed) => return Ok(()),
                Some(DeploymentRolloutState::Failed) => {
                    let reason = primary
                        .and_then(|d| d.rollout_state_reason())
                        .unwrap_or("no reason given");
                    return Err(Diagnostic::error(
                        "Deployment failed",
                        format!(
                            "The deployment of {:?} failed: {reason}. With the circuit breaker's rollback \
                             enabled, ECS returned the service to its last working revision. Check the \
                             tasks' stopped reasons and logs, fix the image or settings, and apply again.",
                            spec.name
                        ),
                    )
                    .at(AttributePath::root("image_tag")));
                }
                Some(_) => {}
                // No rollout state reported: steady when one deployment runs the desired count.
                None => {
                    if service.deployments().len() <= 1
                        && service.running_count() == service.desired_count()
                    {
                        return Ok(());
                    }
                }
            }
            if tokio::time::Instant::now() + delay > deadline {
                return Err(Diagnostic::error(
                    "Timed out waiting for the deployment",
                    format!(
                        "The deployment of {:?} did not complete within {}s. It goes on in ECS; \
                         raise the timeouts block or set wait_for_steady_state = false.",
                        spec.name,
                        timeout.as_secs()
                    ),
                ));
            }
            tokio::select! {
                () = ctx.cancelled() => return Err(stopped_diagnostic()),
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    /// The status ECS reports for the service (`ACTIVE`, `DRAINING`, `INACTIVE`), or `None`
    /// when it reports no such service or no such cluster.
    async fn service_status(
        &self,
        clients: &AwsClients,
        cluster: &str,
        name: &str,
        ctx: &CallContext,
    ) -> Result<Option<String>, CallError> {
        Ok(self
            .find_service(clients, cluster, name, ctx)
            .await?
            .map(|s| s.status().unwrap_or("ACTIVE").to_owned()))
    }

    /// The service ECS reports under `name` (or ARN) in `cluster`, whatever its status; `None`
    /// when ECS reports no such service or no such cluster. A name can be reported twice (an
    /// INACTIVE record and a newer one): the live one wins.
    async fn find_service(
        &self,
        clients: &AwsClients,
        cluster: &str,
        name: &str,
        ctx: &CallContext,
    ) -> Result<Option<Service>, CallError> {
        let output = match call(
            ctx,
            "ecs:DescribeServices",
            clients
                .ecs
                .describe_services()
                .cluster(cluster)
                .services(name)
                .include(ServiceField::Tags)
                .send(),
        )
        .await
        {
            Ok(output) => output,
            Err(error) if error.is(&["ClusterNotFoundException", "ServiceNotFoundException"]) => {
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        let services = output.services();
        let named = |s: &&Service| s.service_name() == Some(name) || s.service_arn() == Some(name);
        Ok(services
            .iter()
            .filter(named)
            .find(|s| is_live(s))
            .or_else(|| services.iter().find(named))
            .cloned())
    }

    async fn state_value(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        planned: &Value,
        ctx: &CallContext,
    ) -> Result<Option<Value>, CallError> {
        Ok(self
            .describe(clients, &spec.cluster, &spec.name, ctx)
            .await?
            .map(|state| state.to_value(planned, &clients.default_tags)))
    }

    /// The ACTIVE task definition revisions of the service's family.
    async fn family_revisions(
        &self,
        clients: &AwsClients,
        family: &str,
        ctx: &CallContext,
    ) -> Result<Vec<String>, CallError> {
        let mut arns = Vec::new();
        let mut token = None;
        for _ in 0..50 {
            let output = call(
                ctx,
                "ecs:ListTaskDefinitions",
                clients
                    .ecs
                    .list_task_definitions()
                    .family_prefix(family)
                    .status(TaskDefinitionStatus::Active)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            // family_prefix matches prefixes: keep this family's own revisions only.
            arns.extend(
                output
                    .task_definition_arns()
                    .iter()
                    .filter(|arn| {
                        arn.rsplit_once('/')
                            .and_then(|(_, r)| r.rsplit_once(':'))
                            .is_some_and(|(f, _)| f == family)
                    })
                    .cloned(),
            );
            token = output.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(arns)
    }
}

impl FargateService {
    /// Checks the image (before anything is registered), then registers the task definition
    /// revision that runs it; returns the revision's ARN.
    async fn register_revision(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        ctx: &CallContext,
    ) -> Result<String, Diagnostics> {
        let digest = self.resolve_image(clients, spec, ctx).await?;
        let image = image_for(spec, digest.as_deref()).ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Cannot resolve the image digest",
                "ECR reported no digest for the tag.",
            ))
        })?;
        let task_definition = self
            .register_task_definition(clients, spec, &image, ctx)
            .await
            .map_err(|e| Diagnostics::from(e.diagnostic("Cannot register the task definition")))?;
        let arn = task_definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_owned();
        tracing::info!(service = %spec.name, task_definition = %arn, %image, "registered task definition");
        Ok(arn)
    }

    /// After a create or update reached ECS: waits for the rollout (when asked) and records the
    /// service as ECS reports it; `fallback` is recorded when it cannot be read back.
    async fn finish_rollout(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        planned: &Value,
        timeout: Duration,
        fallback: Value,
        ctx: &CallContext,
    ) -> Applied {
        let mut diagnostics = Diagnostics::new();
        if spec.wait_for_steady_state
            && let Err(d) = self.wait_for_rollout(clients, spec, timeout, ctx).await
        {
            diagnostics.push(d);
        }
        match self.state_value(clients, spec, planned, ctx).await {
            Ok(Some(state)) => Applied {
                state: Some(state),
                diagnostics,
            },
            Ok(None) => {
                diagnostics.push(Diagnostic::error(
                    "Service vanished",
                    format!("ECS no longer reports the service {:?}.", spec.name),
                ));
                Applied::failed(None, diagnostics)
            }
            Err(error) => {
                diagnostics.push(error.diagnostic("Cannot read the service back"));
                Applied::failed(Some(fallback), diagnostics)
            }
        }
    }
}

impl FargateService {
    /// A failed update: records the service as AWS now reports it (the prior state as a
    /// fallback), so that the state matches what exists and the next apply converges.
    async fn failed_update(
        &self,
        clients: &AwsClients,
        spec: &ServiceSpec,
        prior: &Value,
        error: CallError,
        ctx: &CallContext,
    ) -> Applied {
        let state = match self.state_value(clients, spec, prior, ctx).await {
            Ok(state) => state,
            Err(_) => Some(prior.clone()),
        };
        Applied::failed(state, error.diagnostic("Cannot update the ECS service"))
    }
}

/// Splits an import ID `<cluster>/<service>`. The cluster may be a name or an ARN (which holds
/// a '/' itself): the service name is what follows the last '/'.
pub fn parse_import_id(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('/').filter(|(cluster, service)| {
        let cluster_ok = if cluster.starts_with("arn:") {
            validate::is_arn(cluster)
        } else {
            !cluster.is_empty() && !cluster.contains('/')
        };
        cluster_ok && !service.is_empty()
    })
}

/// Whether two object values differ in any of the named attributes.
fn differs(a: &Value, b: &Value, names: &[&str]) -> bool {
    names.iter().any(|n| a.attr(n) != b.attr(n))
}

#[async_trait]
impl Resource for FargateService {
    fn type_name(&self) -> &'static str {
        "todo_fargate_service"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let a = Attrs(config);
        if let Some(name) = a.string("name")
            && let Err(reason) = validate::check_cluster_name(&name)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("name"),
                "Invalid service name",
                reason.replace("cluster", "service"),
            ));
        }
        if let Some(cluster) = a.string("cluster")
            && !validate::is_arn(&cluster)
            && let Err(reason) = validate::check_cluster_name(&cluster)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("cluster"),
                "Invalid cluster",
                reason,
            ));
        }
        if let Some(tag) = a.string("image_tag")
            && let Err(reason) = ecr_image::check_image_tag(&tag)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("image_tag"),
                "Invalid image tag",
                reason,
            ));
        }
        if let Some(url) = a.string("repository_url") {
            let (_, reference) = split_image(&url);
            let has_reference = url.contains('@')
                || url
                    .rsplit('/')
                    .next()
                    .is_some_and(|last| last.contains(':'));
            if url.is_empty()
                || url.contains("://")
                || url.contains(char::is_whitespace)
                || has_reference
            {
                diags.push(Diagnostic::invalid(
                    AttributePath::root("repository_url"),
                    "Invalid repository URL",
                    format!(
                        "{url:?} must be a repository without scheme, tag or digest, such as \
                         123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service (found {reference:?}); \
                         set the tag in image_tag."
                    ),
                ));
            }
        }
        validate::in_range(&a, "container_port", 1, 65535, &mut diags);
        validate::in_range(&a, "desired_count", 0, 10_000, &mut diags);
        validate::in_range(&a, "deployment_minimum_healthy_percent", 0, 100, &mut diags);
        validate::in_range(&a, "deployment_maximum_percent", 100, 200, &mut diags);
        validate::in_range(
            &a,
            "health_check_grace_period_seconds",
            0,
            2_147_483_647,
            &mut diags,
        );
        if let (Some(cpu), Some(memory)) = (a.i64("cpu"), a.i64("memory")) {
            match fargate_memory_options(cpu) {
                None => diags.push(Diagnostic::invalid(
                    AttributePath::root("cpu"),
                    "Invalid Fargate cpu",
                    format!("Fargate task cpu is one of 256, 512, 1024, 2048, 4096, 8192, 16384; got {cpu}."),
                )),
                Some(options) if !options.contains(&memory) => diags.push(Diagnostic::invalid(
                    AttributePath::root("memory"),
                    "Invalid Fargate cpu/memory combination",
                    format!(
                        "With cpu = {cpu}, Fargate accepts memory {} to {} MiB ({} values); got {memory}.",
                        options.first().copied().unwrap_or_default(),
                        options.last().copied().unwrap_or_default(),
                        options.len()
                    ),
                )),
                Some(_) => {}
            }
        } else if !a.get("cpu").is_unknown() && !a.get("cpu").is_null() && a.i64("cpu").is_none() {
            diags.push(Diagnostic::invalid(
                AttributePath::root("cpu"),
                "Invalid Fargate cpu",
                "cpu must be a whole number.",
            ));
        }
        validate::one_of(
            &a,
            "cpu_architecture",
            AttributePath::root("cpu_architecture"),
            &["X86_64", "ARM64"],
            &mut diags,
        );
        validate::one_of(
            &a,
            "propagate_tags",
            AttributePath::root("propagate_tags"),
            &["SERVICE", "TASK_DEFINITION", "NONE"],
            &mut diags,
        );
        validate::arn(&a, "execution_role_arn", &mut diags);
        validate::arn(&a, "task_role_arn", &mut diags);
        if let Some(environment) = a.string_map("environment") {
            for key in environment.keys() {
                let valid = key
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    diags.push(Diagnostic::invalid(
                        AttributePath::root("environment").key(key),
                        "Invalid environment variable name",
                        format!("{key:?} must start with a letter or '_' and hold only letters, digits and '_'."),
                    ));
                }
            }
        }
        if let Some(secrets) = a.string_map("secrets") {
            for (key, arn) in &secrets {
                let service = arn.split(':').nth(2).unwrap_or_default();
                if !validate::is_arn(arn) || !matches!(service, "secretsmanager" | "ssm") {
                    diags.push(Diagnostic::invalid(
                        AttributePath::root("secrets").key(key),
                        "Invalid secret reference",
                        format!(
                            "{arn:?} must be a Secrets Manager secret ARN or an SSM parameter ARN."
                        ),
                    ));
                }
            }
            if !secrets.is_empty() && a.get("execution_role_arn").is_null() {
                diags.push(Diagnostic::invalid(
                    AttributePath::root("execution_role_arn"),
                    "Secrets need an execution role",
                    "ECS reads secrets with the task execution role: set execution_role_arn.",
                ));
            }
        }
        if !a.get("log_stream_prefix").is_null() && a.get("log_group").is_null() {
            diags.push(Diagnostic::invalid(
                AttributePath::root("log_stream_prefix"),
                "log_stream_prefix needs log_group",
                "Set log_group to send the container's logs to CloudWatch Logs.",
            ));
        }
        if let Some(subnets) = a.string_list("subnets")
            && subnets.is_empty()
            && !a.is_unknown("subnets")
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("subnets"),
                "No subnets",
                "Fargate tasks need at least one subnet.",
            ));
        }
        if let Some(lb) = a.block("load_balancer")
            && let Some(arn) = lb.string("target_group_arn")
            && !validate::is_arn(&arn)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("load_balancer").attr("target_group_arn"),
                "Invalid target group ARN",
                format!("{arn:?} is not an ARN."),
            ));
        }
        if let Some(block) = a.block("timeouts") {
            for name in ["create", "update", "delete"] {
                if let Some(text) = block.string(name)
                    && parse_duration(&text).is_none()
                {
                    diags.push(Diagnostic::invalid(
                        AttributePath::root("timeouts").attr(name),
                        "Invalid duration",
                        format!(
                            "{text:?} is not a duration such as \"30s\", \"10m\" or \"1h30m\"."
                        ),
                    ));
                }
            }
        }
        diags.extend(
            #[allow(deprecated)]
            tags::validate_tags(&a, AttributePath::root("tags")),
        );
        diags
    }

    /// plan_image_change: computes `image` (and, with `pin_digest`, its digest), decides whether a
    /// new task definition revision is needed, and refuses a tag that was never pushed.
    async fn modify_plan(&self, plan: &mut ResourcePlan, ctx: &CallContext) -> Diagnostics {
        let clients = self.clients.get().ok();
        let default_tags = clients.map(|c| c.default_tags.clone()).unwrap_or_default();
        if let Err(d) = tags::plan_tags_all(plan, &default_tags) {
            return d;
        }

        let container_change = match &plan.prior {
            None => true,
            Some(prior) => differs(prior, &plan.planned, &CONTAINER_ATTRIBUTES),
        };
        let service_change = match &plan.prior {
            None => true,
            Some(prior) => {
                let schema = schema();
                let names: Vec<&str> = schema
                    .block
                    .attributes
                    .iter()
                    .filter(|a| !a.is_computed() || a.default.is_some())
                    .map(|a| a.name.as_str())
                    .chain(["load_balancer", "deployment_circuit_breaker"])
                    .filter(|n| !CONTAINER_ATTRIBUTES.contains(n) && !LOCAL_ATTRIBUTES.contains(n))
                    .collect();
                differs(prior, &plan.planned, &names)
            }
        };
        let url = plan.planned("repository_url").clone();
        let tag = plan.planned("image_tag").clone();
        let pin = plan.planned("pin_digest").as_bool();
        let known = url.as_str().is_some() && tag.as_str().is_some() && pin.is_some();

        let mut digest: Option<String> = None;
        let mut check_failed = Diagnostics::new();
        let mut warnings = Diagnostics::new();
        let image_changes = plan.is_create()
            || plan.changes("repository_url")
            || plan.changes("image_tag")
            || plan.changes("pin_digest");
        if known && let Some(clients) = clients {
            let spec = ServiceSpec::from_value(&plan.planned, &default_tags);
            // Check the tag when the image changes, and re-resolve pinned digests every plan.
            if image_changes || spec.pin_digest {
                match self.resolve_image(clients, &spec, ctx).await {
                    Ok(found) => digest = found,
                    Err(d) if !image_changes => {
                        // Only the pinned digest was being re-checked: the pinned image keeps
                        // running even if its tag has gone since (say, expired by a lifecycle
                        // policy), so that must not block unrelated plans.
                        for diagnostic in d {
                            warnings.push(diagnostic.into_warning());
                        }
                        digest = plan.prior("image_digest").as_str().map(str::to_owned);
                    }
                    Err(d) => check_failed = d,
                }
            }
        }
        if check_failed.has_errors() {
            return check_failed;
        }

        let prior_digest = plan.prior("image_digest").clone();
        let pinned_moved = pin == Some(true)
            && digest.is_some()
            && prior_digest
                .as_str()
                .is_some_and(|d| Some(d) != digest.as_deref());
        if !known {
            plan.set("image", Value::unknown());
            plan.set("image_digest", Value::unknown());
        } else if pin == Some(true) {
            match &digest {
                Some(d) => {
                    plan.set(
                        "image",
                        attrs::string(format!("{}@{d}", url.as_str().unwrap_or_default())),
                    );
                    plan.set("image_digest", attrs::string(d.clone()));
                }
                None => {
                    plan.set("image", Value::unknown());
                    plan.set("image_digest", Value::unknown());
                }
            }
        } else {
            plan.set(
                "image",
                attrs::string(format!(
                    "{}:{}",
                    url.as_str().unwrap_or_default(),
                    tag.as_str().unwrap_or_default()
                )),
            );
            plan.set("image_digest", Value::Null);
        }

        let new_revision = container_change || pinned_moved;
        if let Some(prior) = plan.prior.clone() {
            let keep = |plan: &mut ResourcePlan, name: &str| {
                let value = prior.attr(name).cloned().unwrap_or(Value::Null);
                plan.set(name, value);
            };
            if !new_revision {
                keep(plan, "task_definition_arn");
                keep(plan, "task_definition_revision");
            } else {
                plan.set("task_definition_arn", Value::unknown());
                plan.set("task_definition_revision", Value::unknown());
            }
            if !new_revision && !service_change {
                // Nothing reaches AWS: keep the recorded image fields exactly.
                keep(plan, "image");
                keep(plan, "image_digest");
            }
        }
        warnings
    }

    async fn create(&self, planned: &Value, ctx: &CallContext) -> Applied {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return Applied::failed(None, d),
        };
        let spec = ServiceSpec::from_value(planned, &clients.default_tags);
        let td_arn = match self.register_revision(clients, &spec, ctx).await {
            Ok(arn) => arn,
            Err(d) => return Applied::failed(None, d),
        };
        let created = async {
            call(
                ctx,
                "ecs:CreateService",
                clients
                    .ecs
                    .create_service()
                    .cluster(&spec.cluster)
                    .service_name(&spec.name)
                    .task_definition(&td_arn)
                    .desired_count(spec.desired_count)
                    .launch_type(LaunchType::Fargate)
                    .platform_version(&spec.platform_version)
                    .network_configuration(spec.network()?)
                    .set_load_balancers(spec.load_balancers())
                    .set_health_check_grace_period_seconds(spec.health_check_grace_period_seconds)
                    .deployment_configuration(spec.deployment())
                    .propagate_tags(PropagateTags::from(spec.propagate_tags.as_str()))
                    .enable_execute_command(spec.enable_execute_command)
                    .set_tags(ecs_tags(&spec.tags_all))
                    .send(),
            )
            .await
        }
        .await;
        if let Err(error) = created {
            // Nothing may be orphaned: the revision registered for this service goes too.
            self.deregister(clients, &td_arn, ctx).await;
            let mut diagnostic = error.diagnostic("Cannot create the ECS service");
            if error.is(&["ClusterNotFoundException"]) {
                diagnostic = diagnostic.at(AttributePath::root("cluster"));
            }
            return Applied::failed(None, diagnostic);
        }
        tracing::info!(service = %spec.name, "created ECS service");
        // If it cannot be read back, record the plan: the service exists and must not be lost.
        let fallback = attrs::known_or_null(planned);
        self.finish_rollout(clients, &spec, planned, spec.timeouts.create, fallback, ctx)
            .await
    }

    async fn read(&self, state: &Value, ctx: &CallContext) -> Result<Option<Value>, Diagnostics> {
        let clients = self.clients.get()?;
        let a = Attrs(state);
        let (Some(cluster), Some(name)) = (a.string("cluster"), a.string("name")) else {
            return Ok(None);
        };
        match self.describe(clients, &cluster, &name, ctx).await {
            Ok(Some(remote)) => Ok(Some(remote.to_value(state, &clients.default_tags))),
            Ok(None) => {
                tracing::info!(service = %name, cluster = %cluster, "service no longer exists");
                Ok(None)
            }
            Err(error) => Err(error.diagnostic("Cannot read the ECS service").into()),
        }
    }

    async fn update(&self, prior: &Value, planned: &Value, ctx: &CallContext) -> Applied {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return Applied::failed(Some(prior.clone()), d),
        };
        let spec = ServiceSpec::from_value(planned, &clients.default_tags);
        let planned_td = Attrs(planned).get("task_definition_arn").clone();
        let needs_revision = planned_td.is_unknown();
        let schema = schema();
        let only_local = !needs_revision
            && !differs(prior, planned, &CONTAINER_ATTRIBUTES)
            && schema
                .block
                .attributes
                .iter()
                .map(|a| a.name.as_str())
                .chain(["load_balancer", "deployment_circuit_breaker"])
                .filter(|n| !LOCAL_ATTRIBUTES.contains(n))
                .all(|n| prior.attr(n) == planned.attr(n) || Attrs(planned).get(n).is_unknown());
        if only_local {
            let mut state = prior.clone();
            if let Value::Object(map) = &mut state {
                for name in LOCAL_ATTRIBUTES {
                    map.insert(name.to_owned(), Attrs(planned).get(name).clone());
                }
            }
            return Applied::ok(state);
        }

        let mut new_revision: Option<String> = None;
        if needs_revision {
            match self.register_revision(clients, &spec, ctx).await {
                Ok(arn) => new_revision = Some(arn),
                Err(d) => return Applied::failed(Some(prior.clone()), d),
            }
        }
        let updated = async {
            // Send only what changed, as terraform-provider-aws does: on AWS, passing the network
            // configuration, load balancers or platform version again starts a new deployment
            // (new tasks) even when the values are the same, which a scale change must not do.
            let changed = |names: &[&str]| differs(prior, planned, names);
            let mut request = clients
                .ecs
                .update_service()
                .cluster(&spec.cluster)
                .service(&spec.name)
                .set_task_definition(new_revision.clone());
            let mut any = new_revision.is_some();
            if changed(&["desired_count"]) {
                request = request.desired_count(spec.desired_count);
                any = true;
            }
            if changed(&["platform_version"]) {
                request = request.platform_version(&spec.platform_version);
                any = true;
            }
            if changed(&["subnets", "security_groups", "assign_public_ip"]) {
                request = request.network_configuration(spec.network()?);
                any = true;
            }
            let has_load_balancer =
                spec.target_group_arn.is_some() || !Attrs(prior).get("load_balancer").is_null();
            if changed(&["load_balancer"])
                || (has_load_balancer && changed(&["container_name", "container_port"]))
            {
                // An empty list removes the load balancer.
                request =
                    request.set_load_balancers(Some(spec.load_balancers().unwrap_or_default()));
                any = true;
            }
            if changed(&["health_check_grace_period_seconds"]) {
                // Unset reads back as 0 (none).
                request = request.health_check_grace_period_seconds(
                    spec.health_check_grace_period_seconds.unwrap_or(0),
                );
                any = true;
            }
            if changed(&[
                "deployment_circuit_breaker",
                "deployment_minimum_healthy_percent",
                "deployment_maximum_percent",
            ]) {
                request = request.deployment_configuration(spec.deployment());
                any = true;
            }
            if changed(&["propagate_tags"]) {
                request = request.propagate_tags(PropagateTags::from(spec.propagate_tags.as_str()));
                any = true;
            }
            if changed(&["enable_execute_command"]) {
                request = request.enable_execute_command(spec.enable_execute_command);
                any = true;
            }
            if any {
                call(ctx, "ecs:UpdateService", request.send()).await?;
            }
            Ok::<(), CallError>(())
        }
        .await;
        if let Err(error) = updated {
            if let Some(arn) = &new_revision {
                // The service still runs the old revision: remove the unused new one, so
                // nothing is orphaned and the next apply starts from what AWS has.
                self.deregister(clients, arn, ctx).await;
            }
            return self.failed_update(clients, &spec, prior, error, ctx).await;
        }
        let tagged = async {
            let arn = Attrs(prior).string("arn").unwrap_or_default();
            let current = tag_map(
                self.describe(clients, &spec.cluster, &spec.name, ctx)
                    .await?
                    .map(|s| s.service.tags().to_vec())
                    .unwrap_or_default()
                    .as_slice(),
            );
            sync_ecs_tags(clients, &arn, &current, &spec.tags_all, ctx).await
        }
        .await;
        if let Err(error) = tagged {
            return self.failed_update(clients, &spec, prior, error, ctx).await;
        }
        self.finish_rollout(
            clients,
            &spec,
            planned,
            spec.timeouts.update,
            prior.clone(),
            ctx,
        )
        .await
    }

    async fn delete(&self, prior: &Value, ctx: &CallContext) -> Diagnostics {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return d,
        };
        let spec = ServiceSpec::from_value(prior, &clients.default_tags);
        let status = match self
            .service_status(clients, &spec.cluster, &spec.name, ctx)
            .await
        {
            Ok(status) => status,
            Err(error) => return error.diagnostic("Cannot read the ECS service").into(),
        };
        // INACTIVE (or not reported at all): already deleted. DRAINING: being deleted, wait.
        let remains = status.as_deref().is_some_and(|s| s != "INACTIVE");
        if remains && status.as_deref() != Some("DRAINING") {
            let scaled = call(
                ctx,
                "ecs:UpdateService",
                clients
                    .ecs
                    .update_service()
                    .cluster(&spec.cluster)
                    .service(&spec.name)
                    .desired_count(0)
                    .send(),
            )
            .await;
            if let Err(error) = scaled
                && !error.is(&["ServiceNotFoundException", "ServiceNotActiveException"])
            {
                return error
                    .diagnostic("Cannot scale the ECS service to zero")
                    .into();
            }
            let deleted = call(
                ctx,
                "ecs:DeleteService",
                clients
                    .ecs
                    .delete_service()
                    .cluster(&spec.cluster)
                    .service(&spec.name)
                    .force(true)
                    .send(),
            )
            .await;
            if let Err(error) = deleted
                && !error.is(&["ServiceNotFoundException", "ServiceNotActiveException"])
            {
                return error.diagnostic("Cannot delete the ECS service").into();
            }
        }
        if remains {
            // Wait until ECS reports it gone: INACTIVE or missing. A DRAINING service still
            // has tasks stopping, and its cluster cannot be deleted until they have.
            let deadline = tokio::time::Instant::now() + spec.timeouts.delete;
            let mut delay = Duration::from_millis(500);
            loop {
                match self
                    .service_status(clients, &spec.cluster, &spec.name, ctx)
                    .await
                {
                    Ok(None) => break,
                    Ok(Some(status)) if status == "INACTIVE" => break,
                    Ok(Some(_)) => {}
                    Err(CallError::Stopped) => return stopped_diagnostic().into(),
                    Err(error) => {
                        return error
                            .diagnostic("Cannot confirm the service was deleted")
                            .into();
                    }
                }
                if tokio::time::Instant::now() + delay > deadline {
                    return Diagnostic::error(
                        "Timed out deleting the service",
                        format!(
                            "ECS still reports {:?} after {}s.",
                            spec.name,
                            spec.timeouts.delete.as_secs()
                        ),
                    )
                    .into();
                }
                tokio::select! {
                    () = ctx.cancelled() => return stopped_diagnostic().into(),
                    () = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            tracing::info!(service = %spec.name, "deleted ECS service");
        }
        match self.family_revisions(clients, &spec.name, ctx).await {
            Ok(arns) => {
                for arn in arns {
                    self.deregister(clients, &arn, ctx).await;
                }
                Diagnostics::new()
            }
            Err(error) => error
                .diagnostic("Cannot list the service's task definitions")
                .into_warning()
                .into(),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Value, Diagnostics> {
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
        let seed = attrs::object([
            ("cluster", attrs::string(cluster)),
            ("name", attrs::string(name)),
            ("wait_for_steady_state", Value::Bool(true)),
        ]);
        match self.describe(clients, cluster, name, ctx).await {
            Ok(Some(remote)) => Ok(remote.to_value(&seed, &clients.default_tags)),
            Ok(None) => Err(Diagnostic::error(
                "Cannot import non-existent service",
                format!("ECS has no active service {name:?} in cluster {cluster:?}."),
            )
            .into()),
            Err(error) => Err(error.diagnostic("Cannot import the ECS service").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::CallContext;
    use crate::provider::fake_aws::{Answer, FakeAws};

    const URL: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo";
    const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/svc:1";
    const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/svc:2";
    const SERVICE_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/main/svc";

    /// A fake ECS/ECR where the tag exists and registering works, but ECS refuses the service
    /// call named `refused`; the service runs revision 1 with image v1.
    async fn refusing(refused: &str) -> (FakeAws, FargateService) {
        let fake = FakeAws::default();
        fake.answer(
            "DescribeImages",
            Answer::ok(serde_json::json!({"imageDetails": [{
                "imageDigest": format!("sha256:{}", "a".repeat(64)),
                "imageTags": ["v1", "v2"],
                "repositoryName": "todo",
            }]})),
        );
        fake.answer(
            "RegisterTaskDefinition",
            Answer::ok(serde_json::json!({"taskDefinition": {
                "taskDefinitionArn": TD2, "family": "svc", "revision": 2}})),
        );
        fake.answer(
            "DeregisterTaskDefinition",
            Answer::ok(serde_json::json!({"taskDefinition": {
                "taskDefinitionArn": TD2, "status": "INACTIVE"}})),
        );
        fake.answer(
            refused,
            Answer::error(
                "InvalidParameterException",
                "The subnet ID 'subnet-0123456789abcdef0' does not exist",
            ),
        );
        fake.answer(
            "DescribeServices",
            Answer::ok(serde_json::json!({"services": [{
                "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
                "desiredCount": 1, "runningCount": 1, "taskDefinition": TD1, "deployments": [],
            }], "failures": []})),
        );
        fake.answer(
            "DescribeTaskDefinition",
            Answer::ok(serde_json::json!({"taskDefinition": {
                "taskDefinitionArn": TD1, "revision": 1, "cpu": "256", "memory": "512",
                "containerDefinitions": [{"name": "app", "image": format!("{URL}:v1"),
                    "portMappings": [{"containerPort": 3000}]}],
            }})),
        );
        let clients = fake.start().await.expect("fake endpoint");
        let slot = ClientSlot::default();
        let _ = slot.0.set(clients);
        (fake, FargateService::new(Arc::new(slot)))
    }

    fn service_value(tag: &str, td: Value) -> Value {
        attrs::object([
            ("name", attrs::string("svc")),
            ("cluster", attrs::string("main")),
            ("arn", attrs::string(SERVICE_ARN)),
            ("repository_url", attrs::string(URL)),
            ("image_tag", attrs::string(tag)),
            ("image", attrs::string(format!("{URL}:{tag}"))),
            ("pin_digest", Value::Bool(false)),
            (
                "subnets",
                attrs::string_set(Some(&["subnet-0123456789abcdef0".to_owned()])),
            ),
            ("wait_for_steady_state", Value::Bool(false)),
            ("task_definition_arn", td),
        ])
    }

    fn deregistered(fake: &FakeAws) -> Vec<String> {
        fake.calls()
            .iter()
            .filter(|c| c.operation == "DeregisterTaskDefinition")
            .filter_map(|c| c.input["taskDefinition"].as_str().map(str::to_owned))
            .collect()
    }

    #[tokio::test]
    async fn a_refused_update_deregisters_the_new_revision_and_records_what_runs() {
        let (fake, service) = refusing("UpdateService").await;
        let prior = service_value("v1", attrs::string(TD1));
        let planned = service_value("v2", Value::unknown());
        let applied = service
            .update(&prior, &planned, &CallContext::default())
            .await;

        assert!(applied.diagnostics.has_errors());
        let message = applied
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<String>();
        assert!(message.contains("ecs:UpdateService"), "{message}");
        assert_eq!(
            deregistered(&fake),
            [TD2],
            "the unused revision is deregistered"
        );
        let state = applied
            .state
            .expect("the service still exists and stays in state");
        let state = Attrs(&state);
        assert_eq!(
            state.string("image_tag").as_deref(),
            Some("v1"),
            "what ECS runs"
        );
        assert_eq!(state.string("task_definition_arn").as_deref(), Some(TD1));
        let operations: Vec<String> = fake.calls().into_iter().map(|c| c.operation).collect();
        let register = operations
            .iter()
            .position(|o| o == "RegisterTaskDefinition");
        let update = operations.iter().position(|o| o == "UpdateService");
        assert!(
            register < update,
            "the image is registered before the update: {operations:?}"
        );
    }

    #[tokio::test]
    async fn a_rollout_stopped_by_the_circuit_breaker_fails_quoting_ecs() {
        let (fake, service) = refusing("NothingRefused").await;
        fake.answer(
            "UpdateService",
            Answer::ok(serde_json::json!({"service": {}})),
        );
        let reason = "ECS deployment circuit breaker: tasks failed to start.";
        fake.answer(
            "DescribeServices",
            Answer::ok(serde_json::json!({"services": [{
                "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
                "desiredCount": 1, "runningCount": 1, "taskDefinition": TD1,
                "deployments": [{"status": "PRIMARY", "taskDefinition": TD1,
                    "rolloutState": "FAILED", "rolloutStateReason": reason}],
            }], "failures": []})),
        );
        let prior = service_value("v1", attrs::string(TD1));
        let mut planned = service_value("v2", Value::unknown());
        if let Value::Object(map) = &mut planned {
            map.insert("wait_for_steady_state".into(), Value::Bool(true));
        }
        let applied = service
            .update(&prior, &planned, &CallContext::default())
            .await;

        let failed = applied
            .diagnostics
            .iter()
            .find(|d| d.summary == "Deployment failed")
            .expect("a failed deployment is an error");
        assert!(failed.detail.contains(reason), "{}", failed.detail);
        let state = applied
            .state
            .expect("the service is recorded as ECS reports it");
        assert_eq!(
            Attrs(&state).string("task_definition_arn").as_deref(),
            Some(TD1),
            "rolled back to the last working revision"
        );
    }

    #[tokio::test]
    async fn a_refused_create_leaves_no_revision_behind() {
        let (fake, service) = refusing("CreateService").await;
        let planned = service_value("v1", Value::unknown());
        let applied = service.create(&planned, &CallContext::default()).await;

        assert!(applied.diagnostics.has_errors());
        assert!(
            applied.state.is_none(),
            "no service exists, so none is recorded"
        );
        assert_eq!(deregistered(&fake), [TD2]);
    }

    #[tokio::test]
    async fn a_missing_tag_stops_the_update_before_anything_is_registered() {
        let (fake, service) = refusing("UpdateService").await;
        fake.answer(
            "DescribeImages",
            Answer::error("ImageNotFoundException", "no such image"),
        );
        let prior = service_value("v1", attrs::string(TD1));
        let planned = service_value("never-pushed", Value::unknown());
        let applied = service
            .update(&prior, &planned, &CallContext::default())
            .await;

        let message = applied
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<String>();
        assert!(
            message.contains("never-pushed") && message.contains("todo"),
            "{message}"
        );
        assert_eq!(applied.state, Some(prior), "the state is untouched");
        let operations: Vec<String> = fake.calls().into_iter().map(|c| c.operation).collect();
        assert_eq!(
            operations,
            ["DescribeImages"],
            "nothing registered or updated"
        );
    }

    #[test]
    fn images_split_into_repository_and_reference() {
        assert_eq!(
            split_image("1.dkr.ecr.eu-central-1.amazonaws.com/todo:3f2a1bc"),
            (
                "1.dkr.ecr.eu-central-1.amazonaws.com/todo".into(),
                ImageReference::Tag("3f2a1bc".into())
            )
        );
        assert_eq!(
            split_image("localhost:4566/team/todo:v1"),
            (
                "localhost:4566/team/todo".into(),
                ImageReference::Tag("v1".into())
            )
        );
        assert_eq!(
            split_image("r/todo@sha256:abc"),
            ("r/todo".into(), ImageReference::Digest("sha256:abc".into()))
        );
        assert_eq!(
            split_image("localhost:4566/todo"),
            (
                "localhost:4566/todo".into(),
                ImageReference::Tag("latest".into())
            )
        );
    }

    #[test]
    fn ecr_urls_are_recognised() {
        assert_eq!(
            ecr_location("123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/todo"),
            Some(EcrLocation {
                registry_id: "123456789012".into(),
                repository: "team/todo".into()
            })
        );
        assert_eq!(ecr_location("ghcr.io/acme/todo"), None);
        assert_eq!(ecr_location("docker.io/library/nginx"), None);
    }

    #[test]
    fn fargate_sizes() {
        assert_eq!(fargate_memory_options(256), Some(vec![512, 1024, 2048]));
        assert!(
            fargate_memory_options(1024).is_some_and(|m| m.contains(&8192) && !m.contains(&512))
        );
        assert!(fargate_memory_options(300).is_none());
        assert!(fargate_memory_options(16384).is_some_and(|m| m.contains(&122_880)));
    }

    #[test]
    fn import_ids_name_cluster_and_service() {
        assert_eq!(
            parse_import_id("todo/todo-service"),
            Some(("todo", "todo-service"))
        );
        assert_eq!(
            parse_import_id("arn:aws:ecs:eu-central-1:123456789012:cluster/todo/api"),
            Some(("arn:aws:ecs:eu-central-1:123456789012:cluster/todo", "api"))
        );
        for bad in ["todo", "todo/", "/api", "a/b/c", "arn:aws:ecs/api"] {
            assert_eq!(parse_import_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
