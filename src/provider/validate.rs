//! Attribute validators shared by the resources: each checks one known value and reports a
//! diagnostic on its attribute path; unknown and null values pass (Terraform checks again once
//! they are known, at plan and apply).

use crate::plugin::attrs::Attrs;
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

/// Whether a string is a well-formed ARN (`arn:partition:service:region:account:resource`).
pub fn is_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_have_six_parts() {
        assert!(is_arn(
            "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
        ));
        assert!(is_arn(
            "arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf"
        ));
        assert!(!is_arn("role/ecsTaskExecutionRole"));
        assert!(!is_arn("arn:aws:iam::123456789012"));
    }
}
