//! Mutual TLS as go-plugin's AutoMTLS expects it: a fresh self-signed server certificate per
//! process (printed in the handshake line), and a client-certificate verifier that accepts
//! exactly the certificate Terraform passed in `PLUGIN_CLIENT_CERT` and checks that the client
//! holds its key. Uses the aws-lc-rs crypto provider, because Terraform's client certificate is
//! ECDSA P-521, which ring cannot verify.

mod certificate;

use std::sync::Arc;

use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, ServerConfig, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` held no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCert(String),
    /// The server certificate could not be generated.
    #[error("generating the server certificate: {0}")]
    Generate(#[from] certificate::CertificateError),
    /// rustls refused the configuration.
    #[error("configuring TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The server side of the plugin's mutual TLS.
pub struct PluginTls {
    /// The rustls configuration (ALPN h2, client certificate required).
    pub config: Arc<ServerConfig>,
    /// The server certificate in DER, for the handshake line.
    pub server_cert_der: Vec<u8>,
}

/// Parses the PEM certificate Terraform passes in `PLUGIN_CLIENT_CERT` (the first
/// `CERTIFICATE` block). The certificate is public, so a plain base64 decoder does: rustls's
/// PEM reader decodes in constant time, which took about 60 µs of every provider start.
pub fn parse_client_cert(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    use base64::Engine as _;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let missing = || TlsError::ClientCert("no CERTIFICATE block".to_owned());
    let start = pem.find(BEGIN).ok_or_else(missing)? + BEGIN.len();
    let length = pem[start..].find(END).ok_or_else(missing)?;
    let body: String = pem[start..start + length]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| TlsError::ClientCert(format!("bad base64: {e}")))?;
    Ok(CertificateDer::from(der))
}

/// Builds the server TLS configuration that only accepts `client_cert`.
pub fn server_config(client_cert: CertificateDer<'static>) -> Result<PluginTls, TlsError> {
    let provider = Arc::new(crypto_provider());
    let (server_cert, server_key) = generate_server_cert()?;
    let verifier = Arc::new(PinnedClientCert {
        pinned: client_cert,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        // TLS 1.3 only: Terraform's Go client has spoken it since Go 1.13, and the server's
        // TLS 1.2 code is then left out of the binary.
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server_cert.clone()], server_key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(PluginTls {
        config: Arc::new(config),
        server_cert_der: server_cert.to_vec(),
    })
}

/// A self-signed certificate for `localhost`, shaped as go-plugin generates its own (CA, cert
/// signing allowed), with an Ed25519 key: Terraform's Go TLS client accepts Ed25519 (Go 1.13
/// and later), and making, self-signing and using an Ed25519 key costs a fraction of a P-256
/// one, paid by every provider process Terraform starts.
fn generate_server_cert() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let identity = certificate::generate()?;
    let key = PrivateKeyDer::Pkcs8(identity.private_key.into());
    Ok((CertificateDer::from(identity.certificate), key))
}

/// Accepts exactly one client certificate, byte-equal to the pinned one. Standard WebPKI
/// verification does not fit: Terraform's certificate is a self-signed CA used as an end entity.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if !intermediates.is_empty() {
            return Err(rustls::Error::General(
                "expected exactly one client certificate".to_owned(),
            ));
        }
        if end_entity.as_ref() != self.pinned.as_ref() {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ));
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The crypto provider used for the plugin's TLS (aws-lc-rs).
pub fn crypto_provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_certificate_is_read_from_its_pem_block() {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let cert = params.self_signed(&key).expect("certificate");
        // As Terraform passes it, and with CRLF line ends and text around the block.
        let crlf = format!("comment\r\n{}\r\n", cert.pem().replace('\n', "\r\n"));
        for pem in [cert.pem(), crlf] {
            let parsed = parse_client_cert(&pem).expect("parses");
            assert_eq!(parsed.as_ref(), cert.der().as_ref());
        }
    }

    #[test]
    fn anything_but_a_certificate_block_is_refused() {
        for text in [
            "",
            "not pem",
            "-----BEGIN CERTIFICATE-----\nAAAA",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        ] {
            assert!(
                matches!(parse_client_cert(text), Err(TlsError::ClientCert(_))),
                "{text:?}"
            );
        }
    }
}
