//! How a Terraform plugin process starts and stops (go-plugin's protocol): the magic-cookie
//! check, protocol negotiation, the listener, the handshake line on stdout, mutual TLS on
//! every connection, and a prompt, clean exit when Terraform calls `GRPCController.Shutdown`
//! or the process gets SIGTERM. `--debug` serves in reattach mode instead.
//!
//! Where the plugin listens:
//! - on a private unix socket in the temporary directory (owner-only; see `socket`), removed
//!   on every way out, whenever that socket can be made;
//! - with TLS (Terraform passed `PLUGIN_CLIENT_CERT`), on TCP 127.0.0.1 when it cannot: mutual
//!   TLS pinned to Terraform's certificate keeps other local users out, as with go-plugin;
//! - without TLS (`TF_DISABLE_PLUGIN_TLS=1`, used by test frameworks and behind
//!   TLS-intercepting antivirus), on the private unix socket only, with a warning in the log:
//!   if it cannot be made, the provider exits with a message saying why, and never serves
//!   plaintext on TCP, where any local user could reach it.
//!
//! The accept loop and its bounds are in `accept`; the signal handling in `signals`.

mod accept;
mod signals;
mod socket;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

pub use accept::{
    ACCEPT_BACKOFF_FIRST, ACCEPT_BACKOFF_MAX, AcceptBackoff, Incoming, PluginStream,
    TLS_HANDSHAKE_TIMEOUT,
};
pub use signals::SignalError;

use super::resource::Provider;
use super::server;
use super::tls;
use accept::{AcceptOptions, Listener, spawn_accept_loop};
use signals::{Interrupt, Signals};
use socket::{PrivateSocket, private_socket};

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
    /// Without TLS the plugin serves only on its private unix socket, and that socket could
    /// not be made.
    #[error(
        "cannot make the private unix socket in {dir:?}: {source}. Without TLS \
         (PLUGIN_CLIENT_CERT is unset, as with TF_DISABLE_PLUGIN_TLS=1) the provider serves \
         only on a private unix socket, never plaintext on TCP. Point TMPDIR at a writable \
         folder with a short path (a socket path is limited to 107 bytes), or leave TLS on."
    )]
    NoPrivateSocket {
        /// The temporary directory the socket was to be made in.
        dir: PathBuf,
        /// Why it could not be made.
        source: std::io::Error,
    },
    /// The signal handlers could not be installed.
    #[error(transparent)]
    Signals(#[from] SignalError),
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Reattach mode: no cookie, no TLS; prints `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
    /// The provider's source address, such as `registry.terraform.io/todo/todo`.
    pub provider_address: String,
}

/// Serves `provider` until Terraform shuts it down or the process gets SIGTERM or SIGHUP (in
/// debug mode, SIGINT too). The socket is removed on every way out.
pub async fn serve(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<(), ServeError> {
    // First of all, so that no signal after this point kills the process where it stands and
    // leaves the socket behind.
    let signals = Signals::install()?;
    if options.debug {
        return serve_debug(provider, &options, signals).await;
    }
    let env = PluginEnv::from_env()?;
    let tls = match &env.client_cert_pem {
        Some(pem) => Some(tls::server_config(tls::parse_client_cert(pem)?)?),
        None => None,
    };
    let (listener, address, socket) = listen(&env, tls.is_some()).await?;
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
    crate::log_debug!(address = %address, tls = tls.is_some(), "plugin handshake sent");

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let stop_now = signals.watch(Interrupt::Ignore, shutdown_tx.clone());
    let options = AcceptOptions {
        tls: tls.map(|t| TlsAcceptor::from(t.config)),
        handshake_timeout: TLS_HANDSHAKE_TIMEOUT,
        backoff: AcceptBackoff::default(),
    };
    let incoming = spawn_accept_loop(listener, options, shutdown_rx.clone());
    run_server(provider, incoming, shutdown_tx, shutdown_rx, stop_now).await;
    drop(socket);
    Ok(())
}

/// Runs the gRPC server until it shuts down gracefully, or until a second signal asks to stop
/// without waiting for open connections.
async fn run_server(
    provider: Arc<dyn Provider>,
    incoming: Incoming,
    shutdown_tx: watch::Sender<bool>,
    shutdown_rx: watch::Receiver<bool>,
    mut stop_now: watch::Receiver<bool>,
) {
    tokio::select! {
        () = server::run(provider, incoming, shutdown_tx, shutdown_rx) => {}
        _ = stop_now.wait_for(|stop| *stop) => {}
    }
}

/// Where to listen: the private unix socket, preferably. Only with TLS may a socket that
/// cannot be made fall back to TCP on 127.0.0.1, which mutual TLS then protects (as go-plugin
/// does); without TLS the provider refuses to serve plaintext where any local user can reach
/// it. Returns the listener, its address for the handshake line, and the socket to remove.
async fn listen(
    env: &PluginEnv,
    tls: bool,
) -> Result<(Listener, String, Option<PrivateSocket>), ServeError> {
    match private_socket() {
        Ok((socket, listener)) => {
            let address = format!("unix|{}", socket.path().display());
            if !tls {
                crate::log_warn!(
                    socket = %socket.path().display(),
                    "TLS is off (PLUGIN_CLIENT_CERT is unset, as with TF_DISABLE_PLUGIN_TLS=1): \
                     serving plaintext gRPC on the private unix socket only"
                );
            }
            Ok((Listener::Unix(listener), address, Some(socket)))
        }
        Err(error) if tls => {
            crate::log_warn!(
                %error,
                "cannot make the unix socket; serving on 127.0.0.1 behind mutual TLS"
            );
            let listener = bind_tcp(env.min_port, env.max_port).await?;
            let address = format!("tcp|{}", listener.local_addr()?);
            Ok((Listener::Tcp(listener), address, None))
        }
        Err(source) => Err(ServeError::NoPrivateSocket {
            dir: std::env::temp_dir(),
            source,
        }),
    }
}

/// Reattach mode for debuggers: serve plaintext on a unix socket and tell the user how to
/// point Terraform at it.
async fn serve_debug(
    provider: Arc<dyn Provider>,
    options: &ServeOptions,
    signals: Signals,
) -> Result<(), ServeError> {
    let (socket, listener) = private_socket().map_err(|source| ServeError::NoPrivateSocket {
        dir: std::env::temp_dir(),
        source,
    })?;
    let path = socket.path();
    let reattach = serde_json::json!({
        options.provider_address.clone(): {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "unix", "String": path.display().to_string() },
        }
    });
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "Provider started. To attach Terraform, set this in the shell that runs terraform:\n"
        )?;
        writeln!(stdout, "\tTF_REATTACH_PROVIDERS='{reattach}'\n")?;
        writeln!(stdout, "Stop the provider with Ctrl-C.")?;
        stdout.flush()?;
    }
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let stop_now = signals.watch(Interrupt::Shutdown, shutdown_tx.clone());
    let accept_options = AcceptOptions {
        tls: None,
        handshake_timeout: TLS_HANDSHAKE_TIMEOUT,
        backoff: AcceptBackoff::default(),
    };
    let incoming = spawn_accept_loop(
        Listener::Unix(listener),
        accept_options,
        shutdown_rx.clone(),
    );
    run_server(provider, incoming, shutdown_tx, shutdown_rx, stop_now).await;
    drop(socket);
    Ok(())
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
}
