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
    let slot = ClientSlot::ready(clients);
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
            .collect::<crate::plugin::Attributes>(),
    );
    crate::plugin::model::conform(object, &schema::schema().value_type())
}

/// An update with a fresh call context.
async fn update(service: &FargateService, prior: &Value, planned: &Value) -> Applied {
    service
        .update(prior, planned, &Private::default(), &CallContext::default())
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
async fn a_rollback_that_completes_does_not_pass_for_the_deployment_it_replaced() {
    // UpdateService starts deployment "new"; the circuit breaker stops it and rolls back: the
    // rollback deployment is PRIMARY and COMPLETED, which must not read as success.
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "UpdateService",
        Answer::ok(serde_json::json!({"service": {"deployments": [
            {"id": "new", "status": "PRIMARY", "taskDefinition": TD2, "rolloutState": "IN_PROGRESS"},
        ]}})),
    );
    let reason = "ECS deployment circuit breaker: tasks failed to start.";
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [{
            "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
            "desiredCount": 1, "runningCount": 1, "taskDefinition": TD1,
            "deployments": [
                {"id": "rollback", "status": "PRIMARY", "taskDefinition": TD1,
                 "rolloutState": "COMPLETED"},
                {"id": "new", "status": "ACTIVE", "taskDefinition": TD2,
                 "rolloutState": "FAILED", "rolloutStateReason": reason},
            ],
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
        .unwrap_or_else(|| panic!("the rollback is a failure: {}", messages(&applied)));
    assert!(failed.detail.contains(reason), "{}", failed.detail);

    // The same when ECS no longer reports the deployment at all.
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "UpdateService",
        Answer::ok(serde_json::json!({"service": {"deployments": [
            {"id": "new", "status": "PRIMARY", "taskDefinition": TD2, "rolloutState": "IN_PROGRESS"},
        ]}})),
    );
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [{
            "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
            "desiredCount": 1, "runningCount": 1, "taskDefinition": TD1,
            "deployments": [{"id": "rollback", "status": "PRIMARY", "taskDefinition": TD1,
                             "rolloutState": "COMPLETED"}],
        }], "failures": []})),
    );
    let applied = update(&service, &prior, &planned).await;
    assert!(
        applied
            .diagnostics
            .iter()
            .any(|d| d.detail.contains("was replaced")),
        "{}",
        messages(&applied)
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

/// The private state recording `arns` as registered by the resource.
fn registered(arns: &[&str]) -> Private {
    let mut record = RegisteredRevisions::default();
    for arn in arns {
        record.record(arn);
    }
    record.store(Private::default())
}

/// The operations called, in order.
fn operations(fake: &FakeAws) -> Vec<String> {
    fake.calls().into_iter().map(|c| c.operation).collect()
}

#[tokio::test]
async fn destroy_deregisters_only_the_revisions_the_resource_registered() {
    let (fake, service) = refusing("NothingRefused").await;
    // ECS no longer reports the service: only the revisions are left to clean up.
    fake.answer(
        "DeleteService",
        Answer::error("ServiceNotFoundException", "Service not found."),
    );
    let prior = service_value("v1", Value::from(TD1));
    let diagnostics = service
        .delete(&prior, &registered(&[TD2]), &CallContext::default())
        .await;
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    assert_eq!(
        deregistered(&fake),
        [TD2],
        "never TD1, which it did not register"
    );
    assert!(
        !operations(&fake).iter().any(|o| o == "ListTaskDefinitions"),
        "the family is not searched: {:?}",
        operations(&fake)
    );

    // A state written before the record existed owns the revision it names, and no other.
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "DeleteService",
        Answer::error("ServiceNotFoundException", "Service not found."),
    );
    let diagnostics = service
        .delete(&prior, &Private::default(), &CallContext::default())
        .await;
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    assert_eq!(deregistered(&fake), [TD1]);
}

#[tokio::test]
async fn a_create_records_its_revision_and_sends_a_client_token() {
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "CreateService",
        Answer::ok(serde_json::json!({"service": {"serviceArn": SERVICE_ARN}})),
    );
    let planned = service_value("v1", Value::unknown());
    let applied = service.create(&planned, &CallContext::default()).await;
    assert!(!applied.diagnostics.has_errors(), "{}", messages(&applied));
    let private = applied.private.expect("the create answers private state");
    let owned = RegisteredRevisions::owned(&private, None).unwrap();
    assert_eq!(owned.arns(), [TD2]);
    let create = fake
        .calls()
        .into_iter()
        .find(|c| c.operation == "CreateService")
        .expect("CreateService was sent");
    let token = create.input["clientToken"].as_str().unwrap_or_default();
    assert!(token.starts_with("todo-") && token.len() <= 36, "{token:?}");
    let planned_model: ServiceModel = from_value(&planned).unwrap();
    // Derived from what the create is: the same service and revision give the same token (an
    // SDK retry resends the request as built), another revision another create.
    assert_eq!(token, client_token(&planned_model, TD2));
    assert_ne!(token, client_token(&planned_model, TD1));
}

#[tokio::test]
async fn throttling_during_the_rollout_wait_is_polled_through() {
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "CreateService",
        Answer::ok(serde_json::json!({"service": {"serviceArn": SERVICE_ARN}})),
    );
    fake.queue(
        "DescribeServices",
        vec![
            Answer::throttled(),
            Answer::server_error(),
            Answer::throttled(),
        ],
    );
    let mut planned = service_value("v1", Value::unknown());
    if let Value::Object(map) = &mut planned {
        map.insert("wait_for_steady_state".into(), Value::Bool(true));
    }
    let applied = service.create(&planned, &CallContext::default()).await;
    assert!(!applied.diagnostics.has_errors(), "{}", messages(&applied));
    assert!(applied.state.is_some());
    let describes = operations(&fake)
        .iter()
        .filter(|o| *o == "DescribeServices")
        .count();
    assert!(
        describes >= 4,
        "three failed polls, then an answer: {describes}"
    );
}

#[tokio::test]
async fn a_create_whose_answer_failed_goes_on_with_the_service_it_made() {
    let (fake, service) = refusing("NothingRefused").await;
    // The server failed after it created the service (or its answer was lost): ECS reports
    // the service running the revision just registered.
    fake.answer("CreateService", Answer::server_error());
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [{
            "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
            "desiredCount": 1, "runningCount": 1, "taskDefinition": TD2, "deployments": [],
        }], "failures": []})),
    );
    let planned = service_value("v1", Value::unknown());
    let applied = service.create(&planned, &CallContext::default()).await;
    assert!(
        !applied.diagnostics.has_errors(),
        "its own service is not tainted: {}",
        messages(&applied)
    );
    assert!(
        applied
            .diagnostics
            .iter()
            .any(|d| d.summary.contains("Cannot create")),
        "the failed call is a warning: {}",
        messages(&applied)
    );
    let state = applied.state.expect("the service is recorded");
    assert_eq!(string_attribute(&state, "arn"), Some(SERVICE_ARN));
    assert!(deregistered(&fake).is_empty(), "its revision is in use");
}

#[tokio::test]
async fn a_create_whose_outcome_cannot_be_read_is_recorded_as_planned() {
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer("CreateService", Answer::server_error());
    fake.answer(
        "DescribeServices",
        Answer::error("AccessDeniedException", "not allowed to describe"),
    );
    let planned = service_value("v1", Value::unknown());
    let applied = service.create(&planned, &CallContext::default()).await;
    assert!(
        applied.diagnostics.has_errors(),
        "tainted through the error"
    );
    let state = applied.state.expect("it may exist: recorded as planned");
    assert_eq!(string_attribute(&state, "name"), Some("svc"));
    assert!(deregistered(&fake).is_empty(), "its revision may be in use");
    let private = applied.private.expect("the revision is recorded");
    assert_eq!(
        RegisteredRevisions::owned(&private, None).unwrap().arns(),
        [TD2]
    );
}

#[tokio::test]
async fn a_failed_create_never_adopts_a_service_running_another_revision() {
    let (fake, service) = refusing("NothingRefused").await;
    // A service of that name runs TD1, which this create did not register: not ours.
    fake.answer("CreateService", Answer::server_error());
    let planned = service_value("v1", Value::unknown());
    let applied = service.create(&planned, &CallContext::default()).await;
    assert!(applied.diagnostics.has_errors());
    assert!(
        applied.state.is_none(),
        "someone else's service is not recorded"
    );
    assert_eq!(
        deregistered(&fake),
        [TD2],
        "only its own revision is removed"
    );
}

#[tokio::test]
async fn states_at_schema_version_0_get_the_family_they_registered_in() {
    let fixture = include_str!("../../../tests/fixtures/state_v0/terraform.tfstate");
    let state: serde_json::Value = serde_json::from_str(fixture).unwrap();
    let instance = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "todo_fargate_service")
        .map(|r| &r["instances"][0])
        .unwrap();
    assert_eq!(instance["schema_version"], 0);
    let raw = serde_json::to_vec(&instance["attributes"]).unwrap();
    let ty = schema::schema().value_type();
    let options = crate::plugin::value::JsonDecodeOptions {
        ignore_undefined_attributes: true,
    };
    let decoded = crate::plugin::value::decode_json_with_options(&raw, &ty, options).unwrap();
    let (_, service) = refusing("NothingRefused").await;
    let upgraded = service.upgrade_state(0, decoded).unwrap();
    assert_eq!(string_attribute(&upgraded, "family"), Some("api"));
    assert_eq!(string_attribute(&upgraded, "name"), Some("api"));
    let model: ServiceModel = from_value(&upgraded).unwrap();
    assert_eq!(model.family(), "api");
    // The blocks added later (sidecars, strategy, ...) are no blocks, as a plan holds them.
    for blocks in ["sidecar", "capacity_provider_strategy", "ulimits"] {
        let value = upgraded.attr(blocks).cloned().unwrap_or(Value::Null);
        assert!(
            matches!(&value, Value::List(items) | Value::Set(items) if items.is_empty()),
            "{blocks}: {value:?}"
        );
    }
    assert!(
        service
            .upgrade_state(SCHEMA_VERSION, upgraded.clone())
            .is_ok()
    );
    assert!(service.upgrade_state(7, upgraded).is_err());
}

#[test]
fn a_new_service_family_is_cluster_and_name() {
    assert_eq!(schema::default_family("staging", "api"), "staging-api");
    assert_eq!(
        schema::default_family("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "api"),
        "prod-api"
    );
    assert_eq!(
        schema::default_family(&"c".repeat(200), &"s".repeat(200)).len(),
        255
    );
}

/// A new tag is checked by the plan Terraform makes during apply (see `calls_tests`); a new
/// revision of the same tag (here for an environment change) was checked by no plan, so the
/// apply checks it before registering anything.
#[tokio::test]
async fn a_missing_tag_stops_the_update_before_anything_is_registered() {
    let (fake, service) = refusing("UpdateService").await;
    fake.answer(
        "DescribeImages",
        Answer::error("ImageNotFoundException", "no such image"),
    );
    let prior = service_value("v1", Value::from(TD1));
    let mut planned = service_value("v1", Value::unknown());
    if let Value::Object(attributes) = &mut planned {
        let environment = BTreeMap::from([("MODE".to_owned(), Value::from("x"))]);
        attributes.insert("environment".into(), Value::Map(environment));
    }
    let applied = update(&service, &prior, &planned).await;

    let message = messages(&applied);
    assert!(
        message.contains("\"v1\"") && message.contains("todo"),
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

/// `value` with `capacity_provider_strategy` set to FARGATE (base 1) and FARGATE_SPOT
/// (`spot_weight`).
fn with_strategy(value: Value, spot_weight: i64) -> Value {
    let item = |provider: &str, weight: Value, base: Value| {
        Value::Object(crate::plugin::Attributes::from([
            ("capacity_provider".to_owned(), Value::from(provider)),
            ("weight".to_owned(), weight),
            ("base".to_owned(), base),
        ]))
    };
    let mut value = value;
    if let Value::Object(attributes) = &mut value {
        attributes.insert(
            "capacity_provider_strategy".to_owned(),
            Value::Set(vec![
                item("FARGATE", Value::Null, Value::from(1)),
                item("FARGATE_SPOT", Value::from(spot_weight), Value::Null),
            ]),
        );
    }
    value
}

#[tokio::test]
async fn a_strategy_replaces_the_launch_type_and_a_new_weight_forces_a_deployment_only() {
    let (fake, service) = refusing("NothingRefused").await;
    fake.answer(
        "CreateService",
        Answer::ok(serde_json::json!({"service": {"serviceArn": SERVICE_ARN}})),
    );
    fake.answer(
        "UpdateService",
        Answer::ok(serde_json::json!({"service": {"serviceArn": SERVICE_ARN}})),
    );
    let planned = with_strategy(service_value("v1", Value::unknown()), 1);
    let created = service.create(&planned, &CallContext::default()).await;
    assert!(!created.diagnostics.has_errors(), "{}", messages(&created));
    let sent = |operation: &str| {
        fake.calls()
            .into_iter()
            .filter(|c| c.operation == operation)
            .map(|c| c.input)
            .collect::<Vec<_>>()
    };
    let create = &sent("CreateService")[0];
    assert!(create.get("launchType").is_none(), "{create:#}");
    let mut strategy = create["capacityProviderStrategy"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    strategy.sort_by_key(|i| i["capacityProvider"].as_str().map(str::to_owned));
    assert_eq!(
        strategy,
        [
            serde_json::json!({"capacityProvider": "FARGATE", "base": 1}),
            serde_json::json!({"capacityProvider": "FARGATE_SPOT", "weight": 1}),
        ]
    );

    let registered_before = sent("RegisterTaskDefinition").len();
    let prior = with_strategy(service_value("v1", Value::from(TD1)), 1);
    let planned = with_strategy(service_value("v1", Value::from(TD1)), 3);
    let applied = update(&service, &prior, &planned).await;
    assert!(!applied.diagnostics.has_errors(), "{}", messages(&applied));
    let updates = sent("UpdateService");
    let update = updates.last().expect("UpdateService was sent");
    assert_eq!(update["forceNewDeployment"], true, "{update:#}");
    assert!(update.get("taskDefinition").is_none(), "{update:#}");
    assert!(update.get("networkConfiguration").is_none(), "{update:#}");
    assert_eq!(
        update["capacityProviderStrategy"].as_array().map(Vec::len),
        Some(2),
        "{update:#}"
    );
    assert_eq!(
        sent("RegisterTaskDefinition").len(),
        registered_before,
        "a strategy is the service's: no new revision"
    );
}
