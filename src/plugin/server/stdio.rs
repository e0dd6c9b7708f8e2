//! go-plugin's `plugin.GRPCStdio` service. go-plugin's client opens `StreamStdio` on every
//! plugin start to mirror the plugin's stdout and stderr; without the service Terraform's debug
//! log says `received EOF, stopping recv loop: err="rpc error: code = Unimplemented"` each time.
//! This provider's logs already reach Terraform on stderr, which go-plugin reads directly, and
//! stdout carries only the handshake line, so the stream sends nothing: it stays open until the
//! server shuts down or the client goes away.

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::super::proto::google::protobuf::Empty;
use super::super::proto::plugin::StdioData;
use super::super::proto::plugin::grpc_stdio_server::GrpcStdio;

/// `plugin.GRPCStdio`: one silent stream per call, ended at shutdown.
pub(super) struct Stdio {
    /// Turns true when the server shuts down.
    shutdown: watch::Receiver<bool>,
}

impl Stdio {
    /// The service; its streams end when `shutdown` turns true (or its sender is dropped).
    pub(super) fn new(shutdown: watch::Receiver<bool>) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = ReceiverStream<Result<StdioData, Status>>;

    async fn stream_stdio(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        crate::log_debug!("GRPCStdio.StreamStdio opened; nothing is mirrored (logs go to stderr)");
        let (sender, receiver) = mpsc::channel(1);
        let mut shutdown = self.shutdown.clone();
        // The stream lasts as long as its sender: until shutdown (so that the server's graceful
        // shutdown is not held up by it) or until the client drops the stream.
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => {}
                () = sender.closed() => {}
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_stream::StreamExt as _;

    use super::*;

    /// Bound on every wait in these tests.
    const LIMIT: Duration = Duration::from_secs(5);

    async fn open(service: &Stdio) -> ReceiverStream<Result<StdioData, Status>> {
        service
            .stream_stdio(Request::new(Empty {}))
            .await
            .expect("a stream, not UNIMPLEMENTED")
            .into_inner()
    }

    #[tokio::test]
    async fn the_stream_stays_open_and_silent_until_shutdown() {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let service = Stdio::new(shutdown_rx);
        let mut first = open(&service).await;
        let mut second = open(&service).await;

        let early = tokio::time::timeout(Duration::from_millis(200), first.next()).await;
        assert!(early.is_err(), "nothing is sent before shutdown: {early:?}");

        shutdown_tx
            .send(true)
            .expect("the service holds a receiver");
        for stream in [&mut first, &mut second] {
            let end = tokio::time::timeout(LIMIT, stream.next()).await;
            assert!(
                matches!(end, Ok(None)),
                "the stream ends cleanly, without data, at shutdown: {end:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_stream_opened_after_shutdown_ends_at_once() {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let service = Stdio::new(shutdown_rx);
        shutdown_tx
            .send(true)
            .expect("the service holds a receiver");
        let mut stream = open(&service).await;
        let end = tokio::time::timeout(LIMIT, stream.next()).await;
        assert!(matches!(end, Ok(None)), "{end:?}");
    }

    #[tokio::test]
    async fn a_dropped_stream_releases_its_task() {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let service = Stdio::new(shutdown_rx);
        let stream = open(&service).await;
        // While the stream is open its task holds a clone of the shutdown receiver.
        assert_eq!(
            shutdown_tx.receiver_count(),
            2,
            "the service's and the task's"
        );
        drop(stream);
        let released = tokio::time::timeout(LIMIT, async {
            while shutdown_tx.receiver_count() > 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(released.is_ok(), "the task ends when the client goes away");
    }
}
