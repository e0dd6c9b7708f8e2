//! Container image references: splitting an image into repository and tag or digest, and
//! recognising an ECR repository URL (whose tags the provider can check before a rollout).

/// What follows the repository in an image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReference {
    /// `:tag`
    Tag(String),
    /// `@digest`
    Digest(String),
}

/// Splits a container image into repository and tag (`repo:tag`) or digest (`repo@sha256:..`).
pub fn split_image(image: &str) -> (String, ImageReference) {
    if let Some((repository, digest)) = image.split_once('@') {
        return (
            repository.to_owned(),
            ImageReference::Digest(digest.to_owned()),
        );
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (
                image[..at].to_owned(),
                ImageReference::Tag(image[at + 1..].to_owned()),
            )
        }
        None => (image.to_owned(), ImageReference::Tag("latest".to_owned())),
    }
}

/// An ECR repository named by a repository URL (`<account>.dkr.ecr.<region>.<domain>/<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrLocation {
    /// The registry (account) ID.
    pub registry_id: String,
    /// The repository name.
    pub repository: String,
}

/// Reads an ECR repository URL; `None` for other registries (Docker Hub, GHCR, ...).
pub fn ecr_location(repository_url: &str) -> Option<EcrLocation> {
    let (host, repository) = repository_url.split_once('/')?;
    let registry_id = host.split('.').next()?;
    let is_ecr = host.contains(".dkr.ecr.") && registry_id.chars().all(|c| c.is_ascii_digit());
    (is_ecr && !repository.is_empty()).then(|| EcrLocation {
        registry_id: registry_id.to_owned(),
        repository: repository.to_owned(),
    })
}
