//! List resources on the wire: their listings in GetMetadata and GetProviderSchema,
//! ValidateListResourceConfig, ListResource (a server stream with one event per object found,
//! carrying its identity, display name and, when asked, its state) and GenerateResourceConfig
//! (the configuration `-generate-config-out` writes for a state).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::super::diag::{Diagnostic, Diagnostics};
use super::super::list::{ListResource, ListSink, Listed, config_from_state};
use super::super::resource::panic_message;
use super::super::validator::validate_block;
use super::convert::{decode, diagnostic_to_proto, encode};
use super::handlers::handler;
use super::{Entry, EventStream, ProviderService, WithDiagnostics, entries, lookup, pb};

/// A list resource type with its `config` block's schema.
pub(super) type ListEntry = Entry<dyn ListResource>;

/// The list resource types by type name.
pub(super) type Lists = HashMap<&'static str, ListEntry>;

/// The list resource types of a provider, by type name.
pub(super) fn by_type(lists: Vec<Arc<dyn ListResource>>) -> Lists {
    entries(lists, |l| l.type_name(), |l| l.schema())
}

/// The list resource type names, for GetMetadata.
pub(super) fn metadata(lists: &Lists) -> Vec<pb::get_metadata::ListResourceMetadata> {
    lists
        .keys()
        .map(|name| pb::get_metadata::ListResourceMetadata {
            type_name: (*name).to_owned(),
        })
        .collect()
}

/// The `config` block schema of each list resource type, for GetProviderSchema.
pub(super) fn schemas(lists: &Lists) -> HashMap<String, pb::Schema> {
    lists
        .iter()
        .map(|(name, entry)| ((*name).to_owned(), entry.schema().to_proto()))
        .collect()
}

/// How many found objects may wait between the list and the gRPC stream.
const EVENT_BUFFER: usize = 8;

impl ProviderService {
    fn list(&self, type_name: &str) -> Result<&ListEntry, Diagnostics> {
        lookup(&self.shared.lists, "list resource", type_name)
    }
}

// ValidateListResourceConfig: the `config` block's validators, then the list type's checks.
handler!(validate_list_resource_config, |this, request| {
    let diagnostics = async {
        let entry = this.list(&request.type_name)?;
        let config = decode(request.config.as_ref(), entry.ty(), "list configuration")?;
        let mut diagnostics = validate_block(&entry.schema().block, &config, &Default::default());
        diagnostics.extend(entry.implementation.validate(&config).await);
        Ok::<_, Diagnostics>(diagnostics)
    };
    let diagnostics = diagnostics.await.unwrap_or_else(|d| d);
    pb::validate_list_resource_config::Response::with_diagnostics(diagnostics)
});

// GenerateResourceConfig: the configuration that imports a state with no further change.
handler!(generate_resource_config, |this, request| {
    let generated = async {
        let entry = this.resource(&request.type_name)?;
        let state = decode(request.state.as_ref(), entry.ty(), "state")?;
        let config = config_from_state(&entry.schema().block, &state);
        encode(config, entry.ty(), "generated configuration")
    };
    pb::generate_resource_config::Response::from_result(generated.await, |response, config| {
        response.config = Some(config)
    })
});

/// ListResource: the objects the list type finds, streamed as it finds them. The listing runs
/// in its own task: a panic in it ends the stream with an error event, and when Terraform stops
/// reading (its `limit` reached) the listing stops at its next object.
pub(super) fn list_resource(
    this: ProviderService,
    request: pb::list_resource::Request,
) -> EventStream<pb::list_resource::Event> {
    let (events, stream) = mpsc::channel(EVENT_BUFFER);
    tokio::spawn(async move {
        let failed = events.clone();
        if let Err(error) = tokio::spawn(stream_objects(this, request, events)).await {
            let reason = if error.is_panic() {
                panic_message(error.into_panic().as_ref())
            } else {
                "the listing was cancelled".to_owned()
            };
            crate::log_error!(tf_rpc = "ListResource", %reason, "listing failed");
            let diagnostic = Diagnostic::error(
                "Provider internal error",
                format!(
                    "The provider failed while listing ({reason}). This is a bug in \
                     terraform-provider-todo; please report it with the query you ran."
                ),
            );
            let _ = failed.send(Ok(diagnostics_event(diagnostic.into()))).await;
        }
    });
    Box::pin(ReceiverStream::new(stream))
}

/// An event that carries only diagnostics (Terraform stops at an error).
fn diagnostics_event(diagnostics: Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: diagnostics.into_iter().map(diagnostic_to_proto).collect(),
        ..Default::default()
    }
}

/// Runs the listing and sends an event per object found into `events`, then one with the
/// listing's diagnostics, if any.
async fn stream_objects(
    this: ProviderService,
    request: pb::list_resource::Request,
    events: mpsc::Sender<Result<pb::list_resource::Event, Status>>,
) {
    let limit = usize::try_from(request.limit).unwrap_or(0);
    let include_resource = request.include_resource_object;
    let diagnostics = match this.list(&request.type_name) {
        Ok(entry) if limit > 0 => {
            let listing = Arc::clone(&entry.implementation);
            match decode(request.config.as_ref(), entry.ty(), "list configuration") {
                Ok(config) => {
                    let (found, received) = mpsc::channel(1);
                    let sink = ListSink::new(found, limit, include_resource);
                    let ctx = this.context();
                    let list = async move {
                        let mut sink = sink;
                        listing.list(&config, &mut sink, &ctx).await
                    };
                    let forward = forward(&this, &request, received, &events);
                    let (mut diagnostics, forwarded) = tokio::join!(list, forward);
                    diagnostics.extend(forwarded);
                    diagnostics
                }
                Err(d) => d,
            }
        }
        Ok(_) => Diagnostics::new(),
        Err(d) => d,
    };
    if !diagnostics.is_empty() {
        let _ = events.send(Ok(diagnostics_event(diagnostics))).await;
    }
}

/// Encodes each object `received` from the listing as an event into `events`, until the listing
/// ends or Terraform stops reading; answers what could not be encoded (which ends it too).
async fn forward(
    this: &ProviderService,
    request: &pb::list_resource::Request,
    mut received: mpsc::Receiver<Listed>,
    events: &mpsc::Sender<Result<pb::list_resource::Event, Status>>,
) -> Diagnostics {
    let mut count = 0usize;
    while let Some(listed) = received.recv().await {
        let event = match this.list_event(request, listed) {
            Ok(event) => event,
            Err(d) => return d,
        };
        if events.send(Ok(event)).await.is_err() {
            crate::log_debug!(listed = count, "Terraform stopped reading the list");
            return Diagnostics::new();
        }
        count += 1;
    }
    crate::log_debug!(tf_rpc = "ListResource", listed = count, "served request");
    Diagnostics::new()
}

impl ProviderService {
    /// One found object as an event: its identity, display name, and its state when asked.
    fn list_event(
        &self,
        request: &pb::list_resource::Request,
        listed: Listed,
    ) -> Result<pb::list_resource::Event, Diagnostics> {
        let type_name = request.type_name.as_str();
        let identity = self
            .same_identity(type_name, Some(listed.identity))?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "List resource without identity",
                    format!(
                        "{type_name} has no resource identity, which every listed object needs. \
                         This is a bug in the provider."
                    ),
                ))
            })?;
        let resource_object = match (request.include_resource_object, listed.state) {
            (true, Some(state)) if !state.is_null() => {
                let entry = self.resource(type_name)?;
                Some(encode(state, entry.ty(), "listed object")?)
            }
            _ => None,
        };
        Ok(pb::list_resource::Event {
            identity: Some(identity),
            display_name: listed.display_name,
            resource_object,
            diagnostic: vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use tokio_stream::StreamExt as _;
    use tonic::Request;

    use super::super::super::identity::IdentitySchema;
    use super::super::super::private::Private;
    use super::super::super::resource::{
        Applied, CallContext, DataSource, Imported, Provider, Resource,
    };
    use super::super::super::schema::{Attribute, Block, Schema};
    use super::super::super::validator::Validator;
    use super::super::super::value::{self, Type, Value};
    use super::super::ProviderRpc as _;
    use super::*;

    /// A provider whose `test_item` resource type has five objects, `item-1` to `item-5`,
    /// listed one by one; `pushed` counts the objects the list offered its sink.
    struct Items {
        pushed: Arc<AtomicUsize>,
    }

    struct Item;

    struct ItemList {
        pushed: Arc<AtomicUsize>,
    }

    fn item_schema() -> Schema {
        Schema::new(
            Block::new("item")
                .attribute(Attribute::required("name", Type::String))
                .attribute(Attribute::optional("size", Type::Number).default(Value::from(1)))
                .attribute(Attribute::computed("id", Type::String)),
        )
    }

    fn item(name: &str) -> Value {
        Value::object(vec![
            ("name", Value::from(name)),
            ("size", Value::from(1)),
            ("id", Value::from(format!("id-{name}"))),
        ])
    }

    #[async_trait]
    impl Provider for Items {
        fn schema(&self) -> Schema {
            Schema::new(Block::new("provider"))
        }
        async fn configure(&self, _config: &Value, _version: &str) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Item)]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            vec![]
        }
        fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
            vec![Arc::new(ItemList {
                pushed: Arc::clone(&self.pushed),
            })]
        }
    }

    #[async_trait]
    impl Resource for Item {
        fn type_name(&self) -> &'static str {
            "test_item"
        }
        fn schema(&self) -> Schema {
            item_schema()
        }
        async fn create(&self, planned: &Value, _ctx: &CallContext) -> Applied {
            Applied::ok(planned.clone())
        }
        async fn read(
            &self,
            state: &Value,
            _private: &mut Private,
            _ctx: &CallContext,
        ) -> Result<Option<Value>, Diagnostics> {
            Ok(Some(state.clone()))
        }
        async fn update(
            &self,
            _prior: &Value,
            planned: &Value,
            _private: &Private,
            _ctx: &CallContext,
        ) -> Applied {
            Applied::ok(planned.clone())
        }
        async fn delete(&self, _prior: &Value, _p: &Private, _ctx: &CallContext) -> Diagnostics {
            Diagnostics::new()
        }
        async fn import(&self, id: &str, _ctx: &CallContext) -> Result<Imported, Diagnostics> {
            Ok(item(id).into())
        }
        fn identity_schema(&self) -> Option<IdentitySchema> {
            Some(IdentitySchema::new(0).required("name", Type::String, "The name."))
        }
    }

    #[async_trait]
    impl ListResource for ItemList {
        fn type_name(&self) -> &'static str {
            "test_item"
        }
        fn schema(&self) -> Schema {
            Schema::new(Block::new("filters").attribute(
                Attribute::optional("name_prefix", Type::String).validate(Validator::Length(1, 10)),
            ))
        }
        async fn validate(&self, config: &Value) -> Diagnostics {
            match config.attr("name_prefix").and_then(Value::as_str) {
                Some("bad") => Diagnostic::error("Bad prefix", "not this one").into(),
                _ => Diagnostics::new(),
            }
        }
        async fn list(
            &self,
            config: &Value,
            sink: &mut ListSink,
            _ctx: &CallContext,
        ) -> Diagnostics {
            let prefix = config.attr("name_prefix").and_then(Value::as_str);
            if prefix == Some("panic") {
                panic!("listing exploded");
            }
            for n in 1..=5 {
                let name = format!("item-{n}");
                self.pushed.fetch_add(1, Ordering::SeqCst);
                let listed = Listed {
                    identity: Value::object(vec![("name", Value::from(name.as_str()))]),
                    display_name: name.clone(),
                    state: sink.include_resource().then(|| item(&name)),
                };
                if !sink.push(listed).await {
                    return Diagnostics::new();
                }
            }
            if prefix == Some("fail") {
                return Diagnostic::error("Listing failed", "page 2 was refused").into();
            }
            Diagnostics::new()
        }
    }

    fn service() -> (ProviderService, Arc<AtomicUsize>) {
        let pushed = Arc::new(AtomicUsize::new(0));
        let provider = Items {
            pushed: Arc::clone(&pushed),
        };
        (ProviderService::new(Arc::new(provider)), pushed)
    }

    fn config(prefix: Option<&str>) -> Option<pb::DynamicValue> {
        let ty = Type::object([("name_prefix".to_owned(), Type::String)]);
        let value = Value::object(vec![(
            "name_prefix",
            prefix.map_or(Value::Null, Value::from),
        )]);
        Some(pb::DynamicValue {
            msgpack: value::encode_msgpack(&value, &ty).expect("encode"),
            json: vec![],
        })
    }

    async fn list(
        service: &ProviderService,
        prefix: Option<&str>,
        include: bool,
        limit: i64,
    ) -> Vec<pb::list_resource::Event> {
        let request = pb::list_resource::Request {
            type_name: "test_item".into(),
            config: config(prefix),
            include_resource_object: include,
            limit,
        };
        let stream = service
            .list_resource(Request::new(request))
            .await
            .expect("a stream")
            .into_inner();
        let events: Vec<Result<pb::list_resource::Event, Status>> = stream.collect().await;
        events.into_iter().map(|e| e.expect("an event")).collect()
    }

    fn summaries(event: &pb::list_resource::Event) -> Vec<String> {
        event.diagnostic.iter().map(|d| d.summary.clone()).collect()
    }

    #[tokio::test]
    async fn objects_stream_with_their_identity_and_state_when_asked() {
        let (service, _) = service();
        let events = list(&service, None, false, 100).await;
        let names: Vec<&str> = events.iter().map(|e| e.display_name.as_str()).collect();
        assert_eq!(names, ["item-1", "item-2", "item-3", "item-4", "item-5"]);
        let identity_type = Type::object([("name".to_owned(), Type::String)]);
        let identity = events[0]
            .identity
            .as_ref()
            .and_then(|i| i.identity_data.as_ref());
        let identity = value::decode_msgpack(&identity.expect("identity").msgpack, &identity_type);
        assert_eq!(
            identity.ok(),
            Some(Value::object(vec![("name", Value::from("item-1"))]))
        );
        assert!(events.iter().all(|e| e.resource_object.is_none()));

        let events = list(&service, None, true, 100).await;
        let state = events[1].resource_object.as_ref().expect("the state");
        let state = value::decode_msgpack(&state.msgpack, &item_schema().value_type());
        assert_eq!(state.ok(), Some(item("item-2")));
    }

    #[tokio::test]
    async fn the_limit_stops_the_listing_itself() {
        let (service, pushed) = service();
        let events = list(&service, None, false, 2).await;
        assert_eq!(events.len(), 2);
        assert_eq!(
            pushed.load(Ordering::SeqCst),
            2,
            "no object read past the limit"
        );
        let events = list(&service, None, false, 0).await;
        assert!(events.is_empty());
        assert_eq!(pushed.load(Ordering::SeqCst), 2, "limit 0 lists nothing");
    }

    #[tokio::test]
    async fn failures_end_the_stream_with_an_error_event() {
        let (service, _) = service();
        let events = list(&service, Some("fail"), false, 100).await;
        assert_eq!(events.len(), 6, "five objects, then the error");
        assert_eq!(summaries(&events[5]), ["Listing failed"]);
        assert!(events[5].identity.is_none());

        let events = list(&service, Some("panic"), false, 100).await;
        assert_eq!(events.len(), 1);
        assert_eq!(summaries(&events[0]), ["Provider internal error"]);
        assert!(events[0].diagnostic[0].detail.contains("listing exploded"));

        // The server keeps serving, and an unknown type is an error event, not a crash.
        let request = pb::list_resource::Request {
            type_name: "test_nothing".into(),
            limit: 10,
            ..Default::default()
        };
        let stream = service.list_resource(Request::new(request)).await;
        let events: Vec<_> = stream.expect("a stream").into_inner().collect().await;
        assert_eq!(events.len(), 1);
        let event = events
            .into_iter()
            .next()
            .and_then(Result::ok)
            .expect("an event");
        assert_eq!(summaries(&event), ["Unknown list resource type"]);
    }

    #[tokio::test]
    async fn list_configurations_are_validated() {
        let (service, _) = service();
        let validate = |prefix: Option<&'static str>| {
            let service = service.clone();
            async move {
                let request = pb::validate_list_resource_config::Request {
                    type_name: "test_item".into(),
                    config: config(prefix),
                    ..Default::default()
                };
                let response = service.validate_list_resource_config(Request::new(request));
                let response = response.await.expect("a response").into_inner();
                response
                    .diagnostics
                    .iter()
                    .map(|d| d.summary.clone())
                    .collect::<Vec<_>>()
            }
        };
        assert!(validate(Some("item-")).await.is_empty());
        assert_eq!(validate(Some("bad")).await, ["Bad prefix"]);
        assert_eq!(validate(Some("far-too-long-prefix")).await.len(), 1);
    }

    #[tokio::test]
    async fn generated_configuration_and_listings() {
        let (service, _) = service();
        let ty = item_schema().value_type();
        let request = pb::generate_resource_config::Request {
            type_name: "test_item".into(),
            state: Some(pb::DynamicValue {
                msgpack: value::encode_msgpack(&item("item-1"), &ty).expect("encode"),
                json: vec![],
            }),
        };
        let response = service.generate_resource_config(Request::new(request));
        let response = response.await.expect("a response").into_inner();
        let config = response.config.expect("a configuration");
        let config = value::decode_msgpack(&config.msgpack, &ty).expect("decode");
        let expected = Value::object(vec![
            ("name", Value::from("item-1")),
            ("size", Value::Null),
            ("id", Value::Null),
        ]);
        assert_eq!(config, expected);

        let metadata = service.get_metadata(Request::new(Default::default()));
        let metadata = metadata.await.expect("a response").into_inner();
        assert_eq!(metadata.list_resources[0].type_name, "test_item");
        let capabilities = metadata.server_capabilities.expect("capabilities");
        assert!(capabilities.generate_resource_config);
        let schema = service.get_provider_schema(Request::new(Default::default()));
        let schema = schema.await.expect("a response").into_inner();
        assert!(schema.list_resource_schemas.contains_key("test_item"));
    }
}
