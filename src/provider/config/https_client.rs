//! The HTTPS client the AWS clients share, built when the first request needs it.
//!
//! The SDK's default client builds its connector while a client is being constructed, so that
//! the operating system's root certificates are read then (`rustls-native-certs` reads and
//! parses every file of the certificate folder: about a tenth of the CPU a provider process
//! spends in a `terraform plan -refresh=false`, which never calls AWS). [`DeferredHttpsClient`]
//! is the same client, made the same way (rustls with aws-lc, proxies from the environment, the
//! SDK's connector settings and sleep), whose first request pays for it instead.

use std::sync::OnceLock;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// An HTTPS client made on first use; see the module documentation.
#[derive(Debug, Default)]
pub struct DeferredHttpsClient {
    client: OnceLock<SharedHttpClient>,
}

impl DeferredHttpsClient {
    /// A client that builds nothing until a request is sent.
    pub fn shared() -> SharedHttpClient {
        SharedHttpClient::new(Self::default())
    }

    /// The client, made on the first call.
    fn client(&self) -> &SharedHttpClient {
        self.client.get_or_init(https_client)
    }
}

impl HttpClient for DeferredHttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.client().http_connector(settings, components)
    }

    // `validate_base_client_config` keeps the trait's default (nothing to check): the
    // SDK's client builds its connector there, which is what this type defers.

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        // The same as the client it defers to reports, without building it.
        Some(ConnectorMetadata::new("hyper", Some("1.x".into())))
    }
}

/// The SDK's default HTTPS client for `BehaviorVersion::latest()`: hyper 1 with rustls on
/// aws-lc, and the proxy settings of the environment (`HTTPS_PROXY`, `NO_PROXY`, …).
fn https_client() -> SharedHttpClient {
    crate::log_debug!("building the HTTPS client for the first AWS request");
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_built_before_the_first_request() {
        let deferred = DeferredHttpsClient::default();
        let metadata = deferred.connector_metadata();
        assert!(metadata.is_some());
        assert!(deferred.client.get().is_none());
    }
}
