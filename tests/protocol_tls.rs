//! The provider binary's start-up contract, tested from outside as Terraform sees it: the
//! magic-cookie refusal, the handshake line, and mutual TLS that accepts exactly the client
//! certificate passed in `PLUGIN_CLIENT_CERT`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-todo");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate like Terraform's: self-signed ECDSA P-521 / SHA-512, CA:TRUE.
struct ClientIdentity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    pem: String,
}

fn client_identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    ClientIdentity {
        cert: cert.der().clone(),
        key: PrivateKeyDer::try_from(key.serialize_der()).expect("key der"),
        pem: cert.pem(),
    }
}

/// A running provider process and what its handshake line said.
struct Plugin {
    child: Child,
    network: String,
    address: String,
    server_cert: Vec<u8>,
    startup: Duration,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client_pem: &str) -> Plugin {
    let started = Instant::now();
    let mut child = Command::new(BINARY)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_pem)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("handshake line");
    let startup = started.elapsed();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..2], ["1", "6"], "core and app protocol versions");
    assert_eq!(fields[4], "grpc");
    assert!(
        !fields[5].ends_with('='),
        "certificate must be unpadded base64"
    );
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("base64 certificate");
    Plugin {
        child,
        network: fields[2].to_owned(),
        address: fields[3].to_owned(),
        server_cert,
        startup,
    }
}

/// Trusts exactly the server certificate from the handshake line, as go-plugin does.
#[derive(Debug)]
struct PinnedServer(Vec<u8>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What happened when a client talked HTTP/2 to the plugin over TLS.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The server answered the HTTP/2 preface with a SETTINGS frame: the connection is usable.
    Accepted,
    /// The TLS handshake or the first read failed.
    Refused(String),
}

async fn talk_http2(plugin: &Plugin, identity: Option<&ClientIdentity>) -> Outcome {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(plugin.server_cert.clone())));
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert.clone()], id.key.clone_key())
            .expect("client cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from("localhost").expect("name");
    let result = async {
        let tcp: Box<dyn AsyncStream> = match plugin.network.as_str() {
            "unix" => Box::new(tokio::net::UnixStream::connect(&plugin.address).await?),
            _ => Box::new(tokio::net::TcpStream::connect(&plugin.address).await?),
        };
        let mut tls = connector.connect(name, tcp).await?;
        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        // HTTP/2 client preface, then an empty SETTINGS frame.
        tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await?;
        tls.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await?;
        tls.flush().await?;
        let mut header = [0u8; 9];
        tls.read_exact(&mut header).await?;
        Ok::<_, std::io::Error>((alpn, header))
    };
    match tokio::time::timeout(Duration::from_secs(10), result).await {
        Ok(Ok((alpn, header))) => {
            assert_eq!(alpn.as_deref(), Some(&b"h2"[..]), "ALPN must select h2");
            if header[3] == 4 {
                Outcome::Accepted
            } else {
                Outcome::Refused(format!("unexpected frame {header:?}"))
            }
        }
        Ok(Err(error)) => Outcome::Refused(error.to_string()),
        Err(_) => Outcome::Refused("timed out".into()),
    }
}

trait AsyncStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> AsyncStream for T {}

#[tokio::test]
async fn mutual_tls_accepts_exactly_the_pinned_client_certificate() {
    let terraform = client_identity();
    let plugin = start_plugin(&terraform.pem);
    assert_eq!(plugin.network, "unix", "a unix socket is preferred");
    eprintln!("process start to handshake line: {:?}", plugin.startup);

    let none = talk_http2(&plugin, None).await;
    eprintln!("no certificate: {none:?}");
    assert!(
        matches!(none, Outcome::Refused(_)),
        "no client certificate: {none:?}"
    );

    let stranger = client_identity();
    let other = talk_http2(&plugin, Some(&stranger)).await;
    eprintln!("another certificate: {other:?}");
    assert!(
        matches!(other, Outcome::Refused(_)),
        "another P-521 certificate: {other:?}"
    );

    assert_eq!(
        talk_http2(&plugin, Some(&terraform)).await,
        Outcome::Accepted
    );
    // Refused clients did not take the server down.
    assert_eq!(
        talk_http2(&plugin, Some(&terraform)).await,
        Outcome::Accepted
    );
}

#[test]
fn socket_directory_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let terraform = client_identity();
    let plugin = start_plugin(&terraform.pem);
    let dir = std::path::Path::new(&plugin.address)
        .parent()
        .expect("socket dir");
    let mode = std::fs::metadata(dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn run_by_hand_prints_a_human_message_and_exits_1() {
    let output = Command::new(BINARY)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run provider");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Terraform plugin"), "{stderr}");
    assert!(stderr.contains("terraform"), "{stderr}");
}

#[test]
fn protocol_5_only_is_refused_with_a_clear_error() {
    let output = Command::new(BINARY)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .expect("run provider");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no handshake line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("protocol 6"), "{stderr}");
}

#[test]
fn version_flag_prints_the_version() {
    let output = Command::new(BINARY).arg("--version").output().expect("run");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")), "{stdout}");
}

#[test]
fn debug_mode_prints_reattach_configuration() {
    let mut child = Command::new(BINARY)
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut found = None;
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            found = Some(rest.trim_end_matches('\'').to_owned());
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let json: serde_json::Value =
        serde_json::from_str(&found.expect("reattach line")).expect("json");
    let entry = &json["registry.terraform.io/todo/todo"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Addr"]["Network"], "unix");
    assert!(entry["Pid"].as_u64().is_some());
}
