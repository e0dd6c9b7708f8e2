//! Resource tags for ECR and ECS: validation by AWS's rules, `tags_all` (the resource's tags
//! merged over the provider's default tags, the resource's own value winning for the same
//! key), and the calls that bring a resource's tags to what the configuration asks for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::aws_error::{CallError, call};
use super::config::AwsClients;
use crate::plugin::{Attribute, CallContext, Diagnostics, Known, ResourcePlan, Type, Validator};

/// The largest number of tags AWS allows on a resource.
pub const MAX_TAGS: usize = 50;

/// The `tags` argument of a resource, with AWS's tag rules ([`validators`]).
pub fn tags_attribute(description: &str) -> Attribute {
    let mut attribute = Attribute::optional("tags", Type::map(Type::String))
        .describe(description)
        .subject("tag");
    attribute.validators = validators();
    attribute
}

/// The computed `tags_all` attribute of a resource: its tags with the provider's defaults.
pub fn tags_all_attribute(description: &str) -> Attribute {
    Attribute::computed("tags_all", Type::map(Type::String)).describe(description)
}

/// The validators of a `tags` attribute: at most 50 tags, keys of 1-128 characters that do
/// not start with `aws:`, values of at most 256 characters.
pub fn validators() -> Vec<Validator> {
    vec![
        Validator::MaxItems(MAX_TAGS),
        Validator::Keys(Box::new(Validator::Length(1, 128))),
        Validator::Keys(Box::new(Validator::custom(
            "No `aws:` prefix, which AWS reserves.",
            |key| {
                if key.to_ascii_lowercase().starts_with("aws:") {
                    Err(format!(
                        "Tag key {key:?} uses the reserved prefix \"aws:\"."
                    ))
                } else {
                    Ok(())
                }
            },
        ))),
        Validator::Elements(Box::new(Validator::Length(0, 256))),
    ]
}

/// The provider's default tags overlaid with the resource's tags.
pub fn merge(
    default_tags: &BTreeMap<String, String>,
    tags: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut all = default_tags.clone();
    if let Some(tags) = tags {
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    all
}

/// What changes bring a resource's tags from `current` to `wanted`: the keys to untag, and the
/// tags to (re)write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Keys present now but not wanted.
    pub removed: Vec<String>,
    /// Wanted tags that are missing or have another value.
    pub changed: BTreeMap<String, String>,
}

impl TagChanges {
    /// Sends the changes: `untag` with the removed keys, then `tag` with the changed tags,
    /// each only when there is something to send.
    pub async fn send(
        self,
        untag: impl AsyncFnOnce(Vec<String>) -> Result<(), CallError>,
        tag: impl AsyncFnOnce(BTreeMap<String, String>) -> Result<(), CallError>,
    ) -> Result<(), CallError> {
        if !self.removed.is_empty() {
            untag(self.removed).await?;
        }
        if !self.changed.is_empty() {
            tag(self.changed).await?;
        }
        Ok(())
    }
}

/// The [`TagChanges`] from `current` to `wanted`.
pub fn changes(
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> TagChanges {
    TagChanges {
        removed: current
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect(),
        changed: wanted
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// The `tags` of a plan, whose values may still be unknown.
#[derive(Debug, Deserialize)]
struct PlannedTags {
    tags: Known<BTreeMap<String, Known<String>>>,
}

/// The computed `tags_all` of a plan.
#[derive(Debug, Serialize)]
struct PlannedTagsAll {
    tags_all: Known<BTreeMap<String, String>>,
}

/// Plans `tags_all`: the default tags overlaid with `tags`, unknown until every tag is known.
pub fn plan_tags_all(
    plan: &mut ResourcePlan,
    default_tags: &Known<BTreeMap<String, String>>,
) -> Result<(), Diagnostics> {
    let PlannedTags { tags } = plan.planned_model()?;
    // Default tags that depend on values known only at apply: so does tags_all.
    let Known::Value(default_tags) = default_tags else {
        return plan.update_planned(&PlannedTagsAll {
            tags_all: Known::Unknown,
        });
    };
    let tags_all = match tags {
        Known::Unknown => Known::Unknown,
        Known::Null => Known::Value(default_tags.clone()),
        Known::Value(own) => own
            .into_iter()
            .map(|(key, value)| value.into_option().map(|value| (key, value)))
            .collect::<Option<BTreeMap<String, String>>>()
            .map_or(Known::Unknown, |own| {
                Known::Value(merge(default_tags, Some(&own)))
            }),
    };
    plan.update_planned(&PlannedTagsAll { tags_all })
}

/// The resource's own tags given what AWS reports (`tags_all`): the keys the configuration
/// manages keep their remote values, and remote keys that are neither configured nor default
/// tags are reported too, so that tags added outside Terraform show as drift.
pub fn own_tags(
    remote: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior_tags: Option<&BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    let own: BTreeMap<String, String> = remote
        .iter()
        .filter(|(k, v)| {
            prior_tags.is_some_and(|p| p.contains_key(*k)) || default_tags.get(*k) != Some(*v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if own.is_empty() && prior_tags.is_none() {
        None
    } else {
        Some(own)
    }
}

/// ECS tags from a map; `None` when there are none.
pub fn ecs_tags(tags: &BTreeMap<String, String>) -> Option<Vec<aws_sdk_ecs::types::Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// A map from ECS tags.
pub fn ecs_tag_map(tags: &[aws_sdk_ecs::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Brings an ECS resource's tags from `current` to `wanted`.
pub async fn sync_ecs_tags(
    clients: &AwsClients,
    arn: &str,
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
    ctx: &CallContext,
) -> Result<(), CallError> {
    let untag = async |keys| {
        let request = clients
            .ecs
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys));
        call(ctx, "ecs:UntagResource", request.send())
            .await
            .map(drop)
    };
    let tag = async |tags: BTreeMap<String, String>| {
        let request = clients
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .set_tags(ecs_tags(&tags));
        call(ctx, "ecs:TagResource", request.send()).await.map(drop)
    };
    changes(current, wanted).send(untag, tag).await
}

/// ECR tags from a map; `None` when there are none.
pub fn ecr_tags(
    tags: &BTreeMap<String, String>,
) -> Result<Option<Vec<aws_sdk_ecr::types::Tag>>, CallError> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_ecr::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| CallError::Build("tag", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// An ECR resource's tags, as ECR reports them.
pub async fn list_ecr_tags(
    clients: &AwsClients,
    arn: &str,
    ctx: &CallContext,
) -> Result<BTreeMap<String, String>, CallError> {
    let request = clients.ecr.list_tags_for_resource().resource_arn(arn);
    Ok(call(ctx, "ecr:ListTagsForResource", request.send())
        .await?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

/// Brings an ECR resource's tags from `current` to `wanted` (no call when they are the same).
pub async fn sync_ecr_tags(
    clients: &AwsClients,
    arn: &str,
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
    ctx: &CallContext,
) -> Result<(), CallError> {
    let untag = async |keys| {
        let request = clients
            .ecr
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys));
        call(ctx, "ecr:UntagResource", request.send())
            .await
            .map(drop)
    };
    let tag = async |tags: BTreeMap<String, String>| {
        let request = clients
            .ecr
            .tag_resource()
            .resource_arn(arn)
            .set_tags(ecr_tags(&tags)?);
        call(ctx, "ecr:TagResource", request.send()).await.map(drop)
    };
    changes(current, wanted).send(untag, tag).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn changes_untag_removed_keys_and_rewrite_changed_values() {
        let current = map(&[("keep", "1"), ("gone", "x"), ("moved", "a")]);
        let wanted = map(&[("keep", "1"), ("moved", "b"), ("new", "y")]);
        assert_eq!(
            changes(&current, &wanted),
            TagChanges {
                removed: vec!["gone".to_owned()],
                changed: map(&[("moved", "b"), ("new", "y")]),
            }
        );
        assert_eq!(changes(&wanted, &wanted), TagChanges::default());
    }

    #[test]
    fn resource_tags_win_over_defaults() {
        let merged = merge(
            &map(&[("team", "a"), ("env", "dev")]),
            Some(&map(&[("env", "prod")])),
        );
        assert_eq!(merged, map(&[("team", "a"), ("env", "prod")]));
    }

    #[test]
    fn own_tags_drop_defaults_but_keep_drift() {
        let remote = map(&[("team", "a"), ("env", "prod"), ("added", "x")]);
        let own = own_tags(
            &remote,
            &map(&[("team", "a")]),
            Some(&map(&[("env", "prod")])),
        );
        assert_eq!(own, Some(map(&[("env", "prod"), ("added", "x")])));
        assert_eq!(
            own_tags(&map(&[("team", "a")]), &map(&[("team", "a")]), None),
            None
        );
    }
}
