//! The `capacity_provider_strategy` blocks of `todo_fargate_service`, as terraform-provider-aws
//! names them on `aws_ecs_service`: how the service's tasks spread over FARGATE and
//! FARGATE_SPOT. A strategy replaces the launch type. Changing the weights or bases of a
//! strategy updates the service in place with a new deployment (ECS places tasks by the
//! strategy only when it starts them); adding a strategy to a service that runs on the launch
//! type, or removing it, replaces the service, as terraform-provider-aws has done since its
//! issue #11351.

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{CapacityProviderStrategyItem, LaunchType, Service};
use serde::{Deserialize, Serialize};

use super::planned_value::PlannedBlock;
use crate::plugin::plan::plan_nested_defaults;
use crate::plugin::validator::Validator;
use crate::plugin::{
    Attribute, AttributePath, Block, Diagnostics, NestedBlock, ResourcePlan, Type, Value,
};
use crate::provider::aws_error::CallError;

/// The Fargate capacity providers.
pub const FARGATE_CAPACITY_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// The only launch type of a Fargate service.
pub const FARGATE_LAUNCH_TYPE: &str = "FARGATE";

/// A `capacity_provider_strategy` block. `weight` and `base` are planned as 0 when unset
/// (what ECS records); a state written before they were could hold null, read as 0.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub struct StrategyModel {
    pub capacity_provider: String,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub weight: i32,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub base: i32,
}

/// The strategy as ECS takes it; `None` for none (the service runs on the launch type).
pub fn expand_strategy(
    strategy: &BTreeSet<StrategyModel>,
) -> Result<Option<Vec<CapacityProviderStrategyItem>>, CallError> {
    if strategy.is_empty() {
        return Ok(None);
    }
    strategy
        .iter()
        .map(|s| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(&s.capacity_provider)
                .weight(s.weight)
                .base(s.base)
                .build()
                .map_err(|e| CallError::Build("capacity provider strategy", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The launch type of a create: FARGATE unless a strategy places the tasks.
pub fn launch_type_for(strategy: &BTreeSet<StrategyModel>) -> Option<LaunchType> {
    strategy.is_empty().then_some(LaunchType::Fargate)
}

/// The strategy ECS reports.
pub fn flatten_strategy(service: &Service) -> BTreeSet<StrategyModel> {
    service
        .capacity_provider_strategy()
        .iter()
        .map(|item| StrategyModel {
            capacity_provider: item.capacity_provider().to_owned(),
            weight: item.weight(),
            base: item.base(),
        })
        .collect()
}

/// Plans `weight` and `base` as 0 (their defaults) where the strategy blocks leave them unset,
/// as `todo_ecs_cluster` does for its default strategy: ECS records 0, so an explicit 0 and an
/// unset value are the same plan (an import followed by `weight = 0` plans no update).
pub fn plan_strategy_defaults(plan: &mut ResourcePlan) {
    plan_nested_defaults(&strategy_block(), plan);
}

/// `launch_type` as ECS reports it: set only where the prior state set it (the launch type is
/// implied otherwise), and unset when a strategy replaced it.
pub fn flatten_launch_type(service: &Service, prior: Option<&String>) -> Option<String> {
    let launch_type = service.launch_type()?;
    (prior.is_some() && service.capacity_provider_strategy().is_empty())
        .then(|| launch_type.as_str().to_owned())
}

#[derive(Deserialize)]
struct PlannedStrategy {
    capacity_provider_strategy: PlannedBlock,
}

/// Plans a replacement when the plan adds a strategy to a service without one, or removes
/// the service's strategy: ECS cannot switch a service between the launch type and a
/// strategy in place. A strategy not known yet as a whole (blocks from an unknown collection)
/// replaces too, since it may be either.
pub fn plan_strategy_replacement(plan: &mut ResourcePlan) -> Result<(), Diagnostics> {
    let Some(prior) = plan.prior_model::<PlannedStrategy>()? else {
        return Ok(());
    };
    let planned: PlannedStrategy = plan.planned_model()?;
    let (before, after) = (
        &prior.capacity_provider_strategy,
        &planned.capacity_provider_strategy,
    );
    // A strategy not known yet as a whole may turn out empty or not: whatever the prior
    // strategy, it may need a replacement, and one the plan did not show would fail the apply
    // ("planned action changed"). Only a strategy known to be there, or known to be absent,
    // spares it.
    if after.is_unknown() || before.is_empty() != after.is_empty() {
        plan.require_replace(AttributePath::root("capacity_provider_strategy"));
    }
    Ok(())
}

/// The `capacity_provider_strategy` block.
pub fn strategy_block() -> NestedBlock {
    NestedBlock::set(
        "capacity_provider_strategy",
        Block::new(
            "Spreads the service's tasks over FARGATE and FARGATE_SPOT instead of running them \
             on the FARGATE launch type (not both: leave `launch_type` unset). Changing the \
             weights or bases updates the service in place and starts a new deployment; adding \
             a strategy to a service without one, or removing it, replaces the service. On AWS \
             the cluster must have the capacity providers the strategy names (`todo_ecs_cluster`'s \
             `capacity_providers`). With both providers, at least one needs a `weight` above 0.",
        )
        .attribute(
            Attribute::required("capacity_provider", Type::String)
                .validate(Validator::OneOf(&FARGATE_CAPACITY_PROVIDERS))
                .describe("The capacity provider."),
        )
        .attribute(
            Attribute::optional("weight", Type::Number)
                .default(Value::from_i64(0))
                .validate(Validator::Between(0, 1000))
                .describe(
                    "The share of the tasks beyond the bases that this provider runs, relative \
                     to the other weights.",
                ),
        )
        .attribute(
            Attribute::optional("base", Type::Number)
                .default(Value::from_i64(0))
                .validate(Validator::Between(0, 100_000))
                .describe(
                    "How many tasks this provider runs before the weights apply; only one \
                     provider may set a base above 0.",
                ),
        ),
    )
    .items(0, 2)
}

/// The `launch_type` attribute.
pub fn launch_type_attribute() -> Attribute {
    Attribute::optional("launch_type", Type::String)
        .validate(Validator::OneOf(&[FARGATE_LAUNCH_TYPE]))
        .describe(
            "The launch type; the service runs on FARGATE whenever it has no \
             `capacity_provider_strategy`, so this is only for configurations written for \
             `aws_ecs_service`.",
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Value;
    use aws_sdk_ecs::types::Service;

    fn spot_with_base() -> BTreeSet<StrategyModel> {
        BTreeSet::from([
            StrategyModel {
                capacity_provider: "FARGATE".into(),
                weight: 0,
                base: 1,
            },
            StrategyModel {
                capacity_provider: "FARGATE_SPOT".into(),
                weight: 4,
                base: 0,
            },
        ])
    }

    #[test]
    fn the_strategy_reads_back_as_written() {
        let written = spot_with_base();
        let items = expand_strategy(&written).unwrap();
        let service = Service::builder()
            .set_capacity_provider_strategy(items)
            .build();
        assert_eq!(flatten_strategy(&service), written);
        assert_eq!(launch_type_for(&written), None);
        assert_eq!(launch_type_for(&BTreeSet::new()), Some(LaunchType::Fargate));
        let on_launch_type = Service::builder().launch_type(LaunchType::Fargate).build();
        assert_eq!(flatten_launch_type(&on_launch_type, None), None);
        let set = "FARGATE".to_owned();
        assert_eq!(
            flatten_launch_type(&on_launch_type, Some(&set)).as_deref(),
            Some("FARGATE")
        );
    }

    fn plan_with(prior: Value, planned: Value) -> ResourcePlan {
        let object = |strategy: Value| {
            Value::Object(crate::plugin::Attributes::from([(
                "capacity_provider_strategy".to_owned(),
                strategy,
            )]))
        };
        ResourcePlan {
            prior: Some(object(prior)),
            config: Value::Null,
            planned: object(planned),
            requires_replace: vec![],
            private: Default::default(),
        }
    }

    #[test]
    fn adding_or_removing_the_strategy_replaces_changing_it_does_not() {
        let item = |provider: &str, weight: i64| {
            Value::Object(crate::plugin::Attributes::from([
                ("capacity_provider".to_owned(), Value::from(provider)),
                ("weight".to_owned(), Value::from(weight)),
                ("base".to_owned(), Value::Null),
            ]))
        };
        let spot = |weight| Value::Set(vec![item("FARGATE_SPOT", weight)]);
        let cases = [
            (Value::Set(vec![]), spot(1), true),
            (Value::Null, spot(1), true),
            (spot(1), Value::Set(vec![]), true),
            (spot(1), spot(2), false),
            (Value::Null, Value::Set(vec![]), false),
            (Value::Set(vec![]), Value::unknown(), true),
            (spot(1), Value::unknown(), true),
            (
                spot(1),
                Value::Set(vec![item("FARGATE_SPOT", 1), Value::unknown()]),
                false,
            ),
        ];
        for (prior, planned, replaces) in cases {
            let mut plan = plan_with(prior.clone(), planned.clone());
            plan_strategy_replacement(&mut plan).unwrap();
            assert_eq!(
                !plan.requires_replace.is_empty(),
                replaces,
                "{prior:?} -> {planned:?}"
            );
        }
    }

    #[test]
    fn unset_weights_and_bases_are_planned_as_the_zero_ecs_records() {
        let item = |weight: Value, base: Value| {
            Value::Object(crate::plugin::Attributes::from([
                ("capacity_provider".to_owned(), Value::from("FARGATE_SPOT")),
                ("weight".to_owned(), weight),
                ("base".to_owned(), base),
            ]))
        };
        let zeros = Value::Set(vec![item(Value::from(0), Value::from(0))]);
        // Imported (or created) with ECS's zeros, the state holds 0.
        let service = Service::builder()
            .capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE_SPOT")
                    .build()
                    .unwrap(),
            )
            .build();
        let state = crate::plugin::model::to_value(&flatten_strategy(&service)).unwrap();
        let ty = strategy_block().value_type();
        assert_eq!(crate::plugin::model::conform(state, &ty), zeros);
        // Unset and an explicit 0 plan that state: no update.
        for planned in [
            Value::Set(vec![item(Value::Null, Value::Null)]),
            zeros.clone(),
        ] {
            let mut plan = plan_with(zeros.clone(), planned);
            plan_strategy_defaults(&mut plan);
            assert_eq!(plan.planned("capacity_provider_strategy"), &zeros);
        }
        // A value not known yet stays so.
        let unknown = Value::Set(vec![item(Value::unknown(), Value::from(0))]);
        let mut plan = plan_with(zeros.clone(), unknown.clone());
        plan_strategy_defaults(&mut plan);
        assert_eq!(plan.planned("capacity_provider_strategy"), &unknown);
        // A state that holds null reads as 0.
        let old: StrategyModel =
            crate::plugin::model::from_value(&item(Value::Null, Value::Null)).unwrap();
        assert_eq!((old.weight, old.base), (0, 0));
    }
}
