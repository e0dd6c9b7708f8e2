//! The schema of `todo_ecs_cluster`, the model that configuration, plan and state share
//! ([`ClusterModel`]), the cluster as ECS reports it ([`ClusterState`]) and the flatten that
//! turns the one into the other.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{Cluster, ClusterSetting, ClusterSettingName};
use serde::{Deserialize, Serialize};

use super::capacity::{self, StrategyModel};
use crate::plugin::{Attribute, Block, Known, Schema, Type, Value};
use crate::provider::{tags, validate};

/// The schema of `todo_ecs_cluster`.
pub(super) fn schema() -> Schema {
    Schema::new(
        Block::new("An ECS cluster for Fargate services.")
            .attribute(
                Attribute::computed("id", Type::String)
                    .stable()
                    .describe("The cluster name."),
            )
            .attribute(
                Attribute::required("name", Type::String)
                    .requires_replace()
                    .validate(validate::ecs_name())
                    .subject("cluster name")
                    .describe("Cluster name."),
            )
            .attribute(
                Attribute::optional("container_insights", Type::Bool)
                    .default(Value::Bool(false))
                    .describe("Enable CloudWatch Container Insights. Updated in place."),
            )
            .attribute(capacity::capacity_providers_attribute())
            .attribute(tags::tags_attribute("Tags for the cluster."))
            .attribute(tags::tags_all_attribute(
                "The cluster's tags, including the provider's `default_tags`.",
            ))
            .attribute(
                Attribute::computed("arn", Type::String)
                    .stable()
                    .describe("The cluster ARN."),
            )
            .block(capacity::default_strategy_block()),
    )
}

/// The cluster as configuration, plan and state hold it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClusterModel {
    pub(super) id: Known<String>,
    pub(super) name: String,
    pub(super) container_insights: bool,
    /// Null when the configuration sets none; an empty set only when it says `[]`.
    pub(super) capacity_providers: Option<BTreeSet<String>>,
    /// States written before the attribute existed hold null here: read as no blocks.
    #[serde(deserialize_with = "crate::plugin::model::null_as_default")]
    pub(super) default_capacity_provider_strategy: Vec<StrategyModel>,
    pub(super) tags: Option<BTreeMap<String, String>>,
    pub(super) tags_all: Known<BTreeMap<String, String>>,
    pub(super) arn: Known<String>,
}

impl ClusterModel {
    /// The capacity providers to associate (none when unset).
    pub(super) fn providers(&self) -> BTreeSet<String> {
        self.capacity_providers.clone().unwrap_or_default()
    }

    /// The default strategy, in a stable order (the blocks form a set).
    pub(super) fn strategy(&self) -> BTreeSet<StrategyModel> {
        self.default_capacity_provider_strategy
            .iter()
            .cloned()
            .collect()
    }
}

/// ECS's cluster statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterStatus {
    /// Ready for services.
    Active,
    /// Being created.
    Provisioning,
    /// Being deleted.
    Deprovisioning,
    /// Creation failed.
    Failed,
    /// Deleted; ECS still reports it for a while.
    Inactive,
}

impl ClusterStatus {
    /// Reads ECS's status text; an unreported status counts as ACTIVE.
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some("PROVISIONING") => ClusterStatus::Provisioning,
            Some("DEPROVISIONING") => ClusterStatus::Deprovisioning,
            Some("FAILED") => ClusterStatus::Failed,
            Some("INACTIVE") => ClusterStatus::Inactive,
            _ => ClusterStatus::Active,
        }
    }
}

/// The cluster as ECS reports it.
#[derive(Debug, Clone)]
pub(super) struct ClusterState {
    pub(super) name: String,
    pub(super) arn: String,
    pub(super) container_insights: bool,
    pub(super) capacity_providers: BTreeSet<String>,
    pub(super) strategy: BTreeSet<StrategyModel>,
    pub(super) tags: BTreeMap<String, String>,
}

impl ClusterState {
    /// Reads a cluster of a DescribeClusters answer (asked with TAGS and SETTINGS); `name` is
    /// what it was asked by, used when ECS leaves the name out.
    pub(super) fn from_cluster(cluster: &Cluster, name: &str) -> Self {
        let container_insights = cluster.settings().iter().any(|s| {
            s.name() == Some(&ClusterSettingName::ContainerInsights)
                && matches!(s.value(), Some("enabled" | "enhanced"))
        });
        ClusterState {
            name: cluster.cluster_name().unwrap_or(name).to_owned(),
            arn: cluster.cluster_arn().unwrap_or_default().to_owned(),
            container_insights,
            capacity_providers: cluster.capacity_providers().iter().cloned().collect(),
            strategy: capacity::flatten_strategy(cluster.default_capacity_provider_strategy()),
            tags: tags::ecs_tag_map(cluster.tags()),
        }
    }
}

/// The state to record for a cluster ECS reports. `prior` is the configuration's view (the
/// plan or the state before): its tags tell the resource's own tags from the default tags, as
/// for every resource with `tags_all`, and when ECS reports no capacity providers the state
/// says so as the configuration did (`[]` or unset). Without it (import, list), none is null.
pub(super) fn flatten_cluster(
    cluster: &ClusterState,
    prior: Option<&ClusterModel>,
    default_tags: &BTreeMap<String, String>,
) -> ClusterModel {
    let prior_tags = prior.and_then(|p| p.tags.as_ref());
    let capacity_providers = if cluster.capacity_providers.is_empty() {
        prior
            .and_then(|p| p.capacity_providers.as_ref())
            .filter(|p| p.is_empty())
            .cloned()
    } else {
        Some(cluster.capacity_providers.clone())
    };
    ClusterModel {
        id: Known::Value(cluster.name.clone()),
        name: cluster.name.clone(),
        container_insights: cluster.container_insights,
        capacity_providers,
        default_capacity_provider_strategy: cluster.strategy.iter().cloned().collect(),
        tags: tags::own_tags(&cluster.tags, default_tags, prior_tags),
        tags_all: Known::Value(cluster.tags.clone()),
        arn: Known::Value(cluster.arn.clone()),
    }
}

/// The `containerInsights` setting for `enabled`.
pub(super) fn insights_setting(enabled: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if enabled { "enabled" } else { "disabled" })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(providers: &[&str]) -> ClusterState {
        ClusterState {
            name: "main".into(),
            arn: "arn:aws:ecs:us-east-1:123456789012:cluster/main".into(),
            container_insights: false,
            capacity_providers: providers.iter().map(|p| (*p).to_owned()).collect(),
            strategy: BTreeSet::new(),
            tags: BTreeMap::new(),
        }
    }

    fn configured(providers: Option<&[&str]>) -> ClusterModel {
        let mut model = flatten_cluster(&remote(&[]), None, &BTreeMap::new());
        model.capacity_providers = providers.map(|p| p.iter().map(|p| (*p).to_owned()).collect());
        model
    }

    #[test]
    fn no_capacity_provider_is_recorded_as_the_configuration_says_it() {
        let none = remote(&[]);
        let defaults = BTreeMap::new();
        let unset = flatten_cluster(&none, Some(&configured(None)), &defaults);
        assert_eq!(unset.capacity_providers, None);
        let empty = flatten_cluster(&none, Some(&configured(Some(&[]))), &defaults);
        assert_eq!(empty.capacity_providers, Some(BTreeSet::new()));
        let imported = flatten_cluster(&none, None, &defaults);
        assert_eq!(imported.capacity_providers, None);
        // What ECS reports wins over the configuration: drift shows.
        let spot = flatten_cluster(
            &remote(&["FARGATE_SPOT"]),
            Some(&configured(None)),
            &defaults,
        );
        assert_eq!(
            spot.capacity_providers,
            Some(BTreeSet::from(["FARGATE_SPOT".to_owned()]))
        );
    }

    #[test]
    fn old_states_without_the_strategy_read_as_none() {
        let mut state = crate::plugin::model::to_value(&configured(None)).expect("to value");
        if let Value::Object(attributes) = &mut state {
            attributes.insert("default_capacity_provider_strategy".into(), Value::Null);
            attributes.insert("capacity_providers".into(), Value::Null);
        }
        let model: ClusterModel = crate::plugin::model::from_value(&state).expect("model");
        assert!(model.default_capacity_provider_strategy.is_empty());
        assert_eq!(model.capacity_providers, None);
    }
}
