//! Which AWS calls `todo_ecr_repository` makes for a create and an update (issue 11): after
//! clear answers the state is built from them, with no read-back; after a failure whose
//! outcome is not known, the repository is read back.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_ecr::types::{EncryptionType, ImageTagMutability};

use super::EcrRepository;
use super::model::RepositoryModel;
use crate::plugin::model::{from_value, to_value};
use crate::plugin::{Applied, CallContext, Known, Resource, Value};
use crate::provider::ClientSlot;
use crate::provider::fake_aws::{Answer, FakeAws, updated};

const ARN: &str = "arn:aws:ecr:us-east-1:123456789012:repository/todo";
const URL: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo";

/// The repository as ECR describes it (CreateRepository's answer, DescribeRepositories' item).
fn described() -> serde_json::Value {
    serde_json::json!({
        "repositoryName": "todo",
        "repositoryArn": ARN,
        "registryId": "123456789012",
        "repositoryUri": URL,
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": true},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    })
}

/// A fake ECR that answers every call a repository makes, and the resource on it.
async fn fake_ecr() -> (FakeAws, EcrRepository) {
    let fake = FakeAws::default();
    fake.answer(
        "CreateRepository",
        Answer::ok(serde_json::json!({ "repository": described() })),
    );
    fake.answer(
        "DescribeRepositories",
        Answer::ok(serde_json::json!({ "repositories": [described()] })),
    );
    fake.answer(
        "GetLifecyclePolicy",
        Answer::error("LifecyclePolicyNotFoundException", "none"),
    );
    fake.answer(
        "ListTagsForResource",
        Answer::ok(serde_json::json!({"tags": [{"Key": "team", "Value": "web"}]})),
    );
    for operation in ["TagResource", "UntagResource", "PutImageTagMutability"] {
        fake.answer(operation, Answer::ok(serde_json::json!({})));
    }
    let clients = fake.start().await.unwrap_or_else(|e| panic!("{e}"));
    let resource = EcrRepository::new(Arc::new(ClientSlot::ready(clients)));
    (fake, resource)
}

/// What a configuration with `team = web` tags and `keep_images` plans for a new repository.
fn planned(keep_images: Option<i64>) -> RepositoryModel {
    let tags = BTreeMap::from([("team".to_owned(), "web".to_owned())]);
    RepositoryModel {
        id: Known::Unknown,
        name: "todo".into(),
        image_tag_mutability: ImageTagMutability::Immutable,
        image_tag_mutability_exclusion_filter: Vec::new(),
        scan_on_push: true,
        encryption_type: EncryptionType::Aes256,
        kms_key: Known::Null,
        keep_images,
        lifecycle_policy: None,
        force_delete: false,
        tags: Some(tags.clone()),
        tags_all: Known::Value(tags),
        arn: Known::Unknown,
        registry_id: Known::Unknown,
        repository_url: Known::Unknown,
    }
}

/// The repository `planned` describes once it exists.
fn created(planned: RepositoryModel) -> RepositoryModel {
    RepositoryModel {
        id: Known::Value("todo".into()),
        arn: Known::Value(ARN.into()),
        registry_id: Known::Value("123456789012".into()),
        repository_url: Known::Value(URL.into()),
        ..planned
    }
}

fn operations(fake: &FakeAws) -> Vec<String> {
    fake.calls().into_iter().map(|c| c.operation).collect()
}

fn state_of(applied: &Applied) -> RepositoryModel {
    let state = applied.state.as_ref().unwrap_or_else(|| panic!("no state"));
    from_value(state).unwrap_or_else(|e| panic!("{e}"))
}

fn value(model: &RepositoryModel) -> Value {
    to_value(model).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_create_records_the_answer_and_reads_nothing_back() {
    let (fake, resource) = fake_ecr().await;
    let applied = resource
        .create(&value(&planned(None)), &CallContext::default())
        .await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(operations(&fake), ["CreateRepository"]);
    assert_eq!(state_of(&applied), created(planned(None)));
}

#[tokio::test]
async fn a_create_with_a_lifecycle_policy_records_the_policy_ecr_answered() {
    let (fake, resource) = fake_ecr().await;
    let policy = super::keep_images_policy(5);
    fake.answer(
        "PutLifecyclePolicy",
        Answer::ok(serde_json::json!({"repositoryName": "todo", "lifecyclePolicyText": policy})),
    );
    let applied = resource
        .create(&value(&planned(Some(5))), &CallContext::default())
        .await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(
        operations(&fake),
        ["CreateRepository", "PutLifecyclePolicy"]
    );
    assert_eq!(state_of(&applied), created(planned(Some(5))));
}

#[tokio::test]
async fn a_failed_lifecycle_call_reads_the_repository_back() {
    let (fake, resource) = fake_ecr().await;
    fake.answer("PutLifecyclePolicy", Answer::server_error());
    let applied = resource
        .create(&value(&planned(Some(5))), &CallContext::default())
        .await;
    assert!(applied.diagnostics.has_errors());
    assert_eq!(
        operations(&fake),
        [
            "CreateRepository",
            "PutLifecyclePolicy",
            "DescribeRepositories",
            "GetLifecyclePolicy",
            "ListTagsForResource"
        ]
    );
    // Recorded as ECR reports it: without the policy that was not set.
    assert_eq!(state_of(&applied).keep_images, None);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_reads_the_repository_back() {
    let (fake, resource) = fake_ecr().await;
    // The SDK's retry of a create whose first answer was lost: "already exists", just created.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut repository = described();
    repository["createdAt"] = serde_json::json!(now);
    fake.answer(
        "DescribeRepositories",
        Answer::ok(serde_json::json!({ "repositories": [repository] })),
    );
    fake.answer(
        "CreateRepository",
        Answer::error("RepositoryAlreadyExistsException", "exists"),
    );
    let applied = resource
        .create(&value(&planned(None)), &CallContext::default())
        .await;
    assert!(
        !applied.diagnostics.has_errors(),
        "{:?}",
        applied.diagnostics
    );
    let calls = operations(&fake);
    let reads = calls
        .iter()
        .filter(|op| *op == "DescribeRepositories")
        .count();
    // One read to tell it is ours, one read-back of what it is.
    assert_eq!(reads, 2, "{calls:?}");
    assert_eq!(state_of(&applied), created(planned(None)));
}

#[tokio::test]
async fn an_update_of_the_tags_sends_only_the_tag_changes() {
    let (fake, resource) = fake_ecr().await;
    let prior = created(planned(None));
    let tags = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
    let wanted = RepositoryModel {
        tags: Some(tags.clone()),
        tags_all: Known::Value(tags),
        ..prior.clone()
    };
    let applied = updated(&resource, &value(&prior), &value(&wanted)).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    // The refreshed tags_all is what ECR has: no ListTagsForResource, no read-back.
    assert_eq!(operations(&fake), ["UntagResource", "TagResource"]);
    let calls = fake.calls();
    assert_eq!(calls[0].input["tagKeys"], serde_json::json!(["team"]));
    assert_eq!(state_of(&applied), wanted);
}

#[tokio::test]
async fn a_failed_update_reads_the_repository_back() {
    let (fake, resource) = fake_ecr().await;
    fake.answer("PutImageTagMutability", Answer::server_error());
    let prior = created(planned(None));
    let wanted = RepositoryModel {
        image_tag_mutability: ImageTagMutability::Mutable,
        ..prior.clone()
    };
    let applied = updated(&resource, &value(&prior), &value(&wanted)).await;
    assert!(applied.diagnostics.has_errors());
    assert_eq!(
        operations(&fake),
        [
            "PutImageTagMutability",
            "DescribeRepositories",
            "GetLifecyclePolicy",
            "ListTagsForResource"
        ]
    );
    // ECR still reports IMMUTABLE: that is what the state records.
    assert_eq!(state_of(&applied), prior);
}
