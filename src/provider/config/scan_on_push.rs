//! ECR's `scanOnPush = false`, sent explicitly.
//!
//! The AWS SDK for Rust models `ImageScanningConfiguration.scanOnPush` as a plain `bool` whose
//! default is false, and its serializer writes the member only when it is true: CreateRepository
//! and PutImageScanningConfiguration carry `"imageScanningConfiguration": {}` for false. AWS reads
//! the missing member as false, but moto (and any endpoint that merges the object into what it
//! holds) keeps the previous value, so turning scanning off never reaches it. [`ExplicitScanOnPush`]
//! is an SDK interceptor on the ECR client that writes `"scanOnPush": false` into the JSON body
//! of those two operations when the member is missing: the same request AWS documents, with the
//! default spelled out. It runs in `modify_before_signing`, once per attempt, before the request
//! is signed (SigV4 signs the body's hash), and fixes `Content-Length` to the new body.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// The operations whose input holds an `imageScanningConfiguration`.
const OPERATIONS: [&str; 2] = ["CreateRepository", "PutImageScanningConfiguration"];

/// The header naming the operation of an AWS JSON request, such as
/// `AmazonEC2ContainerRegistry_V20150921.CreateRepository`.
const TARGET_HEADER: &str = "x-amz-target";

/// The JSON member holding the scanning configuration.
const SCANNING_CONFIGURATION: &str = "imageScanningConfiguration";

/// The member the SDK leaves out when it is false.
const SCAN_ON_PUSH: &str = "scanOnPush";

/// The interceptor that sends a false `scanOnPush` explicitly (see the module documentation).
#[derive(Debug, Default, Clone, Copy)]
pub struct ExplicitScanOnPush;

impl Intercept for ExplicitScanOnPush {
    fn name(&self) -> &'static str {
        "ExplicitScanOnPush"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if !request
            .headers()
            .get(TARGET_HEADER)
            .is_some_and(is_rewritten)
        {
            return Ok(());
        }
        let Some(body) = request.body().bytes().and_then(with_explicit_scan_on_push) else {
            return Ok(());
        };
        request
            .headers_mut()
            .insert("content-length", body.len().to_string());
        *request.body_mut() = SdkBody::from(body);
        Ok(())
    }
}

/// Whether the request with this `X-Amz-Target` is one whose body is rewritten.
fn is_rewritten(target: &str) -> bool {
    target
        .rsplit_once('.')
        .is_some_and(|(_, operation)| OPERATIONS.contains(&operation))
}

/// The JSON body with `"scanOnPush": false` in its `imageScanningConfiguration` object, or
/// `None` when nothing is to change: not a JSON object, no such member, or `scanOnPush`
/// already there. Every other member is kept as it was, in its order.
fn with_explicit_scan_on_push(body: &[u8]) -> Option<Vec<u8>> {
    let mut input: serde_json::Value = serde_json::from_slice(body).ok()?;
    let scanning = input.get_mut(SCANNING_CONFIGURATION)?.as_object_mut()?;
    if scanning.contains_key(SCAN_ON_PUSH) {
        return None;
    }
    scanning.insert(SCAN_ON_PUSH.to_owned(), serde_json::Value::Bool(false));
    serde_json::to_vec(&input).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_ecr::types::ImageScanningConfiguration;
    use serde_json::json;

    use super::*;
    use crate::provider::fake_aws::{Answer, FakeAws};

    fn rewritten(body: serde_json::Value) -> Option<serde_json::Value> {
        let bytes = serde_json::to_vec(&body).ok()?;
        with_explicit_scan_on_push(&bytes).and_then(|b| serde_json::from_slice(&b).ok())
    }

    #[test]
    fn a_missing_scan_on_push_becomes_an_explicit_false() {
        let body = json!({
            "repositoryName": "app",
            "imageScanningConfiguration": {},
            "imageTagMutability": "MUTABLE"
        });
        let expected = json!({
            "repositoryName": "app",
            "imageScanningConfiguration": {"scanOnPush": false},
            "imageTagMutability": "MUTABLE"
        });
        let new = rewritten(body).unwrap_or_else(|| panic!("not rewritten"));
        assert_eq!(new, expected);
        // The order of the members is kept.
        let keys: Vec<&String> = new
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "repositoryName",
                "imageScanningConfiguration",
                "imageTagMutability"
            ]
        );
    }

    #[test]
    fn other_bodies_are_left_alone() {
        for body in [
            json!({"repositoryName": "app", "imageScanningConfiguration": {"scanOnPush": true}}),
            json!({"repositoryName": "app", "imageScanningConfiguration": {"scanOnPush": false}}),
            json!({"repositoryName": "app"}),
            json!({"imageScanningConfiguration": null}),
            json!(["imageScanningConfiguration"]),
        ] {
            assert_eq!(rewritten(body.clone()), None, "{body}");
        }
        assert_eq!(with_explicit_scan_on_push(b"not json"), None);
        assert_eq!(with_explicit_scan_on_push(b""), None);
    }

    #[test]
    fn only_the_two_operations_are_rewritten() {
        assert!(is_rewritten(
            "AmazonEC2ContainerRegistry_V20150921.CreateRepository"
        ));
        assert!(is_rewritten(
            "AmazonEC2ContainerRegistry_V20150921.PutImageScanningConfiguration"
        ));
        for other in [
            "AmazonEC2ContainerRegistry_V20150921.PutImageTagMutability",
            "AmazonEC2ContainerRegistry_V20150921.PutRegistryScanningConfiguration",
            "CreateRepository",
            "",
        ] {
            assert!(!is_rewritten(other), "{other}");
        }
    }

    /// Waits (at most 10 s) for a call that must succeed.
    async fn answered<T, E: std::fmt::Debug>(call: impl Future<Output = Result<T, E>>) {
        match tokio::time::timeout(Duration::from_secs(10), call).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => panic!("{error:?}"),
            Err(_) => panic!("no answer in 10 s"),
        }
    }

    /// The two requests as they leave an ECR client, with and without the interceptor: the
    /// SDK alone sends `{}` (which is why the interceptor exists), with it `{"scanOnPush": false}`
    /// and a `Content-Length` that fits (the fake endpoint reads exactly that many bytes).
    #[tokio::test]
    async fn the_client_sends_an_explicit_false() {
        let fake = FakeAws::default();
        fake.answer(
            "PutImageScanningConfiguration",
            Answer::ok(json!({"repositoryName": "app"})),
        );
        fake.answer(
            "CreateRepository",
            Answer::ok(json!({"repository": {"repositoryName": "app"}})),
        );
        let clients = fake.start().await.unwrap_or_else(|e| panic!("{e}"));
        let plain = clients.ecr.clone();
        let intercepted = aws_sdk_ecr::Client::from_conf(
            clients
                .ecr
                .config()
                .to_builder()
                .interceptor(ExplicitScanOnPush)
                .build(),
        );
        let off = ImageScanningConfiguration::builder()
            .scan_on_push(false)
            .build();
        let on = ImageScanningConfiguration::builder()
            .scan_on_push(true)
            .build();
        for client in [&plain, &intercepted] {
            for scanning in [&off, &on] {
                let put = client
                    .put_image_scanning_configuration()
                    .repository_name("app")
                    .image_scanning_configuration(scanning.clone())
                    .send();
                answered(put).await;
            }
            let create = client
                .create_repository()
                .repository_name("app")
                .image_scanning_configuration(off.clone())
                .send();
            answered(create).await;
        }
        let sent: Vec<(String, serde_json::Value)> = fake
            .calls()
            .into_iter()
            .map(|c| (c.operation, c.input["imageScanningConfiguration"].clone()))
            .collect();
        let put = "PutImageScanningConfiguration".to_owned();
        let create = "CreateRepository".to_owned();
        assert_eq!(
            sent,
            [
                // The SDK alone.
                (put.clone(), json!({})),
                (put.clone(), json!({"scanOnPush": true})),
                (create.clone(), json!({})),
                // With the interceptor.
                (put.clone(), json!({"scanOnPush": false})),
                (put, json!({"scanOnPush": true})),
                (create, json!({"scanOnPush": false})),
            ]
        );
    }
}
