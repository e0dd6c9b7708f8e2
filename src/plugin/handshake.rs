//! How a Terraform plugin process starts and stops (go-plugin's protocol): the magic-cookie
//! check, protocol negotiation, the listener (a unix socket in a private directory, or TCP on
//! loopback), the handshake line on stdout, mutual TLS on every connection, and a prompt exit
//! when Terraform calls `GRPCController.Shutdown`. `--debug` serves in reattach mode instead.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

use super::resource::Provider;
use super::server;
use super::tls;

/// The environment variable Terraform sets to prove it launched the plugin.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Its value for Terraform providers.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only plugin protocol version this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's core protocol version (the first field of the handshake line).
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Why the plugin could not serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Run by hand instead of by Terraform.
    #[error(
        "This binary is a Terraform plugin. These are not meant to be executed directly.\n\
         Run it through terraform: point a provider_installation dev_overrides block at it\n\
         (see .terraformrc.example), or start it with --debug and export the\n\
         TF_REATTACH_PROVIDERS line it prints."
    )]
    NotLaunchedByTerraform,
    /// Terraform offered no protocol version we speak.
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks only \
         protocol 6 (Terraform 1.0 and later). Upgrade Terraform."
    )]
    NoCommonProtocol {
        /// What Terraform offered.
        offered: String,
    },
    /// A port range or other setting was malformed.
    #[error("invalid plugin environment: {0}")]
    Environment(String),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Listening or writing the handshake failed.
    #[error("plugin I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Reattach mode: no cookie, no TLS; prints `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
    /// The provider's source address, such as `registry.terraform.io/todo/todo`.
    pub provider_address: String,
}

/// Serves `provider` until Terraform shuts it down (or, in debug mode, until SIGINT/SIGTERM).
pub async fn serve(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<(), ServeError> {
    if options.debug {
        return serve_debug(provider, &options).await;
    }
    let env = PluginEnv::from_env()?;
    let tls = match &env.client_cert_pem {
        Some(pem) => Some(tls::server_config(tls::parse_client_cert(pem)?)?),
        None => None,
    };
    let socket_dir = PrivateDir::create()?;
    let (listener, address) = match bind_unix(socket_dir.path()) {
        Ok(listener) => {
            let path = socket_dir.path().join("plugin.sock");
            (Listener::Unix(listener), format!("unix|{}", path.display()))
        }
        Err(error) => {
            tracing::debug!(%error, "unix socket unavailable; falling back to tcp");
            let listener = bind_tcp(env.min_port, env.max_port).await?;
            let addr = listener.local_addr()?;
            (Listener::Tcp(listener), format!("tcp|{addr}"))
        }
    };
    let cert = tls
        .as_ref()
        .map(|t| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&t.server_cert_der))
        .unwrap_or_default();
    // The handshake line must be the first and only thing on stdout.
    let line = format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{address}|grpc|{cert}\n");
    {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(line.as_bytes())?;
        stdout.flush()?;
    }
    tracing::debug!(address = %address, tls = tls.is_some(), "plugin handshake sent");

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    ignore_interrupts();
    spawn_terminate_watch(shutdown_tx.clone());
    let acceptor = tls.map(|t| TlsAcceptor::from(t.config));
    let incoming = spawn_accept_loop(listener, acceptor, shutdown_rx.clone());
    let result = server::run(provider, incoming, shutdown_tx, shutdown_rx).await;
    drop(socket_dir);
    result.map_err(ServeError::from)
}

/// Reattach mode for debuggers: serve plaintext on a unix socket and tell the user how to
/// point Terraform at it.
async fn serve_debug(
    provider: Arc<dyn Provider>,
    options: &ServeOptions,
) -> Result<(), ServeError> {
    let socket_dir = PrivateDir::create()?;
    let listener = bind_unix(socket_dir.path())?;
    let path = socket_dir.path().join("plugin.sock");
    let reattach = serde_json::json!({
        options.provider_address.clone(): {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "unix", "String": path.display().to_string() },
        }
    });
    println!("Provider started. To attach Terraform, set this in the shell that runs terraform:\n");
    println!("\tTF_REATTACH_PROVIDERS='{reattach}'\n");
    println!("Stop the provider with Ctrl-C.");
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let interrupt_tx = shutdown_tx.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = interrupt_tx.send(true);
        }
    });
    spawn_terminate_watch(shutdown_tx.clone());
    let incoming = spawn_accept_loop(Listener::Unix(listener), None, shutdown_rx.clone());
    let result = server::run(provider, incoming, shutdown_tx, shutdown_rx).await;
    drop(socket_dir);
    result.map_err(ServeError::from)
}

/// What Terraform tells the plugin through its environment.
#[derive(Debug)]
struct PluginEnv {
    client_cert_pem: Option<String>,
    min_port: u16,
    max_port: u16,
}

impl PluginEnv {
    fn from_env() -> Result<Self, ServeError> {
        if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(ServeError::NotLaunchedByTerraform);
        }
        let offered = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
        negotiate_protocol(&offered)?;
        let port = |name: &str, default: u16| -> Result<u16, ServeError> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse()
                    .map_err(|_| ServeError::Environment(format!("{name}={v:?} is not a port"))),
                _ => Ok(default),
            }
        };
        let client_cert_pem = std::env::var("PLUGIN_CLIENT_CERT")
            .ok()
            .filter(|pem| !pem.trim().is_empty());
        Ok(Self {
            client_cert_pem,
            min_port: port("PLUGIN_MIN_PORT", 10000)?,
            max_port: port("PLUGIN_MAX_PORT", 25000)?,
        })
    }
}

/// Picks protocol 6 from Terraform's offer (`5,6`, `6,5`, ...), read as a set.
pub fn negotiate_protocol(offered: &str) -> Result<u32, ServeError> {
    let versions: BTreeSet<u32> = offered
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    if versions.contains(&PROTOCOL_VERSION) {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(ServeError::NoCommonProtocol {
            offered: offered.to_owned(),
        })
    }
}

/// A 0700 temporary directory for the socket, removed on drop.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn create() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut last_error = None;
        for attempt in 0..16u32 {
            let name = format!(
                "terraform-provider-todo-{}-{:x}",
                std::process::id(),
                nanos.wrapping_add(attempt)
            );
            let path = base.join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no temporary directory")))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn bind_unix(dir: &Path) -> std::io::Result<UnixListener> {
    UnixListener::bind(dir.join("plugin.sock"))
}

async fn bind_tcp(min: u16, max: u16) -> Result<TcpListener, ServeError> {
    if min > max {
        return Err(ServeError::Environment(format!(
            "PLUGIN_MIN_PORT {min} is above PLUGIN_MAX_PORT {max}"
        )));
    }
    for port in min..=max {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return Ok(listener);
        }
    }
    Err(ServeError::Environment(format!(
        "no free port on 127.0.0.1 in {min}..={max}"
    )))
}

enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// Any accepted connection (unix or tcp, TLS or plaintext), as the gRPC server sees it.
pub struct PluginStream(Pin<Box<dyn Io>>);

trait Io: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> Io for T {}

impl AsyncRead for PluginStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

impl tonic::transport::server::Connected for PluginStream {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

/// The stream of accepted (and, with TLS, authenticated) connections.
pub type Incoming = ReceiverStream<std::io::Result<PluginStream>>;

/// Accepts connections until shutdown. Each TLS handshake runs in its own task, so a slow or
/// hostile client cannot hold up the others; refused handshakes are logged and dropped.
fn spawn_accept_loop(
    listener: Listener,
    acceptor: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) -> Incoming {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted: std::io::Result<Pin<Box<dyn Io>>> = tokio::select! {
                _ = shutdown.changed() => break,
                accepted = accept(&listener) => accepted,
            };
            let stream = match accepted {
                Ok(stream) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accepting a plugin connection failed");
                    continue;
                }
            };
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let stream = match acceptor {
                    None => PluginStream(stream),
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls) => PluginStream(Box::pin(tls)),
                        Err(error) => {
                            tracing::warn!(%error, "refused a plugin connection at the TLS layer");
                            return;
                        }
                    },
                };
                let _ = tx.send(Ok(stream)).await;
            });
        }
    });
    ReceiverStream::new(rx)
}

async fn accept(listener: &Listener) -> std::io::Result<Pin<Box<dyn Io>>> {
    match listener {
        Listener::Unix(listener) => {
            let (stream, _) = listener.accept().await?;
            Ok(Box::pin(stream))
        }
        Listener::Tcp(listener) => {
            let (stream, _) = listener.accept().await?;
            // serve_with_incoming bypasses tonic's own nodelay setting.
            stream.set_nodelay(true)?;
            Ok(Box::pin(stream))
        }
    }
}

/// Ctrl-C reaches the plugin too (same process group); Terraform handles it by sending
/// StopProvider, so the plugin itself must not die of SIGINT.
fn ignore_interrupts() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut interrupts) => {
            tokio::spawn(async move {
                while interrupts.recv().await.is_some() {
                    tracing::debug!("ignoring SIGINT; Terraform sends StopProvider");
                }
            });
        }
        Err(error) => tracing::warn!(%error, "cannot handle SIGINT"),
    }
}

/// SIGTERM shuts the server down gracefully (the socket directory is removed on the way out).
fn spawn_terminate_watch(shutdown: watch::Sender<bool>) {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::spawn(async move {
                if terminate.recv().await.is_some() {
                    tracing::debug!("SIGTERM: shutting down");
                    let _ = shutdown.send(true);
                }
            });
        }
        Err(error) => tracing::warn!(%error, "cannot handle SIGTERM"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_offers_are_read_as_a_set() {
        assert_eq!(negotiate_protocol("5,6").ok(), Some(6));
        assert_eq!(negotiate_protocol("6,5").ok(), Some(6));
        assert_eq!(negotiate_protocol(" 6 ").ok(), Some(6));
        let error = negotiate_protocol("4,5").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("protocol 6")));
        assert!(negotiate_protocol("").is_err());
    }

    #[test]
    fn private_directory_is_owner_only_and_removed() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = PrivateDir::create().expect("private directory");
        let path = dir.path().to_owned();
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o700));
        drop(dir);
        assert!(!path.exists());
    }
}
