//! The rules of `todo_fargate_service` that span attributes (each single attribute's rules are
//! validators on its schema attribute): Fargate's cpu/memory pairs, secrets that need an
//! execution role, a log stream prefix that needs a log group; and, in `validate_containers`,
//! the rules across the task's containers and its placement.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::validate_containers::validate_containers;
use crate::plugin::model::from_value;
use crate::plugin::{AttributePath, Diagnostic, Diagnostics, Known, Value};

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

/// The attributes these rules read, as a configuration holds them (values may be unknown).
#[derive(Debug, Deserialize)]
struct CrossAttributeConfig {
    cpu: Known<i64>,
    memory: Known<i64>,
    secrets: Known<BTreeMap<String, Known<String>>>,
    execution_role_arn: Known<String>,
    log_group: Known<String>,
    log_stream_prefix: Known<String>,
}

/// Checks the rules across attributes of a configuration.
pub fn validate_config(config: &Value) -> Diagnostics {
    let mut diagnostics = validate_containers(config);
    let Ok(config) = from_value::<CrossAttributeConfig>(config) else {
        // Only a number that is not whole fails to read here (cpu, memory), and the attributes'
        // own validators report that.
        return diagnostics;
    };
    if let (Known::Value(cpu), Known::Value(memory)) = (&config.cpu, &config.memory)
        && let Some(options) = fargate_memory_options(*cpu)
        && !options.contains(memory)
    {
        diagnostics.push(Diagnostic::invalid(
            AttributePath::root("memory"),
            "Invalid Fargate cpu/memory combination",
            format!(
                "With cpu = {cpu}, Fargate accepts memory {} to {} MiB ({} values); got {memory}.",
                options.first().copied().unwrap_or_default(),
                options.last().copied().unwrap_or_default(),
                options.len()
            ),
        ));
    }
    if config.secrets.as_ref().is_some_and(|s| !s.is_empty()) && config.execution_role_arn.is_null()
    {
        diagnostics.push(Diagnostic::invalid(
            AttributePath::root("execution_role_arn"),
            "Secrets need an execution role",
            "ECS reads secrets with the task execution role: set execution_role_arn.",
        ));
    }
    if !config.log_stream_prefix.is_null() && config.log_group.is_null() {
        diagnostics.push(Diagnostic::invalid(
            AttributePath::root("log_stream_prefix"),
            "log_stream_prefix needs log_group",
            "Set log_group to send the container's logs to CloudWatch Logs.",
        ));
    }
    diagnostics
}
