//! Serving the accepted connections: each is an HTTP/2 connection (hyper's server, gRPC needs
//! nothing else) whose calls go to the plugin's [`Routes`]. When the plugin shuts down, it stops
//! taking connections, asks each open one to finish gracefully (HTTP/2 GOAWAY: the calls in
//! flight complete, no new one starts) and waits until they have closed.
//!
//! tonic's own server does the same through hyper-util's HTTP/1-or-2 connection and a stack of
//! layers (request time-outs, which Terraform never sends, among them); serving HTTP/2 directly
//! leaves that work out of every call.

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_stream::StreamExt as _;

use super::routes::Routes;
use crate::plugin::handshake::Incoming;

/// Serves every connection `incoming` yields until `shutdown` turns true (or `incoming` ends),
/// then closes the open connections gracefully and returns once they have closed.
pub(super) async fn serve(
    routes: Routes,
    mut incoming: Incoming,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    // No limit on concurrent calls (hyper's default is 200), as with tonic's server before:
    // Terraform sends as many at once as its `-parallelism` allows.
    http2.max_concurrent_streams(None);
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = incoming.next() => accepted,
        };
        let stream = match accepted {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => {
                crate::log_debug!(%error, "a plugin connection failed before it was served");
                continue;
            }
            None => break,
        };
        let connection = http2.serve_connection(TokioIo::new(stream), routes.clone());
        let mut closing = closing_rx.clone();
        connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let finished = tokio::select! {
                result = connection.as_mut() => Some(result),
                _ = closing.wait_for(|close| *close) => None,
            };
            let result = match finished {
                Some(result) => result,
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                crate::log_debug!(%error, "a plugin connection ended with an error");
            }
        });
        // Finished connections are collected as new ones come, so the set stays small.
        while let Some(ended) = connections.try_join_next() {
            log_if_panicked(ended);
        }
    }
    drop(incoming);
    crate::log_debug!("plugin server shutting down");
    let _ = closing_tx.send(true);
    while let Some(ended) = connections.join_next().await {
        log_if_panicked(ended);
    }
}

/// Logs a connection task that panicked (hyper catches none of its own; a handler's panic is
/// an error diagnostic long before this).
fn log_if_panicked(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended
        && error.is_panic()
    {
        crate::log_error!(%error, "a plugin connection's task panicked");
    }
}
