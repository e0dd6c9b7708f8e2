//! The container settings the application container and every sidecar share: environment,
//! secrets, command, logs, health check, stop timeout, read-only root filesystem, user,
//! working directory, ulimits, init process and the containers each one waits for. Here are
//! their models, their schema (added to the top-level block for the application and to the
//! `sidecar` block), their expand side (an ECS container definition) and their flatten side
//! (what ECS reports, read back the way the configuration wrote it).

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    ContainerCondition, ContainerDefinition, ContainerDependency, FirelensConfiguration,
    FirelensConfigurationType, HealthCheck, KeyValuePair, LinuxParameters, LogConfiguration,
    LogDriver, PortMapping, Secret, Ulimit, UlimitName,
};
use serde::{Deserialize, Serialize};

use crate::plugin::validator::Validator;
use crate::plugin::{Attribute, Block, NestedBlock, Type};
use crate::provider::aws_error::CallError;
use crate::provider::validate;

/// What ECS uses when a health check leaves `interval` unset.
pub const DEFAULT_HEALTH_INTERVAL: i32 = 30;
/// What ECS uses when a health check leaves `timeout` unset.
pub const DEFAULT_HEALTH_TIMEOUT: i32 = 5;
/// What ECS uses when a health check leaves `retries` unset.
pub const DEFAULT_HEALTH_RETRIES: i32 = 3;

/// The log drivers a Fargate task may use.
pub const FARGATE_LOG_DRIVERS: [&str; 3] = ["awslogs", "awsfirelens", "splunk"];

/// The conditions a container may wait for.
pub const DEPENDENCY_CONDITIONS: [&str; 4] = ["START", "COMPLETE", "SUCCESS", "HEALTHY"];

const ULIMIT_NAMES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// The `health_check` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct HealthCheckModel {
    pub command: Vec<String>,
    pub interval: Option<i32>,
    pub timeout: Option<i32>,
    pub retries: Option<i32>,
    pub start_period: Option<i32>,
}

/// A `ulimits` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct UlimitModel {
    pub name: String,
    pub soft_limit: i32,
    pub hard_limit: i32,
}

/// The `linux_parameters` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LinuxParametersModel {
    pub init_process_enabled: Option<bool>,
}

/// A `container_depends_on` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DependencyModel {
    pub container_name: String,
    pub condition: String,
}

/// The `log_configuration` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LogConfigurationModel {
    pub log_driver: String,
    pub options: Option<BTreeMap<String, String>>,
}

/// The settings every container has, whichever block they are written in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSettings {
    pub environment: Option<BTreeMap<String, String>>,
    pub secrets: Option<BTreeMap<String, String>>,
    pub command: Option<Vec<String>>,
    pub log_group: Option<String>,
    pub log_stream_prefix: Option<String>,
    pub log_configuration: Option<LogConfigurationModel>,
    pub health_check: Option<HealthCheckModel>,
    pub stop_timeout: Option<i32>,
    pub readonly_root_filesystem: Option<bool>,
    pub user: Option<String>,
    pub working_directory: Option<String>,
    pub ulimits: Vec<UlimitModel>,
    pub linux_parameters: Option<LinuxParametersModel>,
    pub container_depends_on: Vec<DependencyModel>,
}

/// One container of the task definition, as the expand side builds it.
pub struct ContainerSpec<'a> {
    pub name: &'a str,
    pub image: &'a str,
    pub essential: bool,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
    pub port_mappings: Vec<PortMapping>,
    pub firelens: Option<(&'a str, Option<&'a BTreeMap<String, String>>)>,
    pub settings: &'a ContainerSettings,
}

fn build_error(what: &'static str) -> impl Fn(aws_sdk_ecs::error::BuildError) -> CallError {
    move |e| CallError::Build(what, e.to_string())
}

impl ContainerSpec<'_> {
    /// The ECS container definition; `region` is where awslogs writes.
    pub fn definition(&self, region: &str) -> Result<ContainerDefinition, CallError> {
        let s = self.settings;
        let environment: Vec<KeyValuePair> = s
            .environment
            .iter()
            .flatten()
            .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
            .collect();
        let secrets = s
            .secrets
            .iter()
            .flatten()
            .map(|(k, v)| {
                Secret::builder()
                    .name(k)
                    .value_from(v)
                    .build()
                    .map_err(build_error("secret"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ulimits = s
            .ulimits
            .iter()
            .map(|u| {
                Ulimit::builder()
                    .name(UlimitName::from(u.name.as_str()))
                    .soft_limit(u.soft_limit)
                    .hard_limit(u.hard_limit)
                    .build()
                    .map_err(build_error("ulimit"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let depends_on = s
            .container_depends_on
            .iter()
            .map(|d| {
                ContainerDependency::builder()
                    .container_name(&d.container_name)
                    .condition(ContainerCondition::from(d.condition.as_str()))
                    .build()
                    .map_err(build_error("container dependency"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let health_check = match &s.health_check {
            Some(h) => Some(
                HealthCheck::builder()
                    .set_command(Some(h.command.clone()))
                    .set_interval(h.interval)
                    .set_timeout(h.timeout)
                    .set_retries(h.retries)
                    .set_start_period(h.start_period)
                    .build()
                    .map_err(build_error("health check"))?,
            ),
            None => None,
        };
        let firelens = match self.firelens {
            Some((kind, options)) => Some(
                FirelensConfiguration::builder()
                    .r#type(FirelensConfigurationType::from(kind))
                    .set_options(options.map(|o| o.clone().into_iter().collect()))
                    .build()
                    .map_err(build_error("firelens configuration"))?,
            ),
            None => None,
        };
        Ok(ContainerDefinition::builder()
            .name(self.name)
            .image(self.image)
            .essential(self.essential)
            .set_cpu(self.cpu)
            .set_memory(self.memory)
            .set_port_mappings((!self.port_mappings.is_empty()).then(|| self.port_mappings.clone()))
            .set_environment((!environment.is_empty()).then_some(environment))
            .set_secrets((!secrets.is_empty()).then_some(secrets))
            .set_command(s.command.clone())
            .set_log_configuration(self.logs(region)?)
            .set_health_check(health_check)
            .set_stop_timeout(s.stop_timeout)
            .set_readonly_root_filesystem(s.readonly_root_filesystem)
            .set_user(s.user.clone())
            .set_working_directory(s.working_directory.clone())
            .set_ulimits((!ulimits.is_empty()).then_some(ulimits))
            .set_linux_parameters(s.linux_parameters.as_ref().map(|l| {
                LinuxParameters::builder()
                    .set_init_process_enabled(l.init_process_enabled)
                    .build()
            }))
            .set_depends_on((!depends_on.is_empty()).then_some(depends_on))
            .set_firelens_configuration(firelens)
            .build())
    }

    /// The log configuration: awslogs into `log_group`, or the `log_configuration` block.
    fn logs(&self, region: &str) -> Result<Option<LogConfiguration>, CallError> {
        let s = self.settings;
        let builder = if let Some(group) = &s.log_group {
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", group)
                .options("awslogs-region", region)
                .options(
                    "awslogs-stream-prefix",
                    s.log_stream_prefix.as_deref().unwrap_or(self.name),
                )
        } else if let Some(config) = &s.log_configuration {
            LogConfiguration::builder()
                .log_driver(LogDriver::from(config.log_driver.as_str()))
                .set_options(config.options.clone().map(|o| o.into_iter().collect()))
        } else {
            return Ok(None);
        };
        builder
            .build()
            .map(Some)
            .map_err(build_error("log configuration"))
    }
}

/// An empty remote collection reads back as whatever (null or empty) the prior state held.
pub fn like_prior<T: Default + PartialEq>(remote: T, prior: Option<&T>) -> Option<T> {
    if remote == T::default() && prior.is_none() {
        None
    } else {
        Some(remote)
    }
}

/// A value ECS reports although the configuration may not have set it (a default): null
/// when it equals `default` and the prior state held null. A value ECS leaves out reads back
/// as the prior's when that is the default (written explicitly, and what ECS applies).
fn unless_default<T: PartialEq + Clone>(
    remote: Option<T>,
    default: T,
    prior: Option<&T>,
) -> Option<T> {
    match remote {
        Some(v) => (!(v == default && prior.is_none())).then_some(v),
        None => prior.filter(|p| **p == default).cloned(),
    }
}

/// The user ECS reports. ECS sets `"0"` (root) on a FireLens router that names no user:
/// that reads back as unset where the prior state (none on import) left it unset.
fn flatten_user(c: &ContainerDefinition, prior: Option<&ContainerSettings>) -> Option<String> {
    let user = c.user().filter(|u| !u.is_empty())?;
    let set_by_ecs = user == "0"
        && c.firelens_configuration().is_some()
        && prior.is_none_or(|p| p.user.is_none());
    (!set_by_ecs).then(|| user.to_owned())
}

fn flatten_health_check(
    remote: Option<&HealthCheck>,
    prior: Option<&HealthCheckModel>,
) -> Option<HealthCheckModel> {
    let h = remote?;
    Some(HealthCheckModel {
        command: h.command().to_vec(),
        interval: unless_default(
            h.interval(),
            DEFAULT_HEALTH_INTERVAL,
            prior.and_then(|p| p.interval.as_ref()),
        ),
        timeout: unless_default(
            h.timeout(),
            DEFAULT_HEALTH_TIMEOUT,
            prior.and_then(|p| p.timeout.as_ref()),
        ),
        retries: unless_default(
            h.retries(),
            DEFAULT_HEALTH_RETRIES,
            prior.and_then(|p| p.retries.as_ref()),
        ),
        start_period: unless_default(
            h.start_period(),
            0,
            prior.and_then(|p| p.start_period.as_ref()),
        ),
    })
}

/// The settings of a container ECS reports, read back the way `prior` (the state or plan it
/// replaces; `None` on import) wrote them.
pub fn flatten_settings(
    c: &ContainerDefinition,
    prior: Option<&ContainerSettings>,
) -> ContainerSettings {
    let environment: BTreeMap<String, String> = c
        .environment()
        .iter()
        .filter_map(|kv| {
            Some((
                kv.name()?.to_owned(),
                kv.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    let secrets: BTreeMap<String, String> = c
        .secrets()
        .iter()
        .map(|s| (s.name().to_owned(), s.value_from().to_owned()))
        .collect();
    let logs = c.log_configuration();
    let options: BTreeMap<String, String> = logs
        .and_then(|l| l.options())
        .map(|o| o.clone().into_iter().collect())
        .unwrap_or_default();
    let written_as_block = prior.is_some_and(|p| p.log_configuration.is_some());
    let (log_group, log_stream_prefix, log_configuration) = match logs {
        Some(l) if *l.log_driver() == LogDriver::Awslogs && !written_as_block => {
            let name = c.name().unwrap_or_default();
            let prefix = options.get("awslogs-stream-prefix").cloned();
            // The default prefix (the container name) reads back as unset.
            let prefix = prefix.filter(|prefix| {
                !(prefix == name && prior.is_none_or(|p| p.log_stream_prefix.is_none()))
            });
            (options.get("awslogs-group").cloned(), prefix, None)
        }
        Some(l) => {
            let prior_options = prior
                .and_then(|p| p.log_configuration.as_ref())
                .and_then(|b| b.options.as_ref());
            let block = LogConfigurationModel {
                log_driver: l.log_driver().as_str().to_owned(),
                options: like_prior(options, prior_options),
            };
            (None, None, Some(block))
        }
        None => (None, None, None),
    };
    let prior_linux = prior.and_then(|p| p.linux_parameters.as_ref());
    let linux_parameters = match c.linux_parameters().and_then(|l| l.init_process_enabled()) {
        Some(false) if prior_linux.is_none() => None,
        Some(enabled) => Some(LinuxParametersModel {
            init_process_enabled: Some(enabled),
        }),
        None => prior_linux
            .filter(|l| l.init_process_enabled.is_none())
            .cloned(),
    };
    ContainerSettings {
        environment: like_prior(environment, prior.and_then(|p| p.environment.as_ref())),
        secrets: like_prior(secrets, prior.and_then(|p| p.secrets.as_ref())),
        command: like_prior(c.command().to_vec(), prior.and_then(|p| p.command.as_ref())),
        log_group,
        log_stream_prefix,
        log_configuration,
        health_check: flatten_health_check(
            c.health_check(),
            prior.and_then(|p| p.health_check.as_ref()),
        ),
        stop_timeout: c.stop_timeout(),
        readonly_root_filesystem: unless_default(
            c.readonly_root_filesystem(),
            false,
            prior.and_then(|p| p.readonly_root_filesystem.as_ref()),
        ),
        user: flatten_user(c, prior),
        working_directory: c
            .working_directory()
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
        ulimits: c
            .ulimits()
            .iter()
            .map(|u| UlimitModel {
                name: u.name().as_str().to_owned(),
                soft_limit: u.soft_limit(),
                hard_limit: u.hard_limit(),
            })
            .collect(),
        linux_parameters,
        container_depends_on: c
            .depends_on()
            .iter()
            .map(|d| DependencyModel {
                container_name: d.container_name().to_owned(),
                condition: d.condition().as_str().to_owned(),
            })
            .collect(),
    }
}

/// The basic settings of a container, for the application (top level) and each sidecar:
/// environment, secrets, command and awslogs.
pub fn basic_settings_schema(block: Block) -> Block {
    block
        .attribute(
            Attribute::optional("environment", Type::map(Type::String))
                .validate(Validator::Keys(Box::new(Validator::Pattern {
                    regex: r"^[A-Za-z_][A-Za-z0-9_]*$",
                    meaning: "a variable name: a letter or '_', then letters, digits and '_'",
                })))
                .subject("environment variable name")
                .describe("Environment variables for the container."),
        )
        .attribute(
            Attribute::optional("secrets", Type::map(Type::String))
                .validate(Validator::Elements(Box::new(Validator::Arn(&[
                    "secretsmanager",
                    "ssm",
                ]))))
                .subject("secret reference")
                .describe(
                    "Environment variables filled from Secrets Manager or SSM Parameter Store: \
                     variable name to secret or parameter ARN. Needs `execution_role_arn`.",
                ),
        )
        .attribute(
            Attribute::optional("command", Type::list(Type::String))
                .describe("Overrides the image's command."),
        )
        .attribute(
            Attribute::optional("log_group", Type::String)
                .validate(validate::log_group_name())
                .subject("log group")
                .describe(
                    "CloudWatch Logs group for the awslogs driver (region from the provider).",
                ),
        )
        .attribute(
            Attribute::optional("log_stream_prefix", Type::String)
                .validate(Validator::Length(1, 512))
                .subject("log stream prefix")
                .describe(
                    "awslogs stream prefix (the container name when unset). Needs `log_group`.",
                ),
        )
}

/// The health and runtime settings of a container, for the application (top level) and each
/// sidecar.
pub fn runtime_settings_schema(block: Block) -> Block {
    block
        .attribute(
            Attribute::optional("stop_timeout", Type::Number)
                .validate(Validator::Between(2, 120))
                .describe(
                    "Seconds to wait after SIGTERM before the container is killed (ECS waits 30 \
                     when unset; Fargate allows at most 120).",
                ),
        )
        .attribute(
            Attribute::optional("readonly_root_filesystem", Type::Bool)
                .describe("Mount the container's root filesystem read-only (false when unset)."),
        )
        .attribute(
            Attribute::optional("user", Type::String)
                .validate(Validator::Length(1, 255))
                .describe("The user (and group) the container runs as: `user`, `uid`, `user:group` or `uid:gid`."),
        )
        .attribute(
            Attribute::optional("working_directory", Type::String)
                .validate(Validator::Length(1, 4096))
                .describe("The directory the command runs in."),
        )
        .block(
            NestedBlock::single(
                "health_check",
                Block::new(
                    "The container's health check, run inside the container. A container whose \
                     check fails is replaced when it is essential; other containers can wait \
                     for it to be `HEALTHY` (`container_depends_on`).",
                )
                .attribute(
                    Attribute::required("command", Type::list(Type::String))
                        .validate(Validator::MinItems(1))
                        .describe(
                            "The command, as ECS takes it: `[\"CMD-SHELL\", \"curl -f \
                             http://localhost:3000/health || exit 1\"]` or `[\"CMD\", ...]`; \
                             it starts with `CMD`, `CMD-SHELL` or `NONE`.",
                        ),
                )
                .attribute(
                    Attribute::optional("interval", Type::Number)
                        .validate(Validator::Between(5, 300))
                        .describe("Seconds between checks (30 when unset)."),
                )
                .attribute(
                    Attribute::optional("timeout", Type::Number)
                        .validate(Validator::Between(2, 60))
                        .describe("Seconds a check may take before it counts as failed (5 when unset; at most 60)."),
                )
                .attribute(
                    Attribute::optional("retries", Type::Number)
                        .validate(Validator::Between(1, 10))
                        .describe("Failed checks in a row before the container is unhealthy (3 when unset)."),
                )
                .attribute(
                    Attribute::optional("start_period", Type::Number)
                        .validate(Validator::Between(0, 300))
                        .describe("Seconds after start during which failed checks do not count (none when unset)."),
                ),
            ),
        )
        .block(
            NestedBlock::list(
                "ulimits",
                Block::new(
                    "A resource limit of the container. Fargate changes only `nofile`; the \
                     others keep the operating system's values.",
                )
                .attribute(
                    Attribute::required("name", Type::String)
                        .validate(Validator::OneOf(&ULIMIT_NAMES))
                        .describe("The limit."),
                )
                .attribute(
                    Attribute::required("soft_limit", Type::Number)
                        .validate(Validator::Between(0, 2_147_483_647))
                        .describe("The soft limit."),
                )
                .attribute(
                    Attribute::required("hard_limit", Type::Number)
                        .validate(Validator::Between(0, 2_147_483_647))
                        .describe("The hard limit."),
                ),
            )
            .items(0, 15),
        )
        .block(NestedBlock::single(
            "linux_parameters",
            Block::new("Linux settings of the container.").attribute(
                Attribute::optional("init_process_enabled", Type::Bool).describe(
                    "Run an init process as PID 1 that forwards signals and reaps zombie \
                     processes (`docker run --init`).",
                ),
            ),
        ))
        .block(NestedBlock::list(
            "container_depends_on",
            Block::new(
                "A container of the task this one waits for before it starts (ECS's \
                 `dependsOn`; named so because `depends_on` is Terraform's own meta-argument).",
            )
            .attribute(
                Attribute::required("container_name", Type::String)
                    .validate(validate::container_name())
                    .subject("container name")
                    .describe("The container waited for: the application's `container_name` or a sidecar's `name`."),
            )
            .attribute(
                Attribute::required("condition", Type::String)
                    .validate(Validator::OneOf(&DEPENDENCY_CONDITIONS))
                    .describe(
                        "What to wait for: `START`ed, `COMPLETE` (exited), `SUCCESS` (exited \
                         with 0) or `HEALTHY` (its `health_check` passes).",
                    ),
            ),
        ))
        .block(NestedBlock::single(
            "log_configuration",
            Block::new(
                "Any log driver Fargate supports, such as `awsfirelens` to send the logs \
                 through a FireLens log router sidecar. Instead of `log_group`.",
            )
            .attribute(
                Attribute::required("log_driver", Type::String)
                    .validate(Validator::OneOf(&FARGATE_LOG_DRIVERS))
                    .describe("The log driver."),
            )
            .attribute(
                Attribute::optional("options", Type::map(Type::String))
                    .describe("The driver's options, such as `Name = \"cloudwatch_logs\"` for FireLens."),
            ),
        ))
}
