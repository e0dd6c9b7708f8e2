//! ECR queries on the shared fixture [`Acc`]: a repository, its tags and its lifecycle policy
//! as the emulator itself reports them (through the AWS SDK), and a lifecycle policy put
//! outside Terraform.
//!
//! Every query panics, naming the emulator, with the SDK error's whole source chain if the call
//! fails.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::Repository;

use super::aws::aws_error;
use super::fixture::Acc;

/// The ECR queries of the repository scenarios.
impl Acc {
    /// The emulator reports none of this run's repositories (see [`Acc::is_ours`]).
    pub fn assert_no_repositories(&self) {
        self.assert_none_left("repositories", self.aws.repositories());
    }

    /// The repository as the emulator reports it, `None` if it does not exist.
    pub fn repository(&self, name: &str) -> Option<Repository> {
        let result = self.aws.block_on(
            self.aws
                .ecr
                .describe_repositories()
                .repository_names(name)
                .send(),
        );
        match result {
            Ok(out) => out
                .repositories()
                .iter()
                .find(|r| r.repository_name() == Some(name))
                .cloned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception()) =>
            {
                None
            }
            Err(e) => panic!(
                "{}: DescribeRepositories {name}: {}",
                self.kind,
                aws_error(&e)
            ),
        }
    }

    /// The repository as the emulator reports it; panics if it does not exist.
    pub fn existing_repository(&self, name: &str) -> Repository {
        self.repository(name).unwrap_or_else(|| {
            panic!(
                "{}: the emulator does not report repository {name}",
                self.kind
            )
        })
    }

    /// ListTagsForResource of the repository `arn`.
    pub fn repository_tags(&self, arn: &str) -> BTreeMap<String, String> {
        self.aws
            .block_on(
                self.aws
                    .ecr
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("{}: ListTagsForResource: {}", self.kind, aws_error(&e)))
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    /// GetLifecyclePolicy's text for the repository `name`.
    pub fn lifecycle_policy(&self, name: &str) -> String {
        self.aws
            .block_on(
                self.aws
                    .ecr
                    .get_lifecycle_policy()
                    .repository_name(name)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("{}: GetLifecyclePolicy: {}", self.kind, aws_error(&e)))
            .lifecycle_policy_text()
            .expect("policy text")
            .to_owned()
    }

    /// PutLifecyclePolicy outside Terraform.
    pub fn put_lifecycle_policy(&self, name: &str, text: &str) {
        self.aws
            .block_on(
                self.aws
                    .ecr
                    .put_lifecycle_policy()
                    .repository_name(name)
                    .lifecycle_policy_text(text)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("{}: PutLifecyclePolicy: {}", self.kind, aws_error(&e)));
    }
}
