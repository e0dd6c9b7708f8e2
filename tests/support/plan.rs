//! Reading the plan JSON of [`Terraform::plan_json`](super::Terraform::plan_json)
//! (`terraform show -json` of a saved plan): the planned change of one resource, its actions,
//! and the drift Terraform detected while refreshing.

use serde_json::Value;

/// The entry for `address` in the plan's `resource_changes` (with `address`, `type`, `change`,
/// ...); `None` if the plan has none.
pub fn resource_change<'a>(plan: &'a Value, address: &str) -> Option<&'a Value> {
    entry(plan, "resource_changes", address)
}

/// The entry for `address` in the plan's `resource_drift` (changes made outside Terraform);
/// `None` if there is none.
pub fn resource_drift<'a>(plan: &'a Value, address: &str) -> Option<&'a Value> {
    entry(plan, "resource_drift", address)
}

/// The one planned `change` object of `address` (`actions`, `before`, `after`,
/// `after_unknown`, ...); panics, showing the plan, if the plan has no change for it.
pub fn planned_change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    resource_change(plan, address)
        .map(|c| &c["change"])
        .unwrap_or_else(|| panic!("no change for {address} in the plan: {plan:#}"))
}

/// The `actions` of a `change` object: `["update"]`, `["delete", "create"]`, `["no-op"]`, ...
pub fn actions(change: &Value) -> Vec<&str> {
    change["actions"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn entry<'a>(plan: &'a Value, list: &str, address: &str) -> Option<&'a Value> {
    plan[list]
        .as_array()
        .and_then(|entries| entries.iter().find(|c| c["address"] == address))
}
