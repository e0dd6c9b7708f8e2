//! The AWS credentials when the provider block sets no keys: the SDK's default chain
//! (environment, profile, web identity, SSO, container and instance metadata), set up when the
//! first AWS call asks for credentials instead of in ConfigureProvider ([`DeferredCredentials`]).
//!
//! Setting the chain up builds an STS client (which parses its endpoint partition table and
//! compiles its region patterns) and the instance-metadata clients: most of what
//! ConfigureProvider cost, and work that a plan calling no AWS API (`-refresh=false`, or only
//! creates to plan) never needs. The chain is the one `aws_config` would have built, from the
//! same settings, and credentials are still cached by the SDK's identity cache in front of it.

use std::fmt;

use aws_config::ConfigLoader;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, future as credentials_future,
};
use tokio::sync::OnceCell;

/// Makes the configuration loader whose default credentials chain is wanted.
type LoaderFactory = Box<dyn Fn() -> ConfigLoader + Send + Sync>;

/// The default credentials chain of a configuration loader, set up at its first use, once.
pub struct DeferredCredentials {
    loader: LoaderFactory,
    chain: OnceCell<Option<SharedCredentialsProvider>>,
}

impl DeferredCredentials {
    /// Credentials from the default chain of the loader `loader` makes (a loader with no
    /// credentials provider of its own).
    pub fn new(loader: impl Fn() -> ConfigLoader + Send + Sync + 'static) -> Self {
        Self {
            loader: Box::new(loader),
            chain: OnceCell::new(),
        }
    }

    /// Whether the chain has been set up.
    pub fn is_set_up(&self) -> bool {
        self.chain.initialized()
    }

    async fn chain(&self) -> Option<&SharedCredentialsProvider> {
        self.chain
            .get_or_init(|| async { (self.loader)().load().await.credentials_provider() })
            .await
            .as_ref()
    }
}

impl ProvideCredentials for DeferredCredentials {
    fn provide_credentials<'a>(&'a self) -> credentials_future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        credentials_future::ProvideCredentials::new(async move {
            match self.chain().await {
                Some(chain) => chain.provide_credentials().await,
                None => Err(CredentialsError::not_loaded(
                    "the AWS configuration has no credentials provider",
                )),
            }
        })
    }
}

impl fmt::Debug for DeferredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredCredentials")
            .field("set_up", &self.is_set_up())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_config::BehaviorVersion;
    use aws_credential_types::Credentials;

    use super::*;

    fn counted_loader(loads: Arc<AtomicUsize>) -> DeferredCredentials {
        DeferredCredentials::new(move || {
            loads.fetch_add(1, Ordering::SeqCst);
            aws_config::defaults(BehaviorVersion::latest())
                .region(aws_config::Region::new("eu-central-1"))
                .credentials_provider(Credentials::new(
                    "AKIDEFERRED",
                    "secret",
                    None,
                    None,
                    "test",
                ))
        })
    }

    #[tokio::test]
    async fn the_chain_is_set_up_at_the_first_request_once_and_answers_every_request() {
        let loads = Arc::new(AtomicUsize::new(0));
        let credentials = counted_loader(loads.clone());
        assert!(!credentials.is_set_up());
        assert_eq!(loads.load(Ordering::SeqCst), 0, "nothing before a request");
        for _ in 0..3 {
            let answered = credentials.provide_credentials().await;
            assert_eq!(
                answered.as_ref().map(|c| c.access_key_id()).ok(),
                Some("AKIDEFERRED"),
                "{answered:?}"
            );
        }
        assert!(credentials.is_set_up());
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_loader_without_credentials_is_an_error_not_a_panic() {
        let credentials = DeferredCredentials::new(|| {
            aws_config::defaults(BehaviorVersion::latest())
                .region(aws_config::Region::new("eu-central-1"))
                .no_credentials()
        });
        let answered = credentials.provide_credentials().await;
        assert!(
            matches!(answered, Err(CredentialsError::CredentialsNotLoaded(_))),
            "{answered:?}"
        );
    }
}
