//! The cluster's capacity providers: the `capacity_providers` attribute and the
//! `default_capacity_provider_strategy` blocks (named as terraform-provider-aws's
//! `aws_ecs_cluster_capacity_providers` names them), their rules across attributes (checked at
//! `terraform validate`), the defaults the plan fills in, and the conversions to and from the
//! ECS SDK's strategy items. CreateCluster and PutClusterCapacityProviders take them as they are.

use std::collections::BTreeSet;

use aws_sdk_ecs::types::CapacityProviderStrategyItem;
use serde::{Deserialize, Serialize};

use crate::plugin::model::from_value;
use crate::plugin::plan::plan_nested_defaults;
use crate::plugin::{
    Attribute, AttributePath, Block, Diagnostic, Diagnostics, Known, NestedBlock, ResourcePlan,
    Type, Validator, Value,
};
use crate::provider::aws_error::CallError;
use crate::provider::validate;

/// The capacity providers a Fargate cluster can use.
pub(super) const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// The largest `weight` ECS accepts.
const MAX_WEIGHT: i64 = 1000;
/// The largest `base` ECS accepts.
const MAX_BASE: i64 = 100_000;

/// The name of the strategy blocks.
pub(super) const STRATEGY_BLOCK: &str = "default_capacity_provider_strategy";

/// The `capacity_providers` attribute.
pub(super) fn capacity_providers_attribute() -> Attribute {
    Attribute::optional("capacity_providers", Type::set(Type::String))
        .validate(Validator::Elements(Box::new(Validator::OneOf(
            &FARGATE_PROVIDERS,
        ))))
        .subject("capacity provider")
        .describe(
            "The capacity providers associated with the cluster (PutClusterCapacityProviders), \
             which its services and `default_capacity_provider_strategy` may use. Unset: none \
             (one added outside Terraform shows as drift). Updated in place (tried again for \
             up to 10 minutes while ECS is still busy with the cluster). ECS refuses to remove \
             one that a service still uses: move the services off it first (their strategy, \
             or this default strategy), then remove it from the cluster in a second apply.",
        )
}

/// The `default_capacity_provider_strategy` blocks.
pub(super) fn default_strategy_block() -> NestedBlock {
    NestedBlock::set(
        STRATEGY_BLOCK,
        Block::new(
            "How services that name neither a launch type nor a strategy spread their tasks \
             over the cluster's capacity providers. Each provider must be one of \
             `capacity_providers`, at most once; at most one block may have a `base` above 0. \
             Updated in place.",
        )
        .attribute(
            Attribute::required("capacity_provider", Type::String)
                .validate(Validator::OneOf(&FARGATE_PROVIDERS))
                .subject("capacity provider")
                .describe("The capacity provider."),
        )
        .attribute(
            Attribute::optional("weight", Type::Number)
                .default(Value::from_i64(0))
                .validate(Validator::Between(0, MAX_WEIGHT))
                .describe(
                    "The share of the tasks (after the bases) this provider runs, relative to \
                     the other blocks' weights.",
                ),
        )
        .attribute(
            Attribute::optional("base", Type::Number)
                .default(Value::from_i64(0))
                .validate(Validator::Between(0, MAX_BASE))
                .describe("How many tasks, at least, run on this provider before weights apply."),
        ),
    )
}

/// One `default_capacity_provider_strategy` block, as plan and state hold it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub struct StrategyModel {
    pub(super) capacity_provider: String,
    pub(super) weight: i64,
    pub(super) base: i64,
}

/// The strategy as ECS reports it.
pub(super) fn flatten_strategy(items: &[CapacityProviderStrategyItem]) -> BTreeSet<StrategyModel> {
    items
        .iter()
        .map(|item| StrategyModel {
            capacity_provider: item.capacity_provider().to_owned(),
            weight: i64::from(item.weight()),
            base: i64::from(item.base()),
        })
        .collect()
}

/// The strategy as ECS takes it.
pub(super) fn expand_strategy<'a>(
    strategy: impl IntoIterator<Item = &'a StrategyModel>,
) -> Result<Vec<CapacityProviderStrategyItem>, CallError> {
    let building = |detail: String| CallError::Build("capacity provider strategy", detail);
    strategy
        .into_iter()
        .map(|item| {
            let weight = i32::try_from(item.weight).map_err(|e| building(e.to_string()))?;
            let base = i32::try_from(item.base).map_err(|e| building(e.to_string()))?;
            CapacityProviderStrategyItem::builder()
                .capacity_provider(&item.capacity_provider)
                .weight(weight)
                .base(base)
                .build()
                .map_err(|e| building(e.to_string()))
        })
        .collect()
}

/// Plans `weight` and `base` as `0` (their defaults) in the strategy blocks that leave them
/// unset (what ECS records for them), so that the plan is what the apply makes.
pub(super) fn plan_strategy_defaults(plan: &mut ResourcePlan) {
    plan_nested_defaults(&default_strategy_block(), plan);
}

/// The attributes the rules across attributes read, as a configuration holds them.
#[derive(Debug, Deserialize)]
struct CapacityConfig {
    capacity_providers: Known<Vec<Known<String>>>,
    default_capacity_provider_strategy: Known<Vec<StrategyConfig>>,
}

/// One strategy block of a configuration (values may be unset or unknown).
#[derive(Debug, Deserialize)]
struct StrategyConfig {
    capacity_provider: Known<String>,
    weight: Known<i64>,
    base: Known<i64>,
}

/// Checks ECS's rules for a default strategy: each provider associated with the cluster and
/// named once, at most one `base` above 0, and (with several providers) a weight above 0.
pub(super) fn validate_config(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    // Only a number that is not whole fails to read here, and the attributes' own validators
    // report that.
    let Ok(config) = from_value::<CapacityConfig>(config) else {
        return diagnostics;
    };
    let Known::Value(strategy) = config.default_capacity_provider_strategy else {
        return diagnostics;
    };
    // Set elements have no index to point at: Terraform points at the attribute in the block
    // (the first block when there are several).
    let invalid = |attribute: &str, summary: &str, detail: String| {
        let path = AttributePath::root(STRATEGY_BLOCK).attr(attribute);
        Diagnostic::invalid(path, summary, detail)
    };
    let associated: Option<BTreeSet<&str>> = match &config.capacity_providers {
        Known::Null => Some(BTreeSet::new()),
        Known::Unknown => None,
        Known::Value(providers) => providers
            .iter()
            .map(|p| p.as_ref().map(String::as_str))
            .collect(),
    };
    let mut named = BTreeSet::new();
    for provider in strategy.iter().filter_map(|s| s.capacity_provider.as_ref()) {
        if let Some(associated) = &associated
            && !associated.contains(provider.as_str())
        {
            diagnostics.push(invalid(
                "capacity_provider",
                "Capacity provider not associated with the cluster",
                format!(
                    "The default strategy uses {provider:?}, which is not in capacity_providers: \
                     add it there."
                ),
            ));
        }
        if !named.insert(provider) {
            diagnostics.push(invalid(
                "capacity_provider",
                "Capacity provider named twice",
                format!("The default strategy names {provider:?} in more than one block."),
            ));
        }
    }
    let with_base = strategy
        .iter()
        .filter(|s| s.base.as_ref().is_some_and(|b| *b > 0))
        .count();
    if with_base > 1 {
        diagnostics.push(invalid(
            "base",
            "More than one base",
            format!(
                "Only one capacity provider of a strategy can have a base above 0; {with_base} \
                 blocks set one."
            ),
        ));
    }
    let weights: Vec<Known<i64>> = strategy.iter().map(|s| s.weight.clone()).collect();
    if validate::no_weight_above_zero(&weights) {
        diagnostics.push(invalid(
            "weight",
            "No weight above 0",
            validate::NO_WEIGHT_ABOVE_ZERO.to_owned(),
        ));
    }
    diagnostics
}

#[cfg(test)]
mod tests {

    use super::*;

    fn strategy_item(provider: &str, weight: Option<i64>, base: Option<i64>) -> Value {
        let number = |n: Option<i64>| n.map_or(Value::Null, Value::from_i64);
        Value::Object(crate::plugin::Attributes::from([
            ("capacity_provider".to_owned(), Value::from(provider)),
            ("weight".to_owned(), number(weight)),
            ("base".to_owned(), number(base)),
        ]))
    }

    fn config(providers: Option<&[&str]>, strategy: Vec<Value>) -> Value {
        let providers = providers.map_or(Value::Null, |p| {
            Value::Set(p.iter().map(|p| Value::from(*p)).collect())
        });
        Value::Object(crate::plugin::Attributes::from([
            ("capacity_providers".to_owned(), providers),
            (STRATEGY_BLOCK.to_owned(), Value::Set(strategy)),
        ]))
    }

    fn summaries(diagnostics: &Diagnostics) -> Vec<String> {
        diagnostics.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn a_spot_strategy_with_a_base_on_fargate_is_valid() {
        let both = ["FARGATE", "FARGATE_SPOT"];
        let valid = config(
            Some(&both),
            vec![
                strategy_item("FARGATE", Some(1), Some(1)),
                strategy_item("FARGATE_SPOT", Some(4), None),
            ],
        );
        assert!(validate_config(&valid).is_empty());
        assert!(validate_config(&config(None, vec![])).is_empty());
    }

    #[test]
    fn strategy_rules_are_checked_on_the_block() {
        let spot_only = config(
            Some(&["FARGATE_SPOT"]),
            vec![strategy_item("FARGATE", Some(1), None)],
        );
        let diagnostics = validate_config(&spot_only);
        assert_eq!(
            summaries(&diagnostics),
            ["Capacity provider not associated with the cluster"]
        );
        let path = diagnostics.iter().next().and_then(|d| d.path.clone());
        let on_the_provider = AttributePath::root(STRATEGY_BLOCK).attr("capacity_provider");
        assert_eq!(path, Some(on_the_provider));

        let both = ["FARGATE", "FARGATE_SPOT"];
        let two_bases = config(
            Some(&both),
            vec![
                strategy_item("FARGATE", Some(1), Some(1)),
                strategy_item("FARGATE_SPOT", Some(1), Some(2)),
            ],
        );
        assert_eq!(
            summaries(&validate_config(&two_bases)),
            ["More than one base"]
        );
        let twice = config(
            Some(&both),
            vec![
                strategy_item("FARGATE", Some(1), None),
                strategy_item("FARGATE", Some(2), None),
            ],
        );
        assert_eq!(
            summaries(&validate_config(&twice)),
            ["Capacity provider named twice"]
        );
        let no_weight = config(
            Some(&both),
            vec![
                strategy_item("FARGATE", None, Some(1)),
                strategy_item("FARGATE_SPOT", Some(0), None),
            ],
        );
        assert_eq!(
            summaries(&validate_config(&no_weight)),
            ["No weight above 0"]
        );
    }

    #[test]
    fn unknown_values_wait_for_apply() {
        let unknown_providers = Value::Object(crate::plugin::Attributes::from([
            ("capacity_providers".to_owned(), Value::unknown()),
            (
                STRATEGY_BLOCK.to_owned(),
                Value::Set(vec![strategy_item("FARGATE", Some(1), None)]),
            ),
        ]));
        assert!(validate_config(&unknown_providers).is_empty());
    }

    #[test]
    fn unset_weights_and_bases_are_planned_as_zero() {
        let mut plan = ResourcePlan {
            prior: None,
            config: Value::Null,
            planned: config(None, vec![strategy_item("FARGATE_SPOT", None, None)]),
            requires_replace: vec![],
            private: Default::default(),
        };
        plan_strategy_defaults(&mut plan);
        let Value::Set(items) = plan.planned(STRATEGY_BLOCK) else {
            panic!("a set: {:?}", plan.planned(STRATEGY_BLOCK));
        };
        assert_eq!(items, &[strategy_item("FARGATE_SPOT", Some(0), Some(0))]);
    }

    #[test]
    fn strategies_convert_both_ways() {
        let strategy = BTreeSet::from([StrategyModel {
            capacity_provider: "FARGATE_SPOT".into(),
            weight: 3,
            base: 1,
        }]);
        let items = expand_strategy(&strategy).expect("expand");
        assert_eq!(flatten_strategy(&items), strategy);
    }
}
