//! Validators shared by the provider's resources, for the formats AWS documents: ECS names,
//! references to a cluster by name or ARN, CloudWatch Logs group names; and ECS's rule for the
//! weights of a capacity provider strategy, which a cluster's default strategy and a service's
//! strategy share. The generic ones (one of, ranges, ARNs, durations) are [`Validator`]'s own
//! variants.

use crate::plugin::validator::is_arn;
use crate::plugin::{Known, Validator, Value};

/// The pattern of ECS cluster, service and container names (and task definition families).
const ECS_NAME: &str = r"^[A-Za-z0-9_-]{1,255}$";

/// What ECS says, in effect, to a strategy whose weights are all 0.
pub const NO_WEIGHT_ABOVE_ZERO: &str = "With several capacity providers in a strategy, at \
     least one needs a weight above 0, or ECS cannot place tasks with it.";

/// Whether a capacity provider strategy with these `weights` (one per provider; unset counts
/// as 0) breaks ECS's rule that, with several providers, one weight at least is above 0. A
/// weight not known yet may be above 0: the rule holds until it is known.
pub fn no_weight_above_zero(weights: &[Known<i64>]) -> bool {
    weights.len() > 1
        && weights
            .iter()
            .all(|w| matches!(w, Known::Null | Known::Value(0)))
}

/// An ECS cluster or service name: 1-255 letters, digits, `-` and `_`.
pub fn ecs_name() -> Validator {
    Validator::Pattern {
        regex: ECS_NAME,
        meaning: "a valid name: 1-255 letters, digits, '-' and '_'",
    }
}

/// An ECS container name (the application's or a sidecar's): the same 1-255 letters, digits,
/// `-` and `_`.
pub fn container_name() -> Validator {
    Validator::Pattern {
        regex: ECS_NAME,
        meaning: "a container name: 1-255 letters, digits, '-' and '_'",
    }
}

/// A cluster named by its name or its ARN.
pub fn cluster_reference() -> Validator {
    Validator::custom(
        "A cluster name (1-255 letters, digits, `-` and `_`) or a cluster ARN.",
        |cluster| {
            let valid = if cluster.starts_with("arn:") {
                is_arn(cluster)
            } else {
                ecs_name().check(&Value::from(cluster)).is_empty()
            };
            if valid {
                Ok(())
            } else {
                Err(format!(
                    "{cluster:?} is not a valid cluster name: use 1-255 letters, digits, '-' \
                     and '_', or the cluster's ARN"
                ))
            }
        },
    )
}

/// A CloudWatch Logs log group name: 1-512 characters from letters, digits, `_`, `-`, `/`,
/// `.` and `#` (CloudWatch Logs' CreateLogGroup rule; ECS only fails on it at task launch).
pub fn log_group_name() -> Validator {
    Validator::Pattern {
        regex: r"^[A-Za-z0-9_/.#-]{1,512}$",
        meaning: "a CloudWatch Logs group name: 1-512 letters, digits, '_', '-', '/', '.' and '#'",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Value;

    fn ok(validator: &Validator, text: &str) -> bool {
        validator.check(&Value::from(text)).is_empty()
    }

    #[test]
    fn names_follow_ecs_rules() {
        assert!(ok(&ecs_name(), "todo-service_2"));
        assert!(!ok(&ecs_name(), "todo service"));
        assert!(!ok(&ecs_name(), &"a".repeat(256)));
        assert!(ok(&cluster_reference(), "todo"));
        assert!(ok(
            &cluster_reference(),
            "arn:aws:ecs:us-east-1:123456789012:cluster/todo"
        ));
        assert!(!ok(&cluster_reference(), "arn:aws:ecs"));
        assert!(!ok(&cluster_reference(), "a/b"));
    }

    #[test]
    fn log_groups_follow_cloudwatch_rules() {
        assert!(ok(&log_group_name(), "/ecs/todo-service#1.0"));
        assert!(!ok(&log_group_name(), "/ecs/todo service"));
        assert!(!ok(&log_group_name(), ""));
        assert!(!ok(&log_group_name(), &"a".repeat(513)));
    }
}
