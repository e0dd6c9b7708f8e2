//! The AWS clients built from a [`ProviderConfig`] in ConfigureProvider: one shared `SdkConfig`
//! (region, profile, credentials, the retry and time-out settings of [`super::limits`]) and the
//! ECR and ECS clients made from it, each with its endpoint override; the ECR client also sends
//! a false `scanOnPush` explicitly ([`ExplicitScanOnPush`]). The clients themselves are built
//! at their first use ([`LazyClient`]), and so are the default credentials
//! ([`DeferredCredentials`]).

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use aws_config::{BehaviorVersion, ConfigLoader};
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::plugin::{AttributePath, Diagnostic, Diagnostics};

use super::ProviderConfig;
use super::credentials::DeferredCredentials;
use super::https_client::DeferredHttpsClient;
use super::limits::DEFAULT_MAX_RETRIES;
use super::scan_on_push::ExplicitScanOnPush;

/// AWS clients and the settings resources need, built once per provider process.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// ECR.
    pub ecr: LazyClient<aws_sdk_ecr::Client>,
    /// ECS.
    pub ecs: LazyClient<aws_sdk_ecs::Client>,
    /// The region in use (for log configuration and repository URLs).
    pub region: String,
    /// The provider's default tags.
    pub default_tags: BTreeMap<String, String>,
}

/// Builds the AWS clients.
pub async fn build_clients(config: ProviderConfig) -> Result<AwsClients, Diagnostics> {
    let credentials = match &config.static_credentials {
        Some((access, secret)) => {
            SharedCredentialsProvider::new(aws_sdk_ecr::config::Credentials::new(
                access.clone(),
                secret.clone(),
                None,
                None,
                "terraform-provider-todo",
            ))
        }
        None => {
            let settings = config.clone();
            SharedCredentialsProvider::new(DeferredCredentials::new(move || loader(&settings)))
        }
    };
    let shared = loader(&config)
        .credentials_provider(credentials)
        .load()
        .await;
    let Some(region) = shared.region().map(ToString::to_string) else {
        return Err(Diagnostic::invalid(
            AttributePath::root("region"),
            "No AWS region",
            "Set region in the provider block, or AWS_REGION in the environment, or a region in \
             the AWS profile.",
        )
        .into());
    };
    let mut ecr = aws_sdk_ecr::config::Builder::from(&shared).interceptor(ExplicitScanOnPush);
    if let Some(url) = &config.ecr_endpoint {
        ecr = ecr.endpoint_url(url);
    }
    let mut ecs = aws_sdk_ecs::config::Builder::from(&shared);
    if let Some(url) = &config.ecs_endpoint {
        ecs = ecs.endpoint_url(url);
    }
    Ok(AwsClients {
        ecr: LazyClient::new(move || aws_sdk_ecr::Client::from_conf(ecr.clone().build())),
        ecs: LazyClient::new(move || aws_sdk_ecs::Client::from_conf(ecs.clone().build())),
        region,
        default_tags: config.default_tags,
    })
}

/// The configuration loader for the provider's settings: region, profile, retries, time
/// limits and the HTTPS client. Without static keys, the credentials come from this loader's
/// default chain, set up at their first use ([`DeferredCredentials`]).
fn loader(config: &ProviderConfig) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &config.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    let max_retries = config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
    loader
        .retry_config(config.retry_mode.retry_config(max_retries))
        .timeout_config(config.call_limits.timeout_config())
        .http_client(DeferredHttpsClient::shared())
}

/// An AWS client built the first time it is used, then shared by every clone. Building one
/// parses the SDK's endpoint partition table and compiles its region patterns, which was half
/// of ConfigureProvider's CPU; a plan that calls no AWS API (`-refresh=false`, or nothing but
/// creates to plan) never pays it. Dereferences to the client.
pub struct LazyClient<C> {
    client: Arc<OnceLock<C>>,
    build: Arc<dyn Fn() -> C + Send + Sync>,
}

impl<C> LazyClient<C> {
    /// A client `build` makes at the first use.
    pub fn new(build: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self {
            client: Arc::new(OnceLock::new()),
            build: Arc::new(build),
        }
    }

    /// Whether the client has been built.
    pub fn is_built(&self) -> bool {
        self.client.get().is_some()
    }
}

impl<C> Deref for LazyClient<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.client.get_or_init(|| (self.build)())
    }
}

impl<C> Clone for LazyClient<C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            build: self.build.clone(),
        }
    }
}

impl<C> std::fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.is_built())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_config::retry::RetryMode as SdkRetryMode;
    use aws_smithy_runtime_api::client::interceptors::Intercept;

    use super::*;
    use crate::provider::config::limits::{CallLimits, RetryMode};

    fn configured(
        limits: CallLimits,
        retry_mode: RetryMode,
        max_retries: Option<u32>,
    ) -> ProviderConfig {
        ProviderConfig {
            region: Some("eu-central-1".to_owned()),
            static_credentials: Some(("AKIA".to_owned(), "secret".to_owned())),
            max_retries,
            retry_mode,
            call_limits: limits,
            ecr_endpoint: Some("http://127.0.0.1:9".to_owned()),
            ecs_endpoint: Some("http://127.0.0.1:9".to_owned()),
            ..ProviderConfig::default()
        }
    }

    /// Both clients carry the time limits and the retry settings; only ECR the interceptor.
    #[tokio::test]
    async fn both_clients_are_bounded_and_retry_as_configured() {
        let limits = CallLimits {
            attempt: Duration::from_secs(7),
            operation: Duration::from_secs(70),
        };
        let clients = build_clients(configured(limits, RetryMode::Adaptive, Some(6)))
            .await
            .unwrap_or_else(|d| panic!("{:?}", d.iter().collect::<Vec<_>>()));
        assert_eq!(clients.region, "eu-central-1");
        let ecr = clients.ecr.config();
        let ecs = clients.ecs.config();
        for (timeouts, retries) in [
            (ecr.timeout_config(), ecr.retry_config()),
            (ecs.timeout_config(), ecs.retry_config()),
        ] {
            let timeouts = timeouts.unwrap_or_else(|| panic!("no time-out configuration"));
            assert_eq!(
                timeouts.operation_attempt_timeout(),
                Some(Duration::from_secs(7))
            );
            assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(70)));
            assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(5)));
            let retries = retries.unwrap_or_else(|| panic!("no retry configuration"));
            assert_eq!(retries.mode(), SdkRetryMode::Adaptive);
            assert_eq!(retries.max_attempts(), 7);
        }
        let interceptors = |names: Vec<&'static str>| names.contains(&"ExplicitScanOnPush");
        assert!(interceptors(ecr.interceptors().map(|i| i.name()).collect()));
        assert!(!interceptors(
            ecs.interceptors().map(|i| i.name()).collect()
        ));
    }

    #[tokio::test]
    async fn unset_settings_use_the_defaults() {
        let clients = build_clients(configured(
            CallLimits::default(),
            RetryMode::default(),
            None,
        ))
        .await
        .unwrap_or_else(|d| panic!("{:?}", d.iter().collect::<Vec<_>>()));
        let config = clients.ecs.config();
        let timeouts = config
            .timeout_config()
            .unwrap_or_else(|| panic!("no time-out configuration"));
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(120)));
        let retries = config
            .retry_config()
            .unwrap_or_else(|| panic!("no retry configuration"));
        assert_eq!(retries.mode(), SdkRetryMode::Standard);
        assert_eq!(retries.max_attempts(), 4);
    }

    #[test]
    fn a_lazy_client_is_built_once_at_its_first_use_and_shared_by_clones() {
        let builds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = builds.clone();
        let client = LazyClient::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 100
        });
        let clone = client.clone();
        assert!(!client.is_built());
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(*clone, 100);
        assert_eq!(*client, 100);
        assert!(client.is_built());
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
