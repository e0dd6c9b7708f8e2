//! `list "todo_ecr_repository"`: the repositories of the provider's account and region
//! (DescribeRepositories, page by page), optionally only those whose name starts with
//! `name_prefix`; with `include_resource`, each as the read records it (the same finder and
//! flatten as an import).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::find::find_repository;
use super::flatten::flatten_repository;
use crate::plugin::model::from_value;
use crate::plugin::{Block, CallContext, Diagnostics, ListResource, ListSink, Schema, Value};
use crate::provider::ClientSlot;
use crate::provider::aws_error::call;
use crate::provider::identity::{NamedIdentity, account_of};
use crate::provider::listing::{
    list_failed, listed, matches_prefix, name_prefix_attribute, page_size,
};

/// DescribeRepositories' largest page.
const MAX_PAGE: i32 = 1000;

/// The `todo_ecr_repository` list resource.
pub struct EcrRepositoryList {
    clients: Arc<ClientSlot>,
}

impl EcrRepositoryList {
    /// The list resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// The `config` block of a `list "todo_ecr_repository"` block.
#[derive(Debug, Deserialize)]
struct ListConfig {
    name_prefix: Option<String>,
}

#[async_trait]
impl ListResource for EcrRepositoryList {
    fn type_name(&self) -> &'static str {
        "todo_ecr_repository"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "Finds the ECR repositories of the provider's account and region, for \
                 `terraform query`.",
            )
            .attribute(name_prefix_attribute("repositories")),
        )
    }

    async fn list(&self, config: &Value, sink: &mut ListSink, ctx: &CallContext) -> Diagnostics {
        self.list_pages(config, sink, ctx)
            .await
            .err()
            .unwrap_or_default()
    }
}

impl EcrRepositoryList {
    async fn list_pages(
        &self,
        config: &Value,
        sink: &mut ListSink,
        ctx: &CallContext,
    ) -> Result<(), Diagnostics> {
        let clients = self.clients.get()?;
        let config: ListConfig = from_value(config)?;
        let prefix = config.name_prefix.as_deref();
        let mut token = None;
        while sink.wants_more() {
            let request = clients
                .ecr
                .describe_repositories()
                .max_results(page_size(sink.remaining(), MAX_PAGE))
                .set_next_token(token.take());
            let page = call(ctx, "ecr:DescribeRepositories", request.send())
                .await
                .map_err(|e| list_failed(e, "ECR repositories"))?;
            for repository in page.repositories() {
                let Some(name) = repository.repository_name() else {
                    continue;
                };
                if !matches_prefix(name, prefix) {
                    continue;
                }
                let identity = NamedIdentity {
                    name: name.to_owned(),
                    region: Some(clients.region.clone()),
                    account_id: repository
                        .repository_arn()
                        .and_then(account_of)
                        .or_else(|| repository.registry_id().map(str::to_owned)),
                };
                let state = if sink.include_resource() {
                    let found = find_repository(clients, name, ctx)
                        .await
                        .map_err(|e| list_failed(e, "ECR repositories"))?;
                    // Deleted since the page was read: not listed.
                    let Some(found) = found else { continue };
                    Some(flatten_repository(&found, None, &clients.default_tags))
                } else {
                    None
                };
                if !sink.push(listed(&identity, name, state)?).await {
                    return Ok(());
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use crate::plugin::Listed;
    use crate::provider::fake_aws::{Answer, FakeAws};

    fn repository(name: &str) -> serde_json::Value {
        json!({
            "repositoryName": name,
            "repositoryArn": format!("arn:aws:ecr:us-east-1:123456789012:repository/{name}"),
            "registryId": "123456789012",
            "repositoryUri": format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}"),
            "imageTagMutability": "MUTABLE",
        })
    }

    fn page(names: &[&str], next: Option<&str>) -> Answer {
        let repositories: Vec<serde_json::Value> = names.iter().map(|n| repository(n)).collect();
        match next {
            Some(token) => Answer::ok(json!({"repositories": repositories, "nextToken": token})),
            None => Answer::ok(json!({"repositories": repositories})),
        }
    }

    /// Lists with `config` (name_prefix) and `limit`; the results and the DescribeRepositories
    /// inputs.
    async fn list(
        fake: &FakeAws,
        prefix: Option<&str>,
        limit: usize,
        include_resource: bool,
    ) -> (Vec<Listed>, Vec<serde_json::Value>) {
        let clients = fake.start().await.expect("fake endpoint");
        let list = EcrRepositoryList::new(Arc::new(ClientSlot::ready(clients)));
        let config = Value::Object(crate::plugin::Attributes::from([(
            "name_prefix".to_owned(),
            prefix.map_or(Value::Null, Value::from),
        )]));
        let (tx, mut rx) = mpsc::channel(100);
        let mut sink = ListSink::new(tx, limit, include_resource);
        let diagnostics = list.list(&config, &mut sink, &CallContext::default()).await;
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        drop(sink);
        let mut found = Vec::new();
        while let Some(listed) = rx.recv().await {
            found.push(listed);
        }
        let pages = fake
            .calls()
            .into_iter()
            .filter(|c| c.operation == "DescribeRepositories")
            .map(|c| c.input)
            .collect();
        (found, pages)
    }

    fn names(found: &[Listed]) -> Vec<&str> {
        found.iter().map(|l| l.display_name.as_str()).collect()
    }

    #[tokio::test]
    async fn pages_follow_the_next_tokens_and_the_prefix_filters() {
        let fake = FakeAws::default();
        fake.queue(
            "DescribeRepositories",
            vec![
                page(&["todo-api", "other"], Some("token-1")),
                page(&["todo-web"], Some("token-2")),
                page(&["todo-worker"], None),
            ],
        );
        let (found, pages) = list(&fake, Some("todo-"), 100, false).await;
        assert_eq!(names(&found), ["todo-api", "todo-web", "todo-worker"]);
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0].get("nextToken"), None);
        assert_eq!(pages[1]["nextToken"], "token-1");
        assert_eq!(pages[2]["nextToken"], "token-2");
        assert_eq!(pages[0]["maxResults"], 100);
        let identity: NamedIdentity = from_value(&found[0].identity).expect("an identity");
        assert_eq!(
            identity,
            NamedIdentity {
                name: "todo-api".into(),
                region: Some("us-east-1".into()),
                account_id: Some("123456789012".into()),
            }
        );
        assert!(found[0].state.is_none(), "no state unless asked");
    }

    #[tokio::test]
    async fn the_limit_ends_the_paging() {
        let fake = FakeAws::default();
        fake.queue(
            "DescribeRepositories",
            vec![
                page(&["a1", "a2"], Some("token-1")),
                page(&["a3", "a4"], Some("token-2")),
                page(&["a5"], None),
            ],
        );
        let (found, pages) = list(&fake, None, 3, false).await;
        assert_eq!(names(&found), ["a1", "a2", "a3"]);
        assert_eq!(pages.len(), 2, "no page read past the limit");
        assert_eq!(pages[0]["maxResults"], 3);
        assert_eq!(pages[1]["maxResults"], 1, "only what is still wanted");
    }

    #[tokio::test]
    async fn with_include_resource_each_repository_is_read_as_on_import() {
        let fake = FakeAws::default();
        fake.answer("DescribeRepositories", page(&["todo-api"], None));
        fake.answer(
            "GetLifecyclePolicy",
            Answer::error("LifecyclePolicyNotFoundException", "none"),
        );
        fake.answer(
            "ListTagsForResource",
            Answer::ok(json!({"tags": [{"Key": "team", "Value": "web"}]})),
        );
        let (found, _) = list(&fake, None, 10, true).await;
        let state = found[0].state.as_ref().expect("the state");
        assert_eq!(state.attr("name"), Some(&Value::from("todo-api")));
        assert_eq!(
            state.attr("image_tag_mutability"),
            Some(&Value::from("MUTABLE"))
        );
        let tags = state.attr("tags_all").cloned();
        assert_eq!(
            tags,
            Some(Value::Map(BTreeMap::from([(
                "team".to_owned(),
                Value::from("web")
            )])))
        );
    }
}
