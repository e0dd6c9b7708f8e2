//! The digest a pinned image tag pointed at when the service was last refreshed, kept in the
//! private state. With `pin_digest`, planning takes the digest from here instead of asking
//! ECR: Terraform plans once more during apply (without refreshing first), and that plan must
//! show the same digest as the one the user approved, even if the tag has moved in between.
//! The apply then deploys the planned digest, and says so when the tag has moved since.

use serde::{Deserialize, Serialize};

use crate::plugin::Private;

/// The private state key.
const KEY: &str = "observed_image";

/// What a pinned tag resolved to at the last refresh.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ObservedImage {
    /// The repository URL.
    pub repository_url: String,
    /// The tag.
    pub image_tag: String,
    /// The digest the tag pointed at.
    pub digest: String,
}

impl ObservedImage {
    /// The digest recorded for `repository_url:image_tag`, if that is what was observed.
    pub fn digest_of(private: &Private, repository_url: &str, image_tag: &str) -> Option<String> {
        let observed: ObservedImage = private.get(KEY).ok().flatten()?;
        (observed.repository_url == repository_url && observed.image_tag == image_tag)
            .then_some(observed.digest)
    }

    /// Records this observation in `private`.
    pub fn record(&self, private: &mut Private) {
        if let Err(error) = private.set(KEY, self) {
            crate::log_warn!(%error, "cannot record the observed image digest");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_observation_answers_only_for_its_own_tag() {
        let mut private = Private::default();
        assert_eq!(ObservedImage::digest_of(&private, "repo", "v1"), None);
        ObservedImage {
            repository_url: "repo".into(),
            image_tag: "v1".into(),
            digest: "sha256:1".into(),
        }
        .record(&mut private);
        let private = Private::from_bytes(&private.to_bytes());
        assert_eq!(
            ObservedImage::digest_of(&private, "repo", "v1").as_deref(),
            Some("sha256:1")
        );
        assert_eq!(ObservedImage::digest_of(&private, "repo", "v2"), None);
        assert_eq!(ObservedImage::digest_of(&private, "other", "v1"), None);
    }
}
