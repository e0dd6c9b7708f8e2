//! Remote to model: the repository as ECR reports it ([`FoundRepository`]) as the state to
//! record, one function per block, each the inverse of its `expand_*` in `model.rs`.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter,
};

use super::find::FoundRepository;
use super::lifecycle::LifecycleSpec;
use super::model::{ExclusionFilterModel, RepositoryModel};
use super::schema::{
    DEFAULT_ENCRYPTION, DEFAULT_FORCE_DELETE, DEFAULT_MUTABILITY, DEFAULT_SCAN_ON_PUSH,
};
use crate::plugin::Known;
use crate::provider::tags;

/// The state to record for `found`. The settings that live only in Terraform's state
/// (`force_delete`), and the form that depends on the configuration (`keep_images` or
/// `lifecycle_policy`; which tags are the resource's own), come from `prior`: the plan after a
/// change, the state on a refresh, `None` on import.
pub(super) fn flatten_repository(
    found: &FoundRepository,
    prior: Option<&RepositoryModel>,
    default_tags: &BTreeMap<String, String>,
) -> RepositoryModel {
    let repository = &found.repository;
    let (encryption_type, kms_key) =
        flatten_encryption_configuration(repository.encryption_configuration());
    let prior_lifecycle = prior.map_or(LifecycleSpec::None, RepositoryModel::lifecycle);
    let (keep_images, lifecycle_policy) =
        flatten_lifecycle_policy(found.lifecycle_policy.as_deref(), &prior_lifecycle);
    let text = |value: Option<&str>| Known::Value(value.unwrap_or_default().to_owned());
    RepositoryModel {
        id: Known::Value(found.name.clone()),
        name: found.name.clone(),
        image_tag_mutability: flatten_image_tag_mutability(repository.image_tag_mutability()),
        image_tag_mutability_exclusion_filter: flatten_exclusion_filters(
            repository.image_tag_mutability_exclusion_filters(),
        ),
        scan_on_push: flatten_image_scanning_configuration(
            repository.image_scanning_configuration(),
        ),
        encryption_type,
        kms_key,
        keep_images,
        lifecycle_policy,
        force_delete: prior.map_or(DEFAULT_FORCE_DELETE, |p| p.force_delete),
        tags: tags::own_tags(
            &found.tags,
            default_tags,
            prior.and_then(|p| p.tags.as_ref()),
        ),
        tags_all: Known::Value(found.tags.clone()),
        arn: text(repository.repository_arn()),
        registry_id: text(repository.registry_id()),
        repository_url: text(repository.repository_uri()),
    }
}

/// `image_tag_mutability`, which ECR may omit for the default.
fn flatten_image_tag_mutability(mutability: Option<&ImageTagMutability>) -> ImageTagMutability {
    mutability.cloned().unwrap_or(DEFAULT_MUTABILITY)
}

/// The `image_tag_mutability_exclusion_filter` blocks.
fn flatten_exclusion_filters(
    filters: &[ImageTagMutabilityExclusionFilter],
) -> Vec<ExclusionFilterModel> {
    filters
        .iter()
        .map(|f| ExclusionFilterModel {
            filter: f.filter().to_owned(),
            filter_type: f.filter_type().clone(),
        })
        .collect()
}

/// `scan_on_push`.
fn flatten_image_scanning_configuration(scanning: Option<&ImageScanningConfiguration>) -> bool {
    scanning.map_or(
        DEFAULT_SCAN_ON_PUSH,
        ImageScanningConfiguration::scan_on_push,
    )
}

/// `encryption_type` and `kms_key`.
fn flatten_encryption_configuration(
    encryption: Option<&EncryptionConfiguration>,
) -> (EncryptionType, Known<String>) {
    match encryption {
        Some(encryption) => (
            encryption.encryption_type().clone(),
            Known::from(encryption.kms_key().map(str::to_owned)),
        ),
        None => (DEFAULT_ENCRYPTION, Known::Null),
    }
}

/// `keep_images` and `lifecycle_policy`, in the form the prior state used when the remote
/// policy is equivalent to it ([`LifecycleSpec::from_remote`]).
fn flatten_lifecycle_policy(
    remote: Option<&str>,
    prior: &LifecycleSpec,
) -> (Option<i64>, Option<String>) {
    match LifecycleSpec::from_remote(remote, prior) {
        LifecycleSpec::None => (None, None),
        LifecycleSpec::KeepImages(count) => (Some(count), None),
        LifecycleSpec::Policy(text) => (None, Some(text)),
    }
}
