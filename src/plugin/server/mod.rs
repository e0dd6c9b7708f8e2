//! The gRPC services: `tfplugin6.Provider` dispatching to the [`Provider`], [`Resource`] and
//! [`DataSource`] traits, go-plugin's `GRPCController` (Shutdown) and `GRPCStdio` (in `stdio`),
//! and the gRPC health service. Every RPC of `proto/tfplugin6.proto` (protocol 6.10) is served;
//! others (such as the state store RPCs of later protocols) answer UNIMPLEMENTED, as gRPC does for
//! methods a server does not list.
//! Values are decoded and encoded here, so providers only see [`Value`](super::Value)s; every
//! handler runs in its own task so that a panic becomes an error diagnostic instead of a crashed
//! process.
//!
//! This file wires the services and dispatches each RPC once, through `guarded`; the RPCs
//! themselves are in `handlers` (those of resource identity in `identity`, of list resources in
//! `list`, of ephemeral resources in `ephemeral`, of functions in `function`, of actions in
//! `action`), the wire conversions in `convert`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::{Diagnostic, Diagnostics};
use super::handshake::Incoming;
use super::proto::health::health_server::{Health, HealthServer};
use super::proto::health::{HealthCheckRequest, HealthCheckResponse, health_check_response};
use super::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use super::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::{Provider as ProviderRpc, ProviderServer};
use super::resource::{CallContext, DataSource, Provider, Resource, panic_message};
use super::schema::Schema;
use super::value::Type;

mod action;
mod connections;
mod convert;
mod ephemeral;
mod function;
mod handlers;
mod identity;
mod list;
mod routes;
mod stdio;
#[cfg(test)]
mod tests;

pub use convert::{diagnostic_to_proto, path_to_proto};

/// Largest gRPC message accepted or sent (Go providers allow the same).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// Serves the plugin's gRPC services on `incoming` until `shutdown` turns true, then lets the
/// open connections finish their calls.
pub async fn run(
    provider: Arc<dyn Provider>,
    incoming: Incoming,
    shutdown_tx: watch::Sender<bool>,
    shutdown_rx: watch::Receiver<bool>,
) {
    let service = ProviderService::new(provider);
    let provider_server = ProviderServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let controller = GrpcControllerServer::new(Controller {
        shutdown: shutdown_tx,
    });
    let stdio = GrpcStdioServer::new(stdio::Stdio::new(shutdown_rx.clone()));
    let routes = routes::Routes {
        provider: provider_server,
        controller,
        stdio,
        health: HealthServer::new(PluginHealth),
    };
    connections::serve(routes, incoming, shutdown_rx).await
}

/// go-plugin's controller: Terraform calls Shutdown when it no longer needs the process.
struct Controller {
    shutdown: watch::Sender<bool>,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: Request<super::proto::plugin::Empty>,
    ) -> Result<Response<super::proto::plugin::Empty>, Status> {
        crate::log_debug!("GRPCController.Shutdown received");
        let _ = self.shutdown.send(true);
        Ok(Response::new(super::proto::plugin::Empty {}))
    }
}

/// Health service: the service `plugin` is SERVING, as go-plugin documents for other languages.
struct PluginHealth;

#[tonic::async_trait]
impl Health for PluginHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let status = match request.get_ref().service.as_str() {
            "" | "plugin" => health_check_response::ServingStatus::Serving,
            _ => health_check_response::ServingStatus::ServiceUnknown,
        };
        Ok(Response::new(HealthCheckResponse {
            status: status as i32,
        }))
    }
}

/// A resource, data source, ephemeral resource or action type; its schema is computed the first
/// time a call needs it. Terraform starts a provider three times per plan, and most of those
/// processes use one or two types: building every type's schema up front cost each of them
/// about a tenth of its CPU.
struct Entry<T: ?Sized> {
    /// The resource or data source.
    implementation: Arc<T>,
    /// How to get its schema.
    describe: fn(&T) -> Schema,
    /// The schema and its value type, once asked for.
    described: OnceLock<(Schema, Type)>,
}

impl<T: ?Sized> Entry<T> {
    /// The type's schema.
    fn schema(&self) -> &Schema {
        &self.described().0
    }

    /// The type of its values (configuration, plan, state).
    fn ty(&self) -> &Type {
        &self.described().1
    }

    fn described(&self) -> &(Schema, Type) {
        self.described.get_or_init(|| {
            let schema = (self.describe)(&self.implementation);
            let ty = schema.value_type();
            (schema, ty)
        })
    }
}

/// A resource type with its schema.
type ResourceEntry = Entry<dyn Resource>;

/// A data source type with its schema.
type DataSourceEntry = Entry<dyn DataSource>;

/// An ephemeral resource type with its schema.
type EphemeralEntry = Entry<dyn super::ephemeral::EphemeralResource>;

/// The entries of `implementations` by type name; `describe` gives a type's schema.
fn entries<T: ?Sized>(
    implementations: Vec<Arc<T>>,
    type_name: fn(&T) -> &'static str,
    describe: fn(&T) -> Schema,
) -> HashMap<&'static str, Entry<T>> {
    implementations
        .into_iter()
        .map(|implementation| {
            let entry = Entry {
                describe,
                described: OnceLock::new(),
                implementation,
            };
            (type_name(&entry.implementation), entry)
        })
        .collect()
}

/// The entry of `type_name`, or an error naming the `kind` of type this provider lacks.
fn lookup<'a, T: ?Sized>(
    entries: &'a HashMap<&'static str, Entry<T>>,
    kind: &str,
    type_name: &str,
) -> Result<&'a Entry<T>, Diagnostics> {
    entries.get(type_name).ok_or_else(|| {
        Diagnostic::error(
            format!("Unknown {kind} type"),
            format!("This provider has no {kind} type {type_name:?}."),
        )
        .into()
    })
}

/// The state shared by all `tfplugin6.Provider` calls.
struct Shared {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<&'static str, ResourceEntry>,
    data_sources: HashMap<&'static str, DataSourceEntry>,
    /// The provider functions by name.
    functions: function::Functions,
    /// The identity schemas of the resource types that have one.
    identities: identity::Identities,
    /// The list resource types (`terraform query`).
    lists: list::Lists,
    /// The ephemeral resource types with their schemas.
    ephemeral_resources: HashMap<&'static str, EphemeralEntry>,
    /// The action types with their schemas.
    actions: HashMap<&'static str, action::ActionEntry>,
    /// Cancelled by StopProvider, then replaced so the server keeps serving.
    cancel: Mutex<CancellationToken>,
}

/// `tfplugin6.Provider` over a [`Provider`].
#[derive(Clone)]
struct ProviderService {
    shared: Arc<Shared>,
}

impl ProviderService {
    fn new(provider: Arc<dyn Provider>) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = entries(provider.resources(), |r| r.type_name(), |r| r.schema());
        let data_sources = entries(provider.data_sources(), |d| d.type_name(), |d| d.schema());
        let functions = function::by_name(provider.functions());
        let identities = identity::by_type(
            resources
                .iter()
                .map(|(name, entry)| (*name, entry.implementation.identity_schema())),
        );
        let lists = list::by_type(provider.list_resources());
        let ephemeral_resources = entries(
            provider.ephemeral_resources(),
            |e| e.type_name(),
            |e| e.schema(),
        );
        let actions = entries(provider.actions(), |a| a.type_name(), |a| a.schema());
        Self {
            shared: Arc::new(Shared {
                provider,
                provider_schema,
                provider_type,
                resources,
                data_sources,
                functions,
                identities,
                lists,
                ephemeral_resources,
                actions,
                cancel: Mutex::new(CancellationToken::new()),
            }),
        }
    }

    fn context(&self) -> CallContext {
        let token = match self.shared.cancel.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        CallContext::new(token)
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry, Diagnostics> {
        lookup(&self.shared.resources, "resource", type_name)
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry, Diagnostics> {
        lookup(&self.shared.data_sources, "data source", type_name)
    }
}

/// A server-streaming RPC's answer: its events, or a gRPC status that ends the stream.
type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Implements `tfplugin6.Provider` from one line per RPC.
///
/// - `served`: `method: "RpcName" => field`: the RPC runs `handlers::method` on a clone of the
///   service and the request, inside [`guarded`] under its protocol name, and its response keeps
///   diagnostics in `field`.
/// - `served_streams`: `method: "RpcName" => StreamType`, a server-streaming RPC whose events
///   are `pb::method::Event`: `handlers::method` on a clone of the service and the request
///   answers the stream; it turns failures and panics into events itself.
macro_rules! provider_rpcs {
    (
        served: [$($method:ident: $rpc:literal => $field:ident),* $(,)?],
        served_streams: [
            $($served_method:ident: $served_rpc:literal => $served_stream:ident),* $(,)?
        ] $(,)?
    ) => {
        #[tonic::async_trait]
        impl ProviderRpc for ProviderService {
            $(async fn $method(
                &self,
                request: Request<pb::$method::Request>,
            ) -> Result<Response<pb::$method::Response>, Status> {
                guarded($rpc, handlers::$method(self.clone(), request.into_inner())).await
            })*

            $(
                type $served_stream = EventStream<pb::$served_method::Event>;

                async fn $served_method(
                    &self,
                    request: Request<pb::$served_method::Request>,
                ) -> Result<Response<Self::$served_stream>, Status> {
                    crate::log_debug!(tf_rpc = $served_rpc, "received request");
                    let events = handlers::$served_method(self.clone(), request.into_inner());
                    Ok(Response::new(events))
                }
            )*
        }

        $(impl WithDiagnostics for pb::$method::Response {
            fn push_diagnostics(&mut self, diagnostics: Diagnostics) {
                self.$field.add_diagnostics(diagnostics);
            }
        })*
    };
}

provider_rpcs!(
    served: [
        get_metadata: "GetMetadata" => diagnostics,
        get_provider_schema: "GetProviderSchema" => diagnostics,
        validate_provider_config: "ValidateProviderConfig" => diagnostics,
        validate_resource_config: "ValidateResourceConfig" => diagnostics,
        validate_data_resource_config: "ValidateDataResourceConfig" => diagnostics,
        upgrade_resource_state: "UpgradeResourceState" => diagnostics,
        get_resource_identity_schemas: "GetResourceIdentitySchemas" => diagnostics,
        upgrade_resource_identity: "UpgradeResourceIdentity" => diagnostics,
        configure_provider: "ConfigureProvider" => diagnostics,
        read_resource: "ReadResource" => diagnostics,
        plan_resource_change: "PlanResourceChange" => diagnostics,
        apply_resource_change: "ApplyResourceChange" => diagnostics,
        import_resource_state: "ImportResourceState" => diagnostics,
        read_data_source: "ReadDataSource" => diagnostics,
        get_functions: "GetFunctions" => diagnostics,
        validate_list_resource_config: "ValidateListResourceConfig" => diagnostics,
        generate_resource_config: "GenerateResourceConfig" => diagnostics,
        call_function: "CallFunction" => error,
        validate_ephemeral_resource_config: "ValidateEphemeralResourceConfig" => diagnostics,
        open_ephemeral_resource: "OpenEphemeralResource" => diagnostics,
        renew_ephemeral_resource: "RenewEphemeralResource" => diagnostics,
        close_ephemeral_resource: "CloseEphemeralResource" => diagnostics,
        validate_action_config: "ValidateActionConfig" => diagnostics,
        plan_action: "PlanAction" => diagnostics,
        stop_provider: "StopProvider" => error,
    ],
    served_streams: [
        list_resource: "ListResource" => ListResourceStream,
        invoke_action: "InvokeAction" => InvokeActionStream,
    ],
);

/// Runs a handler in its own task: a panic inside becomes an error diagnostic in a response
/// of the right type, and the process keeps serving.
async fn guarded<R, F>(rpc: &'static str, work: F) -> Result<Response<R>, Status>
where
    R: WithDiagnostics + Default + Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    crate::log_debug!(tf_rpc = rpc, "received request");
    match tokio::spawn(work).await {
        Ok(response) => {
            crate::log_debug!(tf_rpc = rpc, "served request");
            Ok(Response::new(response))
        }
        Err(error) => {
            let reason = if error.is_panic() {
                panic_message(error.into_panic().as_ref())
            } else {
                "the handler was cancelled".to_owned()
            };
            crate::log_error!(tf_rpc = rpc, %reason, "handler failed");
            Ok(Response::new(R::with_diagnostics(
                Diagnostic::error(
                    "Provider internal error",
                    format!(
                        "The provider failed while handling {rpc}: {reason}. This is a bug in \
                         terraform-provider-todo; please report it with the command you ran. \
                         Nothing was changed after the failure point."
                    ),
                )
                .into(),
            )))
        }
    }
}

/// Responses that carry diagnostics.
trait WithDiagnostics: Default {
    /// Adds `diagnostics` to the response.
    fn push_diagnostics(&mut self, diagnostics: Diagnostics);

    /// An otherwise empty response carrying `diagnostics`.
    fn with_diagnostics(diagnostics: Diagnostics) -> Self {
        let mut response = Self::default();
        response.push_diagnostics(diagnostics);
        response
    }

    /// The response to a handler's `result`: `fill` writes a success into an empty response,
    /// a failure becomes its diagnostics.
    fn from_result<T>(result: Result<T, Diagnostics>, fill: impl FnOnce(&mut Self, T)) -> Self {
        match result {
            Ok(value) => {
                let mut response = Self::default();
                fill(&mut response, value);
                response
            }
            Err(diagnostics) => Self::with_diagnostics(diagnostics),
        }
    }
}

/// Where a response keeps its diagnostics.
trait DiagnosticsField {
    /// Adds `diagnostics` to the field.
    fn add_diagnostics(&mut self, diagnostics: Diagnostics);
}

/// A list of diagnostics: most responses.
impl DiagnosticsField for Vec<pb::Diagnostic> {
    fn add_diagnostics(&mut self, diagnostics: Diagnostics) {
        self.extend(diagnostics.into_iter().map(diagnostic_to_proto));
    }
}

/// One error text: StopProvider's response.
impl DiagnosticsField for String {
    fn add_diagnostics(&mut self, diagnostics: Diagnostics) {
        *self = diagnostics.joined();
    }
}
