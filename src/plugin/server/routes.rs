//! The plugin's gRPC routes: each call goes to the service its path names
//! (`/<package.Service>/<Method>`), as a gRPC server routes; a call to a service the plugin
//! does not serve answers UNIMPLEMENTED, as gRPC does. Four services need no general router:
//! this replaces tonic's (axum's path router and its layers) with one comparison per service.
//! [`Routes`] is the hyper service of every connection (see `connections`).

use std::convert::Infallible;

use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service as _, StdError, http};
use tonic::server::NamedService;

use super::stdio::Stdio;
use super::{Controller, PluginHealth, ProviderService};
use crate::plugin::proto::health::health_server::HealthServer;
use crate::plugin::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::plugin::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::plugin::proto::tfplugin6::provider_server::ProviderServer;

/// The services the plugin serves, by name.
#[derive(Clone)]
pub(super) struct Routes {
    pub provider: ProviderServer<ProviderService>,
    pub controller: GrpcControllerServer<Controller>,
    pub stdio: GrpcStdioServer<Stdio>,
    pub health: HealthServer<PluginHealth>,
}

/// The service name of a gRPC path: `tfplugin6.Provider` of `/tfplugin6.Provider/GetMetadata`.
fn service_name(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.split_once('/').map_or(path, |(service, _)| service)
}

impl Routes {
    /// Hands `request` to the service its path names.
    pub(super) fn route<B>(
        &self,
        request: http::Request<B>,
    ) -> BoxFuture<http::Response<Body>, Infallible>
    where
        B: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
        B::Error: Into<StdError> + Send + 'static,
    {
        // Each service is a handle to shared state: cloning one is an `Arc` clone.
        match service_name(request.uri().path()) {
            ProviderServer::<ProviderService>::NAME => self.provider.clone().call(request),
            GrpcControllerServer::<Controller>::NAME => self.controller.clone().call(request),
            GrpcStdioServer::<Stdio>::NAME => self.stdio.clone().call(request),
            HealthServer::<PluginHealth>::NAME => self.health.clone().call(request),
            _ => {
                let status = tonic::Status::unimplemented("this plugin serves no such service");
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for Routes {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<http::Response<Body>, Infallible>;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> Self::Future {
        self.route(request)
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;

    use tokio::sync::watch;
    use tonic::codegen::Body as _;

    use super::*;

    fn routes() -> Routes {
        let (shutdown, stop) = watch::channel(false);
        Routes {
            provider: ProviderServer::new(super::super::tests::service()),
            controller: GrpcControllerServer::new(Controller { shutdown }),
            stdio: GrpcStdioServer::new(Stdio::new(stop)),
            health: HealthServer::new(PluginHealth),
        }
    }

    /// A gRPC frame holding an empty message: not compressed, length 0.
    const EMPTY_MESSAGE: &str = "\0\0\0\0\0";

    /// A unary call to `path` with an empty request message.
    async fn call(path: &str) -> http::Response<Body> {
        let request = http::Request::builder()
            .method("POST")
            .uri(format!("http://plugin{path}"))
            .header("content-type", "application/grpc")
            .body(Body::new(EMPTY_MESSAGE.to_owned()))
            .expect("request");
        routes().route(request).await.expect("infallible")
    }

    /// The whole body of a response, data frames only.
    async fn body_bytes(response: http::Response<Body>) -> Vec<u8> {
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            if let Ok(data) = frame.expect("frame").into_data() {
                bytes.extend_from_slice(&data);
            }
        }
        bytes
    }

    #[tokio::test]
    async fn each_call_reaches_the_service_its_path_names() {
        // The health service answers SERVING (field 1 = 1) in a gRPC frame of 2 bytes.
        let health = call("/grpc.health.v1.Health/Check").await;
        assert_eq!(health.status(), http::StatusCode::OK);
        assert!(health.headers().get("grpc-status").is_none());
        assert_eq!(body_bytes(health).await, [0, 0, 0, 0, 2, 0x08, 0x01]);
        // The provider service answers GetMetadata.
        let metadata = call("/tfplugin6.Provider/GetMetadata").await;
        assert!(metadata.headers().get("grpc-status").is_none());
        assert!(!body_bytes(metadata).await.is_empty());
    }

    #[tokio::test]
    async fn a_service_the_plugin_does_not_serve_is_unimplemented() {
        for path in ["/nope.Service/Method", "/", "/tfplugin5.Provider/GetSchema"] {
            let response = call(path).await;
            let status = response
                .headers()
                .get("grpc-status")
                .map(|v| v.as_bytes().to_vec());
            assert_eq!(status.as_deref(), Some(&b"12"[..]), "{path}");
        }
    }

    #[test]
    fn the_service_is_the_first_segment_of_the_path() {
        assert_eq!(
            service_name("/tfplugin6.Provider/GetMetadata"),
            "tfplugin6.Provider"
        );
        assert_eq!(
            service_name("/plugin.GRPCController/Shutdown"),
            "plugin.GRPCController"
        );
        assert_eq!(
            service_name("/grpc.health.v1.Health"),
            "grpc.health.v1.Health"
        );
        assert_eq!(service_name("/"), "");
        assert_eq!(service_name(""), "");
    }
}
