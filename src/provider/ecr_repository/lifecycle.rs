//! The repository's lifecycle policy: the document `keep_images` stands for, and the
//! normalisation that makes equivalent JSON compare equal, so that AWS's reformatting of a
//! policy never shows as a difference.

use std::collections::BTreeMap;

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
pub(super) fn keep_images_count(policy: &str) -> Option<i64> {
    let parsed: serde_json::Value = serde_json::from_str(policy).ok()?;
    let count = parsed["rules"][0]["selection"]["countNumber"].as_i64()?;
    json_equivalent(policy, &keep_images_policy(count)).then_some(count)
}

/// Checks that a lifecycle policy is a JSON object with a `rules` array.
pub(super) fn check_policy_document(text: &str) -> Result<(), String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(doc) if doc.get("rules").is_some_and(serde_json::Value::is_array) => Ok(()),
        Ok(_) => Err("A lifecycle policy is a JSON object with a \"rules\" array.".to_owned()),
        Err(error) => Err(format!("The lifecycle policy is not valid JSON: {error}.")),
    }
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
pub(super) fn json_equivalent(a: &str, b: &str) -> bool {
    matches!(
        (normalize_lifecycle_policy(a), normalize_lifecycle_policy(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

/// How the repository's lifecycle policy is configured: `keep_images`, `lifecycle_policy`, or
/// neither.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum LifecycleSpec {
    /// No lifecycle policy.
    None,
    /// Keep the newest N images.
    KeepImages(i64),
    /// A policy document as written.
    Policy(String),
}

impl LifecycleSpec {
    /// The spec of the two attributes; `keep_images` wins (validation forbids both).
    pub(super) fn new(keep_images: Option<i64>, lifecycle_policy: Option<&str>) -> Self {
        match (keep_images, lifecycle_policy) {
            (Some(count), _) => LifecycleSpec::KeepImages(count),
            (None, Some(policy)) => LifecycleSpec::Policy(policy.to_owned()),
            (None, None) => LifecycleSpec::None,
        }
    }

    /// The policy document to put; `None` for no policy.
    pub(super) fn policy_text(&self) -> Option<String> {
        match self {
            LifecycleSpec::None => None,
            LifecycleSpec::KeepImages(count) => Some(keep_images_policy(*count)),
            LifecycleSpec::Policy(text) => Some(text.clone()),
        }
    }

    /// Whether the two specs put different policies (equivalent JSON is the same policy).
    pub(super) fn differs_from(&self, other: &LifecycleSpec) -> bool {
        match (self.policy_text(), other.policy_text()) {
            (Some(a), Some(b)) => !json_equivalent(&a, &b),
            (a, b) => a.is_some() != b.is_some(),
        }
    }

    /// How a remote policy shows in state, keeping the form (and text) the prior state used
    /// when the remote policy is equivalent to it.
    pub(super) fn from_remote(remote: Option<&str>, prior: &LifecycleSpec) -> Self {
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
