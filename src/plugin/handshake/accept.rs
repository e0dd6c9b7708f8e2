//! The plugin's accept loop: it takes connections off the listener (unix socket or TCP), runs
//! each TLS handshake in a task of its own under a time limit ([`TLS_HANDSHAKE_TIMEOUT`]), and
//! hands the finished connections to the gRPC server. An accept error (EMFILE, ENFILE, ...)
//! is logged and followed by a pause that doubles from [`ACCEPT_BACKOFF_FIRST`] up to
//! [`ACCEPT_BACKOFF_MAX`] ([`AcceptBackoff`]), so the loop never spins on a listener that
//! stays readable.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

/// How long a client has to complete the TLS handshake after connecting; then it is dropped.
/// Terraform completes it in milliseconds.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause after the first accept error in a row.
pub const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// The longest pause between accept attempts while accepting keeps failing.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The pauses between failing accept attempts: doubling from a first delay up to a maximum,
/// back to the first delay after a success.
#[derive(Debug, Clone)]
pub struct AcceptBackoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Default for AcceptBackoff {
    /// From [`ACCEPT_BACKOFF_FIRST`] up to [`ACCEPT_BACKOFF_MAX`].
    fn default() -> Self {
        Self::new(ACCEPT_BACKOFF_FIRST, ACCEPT_BACKOFF_MAX)
    }
}

impl AcceptBackoff {
    /// Pauses doubling from `first` up to `max` (`first` when it is the larger).
    pub fn new(first: Duration, max: Duration) -> Self {
        let max = max.max(first);
        Self {
            first,
            max,
            next: first,
        }
    }

    /// Records a failed accept; returns how long to pause before the next attempt.
    pub fn failed(&mut self) -> Duration {
        let pause = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        pause
    }

    /// Records a successful accept: the next failure pauses for the first delay again.
    pub fn succeeded(&mut self) {
        self.next = self.first;
    }
}

/// The socket the plugin listens on.
pub(super) enum Listener {
    /// The private unix socket (the usual case, and the only one without TLS).
    Unix(UnixListener),
    /// TCP on 127.0.0.1, only ever behind mutual TLS.
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

/// The stream of accepted (and, with TLS, authenticated) connections.
pub type Incoming = ReceiverStream<std::io::Result<PluginStream>>;

/// How the accept loop treats new connections.
pub(super) struct AcceptOptions {
    /// Mutual TLS on every connection, or none (the private unix socket only).
    pub tls: Option<TlsAcceptor>,
    /// The time limit of one TLS handshake.
    pub handshake_timeout: Duration,
    /// The pauses after accept errors.
    pub backoff: AcceptBackoff,
}

/// Accepts connections until shutdown. Each TLS handshake runs in its own task under
/// `options.handshake_timeout`, so a slow or silent client cannot hold up the others; refused
/// and timed-out handshakes are logged and dropped.
pub(super) fn spawn_accept_loop(
    listener: Listener,
    options: AcceptOptions,
    mut shutdown: watch::Receiver<bool>,
) -> Incoming {
    let (tx, rx) = mpsc::channel(16);
    let AcceptOptions {
        tls,
        handshake_timeout,
        mut backoff,
    } = options;
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => break,
                accepted = accept(&listener) => accepted,
            };
            let stream = match accepted {
                Ok(stream) => stream,
                Err(error) => {
                    let pause = backoff.failed();
                    crate::log_warn!(
                        %error,
                        pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                        "accepting a plugin connection failed; pausing before the next attempt"
                    );
                    tokio::select! {
                        _ = shutdown.wait_for(|stop| *stop) => break,
                        () = tokio::time::sleep(pause) => continue,
                    }
                }
            };
            backoff.succeeded();
            let tx = tx.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let stream = match tls {
                    None => PluginStream(stream),
                    Some(acceptor) => {
                        match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await
                        {
                            Ok(Ok(tls)) => PluginStream(Box::pin(tls)),
                            Ok(Err(error)) => {
                                crate::log_warn!(%error, "refused a plugin connection at the TLS layer");
                                return;
                            }
                            Err(_elapsed) => {
                                crate::log_warn!(
                                    timeout_ms = u64::try_from(handshake_timeout.as_millis())
                                        .unwrap_or(u64::MAX),
                                    "dropped a plugin connection that did not complete its TLS \
                                     handshake in time"
                                );
                                return;
                            }
                        }
                    }
                };
                let _ = tx.send(Ok(stream)).await;
            });
        }
        crate::log_debug!("accept loop stopped");
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
            // Calls are small request-response exchanges: without it the connection is
            // slower, not broken.
            if let Err(error) = stream.set_nodelay(true) {
                crate::log_debug!(%error, "cannot set TCP_NODELAY");
            }
            Ok(Box::pin(stream))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::AsyncReadExt as _;
    use tokio::net::UnixStream;
    use tokio_stream::StreamExt as _;

    use super::*;
    use crate::plugin::tls;

    /// A TLS acceptor that pins a throwaway client certificate.
    fn acceptor() -> TlsAcceptor {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let cert = params.self_signed(&key).expect("certificate");
        let config = tls::server_config(cert.der().clone()).expect("server config");
        TlsAcceptor::from(config.config)
    }

    /// Reads until the server closes the connection; how long that took.
    async fn time_to_close(mut stream: UnixStream, started: Instant) -> Duration {
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    }

    #[tokio::test]
    async fn silent_clients_are_dropped_at_the_handshake_limit_each_on_its_own_clock() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("test.sock");
        let listener = UnixListener::bind(&path).expect("bind");
        let limit = Duration::from_millis(300);
        let options = AcceptOptions {
            tls: Some(acceptor()),
            handshake_timeout: limit,
            backoff: AcceptBackoff::default(),
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let _incoming = spawn_accept_loop(Listener::Unix(listener), options, shutdown_rx);

        let started = Instant::now();
        let first = UnixStream::connect(&path).await.expect("first client");
        tokio::time::sleep(limit / 2).await;
        let second_started = Instant::now();
        let second = UnixStream::connect(&path).await.expect("second client");
        let bound = Duration::from_secs(5);
        let (first, second) = tokio::time::timeout(bound, async {
            tokio::join!(
                time_to_close(first, started),
                time_to_close(second, second_started)
            )
        })
        .await
        .expect("both silent clients are closed");
        // Each is closed at the limit after its own connect, not one after the other.
        for waited in [first, second] {
            assert!(waited >= limit, "closed after {waited:?}, before the limit");
            assert!(waited < limit * 3, "closed after {waited:?}");
        }
        let _ = shutdown_tx.send(true);
    }

    #[tokio::test]
    async fn without_tls_connections_are_handed_over_at_once() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("test.sock");
        let listener = UnixListener::bind(&path).expect("bind");
        let options = AcceptOptions {
            tls: None,
            handshake_timeout: TLS_HANDSHAKE_TIMEOUT,
            backoff: AcceptBackoff::default(),
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut incoming = spawn_accept_loop(Listener::Unix(listener), options, shutdown_rx);
        let _client = UnixStream::connect(&path).await.expect("client");
        let accepted = tokio::time::timeout(Duration::from_secs(5), incoming.next()).await;
        assert!(matches!(accepted, Ok(Some(Ok(_)))));
        let _ = shutdown_tx.send(true);
        // After shutdown the loop ends and the stream of connections with it.
        let ended = tokio::time::timeout(Duration::from_secs(5), incoming.next()).await;
        assert!(matches!(ended, Ok(None)));
    }

    #[test]
    fn accept_errors_pause_doubling_up_to_the_maximum() {
        let mut backoff = AcceptBackoff::default();
        let pauses: Vec<u128> = (0..10).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
    }

    #[test]
    fn a_successful_accept_resets_the_pause() {
        let mut backoff = AcceptBackoff::default();
        for _ in 0..5 {
            backoff.failed();
        }
        backoff.succeeded();
        assert_eq!(backoff.failed(), ACCEPT_BACKOFF_FIRST);
        assert_eq!(backoff.failed(), ACCEPT_BACKOFF_FIRST * 2);
    }

    #[test]
    fn absurd_delays_saturate_instead_of_overflowing() {
        let mut backoff =
            AcceptBackoff::new(Duration::MAX / 2 + Duration::from_secs(1), Duration::MAX);
        assert!(backoff.failed() > Duration::MAX / 2);
        assert_eq!(backoff.failed(), Duration::MAX);
        assert_eq!(backoff.failed(), Duration::MAX);
        // A maximum below the first delay is the first delay.
        let mut backoff = AcceptBackoff::new(Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(backoff.failed(), Duration::from_secs(2));
        assert_eq!(backoff.failed(), Duration::from_secs(2));
    }
}
