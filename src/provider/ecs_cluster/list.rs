//! `list "todo_ecs_cluster"`: the live clusters of the provider's account and region
//! (ListClusters page by page, DescribeClusters for their status), optionally only those whose
//! name starts with `name_prefix`; with `include_resource`, each as the read records it (the
//! same finder and flatten as an import).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{ClusterStatus, find_cluster, flatten_cluster};
use crate::plugin::model::from_value;
use crate::plugin::{Block, CallContext, Diagnostics, ListResource, ListSink, Schema, Value};
use crate::provider::ClientSlot;
use crate::provider::aws_error::call;
use crate::provider::identity::{NamedIdentity, account_of, cluster_name};
use crate::provider::listing::{
    list_failed, listed, matches_prefix, name_prefix_attribute, page_size,
};

/// ListClusters' largest page (DescribeClusters takes as many names).
const MAX_PAGE: i32 = 100;

/// The `todo_ecs_cluster` list resource.
pub struct EcsClusterList {
    clients: Arc<ClientSlot>,
}

impl EcsClusterList {
    /// The list resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// The `config` block of a `list "todo_ecs_cluster"` block.
#[derive(Debug, Deserialize)]
struct ListConfig {
    name_prefix: Option<String>,
}

#[async_trait]
impl ListResource for EcsClusterList {
    fn type_name(&self) -> &'static str {
        "todo_ecs_cluster"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "Finds the ECS clusters of the provider's account and region, for `terraform \
                 query`.",
            )
            .attribute(name_prefix_attribute("clusters")),
        )
    }

    async fn list(&self, config: &Value, sink: &mut ListSink, ctx: &CallContext) -> Diagnostics {
        self.list_pages(config, sink, ctx)
            .await
            .err()
            .unwrap_or_default()
    }
}

impl EcsClusterList {
    async fn list_pages(
        &self,
        config: &Value,
        sink: &mut ListSink,
        ctx: &CallContext,
    ) -> Result<(), Diagnostics> {
        let clients = self.clients.get()?;
        let config: ListConfig = from_value(config)?;
        let prefix = config.name_prefix.as_deref();
        let failed = |e| list_failed(e, "ECS clusters");
        let mut token = None;
        while sink.wants_more() {
            let request = clients
                .ecs
                .list_clusters()
                .max_results(page_size(sink.remaining(), MAX_PAGE))
                .set_next_token(token.take());
            let page = call(ctx, "ecs:ListClusters", request.send())
                .await
                .map_err(failed)?;
            let arns: Vec<&String> = page
                .cluster_arns()
                .iter()
                .filter(|arn| matches_prefix(cluster_name(arn), prefix))
                .collect();
            if !arns.is_empty() {
                let request = clients
                    .ecs
                    .describe_clusters()
                    .set_clusters(Some(arns.into_iter().cloned().collect()));
                let described = call(ctx, "ecs:DescribeClusters", request.send())
                    .await
                    .map_err(failed)?;
                for cluster in described.clusters() {
                    if ClusterStatus::parse(cluster.status()) == ClusterStatus::Inactive {
                        continue;
                    }
                    let (Some(name), Some(arn)) = (cluster.cluster_name(), cluster.cluster_arn())
                    else {
                        continue;
                    };
                    let identity = NamedIdentity {
                        name: name.to_owned(),
                        region: Some(clients.region.clone()),
                        account_id: account_of(arn),
                    };
                    let state = if sink.include_resource() {
                        let found = find_cluster(clients, name, ctx).await.map_err(failed)?;
                        // Deleted since the page was read: not listed.
                        let Some(found) = found else { continue };
                        Some(flatten_cluster(&found, None, &clients.default_tags))
                    } else {
                        None
                    };
                    if !sink.push(listed(&identity, name, state)?).await {
                        return Ok(());
                    }
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

    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use crate::provider::fake_aws::{Answer, FakeAws};

    fn arn(name: &str) -> String {
        format!("arn:aws:ecs:us-east-1:123456789012:cluster/{name}")
    }

    fn page(names: &[&str], next: Option<&str>) -> Answer {
        let arns: Vec<String> = names.iter().map(|n| arn(n)).collect();
        Answer::ok(json!({"clusterArns": arns, "nextToken": next}))
    }

    fn described(clusters: &[(&str, &str)]) -> Answer {
        let clusters: Vec<serde_json::Value> = clusters
            .iter()
            .map(|(name, status)| {
                json!({"clusterName": name, "clusterArn": arn(name), "status": status})
            })
            .collect();
        Answer::ok(json!({"clusters": clusters, "failures": []}))
    }

    #[tokio::test]
    async fn live_clusters_are_listed_page_by_page_within_the_limit() {
        let fake = FakeAws::default();
        fake.queue(
            "ListClusters",
            vec![
                page(&["todo", "other"], Some("token-1")),
                page(&["todo-2", "todo-3"], Some("token-2")),
            ],
        );
        fake.queue(
            "DescribeClusters",
            vec![
                described(&[("todo", "ACTIVE")]),
                described(&[("todo-2", "ACTIVE"), ("todo-3", "ACTIVE")]),
            ],
        );
        let clients = fake.start().await.expect("fake endpoint");
        let list = EcsClusterList::new(Arc::new(ClientSlot::ready(clients)));
        let config = Value::Object(crate::plugin::Attributes::from([(
            "name_prefix".to_owned(),
            Value::from("todo"),
        )]));
        let (tx, mut rx) = mpsc::channel(10);
        let mut sink = ListSink::new(tx, 2, false);
        let diagnostics = list.list(&config, &mut sink, &CallContext::default()).await;
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        drop(sink);
        let mut names = Vec::new();
        while let Some(listed) = rx.recv().await {
            names.push(listed.display_name);
        }
        assert_eq!(names, ["todo", "todo-2"]);
        let calls = fake.calls();
        let lists: Vec<&serde_json::Value> = calls
            .iter()
            .filter(|c| c.operation == "ListClusters")
            .map(|c| &c.input)
            .collect();
        assert_eq!(lists.len(), 2, "the limit stops before a third page");
        assert_eq!(lists[0]["maxResults"], 2);
        assert_eq!(lists[1]["nextToken"], "token-1");
        assert_eq!(lists[1]["maxResults"], 1);
        let describes: Vec<&serde_json::Value> = calls
            .iter()
            .filter(|c| c.operation == "DescribeClusters")
            .map(|c| &c.input)
            .collect();
        assert_eq!(describes[0]["clusters"], json!([arn("todo")]));
    }

    #[tokio::test]
    async fn inactive_clusters_are_not_listed() {
        let fake = FakeAws::default();
        fake.answer("ListClusters", page(&["live", "gone"], None));
        fake.answer(
            "DescribeClusters",
            described(&[("live", "ACTIVE"), ("gone", "INACTIVE")]),
        );
        let clients = fake.start().await.expect("fake endpoint");
        let list = EcsClusterList::new(Arc::new(ClientSlot::ready(clients)));
        let config = Value::Object(crate::plugin::Attributes::from([(
            "name_prefix".to_owned(),
            Value::Null,
        )]));
        let (tx, mut rx) = mpsc::channel(10);
        let mut sink = ListSink::new(tx, 100, false);
        let diagnostics = list.list(&config, &mut sink, &CallContext::default()).await;
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        drop(sink);
        let listed = rx.recv().await.expect("one cluster");
        assert_eq!(listed.display_name, "live");
        let identity: NamedIdentity = from_value(&listed.identity).expect("identity");
        assert_eq!(identity.account_id.as_deref(), Some("123456789012"));
        assert!(rx.recv().await.is_none());
    }
}
