//! Provider functions (`provider::<name>::<function>(...)` in HCL, Terraform 1.8+): what a
//! provider implements ([`Function`]) and the signature Terraform sees. The server lists them
//! in GetProviderSchema and GetFunctions and runs them in CallFunction; a function is pure (no
//! AWS call, no state), so it may run during validate, plan and apply alike.

use super::value::{Type, Value};

/// One parameter of a function.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name, shown in errors and docs.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// What it means (markdown).
    pub description: &'static str,
}

/// A function's signature and documentation.
#[derive(Debug, Clone)]
pub struct Signature {
    /// One line on what it returns.
    pub summary: &'static str,
    /// The longer description (markdown).
    pub description: &'static str,
    /// The parameters, in call order. Null and unknown arguments never reach
    /// [`Function::call`]: Terraform refuses null, and returns unknown itself for unknown.
    pub parameters: Vec<Parameter>,
    /// The type of the result.
    pub returns: Type,
}

/// Why a call failed: a message for the user, and the argument at fault (0-based), if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FunctionError {
    /// What is wrong and what to do.
    pub message: String,
    /// The argument at fault.
    pub argument: Option<usize>,
}

/// A provider function.
pub trait Function: Send + Sync + 'static {
    /// Its name, such as `image_uri`.
    fn name(&self) -> &'static str;

    /// Its signature.
    fn signature(&self) -> Signature;

    /// Runs it on known, non-null arguments of the signature's types.
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}
