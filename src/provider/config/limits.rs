//! How long, and how often, one AWS call may be tried: the provider block's `attempt_timeout`,
//! `operation_timeout`, `max_retries` and `retry_mode`, their defaults and rules, and the
//! aws-config [`TimeoutConfig`] and [`RetryConfig`] made of them. Both clients (ECR and ECS)
//! are built from one shared `SdkConfig` that carries these, so every call of the provider is
//! bounded: a hung endpoint ends in a time-out error instead of blocking an RPC forever.
//!
//! An *attempt* is one HTTP exchange; the *operation* is the whole call, retries and the
//! backoff between them included. An attempt that times out is retried like a throttled one
//! (the SDK classifies it as transient); when the operation's limit is reached the call fails.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use serde::Deserialize;

use crate::plugin::validator::parse_duration;
use crate::plugin::{AttributePath, Diagnostic, Known, Validator};

/// The longest one attempt (one HTTP exchange) may take when `attempt_timeout` is unset. ECS
/// and ECR control-plane calls answer in well under a second; 30 s is far beyond a slow answer
/// and still ends a hung connection soon enough to retry it.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest a whole call, retries and their backoff included, may take when
/// `operation_timeout` is unset. A throttled call with the default 3 retries waits at most
/// about 1 + 2 + 4 s between attempts (the standard mode's jittered exponential backoff), so
/// 2 min leaves room for throttling and for a hung attempt or two, and still bounds every call.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// The longest a connection (TCP and TLS) may take to open. A regional endpoint opens in well
/// under a second; a connection that times out is retried as a transient error. Never longer
/// than the attempt.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The shortest `attempt_timeout` or `operation_timeout` accepted.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);

/// The longest `attempt_timeout` or `operation_timeout` accepted.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// Retries after the first attempt when `max_retries` is unset.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// The time limits of every AWS call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// The longest one attempt may take.
    pub attempt: Duration,
    /// The longest the whole call may take, retries included.
    pub operation: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            attempt: DEFAULT_ATTEMPT_TIMEOUT,
            operation: DEFAULT_OPERATION_TIMEOUT,
        }
    }
}

impl CallLimits {
    /// The limits from the settings. An unset one takes its default, fitted to the other so
    /// that an attempt never outlasts its operation: `operation_timeout = "10s"` alone makes
    /// attempts 10 s long at most, `attempt_timeout = "5m"` alone makes operations 5 min long
    /// at least. Both set, they are used as they are (validation refuses attempt > operation).
    pub fn from_settings(attempt: Option<Duration>, operation: Option<Duration>) -> Self {
        match (attempt, operation) {
            (Some(attempt), Some(operation)) => Self { attempt, operation },
            (Some(attempt), None) => Self {
                attempt,
                operation: DEFAULT_OPERATION_TIMEOUT.max(attempt),
            },
            (None, Some(operation)) => Self {
                attempt: DEFAULT_ATTEMPT_TIMEOUT.min(operation),
                operation,
            },
            (None, None) => Self::default(),
        }
    }

    /// The SDK's time-out configuration of these limits. The read time-out (waiting for the
    /// answer's head) is the attempt's, so that the HTTP layer ends a silent endpoint itself.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(self.attempt))
            .read_timeout(self.attempt)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// How the SDK spaces retries: `retry_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    /// Jittered exponential backoff, with a retry quota shared by the client.
    #[default]
    Standard,
    /// Standard, plus a client-side rate limiter that slows every call down after throttling.
    Adaptive,
}

impl RetryMode {
    /// The values `retry_mode` accepts, as the configuration spells them.
    pub const NAMES: &'static [&'static str] = &["standard", "adaptive"];

    /// The SDK's retry configuration: this mode, with `max_retries` retries after the first
    /// attempt.
    pub fn retry_config(self, max_retries: u32) -> RetryConfig {
        let config = match self {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        };
        config.with_max_attempts(max_retries.saturating_add(1))
    }
}

/// The bounds of a time-out setting, checked after [`Validator::Duration`] (an unreadable
/// duration is that validator's error, not this one's).
pub fn timeout_bounds() -> Validator {
    Validator::custom(
        "At least `1s` and at most `1h`.",
        |text| match parse_duration(text) {
            Some(duration) if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&duration) => Err(format!(
                "{text:?} is outside the allowed range, from 1s to 1h."
            )),
            _ => Ok(()),
        },
    )
}

/// The error when both time-outs are set and the attempt's is longer than the operation's
/// (an attempt cannot outlast the call it is part of); `None` when either is unset, unknown or
/// unreadable (the schema's validators report that).
pub fn attempt_longer_than_operation(
    attempt: &Known<String>,
    operation: &Known<String>,
) -> Option<Diagnostic> {
    let attempt_text = attempt.as_ref()?;
    let operation_text = operation.as_ref()?;
    let (attempt, operation) = (
        parse_duration(attempt_text)?,
        parse_duration(operation_text)?,
    );
    (attempt > operation).then(|| {
        Diagnostic::invalid(
            AttributePath::root("attempt_timeout"),
            "Invalid attempt_timeout",
            format!(
                "attempt_timeout ({attempt_text}) is longer than operation_timeout \
                 ({operation_text}): one attempt cannot outlast the whole call. Make \
                 attempt_timeout shorter or operation_timeout longer."
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use aws_config::retry::RetryMode as SdkRetryMode;

    use super::*;
    use crate::plugin::Value;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn defaults_bound_attempts_and_operations() {
        let limits = CallLimits::from_settings(None, None);
        assert_eq!(limits, CallLimits::default());
        assert_eq!(limits.attempt, secs(30));
        assert_eq!(limits.operation, secs(120));
        let config = limits.timeout_config();
        assert_eq!(config.operation_attempt_timeout(), Some(secs(30)));
        assert_eq!(config.operation_timeout(), Some(secs(120)));
        assert_eq!(config.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(config.read_timeout(), Some(secs(30)));
    }

    #[test]
    fn an_unset_limit_fits_the_one_set() {
        assert_eq!(
            CallLimits::from_settings(Some(secs(300)), None),
            CallLimits {
                attempt: secs(300),
                operation: secs(300)
            }
        );
        assert_eq!(
            CallLimits::from_settings(Some(secs(10)), None),
            CallLimits {
                attempt: secs(10),
                operation: DEFAULT_OPERATION_TIMEOUT
            }
        );
        assert_eq!(
            CallLimits::from_settings(None, Some(secs(10))),
            CallLimits {
                attempt: secs(10),
                operation: secs(10)
            }
        );
        assert_eq!(
            CallLimits::from_settings(None, Some(secs(600))),
            CallLimits {
                attempt: DEFAULT_ATTEMPT_TIMEOUT,
                operation: secs(600)
            }
        );
        assert_eq!(
            CallLimits::from_settings(Some(secs(40)), Some(secs(50))),
            CallLimits {
                attempt: secs(40),
                operation: secs(50)
            }
        );
    }

    #[test]
    fn the_connect_timeout_never_outlasts_the_attempt() {
        let config = CallLimits::from_settings(Some(secs(2)), None).timeout_config();
        assert_eq!(config.connect_timeout(), Some(secs(2)));
        assert_eq!(config.read_timeout(), Some(secs(2)));
        assert_eq!(config.operation_attempt_timeout(), Some(secs(2)));
    }

    #[test]
    fn retry_modes_carry_max_retries() {
        let standard = RetryMode::Standard.retry_config(3);
        assert_eq!(standard.mode(), SdkRetryMode::Standard);
        assert_eq!(standard.max_attempts(), 4);
        let adaptive = RetryMode::Adaptive.retry_config(0);
        assert_eq!(adaptive.mode(), SdkRetryMode::Adaptive);
        assert_eq!(adaptive.max_attempts(), 1);
        assert_eq!(RetryMode::default(), RetryMode::Standard);
        assert_eq!(
            RetryMode::Standard.retry_config(u32::MAX).max_attempts(),
            u32::MAX
        );
    }

    #[test]
    fn timeouts_outside_one_second_to_one_hour_are_refused() {
        let bounds = timeout_bounds();
        let errors = |text: &str| bounds.check(&Value::String(text.to_owned()));
        for good in ["1s", "30s", "2m", "1h", "59m60s"] {
            assert!(errors(good).is_empty(), "{good}: {:?}", errors(good));
        }
        for bad in ["0s", "0m", "1h1s", "2h", "99999999h"] {
            let found = errors(bad);
            assert_eq!(found.len(), 1, "{bad}");
            assert!(found[0].1.contains("from 1s to 1h"), "{bad}: {found:?}");
        }
        // An unreadable duration is Validator::Duration's error only.
        assert!(errors("soon").is_empty());
    }

    #[test]
    fn an_attempt_longer_than_its_operation_is_refused() {
        let known = |text: &str| Known::Value(text.to_owned());
        let error = attempt_longer_than_operation(&known("3m"), &known("2m"))
            .unwrap_or_else(|| panic!("3m > 2m passed"));
        assert_eq!(error.summary, "Invalid attempt_timeout");
        assert!(error.detail.contains("(3m)") && error.detail.contains("(2m)"));
        assert_eq!(error.path, Some(AttributePath::root("attempt_timeout")));

        for (attempt, operation) in [
            (known("2m"), known("2m")),
            (known("30s"), known("1h")),
            (known("120s"), known("2m")),
            (Known::Unknown, known("1s")),
            (known("1h"), Known::Unknown),
            (Known::Null, known("1s")),
            (known("1h"), Known::Null),
            (known("soon"), known("1s")),
        ] {
            assert!(
                attempt_longer_than_operation(&attempt, &operation).is_none(),
                "{attempt:?} {operation:?}"
            );
        }
    }
}
