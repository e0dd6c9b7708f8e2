//! Tests of the `tfplugin6.Provider` service: a panicking handler, StopProvider, planning,
//! reads of vanished objects, state upgrades, unknown types, the metadata of a provider
//! without the protocol 6.10 types, and the health service.

use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::plugin::diag::AttributePath;
use crate::plugin::private::Private;
use crate::plugin::resource::{Applied, Imported, after_create};
use crate::plugin::schema::{Attribute, Block};
use crate::plugin::value::{self, Value};

/// A provider with one resource, `test_thing`, whose behaviour the tests steer by name.
struct TestProvider;

struct Thing;

fn thing_schema() -> Schema {
    Schema::new(
        Block::new("thing")
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("size", Type::Number).default(Value::from(1)))
            .attribute(Attribute::computed("id", Type::String).stable()),
    )
}

#[async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::new(Block::new("provider"))
    }
    async fn configure(&self, _config: &Value, _version: &str) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        if config.attr("name").and_then(Value::as_str) == Some("boom") {
            panic!("validate exploded");
        }
        Diagnostics::new()
    }
    async fn create(&self, planned: &Value, ctx: &CallContext) -> Applied {
        if planned.attr("name").and_then(Value::as_str) == Some("slow") {
            ctx.cancelled().await;
            return Applied::failed(None, super::super::resource::stopped_diagnostic());
        }
        let mut state = planned.clone();
        if let Value::Object(map) = &mut state {
            map.insert("id".into(), Value::from("id-1"));
        }
        let mut private = Private::default();
        let _ = private.set("created_by", &"test");
        let created = Applied::ok(state.clone()).with_private(private.clone());
        // "panic" stands for a provider failing after the remote object exists.
        let panics = planned.attr("name").and_then(Value::as_str) == Some("panic");
        after_create(created, async move {
            if panics {
                panic!("failed after create");
            }
            Applied::ok(state).with_private(private)
        })
        .await
    }
    async fn read(
        &self,
        state: &Value,
        _private: &mut Private,
        _ctx: &CallContext,
    ) -> Result<Option<Value>, Diagnostics> {
        if state.attr("name").and_then(Value::as_str) == Some("gone") {
            return Ok(None);
        }
        Ok(Some(state.clone()))
    }
    async fn update(
        &self,
        _prior: &Value,
        planned: &Value,
        private: &Private,
        _ctx: &CallContext,
    ) -> Applied {
        // Private state comes back as planned: count the updates in it.
        let updates: u32 = private.get("updates").ok().flatten().unwrap_or(0);
        let mut private = private.clone();
        let _ = private.set("updates", &(updates + 1));
        Applied::ok(planned.clone()).with_private(private)
    }
    async fn delete(&self, _prior: &Value, _private: &Private, _ctx: &CallContext) -> Diagnostics {
        Diagnostics::new()
    }
    async fn import(&self, id: &str, _ctx: &CallContext) -> Result<Imported, Diagnostics> {
        let mut private = Private::default();
        let _ = private.set("imported", &true);
        Ok(Imported {
            state: thing(id, Some(1), Some("id-1")),
            private,
        })
    }
}

fn thing(name: &str, size: Option<i64>, id: Option<&str>) -> Value {
    Value::Object(crate::plugin::Attributes::from([
        ("name".to_owned(), Value::from(name)),
        ("size".to_owned(), size.map_or(Value::Null, Value::from)),
        ("id".to_owned(), id.map_or(Value::Null, Value::from)),
    ]))
}

fn dynamic(value: &Value) -> Option<pb::DynamicValue> {
    let msgpack = value::encode_msgpack(value, &thing_schema().value_type()).expect("encode");
    Some(pb::DynamicValue {
        msgpack,
        json: vec![],
    })
}

fn decoded(value: Option<pb::DynamicValue>) -> Value {
    let bytes = value.expect("a value").msgpack;
    value::decode_msgpack(&bytes, &thing_schema().value_type()).expect("decode")
}

pub(super) fn service() -> ProviderService {
    ProviderService::new(Arc::new(TestProvider))
}

/// The answer to one RPC; a transport error fails the test.
async fn answer<R>(call: impl Future<Output = Result<Response<R>, Status>>) -> R {
    call.await
        .expect("a response, not a transport error")
        .into_inner()
}

/// ValidateResourceConfig of a `test_thing` named `name`.
fn validate(name: &str) -> Request<pb::validate_resource_config::Request> {
    Request::new(pb::validate_resource_config::Request {
        type_name: "test_thing".into(),
        config: dynamic(&thing(name, None, None)),
        client_capabilities: None,
    })
}

/// PlanResourceChange of a `test_thing` from `prior` to `proposed`, configured as `config`.
fn plan(
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> Request<pb::plan_resource_change::Request> {
    Request::new(pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dynamic(prior),
        proposed_new_state: dynamic(proposed),
        config: dynamic(config),
        ..Default::default()
    })
}

/// ReadResource of a `type_name` object in state `current`.
fn read(type_name: &str, current: Option<pb::DynamicValue>) -> Request<pb::read_resource::Request> {
    Request::new(pb::read_resource::Request {
        type_name: type_name.into(),
        current_state: current,
        ..Default::default()
    })
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_error_diagnostic() {
    let service = service();
    let response = answer(service.validate_resource_config(validate("boom"))).await;
    assert_eq!(response.diagnostics.len(), 1);
    let diagnostic = &response.diagnostics[0];
    assert_eq!(diagnostic.severity, pb::diagnostic::Severity::Error as i32);
    assert!(
        diagnostic.detail.contains("validate exploded"),
        "{}",
        diagnostic.detail
    );

    // The server keeps serving.
    let response = answer(service.validate_resource_config(validate("fine"))).await;
    assert!(response.diagnostics.is_empty());
}

#[tokio::test]
async fn stop_provider_cancels_work_in_flight_and_keeps_serving() {
    let service = service();
    let apply = {
        let service = service.clone();
        tokio::spawn(async move {
            let request = pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dynamic(&Value::Null),
                planned_state: dynamic(&thing("slow", Some(1), None)),
                ..Default::default()
            };
            answer(service.apply_resource_change(Request::new(request))).await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!apply.is_finished(), "the apply waits until stopped");
    let stop = Request::new(pb::stop_provider::Request {});
    assert!(answer(service.stop_provider(stop)).await.error.is_empty());
    let response = tokio::time::timeout(Duration::from_secs(5), apply)
        .await
        .expect("cancelled promptly")
        .expect("task");
    assert!(
        response
            .diagnostics
            .iter()
            .any(|d| d.summary == "Operation cancelled")
    );
    assert!(
        !service.context().is_cancelled(),
        "later calls get a fresh token"
    );
}

/// ApplyResourceChange of a `test_thing` from `prior` to `planned`, with planned private state.
async fn apply(
    service: &ProviderService,
    prior: &Value,
    planned: &Value,
    planned_private: Vec<u8>,
) -> pb::apply_resource_change::Response {
    let request = pb::apply_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dynamic(prior),
        planned_state: dynamic(planned),
        planned_private,
        ..Default::default()
    };
    answer(service.apply_resource_change(Request::new(request))).await
}

#[tokio::test]
async fn private_state_is_answered_by_create_kept_through_plan_and_passed_to_update() {
    let service = service();
    let created = apply(&service, &Value::Null, &thing("a", Some(1), None), vec![]).await;
    assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
    let private = Private::from_bytes(&created.private);
    assert_eq!(
        private.get::<String>("created_by").unwrap().as_deref(),
        Some("test")
    );

    let state = thing("a", Some(1), Some("id-1"));
    let mut request = plan(
        &state,
        &thing("a", Some(2), Some("id-1")),
        &thing("a", Some(2), None),
    )
    .into_inner();
    request.prior_private = created.private.clone();
    let planned = answer(service.plan_resource_change(Request::new(request))).await;
    assert_eq!(planned.planned_private, created.private);

    let updated = apply(
        &service,
        &state,
        &thing("a", Some(2), Some("id-1")),
        planned.planned_private,
    )
    .await;
    let private = Private::from_bytes(&updated.private);
    assert_eq!(private.get::<u32>("updates").unwrap(), Some(1));
    assert_eq!(
        private.get::<String>("created_by").unwrap().as_deref(),
        Some("test")
    );

    // Destroyed: no object, no private state.
    let destroyed = apply(&service, &state, &Value::Null, updated.private).await;
    assert!(destroyed.private.is_empty());

    let import = Request::new(pb::import_resource_state::Request {
        type_name: "test_thing".into(),
        id: "b".into(),
        ..Default::default()
    });
    let imported = answer(service.import_resource_state(import)).await;
    let private = Private::from_bytes(&imported.imported_resources[0].private);
    assert_eq!(private.get::<bool>("imported").unwrap(), Some(true));
}

#[tokio::test]
async fn a_panic_after_create_still_records_the_object() {
    let service = service();
    let response = apply(
        &service,
        &Value::Null,
        &thing("panic", Some(1), None),
        vec![],
    )
    .await;
    let state = decoded(response.new_state);
    assert_eq!(state.attr("id").and_then(Value::as_str), Some("id-1"));
    assert!(!response.private.is_empty(), "the private state is kept");
    let error = response
        .diagnostics
        .iter()
        .find(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .expect("an error diagnostic");
    assert_eq!(error.summary, "Provider error after create");
    assert!(
        error.detail.contains("failed after create"),
        "{}",
        error.detail
    );
}

#[tokio::test]
async fn plans_fill_defaults_mark_computed_unknown_and_request_replacement() {
    let service = service();
    let create = plan(
        &Value::Null,
        &thing("a", None, None),
        &thing("a", None, None),
    );
    let response = answer(service.plan_resource_change(create)).await;
    let planned = decoded(response.planned_state);
    assert_eq!(planned.attr("size").and_then(Value::as_i64), Some(1));
    assert!(planned.attr("id").is_some_and(Value::is_unknown));
    assert!(response.requires_replace.is_empty());

    let rename = plan(
        &thing("a", Some(1), Some("id-1")),
        &thing("b", Some(1), Some("id-1")),
        &thing("b", None, None),
    );
    let response = answer(service.plan_resource_change(rename)).await;
    assert_eq!(
        response.requires_replace,
        vec![path_to_proto(&AttributePath::root("name"))]
    );
}

#[tokio::test]
async fn a_vanished_object_reads_as_null_state() {
    let service = service();
    let gone = dynamic(&thing("gone", Some(1), Some("id-1")));
    let response = answer(service.read_resource(read("test_thing", gone))).await;
    assert!(response.diagnostics.is_empty());
    assert_eq!(response.new_state.expect("state").msgpack, vec![0xc0]);
}

#[tokio::test]
async fn state_upgrade_drops_removed_attributes() {
    let service = service();
    let request = pb::upgrade_resource_state::Request {
        type_name: "test_thing".into(),
        version: 0,
        raw_state: Some(pb::RawState {
            json: br#"{"name":"a","size":2,"id":"id-1","removed_attribute":true}"#.to_vec(),
            flatmap: Default::default(),
        }),
    };
    let response = answer(service.upgrade_resource_state(Request::new(request))).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(
        decoded(response.upgraded_state),
        thing("a", Some(2), Some("id-1"))
    );
}

#[tokio::test]
async fn unknown_types_are_errors_not_crashes() {
    let service = service();
    let response = answer(service.read_resource(read("test_nothing", None))).await;
    assert_eq!(response.diagnostics.len(), 1);
    assert!(response.diagnostics[0].detail.contains("test_nothing"));
}

#[tokio::test]
async fn health_reports_the_plugin_service_serving() {
    let check = |service: &str| {
        let request = Request::new(HealthCheckRequest {
            service: service.to_owned(),
        });
        async move {
            PluginHealth
                .check(request)
                .await
                .expect("health")
                .into_inner()
                .status
        }
    };
    let serving = health_check_response::ServingStatus::Serving as i32;
    assert_eq!(check("plugin").await, serving);
    assert_eq!(check("").await, serving);
    assert_eq!(
        check("other").await,
        health_check_response::ServingStatus::ServiceUnknown as i32
    );
}

#[tokio::test]
async fn identity_schemas_functions_and_the_new_metadata_are_empty() {
    let service = service();
    let identities =
        answer(service.get_resource_identity_schemas(Request::new(Default::default()))).await;
    assert!(identities.identity_schemas.is_empty());
    assert!(identities.diagnostics.is_empty());
    let functions = answer(service.get_functions(Request::new(Default::default()))).await;
    assert!(functions.functions.is_empty());
    assert!(functions.diagnostics.is_empty());

    let metadata = answer(service.get_metadata(Request::new(Default::default()))).await;
    assert_eq!(
        metadata.resources.len(),
        1,
        "the classic fields are still filled"
    );
    assert!(metadata.functions.is_empty());
    assert!(metadata.ephemeral_resources.is_empty());
    assert!(metadata.list_resources.is_empty());
    assert!(metadata.actions.is_empty());
    let schema = answer(service.get_provider_schema(Request::new(Default::default()))).await;
    assert_eq!(schema.resource_schemas.len(), 1);
    assert!(schema.functions.is_empty());
    assert!(schema.ephemeral_resource_schemas.is_empty());
    assert!(schema.list_resource_schemas.is_empty());
    assert!(schema.action_schemas.is_empty());
}
