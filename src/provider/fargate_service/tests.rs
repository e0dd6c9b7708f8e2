//! Unit tests of `todo_fargate_service`: failure paths against a scripted fake ECS/ECR, and
//! the pure helpers (images, sizes, import IDs, durations).
use std::collections::BTreeMap;

use super::*;
use crate::plugin::CallContext;
use crate::provider::fake_aws::{Answer, FakeAws};

const URL: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo";
const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/svc:1";
const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/svc:2";
const SERVICE_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/main/svc";

/// A fake ECS/ECR where the tag exists and registering works, but ECS refuses the service
/// call named `refused`; the service runs revision 1 with image v1.
async fn refusing(refused: &str) -> (FakeAws, FargateService) {
    refusing_with_default_tags(refused, BTreeMap::new()).await
}

/// [`refusing`], with the provider's default tags.
async fn refusing_with_default_tags(
    refused: &str,
    default_tags: BTreeMap<String, String>,
) -> (FakeAws, FargateService) {
    let fake = FakeAws::default();
    fake.answer(
        "DescribeImages",
        Answer::ok(serde_json::json!({"imageDetails": [{
            "imageDigest": format!("sha256:{}", "a".repeat(64)),
            "imageTags": ["v1", "v2"],
            "repositoryName": "todo",
        }]})),
    );
    fake.answer(
        "RegisterTaskDefinition",
        Answer::ok(serde_json::json!({"taskDefinition": {
            "taskDefinitionArn": TD2, "family": "svc", "revision": 2}})),
    );
    fake.answer(
        "DeregisterTaskDefinition",
        Answer::ok(serde_json::json!({"taskDefinition": {
            "taskDefinitionArn": TD2, "status": "INACTIVE"}})),
    );
    fake.answer(
        refused,
        Answer::error(
            "InvalidParameterException",
            "The subnet ID 'subnet-0123456789abcdef0' does not exist",
        ),
    );
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [{
            "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
            "desiredCount": 1, "runningCount": 1, "taskDefinition": TD1, "deployments": [],
        }], "failures": []})),
    );
    fake.answer(
        "DescribeTaskDefinition",
        Answer::ok(serde_json::json!({"taskDefinition": {
            "taskDefinitionArn": TD1, "revision": 1, "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": format!("{URL}:v1"),
                "portMappings": [{"containerPort": 3000}]}],
        }})),
    );
    let mut clients = fake.start().await.expect("fake endpoint");
    clients.default_tags = default_tags;
    let slot = ClientSlot::default();
    let _ = slot.0.set(clients);
    (fake, FargateService::new(Arc::new(slot)))
}

fn service_value(tag: &str, td: Value) -> Value {
    let attributes = [
        ("name", Value::from("svc")),
        ("cluster", Value::from("main")),
        ("arn", Value::from(SERVICE_ARN)),
        ("repository_url", Value::from(URL)),
        ("image_tag", Value::from(tag)),
        ("image", Value::from(format!("{URL}:{tag}"))),
        ("pin_digest", Value::Bool(false)),
        (
            "subnets",
            Value::Set(vec![Value::from("subnet-0123456789abcdef0")]),
        ),
        ("wait_for_steady_state", Value::Bool(false)),
        ("task_definition_arn", td),
    ];
    let object = Value::Object(
        attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
    );
    crate::plugin::model::conform(object, &schema::schema().value_type())
}

/// An update with a fresh call context.
async fn update(service: &FargateService, prior: &Value, planned: &Value) -> Applied {
    service
        .update(prior, planned, &CallContext::default())
        .await
}

/// Every diagnostic of an apply, as one text.
fn messages(applied: &Applied) -> String {
    applied
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A string attribute of a state.
fn string_attribute<'a>(state: &'a Value, name: &str) -> Option<&'a str> {
    state.attr(name).and_then(Value::as_str)
}

fn deregistered(fake: &FakeAws) -> Vec<String> {
    fake.calls()
        .iter()
        .filter(|c| c.operation == "DeregisterTaskDefinition")
        .filter_map(|c| c.input["taskDefinition"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_refused_update_deregisters_the_new_revision_and_records_what_runs() {
    let (fake, service) = refusing("UpdateService").await;
    let prior = service_value("v1", Value::from(TD1));
    let planned = service_value("v2", Value::unknown());
    let applied = update(&service, &prior, &planned).await;

    assert!(applied.diagnostics.has_errors());
    let message = messages(&applied);
    assert!(message.contains("ecs:UpdateService"), "{message}");
    assert_eq!(
        deregistered(&fake),
        [TD2],
        "the unused revision is deregistered"
    );
    let state = applied
        .state
        .expect("the service still exists and stays in state");
    assert_eq!(
        string_attribute(&state, "image_tag"),
        Some("v1"),
        "what ECS runs"
    );
    assert_eq!(string_attribute(&state, "task_definition_arn"), Some(TD1));
    let operations: Vec<String> = fake.calls().into_iter().map(|c| c.operation).collect();
    let register = operations
        .iter()
        .position(|o| o == "RegisterTaskDefinition");
    let update = operations.iter().position(|o| o == "UpdateService");
    assert!(
        register < update,
        "the image is registered before the update: {operations:?}"
    );
}

#[tokio::test]
async fn a_rollout_stopped_by_the_circuit_breaker_fails_quoting_ecs() {
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "UpdateService",
        Answer::ok(serde_json::json!({"service": {}})),
    );
    let reason = "ECS deployment circuit breaker: tasks failed to start.";
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [{
            "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
            "desiredCount": 1, "runningCount": 1, "taskDefinition": TD1,
            "deployments": [{"status": "PRIMARY", "taskDefinition": TD1,
                "rolloutState": "FAILED", "rolloutStateReason": reason}],
        }], "failures": []})),
    );
    let prior = service_value("v1", Value::from(TD1));
    let mut planned = service_value("v2", Value::unknown());
    if let Value::Object(map) = &mut planned {
        map.insert("wait_for_steady_state".into(), Value::Bool(true));
    }
    let applied = update(&service, &prior, &planned).await;

    let failed = applied
        .diagnostics
        .iter()
        .find(|d| d.summary == "Deployment failed")
        .expect("a failed deployment is an error");
    assert!(failed.detail.contains(reason), "{}", failed.detail);
    let state = applied
        .state
        .expect("the service is recorded as ECS reports it");
    assert_eq!(
        string_attribute(&state, "task_definition_arn"),
        Some(TD1),
        "rolled back to the last working revision"
    );
}

#[tokio::test]
async fn a_refused_create_leaves_no_revision_behind() {
    let (fake, service) = refusing("CreateService").await;
    let planned = service_value("v1", Value::unknown());
    let applied = service.create(&planned, &CallContext::default()).await;

    assert!(applied.diagnostics.has_errors());
    assert!(
        applied.state.is_none(),
        "no service exists, so none is recorded"
    );
    assert_eq!(deregistered(&fake), [TD2]);
}

#[tokio::test]
async fn a_missing_tag_stops_the_update_before_anything_is_registered() {
    let (fake, service) = refusing("UpdateService").await;
    fake.answer(
        "DescribeImages",
        Answer::error("ImageNotFoundException", "no such image"),
    );
    let prior = service_value("v1", Value::from(TD1));
    let planned = service_value("never-pushed", Value::unknown());
    let applied = update(&service, &prior, &planned).await;

    let message = messages(&applied);
    assert!(
        message.contains("never-pushed") && message.contains("todo"),
        "{message}"
    );
    assert_eq!(applied.state, Some(prior), "the state is untouched");
    let operations: Vec<String> = fake.calls().into_iter().map(|c| c.operation).collect();
    assert_eq!(
        operations,
        ["DescribeImages"],
        "nothing registered or updated"
    );
}

#[test]
fn images_split_into_repository_and_reference() {
    assert_eq!(
        split_image("1.dkr.ecr.eu-central-1.amazonaws.com/todo:3f2a1bc"),
        (
            "1.dkr.ecr.eu-central-1.amazonaws.com/todo".into(),
            ImageReference::Tag("3f2a1bc".into())
        )
    );
    assert_eq!(
        split_image("localhost:4566/team/todo:v1"),
        (
            "localhost:4566/team/todo".into(),
            ImageReference::Tag("v1".into())
        )
    );
    assert_eq!(
        split_image("r/todo@sha256:abc"),
        ("r/todo".into(), ImageReference::Digest("sha256:abc".into()))
    );
    assert_eq!(
        split_image("localhost:4566/todo"),
        (
            "localhost:4566/todo".into(),
            ImageReference::Tag("latest".into())
        )
    );
}

#[test]
fn ecr_urls_are_recognised() {
    assert_eq!(
        ecr_location("123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/todo"),
        Some(EcrLocation {
            registry_id: "123456789012".into(),
            repository: "team/todo".into()
        })
    );
    assert_eq!(ecr_location("ghcr.io/acme/todo"), None);
    assert_eq!(ecr_location("docker.io/library/nginx"), None);
}

#[test]
fn fargate_sizes() {
    assert_eq!(fargate_memory_options(256), Some(vec![512, 1024, 2048]));
    assert!(fargate_memory_options(1024).is_some_and(|m| m.contains(&8192) && !m.contains(&512)));
    assert!(fargate_memory_options(300).is_none());
    assert!(fargate_memory_options(16384).is_some_and(|m| m.contains(&122_880)));
}

#[test]
fn import_ids_name_cluster_and_service() {
    assert_eq!(
        parse_import_id("todo/todo-service"),
        Some(("todo", "todo-service"))
    );
    assert_eq!(
        parse_import_id("arn:aws:ecs:eu-central-1:123456789012:cluster/todo/api"),
        Some(("arn:aws:ecs:eu-central-1:123456789012:cluster/todo", "api"))
    );
    for bad in ["todo", "todo/", "/api", "a/b/c", "arn:aws:ecs/api"] {
        assert_eq!(parse_import_id(bad), None, "{bad}");
    }
}

/// A change of the provider's default tags alone changes nothing else, yet reaches ECS: the
/// update tags the service instead of recording the prior state as it was.
#[tokio::test]
async fn a_default_tags_change_alone_tags_the_service() {
    let default_tags = BTreeMap::from([("env".to_owned(), "dev".to_owned())]);
    let (fake, service) = refusing_with_default_tags("NothingRefused", default_tags).await;
    fake.answer("TagResource", Answer::ok(serde_json::json!({})));
    let with_tags_all = |tags: &[(&str, &str)]| {
        let mut value = service_value("v1", Value::from(TD1));
        if let Value::Object(map) = &mut value {
            let tags = tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect();
            map.insert("tags_all".into(), Value::Map(tags));
        }
        value
    };
    let prior = with_tags_all(&[]);
    let planned = with_tags_all(&[("env", "dev")]);
    let applied = update(&service, &prior, &planned).await;

    let tagged: Vec<serde_json::Value> = fake
        .calls()
        .into_iter()
        .filter(|c| c.operation == "TagResource")
        .map(|c| c.input)
        .collect();
    assert!(!applied.diagnostics.has_errors(), "{}", messages(&applied));
    assert_eq!(
        tagged,
        [serde_json::json!({"resourceArn": SERVICE_ARN, "tags": [{"key": "env", "value": "dev"}]})],
        "{:?}",
        fake.calls()
            .iter()
            .map(|c| &c.operation)
            .collect::<Vec<_>>()
    );
}
