//! The gRPC services: `tfplugin6.Provider` dispatching to the [`Provider`], [`Resource`] and
//! [`DataSource`] traits, go-plugin's `GRPCController` (Shutdown) and the gRPC health service.
//! Values are decoded and encoded here, so providers only see [`Value`]s; every handler runs in
//! its own task so that a panic becomes an error diagnostic instead of a crashed process.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::handshake::Incoming;
use super::model;
use super::plan;
use super::proto::health::health_server::{Health, HealthServer};
use super::proto::health::{HealthCheckRequest, HealthCheckResponse, health_check_response};
use super::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::{Provider as ProviderRpc, ProviderServer};
use super::resource::{Applied, CallContext, DataSource, Provider, Resource, ResourcePlan};
use super::schema::Schema;
use super::validator::validate_block;
use super::value::{self, Type, Value};

/// Largest gRPC message accepted or sent (Go providers allow the same).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// Serves the plugin's gRPC services on `incoming` until `shutdown` turns true.
pub async fn run(
    provider: Arc<dyn Provider>,
    incoming: Incoming,
    shutdown_tx: watch::Sender<bool>,
    mut shutdown_rx: watch::Receiver<bool>,
) -> Result<(), tonic::transport::Error> {
    let service = ProviderService::new(provider);
    let provider_server = ProviderServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let controller = GrpcControllerServer::new(Controller {
        shutdown: shutdown_tx,
    });
    tonic::transport::Server::builder()
        .add_service(provider_server)
        .add_service(controller)
        .add_service(HealthServer::new(PluginHealth))
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = shutdown_rx.wait_for(|stop| *stop).await;
            tracing::debug!("plugin server shutting down");
        })
        .await
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
        tracing::debug!("GRPCController.Shutdown received");
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

/// A resource type with its schema computed once.
struct ResourceEntry {
    resource: Arc<dyn Resource>,
    schema: Schema,
    ty: Type,
}

/// A data source type with its schema computed once.
struct DataSourceEntry {
    data_source: Arc<dyn DataSource>,
    schema: Schema,
    ty: Type,
}

/// The state shared by all `tfplugin6.Provider` calls.
struct Shared {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<&'static str, ResourceEntry>,
    data_sources: HashMap<&'static str, DataSourceEntry>,
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
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let ty = schema.value_type();
                (
                    resource.type_name(),
                    ResourceEntry {
                        resource,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let ty = schema.value_type();
                (
                    data_source.type_name(),
                    DataSourceEntry {
                        data_source,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        Self {
            shared: Arc::new(Shared {
                provider,
                provider_schema,
                provider_type,
                resources,
                data_sources,
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
        self.shared.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            )
            .into()
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry, Diagnostics> {
        self.shared.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source type",
                format!("This provider has no data source type {type_name:?}."),
            )
            .into()
        })
    }
}

/// Runs a handler in its own task: a panic inside becomes an error diagnostic in a response
/// of the right type, and the process keeps serving.
async fn guarded<R, F>(rpc: &'static str, work: F) -> Result<Response<R>, Status>
where
    R: WithDiagnostics + Default + Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    tracing::debug!(tf_rpc = rpc, "received request");
    match tokio::spawn(work).await {
        Ok(response) => {
            tracing::debug!(tf_rpc = rpc, "served request");
            Ok(Response::new(response))
        }
        Err(error) => {
            let reason = if error.is_panic() {
                panic_message(error.into_panic())
            } else {
                "the handler was cancelled".to_owned()
            };
            tracing::error!(tf_rpc = rpc, %reason, "handler failed");
            let mut response = R::default();
            response.push_diagnostics(
                Diagnostic::error(
                    "Provider internal error",
                    format!(
                        "The provider failed while handling {rpc}: {reason}. This is a bug in \
                         terraform-provider-todo; please report it with the command you ran. \
                         Nothing was changed after the failure point."
                    ),
                )
                .into(),
            );
            Ok(Response::new(response))
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

/// Responses that carry diagnostics.
trait WithDiagnostics {
    fn push_diagnostics(&mut self, diagnostics: Diagnostics);
}

macro_rules! with_diagnostics {
    ($($t:ty),* $(,)?) => {
        $(impl WithDiagnostics for $t {
            fn push_diagnostics(&mut self, diagnostics: Diagnostics) {
                self.diagnostics.extend(diagnostics.into_iter().map(diagnostic_to_proto));
            }
        })*
    };
}

with_diagnostics!(
    pb::get_metadata::Response,
    pb::get_provider_schema::Response,
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::read_data_source::Response,
);

impl WithDiagnostics for pb::stop_provider::Response {
    fn push_diagnostics(&mut self, diagnostics: Diagnostics) {
        let text: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        self.error = text.join("; ");
    }
}

/// Converts a diagnostic to its wire form.
pub fn diagnostic_to_proto(diagnostic: Diagnostic) -> pb::Diagnostic {
    let severity = match diagnostic.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: diagnostic.summary,
        detail: diagnostic.detail,
        attribute: diagnostic.path.as_ref().map(path_to_proto),
    }
}

/// Converts an attribute path to its wire form.
pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// Decodes a DynamicValue (msgpack, else JSON; absent = null).
fn decode(value: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let result = match value {
        None => return Ok(Value::Null),
        Some(v) if !v.msgpack.is_empty() => value::decode_msgpack(&v.msgpack, ty),
        Some(v) if !v.json.is_empty() => value::decode_json(&v.json, ty),
        Some(_) => return Ok(Value::Null),
    };
    result.map_err(|e| {
        Diagnostic::error(
            "Invalid value from Terraform",
            format!("The {what} could not be decoded: {e}"),
        )
        .into()
    })
}

/// Encodes a value as msgpack for Terraform.
fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    value::encode_msgpack(&model::conform(value.clone(), ty), ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "Provider produced an invalid value",
                format!("The {what} could not be encoded: {e}. This is a bug in the provider."),
            )
            .into()
        })
}

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let this = self.clone();
        guarded("GetMetadata", async move {
            pb::get_metadata::Response {
                server_capabilities: Some(capabilities()),
                diagnostics: vec![],
                data_sources: this
                    .shared
                    .data_sources
                    .keys()
                    .map(|name| pb::get_metadata::DataSourceMetadata {
                        type_name: (*name).to_owned(),
                    })
                    .collect(),
                resources: this
                    .shared
                    .resources
                    .keys()
                    .map(|name| pb::get_metadata::ResourceMetadata {
                        type_name: (*name).to_owned(),
                    })
                    .collect(),
            }
        })
        .await
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let this = self.clone();
        guarded("GetProviderSchema", async move {
            let shared = &this.shared;
            pb::get_provider_schema::Response {
                provider: Some(shared.provider_schema.to_proto()),
                resource_schemas: shared
                    .resources
                    .iter()
                    .map(|(name, entry)| ((*name).to_owned(), entry.schema.to_proto()))
                    .collect(),
                data_source_schemas: shared
                    .data_sources
                    .iter()
                    .map(|(name, entry)| ((*name).to_owned(), entry.schema.to_proto()))
                    .collect(),
                diagnostics: vec![],
                provider_meta: None,
                server_capabilities: Some(capabilities()),
            }
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ValidateProviderConfig", async move {
            let shared = &this.shared;
            let diagnostics = match decode(
                request.config.as_ref(),
                &shared.provider_type,
                "provider configuration",
            ) {
                Ok(config) => {
                    let mut diagnostics =
                        validate_block(&shared.provider_schema.block, &config, &Default::default());
                    diagnostics.extend(shared.provider.validate_config(&config).await);
                    diagnostics
                }
                Err(d) => d,
            };
            let mut response = pb::validate_provider_config::Response::default();
            response.push_diagnostics(diagnostics);
            response
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ValidateResourceConfig", async move {
            let diagnostics = match this.resource(&request.type_name) {
                Ok(entry) => match decode(request.config.as_ref(), &entry.ty, "configuration") {
                    Ok(config) => {
                        let mut diagnostics =
                            validate_block(&entry.schema.block, &config, &Default::default());
                        diagnostics.extend(entry.resource.validate(&config).await);
                        diagnostics
                    }
                    Err(d) => d,
                },
                Err(d) => d,
            };
            let mut response = pb::validate_resource_config::Response::default();
            response.push_diagnostics(diagnostics);
            response
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ValidateDataResourceConfig", async move {
            let diagnostics = match this.data_source(&request.type_name) {
                Ok(entry) => match decode(request.config.as_ref(), &entry.ty, "configuration") {
                    Ok(config) => {
                        let mut diagnostics =
                            validate_block(&entry.schema.block, &config, &Default::default());
                        diagnostics.extend(entry.data_source.validate(&config).await);
                        diagnostics
                    }
                    Err(d) => d,
                },
                Err(d) => d,
            };
            let mut response = pb::validate_data_resource_config::Response::default();
            response.push_diagnostics(diagnostics);
            response
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("UpgradeResourceState", async move {
            let mut response = pb::upgrade_resource_state::Response::default();
            match this.upgrade(&request) {
                Ok(state) => response.upgraded_state = Some(state),
                Err(d) => response.push_diagnostics(d),
            }
            response
        })
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ConfigureProvider", async move {
            let shared = &this.shared;
            let diagnostics = match decode(
                request.config.as_ref(),
                &shared.provider_type,
                "provider configuration",
            ) {
                Ok(config) => {
                    shared
                        .provider
                        .configure(&config, &request.terraform_version)
                        .await
                }
                Err(d) => d,
            };
            let mut response = pb::configure_provider::Response::default();
            response.push_diagnostics(diagnostics);
            response
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ReadResource", async move {
            let mut response = pb::read_resource::Response {
                private: request.private.clone(),
                ..Default::default()
            };
            match this.read(&request).await {
                Ok(state) => response.new_state = Some(state),
                Err((state, d)) => {
                    response.new_state = state;
                    response.push_diagnostics(d);
                }
            }
            response
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("PlanResourceChange", async move {
            let mut response = pb::plan_resource_change::Response::default();
            match this.plan(&request).await {
                Ok((planned, replace, warnings)) => {
                    response.planned_state = Some(planned);
                    response.requires_replace = replace.iter().map(path_to_proto).collect();
                    response.planned_private = request.prior_private.clone();
                    response.push_diagnostics(warnings);
                }
                Err(d) => response.push_diagnostics(d),
            }
            response
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ApplyResourceChange", async move {
            let mut response = pb::apply_resource_change::Response::default();
            match this.apply(&request).await {
                Ok((state, d)) => {
                    response.new_state = Some(state);
                    response.push_diagnostics(d);
                }
                Err(d) => {
                    // Keep whatever state Terraform had: nothing is lost on a failed apply.
                    response.new_state = request.prior_state.clone();
                    response.push_diagnostics(d);
                }
            }
            response
        })
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ImportResourceState", async move {
            let mut response = pb::import_resource_state::Response::default();
            let imported = async {
                let entry = this.resource(&request.type_name)?;
                let state = entry.resource.import(&request.id, &this.context()).await?;
                encode(&state, &entry.ty, "imported state")
            }
            .await;
            match imported {
                Ok(state) => {
                    response
                        .imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: request.type_name.clone(),
                            state: Some(state),
                            private: Vec::new(),
                            identity: None,
                        })
                }
                Err(d) => response.push_diagnostics(d),
            }
            response
        })
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let this = self.clone();
        let request = request.into_inner();
        guarded("ReadDataSource", async move {
            let mut response = pb::read_data_source::Response::default();
            let read = async {
                let entry = this.data_source(&request.type_name)?;
                let config = decode(request.config.as_ref(), &entry.ty, "configuration")?;
                let state = entry.data_source.read(&config, &this.context()).await?;
                encode(&state, &entry.ty, "data source result")
            }
            .await;
            match read {
                Ok(state) => response.state = Some(state),
                Err(d) => response.push_diagnostics(d),
            }
            response
        })
        .await
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let this = self.clone();
        guarded("StopProvider", async move {
            let mut guard = match this.shared.cancel.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            guard.cancel();
            // Later calls get a fresh token: StopProvider stops in-flight work, not the server.
            *guard = CancellationToken::new();
            tracing::info!("StopProvider: cancelled in-flight operations");
            pb::stop_provider::Response::default()
        })
        .await
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

type PlanResult = (pb::DynamicValue, Vec<AttributePath>, Diagnostics);

impl ProviderService {
    fn upgrade(
        &self,
        request: &pb::upgrade_resource_state::Request,
    ) -> Result<pb::DynamicValue, Diagnostics> {
        let entry = self.resource(&request.type_name)?;
        let raw = request
            .raw_state
            .as_ref()
            .map(|r| r.json.as_slice())
            .unwrap_or_default();
        if raw.is_empty() {
            return Err(Diagnostic::error(
                "Unsupported state format",
                "The stored state is not JSON (the legacy flatmap format predates this provider).",
            )
            .into());
        }
        // Attributes the current schema no longer has are dropped, so removing an attribute
        // does not make old state unreadable.
        let options = value::JsonDecodeOptions {
            ignore_undefined_attributes: true,
        };
        let state = value::decode_json_with_options(raw, &entry.ty, options).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Unreadable state",
                format!("The stored state does not match the schema: {e}"),
            ))
        })?;
        let upgraded = entry.resource.upgrade_state(request.version, state)?;
        encode(&upgraded, &entry.ty, "upgraded state")
    }

    async fn read(
        &self,
        request: &pb::read_resource::Request,
    ) -> Result<pb::DynamicValue, (Option<pb::DynamicValue>, Diagnostics)> {
        let fail = |d: Diagnostics| (request.current_state.clone(), d);
        let entry = self.resource(&request.type_name).map_err(fail)?;
        let current =
            decode(request.current_state.as_ref(), &entry.ty, "current state").map_err(fail)?;
        if current.is_null() {
            return encode(&Value::Null, &entry.ty, "state").map_err(fail);
        }
        let refreshed = entry
            .resource
            .read(&current, &self.context())
            .await
            .map_err(fail)?;
        let state = refreshed.unwrap_or(Value::Null);
        if state.is_null() {
            tracing::info!(
                tf_resource_type = request.type_name,
                "remote object no longer exists; removing it from state"
            );
        }
        encode(&state, &entry.ty, "refreshed state").map_err(fail)
    }

    async fn plan(
        &self,
        request: &pb::plan_resource_change::Request,
    ) -> Result<PlanResult, Diagnostics> {
        let entry = self.resource(&request.type_name)?;
        let prior = decode(request.prior_state.as_ref(), &entry.ty, "prior state")?;
        let proposed = decode(
            request.proposed_new_state.as_ref(),
            &entry.ty,
            "proposed state",
        )?;
        let config = decode(request.config.as_ref(), &entry.ty, "configuration")?;
        if proposed.is_null() {
            // Destroy: nothing to adjust.
            return Ok((
                encode(&Value::Null, &entry.ty, "plan")?,
                vec![],
                Diagnostics::new(),
            ));
        }
        let mut plan = ResourcePlan {
            prior: (!prior.is_null()).then_some(prior),
            config,
            planned: proposed,
            requires_replace: Vec::new(),
        };
        plan::plan_defaults_and_unknowns(&entry.schema.block, &mut plan);
        let diagnostics = entry.resource.modify_plan(&mut plan, &self.context()).await;
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        // Models write lists where the schema has sets: fit the plan to the type first.
        plan.planned = model::conform(plan.planned, &entry.ty);
        plan::plan_replacements(&entry.schema.block, &mut plan);
        let planned = encode(&plan.planned, &entry.ty, "planned state")?;
        Ok((planned, plan.requires_replace, diagnostics))
    }

    async fn apply(
        &self,
        request: &pb::apply_resource_change::Request,
    ) -> Result<(pb::DynamicValue, Diagnostics), Diagnostics> {
        let entry = self.resource(&request.type_name)?;
        let prior = decode(request.prior_state.as_ref(), &entry.ty, "prior state")?;
        let planned = decode(request.planned_state.as_ref(), &entry.ty, "planned state")?;
        let ctx = self.context();
        let resource = &entry.resource;
        let applied = match (prior.is_null(), planned.is_null()) {
            (true, true) => Applied::ok(Value::Null),
            (true, false) => resource.create(&planned, &ctx).await,
            (false, true) => {
                let diagnostics = resource.delete(&prior, &ctx).await;
                let state = if diagnostics.has_errors() {
                    Some(prior)
                } else {
                    None
                };
                Applied::failed(state, diagnostics)
            }
            (false, false) => resource.update(&prior, &planned, &ctx).await,
        };
        let state = applied.state.unwrap_or(Value::Null);
        let encoded = encode(&state, &entry.ty, "new state")?;
        Ok((encoded, applied.diagnostics))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::plugin::attrs::{self, Attrs};
    use crate::plugin::schema::{Attribute, Block};

    /// A provider with one resource, `test_thing`, whose behaviour the tests steer by name.
    struct TestProvider;

    struct Thing;

    fn thing_schema() -> Schema {
        Schema::new(
            Block::new("thing")
                .attribute(Attribute::required("name", Type::String).requires_replace())
                .attribute(Attribute::optional("size", Type::Number).default(attrs::number(1)))
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
            if Attrs(config).string("name").as_deref() == Some("boom") {
                panic!("validate exploded");
            }
            Diagnostics::new()
        }
        async fn create(&self, planned: &Value, ctx: &CallContext) -> Applied {
            if Attrs(planned).string("name").as_deref() == Some("slow") {
                ctx.cancelled().await;
                return Applied::failed(None, super::super::resource::stopped_diagnostic());
            }
            let mut state = planned.clone();
            if let Value::Object(map) = &mut state {
                map.insert("id".into(), attrs::string("id-1"));
            }
            Applied::ok(state)
        }
        async fn read(
            &self,
            state: &Value,
            _ctx: &CallContext,
        ) -> Result<Option<Value>, Diagnostics> {
            if Attrs(state).string("name").as_deref() == Some("gone") {
                return Ok(None);
            }
            Ok(Some(state.clone()))
        }
        async fn update(&self, _prior: &Value, planned: &Value, _ctx: &CallContext) -> Applied {
            Applied::ok(planned.clone())
        }
        async fn delete(&self, _prior: &Value, _ctx: &CallContext) -> Diagnostics {
            Diagnostics::new()
        }
        async fn import(&self, id: &str, _ctx: &CallContext) -> Result<Value, Diagnostics> {
            Ok(thing(id, Some(1), Some("id-1")))
        }
    }

    fn thing(name: &str, size: Option<i64>, id: Option<&str>) -> Value {
        attrs::object([
            ("name", attrs::string(name)),
            ("size", attrs::opt_number(size)),
            ("id", attrs::opt_string(id)),
        ])
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

    fn service() -> ProviderService {
        ProviderService::new(Arc::new(TestProvider))
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_error_diagnostic() {
        let service = service();
        let request = pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: dynamic(&thing("boom", None, None)),
            client_capabilities: None,
        };
        let response = service
            .validate_resource_config(Request::new(request))
            .await
            .expect("a response, not a transport error")
            .into_inner();
        assert_eq!(response.diagnostics.len(), 1);
        let diagnostic = &response.diagnostics[0];
        assert_eq!(diagnostic.severity, pb::diagnostic::Severity::Error as i32);
        assert!(
            diagnostic.detail.contains("validate exploded"),
            "{}",
            diagnostic.detail
        );

        // The server keeps serving.
        let request = pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: dynamic(&thing("fine", None, None)),
            client_capabilities: None,
        };
        let response = service
            .validate_resource_config(Request::new(request))
            .await
            .expect("ok");
        assert!(response.into_inner().diagnostics.is_empty());
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
                service.apply_resource_change(Request::new(request)).await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!apply.is_finished(), "the apply waits until stopped");
        let stopped = service
            .stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .expect("stop");
        assert!(stopped.into_inner().error.is_empty());
        let response = tokio::time::timeout(Duration::from_secs(5), apply)
            .await
            .expect("cancelled promptly")
            .expect("task")
            .expect("response")
            .into_inner();
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

    #[tokio::test]
    async fn plans_fill_defaults_mark_computed_unknown_and_request_replacement() {
        let service = service();
        let create = pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&Value::Null),
            proposed_new_state: dynamic(&thing("a", None, None)),
            config: dynamic(&thing("a", None, None)),
            ..Default::default()
        };
        let response = service
            .plan_resource_change(Request::new(create))
            .await
            .expect("plan")
            .into_inner();
        let planned = decoded(response.planned_state);
        assert_eq!(Attrs(&planned).i64("size"), Some(1));
        assert!(Attrs(&planned).is_unknown("id"));
        assert!(response.requires_replace.is_empty());

        let rename = pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&thing("a", Some(1), Some("id-1"))),
            proposed_new_state: dynamic(&thing("b", Some(1), Some("id-1"))),
            config: dynamic(&thing("b", None, None)),
            ..Default::default()
        };
        let response = service
            .plan_resource_change(Request::new(rename))
            .await
            .expect("plan")
            .into_inner();
        assert_eq!(
            response.requires_replace,
            vec![path_to_proto(&AttributePath::root("name"))]
        );
    }

    #[tokio::test]
    async fn a_vanished_object_reads_as_null_state() {
        let service = service();
        let request = pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dynamic(&thing("gone", Some(1), Some("id-1"))),
            ..Default::default()
        };
        let response = service
            .read_resource(Request::new(request))
            .await
            .expect("read")
            .into_inner();
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
        let response = service
            .upgrade_resource_state(Request::new(request))
            .await
            .expect("upgrade")
            .into_inner();
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
        let request = pb::read_resource::Request {
            type_name: "test_nothing".into(),
            ..Default::default()
        };
        let response = service
            .read_resource(Request::new(request))
            .await
            .expect("read")
            .into_inner();
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
}
