//! Tests of the action RPCs against a test action whose behaviour the configuration's `name`
//! steers: listing, validation, planning with unknown values, progress streamed in order and
//! ended by one Completed event, a panic turned into a diagnostic, and cancellation by
//! StopProvider or by Terraform closing the stream.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use super::super::super::diag::AttributePath;
use super::super::super::resource::{DataSource, Provider, Resource, stopped_diagnostic};
use super::super::super::schema::{Attribute, Block, Schema};
use super::super::super::validator::Validator;
use super::super::super::value::{self, Type};
use super::super::{ProviderRpc, path_to_proto};
use super::*;

/// A provider with one action, `test_echo`.
struct ActionProvider {
    echo: Arc<Echo>,
}

/// `test_echo`: `name` says what an invocation does. `cancelled` hears when a waiting
/// invocation saw its context cancelled.
struct Echo {
    cancelled: mpsc::UnboundedSender<()>,
}

fn echo_schema() -> Schema {
    Schema::new(
        Block::new("Echoes.").attribute(
            Attribute::required("name", Type::String).validate(Validator::Length(1, 10)),
        ),
    )
}

#[async_trait]
impl Provider for ActionProvider {
    fn schema(&self) -> Schema {
        Schema::new(Block::new("provider"))
    }
    async fn configure(&self, _config: &Value, _version: &str) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        vec![self.echo.clone()]
    }
}

#[async_trait]
impl Action for Echo {
    fn type_name(&self) -> &'static str {
        "test_echo"
    }
    fn schema(&self) -> Schema {
        echo_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        match config.attr("name").and_then(Value::as_str) {
            Some("reserved") => Diagnostic::error("Reserved", "name is reserved").into(),
            _ => Diagnostics::new(),
        }
    }
    async fn plan(&self, config: &Value, _ctx: &CallContext) -> Diagnostics {
        match config.attr("name") {
            Some(name) if name.is_unknown() => {
                Diagnostic::warning("Unknown name", "known at apply").into()
            }
            _ => Diagnostics::new(),
        }
    }
    async fn invoke(&self, config: &Value, progress: &Progress, ctx: &CallContext) -> Diagnostics {
        match config
            .attr("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "steps" => {
                for step in 1..=3 {
                    progress.send(format!("step {step}"));
                    tokio::task::yield_now().await;
                }
                Diagnostic::warning("Done", "three steps").into()
            }
            "panic" => {
                progress.send("about to fail");
                panic!("the action exploded");
            }
            "wait" => {
                progress.send("waiting");
                ctx.cancelled().await;
                let _ = self.cancelled.send(());
                stopped_diagnostic().into()
            }
            other => Diagnostic::error("Failed", format!("cannot {other}")).into(),
        }
    }
}

/// The service, and the receiver of the action's cancellation notices.
fn service() -> (ProviderService, mpsc::UnboundedReceiver<()>) {
    let (cancelled, notices) = mpsc::unbounded_channel();
    let provider = ActionProvider {
        echo: Arc::new(Echo { cancelled }),
    };
    (ProviderService::new(Arc::new(provider)), notices)
}

fn config(name: Value) -> Option<pb::DynamicValue> {
    let object = Value::Object(crate::plugin::Attributes::from([("name".to_owned(), name)]));
    let msgpack = value::encode_msgpack(&object, &echo_schema().value_type()).expect("encode");
    Some(pb::DynamicValue {
        msgpack,
        json: vec![],
    })
}

async fn answer<R>(call: impl Future<Output = Result<Response<R>, Status>>) -> R {
    call.await.expect("a response").into_inner()
}

fn invoke_request(action_type: &str, name: &str) -> Request<pb::invoke_action::Request> {
    Request::new(pb::invoke_action::Request {
        action_type: action_type.into(),
        config: config(Value::from(name)),
        client_capabilities: None,
    })
}

/// One event, as a test reads it.
#[derive(Debug, PartialEq)]
enum Seen {
    Progress(String),
    /// The diagnostics' summaries.
    Completed(Vec<String>),
}

fn seen(event: Result<pb::invoke_action::Event, Status>) -> Seen {
    use pb::invoke_action::event::Type;
    match event.expect("an event, not a broken stream").r#type {
        Some(Type::Progress(p)) => Seen::Progress(p.message),
        Some(Type::Completed(c)) => {
            Seen::Completed(c.diagnostics.into_iter().map(|d| d.summary).collect())
        }
        None => panic!("an event without a type"),
    }
}

/// Every event of an invocation, until the stream ends (bounded).
async fn invoke_all(service: &ProviderService, action_type: &str, name: &str) -> Vec<Seen> {
    let stream = answer(service.invoke_action(invoke_request(action_type, name))).await;
    let events = tokio::time::timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends");
    events.into_iter().map(seen).collect()
}

#[tokio::test]
async fn metadata_and_schema_list_the_action() {
    let (service, _) = service();
    let metadata = answer(service.get_metadata(Request::new(Default::default()))).await;
    let names: Vec<&str> = metadata
        .actions
        .iter()
        .map(|a| a.type_name.as_str())
        .collect();
    assert_eq!(names, ["test_echo"]);
    let schema = answer(service.get_provider_schema(Request::new(Default::default()))).await;
    let action = schema.action_schemas["test_echo"]
        .schema
        .as_ref()
        .expect("a schema");
    let block = action.block.as_ref().expect("a block");
    assert_eq!(block.attributes[0].name, "name");
    assert!(block.attributes[0].required);
}

#[tokio::test]
async fn validation_runs_the_validators_then_the_action() {
    let (service, _) = service();
    let validate = |name: &str| {
        Request::new(pb::validate_action_config::Request {
            type_name: "test_echo".into(),
            config: config(Value::from(name)),
        })
    };
    let ok = answer(service.validate_action_config(validate("fine"))).await;
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let long = answer(service.validate_action_config(validate("far-too-long-a-name"))).await;
    assert_eq!(long.diagnostics.len(), 1, "{:?}", long.diagnostics);
    let path = long.diagnostics[0].attribute.as_ref().expect("a path");
    assert_eq!(path_to_proto(&AttributePath::root("name")), *path);
    let reserved = answer(service.validate_action_config(validate("reserved"))).await;
    assert_eq!(reserved.diagnostics[0].summary, "Reserved");

    let unknown_type = Request::new(pb::validate_action_config::Request {
        type_name: "test_nothing".into(),
        config: config(Value::from("x")),
    });
    let unknown = answer(service.validate_action_config(unknown_type)).await;
    assert_eq!(unknown.diagnostics[0].summary, "Unknown action type");
}

#[tokio::test]
async fn plans_accept_unknown_values_check_known_ones_and_never_defer() {
    let (service, _) = service();
    let plan = |name: Value| {
        Request::new(pb::plan_action::Request {
            action_type: "test_echo".into(),
            config: config(name),
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed: true,
                write_only_attributes_allowed: false,
            }),
        })
    };
    let unknown = answer(service.plan_action(plan(Value::unknown()))).await;
    assert!(unknown.deferred.is_none());
    let summaries: Vec<&str> = unknown
        .diagnostics
        .iter()
        .map(|d| d.summary.as_str())
        .collect();
    assert_eq!(summaries, ["Unknown name"], "the action's plan ran");
    let known = answer(service.plan_action(plan(Value::from("ok")))).await;
    assert!(known.diagnostics.is_empty() && known.deferred.is_none());
    // A value unknown at validate is checked once the plan knows it.
    let invalid = answer(service.plan_action(plan(Value::from("far-too-long-a-name")))).await;
    assert_eq!(invalid.diagnostics.len(), 1);
    assert_eq!(
        invalid.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );
}

#[tokio::test]
async fn progress_is_streamed_in_order_then_one_completed_event() {
    let (service, _) = service();
    let events = invoke_all(&service, "test_echo", "steps").await;
    assert_eq!(
        events,
        [
            Seen::Progress("step 1".into()),
            Seen::Progress("step 2".into()),
            Seen::Progress("step 3".into()),
            Seen::Completed(vec!["Done".into()]),
        ]
    );
    let failed = invoke_all(&service, "test_echo", "fail").await;
    assert_eq!(failed, [Seen::Completed(vec!["Failed".into()])]);
}

#[tokio::test]
async fn progress_arrives_while_the_action_runs() {
    let (service, _) = service();
    let mut stream = answer(service.invoke_action(invoke_request("test_echo", "wait"))).await;
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the first message before the action ends")
        .expect("an event");
    assert_eq!(seen(first), Seen::Progress("waiting".into()));
}

#[tokio::test]
async fn a_panic_becomes_an_error_in_the_completed_event() {
    let (service, _) = service();
    let stream = answer(service.invoke_action(invoke_request("test_echo", "panic"))).await;
    let events: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends");
    assert_eq!(events.len(), 2, "{events:?}");
    let mut events = events.into_iter();
    assert_eq!(
        seen(events.next().expect("progress")),
        Seen::Progress("about to fail".into())
    );
    use pb::invoke_action::event::Type;
    let Some(Type::Completed(completed)) = events.next().expect("completed").expect("ok").r#type
    else {
        panic!("the last event is Completed");
    };
    let diagnostic = &completed.diagnostics[0];
    assert_eq!(diagnostic.severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(diagnostic.summary, "Provider internal error");
    assert!(
        diagnostic.detail.contains("the action exploded"),
        "{diagnostic:?}"
    );

    // The server keeps serving.
    let events = invoke_all(&service, "test_echo", "steps").await;
    assert_eq!(events.len(), 4);
}

#[tokio::test]
async fn stop_provider_cancels_the_invocation() {
    let (service, mut cancelled) = service();
    let mut stream = answer(service.invoke_action(invoke_request("test_echo", "wait"))).await;
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("progress")
        .expect("an event");
    assert_eq!(seen(first), Seen::Progress("waiting".into()));
    let stop = answer(service.stop_provider(Request::new(pb::stop_provider::Request {}))).await;
    assert!(stop.error.is_empty());
    let last = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("cancelled promptly")
        .expect("an event");
    assert_eq!(
        seen(last),
        Seen::Completed(vec!["Operation cancelled".into()])
    );
    assert!(stream.next().await.is_none(), "the stream ends");
    assert!(cancelled.recv().await.is_some());
}

#[tokio::test]
async fn terraform_closing_the_stream_cancels_the_invocation() {
    let (service, mut cancelled) = service();
    let mut stream = answer(service.invoke_action(invoke_request("test_echo", "wait"))).await;
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("progress");
    assert!(first.is_some());
    drop(stream);
    let notice = tokio::time::timeout(Duration::from_secs(5), cancelled.recv())
        .await
        .expect("the action saw the cancellation");
    assert!(notice.is_some());
}

#[tokio::test]
async fn an_unknown_action_type_completes_with_an_error() {
    let (service, _) = service();
    let events = invoke_all(&service, "test_nothing", "x").await;
    assert_eq!(
        events,
        [Seen::Completed(vec!["Unknown action type".into()])]
    );
}
