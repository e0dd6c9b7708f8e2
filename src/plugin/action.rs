//! Actions (`action "<type>" "<name>" { config { ... } }` in HCL, Terraform 1.14+): operations
//! a user runs on demand (`terraform apply -invoke=action.<type>.<name>`) or that a resource's
//! `lifecycle { action_trigger { ... } }` runs before or after its create or update. An action
//! changes no state: it has a configuration schema, no attributes of its own to record.
//!
//! What a provider implements is [`Action`]; the server lists actions in GetMetadata and
//! GetProviderSchema and serves ValidateActionConfig, PlanAction and InvokeAction, streaming
//! the messages an invocation sends through [`Progress`] as they happen.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::diag::Diagnostics;
use super::resource::CallContext;
use super::schema::Schema;
use super::value::Value;

/// Where an invocation reports how it is getting on: each message reaches Terraform (which
/// shows it under the action's address) while the invocation goes on.
#[derive(Debug, Clone)]
pub struct Progress {
    messages: mpsc::UnboundedSender<String>,
}

impl Progress {
    /// A reporter whose messages arrive on `messages`, in order.
    pub fn new(messages: mpsc::UnboundedSender<String>) -> Self {
        Self { messages }
    }

    /// A reporter and the receiving end of its messages, for tests and for the server.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self::new(sender), receiver)
    }

    /// Reports `message`. A message sent after Terraform stopped listening is dropped: the
    /// invocation does not fail because nobody reads its progress any more.
    pub fn send(&self, message: impl Into<String>) {
        let message = message.into();
        crate::log_info!(%message, "action progress");
        let _ = self.messages.send(message);
    }
}

/// An action type, in the shape of terraform-plugin-framework's `action.Action` (Schema,
/// ValidateConfig, ModifyPlan, Invoke).
#[async_trait]
pub trait Action: Send + Sync + 'static {
    /// The action type name, such as `todo_fargate_service_redeploy`.
    fn type_name(&self) -> &'static str;

    /// The schema of the action's `config` block.
    fn schema(&self) -> Schema;

    /// Checks a configuration that may still hold unknown values (`terraform validate`),
    /// across attributes; the attributes' own validators have run already.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Checks a configuration before Terraform records the invocation in a plan. The
    /// configuration may still hold unknown values when a resource's `action_trigger` runs the
    /// action; the attributes' validators have run again on what is known now.
    async fn plan(&self, _config: &Value, _ctx: &CallContext) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs the action on a known configuration, reporting through `progress`; the
    /// diagnostics say how it ended. `ctx` is cancelled when Terraform asks the provider to
    /// stop or stops listening.
    async fn invoke(&self, config: &Value, progress: &Progress, ctx: &CallContext) -> Diagnostics;
}
