//! Ephemeral resources (`ephemeral "<type>" "<name>" {}` in HCL, Terraform 1.10+): what a
//! provider implements ([`EphemeralResource`]) and what opening one answers ([`Opened`]).
//!
//! An ephemeral resource is opened in every plan and apply, its result is used while Terraform
//! runs (in provider blocks, provisioners, ephemeral locals and variables, write-only
//! arguments) and never written to the state or a plan file; Terraform closes it when nothing
//! needs it any more. The server serves ValidateEphemeralResourceConfig, OpenEphemeralResource,
//! RenewEphemeralResource and CloseEphemeralResource from this trait, and lists the types in
//! GetMetadata and GetProviderSchema.
//!
//! The contract follows terraform-plugin-framework's `ephemeral` package: Open gets the
//! configuration and answers the result, an optional time at which Terraform must call Renew,
//! and private data that Renew and Close get back. Terraform opens a resource only once its
//! configuration is wholly known; should a configuration with unknown values arrive anyway,
//! the server answers without calling [`EphemeralResource::open`], with the configuration and
//! every computed attribute it leaves unset unknown, as Terraform itself does for such
//! configurations.

use std::time::SystemTime;

use async_trait::async_trait;

use super::diag::Diagnostics;
use super::private::Private;
use super::resource::CallContext;
use super::schema::{AttributeMode, Block, Nesting, Schema};
use super::value::Value;

/// What opening an ephemeral resource gave.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The result: an object of the schema's type, the configured arguments as configured.
    pub result: Value,
    /// Data that [`EphemeralResource::renew`] and [`EphemeralResource::close`] get back. It
    /// travels to Terraform and back and is never stored, but it is no place for secrets all
    /// the same: keep what a renewal or close needs, such as a lease ID.
    pub private: Private,
    /// When Terraform must call [`EphemeralResource::renew`] (if it still uses the result by
    /// then); `None` for a result that needs no renewal.
    pub renew_at: Option<SystemTime>,
}

impl Opened {
    /// A result that needs no renewal and no private data.
    pub fn new(result: Value) -> Self {
        Self {
            result,
            private: Private::default(),
            renew_at: None,
        }
    }
}

/// What renewing an ephemeral resource gave.
#[derive(Debug, Clone, Default)]
pub struct Renewed {
    /// The private data for the next renewal or the close.
    pub private: Private,
    /// When to renew again; `None` for no further renewal.
    pub renew_at: Option<SystemTime>,
}

/// An ephemeral resource type.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    /// The type name, such as `todo_ecr_authorization_token`.
    fn type_name(&self) -> &'static str;

    /// The schema: arguments the configuration sets, computed attributes the result carries.
    fn schema(&self) -> Schema;

    /// Checks a configuration that may still hold unknown values, after the attributes' own
    /// validators ran.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Opens the resource for a wholly known configuration. `Ok(None)` means it cannot be
    /// opened yet because something it depends on is not known during this plan (such as the
    /// provider's own connection settings): the server then answers the configuration with its
    /// unset computed attributes unknown, and Terraform opens it again at apply.
    async fn open(&self, config: &Value, ctx: &CallContext) -> Result<Option<Opened>, Diagnostics>;

    /// Renews the resource before [`Opened::renew_at`]. The default renews nothing: it answers
    /// the same private data and no further renewal time.
    async fn renew(&self, private: &Private, _ctx: &CallContext) -> Result<Renewed, Diagnostics> {
        Ok(Renewed {
            private: private.clone(),
            renew_at: None,
        })
    }

    /// Releases what [`EphemeralResource::open`] acquired; by default nothing.
    async fn close(&self, _private: &Private, _ctx: &CallContext) -> Diagnostics {
        Diagnostics::new()
    }
}

/// The result of an ephemeral resource that cannot be opened yet: `config` (an object of
/// `block`'s type) with every computed attribute it leaves null unknown, in nested blocks too,
/// as Terraform plans a data source whose configuration is not known.
pub fn unknown_result(block: &Block, config: &Value) -> Value {
    let Value::Object(attributes) = config else {
        // A null or unknown block: all of it is unknown.
        return Value::unknown();
    };
    let mut result = attributes.clone();
    for attribute in &block.attributes {
        let computed = matches!(
            attribute.mode,
            AttributeMode::Computed | AttributeMode::OptionalComputed
        );
        let value = result.get_or_insert_with(&attribute.name, || Value::Null);
        if computed && value.is_null() {
            *value = Value::unknown();
        }
    }
    for nested in &block.blocks {
        let Some(value) = result.get_mut(&nested.name) else {
            continue;
        };
        *value = match (nested.nesting, &*value) {
            (Nesting::Single, Value::Object(_)) => unknown_result(&nested.block, value),
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .iter()
                    .map(|item| unknown_result(&nested.block, item))
                    .collect(),
            ),
            (Nesting::Set, Value::Set(items)) => Value::Set(
                items
                    .iter()
                    .map(|item| unknown_result(&nested.block, item))
                    .collect(),
            ),
            _ => continue,
        };
    }
    Value::Object(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::{Attribute, NestedBlock};
    use crate::plugin::value::Type;

    #[test]
    fn unknown_results_keep_the_configuration_and_leave_computed_values_unknown() {
        let block = Block::new("token")
            .attribute(Attribute::optional("registry", Type::String))
            .attribute(Attribute::optional_computed("region", Type::String))
            .attribute(Attribute::computed("secret", Type::String))
            .block(NestedBlock::list(
                "lease",
                Block::new("lease")
                    .attribute(Attribute::required("role", Type::String))
                    .attribute(Attribute::computed("id", Type::String)),
            ));
        let config = Value::object([
            ("registry", Value::unknown()),
            ("region", Value::from("eu-west-1")),
            ("secret", Value::Null),
            (
                "lease",
                Value::List(vec![Value::object([
                    ("role", Value::from("reader")),
                    ("id", Value::Null),
                ])]),
            ),
        ]);
        let result = unknown_result(&block, &config);
        let expected = Value::object([
            ("registry", Value::unknown()),
            ("region", Value::from("eu-west-1")),
            ("secret", Value::unknown()),
            (
                "lease",
                Value::List(vec![Value::object([
                    ("role", Value::from("reader")),
                    ("id", Value::unknown()),
                ])]),
            ),
        ]);
        assert_eq!(result, expected);
        // An optional argument left unset stays null: Terraform requires the configured value.
        let unset = Value::object([("registry", Value::Null)]);
        let result = unknown_result(&block, &unset);
        assert_eq!(result.attr("registry"), Some(&Value::Null));
        assert!(result.attr("region").is_some_and(Value::is_unknown));
        assert_eq!(unknown_result(&block, &Value::Null), Value::unknown());
    }
}
