//! The rules of `todo_fargate_service` across its containers and its placement, checked at
//! `terraform validate` with the attribute path of the offending value: sidecar sizes within
//! the task's `cpu` and `memory`, unique container names, `container_depends_on` naming a
//! container of the task (with a health check to wait for `HEALTHY`, and not essential to wait
//! for its exit), health check commands and ulimits as ECS takes them, one FireLens router for
//! the `awsfirelens` driver, one log setting per container, and a capacity provider strategy
//! (with a weight above 0) instead of a launch type. Values not known yet are left for the
//! plan.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::schema::DEFAULT_CONTAINER_NAME;
use crate::plugin::model::from_value;
use crate::plugin::{AttributePath, Diagnostic, Diagnostics, Known, Value};
use crate::provider::validate;

/// What a task has when the configuration sets no `cpu` (the schema's default).
const DEFAULT_TASK_CPU: i64 = 256;
/// What a task has when the configuration sets no `memory` (the schema's default).
const DEFAULT_TASK_MEMORY: i64 = 512;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DependencyConfig {
    container_name: Option<String>,
    condition: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogConfig {
    log_driver: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HealthCheckConfig {
    command: Option<Vec<Known<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UlimitConfig {
    soft_limit: Option<i64>,
    hard_limit: Option<i64>,
}

/// The settings every container has, as a configuration holds them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ContainerConfig {
    log_group: Known<String>,
    log_stream_prefix: Known<String>,
    log_configuration: Option<LogConfig>,
    health_check: Known<HealthCheckConfig>,
    ulimits: Option<Vec<UlimitConfig>>,
    secrets: Known<BTreeMap<String, IgnoredAny>>,
    container_depends_on: Option<Vec<DependencyConfig>>,
}

/// How a health check command starts: what ECS runs it with.
const HEALTH_CHECK_STARTS: [&str; 3] = ["CMD", "CMD-SHELL", "NONE"];

/// The conditions ECS refuses on a dependency of an essential container: the task would stop
/// when it exits.
const EXIT_CONDITIONS: [&str; 2] = ["COMPLETE", "SUCCESS"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SidecarConfig {
    name: Known<String>,
    essential: Known<bool>,
    cpu: Option<i64>,
    memory: Option<i64>,
    firelens_configuration: Known<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StrategyConfig {
    capacity_provider: Option<String>,
    weight: Known<i64>,
    base: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TaskConfig {
    cpu: Known<i64>,
    memory: Known<i64>,
    container_name: Known<String>,
    execution_role_arn: Known<String>,
    launch_type: Known<String>,
    capacity_provider_strategy: Option<Vec<StrategyConfig>>,
}

/// A container of the task: where its block is, and what it says.
struct Container {
    path: AttributePath,
    name: Known<String>,
    /// Whether the task stops when it stops (always for the application; unknown is left
    /// for the plan).
    essential: Known<bool>,
    settings: ContainerConfig,
}

/// `Known::Null` as the default the schema plans.
fn or_default<T: Clone>(value: &Known<T>, default: T) -> Option<T> {
    match value {
        Known::Null => Some(default),
        Known::Unknown => None,
        Known::Value(v) => Some(v.clone()),
    }
}

/// Checks the rules across containers and placement of a configuration.
pub fn validate_containers(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let Ok(task) = from_value::<TaskConfig>(config) else {
        // A number that is not whole: the attributes' own validators report it.
        return diagnostics;
    };
    let Ok(app) = from_value::<ContainerConfig>(config) else {
        return diagnostics;
    };
    let sidecar_values = match config.attr("sidecar") {
        Some(Value::List(items)) => items.as_slice(),
        _ => &[],
    };
    let mut sidecars = Vec::new();
    let mut containers = vec![Container {
        path: AttributePath::default(),
        name: or_default(&task.container_name, DEFAULT_CONTAINER_NAME.to_owned())
            .map_or(Known::Unknown, Known::Value),
        essential: Known::Value(true),
        settings: app,
    }];
    for (i, value) in sidecar_values.iter().enumerate() {
        let path = AttributePath::root("sidecar").index(i64::try_from(i).unwrap_or(i64::MAX));
        let (Ok(sidecar), Ok(settings)) = (
            from_value::<SidecarConfig>(value),
            from_value::<ContainerConfig>(value),
        ) else {
            return diagnostics;
        };
        containers.push(Container {
            path: path.clone(),
            name: sidecar.name.clone(),
            essential: sidecar.essential.clone(),
            settings,
        });
        sidecars.push((path, sidecar));
    }
    check_sizes(&task, &sidecars, &mut diagnostics);
    check_names(&containers, &mut diagnostics);
    check_settings(&containers, &mut diagnostics);
    check_dependencies(&containers, &mut diagnostics);
    check_logs(&containers, &sidecars, &mut diagnostics);
    check_secrets(&task, &containers, &mut diagnostics);
    check_placement(&task, &mut diagnostics);
    diagnostics
}

/// The sidecars' CPU units and memory add up to at most the task's.
fn check_sizes(
    task: &TaskConfig,
    sidecars: &[(AttributePath, SidecarConfig)],
    diagnostics: &mut Diagnostics,
) {
    let limits = [
        ("cpu", "CPU units", or_default(&task.cpu, DEFAULT_TASK_CPU)),
        (
            "memory",
            "MiB of memory",
            or_default(&task.memory, DEFAULT_TASK_MEMORY),
        ),
    ];
    for (attribute, unit, limit) in limits {
        let Some(limit) = limit else { continue };
        let mut total = 0;
        for (path, sidecar) in sidecars {
            let size = if attribute == "cpu" {
                sidecar.cpu
            } else {
                sidecar.memory
            };
            total += size.unwrap_or(0);
            if total > limit {
                diagnostics.push(Diagnostic::invalid(
                    path.clone().attr(attribute),
                    "Sidecars larger than the task",
                    format!(
                        "The sidecars up to this one take {total} {unit}, more than the task's \
                         {attribute} ({limit}); the application shares what they leave. Raise \
                         the task's {attribute} or give the sidecars less."
                    ),
                ));
                break;
            }
        }
    }
}

/// Container names are unique in the task.
fn check_names(containers: &[Container], diagnostics: &mut Diagnostics) {
    for (i, container) in containers.iter().enumerate().skip(1) {
        let Known::Value(name) = &container.name else {
            continue;
        };
        let earlier = containers[..i]
            .iter()
            .any(|c| c.name.as_ref() == Some(name));
        if earlier {
            diagnostics.push(Diagnostic::invalid(
                container.path.clone().attr("name"),
                "Duplicate container name",
                format!(
                    "Another container of the task is named {name:?} (the application's is \
                     container_name): give each container its own name."
                ),
            ));
        }
    }
}

/// Each container's own settings: a health check command that starts with what ECS runs it
/// with, and ulimits whose soft limit is at most the hard one.
fn check_settings(containers: &[Container], diagnostics: &mut Diagnostics) {
    for container in containers {
        let settings = &container.settings;
        if let Known::Value(health_check) = &settings.health_check
            && let Some(Known::Value(first)) = health_check.command.as_ref().and_then(|c| c.first())
            && !HEALTH_CHECK_STARTS.contains(&first.as_str())
        {
            diagnostics.push(Diagnostic::invalid(
                container
                    .path
                    .clone()
                    .attr("health_check")
                    .attr("command")
                    .index(0),
                "Invalid health check command",
                format!(
                    "A health check command starts with CMD (then the command and its \
                     arguments), CMD-SHELL (then one shell command) or NONE; it starts with \
                     {first:?}. For example [\"CMD-SHELL\", \"{first} ...\"]."
                ),
            ));
        }
        for (i, ulimit) in settings.ulimits.iter().flatten().enumerate() {
            if let (Some(soft), Some(hard)) = (ulimit.soft_limit, ulimit.hard_limit)
                && soft > hard
            {
                diagnostics.push(Diagnostic::invalid(
                    container
                        .path
                        .clone()
                        .attr("ulimits")
                        .index(i64::try_from(i).unwrap_or(i64::MAX))
                        .attr("soft_limit"),
                    "Soft limit above the hard limit",
                    format!(
                        "The soft limit ({soft}) may not exceed the hard limit ({hard}): lower \
                         it or raise hard_limit."
                    ),
                ));
            }
        }
    }
}

/// Each `container_depends_on` names another container of the task, one with a health check
/// when it waits for `HEALTHY`, and one that is not essential when it waits for it to exit
/// (`COMPLETE`, `SUCCESS`).
fn check_dependencies(containers: &[Container], diagnostics: &mut Diagnostics) {
    let names_known = containers.iter().all(|c| !c.name.is_unknown());
    for container in containers {
        let dependencies = container.settings.container_depends_on.iter().flatten();
        for (j, dependency) in dependencies.enumerate() {
            let path = container
                .path
                .clone()
                .attr("container_depends_on")
                .index(i64::try_from(j).unwrap_or(i64::MAX));
            let Some(target_name) = &dependency.container_name else {
                continue;
            };
            let target = containers
                .iter()
                .find(|c| c.name.as_ref() == Some(target_name));
            match target {
                None if names_known => {
                    let known: Vec<String> = containers
                        .iter()
                        .filter_map(|c| c.name.as_ref().map(|n| format!("{n:?}")))
                        .collect();
                    diagnostics.push(Diagnostic::invalid(
                        path.attr("container_name"),
                        "No such container",
                        format!(
                            "{target_name:?} is not a container of the task; its containers are \
                             {}.",
                            known.join(", ")
                        ),
                    ));
                }
                Some(t) if std::ptr::eq(t, container) => {
                    diagnostics.push(Diagnostic::invalid(
                        path.attr("container_name"),
                        "A container cannot wait for itself",
                        format!("{target_name:?} names the container this block is in."),
                    ));
                }
                Some(t)
                    if dependency.condition.as_deref() == Some("HEALTHY")
                        && t.settings.health_check.is_null() =>
                {
                    diagnostics.push(Diagnostic::invalid(
                        path.attr("condition"),
                        "HEALTHY needs a health check",
                        format!(
                            "{target_name:?} has no health_check, so it never becomes HEALTHY: \
                             give it one, or wait for START."
                        ),
                    ));
                }
                Some(t)
                    if dependency
                        .condition
                        .as_deref()
                        .is_some_and(|c| EXIT_CONDITIONS.contains(&c))
                        && t.essential == Known::Value(true) =>
                {
                    let condition = dependency.condition.as_deref().unwrap_or_default();
                    diagnostics.push(Diagnostic::invalid(
                        path.attr("condition"),
                        "An essential container cannot be waited for to exit",
                        format!(
                            "{target_name:?} is essential (the application always is), so the \
                             task stops when it exits and ECS refuses {condition}: wait for \
                             START or HEALTHY, or make it a sidecar with essential = false."
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
}

/// One log setting per container; the `awsfirelens` driver needs the one FireLens router.
fn check_logs(
    containers: &[Container],
    sidecars: &[(AttributePath, SidecarConfig)],
    diagnostics: &mut Diagnostics,
) {
    let routers: Vec<&AttributePath> = sidecars
        .iter()
        .filter(|(_, s)| !s.firelens_configuration.is_null())
        .map(|(path, _)| path)
        .collect();
    for extra in routers.iter().skip(1) {
        diagnostics.push(Diagnostic::invalid(
            (*extra).clone().attr("firelens_configuration"),
            "More than one FireLens router",
            "A task has at most one container with firelens_configuration.",
        ));
    }
    for container in containers {
        let settings = &container.settings;
        if !settings.log_group.is_null() && settings.log_configuration.is_some() {
            diagnostics.push(Diagnostic::invalid(
                container.path.clone().attr("log_configuration"),
                "Two log settings",
                "Set log_group (awslogs) or a log_configuration block, not both.",
            ));
        }
        // The application's own rule is in `validate`.
        if !container.path.steps().is_empty()
            && !settings.log_stream_prefix.is_null()
            && settings.log_group.is_null()
        {
            diagnostics.push(Diagnostic::invalid(
                container.path.clone().attr("log_stream_prefix"),
                "log_stream_prefix needs log_group",
                "Set log_group to send the container's logs to CloudWatch Logs.",
            ));
        }
        let firelens = settings
            .log_configuration
            .as_ref()
            .and_then(|l| l.log_driver.as_deref())
            == Some("awsfirelens");
        if firelens && routers.is_empty() {
            diagnostics.push(Diagnostic::invalid(
                container
                    .path
                    .clone()
                    .attr("log_configuration")
                    .attr("log_driver"),
                "awsfirelens needs a FireLens router",
                "Add a sidecar with a firelens_configuration block (such as \
                 public.ecr.aws/aws-observability/aws-for-fluent-bit) to route the logs.",
            ));
        }
    }
}

/// Sidecar secrets, like the application's, are read with the execution role.
fn check_secrets(task: &TaskConfig, containers: &[Container], diagnostics: &mut Diagnostics) {
    if !task.execution_role_arn.is_null() {
        return;
    }
    for container in containers.iter().skip(1) {
        if container
            .settings
            .secrets
            .as_ref()
            .is_some_and(|s| !s.is_empty())
        {
            diagnostics.push(Diagnostic::invalid(
                container.path.clone().attr("secrets"),
                "Secrets need an execution role",
                "ECS reads secrets with the task execution role: set execution_role_arn.",
            ));
        }
    }
}

/// A strategy instead of a launch type; each provider once, one base at most, and (with
/// several providers) a weight above 0.
fn check_placement(task: &TaskConfig, diagnostics: &mut Diagnostics) {
    let strategy = task
        .capacity_provider_strategy
        .as_deref()
        .unwrap_or_default();
    let path = AttributePath::root("capacity_provider_strategy");
    if !strategy.is_empty() && !task.launch_type.is_null() {
        diagnostics.push(Diagnostic::invalid(
            AttributePath::root("launch_type"),
            "launch_type and capacity_provider_strategy conflict",
            "A service runs on a launch type or on a capacity provider strategy, not both: \
             remove launch_type to use the strategy.",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for provider in strategy
        .iter()
        .filter_map(|s| s.capacity_provider.as_deref())
    {
        if seen.contains(&provider) {
            diagnostics.push(Diagnostic::invalid(
                path.clone(),
                "Capacity provider named twice",
                format!("{provider} appears in more than one capacity_provider_strategy block."),
            ));
        }
        seen.push(provider);
    }
    if strategy.iter().filter(|s| s.base.unwrap_or(0) > 0).count() > 1 {
        diagnostics.push(Diagnostic::invalid(
            path.clone(),
            "More than one base",
            "Only one capacity provider of a strategy may have a base above 0.",
        ));
    }
    let weights: Vec<Known<i64>> = strategy.iter().map(|s| s.weight.clone()).collect();
    if validate::no_weight_above_zero(&weights) {
        diagnostics.push(Diagnostic::invalid(
            path.attr("weight"),
            "No weight above 0",
            validate::NO_WEIGHT_ABOVE_ZERO,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sidecar(name: &str, cpu: i64, memory: i64) -> Value {
        Value::object(vec![
            ("name", Value::from(name)),
            ("image", Value::from("busybox:1")),
            ("cpu", Value::from(cpu)),
            ("memory", Value::from(memory)),
        ])
    }

    fn dependency(name: &str, condition: &str) -> Value {
        Value::object(vec![
            ("container_name", Value::from(name)),
            ("condition", Value::from(condition)),
        ])
    }

    fn paths(diagnostics: &Diagnostics) -> Vec<String> {
        diagnostics
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect()
    }

    #[test]
    fn sidecars_over_the_task_size_fail_at_their_path() {
        let config = Value::object(vec![
            ("cpu", Value::from(256)),
            ("memory", Value::from(512)),
            (
                "sidecar",
                Value::List(vec![sidecar("a", 128, 256), sidecar("b", 192, 128)]),
            ),
        ]);
        assert_eq!(paths(&validate_containers(&config)), ["sidecar[1].cpu"]);
        let fits = Value::object(vec![(
            "sidecar",
            Value::List(vec![sidecar("a", 128, 256), sidecar("b", 64, 128)]),
        )]);
        assert!(validate_containers(&fits).is_empty());
    }

    #[test]
    fn dependencies_name_a_container_with_a_health_check_for_healthy() {
        let mut router = sidecar("log_router", 0, 64);
        if let Value::Object(fields) = &mut router {
            fields.insert(
                "container_depends_on".into(),
                Value::List(vec![dependency("app", "HEALTHY")]),
            );
        }
        let config = Value::object(vec![
            ("sidecar", Value::List(vec![router])),
            (
                "container_depends_on",
                Value::List(vec![
                    dependency("log_router", "START"),
                    dependency("nginx", "START"),
                ]),
            ),
        ]);
        assert_eq!(
            paths(&validate_containers(&config)),
            [
                "container_depends_on[1].container_name",
                "sidecar[0].container_depends_on[0].condition"
            ]
        );
    }

    #[test]
    fn a_strategy_beside_a_launch_type_fails_at_launch_type() {
        let item = |provider: &str, base: i64| {
            Value::object(vec![
                ("capacity_provider", Value::from(provider)),
                ("weight", Value::from(1)),
                ("base", Value::from(base)),
            ])
        };
        let config = Value::object(vec![
            ("launch_type", Value::from("FARGATE")),
            (
                "capacity_provider_strategy",
                Value::Set(vec![item("FARGATE", 1), item("FARGATE_SPOT", 2)]),
            ),
        ]);
        assert_eq!(
            paths(&validate_containers(&config)),
            ["launch_type", "capacity_provider_strategy"]
        );
    }

    #[test]
    fn names_are_unique_and_awsfirelens_needs_one_router() {
        let firelens =
            |kind: &str| Value::object(vec![("type", Value::from(kind)), ("options", Value::Null)]);
        let mut router = sidecar("router", 0, 64);
        let mut second = sidecar("app", 0, 64);
        for (s, kind) in [(&mut router, "fluentbit"), (&mut second, "fluentd")] {
            if let Value::Object(fields) = s {
                fields.insert("firelens_configuration".into(), firelens(kind));
            }
        }
        let logs = Value::object(vec![
            ("log_driver", Value::from("awsfirelens")),
            ("options", Value::Null),
        ]);
        let config = Value::object(vec![
            ("log_group", Value::from("/ecs/app")),
            ("log_configuration", logs.clone()),
            ("sidecar", Value::List(vec![router, second])),
        ]);
        assert_eq!(
            paths(&validate_containers(&config)),
            [
                "sidecar[1].name",
                "sidecar[1].firelens_configuration",
                "log_configuration"
            ]
        );
        let without_router = Value::object(vec![("log_configuration", logs)]);
        assert_eq!(
            paths(&validate_containers(&without_router)),
            ["log_configuration.log_driver"]
        );
    }

    #[test]
    fn unknown_names_are_left_for_the_plan() {
        let config = Value::object(vec![
            (
                "sidecar",
                Value::List(vec![Value::object(vec![("name", Value::unknown())])]),
            ),
            (
                "container_depends_on",
                Value::List(vec![dependency("later", "START")]),
            ),
        ]);
        assert!(validate_containers(&config).is_empty());
    }

    fn strategy(weights: &[(&str, Value)]) -> Value {
        let items = weights
            .iter()
            .map(|(provider, weight)| {
                Value::object(vec![
                    ("capacity_provider", Value::from(*provider)),
                    ("weight", weight.clone()),
                    ("base", Value::Null),
                ])
            })
            .collect();
        Value::object(vec![("capacity_provider_strategy", Value::Set(items))])
    }

    #[test]
    fn several_providers_need_a_weight_above_zero() {
        let zero = strategy(&[("FARGATE", Value::from(0)), ("FARGATE_SPOT", Value::Null)]);
        assert_eq!(
            paths(&validate_containers(&zero)),
            ["capacity_provider_strategy.weight"]
        );
        for fine in [
            strategy(&[
                ("FARGATE", Value::from(0)),
                ("FARGATE_SPOT", Value::from(1)),
            ]),
            strategy(&[("FARGATE_SPOT", Value::Null)]),
            strategy(&[
                ("FARGATE", Value::from(0)),
                ("FARGATE_SPOT", Value::unknown()),
            ]),
        ] {
            assert!(validate_containers(&fine).is_empty(), "{fine:?}");
        }
    }

    fn with(mut value: Value, name: &str, field: Value) -> Value {
        if let Value::Object(fields) = &mut value {
            fields.insert(name.into(), field);
        }
        value
    }

    #[test]
    fn an_essential_container_cannot_be_waited_for_to_exit() {
        let init = with(sidecar("init", 0, 64), "essential", Value::from(false));
        let agent = with(sidecar("agent", 0, 64), "essential", Value::from(true));
        let router = with(
            sidecar("router", 0, 64),
            "container_depends_on",
            Value::List(vec![dependency("app", "COMPLETE")]),
        );
        let config = Value::object(vec![
            ("sidecar", Value::List(vec![init, agent, router])),
            (
                "container_depends_on",
                Value::List(vec![
                    dependency("init", "SUCCESS"),
                    dependency("agent", "SUCCESS"),
                    dependency("router", "COMPLETE"),
                    dependency("agent", "START"),
                ]),
            ),
        ]);
        assert_eq!(
            paths(&validate_containers(&config)),
            [
                "container_depends_on[1].condition",
                "sidecar[2].container_depends_on[0].condition"
            ]
        );
    }

    fn health_check(command: &[&str]) -> Value {
        Value::object(vec![(
            "command",
            Value::List(command.iter().map(|c| Value::from(*c)).collect()),
        )])
    }

    fn ulimit(soft: i64, hard: i64) -> Value {
        Value::object(vec![
            ("name", Value::from("nofile")),
            ("soft_limit", Value::from(soft)),
            ("hard_limit", Value::from(hard)),
        ])
    }

    #[test]
    fn health_check_commands_and_ulimits_are_as_ecs_takes_them() {
        let agent = with(
            with(
                sidecar("agent", 0, 64),
                "health_check",
                health_check(&["curl", "-f", "http://localhost/"]),
            ),
            "ulimits",
            Value::List(vec![ulimit(1024, 4096), ulimit(8192, 4096)]),
        );
        let config = Value::object(vec![
            ("health_check", health_check(&["CMD-SHELL", "true"])),
            ("sidecar", Value::List(vec![agent])),
        ]);
        assert_eq!(
            paths(&validate_containers(&config)),
            [
                "sidecar[0].health_check.command[0]",
                "sidecar[0].ulimits[1].soft_limit"
            ]
        );
        for command in [&["CMD", "true"][..], &["NONE"][..]] {
            let fine = Value::object(vec![
                ("health_check", health_check(command)),
                ("ulimits", Value::List(vec![ulimit(4096, 4096)])),
            ]);
            assert!(validate_containers(&fine).is_empty(), "{command:?}");
        }
        let unknown = Value::object(vec![(
            "health_check",
            Value::object(vec![("command", Value::List(vec![Value::unknown()]))]),
        )]);
        assert!(validate_containers(&unknown).is_empty());
    }
}
