//! The logic of the provider functions `provider::todo::image_uri` and
//! `provider::todo::parse_image_uri`: building a container image URI from a repository URL and
//! a tag or digest, and splitting one back into its parts. Each is the inverse of the other for
//! every URI `image_uri` builds.

use serde::Serialize;

use super::ecr_image::{check_image_digest, check_image_tag};
use super::fargate_service::schema::check_repository_url;
use crate::plugin::{Attributes, Function, FunctionError, Parameter, Signature, Type, Value};

/// Why a function call failed, and which argument (0-based) caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ArgumentError {
    /// The argument at fault.
    pub argument: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// `<repository_url>:<tag>`, or `<repository_url>@<digest>` when `reference` is a digest
/// (`sha256:...`).
pub fn image_uri(repository_url: &str, reference: &str) -> Result<String, ArgumentError> {
    check_repository_url(repository_url).map_err(|message| ArgumentError {
        argument: 0,
        message,
    })?;
    let checked = if reference.starts_with("sha256:") {
        check_image_digest(reference).map(|()| format!("{repository_url}@{reference}"))
    } else {
        check_image_tag(reference).map(|()| format!("{repository_url}:{reference}"))
    };
    checked.map_err(|message| ArgumentError {
        argument: 1,
        message,
    })
}

/// The parts of an image URI; `None` where the URI has no such part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageUriParts {
    /// The registry host (and port), such as `123456789012.dkr.ecr.eu-central-1.amazonaws.com`;
    /// `None` for a Docker Hub short name such as `nginx`.
    pub registry: Option<String>,
    /// The repository path within the registry, such as `todo-service`.
    pub repository: String,
    /// The tag.
    pub tag: Option<String>,
    /// The digest.
    pub digest: Option<String>,
}

/// Splits `uri` (`[registry/]repository[:tag][@digest]`) into its parts. The first path
/// component is the registry when it looks like a host: it holds a `.` or a `:`, or is
/// `localhost` (the rule Docker uses).
pub fn parse_image_uri(uri: &str) -> Result<ImageUriParts, ArgumentError> {
    let fail = |message: String| ArgumentError {
        argument: 0,
        message,
    };
    if uri.is_empty() || uri.contains("://") || uri.contains(char::is_whitespace) {
        return Err(fail(format!(
            "{uri:?} is not an image URI such as \
             123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service:3f2a1bc"
        )));
    }
    let (name, digest) = match uri.split_once('@') {
        Some((name, digest)) => {
            check_image_digest(digest).map_err(fail)?;
            (name, Some(digest.to_owned()))
        }
        None => (uri, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match name[last_slash..].rfind(':') {
        Some(colon) => {
            let tag = &name[last_slash + colon + 1..];
            check_image_tag(tag).map_err(fail)?;
            (&name[..last_slash + colon], Some(tag.to_owned()))
        }
        None => (name, None),
    };
    let (registry, repository) = match path.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => {
            (Some(host.to_owned()), rest)
        }
        _ => (None, path),
    };
    if repository.is_empty() || repository.split('/').any(str::is_empty) {
        return Err(fail(format!("{uri:?} names no repository")));
    }
    Ok(ImageUriParts {
        registry,
        repository: repository.to_owned(),
        tag,
        digest,
    })
}

impl From<ArgumentError> for FunctionError {
    fn from(error: ArgumentError) -> Self {
        FunctionError {
            message: error.message,
            argument: Some(error.argument),
        }
    }
}

/// The string argument at `index` (the server guarantees known, non-null strings).
fn string_argument(arguments: &[Value], index: usize) -> Result<&str, FunctionError> {
    arguments
        .get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError {
            message: format!("argument {} must be a string", index + 1),
            argument: Some(index),
        })
}

/// `provider::todo::image_uri(repository_url, reference)`.
pub struct ImageUriFunction;

impl Function for ImageUriFunction {
    fn name(&self) -> &'static str {
        "image_uri"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "The image URI of a repository and a tag or digest.",
            description: "Returns `<repository_url>:<tag>`, or `<repository_url>@<digest>` when \
                          `reference` is a digest (`sha256:` and 64 hex digits). Fails on a tag \
                          ECR would refuse, a malformed digest, or a repository URL that \
                          already holds a tag or digest.",
            parameters: vec![
                Parameter {
                    name: "repository_url",
                    ty: Type::String,
                    description: "A repository URL without tag or digest, such as \
                                  `123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service`.",
                },
                Parameter {
                    name: "reference",
                    ty: Type::String,
                    description: "A tag (such as a short git SHA) or a digest (`sha256:...`).",
                },
            ],
            returns: Type::String,
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let url = string_argument(arguments, 0)?;
        let reference = string_argument(arguments, 1)?;
        Ok(Value::from(image_uri(url, reference)?))
    }
}

/// The object type `parse_image_uri` returns.
fn image_uri_parts_type() -> Type {
    Type::object(
        ["registry", "repository", "tag", "digest"]
            .into_iter()
            .map(|name| (name.to_owned(), Type::String)),
    )
}

/// `provider::todo::parse_image_uri(uri)`.
pub struct ParseImageUriFunction;

impl Function for ParseImageUriFunction {
    fn name(&self) -> &'static str {
        "parse_image_uri"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "The parts of an image URI.",
            description: "Returns `{ registry, repository, tag, digest }` (null where the URI has \
                          no such part): the inverse of `image_uri`. The first path component is \
                          the registry when it looks like a host (it holds a `.` or `:`, or is \
                          `localhost`).",
            parameters: vec![Parameter {
                name: "uri",
                ty: Type::String,
                description: "An image URI, such as \
                              `123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service:3f2a1bc`.",
            }],
            returns: image_uri_parts_type(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let parts = parse_image_uri(string_argument(arguments, 0)?)?;
        let text = |part: Option<String>| part.map_or(Value::Null, Value::from);
        Ok(Value::Object(Attributes::from([
            ("registry".to_owned(), text(parts.registry)),
            ("repository".to_owned(), Value::from(parts.repository)),
            ("tag".to_owned(), text(parts.tag)),
            ("digest".to_owned(), text(parts.digest)),
        ])))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const URL: &str = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service";

    #[test]
    fn tags_and_digests_join_the_repository_url() {
        assert_eq!(image_uri(URL, "3f2a1bc").unwrap(), format!("{URL}:3f2a1bc"));
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(image_uri(URL, &digest).unwrap(), format!("{URL}@{digest}"));
    }

    #[test]
    fn bad_arguments_name_the_argument_and_the_rule() {
        let tag = image_uri(URL, "-bad").unwrap_err();
        assert_eq!(tag.argument, 1);
        assert!(
            tag.message.contains("not a valid image tag"),
            "{}",
            tag.message
        );
        let digest = image_uri(URL, "sha256:abc").unwrap_err();
        assert_eq!(digest.argument, 1);
        assert!(
            digest.message.contains("not an image digest"),
            "{}",
            digest.message
        );
        let url = image_uri(&format!("{URL}:v1"), "v2").unwrap_err();
        assert_eq!(url.argument, 0);
        assert!(
            url.message.contains("without scheme, tag or digest"),
            "{}",
            url.message
        );
    }

    #[test]
    fn uris_split_into_registry_repository_tag_and_digest() {
        let digest = format!("sha256:{}", "b".repeat(64));
        let parts = parse_image_uri(&format!("{URL}:v1@{digest}")).unwrap();
        assert_eq!(
            parts.registry.as_deref(),
            Some("123456789012.dkr.ecr.eu-central-1.amazonaws.com")
        );
        assert_eq!(parts.repository, "todo-service");
        assert_eq!(parts.tag.as_deref(), Some("v1"));
        assert_eq!(parts.digest.as_deref(), Some(digest.as_str()));

        let hub = parse_image_uri("nginx").unwrap();
        assert_eq!(
            (hub.registry, hub.repository.as_str(), hub.tag),
            (None, "nginx", None)
        );
        let local = parse_image_uri("localhost:5000/team/app:1.0").unwrap();
        assert_eq!(local.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(local.repository, "team/app");
        assert_eq!(local.tag.as_deref(), Some("1.0"));

        for bad in ["", "https://x/y", "repo@sha256:zz", "repo:-x", "host.io/"] {
            assert!(parse_image_uri(bad).is_err(), "{bad:?}");
        }
    }

    fn repository_url() -> impl Strategy<Value = String> {
        (
            "[0-9]{12}",
            "[a-z]{2}-[a-z]{4,9}-[1-9]",
            proptest::collection::vec("[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?", 1..3),
        )
            .prop_map(|(account, region, path)| {
                format!(
                    "{account}.dkr.ecr.{region}.amazonaws.com/{}",
                    path.join("/")
                )
            })
    }

    fn reference() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9_][A-Za-z0-9._-]{0,40}",
            "[0-9a-f]{64}".prop_map(|hex| format!("sha256:{hex}")),
        ]
    }

    #[test]
    fn the_functions_take_and_give_values() {
        let uri = ImageUriFunction
            .call(&[Value::from(URL), Value::from("v1")])
            .unwrap();
        assert_eq!(uri.as_str(), Some(format!("{URL}:v1").as_str()));
        let error = ImageUriFunction
            .call(&[Value::from(URL), Value::from("-x")])
            .unwrap_err();
        assert_eq!(error.argument, Some(1));
        let parts = ParseImageUriFunction.call(&[uri]).unwrap();
        assert_eq!(
            parts.attr("repository").and_then(Value::as_str),
            Some("todo-service")
        );
        assert_eq!(parts.attr("tag").and_then(Value::as_str), Some("v1"));
        assert!(parts.attr("digest").is_some_and(Value::is_null));
    }

    proptest! {
        #[test]
        fn parse_image_uri_inverts_image_uri(url in repository_url(), reference in reference()) {
            let uri = image_uri(&url, &reference).unwrap();
            let parts = parse_image_uri(&uri).unwrap();
            let rebuilt = format!("{}/{}", parts.registry.clone().unwrap_or_default(), parts.repository);
            prop_assert_eq!(rebuilt, url);
            let back = parts.digest.or(parts.tag).unwrap_or_default();
            prop_assert_eq!(back, reference);
        }
    }
}
