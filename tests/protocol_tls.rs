//! The provider binary's start-up contract and transport, tested from outside as Terraform
//! sees it: the magic-cookie refusal, the handshake line, mutual TLS that accepts exactly the
//! client certificate passed in `PLUGIN_CLIENT_CERT`, plaintext only ever on the private unix
//! socket (`TF_DISABLE_PLUGIN_TLS=1`), the TLS handshake time limit, and the accept loop's
//! back-off under EMFILE. Every provider started here gets a private `TMPDIR`.

#[allow(dead_code)]
#[path = "support/process.rs"]
mod process;

use std::io::{BufRead, BufReader, Read as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use terraform_provider_todo::plugin::handshake::TLS_HANDSHAKE_TIMEOUT;
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

/// A running provider process, what its handshake line said, and its log (stderr lines).
struct Plugin {
    child: Child,
    network: String,
    address: String,
    server_cert: Vec<u8>,
    startup: Duration,
    log: Arc<Mutex<Vec<String>>>,
    /// The process's private TMPDIR: whatever it leaves behind goes with it.
    tmpdir: tempfile::TempDir,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Plugin {
    /// The log lines so far that contain `text`.
    fn log_lines_with(&self, text: &str) -> Vec<String> {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        log.iter().filter(|l| l.contains(text)).cloned().collect()
    }
}

/// The provider as Terraform starts it: see [`configure`].
fn plugin_command(client_pem: Option<&str>, tmpdir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    configure(&mut command, client_pem, tmpdir);
    command
}

/// The environment Terraform gives the provider, with TLS when `client_pem` is given (else as
/// with `TF_DISABLE_PLUGIN_TLS=1`), logging at WARN, in the private temporary directory
/// `tmpdir`.
fn configure(command: &mut Command, client_pem: Option<&str>, tmpdir: &Path) {
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("TMPDIR", tmpdir)
        .env("TF_LOG", "WARN")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("PLUGIN_CLIENT_CERT");
    if let Some(pem) = client_pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
}

fn start_plugin(client_pem: &str) -> Plugin {
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let command = plugin_command(Some(client_pem), tmpdir.path());
    start(command, tmpdir)
}

/// Starts `command` (in `tmpdir`) and reads its handshake line.
fn start(mut command: Command, tmpdir: tempfile::TempDir) -> Plugin {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start provider");
    let log = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            sink.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(line);
        }
    });
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
        log,
        tmpdir,
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
        let mut tls = connector.connect(name, connect(plugin).await?).await?;
        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        let header = http2_first_frame(&mut tls).await?;
        Ok::<_, std::io::Error>((alpn, header))
    };
    match tokio::time::timeout(Duration::from_secs(10), result).await {
        Ok(Ok((alpn, header))) => {
            assert_eq!(alpn.as_deref(), Some(&b"h2"[..]), "ALPN must select h2");
            settings_outcome(header)
        }
        Ok(Err(error)) => Outcome::Refused(error.to_string()),
        Err(_) => Outcome::Refused("timed out".into()),
    }
}

/// HTTP/2 without TLS, as Terraform talks with `TF_DISABLE_PLUGIN_TLS=1`.
async fn talk_plaintext_http2(plugin: &Plugin) -> Outcome {
    let result = async {
        let mut stream = connect(plugin).await?;
        http2_first_frame(&mut stream).await
    };
    match tokio::time::timeout(Duration::from_secs(10), result).await {
        Ok(Ok(header)) => settings_outcome(header),
        Ok(Err(error)) => Outcome::Refused(error.to_string()),
        Err(_) => Outcome::Refused("timed out".into()),
    }
}

/// A connection to the address in the plugin's handshake line.
async fn connect(plugin: &Plugin) -> std::io::Result<Box<dyn AsyncStream>> {
    Ok(match plugin.network.as_str() {
        "unix" => Box::new(tokio::net::UnixStream::connect(&plugin.address).await?),
        _ => Box::new(tokio::net::TcpStream::connect(&plugin.address).await?),
    })
}

/// Sends the HTTP/2 client preface and an empty SETTINGS frame; the header of the server's
/// first frame.
async fn http2_first_frame(stream: &mut (impl AsyncStream + ?Sized)) -> std::io::Result<[u8; 9]> {
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await?;
    stream.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await?;
    stream.flush().await?;
    let mut header = [0u8; 9];
    stream.read_exact(&mut header).await?;
    Ok(header)
}

/// A server that answers with SETTINGS speaks HTTP/2: the connection is usable.
fn settings_outcome(header: [u8; 9]) -> Outcome {
    if header[3] == 4 {
        Outcome::Accepted
    } else {
        Outcome::Refused(format!("unexpected frame {header:?}"))
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
fn the_socket_is_owner_only() {
    let terraform = client_identity();
    let plugin = start_plugin(&terraform.pem);
    assert_eq!(plugin.network, "unix");
    assert_owner_only_socket(&plugin);
}

/// The socket sits directly in the provider's TMPDIR, owner-only (0600): on Linux, connecting
/// needs write permission on the socket file.
fn assert_owner_only_socket(plugin: &Plugin) {
    use std::os::unix::fs::FileTypeExt as _;
    let socket = Path::new(&plugin.address);
    assert_eq!(socket.parent(), Some(plugin.tmpdir.path()));
    let meta = std::fs::symlink_metadata(socket).expect("socket");
    assert!(meta.file_type().is_socket(), "{meta:?}");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
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
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let mut child = Command::new(BINARY)
        .arg("--debug")
        .env("TMPDIR", tmpdir.path())
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
    // Ctrl-C stops a debug-mode provider, and the socket goes with it.
    let interrupted = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(interrupted.success());
    let status = process::wait_timeout(&mut child, Duration::from_secs(5));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    assert_eq!(entries(tmpdir.path()), Vec::<String>::new());
    let json: serde_json::Value =
        serde_json::from_str(&found.expect("reattach line")).expect("json");
    let entry = &json["registry.terraform.io/todo/todo"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Addr"]["Network"], "unix");
    assert!(entry["Pid"].as_u64().is_some());
}

/// The log line of an accept error (`src/plugin/handshake/accept.rs`).
const ACCEPT_FAILED: &str = "accepting a plugin connection failed";

/// Polls `condition` every 20 ms for at most `bound`; whether it became true.
fn eventually(bound: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A folder under `base` whose path is too long for a unix socket in a folder inside it
/// (`sun_path` holds 107 bytes).
fn too_long_for_a_socket(base: &Path) -> PathBuf {
    let path = base.join("d".repeat(110));
    std::fs::create_dir(&path).expect("long folder");
    path
}

/// What is left in `dir`.
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// CPU time (user + system) of `pid` so far, in clock ticks (USER_HZ, 100 a second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after_name = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5), counted from the state (field 3) at index 0.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

#[tokio::test]
async fn a_silent_client_is_dropped_at_the_handshake_limit_while_others_are_served() {
    let terraform = client_identity();
    let plugin = start_plugin(&terraform.pem);
    let connected = Instant::now();
    let mut silent = tokio::net::UnixStream::connect(&plugin.address)
        .await
        .expect("silent client");
    // Meanwhile real clients are served as usual.
    for _ in 0..3 {
        assert_eq!(
            talk_http2(&plugin, Some(&terraform)).await,
            Outcome::Accepted
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let closed = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT + Duration::from_secs(5), async {
        let mut buf = [0u8; 64];
        loop {
            match silent.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    let waited = connected.elapsed();
    eprintln!("silent client closed after {waited:?}");
    assert!(closed.is_ok(), "the silent client was never dropped");
    assert!(
        waited >= TLS_HANDSHAKE_TIMEOUT - Duration::from_millis(100),
        "dropped after {waited:?}, before the limit"
    );
    assert!(
        waited <= TLS_HANDSHAKE_TIMEOUT + Duration::from_secs(3),
        "dropped after {waited:?}"
    );
    assert!(eventually(Duration::from_secs(2), || {
        !plugin
            .log_lines_with("did not complete its TLS handshake")
            .is_empty()
    }));
}

/// With a low RLIMIT_NOFILE and more clients than descriptors, every accept fails with
/// EMFILE while the listener stays readable: the loop must pause, not spin, and serve again
/// once descriptors are free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_errors_back_off_instead_of_spinning() {
    const LIMIT: usize = 64;
    let terraform = client_identity();
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {LIMIT} && exec \"$0\""))
        .arg(BINARY);
    configure(&mut command, Some(&terraform.pem), tmpdir.path());
    let plugin = start(command, tmpdir);
    let pid = plugin.child.id();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .count();
    assert!(open < LIMIT, "{open} descriptors open at start");
    let clients: Vec<std::os::unix::net::UnixStream> = (0..LIMIT - open + 16)
        .map(|_| std::os::unix::net::UnixStream::connect(&plugin.address).expect("connect"))
        .collect();
    assert!(
        eventually(Duration::from_secs(5), || !plugin
            .log_lines_with(ACCEPT_FAILED)
            .is_empty()),
        "no accept error logged: {:?}",
        plugin.log_lines_with("")
    );
    let lines_before = plugin.log_lines_with(ACCEPT_FAILED).len();
    let ticks_before = cpu_ticks(pid);
    let window = Duration::from_secs(3);
    std::thread::sleep(window);
    let failures = plugin.log_lines_with(ACCEPT_FAILED).len() - lines_before;
    let ticks = cpu_ticks(pid) - ticks_before;
    eprintln!("in {window:?} of EMFILE: {failures} accept errors logged, {ticks} CPU ticks");
    // Pauses of 10 ms doubling to 1 s: at most 7 attempts to reach 1 s, then one a second.
    assert!(failures <= 12, "{failures} accept errors in {window:?}");
    assert!(
        ticks < 50,
        "{ticks} CPU ticks in {window:?}: the accept loop spins"
    );

    // Once descriptors are free again, Terraform's connection is served.
    drop(clients);
    assert_eq!(
        talk_http2(&plugin, Some(&terraform)).await,
        Outcome::Accepted
    );
}

#[tokio::test]
async fn with_tls_an_unusable_unix_socket_falls_back_to_tcp_on_loopback() {
    let terraform = client_identity();
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let long = too_long_for_a_socket(tmpdir.path());
    let plugin = start(plugin_command(Some(&terraform.pem), &long), tmpdir);
    assert_eq!(plugin.network, "tcp");
    assert!(
        plugin.address.starts_with("127.0.0.1:"),
        "{}",
        plugin.address
    );
    assert!(
        matches!(talk_http2(&plugin, None).await, Outcome::Refused(_)),
        "mutual TLS guards the TCP port"
    );
    assert_eq!(
        talk_http2(&plugin, Some(&terraform)).await,
        Outcome::Accepted
    );
    assert_eq!(
        entries(&long),
        Vec::<String>::new(),
        "the socket is removed"
    );
}

#[tokio::test]
async fn without_tls_only_the_private_unix_socket_serves_plaintext_with_a_warning() {
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let plugin = start(plugin_command(None, tmpdir.path()), tmpdir);
    assert_eq!(plugin.network, "unix");
    assert!(plugin.server_cert.is_empty(), "no certificate without TLS");
    assert_owner_only_socket(&plugin);
    assert_eq!(talk_plaintext_http2(&plugin).await, Outcome::Accepted);
    assert_eq!(
        process::listening_addrs(plugin.child.id()),
        Vec::new(),
        "no TCP listener"
    );
    assert!(
        eventually(Duration::from_secs(2), || {
            plugin
                .log_lines_with("TLS is off")
                .iter()
                .any(|line| line.contains(r#""@level":"warn""#))
        }),
        "a warning in the log: {:?}",
        plugin.log_lines_with("")
    );
}

#[test]
fn without_tls_an_unusable_unix_socket_is_a_clear_exit_never_a_tcp_listener() {
    let base = tempfile::tempdir().expect("temporary directory");
    let long = too_long_for_a_socket(base.path());
    let missing = base.path().join("missing");
    for tmpdir in [&long, &missing] {
        let mut child = plugin_command(None, tmpdir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start provider");
        let Some(status) = process::wait_timeout(&mut child, Duration::from_secs(10)) else {
            let listening = process::listening_addrs(child.id());
            let _ = child.kill();
            let _ = child.wait();
            panic!("TMPDIR={tmpdir:?}: still running, listening on {listening:?}");
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        let _ = child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut stdout);
        let _ = child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr);
        assert_eq!(status.code(), Some(1), "TMPDIR={tmpdir:?}: {stderr}");
        assert_eq!(stdout, "", "no handshake line, so no listener to reach");
        for words in [
            "cannot make the private unix socket",
            "never plaintext on TCP",
            "TMPDIR",
        ] {
            assert!(stderr.contains(words), "{words:?} missing from {stderr}");
        }
    }
    assert_eq!(
        entries(&long),
        Vec::<String>::new(),
        "the socket is removed"
    );
}

/// The server's SETTINGS (identifier, value), read after the client preface.
async fn http2_server_settings(
    stream: &mut (impl AsyncStream + ?Sized),
) -> std::io::Result<Vec<(u16, u32)>> {
    let header = http2_first_frame(stream).await?;
    assert_eq!(header[3], 4, "the first frame is SETTINGS: {header:?}");
    let length =
        usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await?;
    Ok(payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect())
}

#[tokio::test]
async fn the_server_sets_no_limit_on_concurrent_calls() {
    // SETTINGS_MAX_CONCURRENT_STREAMS (0x3) absent: Terraform may send as many calls at once
    // as its -parallelism allows.
    let tmpdir = tempfile::tempdir().expect("temporary directory");
    let plugin = start(plugin_command(None, tmpdir.path()), tmpdir);
    let settings = tokio::time::timeout(Duration::from_secs(10), async {
        let mut stream = connect(&plugin).await?;
        http2_server_settings(&mut stream).await
    })
    .await
    .expect("the server answers in time")
    .expect("the server's SETTINGS");
    assert!(
        settings.iter().all(|(id, _)| *id != 0x3),
        "no concurrency limit: {settings:?}"
    );
}
