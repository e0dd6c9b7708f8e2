//! Errors from AWS calls, classified so that resources can react (not found, conflict) and
//! users get messages that say what to do, including for emulators that lack a service.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::plugin::resource::{Cancelled, stopped_diagnostic};
use crate::plugin::{AttributePath, CallContext, Diagnostic};

/// An AWS API call that failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// The service answered with an error code.
    #[error("{operation}: {code}: {message}")]
    Api {
        /// The operation, such as `ecr:CreateRepository`.
        operation: &'static str,
        /// The AWS error code, such as `RepositoryNotFoundException`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The endpoint does not offer the service (LocalStack's free core answers 501).
    #[error(
        "{operation}: the endpoint answered 501 Not Implemented ({message}). LocalStack's free \
         core does not include ECR or ECS; point AWS_ENDPOINT_URL (or the provider's endpoints \
         block) at LocalStack Pro, ministack or moto, or use real AWS."
    )]
    NotImplemented {
        /// The operation.
        operation: &'static str,
        /// What the endpoint said.
        message: String,
    },
    /// The request did not get an answer (connection refused, timeout, credentials).
    #[error("{operation}: {detail}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// What went wrong, with its causes.
        detail: String,
    },
}

impl AwsError {
    /// Classifies an SDK error.
    pub fn from_sdk<E, R>(
        operation: &'static str,
        error: aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HasStatus,
    {
        use aws_smithy_runtime_api::client::result::SdkError;
        let status = error.raw_response().map(HasStatus::status);
        let (code, message) = (
            error.code().map(str::to_owned),
            error.message().map(str::to_owned),
        );
        if status == Some(501) {
            return AwsError::NotImplemented {
                operation,
                message: message.unwrap_or_else(|| "not implemented".to_owned()),
            };
        }
        match (&error, code) {
            (SdkError::ServiceError(_), Some(code)) => AwsError::Api {
                operation,
                code,
                message: message.unwrap_or_default(),
            },
            _ => AwsError::Transport {
                operation,
                detail: error_chain(&error),
            },
        }
    }

    /// The AWS error code, if the service answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the error code is one of `codes`.
    pub fn is(&self, codes: &[&str]) -> bool {
        self.code().is_some_and(|code| codes.contains(&code))
    }

    /// An error diagnostic with a summary.
    pub fn diagnostic(&self, summary: &str) -> Diagnostic {
        Diagnostic::error(summary, self.to_string())
    }

    /// An error diagnostic tied to an attribute.
    pub fn diagnostic_at(&self, summary: &str, path: AttributePath) -> Diagnostic {
        self.diagnostic(summary).at(path)
    }
}

/// The HTTP status of a raw response.
pub trait HasStatus {
    /// The status code.
    fn status(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Runs an AWS call under the call context, naming the operation in errors.
pub async fn call<T, E, R>(
    ctx: &CallContext,
    operation: &'static str,
    work: impl Future<Output = Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>>,
) -> Result<T, CallError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HasStatus,
{
    match ctx.run(work).await {
        Ok(value) => Ok(value),
        Err(Cancelled::Stopped) => Err(CallError::Stopped),
        Err(Cancelled::Failed(error)) => Err(CallError::Aws(AwsError::from_sdk(operation, error))),
    }
}

/// An AWS call that failed or was cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Terraform sent StopProvider.
    #[error("cancelled by Terraform")]
    Stopped,
    /// The object is gone: AWS no longer reports it.
    #[error("{what} {name:?} no longer exists")]
    NotFound {
        /// What kind of object, such as `ECS cluster`.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The request could not be built from the configuration.
    #[error("building the {0} request: {1}")]
    Build(&'static str, String),
}

impl CallError {
    /// Whether the AWS error code is one of `codes`.
    pub fn is(&self, codes: &[&str]) -> bool {
        matches!(self, CallError::Aws(error) if error.is(codes))
    }

    /// An error diagnostic (or the cancellation diagnostic).
    pub fn diagnostic(&self, summary: &str) -> Diagnostic {
        match self {
            CallError::Stopped => stopped_diagnostic(),
            other => Diagnostic::error(summary, other.to_string()),
        }
    }
}
