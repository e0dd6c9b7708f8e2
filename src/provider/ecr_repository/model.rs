//! The repository as configuration, plan and state hold it ([`RepositoryModel`], its field names
//! the attribute names), the partial views that validation and planning read, and the expand
//! helpers that turn the model's blocks into the ECR SDK's types (their inverses are in
//! `flatten.rs`).

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::lifecycle::LifecycleSpec;
use crate::plugin::Known;
use crate::provider::aws_error::CallError;

/// The repository as configuration, plan and state hold it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(super) struct RepositoryModel {
    pub(super) id: Known<String>,
    pub(super) name: String,
    #[serde(with = "sdk_enum")]
    pub(super) image_tag_mutability: ImageTagMutability,
    pub(super) image_tag_mutability_exclusion_filter: Vec<ExclusionFilterModel>,
    pub(super) scan_on_push: bool,
    #[serde(with = "sdk_enum")]
    pub(super) encryption_type: EncryptionType,
    pub(super) kms_key: Known<String>,
    pub(super) keep_images: Option<i64>,
    pub(super) lifecycle_policy: Option<String>,
    pub(super) force_delete: bool,
    pub(super) tags: Option<BTreeMap<String, String>>,
    pub(super) tags_all: Known<BTreeMap<String, String>>,
    pub(super) arn: Known<String>,
    pub(super) registry_id: Known<String>,
    pub(super) repository_url: Known<String>,
}

/// One `image_tag_mutability_exclusion_filter` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub(super) struct ExclusionFilterModel {
    pub(super) filter: String,
    #[serde(with = "sdk_enum")]
    pub(super) filter_type: ImageTagMutabilityExclusionFilterType,
}

impl RepositoryModel {
    /// How the lifecycle policy is configured.
    pub(super) fn lifecycle(&self) -> LifecycleSpec {
        LifecycleSpec::new(self.keep_images, self.lifecycle_policy.as_deref())
    }

    /// The KMS key, when one is set (an empty string is none).
    pub(super) fn kms_key(&self) -> Option<&str> {
        self.kms_key
            .as_ref()
            .map(String::as_str)
            .filter(|k| !k.is_empty())
    }
}

/// What the cross-attribute rules read from a configuration, where any value may still be
/// unknown (only whether `keep_images`, `lifecycle_policy` and the filter blocks are set matters).
#[derive(Debug, Deserialize)]
pub(super) struct RepositoryConfig {
    pub(super) image_tag_mutability: Known<String>,
    pub(super) image_tag_mutability_exclusion_filter: Known<Vec<IgnoredAny>>,
    pub(super) encryption_type: Known<String>,
    pub(super) kms_key: Known<String>,
    pub(super) keep_images: Known<IgnoredAny>,
    pub(super) lifecycle_policy: Known<IgnoredAny>,
}

/// The planned encryption settings, which plan modification reads.
#[derive(Debug, Deserialize)]
pub(super) struct PlannedEncryption {
    pub(super) encryption_type: Known<String>,
}

/// The configured KMS key, which plan modification reads, and the patch it plans.
#[derive(Debug, Deserialize, Serialize)]
pub(super) struct KmsKey {
    pub(super) kms_key: Known<String>,
}

/// The scanning configuration of `scan_on_push`.
pub(super) fn expand_image_scanning_configuration(
    scan_on_push: bool,
) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder()
        .scan_on_push(scan_on_push)
        .build()
}

/// The encryption configuration of `encryption_type` and `kms_key`.
pub(super) fn expand_encryption_configuration(
    encryption_type: &EncryptionType,
    kms_key: Option<&str>,
) -> Result<EncryptionConfiguration, CallError> {
    EncryptionConfiguration::builder()
        .encryption_type(encryption_type.clone())
        .set_kms_key(kms_key.map(str::to_owned))
        .build()
        .map_err(|e| CallError::Build("encryption configuration", e.to_string()))
}

/// The exclusion filters of the `image_tag_mutability_exclusion_filter` blocks; `None` when
/// there are none.
pub(super) fn expand_exclusion_filters(
    filters: &[ExclusionFilterModel],
) -> Result<Option<Vec<ImageTagMutabilityExclusionFilter>>, CallError> {
    if filters.is_empty() {
        return Ok(None);
    }
    filters
        .iter()
        .map(|f| {
            ImageTagMutabilityExclusionFilter::builder()
                .filter(&f.filter)
                .filter_type(f.filter_type.clone())
                .build()
                .map_err(|e| CallError::Build("exclusion filter", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// An AWS SDK enum as its string: values the SDK does not know (a setting ECR added later)
/// read and write unchanged, as a plain string would.
mod sdk_enum {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer, E: AsRef<str>>(
        value: &E,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.as_ref())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, E: for<'a> From<&'a str>>(
        deserializer: D,
    ) -> Result<E, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(E::from(text.as_str()))
    }
}
