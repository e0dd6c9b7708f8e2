//! `todo_ecr_image` (data source): resolves an image in an ECR repository by tag, by digest,
//! or the most recently pushed one, so that a plan can refuse a tag that was never pushed.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageDetail, ImageIdentifier};

use super::ClientSlot;
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use crate::plugin::attrs::{self, Attrs};
use crate::plugin::{
    Attribute, AttributePath, Block, CallContext, DataSource, Diagnostic, Diagnostics, Schema,
    Type, Value,
};

/// The `todo_ecr_image` data source.
pub struct EcrImage {
    clients: Arc<ClientSlot>,
}

impl EcrImage {
    /// The data source, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// Checks an image tag against ECR's rule: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn check_image_tag(tag: &str) -> Result<(), String> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if first_ok && rest_ok && tag.len() <= 128 {
        Ok(())
    } else {
        Err(format!(
            "{tag:?} is not a valid image tag: up to 128 letters, digits, '_', '.' and '-', not \
             starting with '.' or '-' (a short git SHA such as \"3f2a1bc\" is fine)"
        ))
    }
}

/// Checks an image digest (`sha256:` and 64 lowercase hex digits).
pub fn check_image_digest(digest: &str) -> Result<(), String> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) => {
            Ok(())
        }
        _ => Err(format!(
            "{digest:?} is not an image digest (sha256: and 64 hex digits)"
        )),
    }
}

/// Why an image could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ImageLookupError {
    /// The tag does not exist in the repository.
    #[error(
        "Image tag {tag:?} was not found in ECR repository {repository:?}. Push the image first \
         (for example: docker push <repository_url>:{tag}), then run Terraform again."
    )]
    TagNotFound {
        /// The tag.
        tag: String,
        /// The repository.
        repository: String,
    },
    /// The digest does not exist in the repository.
    #[error("Image digest {digest:?} was not found in ECR repository {repository:?}.")]
    DigestNotFound {
        /// The digest.
        digest: String,
        /// The repository.
        repository: String,
    },
    /// The repository does not exist.
    #[error(
        "ECR repository {repository:?} does not exist. Create it (todo_ecr_repository) and push \
         the image before deploying."
    )]
    RepositoryNotFound {
        /// The repository.
        repository: String,
    },
    /// The repository holds no images.
    #[error("ECR repository {repository:?} holds no images yet. Push an image first.")]
    Empty {
        /// The repository.
        repository: String,
    },
    /// The AWS call failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Which image to resolve.
#[derive(Debug, Clone)]
pub enum ImageSelector {
    /// By tag.
    Tag(String),
    /// By digest.
    Digest(String),
    /// The most recently pushed image.
    MostRecent,
}

/// Resolves an image in a repository (shared with `todo_fargate_service`'s tag check).
pub async fn find_image(
    clients: &AwsClients,
    repository: &str,
    registry_id: Option<&str>,
    selector: &ImageSelector,
    ctx: &CallContext,
) -> Result<ImageDetail, ImageLookupError> {
    let id = match selector {
        ImageSelector::Tag(tag) => Some(ImageIdentifier::builder().image_tag(tag).build()),
        ImageSelector::Digest(digest) => {
            Some(ImageIdentifier::builder().image_digest(digest).build())
        }
        ImageSelector::MostRecent => None,
    };
    let not_found = || match selector {
        ImageSelector::Tag(tag) => ImageLookupError::TagNotFound {
            tag: tag.clone(),
            repository: repository.to_owned(),
        },
        ImageSelector::Digest(digest) => ImageLookupError::DigestNotFound {
            digest: digest.clone(),
            repository: repository.to_owned(),
        },
        ImageSelector::MostRecent => ImageLookupError::Empty {
            repository: repository.to_owned(),
        },
    };
    let mut newest: Option<ImageDetail> = None;
    let mut token: Option<String> = None;
    // Bounded: a repository is read at most 100 pages (10,000 images) deep.
    for _ in 0..100 {
        let mut request = clients
            .ecr
            .describe_images()
            .repository_name(repository)
            .set_registry_id(registry_id.map(str::to_owned))
            .set_next_token(token.clone());
        if let Some(id) = &id {
            request = request.image_ids(id.clone());
        }
        let output = match call(ctx, "ecr:DescribeImages", request.send()).await {
            Ok(output) => output,
            Err(error) if error.is(&["ImageNotFoundException"]) => return Err(not_found()),
            Err(error) if error.is(&["RepositoryNotFoundException"]) => {
                return Err(ImageLookupError::RepositoryNotFound {
                    repository: repository.to_owned(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        for detail in output.image_details() {
            let matches = match selector {
                ImageSelector::Tag(tag) => detail.image_tags().iter().any(|t| t == tag),
                ImageSelector::Digest(digest) => detail.image_digest() == Some(digest.as_str()),
                ImageSelector::MostRecent => true,
            };
            if !matches {
                continue;
            }
            let newer = newest.as_ref().is_none_or(|n| {
                detail.image_pushed_at().map(|t| t.as_secs_f64())
                    > n.image_pushed_at().map(|t| t.as_secs_f64())
            });
            if newer {
                newest = Some(detail.clone());
            }
        }
        token = output.next_token().map(str::to_owned);
        if token.is_none() || (id.is_some() && newest.is_some()) {
            break;
        }
    }
    newest.ok_or_else(not_found)
}

fn schema() -> Schema {
    Schema::new(
        Block::new(
            "Resolves an image in an ECR repository: by tag (the short git SHA), by digest, or the \
             most recently pushed. Fails when the image does not exist, so a plan can refuse a tag \
             that was never pushed.",
        )
        .attribute(Attribute::computed("id", Type::String).describe("The image digest."))
        .attribute(Attribute::required("repository_name", Type::String).describe("The repository name."))
        .attribute(Attribute::optional("registry_id", Type::String).describe(
            "The registry (account) ID; defaults to the caller's account.",
        ))
        .attribute(Attribute::optional("image_tag", Type::String).describe(
            "The tag to resolve. Exactly one of `image_tag`, `image_digest` and `most_recent` is set.",
        ))
        .attribute(Attribute::optional_computed("image_digest", Type::String).describe(
            "The digest to look up, or, when resolving by tag or recency, the digest found.",
        ))
        .attribute(
            Attribute::optional("most_recent", Type::Bool)
                .describe("Resolve the most recently pushed image."),
        )
        .attribute(Attribute::computed("image_uri", Type::String).describe(
            "`<repository_url>@<digest>`: a reference that always means this exact image.",
        ))
        .attribute(Attribute::computed("image_tags", Type::list(Type::String)).describe("All tags of the image."))
        .attribute(Attribute::computed("image_pushed_at", Type::Number).describe(
            "When the image was pushed, in seconds since the Unix epoch.",
        ))
        .attribute(Attribute::computed("image_size_in_bytes", Type::Number).describe("The image size in bytes.")),
    )
}

#[async_trait]
impl DataSource for EcrImage {
    fn type_name(&self) -> &'static str {
        "todo_ecr_image"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let attrs = Attrs(config);
        let set = |name: &str| !attrs.get(name).is_null();
        let chosen = ["image_tag", "image_digest", "most_recent"]
            .iter()
            .filter(|name| set(name))
            .count();
        let any_unknown = ["image_tag", "image_digest", "most_recent"]
            .iter()
            .any(|name| attrs.is_unknown(name));
        if chosen != 1 && !any_unknown {
            diags.push(Diagnostic::invalid(
                AttributePath::root("image_tag"),
                "Choose one image selector",
                "Set exactly one of image_tag, image_digest and most_recent.",
            ));
        }
        if attrs.bool("most_recent") == Some(false) {
            diags.push(Diagnostic::invalid(
                AttributePath::root("most_recent"),
                "most_recent must be true when set",
                "Leave most_recent unset, or set it to true.",
            ));
        }
        if let Some(tag) = attrs.string("image_tag")
            && let Err(reason) = check_image_tag(&tag)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("image_tag"),
                "Invalid image tag",
                reason,
            ));
        }
        if let Some(digest) = attrs.string("image_digest")
            && let Err(reason) = check_image_digest(&digest)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("image_digest"),
                "Invalid image digest",
                reason,
            ));
        }
        if let Some(name) = attrs.string("repository_name")
            && let Err(reason) = super::ecr_repository::check_repository_name(&name)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("repository_name"),
                "Invalid repository name",
                reason,
            ));
        }
        diags
    }

    async fn read(&self, config: &Value, ctx: &CallContext) -> Result<Value, Diagnostics> {
        let clients = self.clients.get()?;
        let attrs = Attrs(config);
        let repository = attrs.string("repository_name").unwrap_or_default();
        let registry_id = attrs.non_empty("registry_id");
        let (selector, path) = if let Some(tag) = attrs.string("image_tag") {
            (ImageSelector::Tag(tag), "image_tag")
        } else if let Some(digest) = attrs.string("image_digest") {
            (ImageSelector::Digest(digest), "image_digest")
        } else {
            (ImageSelector::MostRecent, "most_recent")
        };
        let detail = find_image(clients, &repository, registry_id.as_deref(), &selector, ctx)
            .await
            .map_err(|error| lookup_diagnostic(&error, AttributePath::root(path)))?;
        let url = repository_url(clients, &repository, registry_id.as_deref(), ctx)
            .await
            .map_err(|e| Diagnostics::from(e.diagnostic("Cannot read ECR repository")))?;
        let digest = detail.image_digest().unwrap_or_default().to_owned();
        let mut tags: Vec<String> = detail.image_tags().to_vec();
        tags.sort();
        Ok(attrs::object([
            ("id", attrs::string(digest.clone())),
            ("repository_name", attrs::string(repository)),
            (
                "registry_id",
                attrs::opt_string(attrs.string("registry_id")),
            ),
            ("image_tag", attrs::opt_string(attrs.string("image_tag"))),
            ("image_digest", attrs::string(digest.clone())),
            ("most_recent", attrs::opt_bool(attrs.bool("most_recent"))),
            ("image_uri", attrs::string(format!("{url}@{digest}"))),
            ("image_tags", attrs::string_list(Some(&tags))),
            (
                "image_pushed_at",
                attrs::opt_number(detail.image_pushed_at().map(|t| t.secs())),
            ),
            (
                "image_size_in_bytes",
                attrs::opt_number(detail.image_size_in_bytes()),
            ),
        ]))
    }
}

/// The diagnostic for a failed lookup, on the attribute that selected the image.
pub fn lookup_diagnostic(error: &ImageLookupError, path: AttributePath) -> Diagnostics {
    let summary = match error {
        ImageLookupError::TagNotFound { .. } => "Image tag not found",
        ImageLookupError::DigestNotFound { .. } => "Image digest not found",
        ImageLookupError::RepositoryNotFound { .. } => "Repository not found",
        ImageLookupError::Empty { .. } => "Repository is empty",
        ImageLookupError::Call(error) => {
            return error.diagnostic("Cannot look up the image").at(path).into();
        }
    };
    Diagnostic::invalid(path, summary, error.to_string()).into()
}

/// The repository's URL, as ECR reports it.
pub async fn repository_url(
    clients: &AwsClients,
    repository: &str,
    registry_id: Option<&str>,
    ctx: &CallContext,
) -> Result<String, CallError> {
    let output = call(
        ctx,
        "ecr:DescribeRepositories",
        clients
            .ecr
            .describe_repositories()
            .repository_names(repository)
            .set_registry_id(registry_id.map(str::to_owned))
            .send(),
    )
    .await?;
    Ok(output
        .repositories()
        .first()
        .and_then(|r| r.repository_uri())
        .unwrap_or_default()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_ecr_rules() {
        for good in ["3f2a1bc", "v1.2.3", "_x", "A-b_c.d", &"a".repeat(128)] {
            assert!(check_image_tag(good).is_ok(), "{good}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "ä", &"a".repeat(129)] {
            assert!(check_image_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_are_sha256() {
        assert!(check_image_digest(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(check_image_digest("sha256:abc").is_err());
        assert!(check_image_digest(&format!("md5:{}", "a".repeat(64))).is_err());
    }
}
