//! Tests of the ephemeral resource RPCs through the `tfplugin6.Provider` service: listing,
//! validation (attribute validators and the type's own checks), Open with its result, private
//! data and renewal time, Renew and Close getting the private data back, and configurations or
//! provider settings not known yet.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tonic::Request;

use super::super::{ProviderService, pb};
use crate::plugin::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::plugin::ephemeral::{EphemeralResource, Opened, Renewed};
use crate::plugin::private::Private;
use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
use crate::plugin::resource::{CallContext, DataSource, Provider, Resource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::validator::Validator;
use crate::plugin::value::{self, Type, Value};

/// When the test lease must be renewed: a fixed time, so the answer can be compared.
const RENEW_AT_SECONDS: u64 = 2_000_000_000;

/// A provider with one ephemeral resource, `test_lease`.
struct LeaseProvider {
    lease: Arc<Lease>,
}

/// `test_lease`: opens a lease for a role; the role `later` stands for a lease that cannot be
/// opened during this plan. Close records the lease IDs it got back.
#[derive(Default)]
struct Lease {
    closed: Mutex<Vec<String>>,
    opened: Mutex<u32>,
}

fn lease_schema() -> Schema {
    Schema::new(
        Block::new("A lease.")
            .attribute(
                Attribute::required("role", Type::String)
                    .validate(Validator::OneOf(&["reader", "writer", "nobody", "later"])),
            )
            .attribute(Attribute::computed("lease_id", Type::String))
            .attribute(Attribute::computed("secret", Type::String).sensitive()),
    )
}

#[async_trait]
impl Provider for LeaseProvider {
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
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        vec![self.lease.clone()]
    }
}

#[async_trait]
impl EphemeralResource for Lease {
    fn type_name(&self) -> &'static str {
        "test_lease"
    }
    fn schema(&self) -> Schema {
        lease_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        if config.attr("role").and_then(Value::as_str) == Some("nobody") {
            return Diagnostic::invalid(AttributePath::root("role"), "No lease", "nobody").into();
        }
        Diagnostics::new()
    }
    async fn open(
        &self,
        config: &Value,
        _ctx: &CallContext,
    ) -> Result<Option<Opened>, Diagnostics> {
        *self.opened.lock().unwrap() += 1;
        let role = config.attr("role").and_then(Value::as_str).unwrap_or("");
        if role == "later" {
            return Ok(None);
        }
        let lease_id = format!("lease-{role}");
        let mut private = Private::default();
        private.set("lease_id", &lease_id).unwrap();
        Ok(Some(Opened {
            result: lease_value(role, Value::from(lease_id.as_str()), Value::from("s3cr3t")),
            private,
            renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(RENEW_AT_SECONDS)),
        }))
    }
    async fn renew(&self, private: &Private, _ctx: &CallContext) -> Result<Renewed, Diagnostics> {
        let renewals: u32 = private.get("renewals").unwrap().unwrap_or(0);
        let mut private = private.clone();
        private.set("renewals", &(renewals + 1)).unwrap();
        Ok(Renewed {
            private,
            renew_at: None,
        })
    }
    async fn close(&self, private: &Private, _ctx: &CallContext) -> Diagnostics {
        let lease_id: Option<String> = private.get("lease_id").unwrap();
        self.closed
            .lock()
            .unwrap()
            .push(lease_id.unwrap_or_else(|| "<none>".into()));
        Diagnostics::new()
    }
}

fn lease_value(role: &str, lease_id: Value, secret: Value) -> Value {
    Value::Object(crate::plugin::Attributes::from([
        ("role".to_owned(), Value::from(role)),
        ("lease_id".to_owned(), lease_id),
        ("secret".to_owned(), secret),
    ]))
}

fn config(role: Value) -> Option<pb::DynamicValue> {
    let config = Value::Object(crate::plugin::Attributes::from([
        ("role".to_owned(), role),
        ("lease_id".to_owned(), Value::Null),
        ("secret".to_owned(), Value::Null),
    ]));
    let msgpack = value::encode_msgpack(&config, &lease_schema().value_type()).unwrap();
    Some(pb::DynamicValue {
        msgpack,
        json: vec![],
    })
}

fn decoded(value: Option<pb::DynamicValue>) -> Value {
    let bytes = value.expect("a result").msgpack;
    value::decode_msgpack(&bytes, &lease_schema().value_type()).unwrap()
}

fn service() -> (ProviderService, Arc<Lease>) {
    let lease = Arc::new(Lease::default());
    let provider = LeaseProvider {
        lease: lease.clone(),
    };
    (ProviderService::new(Arc::new(provider)), lease)
}

fn summaries(diagnostics: &[pb::Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.summary.as_str()).collect()
}

fn open_request(role: Value) -> Request<pb::open_ephemeral_resource::Request> {
    Request::new(pb::open_ephemeral_resource::Request {
        type_name: "test_lease".into(),
        config: config(role),
        client_capabilities: None,
    })
}

#[tokio::test]
async fn ephemeral_resources_are_listed_with_their_schemas() {
    let (service, _) = service();
    let metadata = service
        .get_metadata(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = metadata
        .ephemeral_resources
        .iter()
        .map(|e| e.type_name.as_str())
        .collect();
    assert_eq!(names, ["test_lease"]);
    let schema = service
        .get_provider_schema(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let lease = &schema.ephemeral_resource_schemas["test_lease"];
    let block = lease.block.as_ref().unwrap();
    let secret = block
        .attributes
        .iter()
        .find(|a| a.name == "secret")
        .unwrap();
    assert!(secret.sensitive && secret.computed);
}

#[tokio::test]
async fn validation_runs_the_attribute_validators_then_the_type_checks() {
    let (service, _) = service();
    let validate = |role: Value| {
        Request::new(pb::validate_ephemeral_resource_config::Request {
            type_name: "test_lease".into(),
            config: config(role),
        })
    };
    let answer = |request| async {
        service
            .validate_ephemeral_resource_config(request)
            .await
            .unwrap()
            .into_inner()
            .diagnostics
    };
    assert!(answer(validate(Value::from("reader"))).await.is_empty());
    assert!(answer(validate(Value::unknown())).await.is_empty());
    let invalid = answer(validate(Value::from("admin"))).await;
    assert_eq!(summaries(&invalid), ["Invalid role"]);
    assert!(invalid[0].attribute.is_some(), "{invalid:?}");
    assert_eq!(
        summaries(&answer(validate(Value::from("nobody"))).await),
        ["No lease"]
    );
}

#[tokio::test]
async fn open_answers_the_result_private_data_and_renewal_time_that_renew_and_close_get_back() {
    let (service, lease) = service();
    let opened = service
        .open_ephemeral_resource(open_request(Value::from("reader")))
        .await
        .unwrap()
        .into_inner();
    assert!(opened.diagnostics.is_empty(), "{:?}", opened.diagnostics);
    assert!(opened.deferred.is_none());
    assert_eq!(
        decoded(opened.result),
        lease_value("reader", Value::from("lease-reader"), Value::from("s3cr3t"))
    );
    let renew_at = opened.renew_at.expect("a renewal time");
    assert_eq!(
        (renew_at.seconds, renew_at.nanos),
        (RENEW_AT_SECONDS as i64, 0)
    );
    let private = opened.private.expect("private data");

    let renewed = service
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: "test_lease".into(),
            private: Some(private),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(renewed.diagnostics.is_empty());
    assert!(renewed.renew_at.is_none(), "no further renewal");
    let private = Private::from_bytes(renewed.private.as_deref().unwrap());
    assert_eq!(private.get::<u32>("renewals").unwrap(), Some(1));
    assert_eq!(
        private.get::<String>("lease_id").unwrap().as_deref(),
        Some("lease-reader")
    );

    let closed = service
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "test_lease".into(),
            private: Some(private.to_bytes()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(closed.diagnostics.is_empty());
    assert_eq!(*lease.closed.lock().unwrap(), ["lease-reader"]);
}

#[tokio::test]
async fn unknown_configurations_and_unopenable_resources_answer_an_unknown_result() {
    let (service, lease) = service();
    let unknown = service
        .open_ephemeral_resource(open_request(Value::unknown()))
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.diagnostics.is_empty(), "{:?}", unknown.diagnostics);
    let result = decoded(unknown.result);
    assert!(result.attr("role").is_some_and(Value::is_unknown));
    assert!(result.attr("lease_id").is_some_and(Value::is_unknown));
    assert!(result.attr("secret").is_some_and(Value::is_unknown));
    assert_eq!(*lease.opened.lock().unwrap(), 0, "open is not called");

    let later = service
        .open_ephemeral_resource(open_request(Value::from("later")))
        .await
        .unwrap()
        .into_inner();
    assert!(later.diagnostics.is_empty(), "{:?}", later.diagnostics);
    assert_eq!(*lease.opened.lock().unwrap(), 1);
    assert_eq!(
        decoded(later.result),
        lease_value("later", Value::unknown(), Value::unknown())
    );
    assert!(later.private.is_none() && later.renew_at.is_none());
}

#[tokio::test]
async fn unknown_types_are_error_diagnostics() {
    let (service, _) = service();
    let opened = service
        .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
            type_name: "test_nothing".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&opened.diagnostics),
        ["Unknown ephemeral resource type"]
    );
    assert!(opened.result.is_none());
    let closed = service
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "test_nothing".into(),
            private: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&closed.diagnostics),
        ["Unknown ephemeral resource type"]
    );
}
