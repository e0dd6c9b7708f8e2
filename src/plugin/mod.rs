//! The plugin layer: everything Terraform's plugin protocol needs, and nothing about AWS.
//! A provider implements the traits in [`resource`] and calls [`handshake::serve`].

pub mod action;
pub mod diag;
pub mod docs;
pub mod ephemeral;
pub mod function;
pub mod handshake;
pub mod identity;
pub mod list;
pub mod logging;
pub mod model;
pub mod plan;
pub mod poll;
pub mod private;
pub mod proto;
pub mod resource;
pub mod schema;
pub mod server;
pub mod tls;
pub mod validator;
pub mod value;

pub use action::{Action, Progress};
pub use diag::{AttributePath, Diagnostic, Diagnostics};
pub use ephemeral::{EphemeralResource, Opened, Renewed};
pub use function::{Function, FunctionError, Parameter, Signature};
pub use identity::IdentitySchema;
pub use list::{ListResource, ListSink, Listed};
pub use model::{Known, ModelError};
pub use private::Private;
pub use resource::{
    Applied, CallContext, DataSource, Imported, Provider, Resource, ResourcePlan, after_create,
};
pub use schema::{Attribute, Block, NestedBlock, Schema};
pub use validator::Validator;
pub use value::{Attributes, Type, Value};
