//! `todo_ecr_image` (data source): resolves an image in an ECR repository by tag, by digest,
//! or the most recently pushed one, so that a plan can refuse a tag that was never pushed.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageDetail, ImageIdentifier};
use serde::{Deserialize, Serialize};

use super::ClientSlot;
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use super::ecr_repository;
use crate::plugin::model::{from_value, to_value};
use crate::plugin::{
    Attribute, AttributePath, Block, CallContext, DataSource, Diagnostic, Diagnostics, Known,
    Schema, Type, Validator, Value,
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

/// An image tag ([`check_image_tag`]), as a validator.
pub fn image_tag() -> Validator {
    Validator::custom(
        "Up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.",
        check_image_tag,
    )
}

/// An image digest ([`check_image_digest`]), as a validator.
pub fn image_digest() -> Validator {
    Validator::custom("`sha256:` and 64 lowercase hex digits.", check_image_digest)
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
        .attribute(
            Attribute::required("repository_name", Type::String)
                .validate(ecr_repository::repository_name())
                .subject("repository name")
                .describe("The repository name."),
        )
        .attribute(
            Attribute::optional("registry_id", Type::String)
                .validate(Validator::Pattern {
                    regex: r"^[0-9]{12}$",
                    meaning: "an AWS account ID (12 digits)",
                })
                .subject("registry ID")
                .describe("The registry (account) ID; the caller's account when unset."),
        )
        .attribute(
            Attribute::optional("image_tag", Type::String)
                .validate(image_tag())
                .subject("image tag")
                .describe(
                    "The tag to resolve. Exactly one of `image_tag`, `image_digest` and \
                     `most_recent` is set.",
                ),
        )
        .attribute(
            Attribute::optional_computed("image_digest", Type::String)
                .validate(image_digest())
                .subject("image digest")
                .describe(
                    "The digest to look up, or, when resolving by tag or recency, the digest \
                     found.",
                ),
        )
        .attribute(
            Attribute::optional("most_recent", Type::Bool)
                .describe("Resolve the most recently pushed image."),
        )
        .attribute(Attribute::computed("image_uri", Type::String).describe(
            "`<repository_url>@<digest>`: a reference that always means this exact image.",
        ))
        .attribute(
            Attribute::computed("image_tags", Type::list(Type::String))
                .describe("All tags of the image."),
        )
        .attribute(
            Attribute::computed("image_pushed_at", Type::Number)
                .describe("When the image was pushed, in seconds since the Unix epoch."),
        )
        .attribute(
            Attribute::computed("image_size_in_bytes", Type::Number)
                .describe("The image size in bytes."),
        ),
    )
}

/// The data source's configuration, and the result it reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
struct ImageModel {
    id: Option<String>,
    repository_name: String,
    registry_id: Option<String>,
    image_tag: Option<String>,
    image_digest: Option<String>,
    most_recent: Option<bool>,
    image_uri: Option<String>,
    image_tags: Option<Vec<String>>,
    image_pushed_at: Option<i64>,
    image_size_in_bytes: Option<i64>,
}

impl ImageModel {
    /// Which image the configuration asks for.
    fn selector(&self) -> ImageSelector {
        match (&self.image_tag, &self.image_digest) {
            (Some(tag), _) => ImageSelector::Tag(tag.clone()),
            (None, Some(digest)) => ImageSelector::Digest(digest.clone()),
            (None, None) => ImageSelector::MostRecent,
        }
    }

    /// The registry to read, when one is set.
    fn registry_id(&self) -> Option<&str> {
        self.registry_id.as_deref().filter(|id| !id.is_empty())
    }
}

/// The image selectors of a configuration that may still hold unknown values.
#[derive(Debug, Deserialize)]
struct SelectorConfig {
    image_tag: Known<String>,
    image_digest: Known<String>,
    most_recent: Known<bool>,
}

/// The attribute that chooses the image by `selector`.
fn selector_path(selector: &ImageSelector) -> AttributePath {
    AttributePath::root(match selector {
        ImageSelector::Tag(_) => "image_tag",
        ImageSelector::Digest(_) => "image_digest",
        ImageSelector::MostRecent => "most_recent",
    })
}

/// The rules that span attributes: exactly one selector, and `most_recent` only as `true`
/// (a bool, which no validator checks).
fn check_selectors(config: &SelectorConfig) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let set = [
        !config.image_tag.is_null(),
        !config.image_digest.is_null(),
        !config.most_recent.is_null(),
    ];
    let any_unknown = config.image_tag.is_unknown()
        || config.image_digest.is_unknown()
        || config.most_recent.is_unknown();
    if set.iter().filter(|chosen| **chosen).count() != 1 && !any_unknown {
        diags.push(Diagnostic::invalid(
            selector_path(&ImageSelector::Tag(String::new())),
            "Choose one image selector",
            "Set exactly one of image_tag, image_digest and most_recent.",
        ));
    }
    if config.most_recent == Known::Value(false) {
        diags.push(Diagnostic::invalid(
            selector_path(&ImageSelector::MostRecent),
            "most_recent must be true when set",
            "Leave most_recent unset, or set it to true.",
        ));
    }
    diags
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
        match from_value::<SelectorConfig>(config) {
            Ok(config) => check_selectors(&config),
            Err(error) => error.into(),
        }
    }

    async fn read(&self, config: &Value, ctx: &CallContext) -> Result<Value, Diagnostics> {
        let clients = self.clients.get()?;
        let config: ImageModel = from_value(config)?;
        let repository = &config.repository_name;
        let registry_id = config.registry_id();
        let selector = config.selector();
        let detail = find_image(clients, repository, registry_id, &selector, ctx)
            .await
            .map_err(|error| lookup_diagnostic(&error, selector_path(&selector)))?;
        let url = repository_url(clients, repository, registry_id, ctx)
            .await
            .map_err(|e| Diagnostics::from(e.diagnostic("Cannot read ECR repository")))?;
        let digest = detail.image_digest().unwrap_or_default().to_owned();
        let mut tags: Vec<String> = detail.image_tags().to_vec();
        tags.sort();
        let image = ImageModel {
            id: Some(digest.clone()),
            image_uri: Some(format!("{url}@{digest}")),
            image_digest: Some(digest),
            image_tags: Some(tags),
            image_pushed_at: detail.image_pushed_at().map(|t| t.secs()),
            image_size_in_bytes: detail.image_size_in_bytes(),
            ..config
        };
        Ok(to_value(&image)?)
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

    /// A configuration, written through serde so that no attribute name is spelled here.
    #[derive(Debug, Default, Serialize)]
    struct Selectors {
        image_tag: Option<&'static str>,
        image_digest: Option<&'static str>,
        most_recent: Known<bool>,
    }

    fn summaries(selectors: &Selectors) -> Vec<String> {
        let value = to_value(selectors).unwrap_or(Value::Null);
        let config: SelectorConfig = from_value(&value).unwrap_or_else(|e| panic!("{e}"));
        check_selectors(&config)
            .iter()
            .map(|d| d.summary.clone())
            .collect()
    }

    #[test]
    fn exactly_one_selector() {
        let tag = Selectors {
            image_tag: Some("3f2a1bc"),
            ..Selectors::default()
        };
        assert!(summaries(&tag).is_empty());
        assert_eq!(
            summaries(&Selectors::default()),
            ["Choose one image selector"]
        );
        let two = Selectors {
            image_digest: Some("sha256:x"),
            ..tag
        };
        assert_eq!(summaries(&two), ["Choose one image selector"]);
        let unknown = Selectors {
            most_recent: Known::Unknown,
            ..Selectors::default()
        };
        assert!(summaries(&unknown).is_empty());
        let not_recent = Selectors {
            most_recent: Known::Value(false),
            ..Selectors::default()
        };
        assert_eq!(
            summaries(&not_recent),
            ["most_recent must be true when set"]
        );
    }

    #[test]
    fn digests_are_sha256() {
        assert!(check_image_digest(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(check_image_digest("sha256:abc").is_err());
        assert!(check_image_digest(&format!("md5:{}", "a".repeat(64))).is_err());
    }
}
