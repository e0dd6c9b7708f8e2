//! `todo_ecr_repository`: an ECR repository managed on its own, apart from any deployment.
//! Schema, validation, plan modification, CRUD and import live together here.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType, Tag,
};

use super::ClientSlot;
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use super::tags;
use super::validate::legacy as validate;
use crate::plugin::attrs::{self, Attrs};
use crate::plugin::{
    Applied, Attribute, AttributePath, Block, CallContext, Diagnostic, Diagnostics, NestedBlock,
    Resource, ResourcePlan, Schema, Type, Value,
};

/// The tag mutability settings ECR accepts.
pub const MUTABILITY_VALUES: [&str; 4] = [
    "MUTABLE",
    "IMMUTABLE",
    "IMMUTABLE_WITH_EXCLUSION",
    "MUTABLE_WITH_EXCLUSION",
];

/// The `todo_ecr_repository` resource.
pub struct EcrRepository {
    clients: Arc<ClientSlot>,
}

impl EcrRepository {
    /// The resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

fn schema() -> Schema {
    Schema::new(
        Block::new(
            "An ECR repository for a service's images, managed apart from the deployment so that \
             every build can push an image tagged with its git SHA before any deployment uses it.",
        )
        .attribute(Attribute::computed("id", Type::String).stable().describe("The repository name."))
        .attribute(
            Attribute::required("name", Type::String).requires_replace().describe(
                "Repository name: 2-256 characters, lowercase path segments of letters and digits \
                 separated by `.`, `_` or `-`, joined by `/` (for example `team/todo-service`).",
            ),
        )
        .attribute(
            Attribute::optional("image_tag_mutability", Type::String)
                .default(attrs::string("MUTABLE"))
                .describe(
                    "`MUTABLE`, `IMMUTABLE`, `IMMUTABLE_WITH_EXCLUSION` or \
                     `MUTABLE_WITH_EXCLUSION`. Immutable tags make a git-SHA tag name one image \
                     forever. Updated in place.",
                ),
        )
        .attribute(
            Attribute::optional("scan_on_push", Type::Bool)
                .default(Value::Bool(false))
                .describe("Scan each image for vulnerabilities when it is pushed. Updated in place."),
        )
        .attribute(
            Attribute::optional("encryption_type", Type::String)
                .default(attrs::string("AES256"))
                .requires_replace()
                .describe("`AES256` or `KMS`."),
        )
        .attribute(
            Attribute::optional_computed("kms_key", Type::String)
                .stable()
                .requires_replace()
                .describe(
                    "KMS key ARN when `encryption_type` is `KMS`; AWS's managed `aws/ecr` key when \
                     unset.",
                ),
        )
        .attribute(Attribute::optional("keep_images", Type::Number).describe(
            "Keep only the newest N images: a lifecycle policy expires the rest, so a repository \
             that receives a tag per commit does not grow without bound. Conflicts with \
             `lifecycle_policy`.",
        ))
        .attribute(Attribute::optional("lifecycle_policy", Type::String).describe(
            "A lifecycle policy document (JSON, for example from `jsonencode`). Equivalent JSON \
             never shows a difference. Conflicts with `keep_images`.",
        ))
        .attribute(
            Attribute::optional("force_delete", Type::Bool)
                .default(Value::Bool(false))
                .describe(
                    "Delete the repository even if it still holds images. When false, destroying \
                     a repository with images fails and nothing is deleted.",
                ),
        )
        .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags for the repository."))
        .attribute(Attribute::computed("tags_all", Type::map(Type::String)).describe(
            "The repository's tags, including the provider's `default_tags`.",
        ))
        .attribute(Attribute::computed("arn", Type::String).stable().describe("The repository ARN."))
        .attribute(
            Attribute::computed("registry_id", Type::String)
                .stable()
                .describe("The registry (AWS account) ID."),
        )
        .attribute(Attribute::computed("repository_url", Type::String).stable().describe(
            "The repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): push images \
             to `<repository_url>:<tag>`.",
        ))
        .block(NestedBlock::list(
            "image_tag_mutability_exclusion_filter",
            Block::new(
                "Tags matching these filters are exempt from `image_tag_mutability`; allowed only \
                 with the `*_WITH_EXCLUSION` settings.",
            )
            .attribute(Attribute::required("filter", Type::String).describe(
                "A wildcard pattern (letters, digits, `.`, `_`, `-` and `*`), such as `latest` or `dev-*`.",
            ))
            .attribute(
                Attribute::required("filter_type", Type::String)
                    .describe("The filter type: `WILDCARD`."),
            ),
        ).items(0, 5)),
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

/// The lifecycle policy that keeps the newest `count` images.
pub fn keep_images_policy(count: i64) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Keep only the newest {count} images"),
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": count,
            },
            "action": { "type": "expire" },
        }]
    })
    .to_string()
}

/// The N of a policy that [`keep_images_policy`] generated, if it is one.
fn keep_images_count(policy: &str) -> Option<i64> {
    let parsed: serde_json::Value = serde_json::from_str(policy).ok()?;
    let count = parsed["rules"][0]["selection"]["countNumber"].as_i64()?;
    json_equivalent(policy, &keep_images_policy(count)).then_some(count)
}

/// JSON with object keys sorted and no insignificant whitespace: equal for equivalent documents.
pub fn normalize_json(text: &str) -> Result<String, serde_json::Error> {
    fn sort(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let sorted: BTreeMap<String, serde_json::Value> =
                    map.into_iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    let value: serde_json::Value = serde_json::from_str(text)?;
    serde_json::to_string(&sort(value))
}

/// A lifecycle policy in a canonical form: rules ordered by `rulePriority` (ECR evaluates them
/// by priority, and AWS returns them sorted), `tagPrefixList` / `tagPatternList` sorted (any
/// entry matches) and dropped when empty, object keys sorted, no insignificant whitespace.
/// Other JSON is only normalised ([`normalize_json`]).
pub fn normalize_lifecycle_policy(text: &str) -> Result<String, serde_json::Error> {
    let mut value: serde_json::Value = serde_json::from_str(text)?;
    if let Some(rules) = value
        .get_mut("rules")
        .and_then(serde_json::Value::as_array_mut)
    {
        rules.sort_by_key(|rule| rule.get("rulePriority").and_then(serde_json::Value::as_i64));
        for rule in rules.iter_mut() {
            let Some(selection) = rule
                .get_mut("selection")
                .and_then(serde_json::Value::as_object_mut)
            else {
                continue;
            };
            for list in ["tagPrefixList", "tagPatternList"] {
                match selection.get_mut(list) {
                    Some(serde_json::Value::Array(items)) if items.is_empty() => {
                        selection.remove(list);
                    }
                    Some(serde_json::Value::Array(items)) => {
                        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                    }
                    _ => {}
                }
            }
        }
    }
    normalize_json(&value.to_string())
}

/// Whether two lifecycle policies are the same policy (see [`normalize_lifecycle_policy`]).
fn json_equivalent(a: &str, b: &str) -> bool {
    matches!(
        (normalize_lifecycle_policy(a), normalize_lifecycle_policy(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

/// How the repository's lifecycle policy is configured.
#[derive(Debug, Clone, PartialEq)]
enum LifecycleSpec {
    None,
    KeepImages(i64),
    Policy(String),
}

impl LifecycleSpec {
    fn from_attrs(attrs: &Attrs<'_>) -> Self {
        if let Some(count) = attrs.i64("keep_images") {
            LifecycleSpec::KeepImages(count)
        } else if let Some(policy) = attrs.string("lifecycle_policy") {
            LifecycleSpec::Policy(policy)
        } else {
            LifecycleSpec::None
        }
    }

    fn policy_text(&self) -> Option<String> {
        match self {
            LifecycleSpec::None => None,
            LifecycleSpec::KeepImages(count) => Some(keep_images_policy(*count)),
            LifecycleSpec::Policy(text) => Some(text.clone()),
        }
    }

    /// How a remote policy shows in state, keeping the form (and text) the prior state used
    /// when the remote policy is equivalent to it.
    fn from_remote(remote: Option<&str>, prior: &LifecycleSpec) -> Self {
        let Some(remote) = remote else {
            return LifecycleSpec::None;
        };
        if let Some(prior_text) = prior.policy_text()
            && json_equivalent(remote, &prior_text)
        {
            return prior.clone();
        }
        match (prior, keep_images_count(remote)) {
            (LifecycleSpec::Policy(_), _) | (_, None) => {
                LifecycleSpec::Policy(normalize_json(remote).unwrap_or_else(|_| remote.to_owned()))
            }
            (_, Some(count)) => LifecycleSpec::KeepImages(count),
        }
    }
}

/// What the configuration (or plan) asks for.
#[derive(Debug, Clone)]
struct RepositorySpec {
    name: String,
    mutability: String,
    exclusion_filters: Vec<(String, String)>,
    scan_on_push: bool,
    encryption_type: String,
    kms_key: Option<String>,
    lifecycle: LifecycleSpec,
    tags_all: BTreeMap<String, String>,
}

impl RepositorySpec {
    fn from_plan(
        value: &Value,
        default_tags: &BTreeMap<String, String>,
    ) -> Result<Self, Diagnostics> {
        let attrs = Attrs(value);
        let name = attrs.string("name").ok_or_else(|| {
            Diagnostics::from(Diagnostic::invalid(
                AttributePath::root("name"),
                "Missing repository name",
                "name must be known before the repository is created.",
            ))
        })?;
        Ok(Self {
            name,
            mutability: attrs
                .string("image_tag_mutability")
                .unwrap_or_else(|| "MUTABLE".into()),
            exclusion_filters: exclusion_filters(&attrs),
            scan_on_push: attrs.bool("scan_on_push").unwrap_or(false),
            encryption_type: attrs
                .string("encryption_type")
                .unwrap_or_else(|| "AES256".into()),
            kms_key: attrs.non_empty("kms_key"),
            lifecycle: LifecycleSpec::from_attrs(&attrs),
            tags_all: tags::merge(default_tags, attrs.string_map("tags").as_ref()),
        })
    }
}

fn exclusion_filters(attrs: &Attrs<'_>) -> Vec<(String, String)> {
    attrs
        .blocks("image_tag_mutability_exclusion_filter")
        .iter()
        .filter_map(|b| Some((b.string("filter")?, b.string("filter_type")?)))
        .collect()
}

/// The repository as ECR reports it.
#[derive(Debug, Clone)]
struct RepositoryState {
    name: String,
    arn: String,
    registry_id: String,
    url: String,
    mutability: String,
    exclusion_filters: Vec<(String, String)>,
    scan_on_push: bool,
    encryption_type: String,
    kms_key: Option<String>,
    lifecycle_policy: Option<String>,
    tags: BTreeMap<String, String>,
}

/// Settings that live only in Terraform's state, or whose form depends on the configuration.
struct LocalSettings {
    force_delete: bool,
    lifecycle: LifecycleSpec,
    tags: Option<BTreeMap<String, String>>,
}

impl RepositoryState {
    fn to_value(&self, local: &LocalSettings, default_tags: &BTreeMap<String, String>) -> Value {
        let lifecycle =
            LifecycleSpec::from_remote(self.lifecycle_policy.as_deref(), &local.lifecycle);
        let (keep_images, lifecycle_policy) = match lifecycle {
            LifecycleSpec::None => (Value::Null, Value::Null),
            LifecycleSpec::KeepImages(count) => (attrs::number(count), Value::Null),
            LifecycleSpec::Policy(text) => (Value::Null, attrs::string(text)),
        };
        let own_tags = tags::own_tags(&self.tags, default_tags, local.tags.as_ref());
        let filters = Value::List(
            self.exclusion_filters
                .iter()
                .map(|(filter, filter_type)| {
                    attrs::object([
                        ("filter", attrs::string(filter.clone())),
                        ("filter_type", attrs::string(filter_type.clone())),
                    ])
                })
                .collect(),
        );
        attrs::object([
            ("id", attrs::string(self.name.clone())),
            ("name", attrs::string(self.name.clone())),
            (
                "image_tag_mutability",
                attrs::string(self.mutability.clone()),
            ),
            ("image_tag_mutability_exclusion_filter", filters),
            ("scan_on_push", Value::Bool(self.scan_on_push)),
            (
                "encryption_type",
                attrs::string(self.encryption_type.clone()),
            ),
            ("kms_key", attrs::opt_string(self.kms_key.clone())),
            ("keep_images", keep_images),
            ("lifecycle_policy", lifecycle_policy),
            ("force_delete", Value::Bool(local.force_delete)),
            ("tags", attrs::string_map(own_tags.as_ref())),
            ("tags_all", attrs::string_map(Some(&self.tags))),
            ("arn", attrs::string(self.arn.clone())),
            ("registry_id", attrs::string(self.registry_id.clone())),
            ("repository_url", attrs::string(self.url.clone())),
        ])
    }
}

fn local_settings(value: &Value) -> LocalSettings {
    let attrs = Attrs(value);
    LocalSettings {
        force_delete: attrs.bool("force_delete").unwrap_or(false),
        lifecycle: LifecycleSpec::from_attrs(&attrs),
        tags: attrs.string_map("tags"),
    }
}

/// The repository's tags, as ECR reports them.
async fn list_tags(
    clients: &AwsClients,
    arn: &str,
    ctx: &CallContext,
) -> Result<BTreeMap<String, String>, CallError> {
    Ok(call(
        ctx,
        "ecr:ListTagsForResource",
        clients
            .ecr
            .list_tags_for_resource()
            .resource_arn(arn)
            .send(),
    )
    .await?
    .tags()
    .iter()
    .map(|t| (t.key().to_owned(), t.value().to_owned()))
    .collect())
}

fn filters_to_sdk(
    filters: &[(String, String)],
) -> Result<Option<Vec<ImageTagMutabilityExclusionFilter>>, CallError> {
    if filters.is_empty() {
        return Ok(None);
    }
    filters
        .iter()
        .map(|(filter, filter_type)| {
            ImageTagMutabilityExclusionFilter::builder()
                .filter(filter)
                .filter_type(ImageTagMutabilityExclusionFilterType::from(
                    filter_type.as_str(),
                ))
                .build()
                .map_err(|e| CallError::Build("exclusion filter", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn tags_to_sdk(tags: &BTreeMap<String, String>) -> Result<Option<Vec<Tag>>, CallError> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| CallError::Build("tag", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

impl EcrRepository {
    /// Reads the repository; `None` when it does not exist.
    async fn describe(
        &self,
        clients: &AwsClients,
        name: &str,
        ctx: &CallContext,
    ) -> Result<Option<RepositoryState>, CallError> {
        let described = call(
            ctx,
            "ecr:DescribeRepositories",
            clients
                .ecr
                .describe_repositories()
                .repository_names(name)
                .send(),
        )
        .await;
        let repository = match described {
            Ok(output) => match output
                .repositories()
                .iter()
                .find(|r| r.repository_name() == Some(name))
            {
                Some(repository) => repository.clone(),
                None => return Ok(None),
            },
            Err(error) if error.is(&["RepositoryNotFoundException"]) => return Ok(None),
            Err(error) => return Err(error),
        };
        let arn = repository.repository_arn().unwrap_or_default().to_owned();
        let lifecycle_policy = match call(
            ctx,
            "ecr:GetLifecyclePolicy",
            clients
                .ecr
                .get_lifecycle_policy()
                .repository_name(name)
                .send(),
        )
        .await
        {
            Ok(output) => output.lifecycle_policy_text().map(str::to_owned),
            Err(error) if error.is(&["LifecyclePolicyNotFoundException"]) => None,
            Err(error) => return Err(error),
        };
        let tags = list_tags(clients, &arn, ctx).await?;
        let encryption = repository.encryption_configuration();
        Ok(Some(RepositoryState {
            name: name.to_owned(),
            registry_id: repository.registry_id().unwrap_or_default().to_owned(),
            url: repository.repository_uri().unwrap_or_default().to_owned(),
            mutability: repository
                .image_tag_mutability()
                .map_or("MUTABLE", |m| m.as_str())
                .to_owned(),
            exclusion_filters: repository
                .image_tag_mutability_exclusion_filters()
                .iter()
                .map(|f| (f.filter().to_owned(), f.filter_type().as_str().to_owned()))
                .collect(),
            scan_on_push: repository
                .image_scanning_configuration()
                .is_some_and(|c| c.scan_on_push()),
            encryption_type: encryption
                .map_or("AES256", |e| e.encryption_type().as_str())
                .to_owned(),
            kms_key: encryption.and_then(|e| e.kms_key()).map(str::to_owned),
            lifecycle_policy,
            tags,
            arn,
        }))
    }

    async fn put_lifecycle(
        &self,
        clients: &AwsClients,
        name: &str,
        lifecycle: &LifecycleSpec,
        ctx: &CallContext,
    ) -> Result<(), CallError> {
        match lifecycle.policy_text() {
            Some(text) => {
                call(
                    ctx,
                    "ecr:PutLifecyclePolicy",
                    clients
                        .ecr
                        .put_lifecycle_policy()
                        .repository_name(name)
                        .lifecycle_policy_text(text)
                        .send(),
                )
                .await?;
            }
            None => {
                match call(
                    ctx,
                    "ecr:DeleteLifecyclePolicy",
                    clients
                        .ecr
                        .delete_lifecycle_policy()
                        .repository_name(name)
                        .send(),
                )
                .await
                {
                    Ok(_) => {}
                    Err(error) if error.is(&["LifecyclePolicyNotFoundException"]) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(())
    }

    /// Reads the repository after a change and records it with the planned local settings.
    async fn state_after_change(
        &self,
        clients: &AwsClients,
        spec: &RepositorySpec,
        planned: &Value,
        ctx: &CallContext,
    ) -> Result<Option<Value>, CallError> {
        let Some(remote) = self.describe(clients, &spec.name, ctx).await? else {
            return Ok(None);
        };
        Ok(Some(
            remote.to_value(&local_settings(planned), &clients.default_tags),
        ))
    }
}

#[async_trait]
impl Resource for EcrRepository {
    fn type_name(&self) -> &'static str {
        "todo_ecr_repository"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let attrs = Attrs(config);
        if let Some(name) = attrs.string("name")
            && let Err(reason) = check_repository_name(&name)
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("name"),
                "Invalid repository name",
                reason,
            ));
        }
        validate::one_of(
            &attrs,
            "image_tag_mutability",
            AttributePath::root("image_tag_mutability"),
            &MUTABILITY_VALUES,
            &mut diags,
        );
        let filters = attrs.blocks("image_tag_mutability_exclusion_filter");
        if let Some(mutability) = attrs.string("image_tag_mutability") {
            let with_exclusion = mutability.ends_with("_WITH_EXCLUSION");
            if !filters.is_empty() && !with_exclusion {
                diags.push(Diagnostic::invalid(
                    AttributePath::root("image_tag_mutability_exclusion_filter"),
                    "Exclusion filters need an *_WITH_EXCLUSION setting",
                    format!(
                        "image_tag_mutability_exclusion_filter blocks are allowed only with \
                         IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not {mutability}."
                    ),
                ));
            }
            if filters.is_empty()
                && with_exclusion
                && !config
                    .attr("image_tag_mutability_exclusion_filter")
                    .is_some_and(Value::is_unknown)
            {
                diags.push(Diagnostic::invalid(
                    AttributePath::root("image_tag_mutability"),
                    "Missing exclusion filters",
                    format!("{mutability} needs at least one image_tag_mutability_exclusion_filter block."),
                ));
            }
        }
        for (index, filter) in filters.iter().enumerate() {
            let path =
                AttributePath::root("image_tag_mutability_exclusion_filter").index(index as i64);
            if let Some(pattern) = filter.string("filter") {
                let valid_chars = pattern
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*'));
                if pattern.is_empty() || pattern.len() > 128 || !valid_chars {
                    diags.push(Diagnostic::invalid(
                        path.clone().attr("filter"),
                        "Invalid exclusion filter",
                        format!("{pattern:?} must be 1-128 characters of letters, digits, '.', '_', '-' and '*'."),
                    ));
                }
            }
            validate::one_of(
                filter,
                "filter_type",
                path.attr("filter_type"),
                &["WILDCARD"],
                &mut diags,
            );
        }
        validate::one_of(
            &attrs,
            "encryption_type",
            AttributePath::root("encryption_type"),
            &["AES256", "KMS"],
            &mut diags,
        );
        if attrs.string("encryption_type").as_deref() == Some("AES256")
            && attrs.string("kms_key").is_some()
        {
            diags.push(Diagnostic::invalid(
                AttributePath::root("kms_key"),
                "kms_key needs KMS encryption",
                "kms_key applies only when encryption_type is \"KMS\".",
            ));
        }
        validate::in_range(&attrs, "keep_images", 1, 10_000, &mut diags);
        let keep = attrs.get("keep_images");
        let policy = attrs.get("lifecycle_policy");
        if !keep.is_null() && !policy.is_null() {
            diags.push(Diagnostic::invalid(
                AttributePath::root("keep_images"),
                "Conflicting lifecycle settings",
                "Set keep_images or lifecycle_policy, not both.",
            ));
        }
        if let Some(text) = attrs.string("lifecycle_policy") {
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(doc) if doc.get("rules").is_some_and(serde_json::Value::is_array) => {}
                Ok(_) => diags.push(Diagnostic::invalid(
                    AttributePath::root("lifecycle_policy"),
                    "Invalid lifecycle policy",
                    "A lifecycle policy is a JSON object with a \"rules\" array.",
                )),
                Err(error) => diags.push(Diagnostic::invalid(
                    AttributePath::root("lifecycle_policy"),
                    "Invalid lifecycle policy",
                    format!("The lifecycle policy is not valid JSON: {error}."),
                )),
            }
        }
        diags.extend(
            #[allow(deprecated)]
            tags::validate_tags(&attrs, AttributePath::root("tags")),
        );
        diags
    }

    async fn modify_plan(&self, plan: &mut ResourcePlan, _ctx: &CallContext) -> Diagnostics {
        let default_tags = match self.clients.get() {
            Ok(clients) => clients.default_tags.clone(),
            Err(_) => BTreeMap::new(),
        };
        if let Err(d) = tags::plan_tags_all(plan, &default_tags) {
            return d;
        }
        if plan.planned("encryption_type") == &attrs::string("AES256")
            && plan.config("kms_key").is_null()
        {
            // AES256 repositories have no key; keep the plan consistent with that.
            plan.set("kms_key", Value::Null);
        }
        Diagnostics::new()
    }

    async fn create(&self, planned: &Value, ctx: &CallContext) -> Applied {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return Applied::failed(None, d),
        };
        let spec = match RepositorySpec::from_plan(planned, &clients.default_tags) {
            Ok(spec) => spec,
            Err(d) => return Applied::failed(None, d),
        };
        let created = async {
            let mut encryption = EncryptionConfiguration::builder()
                .encryption_type(EncryptionType::from(spec.encryption_type.as_str()));
            if let Some(key) = &spec.kms_key {
                encryption = encryption.kms_key(key);
            }
            let encryption = encryption
                .build()
                .map_err(|e| CallError::Build("encryption configuration", e.to_string()))?;
            call(
                ctx,
                "ecr:CreateRepository",
                clients
                    .ecr
                    .create_repository()
                    .repository_name(&spec.name)
                    .image_tag_mutability(ImageTagMutability::from(spec.mutability.as_str()))
                    .set_image_tag_mutability_exclusion_filters(filters_to_sdk(
                        &spec.exclusion_filters,
                    )?)
                    .image_scanning_configuration(
                        ImageScanningConfiguration::builder()
                            .scan_on_push(spec.scan_on_push)
                            .build(),
                    )
                    .encryption_configuration(encryption)
                    .set_tags(tags_to_sdk(&spec.tags_all)?)
                    .send(),
            )
            .await
        }
        .await;
        if let Err(error) = created {
            let mut diagnostic = error.diagnostic("Cannot create ECR repository");
            if error.is(&["RepositoryAlreadyExistsException"]) {
                diagnostic.detail.push_str(&format!(
                    "\n\nA repository named {:?} already exists. Import it with \
                     `terraform import <address> {}` to manage it here.",
                    spec.name, spec.name
                ));
            }
            return Applied::failed(None, diagnostic.at(AttributePath::root("name")));
        }
        tracing::info!(repository = %spec.name, "created ECR repository");
        let mut diagnostics = Diagnostics::new();
        if spec.lifecycle != LifecycleSpec::None
            && let Err(error) = self
                .put_lifecycle(clients, &spec.name, &spec.lifecycle, ctx)
                .await
        {
            diagnostics.push(error.diagnostic("Cannot set the repository's lifecycle policy"));
        }
        match self.state_after_change(clients, &spec, planned, ctx).await {
            Ok(Some(state)) => Applied {
                state: Some(state),
                diagnostics,
            },
            Ok(None) => {
                diagnostics.push(Diagnostic::error(
                    "Repository vanished",
                    format!("ECR created {:?} but does not report it.", spec.name),
                ));
                Applied::failed(None, diagnostics)
            }
            Err(error) => {
                // It exists: record what was planned so it is not orphaned; refresh fixes details.
                diagnostics.push(error.diagnostic("Cannot read the new repository"));
                Applied::failed(Some(attrs::known_or_null(planned)), diagnostics)
            }
        }
    }

    async fn read(&self, state: &Value, ctx: &CallContext) -> Result<Option<Value>, Diagnostics> {
        let clients = self.clients.get()?;
        let Some(name) = Attrs(state).string("name") else {
            return Ok(None);
        };
        match self.describe(clients, &name, ctx).await {
            Ok(Some(remote)) => Ok(Some(
                remote.to_value(&local_settings(state), &clients.default_tags),
            )),
            Ok(None) => {
                tracing::info!(repository = %name, "repository no longer exists");
                Ok(None)
            }
            Err(error) => Err(error.diagnostic("Cannot read ECR repository").into()),
        }
    }

    async fn update(&self, prior: &Value, planned: &Value, ctx: &CallContext) -> Applied {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return Applied::failed(Some(prior.clone()), d),
        };
        let (before, spec) = match (
            RepositorySpec::from_plan(prior, &clients.default_tags),
            RepositorySpec::from_plan(planned, &clients.default_tags),
        ) {
            (Ok(before), Ok(spec)) => (before, spec),
            (Err(d), _) | (_, Err(d)) => return Applied::failed(Some(prior.clone()), d),
        };
        let arn = Attrs(prior).string("arn").unwrap_or_default();
        let result: Result<(), CallError> = async {
            if before.mutability != spec.mutability
                || before.exclusion_filters != spec.exclusion_filters
            {
                call(
                    ctx,
                    "ecr:PutImageTagMutability",
                    clients
                        .ecr
                        .put_image_tag_mutability()
                        .repository_name(&spec.name)
                        .image_tag_mutability(ImageTagMutability::from(spec.mutability.as_str()))
                        .set_image_tag_mutability_exclusion_filters(filters_to_sdk(
                            &spec.exclusion_filters,
                        )?)
                        .send(),
                )
                .await?;
            }
            if before.scan_on_push != spec.scan_on_push {
                call(
                    ctx,
                    "ecr:PutImageScanningConfiguration",
                    clients
                        .ecr
                        .put_image_scanning_configuration()
                        .repository_name(&spec.name)
                        .image_scanning_configuration(
                            ImageScanningConfiguration::builder()
                                .scan_on_push(spec.scan_on_push)
                                .build(),
                        )
                        .send(),
                )
                .await?;
            }
            let lifecycle_changed =
                match (before.lifecycle.policy_text(), spec.lifecycle.policy_text()) {
                    (Some(a), Some(b)) => !json_equivalent(&a, &b),
                    (a, b) => a.is_some() != b.is_some(),
                };
            if lifecycle_changed {
                self.put_lifecycle(clients, &spec.name, &spec.lifecycle, ctx)
                    .await?;
            }
            let current_tags = list_tags(clients, &arn, ctx).await?;
            let tags::TagChanges { removed, changed } =
                tags::changes(&current_tags, &spec.tags_all);
            if !removed.is_empty() {
                call(
                    ctx,
                    "ecr:UntagResource",
                    clients
                        .ecr
                        .untag_resource()
                        .resource_arn(&arn)
                        .set_tag_keys(Some(removed))
                        .send(),
                )
                .await?;
            }
            if !changed.is_empty() {
                call(
                    ctx,
                    "ecr:TagResource",
                    clients
                        .ecr
                        .tag_resource()
                        .resource_arn(&arn)
                        .set_tags(tags_to_sdk(&changed)?)
                        .send(),
                )
                .await?;
            }
            Ok(())
        }
        .await;
        // Whatever happened, record the repository as it now is.
        let state = self.state_after_change(clients, &spec, planned, ctx).await;
        match (result, state) {
            (Ok(()), Ok(Some(state))) => Applied::ok(state),
            (Ok(()), Ok(None)) => Applied::failed(
                None,
                Diagnostic::error(
                    "Repository vanished",
                    format!("{:?} no longer exists.", spec.name),
                ),
            ),
            (Err(error), Ok(state)) => Applied::failed(
                state.or_else(|| Some(prior.clone())),
                error.diagnostic("Cannot update ECR repository"),
            ),
            (_, Err(error)) => Applied::failed(
                Some(prior.clone()),
                error.diagnostic("Cannot update ECR repository"),
            ),
        }
    }

    async fn delete(&self, prior: &Value, ctx: &CallContext) -> Diagnostics {
        let clients = match self.clients.get() {
            Ok(clients) => clients,
            Err(d) => return d,
        };
        let attrs = Attrs(prior);
        let Some(name) = attrs.string("name") else {
            return Diagnostics::new();
        };
        let force = attrs.bool("force_delete").unwrap_or(false);
        match call(
            ctx,
            "ecr:DeleteRepository",
            clients
                .ecr
                .delete_repository()
                .repository_name(&name)
                .force(force)
                .send(),
        )
        .await
        {
            Ok(_) => {
                tracing::info!(repository = %name, force, "deleted ECR repository");
                Diagnostics::new()
            }
            Err(error) if error.is(&["RepositoryNotFoundException"]) => Diagnostics::new(),
            Err(error) if error.is(&["RepositoryNotEmptyException"]) => Diagnostic::invalid(
                AttributePath::root("force_delete"),
                "Repository still holds images",
                format!(
                    "ECR repository {name:?} still contains images, so it was not deleted. \
                     Delete the images first, or set force_delete = true on the resource (and \
                     apply) to delete the repository together with its images."
                ),
            )
            .into(),
            Err(error) => error.diagnostic("Cannot delete ECR repository").into(),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> Result<Value, Diagnostics> {
        let clients = self.clients.get()?;
        if let Err(reason) = check_repository_name(id) {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("Import todo_ecr_repository by repository name: {reason}."),
            )
            .into());
        }
        match self.describe(clients, id, ctx).await {
            Ok(Some(remote)) => {
                let local = LocalSettings {
                    force_delete: false,
                    lifecycle: LifecycleSpec::None,
                    tags: None,
                };
                Ok(remote.to_value(&local, &clients.default_tags))
            }
            Ok(None) => Err(Diagnostic::error(
                "Cannot import non-existent repository",
                format!("ECR has no repository named {id:?} in this account and region."),
            )
            .into()),
            Err(error) => Err(error.diagnostic("Cannot import ECR repository").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_ecr_rules() {
        for good in [
            "ab",
            "todo-service",
            "team/todo_service",
            "a.b-c_d/e1",
            "0a",
        ] {
            assert!(check_repository_name(good).is_ok(), "{good}");
        }
        for bad in [
            "a",
            "Todo",
            "todo--service",
            "-todo",
            "todo-",
            "team//x",
            "/x",
            "x/",
            "a b",
            "todo.-x",
        ] {
            assert!(check_repository_name(bad).is_err(), "{bad}");
        }
        assert!(check_repository_name(&"a".repeat(257)).is_err());
    }

    #[test]
    fn equivalent_json_normalizes_equal() {
        let a = r#"{"rules":[{"rulePriority":1,"action":{"type":"expire"}}]}"#;
        let b = "{ \"rules\": [ { \"action\": {\"type\": \"expire\"}, \"rulePriority\": 1 } ] }";
        assert!(json_equivalent(a, b));
        assert!(!json_equivalent(a, r#"{"rules":[]}"#));
    }

    #[test]
    fn lifecycle_policies_compare_as_aws_returns_them() {
        let configured = r#"{"rules":[
            {"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}},
            {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v","release"],"tagPatternList":[],"countType":"sinceImagePushed","countUnit":"days","countNumber":90},"action":{"type":"expire"}}]}"#;
        let returned = r#"{"rules":[
            {"action":{"type":"expire"},"rulePriority":1,"selection":{"countNumber":90,"countType":"sinceImagePushed","countUnit":"days","tagPrefixList":["release","v"],"tagStatus":"tagged"}},
            {"action":{"type":"expire"},"rulePriority":2,"selection":{"countNumber":3,"countType":"imageCountMoreThan","tagStatus":"any"}}]}"#;
        assert!(json_equivalent(configured, returned));
        let other_count = returned.replace("\"countNumber\":90", "\"countNumber\":30");
        assert!(!json_equivalent(configured, &other_count));
        // Priorities decide the order; swapping them is a different policy.
        let swapped = configured
            .replace("\"rulePriority\":2", "\"rulePriority\":9")
            .replace("\"rulePriority\":1", "\"rulePriority\":2")
            .replace("\"rulePriority\":9", "\"rulePriority\":1");
        assert!(!json_equivalent(configured, &swapped));
    }

    #[test]
    fn keep_images_policies_are_recognised() {
        let policy = keep_images_policy(30);
        assert_eq!(keep_images_count(&policy), Some(30));
        let reformatted = normalize_json(&policy).unwrap_or_default();
        assert_eq!(keep_images_count(&reformatted), Some(30));
        assert_eq!(keep_images_count(r#"{"rules":[]}"#), None);
    }

    #[test]
    fn remote_policy_keeps_the_configured_form() {
        let prior = LifecycleSpec::KeepImages(5);
        let remote = normalize_json(&keep_images_policy(5)).unwrap_or_default();
        assert_eq!(LifecycleSpec::from_remote(Some(&remote), &prior), prior);
        let changed = keep_images_policy(7);
        assert_eq!(
            LifecycleSpec::from_remote(Some(&changed), &prior),
            LifecycleSpec::KeepImages(7)
        );
        let text = "{ \"rules\": [] }".to_owned();
        let prior = LifecycleSpec::Policy(text.clone());
        assert_eq!(
            LifecycleSpec::from_remote(Some(r#"{"rules":[]}"#), &prior),
            prior
        );
        assert_eq!(
            LifecycleSpec::from_remote(None, &prior),
            LifecycleSpec::None
        );
    }
}
