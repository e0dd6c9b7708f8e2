//! Unit tests of `todo_fargate_service_redeploy` against a scripted fake ECS: the progress it
//! reports, a rollout the circuit breaker stops, throttling polled through, the wait's end by
//! time-out, StopProvider or a newer deployment, and the configuration checks.

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::plugin::diag::Severity;
use crate::plugin::model::conform;
use crate::plugin::validator::validate_block;
use crate::provider::fake_aws::{Answer, FakeAws};

const TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/main-svc:3";
const SERVICE_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/main/svc";
const NEW: &str = "ecs-svc/2222";
const OLD: &str = "ecs-svc/1111";

/// A deployment as ECS reports it.
fn deployment(id: &str, status: &str, rollout: &str, running: i32) -> serde_json::Value {
    json!({
        "id": id, "status": status, "taskDefinition": TD, "desiredCount": 2,
        "runningCount": running, "pendingCount": 2 - running, "failedTasks": 0,
        "rolloutState": rollout, "rolloutStateReason": "",
    })
}

/// The service `svc` with `deployments`, as ECS describes it.
fn service(deployments: Vec<serde_json::Value>) -> serde_json::Value {
    json!({
        "serviceArn": SERVICE_ARN, "serviceName": "svc", "status": "ACTIVE",
        "desiredCount": 2, "runningCount": 2, "taskDefinition": TD,
        "deployments": deployments,
    })
}

fn described(deployments: Vec<serde_json::Value>) -> Answer {
    Answer::ok(json!({"services": [service(deployments)], "failures": []}))
}

/// ECS's answer while deployment NEW rolls out with `running` of its 2 tasks, beside OLD.
fn rolling(running: i32) -> Answer {
    described(vec![
        deployment(NEW, "PRIMARY", "IN_PROGRESS", running),
        deployment(OLD, "ACTIVE", "COMPLETED", 2),
    ])
}

/// A fake ECS where UpdateService starts deployment NEW (IN_PROGRESS, no task running) beside
/// the completed OLD one.
fn fake() -> FakeAws {
    let fake = FakeAws::default();
    let started = service(vec![
        deployment(NEW, "PRIMARY", "IN_PROGRESS", 0),
        deployment(OLD, "ACTIVE", "COMPLETED", 2),
    ]);
    fake.answer("UpdateService", Answer::ok(json!({ "service": started })));
    fake
}

/// The action on `fake`'s endpoint, polling every few milliseconds.
async fn action(fake: &FakeAws) -> FargateServiceRedeploy {
    let clients = fake.start().await.expect("fake endpoint");
    FargateServiceRedeploy {
        clients: Arc::new(ClientSlot::ready(clients)),
        delays: Some((Duration::from_millis(2), Duration::from_millis(10))),
    }
}

/// A configuration of cluster `main`, service `svc` and the given wait settings.
fn config(wait: Option<bool>, timeout: Option<&str>) -> Value {
    let object = Value::Object(crate::plugin::Attributes::from([
        ("cluster".to_owned(), Value::from("main")),
        ("service".to_owned(), Value::from("svc")),
        (
            "wait_for_steady_state".to_owned(),
            wait.map_or(Value::Null, Value::Bool),
        ),
        (
            "timeout".to_owned(),
            timeout.map_or(Value::Null, Value::from),
        ),
    ]));
    conform(object, &schema().value_type())
}

/// Runs the action to its end; its diagnostics and every progress message it sent.
async fn invoke(
    action: &FargateServiceRedeploy,
    config: &Value,
    ctx: &CallContext,
) -> (Diagnostics, Vec<String>) {
    let (progress, mut messages) = Progress::channel();
    let diagnostics = tokio::time::timeout(
        Duration::from_secs(20),
        action.invoke(config, &progress, ctx),
    )
    .await
    .expect("the invocation ends");
    let mut sent = Vec::new();
    while let Ok(message) = messages.try_recv() {
        sent.push(message);
    }
    (diagnostics, sent)
}

fn text(diagnostics: &Diagnostics) -> String {
    diagnostics.iter().map(ToString::to_string).collect()
}

fn operations(fake: &FakeAws) -> Vec<String> {
    fake.calls().into_iter().map(|c| c.operation).collect()
}

#[tokio::test]
async fn progress_reports_each_change_of_the_deployment_until_it_completes() {
    let fake = fake();
    fake.queue(
        "DescribeServices",
        vec![
            rolling(0),
            // The same again: no new message.
            rolling(0),
            rolling(1),
        ],
    );
    fake.answer(
        "DescribeServices",
        described(vec![deployment(NEW, "PRIMARY", "COMPLETED", 2)]),
    );
    let action = action(&fake).await;
    let (diagnostics, progress) =
        invoke(&action, &config(None, None), &CallContext::default()).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(
        progress,
        [
            format!(
                "Started deployment {NEW} of \"svc\" in cluster \"main\": task definition \
                 main-svc:3, 2 desired tasks"
            ),
            format!("Deployment {NEW}: 0 of 2 tasks running, 2 pending, rollout IN_PROGRESS"),
            format!("Deployment {NEW}: 1 of 2 tasks running, 1 pending, rollout IN_PROGRESS"),
            format!("Deployment {NEW} completed: 2 of 2 tasks running, rollout COMPLETED"),
        ]
    );
    let update = &fake.calls()[0];
    assert_eq!(update.operation, "UpdateService");
    assert_eq!(update.input["forceNewDeployment"], true);
    assert_eq!(update.input["cluster"], "main");
    assert_eq!(update.input["service"], "svc");
    assert!(
        update.input.get("taskDefinition").is_none(),
        "the running task definition: {}",
        update.input
    );
    assert_eq!(
        operations(&fake)[1..],
        ["DescribeServices"; 4],
        "polled until COMPLETED"
    );
}

#[tokio::test]
async fn a_rollout_the_circuit_breaker_stops_fails_quoting_the_reason() {
    let fake = fake();
    let reason = "ECS deployment circuit breaker was triggered after 3 consecutive task failures.";
    let mut failed = deployment(NEW, "ACTIVE", "FAILED", 0);
    failed["rolloutStateReason"] = json!(reason);
    // With rollback, the last completed deployment is PRIMARY again.
    fake.answer(
        "DescribeServices",
        described(vec![deployment(OLD, "PRIMARY", "IN_PROGRESS", 2), failed]),
    );
    let action = action(&fake).await;
    let (diagnostics, progress) =
        invoke(&action, &config(None, None), &CallContext::default()).await;
    assert!(diagnostics.has_errors());
    let diagnostic = diagnostics.iter().next().expect("one diagnostic");
    assert_eq!(diagnostic.summary, "Deployment failed");
    assert!(diagnostic.detail.contains(reason), "{diagnostic}");
    assert!(
        diagnostic.detail.contains(NEW),
        "names the deployment: {diagnostic}"
    );
    assert_eq!(progress.len(), 1, "no completion reported: {progress:?}");
}

#[tokio::test]
async fn throttling_and_server_errors_are_polled_through() {
    let fake = fake();
    fake.queue(
        "DescribeServices",
        vec![
            Answer::throttled(),
            Answer::server_error(),
            Answer::throttled(),
        ],
    );
    fake.answer(
        "DescribeServices",
        described(vec![deployment(NEW, "PRIMARY", "COMPLETED", 2)]),
    );
    let action = action(&fake).await;
    let (diagnostics, progress) =
        invoke(&action, &config(None, None), &CallContext::default()).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(operations(&fake)[1..], ["DescribeServices"; 4]);
    assert!(
        progress.last().is_some_and(|m| m.contains("completed")),
        "{progress:?}"
    );
}

#[tokio::test]
async fn a_final_error_ends_the_wait() {
    let fake = fake();
    fake.answer(
        "DescribeServices",
        Answer::error("AccessDeniedException", "not allowed to describe"),
    );
    let action = action(&fake).await;
    let (diagnostics, _) = invoke(&action, &config(None, None), &CallContext::default()).await;
    let text = text(&diagnostics);
    assert!(text.contains("Cannot watch the deployment"), "{text}");
    assert!(text.contains("AccessDeniedException"), "{text}");
    assert_eq!(operations(&fake).len(), 2, "no retry of a final error");
}

#[tokio::test]
async fn without_waiting_the_action_ends_once_the_deployment_started() {
    let fake = fake();
    let action = action(&fake).await;
    let (diagnostics, progress) =
        invoke(&action, &config(Some(false), None), &CallContext::default()).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(operations(&fake), ["UpdateService"]);
    assert_eq!(progress.len(), 2, "{progress:?}");
    assert!(progress[1].contains("Not waiting"), "{progress:?}");
}

#[tokio::test]
async fn a_missing_service_or_cluster_is_an_error_at_its_attribute() {
    for (code, attribute) in [
        ("ServiceNotFoundException", "service"),
        ("ClusterNotFoundException", "cluster"),
    ] {
        let fake = FakeAws::default();
        fake.answer("UpdateService", Answer::error(code, "Not found."));
        let action = action(&fake).await;
        let (diagnostics, progress) =
            invoke(&action, &config(None, None), &CallContext::default()).await;
        let diagnostic = diagnostics.iter().next().expect("an error");
        assert_eq!(diagnostic.severity, Severity::Error);
        assert_eq!(diagnostic.summary, "Cannot start a new deployment");
        assert_eq!(diagnostic.path, Some(AttributePath::root(attribute)));
        assert!(diagnostic.detail.contains(code), "{diagnostic}");
        assert!(
            diagnostic.detail.contains("Not found. ECS has no"),
            "one full stop: {diagnostic}"
        );
        assert!(progress.is_empty());
    }
}

#[tokio::test]
async fn a_deployment_replaced_before_it_completed_fails() {
    let fake = fake();
    fake.answer(
        "DescribeServices",
        described(vec![deployment(
            "ecs-svc/3333",
            "PRIMARY",
            "IN_PROGRESS",
            0,
        )]),
    );
    let action = action(&fake).await;
    let (diagnostics, _) = invoke(&action, &config(None, None), &CallContext::default()).await;
    let text = text(&diagnostics);
    assert!(text.contains("Deployment replaced"), "{text}");
}

#[tokio::test]
async fn the_wait_ends_at_the_timeout_with_what_it_saw_last() {
    let fake = fake();
    fake.answer("DescribeServices", rolling(1));
    let action = action(&fake).await;
    let (diagnostics, _) =
        invoke(&action, &config(None, Some("1s")), &CallContext::default()).await;
    let diagnostic = diagnostics.iter().next().expect("an error");
    assert_eq!(diagnostic.summary, "Timed out waiting for the deployment");
    assert_eq!(diagnostic.path, Some(AttributePath::root("timeout")));
    assert!(
        diagnostic.detail.contains("1 of 2 tasks running"),
        "{diagnostic}"
    );
}

#[tokio::test]
async fn stop_provider_cancels_the_wait() {
    let fake = fake();
    fake.answer("DescribeServices", rolling(0));
    let action = action(&fake).await;
    let token = CancellationToken::new();
    let ctx = CallContext::new(token.clone());
    let stop = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        token.cancel();
    });
    let (diagnostics, progress) = invoke(&action, &config(None, None), &ctx).await;
    stop.await.expect("the stop task");
    assert_eq!(text(&diagnostics), text(&stopped_diagnostic().into()));
    assert!(
        progress[0].starts_with("Started deployment"),
        "{progress:?}"
    );
}

#[test]
fn the_followed_deployment_decides_the_state() {
    let parse = |deployments: Vec<serde_json::Value>| {
        // The SDK's own shapes, built from the JSON ECS sends.
        let mut service = Service::builder().service_name("svc").status("ACTIVE");
        for d in deployments {
            let mut deployment = Deployment::builder()
                .id(d["id"].as_str().unwrap_or_default())
                .status(d["status"].as_str().unwrap_or_default())
                .running_count(1)
                .desired_count(1);
            if let Some(rollout) = d["rolloutState"].as_str() {
                deployment = deployment.rollout_state(DeploymentRolloutState::from(rollout));
            }
            service = service.deployments(deployment.build());
        }
        service.build()
    };
    let state = |service: &Service| deployment_state(Some(service), NEW).0;
    let only = |status, rollout: Option<&str>| {
        let mut d = json!({"id": NEW, "status": status});
        if let Some(rollout) = rollout {
            d["rolloutState"] = json!(rollout);
        }
        parse(vec![d])
    };
    assert_eq!(
        state(&only("PRIMARY", Some("COMPLETED"))),
        DeploymentState::Completed
    );
    assert_eq!(
        state(&only("PRIMARY", Some("IN_PROGRESS"))),
        DeploymentState::InProgress
    );
    assert_eq!(
        state(&only("ACTIVE", Some("IN_PROGRESS"))),
        DeploymentState::Replaced,
        "a newer deployment is PRIMARY"
    );
    assert_eq!(
        state(&only("ACTIVE", Some("FAILED"))),
        DeploymentState::Failed("no reason given".into())
    );
    assert_eq!(
        state(&only("PRIMARY", None)),
        DeploymentState::Completed,
        "no rollout state: the only deployment runs every task"
    );
    assert_eq!(deployment_state(None, NEW).0, DeploymentState::ServiceGone);
}

#[tokio::test]
async fn a_timeout_without_a_wait_is_a_warning_and_the_attributes_are_checked() {
    let action = FargateServiceRedeploy::new(Arc::new(ClientSlot::default()));
    let warned = action.validate(&config(Some(false), Some("5m"))).await;
    let warning = warned.iter().next().expect("a warning");
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.path, Some(AttributePath::root("timeout")));
    assert!(action.validate(&config(None, Some("5m"))).await.is_empty());
    let mut unknown = config(Some(false), None);
    if let Value::Object(attributes) = &mut unknown {
        attributes.insert("timeout".into(), Value::unknown());
    }
    assert!(
        action.validate(&unknown).await.is_empty(),
        "unknown: no warning yet"
    );

    let schema = schema();
    let mut bad = config(None, Some("forever"));
    if let Value::Object(attributes) = &mut bad {
        attributes.insert("cluster".into(), Value::from("a/b"));
        attributes.insert("service".into(), Value::from("my service"));
    }
    let errors = validate_block(&schema.block, &bad, &AttributePath::default());
    let paths: Vec<String> = errors
        .iter()
        .filter_map(|d| d.path.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(paths, ["cluster", "service", "timeout"]);
    assert!(
        validate_block(
            &schema.block,
            &config(None, None),
            &AttributePath::default()
        )
        .is_empty()
    );
}

#[test]
fn the_documented_default_timeout_is_the_one_used() {
    assert_eq!(parse_duration(DEFAULT_TIMEOUT_TEXT), Some(DEFAULT_TIMEOUT));
    let model: RedeployModel = from_value(&config(None, None)).expect("model");
    assert_eq!(model.timeout(), DEFAULT_TIMEOUT);
    let model: RedeployModel = from_value(&config(None, Some("90s"))).expect("model");
    assert_eq!(model.timeout(), Duration::from_secs(90));
}
