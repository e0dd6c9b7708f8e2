//! Unit tests of `todo_ecr_repository`: name rules, lifecycle policy equivalence, the model
//! against the schema, and the rules that span attributes.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{EncryptionType, ImageTagMutability};
use serde::Serialize;

use super::lifecycle::{LifecycleSpec, json_equivalent, keep_images_count};
use super::model::{RepositoryConfig, RepositoryModel};
use super::*;
use crate::plugin::model::{conform, to_value};
use crate::plugin::validator::validate_block;

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

/// The settings a configuration may choose are ones the SDK knows.
#[test]
fn allowed_values_are_the_sdks() {
    let mut ours = MUTABILITY_VALUES.to_vec();
    ours.sort_unstable();
    assert_eq!(ours, ImageTagMutability::values());
    for value in schema::ENCRYPTION_VALUES {
        assert!(EncryptionType::values().contains(&value), "{value}");
    }
}

/// A repository's state as tests start from it.
fn repository() -> RepositoryModel {
    RepositoryModel {
        id: Known::Value("todo".into()),
        name: "todo".into(),
        image_tag_mutability: ImageTagMutability::Mutable,
        image_tag_mutability_exclusion_filter: Vec::new(),
        scan_on_push: false,
        encryption_type: EncryptionType::Aes256,
        kms_key: Known::Null,
        keep_images: None,
        lifecycle_policy: Some(r#"{"rules":[]}"#.into()),
        force_delete: false,
        tags: None,
        tags_all: Known::Value(BTreeMap::new()),
        arn: Known::Value("arn:aws:ecr:us-east-1:123456789012:repository/todo".into()),
        registry_id: Known::Value("123456789012".into()),
        repository_url: Known::Value("123456789012.dkr.ecr.us-east-1.amazonaws.com/todo".into()),
    }
}

/// A state written by the model reads back as the same model, and fits the schema's type;
/// settings the SDK does not know (here `KMS_DSSE`) are kept as ECR reports them.
#[test]
fn the_model_round_trips_through_a_state_value() {
    let model = RepositoryModel {
        image_tag_mutability: ImageTagMutability::ImmutableWithExclusion,
        image_tag_mutability_exclusion_filter: vec![model::ExclusionFilterModel {
            filter: "dev-*".into(),
            filter_type: "WILDCARD".into(),
        }],
        encryption_type: "KMS_DSSE".into(),
        keep_images: Some(5),
        lifecycle_policy: None,
        tags: Some(BTreeMap::from([("team".into(), "web".into())])),
        tags_all: Known::Unknown,
        arn: Known::Unknown,
        ..repository()
    };
    let value = conform(
        to_value(&model).unwrap_or(Value::Null),
        &schema::schema().value_type(),
    );
    let back: RepositoryModel = from_value(&value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, model);
    let known: RepositoryModel =
        from_value(&value.unknowns_to_null()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(known.arn, Known::Null);
    assert_eq!(known.id, Known::Value("todo".into()));
}

/// Update calls only what the model says changed: here scanning, while the lifecycle policy
/// is the same document written another way. The state keeps the configured text.
#[tokio::test]
async fn update_changes_only_what_differs() {
    use crate::provider::fake_aws::{Answer, FakeAws, updated};

    let fake = FakeAws::default();
    for operation in [
        "PutImageScanningConfiguration",
        "TagResource",
        "UntagResource",
    ] {
        fake.answer(operation, Answer::ok(serde_json::json!({})));
    }
    fake.answer(
        "ListTagsForResource",
        Answer::ok(serde_json::json!({"tags": []})),
    );
    fake.answer(
        "DescribeRepositories",
        Answer::ok(serde_json::json!({"repositories": [{
            "repositoryName": "todo",
            "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/todo",
            "registryId": "123456789012",
            "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo",
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": true},
            "encryptionConfiguration": {"encryptionType": "AES256"},
        }]})),
    );
    fake.answer(
        "GetLifecyclePolicy",
        Answer::ok(serde_json::json!({"lifecyclePolicyText": r#"{"rules":[]}"#})),
    );
    let clients = fake.start().await.unwrap_or_else(|e| panic!("{e}"));
    let slot = ClientSlot::ready(clients);
    let resource = EcrRepository::new(Arc::new(slot));

    let prior = repository();
    let planned = RepositoryModel {
        scan_on_push: true,
        lifecycle_policy: Some("{ \"rules\": [ ] }".into()),
        ..repository()
    };
    let applied = updated(
        &resource,
        &to_value(&prior).unwrap_or(Value::Null),
        &to_value(&planned).unwrap_or(Value::Null),
    )
    .await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let operations: Vec<String> = fake.calls().into_iter().map(|c| c.operation).collect();
    // The tags are unchanged and every call answered: nothing is read back.
    assert_eq!(operations, ["PutImageScanningConfiguration"]);
    let state: RepositoryModel = applied
        .state
        .as_ref()
        .map(from_value)
        .unwrap_or_else(|| panic!("no state"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state, planned);
}

/// A configuration, written through serde so that no attribute name is spelled here.
#[derive(Debug, Default, Serialize)]
struct Config {
    name: Option<&'static str>,
    image_tag_mutability: Option<&'static str>,
    image_tag_mutability_exclusion_filter: Known<Vec<Filter>>,
    encryption_type: Option<&'static str>,
    kms_key: Option<&'static str>,
    keep_images: Option<i64>,
    lifecycle_policy: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct Filter {
    filter: &'static str,
    filter_type: &'static str,
}

/// The summaries of the diagnostics that validation reports: the schema's validators, then
/// the resource's own rules.
fn summaries(config: Config) -> Vec<String> {
    let config = Config {
        name: config.name.or(Some("todo")),
        ..config
    };
    let value = conform(
        to_value(&config).unwrap_or(Value::Null),
        &schema::schema().value_type(),
    );
    let mut diagnostics = validate_block(&schema::schema().block, &value, &Default::default());
    let parsed: RepositoryConfig = from_value(&value).unwrap_or_else(|e| panic!("{e}"));
    diagnostics.extend(check_config(&parsed));
    diagnostics.iter().map(|d| d.summary.clone()).collect()
}

#[test]
fn attribute_rules_are_validators_and_cross_rules_remain() {
    assert!(summaries(Config::default()).is_empty());
    let bad_name = Config {
        name: Some("Todo--Service"),
        ..Config::default()
    };
    assert_eq!(summaries(bad_name), ["Invalid repository name"]);
    let both = Config {
        keep_images: Some(0),
        lifecycle_policy: Some("{}"),
        ..Config::default()
    };
    assert_eq!(
        summaries(both),
        [
            "Invalid keep_images",
            "Invalid lifecycle policy",
            "Conflicting lifecycle settings"
        ]
    );
    let key = Config {
        encryption_type: Some("AES256"),
        kms_key: Some("arn:aws:kms:us-east-1:123456789012:key/x"),
        ..Config::default()
    };
    assert_eq!(summaries(key), ["kms_key needs KMS encryption"]);
    let filters = Config {
        image_tag_mutability: Some("MUTABLE"),
        image_tag_mutability_exclusion_filter: Known::Value(vec![Filter {
            filter: "dev *",
            filter_type: "GLOB",
        }]),
        ..Config::default()
    };
    assert_eq!(
        summaries(filters),
        [
            "Invalid exclusion filter",
            "Invalid filter_type",
            "Exclusion filters need an *_WITH_EXCLUSION setting"
        ]
    );
    let missing = Config {
        image_tag_mutability: Some("IMMUTABLE_WITH_EXCLUSION"),
        ..Config::default()
    };
    assert_eq!(summaries(missing), ["Missing exclusion filters"]);
    // Filters from a dynamic block that is not known yet may be there.
    let unknown = Config {
        image_tag_mutability: Some("IMMUTABLE_WITH_EXCLUSION"),
        image_tag_mutability_exclusion_filter: Known::Unknown,
        ..Config::default()
    };
    assert!(summaries(unknown).is_empty());
}

/// A fake ECR whose CreateRepository answers "already exists" and whose repository `todo` was
/// created `age_secs` ago.
async fn existing_repository(age_secs: i64) -> (crate::provider::fake_aws::FakeAws, EcrRepository) {
    use crate::provider::fake_aws::{Answer, FakeAws};

    let fake = FakeAws::default();
    fake.answer(
        "CreateRepository",
        Answer::error("RepositoryAlreadyExistsException", "exists"),
    );
    fake.answer("PutLifecyclePolicy", Answer::ok(serde_json::json!({})));
    fake.answer(
        "ListTagsForResource",
        Answer::ok(serde_json::json!({"tags": []})),
    );
    fake.answer(
        "GetLifecyclePolicy",
        Answer::ok(serde_json::json!({"lifecyclePolicyText": r#"{"rules":[]}"#})),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    fake.answer(
        "DescribeRepositories",
        Answer::ok(serde_json::json!({"repositories": [{
            "repositoryName": "todo",
            "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/todo",
            "registryId": "123456789012",
            "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo",
            "createdAt": now - age_secs,
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": false},
            "encryptionConfiguration": {"encryptionType": "AES256"},
        }]})),
    );
    let clients = fake.start().await.unwrap_or_else(|e| panic!("{e}"));
    (
        fake,
        EcrRepository::new(Arc::new(ClientSlot::ready(clients))),
    )
}

#[tokio::test]
async fn a_repository_made_by_this_create_is_taken_an_older_one_never() {
    let planned = to_value(&RepositoryModel {
        arn: Known::Unknown,
        registry_id: Known::Unknown,
        repository_url: Known::Unknown,
        ..repository()
    })
    .unwrap_or(Value::Null);

    // Created just now: the SDK's retry of a create whose answer was lost found its own work.
    let (_fake, resource) = existing_repository(0).await;
    let applied = resource.create(&planned, &CallContext::default()).await;
    assert!(
        !applied.diagnostics.has_errors(),
        "{:?}",
        applied.diagnostics
    );
    assert!(applied.state.is_some(), "recorded, not tainted");

    // Created an hour ago: someone else's; refused with the import hint, nothing recorded.
    let (_fake, resource) = existing_repository(3600).await;
    let applied = resource.create(&planned, &CallContext::default()).await;
    assert!(applied.diagnostics.has_errors());
    assert!(
        applied.state.is_none(),
        "someone else's repository is never taken"
    );
    let text = format!("{:?}", applied.diagnostics);
    assert!(text.contains("terraform import"), "{text}");
}
