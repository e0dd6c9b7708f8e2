//! The traits a provider implements: [`Provider`], [`Resource`] and [`DataSource`], in the shape
//! terraform-plugin-framework users know (Schema, ValidateConfig, Configure, ModifyPlan, Create,
//! Read, Update, Delete, ImportState), plus the per-call context that carries cancellation.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::diag::{AttributePath, Diagnostic, Diagnostics};
use super::identity::{IdentitySchema, unsupported_identity_version};
use super::model;
use super::private::Private;
use super::schema::Schema;
use super::value::Value;

/// What every call gets: the token that Terraform's StopProvider (Ctrl-C) cancels.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    cancel: CancellationToken,
}

impl CallContext {
    /// A context cancelled by the given token.
    pub fn new(cancel: CancellationToken) -> Self {
        Self { cancel }
    }

    /// A context that StopProvider never cancels: for the read that records what a finished
    /// write did (bounded by the SDK's time limits and the caller's own deadline).
    pub fn detached() -> Self {
        Self::default()
    }

    /// Whether Terraform asked the provider to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Runs `work` unless Terraform asks the provider to stop first, in which case the work is
    /// dropped and an error diagnostic explains why.
    pub async fn run<T, E>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, Cancelled<E>> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Cancelled::Stopped),
            result = work => result.map_err(Cancelled::Failed),
        }
    }

    /// Completes when Terraform asks the provider to stop.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }
}

/// The outcome of [`CallContext::run`] when the work did not succeed.
#[derive(Debug)]
pub enum Cancelled<E> {
    /// Terraform sent StopProvider while the work was in flight.
    Stopped,
    /// The work itself failed.
    Failed(E),
}

/// The diagnostic for work interrupted by StopProvider.
pub fn stopped_diagnostic() -> Diagnostic {
    Diagnostic::error(
        "Operation cancelled",
        "Terraform asked the provider to stop (for example after Ctrl-C) while this operation was \
         in flight. Run the command again to finish it.",
    )
}

/// A provider: its configuration schema, how it configures itself, and what it offers.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Checks a provider configuration that may still hold unknown values.
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Configures the provider (builds clients). Called once per process, before any CRUD call.
    async fn configure(&self, config: &Value, terraform_version: &str) -> Diagnostics;

    /// The managed resource types.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// The provider functions; none by default.
    fn functions(&self) -> Vec<Arc<dyn super::function::Function>> {
        Vec::new()
    }

    /// The ephemeral resource types; none by default.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn super::ephemeral::EphemeralResource>> {
        Vec::new()
    }

    /// The action types; none by default.
    fn actions(&self) -> Vec<Arc<dyn super::action::Action>> {
        Vec::new()
    }

    /// The list resource types (`list` blocks of `terraform query`); none by default.
    fn list_resources(&self) -> Vec<Arc<dyn super::list::ListResource>> {
        Vec::new()
    }
}

/// A planned change that a resource may adjust in [`Resource::modify_plan`].
#[derive(Debug, Clone)]
pub struct ResourcePlan {
    /// The prior state; `None` when the resource is being created.
    pub prior: Option<Value>,
    /// The configuration (may hold unknown values).
    pub config: Value,
    /// The planned new state. Attributes may differ from the configuration only where they are
    /// computed.
    pub planned: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    /// The private state: the prior one (none on create); what it holds after
    /// [`Resource::modify_plan`] is the planned private state that apply receives.
    pub private: Private,
}

impl ResourcePlan {
    /// Whether this plan creates the resource.
    pub fn is_create(&self) -> bool {
        self.prior.is_none()
    }

    /// A planned top-level attribute (null when absent).
    pub fn planned(&self, name: &str) -> &Value {
        self.planned.attr(name).unwrap_or(&NULL)
    }

    /// A configured top-level attribute (null when absent).
    pub fn config(&self, name: &str) -> &Value {
        self.config.attr(name).unwrap_or(&NULL)
    }

    /// A prior top-level attribute (null when absent or on create).
    pub fn prior(&self, name: &str) -> &Value {
        self.prior
            .as_ref()
            .and_then(|p| p.attr(name))
            .unwrap_or(&NULL)
    }

    /// Sets a planned top-level attribute.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Object(attributes) = &mut self.planned {
            attributes.set(name, value);
        }
    }

    /// Whether the planned value of an attribute differs from the prior one.
    pub fn changes(&self, name: &str) -> bool {
        self.planned(name) != self.prior(name)
    }

    /// The planned new state as a model (computed values the apply sets are unknown in it).
    pub fn planned_model<M: DeserializeOwned>(&self) -> Result<M, Diagnostics> {
        Ok(model::from_value(&self.planned)?)
    }

    /// The configuration as a model (it may hold unknown values).
    pub fn config_model<M: DeserializeOwned>(&self) -> Result<M, Diagnostics> {
        Ok(model::from_value(&self.config)?)
    }

    /// The prior state as a model; `None` when the resource is being created.
    pub fn prior_model<M: DeserializeOwned>(&self) -> Result<Option<M>, Diagnostics> {
        match &self.prior {
            Some(prior) => Ok(Some(model::from_value(prior)?)),
            None => Ok(None),
        }
    }

    /// Overwrites the planned attributes that `patch` (a model of some or all attributes)
    /// holds; the others keep their planned values.
    pub fn update_planned<M: Serialize + ?Sized>(&mut self, patch: &M) -> Result<(), Diagnostics> {
        Ok(model::patch(&mut self.planned, patch)?)
    }

    /// Marks an attribute as forcing replacement.
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

static NULL: Value = Value::Null;

/// The result of an apply step: the state to record (even on failure, so nothing that exists is
/// lost), the private state, and the diagnostics.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The new state; `None` when the remote object does not exist.
    pub state: Option<Value>,
    /// The new private state; `None` keeps the planned one (on create: none).
    pub private: Option<Private>,
    /// What went wrong, or warnings.
    pub diagnostics: Diagnostics,
}

impl Applied {
    /// A successful apply.
    pub fn ok(state: Value) -> Self {
        Self {
            state: Some(state),
            private: None,
            diagnostics: Diagnostics::new(),
        }
    }

    /// A failed apply that leaves `state` (the object as it now exists, or `None`).
    pub fn failed(state: Option<Value>, diagnostics: impl Into<Diagnostics>) -> Self {
        Self {
            state,
            private: None,
            diagnostics: diagnostics.into(),
        }
    }

    /// The same outcome with `private` as the new private state.
    pub fn with_private(mut self, private: Private) -> Self {
        self.private = Some(private);
        self
    }
}

/// A state built from an import ID, with the private state to record beside it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The imported state (Terraform then reads it).
    pub state: Value,
    /// The private state.
    pub private: Private,
}

impl From<Value> for Imported {
    fn from(state: Value) -> Self {
        Self {
            state,
            private: Private::default(),
        }
    }
}

/// Runs the rest of a create once the remote object exists (read-back, waits), so that whatever
/// happens in `rest` the object reaches the state. If `rest` panics, `created` (the state known
/// so far) is recorded with an error diagnostic: Terraform then taints the object instead of
/// forgetting it, and the next apply replaces or repairs it.
pub async fn after_create(created: Applied, rest: impl Future<Output = Applied>) -> Applied {
    match CatchUnwind(Box::pin(rest)).await {
        Ok(applied) => applied,
        Err(panic) => {
            let reason = panic_message(panic.as_ref());
            crate::log_error!(%reason, "panic after the remote object was created; recording it");
            let mut diagnostics = created.diagnostics;
            diagnostics.push(Diagnostic::error(
                "Provider error after create",
                format!(
                    "The object was created, then the provider failed ({reason}). It is recorded \
                     in the state as tainted: the next apply replaces it. Please report this bug."
                ),
            ));
            Applied {
                diagnostics,
                ..created
            }
        }
    }
}

/// A future whose panics are caught and returned as errors.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// What a panic said, when it said it as text.
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The error for state at a schema version a resource cannot upgrade from.
pub fn unsupported_state_version(type_name: &str, version: i64, current: i64) -> Diagnostics {
    Diagnostic::error(
        "Unsupported state version",
        format!(
            "{type_name} state is at schema version {version}; this provider reads versions up to \
             {current}. Use the provider version that wrote this state."
        ),
    )
    .into()
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The resource type name, such as `todo_ecr_repository`.
    fn type_name(&self) -> &'static str;

    /// The resource schema.
    fn schema(&self) -> Schema;

    /// Checks a configuration that may still hold unknown values (`terraform validate`).
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Upgrades state stored under an older schema version; `state` was decoded under the
    /// current schema's type. The default accepts the current version only.
    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        let current = self.schema().version;
        if version == current {
            Ok(state)
        } else {
            Err(unsupported_state_version(
                self.type_name(),
                version,
                current,
            ))
        }
    }

    /// Adjusts a plan after the shared planning rules ran (defaults, unknown computed values,
    /// replacement), for instance to compute derived attributes or check remote preconditions.
    async fn modify_plan(&self, _plan: &mut ResourcePlan, _ctx: &CallContext) -> Diagnostics {
        Diagnostics::new()
    }

    /// Creates the remote object.
    async fn create(&self, planned: &Value, ctx: &CallContext) -> Applied;

    /// Reads the remote object; `Ok(None)` when it no longer exists. `private` is its private
    /// state, which the read may update (the refreshed state's private state).
    async fn read(
        &self,
        state: &Value,
        private: &mut Private,
        ctx: &CallContext,
    ) -> Result<Option<Value>, Diagnostics>;

    /// Updates the remote object in place; `private` is the private state planned with it.
    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        private: &Private,
        ctx: &CallContext,
    ) -> Applied;

    /// Deletes the remote object; `private` is its private state.
    async fn delete(&self, prior: &Value, private: &Private, ctx: &CallContext) -> Diagnostics;

    /// Builds a state from an import ID; Terraform then calls `read`.
    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Imported, Diagnostics>;

    /// The identity schema; `None` (the default) for a type without resource identity.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object a state describes (an object of the identity schema's type,
    /// every attribute known); `Ok(None)` when it cannot be told yet (the provider's region is
    /// not known), in which case the identity Terraform holds is kept. The server keeps it
    /// stable against the stored one ([`settle`](super::identity::settle)).
    fn identity(&self, _state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(None)
    }

    /// Builds a state from an `import` block's `identity` (an object of the identity schema's
    /// type; attributes optional for import may be null); Terraform then calls `read`. The
    /// default refuses: the type has no identity.
    async fn import_by_identity(
        &self,
        _identity: &Value,
        _ctx: &CallContext,
    ) -> Result<Imported, Diagnostics> {
        Err(Diagnostic::error(
            "Import by identity not supported",
            format!(
                "{} cannot be imported by identity; import it by ID instead.",
                self.type_name()
            ),
        )
        .into())
    }

    /// Upgrades an identity stored at an older identity version; `identity` was decoded under
    /// the current identity type. The default accepts the current version only.
    fn upgrade_identity(&self, version: i64, identity: Value) -> Result<Value, Diagnostics> {
        let current = self.identity_schema().map_or(0, |schema| schema.version);
        if version == current {
            Ok(identity)
        } else {
            Err(unsupported_identity_version(
                self.type_name(),
                version,
                current,
            ))
        }
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The data source type name, such as `todo_ecr_image`.
    fn type_name(&self) -> &'static str;

    /// The data source schema.
    fn schema(&self) -> Schema;

    /// Checks a configuration that may still hold unknown values.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data.
    async fn read(&self, config: &Value, ctx: &CallContext) -> Result<Value, Diagnostics>;
}
