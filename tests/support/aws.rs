//! AWS SDK clients for an emulator, and an image "push" without Docker.
//!
//! The clients use static test credentials (`test`/`test`), region `us-east-1` and the given
//! endpoint; nothing is read from the environment or `~/.aws`, so a developer's real AWS
//! settings can never leak into a test.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecr::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_ecr::types::ImageIdentifier;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The region every test uses.
pub const REGION: &str = "us-east-1";

/// The media type of a Docker image manifest, schema version 2.
pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// SDK configuration for `endpoint` with static credentials `test`/`test` in `us-east-1`.
/// Operations time out after 60 s, so a hung emulator fails a test instead of stalling it.
pub fn aws_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "todo-acc",
        )))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build()
}

/// An ECR client for `endpoint` (see [`aws_config`]).
pub fn ecr_client(endpoint: &str) -> aws_sdk_ecr::Client {
    aws_sdk_ecr::Client::new(&aws_config(endpoint))
}

/// An ECS client for `endpoint` (see [`aws_config`]).
pub fn ecs_client(endpoint: &str) -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&aws_config(endpoint))
}

/// `sha256:<hex>` of `bytes`, the form ECR and registries use for digests.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A Docker schema-2 image manifest whose config and single layer are derived from `seed`:
/// the same seed gives byte-identical JSON, different seeds give different manifests.
///
/// The blobs it references are never uploaded: emulators accept that, real ECR does not
/// (PutImage there answers `LayersNotFoundException`).
pub fn image_manifest(seed: &str) -> String {
    let layer = format!("todo-acc layer for seed {seed}");
    let layer_digest = sha256_digest(layer.as_bytes());
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Labels": { "todo.acc.seed": seed } },
        "rootfs": { "type": "layers", "diff_ids": [layer_digest] },
    })
    .to_string();
    json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST_V2,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": config.len(),
            "digest": sha256_digest(config.as_bytes()),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": layer.len(),
            "digest": layer_digest,
        }],
    })
    .to_string()
}

/// "Pushes" an image without Docker: ECR `PutImage` of [`image_manifest`]`(seed)` as
/// `repository:tag`, passing the manifest media type and the digest explicitly (moto invents
/// a digest otherwise). Returns that digest, `sha256:<hex>` of the exact manifest bytes.
///
/// Pushing the same seed to the same tag again is a no-op (AWS and moto answer
/// `ImageAlreadyExistsException`, ministack accepts it). Moving a tag to another seed leaves the
/// old image untagged on AWS and ministack, while moto deletes it.
///
/// Panics if the call fails or the emulator reports a different digest.
pub async fn push_image(
    ecr: &aws_sdk_ecr::Client,
    repository: &str,
    tag: &str,
    seed: &str,
) -> String {
    let manifest = image_manifest(seed);
    let digest = sha256_digest(manifest.as_bytes());
    let result = ecr
        .put_image()
        .repository_name(repository)
        .image_tag(tag)
        .image_manifest(&manifest)
        .image_manifest_media_type(DOCKER_MANIFEST_V2)
        .image_digest(&digest)
        .send()
        .await;
    let reported = match result {
        Ok(out) => out
            .image()
            .and_then(|i| i.image_id())
            .and_then(|id| id.image_digest())
            .map(str::to_string),
        // AWS and moto refuse to push the same manifest under the same tag again: the tag
        // already names this image, which is what was asked for.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_image_already_exists_exception()) =>
        {
            image_digest(ecr, repository, tag).await
        }
        Err(e) => panic!("PutImage {repository}:{tag}: {}", aws_error(&e)),
    };
    assert_eq!(
        reported.as_deref(),
        Some(digest.as_str()),
        "PutImage {repository}:{tag} reported another digest than sha256 of the manifest"
    );
    digest
}

/// The digest of `repository:tag` from DescribeImages, or `None` if there is no such tag.
///
/// Emulators differ here: moto answers `ImageNotFoundException` (as AWS does), ministack an
/// empty list; both mean `None`. Any other failure panics.
pub async fn image_digest(
    ecr: &aws_sdk_ecr::Client,
    repository: &str,
    tag: &str,
) -> Option<String> {
    let result = ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await;
    match result {
        Ok(out) => {
            let details = out.image_details();
            assert!(
                details.len() <= 1,
                "DescribeImages {repository}:{tag} returned {} images",
                details.len()
            );
            details.first().map(|d| {
                d.image_digest()
                    .unwrap_or_else(|| panic!("DescribeImages {repository}:{tag}: no digest"))
                    .to_string()
            })
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_image_not_found_exception()) =>
        {
            None
        }
        Err(e) => panic!("DescribeImages {repository}:{tag}: {}", aws_error(&e)),
    }
}

/// An SDK error with its whole source chain (the `Display` of `SdkError` alone says only
/// "service error").
pub fn aws_error<E: std::error::Error>(err: &E) -> String {
    DisplayErrorContext(err).to_string()
}
