//! The provider-function RPCs: GetFunctions (and the `functions` of GetProviderSchema and
//! GetMetadata) describe each [`Function`]; CallFunction decodes the arguments with the
//! parameters' types, runs it, and answers the result or a [`pb::FunctionError`] naming the
//! argument at fault.

use std::collections::HashMap;
use std::sync::Arc;

use super::super::diag::Diagnostics;
use super::super::function::{Function, FunctionError, Signature};
use super::super::value::Value;
use super::convert::{decode, encode};
use super::{DiagnosticsField, ProviderService, pb};

/// The provider's functions by name.
pub(super) type Functions = HashMap<&'static str, Arc<dyn Function>>;

/// The functions of a provider, by name.
pub(super) fn by_name(functions: Vec<Arc<dyn Function>>) -> Functions {
    functions.into_iter().map(|f| (f.name(), f)).collect()
}

/// A signature as Terraform reads it. Null and unknown arguments are refused by Terraform
/// itself (unknown ones make the result unknown without a call).
fn to_proto(signature: &Signature) -> pb::Function {
    let parameters = signature
        .parameters
        .iter()
        .map(|p| pb::function::Parameter {
            name: p.name.to_owned(),
            r#type: p.ty.to_json(),
            allow_null_value: false,
            allow_unknown_values: false,
            description: p.description.to_owned(),
            description_kind: pb::StringKind::Markdown as i32,
        })
        .collect();
    pb::Function {
        parameters,
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: signature.returns.to_json(),
        }),
        summary: signature.summary.to_owned(),
        description: signature.description.to_owned(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

/// Every function's definition, for GetFunctions and GetProviderSchema.
pub(super) fn definitions(functions: &Functions) -> HashMap<String, pb::Function> {
    functions
        .iter()
        .map(|(name, f)| ((*name).to_owned(), to_proto(&f.signature())))
        .collect()
}

/// The function names, for GetMetadata.
pub(super) fn metadata(functions: &Functions) -> Vec<pb::get_metadata::FunctionMetadata> {
    functions
        .keys()
        .map(|name| pb::get_metadata::FunctionMetadata {
            name: (*name).to_owned(),
        })
        .collect()
}

/// A failure as the protocol carries it.
fn error_to_proto(error: FunctionError) -> pb::FunctionError {
    pb::FunctionError {
        text: error.message,
        function_argument: error.argument.and_then(|i| i64::try_from(i).ok()),
    }
}

/// Where CallFunction keeps its one error: the diagnostics' texts joined.
impl DiagnosticsField for Option<pb::FunctionError> {
    fn add_diagnostics(&mut self, diagnostics: Diagnostics) {
        *self = Some(pb::FunctionError {
            text: diagnostics.joined(),
            function_argument: None,
        });
    }
}

/// GetFunctions: every function's definition.
pub(super) async fn get_functions(
    this: ProviderService,
    _request: pb::get_functions::Request,
) -> pb::get_functions::Response {
    pb::get_functions::Response {
        functions: definitions(&this.shared.functions),
        diagnostics: vec![],
    }
}

/// CallFunction: the function run on the decoded arguments.
pub(super) async fn call_function(
    this: ProviderService,
    request: pb::call_function::Request,
) -> pb::call_function::Response {
    let outcome = call(&this.shared.functions, &request);
    match outcome {
        Ok(result) => pb::call_function::Response {
            result: Some(result),
            error: None,
        },
        Err(error) => pb::call_function::Response {
            result: None,
            error: Some(error_to_proto(error)),
        },
    }
}

/// Decodes the arguments, runs the function and encodes its result.
fn call(
    functions: &Functions,
    request: &pb::call_function::Request,
) -> Result<pb::DynamicValue, FunctionError> {
    let name = request.name.as_str();
    let function = functions.get(name).ok_or_else(|| FunctionError {
        message: format!("This provider has no function {name:?}."),
        argument: None,
    })?;
    let signature = function.signature();
    if request.arguments.len() != signature.parameters.len() {
        return Err(FunctionError {
            message: format!(
                "{name} takes {} arguments, not {}.",
                signature.parameters.len(),
                request.arguments.len()
            ),
            argument: None,
        });
    }
    let mut arguments = Vec::with_capacity(request.arguments.len());
    for (index, (raw, parameter)) in request
        .arguments
        .iter()
        .zip(&signature.parameters)
        .enumerate()
    {
        let what = format!("argument {:?}", parameter.name);
        let value = decode(Some(raw), &parameter.ty, &what).map_err(|d| FunctionError {
            message: d.joined(),
            argument: Some(index),
        })?;
        if value.is_null() || !value.is_wholly_known() {
            return Err(FunctionError {
                message: format!("{what} must be a known, non-null value."),
                argument: Some(index),
            });
        }
        arguments.push(value);
    }
    let result: Value = function.call(&arguments)?;
    encode(result, &signature.returns, "function result").map_err(|d| FunctionError {
        message: d.joined(),
        argument: None,
    })
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use tonic::Request;

    use super::super::super::function::Parameter;
    use super::super::super::resource::{DataSource, Provider, Resource};
    use super::super::super::schema::{Block, Schema};
    use super::super::super::value::{self, Type};
    use super::super::ProviderRpc as _;
    use super::*;

    /// `repeat(text, times)`: `text` repeated; fails on a negative count.
    struct Repeat;

    impl Function for Repeat {
        fn name(&self) -> &'static str {
            "repeat"
        }
        fn signature(&self) -> Signature {
            Signature {
                summary: "Repeats a text.",
                description: "Repeats `text` `times` times.",
                parameters: vec![
                    Parameter {
                        name: "text",
                        ty: Type::String,
                        description: "The text.",
                    },
                    Parameter {
                        name: "times",
                        ty: Type::Number,
                        description: "How often.",
                    },
                ],
                returns: Type::String,
            }
        }
        fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
            let text = arguments[0].as_str().unwrap_or_default();
            match usize::try_from(arguments[1].as_i64().unwrap_or(-1)) {
                Ok(times) => Ok(Value::from(text.repeat(times))),
                Err(_) => Err(FunctionError {
                    message: "times must not be negative".into(),
                    argument: Some(1),
                }),
            }
        }
    }

    struct WithFunction;

    #[async_trait]
    impl Provider for WithFunction {
        fn schema(&self) -> Schema {
            Schema::new(Block::new("provider"))
        }
        async fn configure(&self, _config: &Value, _version: &str) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            vec![]
        }
        fn functions(&self) -> Vec<Arc<dyn Function>> {
            vec![Arc::new(Repeat)]
        }
    }

    fn argument(value: Value, ty: &Type) -> pb::DynamicValue {
        pb::DynamicValue {
            msgpack: value::encode_msgpack(&value, ty).unwrap(),
            json: vec![],
        }
    }

    async fn call_repeat(times: i64) -> pb::call_function::Response {
        let service = ProviderService::new(Arc::new(WithFunction));
        let request = pb::call_function::Request {
            name: "repeat".into(),
            arguments: vec![
                argument(Value::from("ab"), &Type::String),
                argument(Value::from(times), &Type::Number),
            ],
        };
        service
            .call_function(Request::new(request))
            .await
            .unwrap()
            .into_inner()
    }

    #[tokio::test]
    async fn functions_are_described_in_every_listing() {
        let service = ProviderService::new(Arc::new(WithFunction));
        let listed = service
            .get_functions(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        let repeat = &listed.functions["repeat"];
        assert_eq!(repeat.parameters.len(), 2);
        assert_eq!(repeat.parameters[1].r#type, b"\"number\"");
        assert_eq!(repeat.r#return.as_ref().unwrap().r#type, b"\"string\"");
        let schema = service
            .get_provider_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(schema.functions.contains_key("repeat"));
        let metadata = service
            .get_metadata(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(metadata.functions[0].name, "repeat");
    }

    #[tokio::test]
    async fn a_call_answers_the_result_or_the_argument_at_fault() {
        let ok = call_repeat(3).await;
        assert!(ok.error.is_none(), "{:?}", ok.error);
        let result = value::decode_msgpack(&ok.result.unwrap().msgpack, &Type::String).unwrap();
        assert_eq!(result.as_str(), Some("ababab"));

        let failed = call_repeat(-1).await;
        let error = failed.error.expect("an error");
        assert_eq!(error.text, "times must not be negative");
        assert_eq!(error.function_argument, Some(1));
        assert!(failed.result.is_none());
    }
}
