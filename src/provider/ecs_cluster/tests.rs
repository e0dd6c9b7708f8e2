//! Unit tests of `todo_ecs_cluster` against a fake ECS endpoint: which calls each operation
//! sends (and no more), and what reaches the state when a call fails.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::json;

use super::capacity::StrategyModel;
use super::*;
use crate::plugin::Known;
use crate::plugin::model::{conform, to_value};
use crate::provider::fake_aws::{Answer, FakeAws, updated};

const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/main";

fn strategy(items: &[(&str, i64, i64)]) -> Vec<StrategyModel> {
    items
        .iter()
        .map(|(provider, weight, base)| StrategyModel {
            capacity_provider: (*provider).to_owned(),
            weight: *weight,
            base: *base,
        })
        .collect()
}

/// The cluster `main` on FARGATE and FARGATE_SPOT with `items` as its default strategy; as
/// planned for a create (`created` false: ID and ARN unknown) or as a state.
fn model(items: &[(&str, i64, i64)], created: bool) -> ClusterModel {
    let known = |value: &str| {
        if created {
            Known::Value(value.to_owned())
        } else {
            Known::Unknown
        }
    };
    ClusterModel {
        id: known("main"),
        name: "main".into(),
        container_insights: false,
        capacity_providers: Some(BTreeSet::from(["FARGATE".into(), "FARGATE_SPOT".into()])),
        default_capacity_provider_strategy: strategy(items),
        tags: None,
        tags_all: Known::Value(BTreeMap::new()),
        arn: known(ARN),
    }
}

/// The model as Terraform sends it: a value of the schema's type.
fn value(model: &ClusterModel) -> Value {
    conform(to_value(model).expect("to value"), &schema().value_type())
}

/// DescribeClusters' answer for the cluster `main` with `items` as its default strategy.
fn described(items: &[(&str, i64, i64)]) -> Answer {
    let strategy: Vec<serde_json::Value> = items
        .iter()
        .map(|(p, w, b)| json!({"capacityProvider": p, "weight": w, "base": b}))
        .collect();
    Answer::ok(json!({"clusters": [{
        "clusterName": "main", "clusterArn": ARN, "status": "ACTIVE",
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": strategy,
        "settings": [{"name": "containerInsights", "value": "disabled"}], "tags": [],
    }], "failures": []}))
}

async fn started(fake: &FakeAws) -> EcsCluster {
    let clients = fake.start().await.expect("fake endpoint");
    EcsCluster::new(Arc::new(ClientSlot::ready(clients)))
}

fn operations(fake: &FakeAws) -> Vec<String> {
    fake.calls().into_iter().map(|c| c.operation).collect()
}

fn has_errors(applied: &Applied) -> bool {
    applied.diagnostics.has_errors()
}

/// The state an apply recorded, as Terraform receives it (of the schema's type).
fn recorded(applied: &Applied) -> Option<Value> {
    let ty = schema().value_type();
    applied.state.clone().map(|state| conform(state, &ty))
}

#[tokio::test]
async fn a_create_is_one_call_carrying_the_capacity_providers() {
    let fake = FakeAws::default();
    fake.answer(
        "CreateCluster",
        Answer::ok(
            json!({"cluster": {"clusterName": "main", "clusterArn": ARN, "status": "ACTIVE"}}),
        ),
    );
    let resource = started(&fake).await;
    let items = [("FARGATE", 1, 1), ("FARGATE_SPOT", 4, 0)];
    let planned = value(&model(&items, false));

    let applied = resource.create(&planned, &CallContext::default()).await;
    assert!(!has_errors(&applied), "{:?}", applied.diagnostics);
    assert_eq!(operations(&fake), ["CreateCluster"], "no read-back");
    let input = &fake.calls()[0].input;
    assert_eq!(
        input["capacityProviders"],
        json!(["FARGATE", "FARGATE_SPOT"])
    );
    assert_eq!(
        input["defaultCapacityProviderStrategy"],
        json!([
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
            // The SDK leaves a base of 0 out: ECS reads that as 0.
            {"capacityProvider": "FARGATE_SPOT", "weight": 4},
        ])
    );
    assert_eq!(recorded(&applied), Some(value(&model(&items, true))));
}

#[tokio::test]
async fn a_create_without_capacity_providers_sends_none() {
    let fake = FakeAws::default();
    fake.answer(
        "CreateCluster",
        Answer::ok(json!({"cluster": {"clusterName": "main", "clusterArn": ARN}})),
    );
    let resource = started(&fake).await;
    let mut planned = model(&[], false);
    planned.capacity_providers = None;

    let applied = resource
        .create(&value(&planned), &CallContext::default())
        .await;
    assert!(!has_errors(&applied), "{:?}", applied.diagnostics);
    let input = &fake.calls()[0].input;
    assert!(input.get("capacityProviders").is_none(), "{input}");
    assert!(
        input.get("defaultCapacityProviderStrategy").is_none(),
        "{input}"
    );
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_finds_the_cluster_and_goes_on() {
    let fake = FakeAws::default();
    fake.answer("CreateCluster", Answer::server_error());
    let items = [("FARGATE_SPOT", 1, 0)];
    fake.answer("DescribeClusters", described(&items));
    let resource = started(&fake).await;

    let applied = resource
        .create(&value(&model(&items, false)), &CallContext::default())
        .await;
    assert!(
        !has_errors(&applied),
        "a warning only: {:?}",
        applied.diagnostics
    );
    assert!(
        !applied.diagnostics.is_empty(),
        "the error is shown as a warning"
    );
    assert_eq!(operations(&fake), ["CreateCluster", "DescribeClusters"]);
    assert_eq!(recorded(&applied), Some(value(&model(&items, true))));
}

#[tokio::test]
async fn a_refused_create_records_nothing_and_reads_nothing() {
    let fake = FakeAws::default();
    fake.answer(
        "CreateCluster",
        Answer::error("InvalidParameterException", "no such capacity provider"),
    );
    let resource = started(&fake).await;

    let applied = resource
        .create(&value(&model(&[], false)), &CallContext::default())
        .await;
    assert!(has_errors(&applied));
    assert_eq!(recorded(&applied), None);
    assert_eq!(operations(&fake), ["CreateCluster"]);
}

#[tokio::test]
async fn new_weights_are_one_put_and_no_read() {
    let fake = FakeAws::default();
    fake.answer("PutClusterCapacityProviders", described(&[]));
    let resource = started(&fake).await;
    let prior = value(&model(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 1, 0)], true));
    let planned = value(&model(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 3, 0)], true));

    let applied = updated(&resource, &prior, &planned).await;
    assert!(!has_errors(&applied), "{:?}", applied.diagnostics);
    assert_eq!(operations(&fake), ["PutClusterCapacityProviders"]);
    let input = &fake.calls()[0].input;
    assert_eq!(input["cluster"], "main");
    assert_eq!(
        input["capacityProviders"],
        json!(["FARGATE", "FARGATE_SPOT"])
    );
    assert_eq!(
        input["defaultCapacityProviderStrategy"][1],
        json!({"capacityProvider": "FARGATE_SPOT", "weight": 3})
    );
    assert_eq!(recorded(&applied), Some(planned));
}

#[tokio::test]
async fn removing_every_capacity_provider_puts_empty_lists() {
    let fake = FakeAws::default();
    fake.answer("PutClusterCapacityProviders", described(&[]));
    let resource = started(&fake).await;
    let prior = value(&model(&[("FARGATE", 1, 0)], true));
    let mut planned = model(&[], true);
    planned.capacity_providers = None;

    let applied = updated(&resource, &prior, &value(&planned)).await;
    assert!(!has_errors(&applied), "{:?}", applied.diagnostics);
    let input = &fake.calls()[0].input;
    assert_eq!(input["capacityProviders"], json!([]));
    assert_eq!(input["defaultCapacityProviderStrategy"], json!([]));
}

#[tokio::test]
async fn a_refused_put_records_the_cluster_as_it_is() {
    let fake = FakeAws::default();
    fake.answer(
        "PutClusterCapacityProviders",
        Answer::error("ResourceInUseException", "FARGATE_SPOT is in use"),
    );
    let before = [("FARGATE_SPOT", 1, 0)];
    fake.answer("DescribeClusters", described(&before));
    let resource = started(&fake).await;
    let prior = value(&model(&before, true));
    let planned = value(&model(&[("FARGATE", 1, 0)], true));

    let applied = updated(&resource, &prior, &planned).await;
    assert!(has_errors(&applied));
    assert_eq!(
        operations(&fake),
        ["PutClusterCapacityProviders", "DescribeClusters"],
        "the outcome is read back"
    );
    assert_eq!(recorded(&applied), Some(prior));
    let text = applied.diagnostics.joined();
    assert!(text.contains("FARGATE_SPOT is in use"), "{text}");
    assert!(
        text.contains("move the services off it first") && text.contains("in a second apply"),
        "{text}"
    );
}

#[tokio::test]
async fn a_put_while_ecs_is_busy_with_the_cluster_is_tried_again() {
    let fake = FakeAws::default();
    fake.queue(
        "PutClusterCapacityProviders",
        vec![
            Answer::error("UpdateInProgressException", "An update is in progress"),
            Answer::error("ClientException", "Cluster was not ACTIVE"),
        ],
    );
    fake.answer("PutClusterCapacityProviders", described(&[]));
    let resource = started(&fake).await;
    let prior = value(&model(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 1, 0)], true));
    let planned = value(&model(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 3, 0)], true));

    let applied = updated(&resource, &prior, &planned).await;
    assert!(!has_errors(&applied), "{:?}", applied.diagnostics);
    assert_eq!(
        operations(&fake),
        [
            "PutClusterCapacityProviders",
            "PutClusterCapacityProviders",
            "PutClusterCapacityProviders"
        ]
    );
    assert_eq!(recorded(&applied), Some(planned));
}

#[tokio::test]
async fn a_put_stops_trying_at_its_time_limit_and_on_other_errors() {
    use crate::plugin::poll::Poller;
    let fake = FakeAws::default();
    fake.answer(
        "PutClusterCapacityProviders",
        Answer::error("UpdateInProgressException", "An update is in progress"),
    );
    let clients = fake.start().await.expect("fake endpoint");
    let planned = model(&[("FARGATE", 1, 0)], true);
    let short = Poller::new(Duration::from_millis(400))
        .delays(Duration::from_millis(50), Duration::from_millis(50));
    let ctx = CallContext::default();
    let error = write::put_capacity_providers(&clients, &planned, short, &ctx)
        .await
        .expect_err("still busy");
    assert!(error.is(&["UpdateInProgressException"]), "{error}");
    assert!(operations(&fake).len() > 1, "tried again");

    // Another ClientException, or a server error (the SDK's own retries are for those), is
    // final.
    let other_errors = [
        Answer::error(
            "ClientException",
            "The specified capacity provider does not exist",
        ),
        Answer::server_error(),
    ];
    for answer in other_errors {
        let fake = FakeAws::default();
        fake.answer("PutClusterCapacityProviders", answer);
        let clients = fake.start().await.expect("fake endpoint");
        let error = write::put_capacity_providers(&clients, &planned, short, &ctx)
            .await
            .expect_err("refused");
        assert!(!error.is(&["UpdateInProgressException"]), "{error}");
        assert_eq!(
            operations(&fake),
            ["PutClusterCapacityProviders"],
            "{error}"
        );
    }
}

/// ECS refuses to delete a cluster with an ACTIVE service (no emulator does): the destroy
/// fails at once with an error that says to destroy the services first.
#[tokio::test]
async fn deleting_a_cluster_with_an_active_service_fails_clearly() {
    let fake = FakeAws::default();
    fake.answer(
        "DeleteCluster",
        Answer::error(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ),
    );
    fake.answer(
        "DescribeClusters",
        Answer::ok(json!({"clusters": [{
            "clusterName": "main", "status": "ACTIVE", "activeServicesCount": 1,
            "clusterArn": ARN,
        }], "failures": []})),
    );
    let resource = started(&fake).await;
    let prior = value(&model(&[], true));

    let started = std::time::Instant::now();
    let diagnostics = resource
        .delete(&prior, &Private::default(), &CallContext::default())
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no waiting for an ACTIVE service"
    );
    let text = diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<String>();
    assert!(diagnostics.has_errors());
    assert!(text.contains("Cluster still runs services"), "{text}");
    assert!(text.contains("Destroy its services first"), "{text}");
    let deletes = fake
        .calls()
        .iter()
        .filter(|c| c.operation == "DeleteCluster")
        .count();
    assert_eq!(deletes, 1);
}

#[test]
fn states_without_the_strategy_blocks_upgrade_to_none() {
    let slot = Arc::new(ClientSlot::default());
    let resource = EcsCluster::new(slot);
    let mut state = value(&model(&[], true));
    if let Value::Object(attributes) = &mut state {
        attributes.insert(capacity::STRATEGY_BLOCK.into(), Value::Null);
    }
    let upgraded = resource.upgrade_state(0, state).expect("upgraded");
    assert_eq!(
        upgraded.attr(capacity::STRATEGY_BLOCK),
        Some(&Value::Set(Vec::new()))
    );
    assert!(resource.upgrade_state(1, upgraded).is_err());
}
