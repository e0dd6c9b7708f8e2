//! Validators shared by the provider's resources, for the formats AWS documents: ECS names,
//! references to a cluster by name or ARN, CloudWatch Logs group names. The generic ones (one
//! of, ranges, ARNs, durations) are [`Validator`]'s own variants.

use crate::plugin::Validator;
use crate::plugin::validator::is_arn;

/// The pattern of ECS cluster and service names (and task definition families).
const ECS_NAME: &str = r"^[A-Za-z0-9_-]{1,255}$";

/// An ECS cluster or service name: 1-255 letters, digits, `-` and `_`.
pub fn ecs_name() -> Validator {
    Validator::Pattern {
        regex: ECS_NAME,
        meaning: "a valid name: 1-255 letters, digits, '-' and '_'",
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
                regex_lite::Regex::new(ECS_NAME).is_ok_and(|re| re.is_match(cluster))
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

/// Shims for the resources not yet on validators as values.
pub mod legacy {
    use crate::plugin::attrs::Attrs;
    pub use crate::plugin::validator::is_arn;
    use crate::plugin::{AttributePath, Diagnostic, Diagnostics};

    /// A string attribute must be one of `allowed`.
    pub fn one_of(
        attrs: &Attrs<'_>,
        name: &str,
        path: AttributePath,
        allowed: &[&str],
        diags: &mut Diagnostics,
    ) {
        if let Some(value) = attrs.string(name)
            && !allowed.contains(&value.as_str())
        {
            diags.push(Diagnostic::invalid(
                path,
                format!("Invalid {name}"),
                format!("{value:?} is not one of {}.", allowed.join(", ")),
            ));
        }
    }

    /// A number attribute must lie in `min..=max`.
    pub fn in_range(attrs: &Attrs<'_>, name: &str, min: i64, max: i64, diags: &mut Diagnostics) {
        let value = attrs.get(name);
        if value.is_null() || value.is_unknown() {
            return;
        }
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => {}
            _ => diags.push(Diagnostic::invalid(
                AttributePath::root(name),
                format!("Invalid {name}"),
                format!("{name} must be a whole number from {min} to {max}."),
            )),
        }
    }

    /// A string attribute, when set, must be an ARN.
    pub fn arn(attrs: &Attrs<'_>, name: &str, diags: &mut Diagnostics) {
        if let Some(value) = attrs.string(name)
            && !is_arn(&value)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root(name),
                format!("Invalid {name}"),
                format!("{value:?} is not an ARN (arn:partition:service:region:account:resource)."),
            ));
        }
    }

    /// Checks a cluster name: 1-255 letters, digits, hyphens and underscores.
    pub fn check_cluster_name(name: &str) -> Result<(), String> {
        let valid = !name.is_empty()
            && name.len() <= 255
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(())
        } else {
            Err(format!(
                "{name:?} is not a valid cluster name: use 1-255 letters, digits, '-' and '_'"
            ))
        }
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
