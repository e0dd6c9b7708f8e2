//! The planning rules every resource shares, applied before a resource's own `modify_plan`:
//! defaults for unset attributes, unknown values for computed attributes that an apply will
//! set, prior values kept for stable computed attributes, and the attributes whose change
//! forces replacement. [`plan_nested_defaults`] does the defaults of repeated nested blocks
//! for a resource's `modify_plan` that wants them.

use super::diag::AttributePath;
use super::model::conform;
use super::resource::ResourcePlan;
use super::schema::{AttributeMode, Block, NestedBlock, Nesting};
use super::value::Value;

/// Plans the defaults of the attributes of each `nested` block (a list or a set) that the
/// plan leaves unset, so that the plan is what an apply records (say, a `weight` ECS records
/// as 0). Values not known yet stay unknown.
pub fn plan_nested_defaults(nested: &NestedBlock, plan: &mut ResourcePlan) {
    let (Value::List(items) | Value::Set(items)) = plan.planned(&nested.name) else {
        return;
    };
    if !matches!(nested.nesting, Nesting::List | Nesting::Set) {
        return;
    }
    let filled: Vec<Value> = items
        .iter()
        .cloned()
        .map(|mut item| {
            if let Value::Object(values) = &mut item {
                for attribute in &nested.block.attributes {
                    if let Some(default) = &attribute.default
                        && values.get(&attribute.name).is_none_or(Value::is_null)
                    {
                        values.insert(attribute.name.clone(), default.clone());
                    }
                }
            }
            item
        })
        .collect();
    plan.set(
        &nested.name,
        conform(Value::List(filled), &nested.value_type()),
    );
}

/// Applies the shared planning rules to a proposed new state (create or update; never destroy).
pub fn plan_defaults_and_unknowns(block: &Block, plan: &mut ResourcePlan) {
    for attribute in &block.attributes {
        if !plan.config(&attribute.name).is_null() {
            continue;
        }
        if let Some(default) = &attribute.default {
            plan.set(&attribute.name, default.clone());
        }
    }
    let has_change = plan.prior.is_none()
        || block
            .attributes
            .iter()
            .any(|a| a.mode != AttributeMode::Computed && plan.changes(&a.name))
        || block.blocks.iter().any(|b| plan.changes(&b.name));
    if !has_change {
        return;
    }
    for attribute in &block.attributes {
        let computed_here = attribute.is_computed()
            && attribute.default.is_none()
            && plan.config(&attribute.name).is_null();
        if !computed_here {
            continue;
        }
        let keep =
            attribute.stable && plan.prior.is_some() && !plan.prior(&attribute.name).is_null();
        if keep {
            let prior = plan.prior(&attribute.name).clone();
            plan.set(&attribute.name, prior);
        } else {
            plan.set(&attribute.name, Value::unknown());
        }
    }
}

/// Adds the attributes and blocks marked `requires_replace` whose planned value differs from
/// the prior state (an unknown planned value counts as a change).
pub fn plan_replacements(block: &Block, plan: &mut ResourcePlan) {
    if plan.prior.is_none() {
        return;
    }
    let names = block
        .attributes
        .iter()
        .filter(|a| a.requires_replace)
        .map(|a| &a.name)
        .chain(
            block
                .blocks
                .iter()
                .filter(|b| b.requires_replace)
                .map(|b| &b.name),
        );
    let changed: Vec<AttributePath> = names
        .filter(|name| plan.changes(name))
        .map(|name| AttributePath::root(name))
        .collect();
    for path in changed {
        plan.require_replace(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Attribute;
    use crate::plugin::value::Type;

    fn block() -> Block {
        Block::new("test")
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(
                Attribute::optional("mode", Type::String).default(Value::String("MUTABLE".into())),
            )
            .attribute(Attribute::optional("scan", Type::Bool))
            .attribute(Attribute::computed("arn", Type::String).stable())
            .attribute(Attribute::computed("digest", Type::String))
    }

    fn object(pairs: &[(&str, Value)]) -> Value {
        let mut map = crate::plugin::Attributes::new();
        for name in ["name", "mode", "scan", "arn", "digest"] {
            map.insert(name.to_owned(), Value::Null);
        }
        for (name, value) in pairs {
            map.insert((*name).to_owned(), value.clone());
        }
        Value::Object(map)
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    #[test]
    fn create_fills_defaults_and_marks_computed_unknown() {
        let config = object(&[("name", s("a"))]);
        let mut plan = ResourcePlan {
            prior: None,
            config: config.clone(),
            planned: config,
            requires_replace: vec![],
            private: Default::default(),
        };
        plan_defaults_and_unknowns(&block(), &mut plan);
        assert_eq!(plan.planned("mode"), &s("MUTABLE"));
        assert!(plan.planned("arn").is_unknown());
        assert!(plan.planned("digest").is_unknown());
        assert!(plan.planned("scan").is_null());
    }

    #[test]
    fn update_keeps_stable_values_and_replaces_on_name_change() {
        let prior = object(&[
            ("name", s("a")),
            ("mode", s("MUTABLE")),
            ("arn", s("arn:1")),
            ("digest", s("d")),
        ]);
        let config = object(&[("name", s("b"))]);
        let proposed = object(&[
            ("name", s("b")),
            ("mode", s("MUTABLE")),
            ("arn", s("arn:1")),
            ("digest", s("d")),
        ]);
        let mut plan = ResourcePlan {
            prior: Some(prior),
            config,
            planned: proposed,
            requires_replace: vec![],
            private: Default::default(),
        };
        plan_defaults_and_unknowns(&block(), &mut plan);
        plan_replacements(&block(), &mut plan);
        assert_eq!(plan.planned("arn"), &s("arn:1"));
        assert!(plan.planned("digest").is_unknown());
        assert_eq!(plan.requires_replace, vec![AttributePath::root("name")]);
    }

    #[test]
    fn no_change_leaves_the_plan_equal_to_the_prior_state() {
        let prior = object(&[
            ("name", s("a")),
            ("mode", s("MUTABLE")),
            ("arn", s("arn:1")),
            ("digest", s("d")),
        ]);
        let config = object(&[("name", s("a"))]);
        let mut plan = ResourcePlan {
            prior: Some(prior.clone()),
            config,
            planned: prior.clone(),
            requires_replace: vec![],
            private: Default::default(),
        };
        plan_defaults_and_unknowns(&block(), &mut plan);
        plan_replacements(&block(), &mut plan);
        assert_eq!(plan.planned, prior);
        assert!(plan.requires_replace.is_empty());
    }
}
