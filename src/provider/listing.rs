//! What the provider's list resources (`terraform query`) share: the `name_prefix` filter, the
//! page size to ask AWS for, and how a found object becomes a [`Listed`] result. The list
//! resources themselves sit beside their managed resources (`ecr_repository/list.rs`,
//! `ecs_cluster/list.rs`, `fargate_service/list.rs`), where the finders and flatten functions
//! their reads use are.

use serde::Serialize;

use super::aws_error::CallError;
use crate::plugin::model::to_value;
use crate::plugin::{Attribute, Diagnostics, Listed, Type};

/// The optional `name_prefix` filter of a list block.
pub fn name_prefix_attribute(what: &str) -> Attribute {
    Attribute::optional("name_prefix", Type::String)
        .validate(crate::plugin::Validator::Length(1, 255))
        .describe(&format!(
            "Only {what} whose name starts with this text. All of them when unset."
        ))
}

/// Whether `name` passes the `prefix` filter (every name passes none).
pub fn matches_prefix(name: &str, prefix: Option<&str>) -> bool {
    prefix.is_none_or(|prefix| name.starts_with(prefix))
}

/// The page size to ask AWS for: what Terraform still takes, at most `max` (the API's
/// largest page), at least 1.
pub fn page_size(remaining: usize, max: i32) -> i32 {
    i32::try_from(remaining).unwrap_or(max).clamp(1, max)
}

/// A found object as a list result: its `identity` (a model of the identity schema), its name
/// as the display name, and its `state` (a model of the resource's state) when Terraform asked
/// for it.
pub fn listed<I: Serialize, S: Serialize>(
    identity: &I,
    display_name: &str,
    state: Option<S>,
) -> Result<Listed, Diagnostics> {
    let state = match state {
        Some(state) => Some(to_value(&state)?),
        None => None,
    };
    Ok(Listed {
        identity: to_value(identity)?,
        display_name: display_name.to_owned(),
        state,
    })
}

/// The error of a failed AWS call while listing `what` (such as "ECR repositories").
pub fn list_failed(error: CallError, what: &str) -> Diagnostics {
    error.diagnostic(&format!("Cannot list {what}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_fit_what_terraform_still_takes() {
        assert_eq!(page_size(3, 100), 3);
        assert_eq!(page_size(1000, 100), 100);
        assert_eq!(page_size(0, 100), 1);
        assert!(matches_prefix("todo-web", Some("todo-")));
        assert!(!matches_prefix("other", Some("todo-")));
        assert!(matches_prefix("other", None));
    }
}
