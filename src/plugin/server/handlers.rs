//! The `tfplugin6.Provider` RPCs, one handler each under the RPC's method name: decode the
//! request, call the [`Provider`](super::Provider), [`Resource`](super::Resource) or
//! [`DataSource`](super::DataSource), encode the answer. `mod.rs` runs them in `guarded`; the
//! planning rules shared by all resources are applied here.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use tokio_util::sync::CancellationToken;

use super::super::diag::{AttributePath, Diagnostic, Diagnostics};
use super::super::model;
use super::super::plan;
use super::super::private::Private;
use super::super::resource::{Applied, ResourcePlan};
use super::super::validator::validate_block;
use super::super::value::{self, Value};
use super::convert::{capabilities, decode, encode, encode_conformed, path_to_proto};
use super::{Entry, ProviderService, WithDiagnostics, pb};
use super::{function, list};

// The action RPCs live beside these, in `action`.
pub(super) use super::action::{invoke_action, plan_action, validate_action_config};

/// Defines the handler of one RPC, named after its method: an `async fn` taking the service and
/// the request of `pb::<method>`, answering its response. `mod.rs` runs it in `guarded`.
macro_rules! handler {
    ($method:ident, |$this:pat_param, $request:pat_param| $body:block) => {
        pub(super) async fn $method(
            $this: ProviderService,
            $request: pb::$method::Request,
        ) -> pb::$method::Response $body
    };
}
pub(super) use handler;

// The RPCs of ephemeral resources, for the `served` table in `mod.rs`.
pub(super) use super::ephemeral::{
    close_ephemeral_resource, open_ephemeral_resource, renew_ephemeral_resource,
    validate_ephemeral_resource_config,
};

// GetMetadata: the type names of everything the provider offers.
handler!(get_metadata, |this, _request| {
    let shared = &this.shared;
    pb::get_metadata::Response {
        server_capabilities: Some(capabilities()),
        diagnostics: vec![],
        data_sources: type_names(&shared.data_sources)
            .map(|type_name| pb::get_metadata::DataSourceMetadata { type_name })
            .collect(),
        resources: type_names(&shared.resources)
            .map(|type_name| pb::get_metadata::ResourceMetadata { type_name })
            .collect(),
        functions: function::metadata(&shared.functions),
        list_resources: list::metadata(&shared.lists),
        ephemeral_resources: type_names(&shared.ephemeral_resources)
            .map(|type_name| pb::get_metadata::EphemeralMetadata { type_name })
            .collect(),
        actions: type_names(&shared.actions)
            .map(|type_name| pb::get_metadata::ActionMetadata { type_name })
            .collect(),
    }
});

// GetProviderSchema: the schemas of the provider and of everything it offers.
handler!(get_provider_schema, |this, _request| {
    let shared = &this.shared;
    pb::get_provider_schema::Response {
        provider: Some(shared.provider_schema.to_proto()),
        resource_schemas: schemas(&shared.resources),
        data_source_schemas: schemas(&shared.data_sources),
        ephemeral_resource_schemas: schemas(&shared.ephemeral_resources),
        diagnostics: vec![],
        provider_meta: None,
        server_capabilities: Some(capabilities()),
        functions: function::definitions(&shared.functions),
        list_resource_schemas: list::schemas(&shared.lists),
        action_schemas: schemas(&shared.actions)
            .into_iter()
            .map(|(name, schema)| {
                (
                    name,
                    pb::ActionSchema {
                        schema: Some(schema),
                    },
                )
            })
            .collect(),
    }
});

pub(super) use super::function::{call_function, get_functions};
pub(super) use super::identity::{get_resource_identity_schemas, upgrade_resource_identity};
pub(super) use super::list::{
    generate_resource_config, list_resource, validate_list_resource_config,
};

// ValidateProviderConfig: the provider's own checks of its configuration.
handler!(validate_provider_config, |this, request| {
    let diagnostics = match this.provider_config(&request.config) {
        Ok(config) => {
            let block = &this.shared.provider_schema.block;
            let mut diagnostics = validate_block(block, &config, &Default::default());
            diagnostics.extend(this.shared.provider.validate_config(&config).await);
            diagnostics
        }
        Err(d) => d,
    };
    pb::validate_provider_config::Response::with_diagnostics(diagnostics)
});

// ValidateResourceConfig: the resource type's checks of a configuration.
handler!(validate_resource_config, |this, request| {
    let entry = this.resource(&request.type_name);
    let diagnostics = validate(entry, &request.config, |resource, config| {
        resource.validate(config)
    });
    pb::validate_resource_config::Response::with_diagnostics(diagnostics.await)
});

// ValidateDataResourceConfig: the data source type's checks of a configuration.
handler!(validate_data_resource_config, |this, request| {
    let entry = this.data_source(&request.type_name);
    let diagnostics = validate(entry, &request.config, |data_source, config| {
        data_source.validate(config)
    });
    pb::validate_data_resource_config::Response::with_diagnostics(diagnostics.await)
});

// UpgradeResourceState: stored JSON state read with the current schema, then upgraded.
handler!(upgrade_resource_state, |this, request| {
    pb::upgrade_resource_state::Response::from_result(this.upgrade(&request), |response, state| {
        response.upgraded_state = Some(state)
    })
});

// ConfigureProvider: the provider configured for the calls that follow.
handler!(configure_provider, |this, request| {
    let version = &request.terraform_version;
    let diagnostics = match this.provider_config(&request.config) {
        Ok(config) => this.shared.provider.configure(&config, version).await,
        Err(d) => d,
    };
    pb::configure_provider::Response::with_diagnostics(diagnostics)
});

// ReadResource: the state refreshed from the remote object (null when it is gone).
handler!(read_resource, |this, request| {
    let (new_state, private, new_identity, diagnostics) = match this.read(&request).await {
        Ok((state, private, identity)) => (Some(state), private, identity, Diagnostics::new()),
        Err((state, d)) => (state, request.private, request.current_identity, d),
    };
    pb::read_resource::Response {
        new_state,
        private,
        new_identity,
        ..pb::read_resource::Response::with_diagnostics(diagnostics)
    }
});

// PlanResourceChange: defaults, unknowns, the resource's adjustments and replacements.
handler!(plan_resource_change, |this, request| {
    let planned = this.plan(&request).await;
    pb::plan_resource_change::Response::from_result(
        planned,
        |response, (planned, replace, private, identity, warnings)| {
            response.planned_state = Some(planned);
            response.planned_identity = identity;
            response.requires_replace = replace.iter().map(path_to_proto).collect();
            response.planned_private = private;
            response.push_diagnostics(warnings);
        },
    )
});

// ApplyResourceChange: create, update or delete.
handler!(apply_resource_change, |this, request| {
    let (new_state, private, new_identity, diagnostics) = match this.apply(&request).await {
        Ok((state, private, identity, d)) => (Some(state), private, identity, d),
        // Keep whatever state Terraform had: nothing is lost on a failed apply.
        Err(d) => (
            request.prior_state,
            request.planned_private,
            request.planned_identity,
            d,
        ),
    };
    pb::apply_resource_change::Response {
        new_state,
        private,
        new_identity,
        ..pb::apply_resource_change::Response::with_diagnostics(diagnostics)
    }
});

// ImportResourceState: the state of an existing object, found by its import ID or identity.
handler!(import_resource_state, |this, request| {
    pb::import_resource_state::Response::from_result(
        this.import_object(&request).await,
        |response, (state, private, identity)| {
            response
                .imported_resources
                .push(pb::import_resource_state::ImportedResource {
                    type_name: request.type_name,
                    state: Some(state),
                    private,
                    identity,
                })
        },
    )
});

// ReadDataSource: the data source read with its configuration.
handler!(read_data_source, |this, request| {
    let read = async {
        let entry = this.data_source(&request.type_name)?;
        let config = decode(request.config.as_ref(), entry.ty(), "configuration")?;
        let state = entry.implementation.read(&config, &this.context()).await?;
        encode(state, entry.ty(), "data source result")
    };
    pb::read_data_source::Response::from_result(read.await, |response, state| {
        response.state = Some(state)
    })
});

// StopProvider: cancels the operations in flight; the server keeps serving.
handler!(stop_provider, |this, _request| {
    let mut guard = match this.shared.cancel.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    guard.cancel();
    // Later calls get a fresh token: StopProvider stops in-flight work, not the server.
    *guard = CancellationToken::new();
    crate::log_info!("StopProvider: cancelled in-flight operations");
    pb::stop_provider::Response::default()
});

/// The type names of `entries`, for GetMetadata.
fn type_names<T: ?Sized>(
    entries: &HashMap<&'static str, Entry<T>>,
) -> impl Iterator<Item = String> {
    entries.keys().map(|name| (*name).to_owned())
}

/// The schemas of `entries` by type name, for GetProviderSchema.
fn schemas<T: ?Sized>(entries: &HashMap<&'static str, Entry<T>>) -> HashMap<String, pb::Schema> {
    entries
        .iter()
        .map(|(name, entry)| ((*name).to_owned(), entry.schema().to_proto()))
        .collect()
}

/// A future borrowing what it is given, as `#[async_trait]` methods return.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// ValidateResourceConfig, ValidateDataResourceConfig and ValidateEphemeralResourceConfig
/// alike: `check` (the type's `validate`) on the configuration once the type is found and the
/// configuration decoded.
pub(super) async fn validate<T: ?Sized>(
    entry: Result<&Entry<T>, Diagnostics>,
    config: &Option<pb::DynamicValue>,
    check: impl for<'a> FnOnce(&'a T, &'a Value) -> BoxFuture<'a, Diagnostics>,
) -> Diagnostics {
    let entry = match entry {
        Ok(entry) => entry,
        Err(d) => return d,
    };
    match decode(config.as_ref(), entry.ty(), "configuration") {
        Ok(config) => {
            // The attributes' own validators first, then the type's rules across attributes.
            let mut diagnostics =
                validate_block(&entry.schema().block, &config, &Default::default());
            diagnostics.extend(check(&entry.implementation, &config).await);
            diagnostics
        }
        Err(d) => d,
    }
}

/// A plan's answer: the planned state, the paths forcing replacement, the planned private
/// state, the planned identity, and warnings.
type PlanResult = (
    pb::DynamicValue,
    Vec<AttributePath>,
    Vec<u8>,
    Option<pb::ResourceIdentityData>,
    Diagnostics,
);

/// A refresh's answer: the new state, its private state and its identity; on failure the
/// state to keep and why.
type ReadResult = Result<
    (pb::DynamicValue, Vec<u8>, Option<pb::ResourceIdentityData>),
    (Option<pb::DynamicValue>, Diagnostics),
>;

/// An apply's answer: the new state, its private state, its identity and the diagnostics.
type ApplyResult = Result<
    (
        pb::DynamicValue,
        Vec<u8>,
        Option<pb::ResourceIdentityData>,
        Diagnostics,
    ),
    Diagnostics,
>;

impl ProviderService {
    /// The provider configuration of a request, decoded.
    fn provider_config(&self, config: &Option<pb::DynamicValue>) -> Result<Value, Diagnostics> {
        let ty = &self.shared.provider_type;
        decode(config.as_ref(), ty, "provider configuration")
    }

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
        let state = value::decode_json_with_options(raw, entry.ty(), options).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Unreadable state",
                format!("The stored state does not match the schema: {e}"),
            ))
        })?;
        let upgraded = entry.implementation.upgrade_state(request.version, state)?;
        encode(upgraded, entry.ty(), "upgraded state")
    }

    async fn read(&self, request: &pb::read_resource::Request) -> ReadResult {
        let fail = |d: Diagnostics| (request.current_state.clone(), d);
        let entry = self.resource(&request.type_name).map_err(fail)?;
        let current =
            decode(request.current_state.as_ref(), entry.ty(), "current state").map_err(fail)?;
        if current.is_null() {
            let state = encode(Value::Null, entry.ty(), "state").map_err(fail)?;
            return Ok((state, Vec::new(), None));
        }
        let mut private = Private::from_bytes(&request.private);
        let refreshed = entry
            .implementation
            .read(&current, &mut private, &self.context())
            .await
            .map_err(fail)?;
        let state = refreshed.unwrap_or(Value::Null);
        if state.is_null() {
            crate::log_info!(
                tf_resource_type = request.type_name,
                "remote object no longer exists; removing it from state"
            );
        }
        let private = if state.is_null() {
            Vec::new()
        } else {
            private.to_bytes()
        };
        let type_name = &request.type_name;
        let stored = self
            .stored_identity(type_name, request.current_identity.as_ref())
            .map_err(fail)?;
        let identity = self
            .identity_of(type_name, &state, stored, "refresh")
            .map_err(fail)?;
        let state = encode(state, entry.ty(), "refreshed state").map_err(fail)?;
        Ok((state, private, identity))
    }

    async fn plan(
        &self,
        request: &pb::plan_resource_change::Request,
    ) -> Result<PlanResult, Diagnostics> {
        let entry = self.resource(&request.type_name)?;
        let prior = decode(request.prior_state.as_ref(), entry.ty(), "prior state")?;
        let proposed = decode(
            request.proposed_new_state.as_ref(),
            entry.ty(),
            "proposed state",
        )?;
        let config = decode(request.config.as_ref(), entry.ty(), "configuration")?;
        let type_name = &request.type_name;
        let prior_identity = self.stored_identity(type_name, request.prior_identity.as_ref())?;
        if proposed.is_null() {
            // Destroy: nothing to adjust; the object keeps its identity until it is gone.
            return Ok((
                encode(Value::Null, entry.ty(), "plan")?,
                vec![],
                request.prior_private.clone(),
                self.same_identity(type_name, prior_identity)?,
                Diagnostics::new(),
            ));
        }
        // An update keeps the object's identity (derived from the prior state when Terraform
        // holds none yet, as with `-refresh=false` on an older state); a create has none yet.
        let planned_identity = if prior.is_null() {
            None
        } else {
            self.identity_of(type_name, &prior, prior_identity, "plan")?
        };
        let mut plan = ResourcePlan {
            prior: (!prior.is_null()).then_some(prior),
            config,
            planned: proposed,
            requires_replace: Vec::new(),
            private: Private::from_bytes(&request.prior_private),
        };
        plan::plan_defaults_and_unknowns(&entry.schema().block, &mut plan);
        let diagnostics = entry
            .implementation
            .modify_plan(&mut plan, &self.context())
            .await;
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        // Models write lists where the schema has sets: fit the plan to the type first.
        plan.planned = model::conform(plan.planned, entry.ty());
        plan::plan_replacements(&entry.schema().block, &mut plan);
        let planned = encode_conformed(&plan.planned, entry.ty(), "planned state")?;
        Ok((
            planned,
            plan.requires_replace,
            plan.private.to_bytes(),
            planned_identity,
            diagnostics,
        ))
    }

    async fn apply(&self, request: &pb::apply_resource_change::Request) -> ApplyResult {
        let entry = self.resource(&request.type_name)?;
        let prior = decode(request.prior_state.as_ref(), entry.ty(), "prior state")?;
        let planned = decode(request.planned_state.as_ref(), entry.ty(), "planned state")?;
        let private = Private::from_bytes(&request.planned_private);
        let ctx = self.context();
        let resource = &entry.implementation;
        let applied = match (prior.is_null(), planned.is_null()) {
            (true, true) => Applied::ok(Value::Null),
            (true, false) => resource.create(&planned, &ctx).await,
            (false, true) => {
                let diagnostics = resource.delete(&prior, &private, &ctx).await;
                let state = if diagnostics.has_errors() {
                    Some(prior)
                } else {
                    None
                };
                Applied::failed(state, diagnostics)
            }
            (false, false) => resource.update(&prior, &planned, &private, &ctx).await,
        };
        let state = applied.state.unwrap_or(Value::Null);
        // No object, no private state; otherwise the new one, or the planned one kept.
        let private = match (&state, applied.private) {
            (Value::Null, _) => Vec::new(),
            (_, Some(private)) => private.to_bytes(),
            (_, None) => request.planned_private.clone(),
        };
        // The object's identity: the planned one (none on create) settled with the new state's.
        let type_name = &request.type_name;
        let mut diagnostics = applied.diagnostics;
        let planned_identity =
            self.stored_identity(type_name, request.planned_identity.as_ref())?;
        let identity = match self.identity_of(type_name, &state, planned_identity, "apply") {
            Ok(identity) => identity,
            Err(d) => {
                // Record the object anyway, under the identity the plan had.
                diagnostics.extend(d);
                request.planned_identity.clone()
            }
        };
        let encoded = encode(state, entry.ty(), "new state")?;
        Ok((encoded, private, identity, diagnostics))
    }
}
