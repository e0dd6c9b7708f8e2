//! The action RPCs: ValidateActionConfig and PlanAction (the attributes' validators, then the
//! action's own checks), and InvokeAction, which streams the invocation's progress messages as
//! they are sent and ends with exactly one Completed event carrying its diagnostics.
//!
//! An invocation runs in its own task: a panic inside becomes an error diagnostic in the
//! Completed event, never a broken stream. StopProvider, or Terraform closing the stream,
//! cancels the invocation's [`CallContext`]; the action then ends its wait and says so.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::super::action::{Action, Progress};
use super::super::diag::{Diagnostic, Diagnostics};
use super::super::resource::{CallContext, panic_message};
use super::super::validator::validate_block;
use super::super::value::Value;
use super::convert::{decode, diagnostic_to_proto};
use super::{Entry, EventStream, ProviderService, WithDiagnostics, lookup, pb};

/// An action type with its schema.
pub(super) type ActionEntry = Entry<dyn Action>;

/// What InvokeAction streams: events, in order.
type EventSender = mpsc::UnboundedSender<Result<pb::invoke_action::Event, Status>>;

impl ProviderService {
    fn action(&self, type_name: &str) -> Result<&ActionEntry, Diagnostics> {
        lookup(&self.shared.actions, "action", type_name)
    }

    /// The action of `type_name` and its configuration, decoded.
    fn action_config(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Result<(&ActionEntry, Value), Diagnostics> {
        let entry = self.action(type_name)?;
        let config = decode(config, entry.ty(), "action configuration")?;
        Ok((entry, config))
    }
}

/// ValidateActionConfig: the attributes' validators, then the action's checks across them.
pub(super) async fn validate_action_config(
    this: ProviderService,
    request: pb::validate_action_config::Request,
) -> pb::validate_action_config::Response {
    let diagnostics = match this.action_config(&request.type_name, request.config.as_ref()) {
        Ok((entry, config)) => {
            let mut diagnostics =
                validate_block(&entry.schema().block, &config, &Default::default());
            diagnostics.extend(entry.implementation.validate(&config).await);
            diagnostics
        }
        Err(d) => d,
    };
    pb::validate_action_config::Response::with_diagnostics(diagnostics)
}

/// PlanAction: the validators again (values unknown at validate may be known now), then the
/// action's plan. Never deferred: Terraform 1.15 refuses deferred actions (it disables
/// deferral for every action trigger, and accepts it only for an unknown provider
/// configuration), and an action needs its provider only when it runs.
pub(super) async fn plan_action(
    this: ProviderService,
    request: pb::plan_action::Request,
) -> pb::plan_action::Response {
    let diagnostics = match this.action_config(&request.action_type, request.config.as_ref()) {
        Ok((entry, config)) => {
            let mut diagnostics =
                validate_block(&entry.schema().block, &config, &Default::default());
            if !diagnostics.has_errors() {
                let ctx = this.context();
                diagnostics.extend(entry.implementation.plan(&config, &ctx).await);
            }
            diagnostics
        }
        Err(d) => d,
    };
    pb::plan_action::Response::with_diagnostics(diagnostics)
}

/// InvokeAction: the invocation's events, streamed while it runs (see the module docs).
pub(super) fn invoke_action(
    this: ProviderService,
    request: pb::invoke_action::Request,
) -> EventStream<pb::invoke_action::Event> {
    let (events, stream) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let diagnostics = match this.action_config(&request.action_type, request.config.as_ref()) {
            Ok((entry, config)) => {
                let action = Arc::clone(&entry.implementation);
                invoke(action, config, this.context(), &events).await
            }
            Err(d) => d,
        };
        let failed = diagnostics.has_errors();
        let _ = events.send(Ok(completed(diagnostics)));
        crate::log_debug!(tf_rpc = "InvokeAction", failed, "served request");
    });
    Box::pin(UnboundedReceiverStream::new(stream))
}

/// Runs `action` in its own task, forwarding its progress messages to `events` as they come;
/// returns how it ended. `stop` is the context StopProvider cancels.
async fn invoke(
    action: Arc<dyn Action>,
    config: Value,
    stop: CallContext,
    events: &EventSender,
) -> Diagnostics {
    let cancel = CancellationToken::new();
    let ctx = CallContext::new(cancel.clone());
    let (progress, mut messages) = Progress::channel();
    let mut work = tokio::spawn(async move { action.invoke(&config, &progress, &ctx).await });
    let outcome = loop {
        tokio::select! {
            biased;
            Some(message) = messages.recv() => {
                let _ = events.send(Ok(progress_event(message)));
            }
            outcome = &mut work => break outcome,
            () = stop.cancelled(), if !cancel.is_cancelled() => {
                crate::log_info!("StopProvider: cancelling the action invocation");
                cancel.cancel();
            }
            () = events.closed(), if !cancel.is_cancelled() => {
                crate::log_info!("Terraform closed the InvokeAction stream: cancelling the action");
                cancel.cancel();
            }
        }
    };
    // Whatever the action sent before it returned goes out before the Completed event.
    while let Ok(message) = messages.try_recv() {
        let _ = events.send(Ok(progress_event(message)));
    }
    match outcome {
        Ok(diagnostics) => diagnostics,
        Err(error) => {
            let reason = if error.is_panic() {
                panic_message(error.into_panic().as_ref())
            } else {
                "the invocation was cancelled".to_owned()
            };
            crate::log_error!(tf_rpc = "InvokeAction", %reason, "action failed");
            Diagnostic::error(
                "Provider internal error",
                format!(
                    "The provider failed while running the action: {reason}. This is a bug in \
                     terraform-provider-todo; please report it with the command you ran. The \
                     progress messages above show how far it got."
                ),
            )
            .into()
        }
    }
}

/// A Progress event.
fn progress_event(message: String) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Progress, Type};
    pb::invoke_action::Event {
        r#type: Some(Type::Progress(Progress { message })),
    }
}

/// The Completed event that ends every invocation.
fn completed(diagnostics: Diagnostics) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Completed, Type};
    pb::invoke_action::Event {
        r#type: Some(Type::Completed(Completed {
            diagnostics: diagnostics.into_iter().map(diagnostic_to_proto).collect(),
        })),
    }
}

#[cfg(test)]
mod tests;
