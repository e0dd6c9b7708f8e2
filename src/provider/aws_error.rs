//! Errors from AWS calls, classified so that resources can react (not found, conflict), waits
//! can poll through transient failures (throttling, 5xx, time-outs), and users get messages
//! that say what to do, including for emulators that lack a service. [`call`] runs every AWS
//! call: reads stop when Terraform sends StopProvider, writes run to completion (bounded by
//! the SDK's time limits) so that their outcome is known and recorded.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::plugin::poll::ErrorKind;
use crate::plugin::resource::{Cancelled, stopped_diagnostic};
use crate::plugin::{AttributePath, CallContext, Diagnostic};

/// Error codes that mean "slow down" or "try again": AWS's throttling and server-side codes.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "ServerException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

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
        /// The HTTP status of the answer, when there was one.
        status: Option<u16>,
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
        /// Whether trying again may help: a time-out, a dropped connection or an unreadable
        /// answer, not a request that could not be built (such as missing credentials).
        transient: bool,
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
                status,
            },
            (SdkError::ServiceError(_), None) if status.is_some_and(|s| s >= 500) => {
                AwsError::Api {
                    operation,
                    code: format!("HTTP {}", status.unwrap_or_default()),
                    message: message.unwrap_or_default(),
                    status,
                }
            }
            _ => AwsError::Transport {
                operation,
                detail: error_chain(&error),
                transient: matches!(
                    error,
                    SdkError::TimeoutError(_)
                        | SdkError::DispatchFailure(_)
                        | SdkError::ResponseError(_)
                ),
            },
        }
    }

    /// Whether trying again later may succeed: throttling, a 5xx answer, a time-out or a
    /// dropped connection. Everything else (a 4xx answer, a request that cannot be built) is
    /// final.
    pub fn is_transient(&self) -> bool {
        match self {
            AwsError::Api { code, status, .. } => {
                TRANSIENT_CODES.contains(&code.as_str()) || status.is_some_and(|s| s >= 500)
            }
            AwsError::NotImplemented { .. } => false,
            AwsError::Transport { transient, .. } => *transient,
        }
    }

    /// Whether the request may have taken effect although it failed: no answer arrived, or
    /// the server failed. A 4xx answer means AWS refused it.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            AwsError::Api { status, .. } => status.is_none_or(|s| s >= 500),
            AwsError::NotImplemented { .. } => false,
            AwsError::Transport { transient, .. } => *transient,
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

/// Whether an operation such as `ecs:DescribeServices` only reads.
fn is_read(operation: &str) -> bool {
    let action = operation
        .split_once(':')
        .map_or(operation, |(_, action)| action);
    ["Describe", "List", "Get", "BatchGet"]
        .iter()
        .any(|verb| action.starts_with(verb))
}

/// Runs an AWS call, naming the operation in errors. A read stops when Terraform sends
/// StopProvider; a write runs to completion (the SDK's attempt and operation time limits
/// bound it), so that what it created or changed is known and reaches the state.
pub async fn call<T, E, R>(
    ctx: &CallContext,
    operation: &'static str,
    work: impl Future<Output = Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>>,
) -> Result<T, CallError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let result = if is_read(operation) {
        ctx.run(work).await
    } else {
        work.await.map_err(Cancelled::Failed)
    };
    match result {
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

    /// Whether a wait polls through this error (see [`AwsError::is_transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, CallError::Aws(error) if error.is_transient())
    }

    /// Whether a write that failed this way may still have taken effect.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, CallError::Aws(error) if error.outcome_unknown())
    }

    /// An error diagnostic (or the cancellation diagnostic).
    pub fn diagnostic(&self, summary: &str) -> Diagnostic {
        match self {
            CallError::Stopped => stopped_diagnostic(),
            other => Diagnostic::error(summary, other.to_string()),
        }
    }
}

/// The poller's classification of refresh errors for every wait on AWS: transient errors
/// (throttling, 5xx, time-outs) are polled through until the deadline; the rest end the wait.
pub fn classify(error: &CallError) -> ErrorKind {
    if error.is_transient() {
        ErrorKind::Transient
    } else {
        ErrorKind::Final
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: Option<u16>) -> CallError {
        CallError::Aws(AwsError::Api {
            operation: "ecs:DescribeServices",
            code: code.to_owned(),
            message: String::new(),
            status,
        })
    }

    #[test]
    fn throttling_and_server_errors_are_polled_through() {
        assert_eq!(
            classify(&api("ThrottlingException", Some(400))),
            ErrorKind::Transient
        );
        assert_eq!(
            classify(&api("ServerException", Some(500))),
            ErrorKind::Transient
        );
        assert_eq!(classify(&api("Whatever", Some(503))), ErrorKind::Transient);
        let timeout = CallError::Aws(AwsError::Transport {
            operation: "ecs:DescribeServices",
            detail: "timed out".into(),
            transient: true,
        });
        assert_eq!(classify(&timeout), ErrorKind::Transient);
    }

    #[test]
    fn refusals_and_unbuildable_requests_end_the_wait() {
        assert_eq!(
            classify(&api("AccessDeniedException", Some(400))),
            ErrorKind::Final
        );
        assert_eq!(
            classify(&api("ClusterNotFoundException", Some(400))),
            ErrorKind::Final
        );
        let no_credentials = CallError::Aws(AwsError::Transport {
            operation: "ecs:DescribeServices",
            detail: "no credentials".into(),
            transient: false,
        });
        assert_eq!(classify(&no_credentials), ErrorKind::Final);
        assert_eq!(classify(&CallError::Stopped), ErrorKind::Final);
        let gone = CallError::NotFound {
            what: "ECS service",
            name: "api".into(),
        };
        assert_eq!(classify(&gone), ErrorKind::Final);
    }

    #[test]
    fn only_answers_below_500_settle_a_write() {
        assert!(!api("InvalidParameterException", Some(400)).outcome_unknown());
        assert!(api("ServerException", Some(500)).outcome_unknown());
        assert!(api("ThrottlingException", None).outcome_unknown());
    }

    #[test]
    fn reads_are_told_from_writes_by_their_verb() {
        assert!(is_read("ecs:DescribeServices"));
        assert!(is_read("ecr:ListTagsForResource"));
        assert!(is_read("ecr:GetLifecyclePolicy"));
        assert!(is_read("ecr:BatchGetImage"));
        assert!(!is_read("ecs:CreateService"));
        assert!(!is_read("ecs:DeregisterTaskDefinition"));
        assert!(!is_read("ecr:PutImageScanningConfiguration"));
    }
}
