//! The schema of `todo_ecr_repository`: its attributes, their defaults and the validators of
//! single attributes (the rules that involve several live in the resource's `validate`).

use aws_sdk_ecr::types::{EncryptionType, ImageTagMutability};

use super::lifecycle::check_policy_document;
use crate::plugin::{Attribute, Block, NestedBlock, Schema, Type, Validator, Value};
use crate::provider::tags;

/// The tag mutability settings ECR accepts.
pub const MUTABILITY_VALUES: [&str; 4] = [
    "MUTABLE",
    "IMMUTABLE",
    "IMMUTABLE_WITH_EXCLUSION",
    "MUTABLE_WITH_EXCLUSION",
];

/// The encryption types a configuration may choose.
pub(super) const ENCRYPTION_VALUES: [&str; 2] = ["AES256", "KMS"];

/// The exclusion filter types ECR accepts.
pub(super) const FILTER_TYPE_VALUES: [&str; 1] = ["WILDCARD"];

/// `image_tag_mutability` when the configuration leaves it unset (and when ECR omits it).
pub(super) const DEFAULT_MUTABILITY: ImageTagMutability = ImageTagMutability::Mutable;

/// `encryption_type` when the configuration leaves it unset (and when ECR omits it).
pub(super) const DEFAULT_ENCRYPTION: EncryptionType = EncryptionType::Aes256;

/// `scan_on_push` when the configuration leaves it unset (and when ECR omits it).
pub(super) const DEFAULT_SCAN_ON_PUSH: bool = false;

/// `force_delete` when the configuration leaves it unset, and after an import.
pub(super) const DEFAULT_FORCE_DELETE: bool = false;

/// The schema of `todo_ecr_repository`.
pub(super) fn schema() -> Schema {
    Schema::new(
        Block::new(
            "An ECR repository for a service's images, managed apart from the deployment so that \
             every build can push an image tagged with its git SHA before any deployment uses it.",
        )
        .attribute(
            Attribute::computed("id", Type::String)
                .stable()
                .describe("The repository name."),
        )
        .attribute(
            Attribute::required("name", Type::String)
                .requires_replace()
                .validate(repository_name())
                .subject("repository name")
                .describe("Repository name, such as `team/todo-service`."),
        )
        .attribute(
            Attribute::optional("image_tag_mutability", Type::String)
                .default(Value::from(DEFAULT_MUTABILITY.as_str()))
                .validate(Validator::OneOf(&MUTABILITY_VALUES))
                .describe(
                    "Whether a pushed tag may later name another image. Immutable tags make a \
                     git-SHA tag name one image forever; the `*_WITH_EXCLUSION` settings exempt \
                     the tags that match an `image_tag_mutability_exclusion_filter`. Updated in \
                     place.",
                ),
        )
        .attribute(
            Attribute::optional("scan_on_push", Type::Bool)
                .default(Value::Bool(DEFAULT_SCAN_ON_PUSH))
                .describe(
                    "Scan each image for vulnerabilities when it is pushed. Updated in place.",
                ),
        )
        .attribute(
            Attribute::optional("encryption_type", Type::String)
                .default(Value::from(DEFAULT_ENCRYPTION.as_str()))
                .requires_replace()
                .validate(Validator::OneOf(&ENCRYPTION_VALUES))
                .describe("How ECR encrypts the images at rest."),
        )
        .attribute(
            Attribute::optional_computed("kms_key", Type::String)
                .stable()
                .requires_replace()
                .validate(Validator::Arn(&["kms"]))
                .subject("KMS key ARN")
                .describe(
                    "KMS key ARN when `encryption_type` is `KMS`; AWS's managed `aws/ecr` key when \
                     unset.",
                ),
        )
        .attribute(
            Attribute::optional("keep_images", Type::Number)
                .validate(Validator::Between(1, 10_000))
                .describe(
                    "Keep only the newest N images: a lifecycle policy expires the rest, so a \
                     repository that receives a tag per commit does not grow without bound. \
                     Conflicts with `lifecycle_policy`.",
                ),
        )
        .attribute(
            Attribute::optional("lifecycle_policy", Type::String)
                .validate(Validator::custom(
                    "A JSON object with a `rules` array.",
                    check_policy_document,
                ))
                .subject("lifecycle policy")
                .describe(
                    "A lifecycle policy document (JSON, for example from `jsonencode`). \
                     Equivalent JSON never shows a difference. Conflicts with `keep_images`.",
                ),
        )
        .attribute(
            Attribute::optional("force_delete", Type::Bool)
                .default(Value::Bool(DEFAULT_FORCE_DELETE))
                .describe(
                    "Delete the repository even if it still holds images. When false, destroying \
                     a repository with images fails and nothing is deleted.",
                ),
        )
        .attribute(tags::tags_attribute("Tags for the repository."))
        .attribute(tags::tags_all_attribute(
            "The repository's tags, including the provider's `default_tags`.",
        ))
        .attribute(
            Attribute::computed("arn", Type::String)
                .stable()
                .describe("The repository ARN."),
        )
        .attribute(
            Attribute::computed("registry_id", Type::String)
                .stable()
                .describe("The registry (AWS account) ID."),
        )
        .attribute(
            Attribute::computed("repository_url", Type::String)
                .stable()
                .describe(
                    "The repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): \
                     push images to `<repository_url>:<tag>`.",
                ),
        )
        .block(
            NestedBlock::list(
                "image_tag_mutability_exclusion_filter",
                Block::new(
                    "Tags matching these filters are exempt from `image_tag_mutability`; \
                     allowed only with the `*_WITH_EXCLUSION` settings.",
                )
                .attribute(
                    Attribute::required("filter", Type::String)
                        .validate(Validator::Pattern {
                            regex: r"^[A-Za-z0-9._*-]{1,128}$",
                            meaning: "a wildcard pattern of 1-128 letters, digits, '.', '_', '-' \
                                      and '*'",
                        })
                        .subject("exclusion filter")
                        .describe("The tags to exempt, such as `latest` or `dev-*`."),
                )
                .attribute(
                    Attribute::required("filter_type", Type::String)
                        .validate(Validator::OneOf(&FILTER_TYPE_VALUES))
                        .describe("How `filter` matches tags."),
                ),
            )
            .items(0, 5),
        ),
    )
}

/// An ECR repository name ([`check_repository_name`]), as a validator.
pub fn repository_name() -> Validator {
    Validator::custom(
        "2-256 characters: lowercase path segments of letters and digits separated by single \
         `.`, `_` or `-`, joined by `/`.",
        check_repository_name,
    )
}

/// Checks a repository name against ECR's rules: 2-256 characters; `/`-separated segments of
/// `[a-z0-9]` runs joined by single `.`, `_` or `-`.
pub fn check_repository_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if !(2..=256).contains(&length) {
        return Err(format!(
            "must be 2 to 256 characters long; {name:?} has {length}"
        ));
    }
    for segment in name.split('/') {
        let mut previous_separator = true;
        for c in segment.chars() {
            match c {
                'a'..='z' | '0'..='9' => previous_separator = false,
                '.' | '_' | '-' if !previous_separator => previous_separator = true,
                _ => {
                    return Err(format!(
                        "{name:?} is not a valid ECR repository name: use lowercase letters and \
                         digits, separated by single '.', '_' or '-', in segments joined by '/'"
                    ));
                }
            }
        }
        if segment.is_empty() || previous_separator {
            return Err(format!(
                "{name:?} is not a valid ECR repository name: each '/'-separated segment must \
                 start and end with a lowercase letter or digit"
            ));
        }
    }
    Ok(())
}
