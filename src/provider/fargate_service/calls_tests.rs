//! Which AWS calls `todo_fargate_service` makes (issue 11): a create, an update and a destroy
//! send their writes and the rollout wait's polls and read nothing back when every write
//! answered; a refresh reads the task definition only when the service runs another revision
//! than the state records; the apply asks ECR only where no plan did.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::model::ServiceModel;
use super::{FargateService, answered, schema};
use crate::plugin::model::{conform, from_value};
use crate::plugin::{Applied, CallContext, Known, Private, Resource, Value};
use crate::provider::ClientSlot;
use crate::provider::fake_aws::{Answer, FakeAws, updated};

const URL: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo";
const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/main-svc:1";
const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/main-svc:2";
const SERVICE_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/main/svc";

/// The task definition revision `arn` (number `revision`) that runs `URL:tag`, as ECS answers
/// RegisterTaskDefinition and DescribeTaskDefinition.
fn task_definition(arn: &str, revision: i64, tag: &str) -> serde_json::Value {
    serde_json::json!({
        "taskDefinitionArn": arn, "family": "main-svc", "revision": revision,
        "cpu": "256", "memory": "512", "status": "ACTIVE",
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [{
            "name": "app", "image": format!("{URL}:{tag}"), "essential": true,
            "environment": [{"name": "MODE", "value": "prod"}],
        }],
    })
}

/// The service as ECS reports it, running `td` with `desired` tasks, its rollout complete.
fn service(td: &str, desired: i32) -> serde_json::Value {
    serde_json::json!({
        "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
        "desiredCount": desired, "runningCount": desired, "taskDefinition": td,
        "launchType": "FARGATE", "platformVersion": "LATEST",
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-0123456789abcdef0"], "assignPublicIp": "DISABLED"}},
        "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
        "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": td,
            "rolloutState": "COMPLETED"}],
        "tags": [{"key": "team", "value": "web"}],
    })
}

/// A fake ECS/ECR whose service runs revision 1 (tag v1) and where registering gives revision 2
/// (tag v2); every call a service makes is answered.
async fn fake_ecs() -> (FakeAws, FargateService) {
    let fake = FakeAws::default();
    let answers = [
        (
            "RegisterTaskDefinition",
            serde_json::json!({"taskDefinition": task_definition(TD2, 2, "v2")}),
        ),
        (
            "DescribeTaskDefinition",
            serde_json::json!({"taskDefinition": task_definition(TD1, 1, "v1")}),
        ),
        (
            "CreateService",
            serde_json::json!({"service": service(TD2, 1)}),
        ),
        (
            "UpdateService",
            serde_json::json!({"service": service(TD2, 1)}),
        ),
        (
            "DescribeServices",
            serde_json::json!({"services": [service(TD1, 1)], "failures": []}),
        ),
        (
            "DeregisterTaskDefinition",
            serde_json::json!({"taskDefinition": {"taskDefinitionArn": TD2}}),
        ),
    ];
    for (operation, body) in answers {
        fake.answer(operation, Answer::ok(body));
    }
    let clients = fake.start().await.unwrap_or_else(|e| panic!("{e}"));
    (
        fake,
        FargateService::new(Arc::new(ClientSlot::ready(clients))),
    )
}

fn operations(fake: &FakeAws) -> Vec<String> {
    fake.calls().into_iter().map(|c| c.operation).collect()
}

/// A service value with the schema's shape: `attributes` over nulls.
fn value(attributes: &[(&str, Value)]) -> Value {
    let object = attributes
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect::<crate::plugin::Attributes>();
    conform(Value::Object(object), &schema::schema().value_type())
}

fn strings(items: &[&str]) -> Value {
    Value::Set(items.iter().map(|s| Value::from(*s)).collect())
}

fn tags_map() -> Value {
    Value::Map(BTreeMap::from([("team".to_owned(), Value::from("web"))]))
}

/// What a plan holds for a service running `URL:tag` with `MODE=prod` and `team = web`,
/// before it exists (`created` false: its computed attributes unknown) or as recorded.
fn config(tag: &str, wait: bool) -> Vec<(&'static str, Value)> {
    vec![
        ("name", Value::from("svc")),
        ("cluster", Value::from("main")),
        ("family", Value::from("main-svc")),
        ("repository_url", Value::from(URL)),
        ("image_tag", Value::from(tag)),
        ("image", Value::from(format!("{URL}:{tag}"))),
        ("pin_digest", Value::Bool(false)),
        ("container_name", Value::from("app")),
        ("cpu", Value::from(256)),
        ("memory", Value::from(512)),
        ("cpu_architecture", Value::from("X86_64")),
        (
            "environment",
            Value::Map(BTreeMap::from([("MODE".to_owned(), Value::from("prod"))])),
        ),
        ("desired_count", Value::from(1)),
        ("subnets", strings(&["subnet-0123456789abcdef0"])),
        ("assign_public_ip", Value::Bool(false)),
        ("deployment_minimum_healthy_percent", Value::from(100)),
        ("deployment_maximum_percent", Value::from(200)),
        ("enable_execute_command", Value::Bool(false)),
        ("platform_version", Value::from("LATEST")),
        ("wait_for_steady_state", Value::Bool(wait)),
        ("tags", tags_map()),
        ("tags_all", tags_map()),
    ]
}

/// The plan of a new service.
fn planned_create(wait: bool) -> Value {
    let mut attributes = config("v2", wait);
    for computed in [
        "id",
        "arn",
        "task_definition_arn",
        "task_definition_revision",
    ] {
        attributes.push((computed, Value::unknown()));
    }
    value(&attributes)
}

/// The state of the service running revision `td` (number `revision`) with `URL:tag`.
fn recorded(tag: &str, td: &str, revision: i64, wait: bool) -> Value {
    let mut attributes = config(tag, wait);
    attributes.extend([
        ("id", Value::from(SERVICE_ARN)),
        ("arn", Value::from(SERVICE_ARN)),
        ("task_definition_arn", Value::from(td)),
        ("task_definition_revision", Value::from(revision)),
    ]);
    value(&attributes)
}

fn model(value: &Value) -> ServiceModel {
    from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn state(applied: &Applied) -> ServiceModel {
    assert!(
        !applied.diagnostics.has_errors(),
        "{:?}",
        applied.diagnostics
    );
    model(applied.state.as_ref().unwrap_or_else(|| panic!("no state")))
}

#[tokio::test]
async fn a_create_sends_its_writes_and_the_rollout_poll_and_reads_nothing_back() {
    let (fake, resource) = fake_ecs().await;
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [service(TD2, 1)], "failures": []})),
    );
    let applied = resource
        .create(&planned_create(true), &CallContext::default())
        .await;
    let state = state(&applied);
    // The plan Terraform made during apply checked the tag: no DescribeImages here.
    assert_eq!(
        operations(&fake),
        [
            "RegisterTaskDefinition",
            "CreateService",
            "DescribeServices"
        ]
    );
    assert_eq!(state, model(&recorded("v2", TD2, 2, true)));
    // The next refresh trusts what RegisterTaskDefinition answered.
    let private = applied.private.unwrap_or_default();
    assert!(answered::ReadRevision::recorded(&private, TD2));
}

#[tokio::test]
async fn a_create_without_the_wait_records_create_services_answer() {
    let (fake, resource) = fake_ecs().await;
    let applied = resource
        .create(&planned_create(false), &CallContext::default())
        .await;
    let state = state(&applied);
    assert_eq!(
        operations(&fake),
        ["RegisterTaskDefinition", "CreateService"]
    );
    assert_eq!(state, model(&recorded("v2", TD2, 2, false)));
}

/// The private state of a service whose task definition attributes this build read from `td`.
fn read_from(td: &str) -> Private {
    let mut private = Private::default();
    answered::ReadRevision::record(td, &mut private);
    Private::from_bytes(&private.to_bytes())
}

#[tokio::test]
async fn a_refresh_of_the_recorded_revision_is_one_call_and_still_sees_drift() {
    let (fake, resource) = fake_ecs().await;
    let prior = recorded("v1", TD1, 1, true);
    let mut private = read_from(TD1);
    let refreshed = resource
        .read(&prior, &mut private, &CallContext::default())
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(operations(&fake), ["DescribeServices"]);
    assert_eq!(refreshed.as_ref().map(model), Some(model(&prior)));

    // Scaled outside Terraform: the service's own attributes come from DescribeServices.
    let (fake, resource) = fake_ecs().await;
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [service(TD1, 3)], "failures": []})),
    );
    let refreshed = resource
        .read(&prior, &mut private, &CallContext::default())
        .await
        .unwrap_or_else(|d| panic!("{d:?}"))
        .map(|state| model(&state));
    assert_eq!(operations(&fake), ["DescribeServices"]);
    assert_eq!(refreshed.and_then(|s| s.desired_count), Some(3));
}

#[tokio::test]
async fn a_refresh_of_another_revision_reads_its_task_definition() {
    // The state records revision 2, but someone deployed revision 1 (tag v1) outside Terraform.
    let (fake, resource) = fake_ecs().await;
    let prior = recorded("v2", TD2, 2, true);
    let refreshed = resource
        .read(&prior, &mut Private::default(), &CallContext::default())
        .await
        .unwrap_or_else(|d| panic!("{d:?}"))
        .map(|state| model(&state));
    assert_eq!(
        operations(&fake),
        ["DescribeServices", "DescribeTaskDefinition"]
    );
    let refreshed = refreshed.unwrap_or_else(|| panic!("gone"));
    assert_eq!(refreshed.image_tag, "v1");
    assert_eq!(refreshed.task_definition_arn, Known::Value(TD1.to_owned()));
}

#[tokio::test]
async fn the_recorded_revision_reads_the_same_as_its_task_definition() {
    // What a refresh that skips DescribeTaskDefinition records is what one that makes it does.
    let prior = recorded("v1", TD1, 1, true);
    let read = |mut private: Private| {
        let prior = prior.clone();
        async move {
            let (fake, resource) = fake_ecs().await;
            let refreshed = resource
                .read(&prior, &mut private, &CallContext::default())
                .await
                .unwrap_or_else(|d| panic!("{d:?}"))
                .map(|state| model(&state));
            (refreshed, operations(&fake).len(), private)
        }
    };
    let (skipped, calls, _) = read(read_from(TD1)).await;
    assert_eq!(calls, 1);
    // Written by another build (or before the record existed): the revision is read, and
    // recorded, so the next refresh is one call again.
    let (described, calls, private) = read(Private::default()).await;
    assert_eq!(calls, 2);
    assert_eq!(described, Some(model(&prior)), "the fixture is consistent");
    assert_eq!(skipped, described);
    assert!(answered::ReadRevision::recorded(&private, TD1));
    let (_, calls, _) = read(private).await;
    assert_eq!(calls, 1);
    let mut other_build = Private::default();
    let stale = serde_json::json!({"task_definition_arn": TD1, "build": "0.0.0-0"});
    other_build
        .set("read_revision", &stale)
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, calls, _) = read(other_build).await;
    assert_eq!(calls, 2);
}

#[tokio::test]
async fn an_update_to_a_new_tag_registers_updates_and_polls_only() {
    let (fake, resource) = fake_ecs().await;
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [service(TD2, 1)], "failures": []})),
    );
    let prior = recorded("v1", TD1, 1, true);
    let mut planned = config("v2", true);
    planned.extend([
        ("id", Value::from(SERVICE_ARN)),
        ("arn", Value::from(SERVICE_ARN)),
        ("task_definition_arn", Value::unknown()),
        ("task_definition_revision", Value::unknown()),
    ]);
    let applied = updated(&resource, &prior, &value(&planned)).await;
    let state = state(&applied);
    // The tag was checked by the plan; the tags did not change: no DescribeImages, no
    // DescribeServices for the tags, no read-back.
    assert_eq!(
        operations(&fake),
        [
            "RegisterTaskDefinition",
            "UpdateService",
            "DescribeServices"
        ]
    );
    assert_eq!(state, model(&recorded("v2", TD2, 2, true)));
}

#[tokio::test]
async fn a_scale_change_keeps_the_recorded_revision_without_reading_it() {
    let (fake, resource) = fake_ecs().await;
    fake.answer(
        "UpdateService",
        Answer::ok(serde_json::json!({"service": service(TD1, 2)})),
    );
    let prior = recorded("v1", TD1, 1, false);
    let mut planned = config("v1", false);
    planned.retain(|(name, _)| *name != "desired_count");
    planned.extend([
        ("desired_count", Value::from(2)),
        ("id", Value::from(SERVICE_ARN)),
        ("arn", Value::from(SERVICE_ARN)),
        ("task_definition_arn", Value::from(TD1)),
        ("task_definition_revision", Value::from(1)),
    ]);
    let planned = value(&planned);
    let applied = updated(&resource, &prior, &planned).await;
    let state = state(&applied);
    assert_eq!(operations(&fake), ["UpdateService"]);
    assert_eq!(state, model(&planned));
}

#[tokio::test]
async fn a_destroy_deletes_with_force_and_waits_only_while_ecs_drains() {
    let inactive = || {
        let mut gone = service(TD1, 0);
        gone["status"] = serde_json::json!("INACTIVE");
        gone
    };
    // DeleteService answers INACTIVE: deleted; nothing to wait for.
    let (fake, resource) = fake_ecs().await;
    fake.answer(
        "DeleteService",
        Answer::ok(serde_json::json!({"service": inactive()})),
    );
    let prior = recorded("v1", TD1, 1, true);
    let diagnostics = resource
        .delete(&prior, &Private::default(), &CallContext::default())
        .await;
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    assert_eq!(
        operations(&fake),
        ["DeleteService", "DeregisterTaskDefinition"]
    );
    let delete = &fake.calls()[0];
    assert_eq!(delete.input["force"], serde_json::json!(true));

    // DRAINING: the deletion wait polls until ECS reports it INACTIVE.
    let (fake, resource) = fake_ecs().await;
    let mut draining = service(TD1, 0);
    draining["status"] = serde_json::json!("DRAINING");
    fake.answer(
        "DeleteService",
        Answer::ok(serde_json::json!({"service": draining})),
    );
    fake.answer(
        "DescribeServices",
        Answer::ok(serde_json::json!({"services": [inactive()], "failures": []})),
    );
    let diagnostics = resource
        .delete(&prior, &Private::default(), &CallContext::default())
        .await;
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    assert_eq!(
        operations(&fake),
        [
            "DeleteService",
            "DeregisterTaskDefinition",
            "DescribeServices"
        ]
    );
}
