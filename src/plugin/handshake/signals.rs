//! The signals the plugin process handles. They are registered first thing in
//! [`serve`](super::serve), before the socket exists and long before the handshake line
//! is printed, so a signal at any moment after that ends in the same clean exit (the socket
//! removed), never in the default action that kills the process where it stands.
//!
//! - SIGTERM and SIGHUP ask for a graceful shutdown; a second one stops serving at once (the
//!   socket is still removed).
//! - SIGINT reaches the plugin too when the user presses Ctrl-C (same process group).
//!   Terraform handles it by sending StopProvider, so the plugin ignores it, except in
//!   `--debug` mode, where Ctrl-C is how the user stops the provider.

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

/// Why the signal handlers could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the {name} handler: {source}")]
pub struct SignalError {
    name: &'static str,
    #[source]
    source: std::io::Error,
}

/// What SIGINT does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Interrupt {
    /// Nothing: Terraform sends StopProvider on Ctrl-C.
    Ignore,
    /// Shut down, as SIGTERM does (`--debug` mode).
    Shutdown,
}

/// The registered handlers; signals that arrive before [`Signals::watch`] are kept.
pub(super) struct Signals {
    terminate: Signal,
    hangup: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Registers the handlers for SIGTERM, SIGHUP and SIGINT; from here on none of them kills
    /// the process. Needs a tokio runtime.
    pub(super) fn install() -> Result<Self, SignalError> {
        let register = |kind: SignalKind, name: &'static str| {
            signal(kind).map_err(|source| SignalError { name, source })
        };
        Ok(Self {
            terminate: register(SignalKind::terminate(), "SIGTERM")?,
            hangup: register(SignalKind::hangup(), "SIGHUP")?,
            interrupt: register(SignalKind::interrupt(), "SIGINT")?,
        })
    }

    /// Acts on the signals from now on: the first SIGTERM or SIGHUP (or SIGINT, when
    /// `interrupt` says so) sets `shutdown`; the next one sets the returned flag, which asks
    /// to stop serving without waiting for connections to finish.
    pub(super) fn watch(
        mut self,
        interrupt: Interrupt,
        shutdown: watch::Sender<bool>,
    ) -> watch::Receiver<bool> {
        let (stop_now_tx, stop_now_rx) = watch::channel(false);
        tokio::spawn(async move {
            let mut requests = 0u32;
            loop {
                let name = tokio::select! {
                    Some(()) = self.terminate.recv() => "SIGTERM",
                    Some(()) = self.hangup.recv() => "SIGHUP",
                    Some(()) = self.interrupt.recv() => {
                        if interrupt == Interrupt::Ignore {
                            crate::log_debug!("ignoring SIGINT; Terraform sends StopProvider");
                            continue;
                        }
                        "SIGINT"
                    }
                    else => break,
                };
                requests += 1;
                if requests == 1 {
                    crate::log_debug!(signal = name, "shutting down");
                    let _ = shutdown.send(true);
                } else {
                    crate::log_warn!(signal = name, "second signal: stopping without waiting");
                    let _ = stop_now_tx.send(true);
                }
            }
        });
        stop_now_rx
    }
}
