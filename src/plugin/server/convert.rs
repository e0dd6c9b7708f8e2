//! Wire forms for the `tfplugin6.Provider` handlers: DynamicValues decoded to and encoded from
//! [`Value`]s, diagnostics and attribute paths converted to protobuf, and the server
//! capabilities this provider announces.

use super::super::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::super::model;
use super::super::value::{self, Type, Value};
use super::pb;

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
pub(super) fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
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

/// Encodes a value a provider built as msgpack for Terraform, after fitting it to the type
/// (models write lists where the schema has sets).
pub(super) fn encode(value: Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    encode_conformed(&model::conform(value, ty), ty, what)
}

/// Encodes a value that already fits its type as msgpack for Terraform.
pub(super) fn encode_conformed(
    value: &Value,
    ty: &Type,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostics> {
    value::encode_msgpack(value, ty)
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

/// What this server supports beyond the base protocol, announced in GetMetadata and
/// GetProviderSchema.
pub(super) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: true,
    }
}
