//! `list "todo_fargate_service"`: the live Fargate services of one cluster (ListServices page
//! by page, DescribeServices for their status and launch type), optionally only those whose
//! name starts with `name_prefix`; with `include_resource`, each as an import records it (the
//! same finder and flatten), its `cluster` written as the cluster's name, as its identity has it.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecs::types::LaunchType;
use serde::Deserialize;

use super::find::{ServiceStatus, find_live_service};
use super::flatten::flatten_service;
use crate::plugin::model::from_value;
use crate::plugin::{
    Attribute, Block, CallContext, Diagnostics, ListResource, ListSink, Schema, Type, Value,
};
use crate::provider::ClientSlot;
use crate::provider::aws_error::call;
use crate::provider::identity::{ServiceIdentity, account_of, cluster_name};
use crate::provider::listing::{
    list_failed, listed, matches_prefix, name_prefix_attribute, page_size,
};
use crate::provider::validate;

/// ListServices' largest page.
const MAX_PAGE: i32 = 100;

/// How many services one DescribeServices call takes.
const DESCRIBE_BATCH: usize = 10;

/// The `todo_fargate_service` list resource.
pub struct FargateServiceList {
    clients: Arc<ClientSlot>,
}

impl FargateServiceList {
    /// The list resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

/// The `config` block of a `list "todo_fargate_service"` block.
#[derive(Debug, Deserialize)]
struct ListConfig {
    cluster: String,
    name_prefix: Option<String>,
}

#[async_trait]
impl ListResource for FargateServiceList {
    fn type_name(&self) -> &'static str {
        "todo_fargate_service"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Finds the Fargate services of one ECS cluster, for `terraform query`.")
                .attribute(
                    Attribute::required("cluster", Type::String)
                        .validate(validate::cluster_reference())
                        .describe("The cluster to look in: its name or ARN."),
                )
                .attribute(name_prefix_attribute("services")),
        )
    }

    async fn list(&self, config: &Value, sink: &mut ListSink, ctx: &CallContext) -> Diagnostics {
        self.list_pages(config, sink, ctx)
            .await
            .err()
            .unwrap_or_default()
    }
}

/// The service name of a service ARN (`...:service/<cluster>/<name>`, or the older
/// `...:service/<name>`).
fn service_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl FargateServiceList {
    async fn list_pages(
        &self,
        config: &Value,
        sink: &mut ListSink,
        ctx: &CallContext,
    ) -> Result<(), Diagnostics> {
        let clients = self.clients.get()?;
        let config: ListConfig = from_value(config)?;
        let cluster = config.cluster.as_str();
        let prefix = config.name_prefix.as_deref();
        let failed = |e| list_failed(e, "ECS services");
        let mut token = None;
        while sink.wants_more() {
            let request = clients
                .ecs
                .list_services()
                .cluster(cluster)
                .max_results(page_size(sink.remaining(), MAX_PAGE))
                .set_next_token(token.take());
            let page = call(ctx, "ecs:ListServices", request.send())
                .await
                .map_err(failed)?;
            let names: Vec<String> = page
                .service_arns()
                .iter()
                .map(|arn| service_name(arn).to_owned())
                .filter(|name| matches_prefix(name, prefix))
                .collect();
            for batch in names.chunks(DESCRIBE_BATCH) {
                let request = clients
                    .ecs
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(batch.to_vec()));
                let described = call(ctx, "ecs:DescribeServices", request.send())
                    .await
                    .map_err(failed)?;
                for service in described.services() {
                    let not_fargate = !runs_on_fargate(service);
                    if !ServiceStatus::of(service).is_live() || not_fargate {
                        continue;
                    }
                    let Some(name) = service.service_name() else {
                        continue;
                    };
                    let identity = ServiceIdentity {
                        cluster: cluster_name(cluster).to_owned(),
                        name: name.to_owned(),
                        region: Some(clients.region.clone()),
                        account_id: service.service_arn().and_then(account_of),
                    };
                    let state = if sink.include_resource() {
                        let found = find_live_service(clients, cluster, name, ctx)
                            .await
                            .map_err(failed)?;
                        // Deleted since the page was read: not listed.
                        let Some(remote) = found else { continue };
                        let named = cluster_name(cluster);
                        Some(flatten_service(&remote, None, named, &clients.default_tags))
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

/// Whether a service runs on Fargate: its launch type is FARGATE, or it has none and every
/// capacity provider of its strategy is FARGATE or FARGATE_SPOT. A service on EC2 capacity is
/// not listed: adopted as a `todo_fargate_service`, a replacement would move it to Fargate.
fn runs_on_fargate(service: &aws_sdk_ecs::types::Service) -> bool {
    match service.launch_type() {
        Some(LaunchType::Fargate) => true,
        Some(_) => false,
        None => {
            let strategy = service.capacity_provider_strategy();
            !strategy.is_empty()
                && strategy
                    .iter()
                    .all(|item| matches!(item.capacity_provider(), "FARGATE" | "FARGATE_SPOT"))
        }
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use crate::plugin::Listed;
    use crate::provider::fake_aws::{Answer, FakeAws};

    const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/todo";

    fn arn(name: &str) -> String {
        format!("arn:aws:ecs:us-east-1:123456789012:service/todo/{name}")
    }

    fn page(names: &[&str], next: Option<&str>) -> Answer {
        let arns: Vec<String> = names.iter().map(|n| arn(n)).collect();
        Answer::ok(json!({"serviceArns": arns, "nextToken": next}))
    }

    fn described(services: &[(&str, &str, &str)]) -> Answer {
        let services: Vec<serde_json::Value> = services
            .iter()
            .map(|(name, status, launch_type)| {
                json!({"serviceName": name, "serviceArn": arn(name), "status": status,
                       "launchType": launch_type, "clusterArn": CLUSTER_ARN})
            })
            .collect();
        Answer::ok(json!({"services": services, "failures": []}))
    }

    async fn list(
        fake: &FakeAws,
        cluster: &str,
        prefix: Option<&str>,
        limit: usize,
    ) -> Vec<Listed> {
        let clients = fake.start().await.expect("fake endpoint");
        let list = FargateServiceList::new(Arc::new(ClientSlot::ready(clients)));
        let config = Value::Object(crate::plugin::Attributes::from([
            ("cluster".to_owned(), Value::from(cluster)),
            (
                "name_prefix".to_owned(),
                prefix.map_or(Value::Null, Value::from),
            ),
        ]));
        let (tx, mut rx) = mpsc::channel(100);
        let mut sink = ListSink::new(tx, limit, false);
        let diagnostics = list.list(&config, &mut sink, &CallContext::default()).await;
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        drop(sink);
        let mut found = Vec::new();
        while let Some(listed) = rx.recv().await {
            found.push(listed);
        }
        found
    }

    fn inputs(fake: &FakeAws, operation: &str) -> Vec<serde_json::Value> {
        let calls = fake.calls().into_iter();
        calls
            .filter(|c| c.operation == operation)
            .map(|c| c.input)
            .collect()
    }

    #[tokio::test]
    async fn services_are_listed_across_pages_with_the_cluster_name_in_their_identity() {
        let fake = FakeAws::default();
        fake.queue(
            "ListServices",
            vec![
                page(&["web", "worker", "batch"], Some("token-1")),
                page(&["web-2"], None),
            ],
        );
        fake.queue(
            "DescribeServices",
            vec![
                described(&[
                    ("web", "ACTIVE", "FARGATE"),
                    ("worker", "DRAINING", "FARGATE"),
                    ("batch", "ACTIVE", "EC2"),
                ]),
                described(&[("web-2", "ACTIVE", "FARGATE")]),
            ],
        );
        let found = list(&fake, CLUSTER_ARN, None, 100).await;
        let names: Vec<&str> = found.iter().map(|l| l.display_name.as_str()).collect();
        assert_eq!(names, ["web", "web-2"], "live Fargate services only");
        let identity: ServiceIdentity = from_value(&found[1].identity).expect("identity");
        assert_eq!(
            identity,
            ServiceIdentity {
                cluster: "todo".into(),
                name: "web-2".into(),
                region: Some("us-east-1".into()),
                account_id: Some("123456789012".into()),
            }
        );
        let lists = inputs(&fake, "ListServices");
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0]["cluster"], CLUSTER_ARN);
        assert_eq!(lists[1]["nextToken"], "token-1");
        let describes = inputs(&fake, "DescribeServices");
        assert_eq!(describes[0]["services"], json!(["web", "worker", "batch"]));
    }

    #[tokio::test]
    async fn the_prefix_filters_before_describing_and_the_limit_stops_paging() {
        let fake = FakeAws::default();
        fake.queue(
            "ListServices",
            vec![
                page(&["api", "web"], Some("token-1")),
                page(&["api-2", "api-3"], Some("token-2")),
                page(&["api-4"], None),
            ],
        );
        fake.queue(
            "DescribeServices",
            vec![
                described(&[("api", "ACTIVE", "FARGATE")]),
                described(&[
                    ("api-2", "ACTIVE", "FARGATE"),
                    ("api-3", "ACTIVE", "FARGATE"),
                ]),
            ],
        );
        let found = list(&fake, "todo", Some("api"), 2).await;
        let names: Vec<&str> = found.iter().map(|l| l.display_name.as_str()).collect();
        assert_eq!(names, ["api", "api-2"]);
        let lists = inputs(&fake, "ListServices");
        assert_eq!(lists.len(), 2, "no third page after the limit");
        assert_eq!(lists[0]["maxResults"], 2);
        assert_eq!(lists[1]["maxResults"], 1);
        let describes = inputs(&fake, "DescribeServices");
        assert_eq!(describes[0]["services"], json!(["api"]), "web filtered out");
    }

    #[test]
    fn only_services_on_fargate_capacity_are_listed() {
        use aws_sdk_ecs::types::{CapacityProviderStrategyItem, LaunchType, Service};
        let on = |provider: &str| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(provider)
                .build()
                .unwrap()
        };
        let fargate = Service::builder().launch_type(LaunchType::Fargate).build();
        let ec2 = Service::builder().launch_type(LaunchType::Ec2).build();
        let spot = Service::builder()
            .capacity_provider_strategy(on("FARGATE_SPOT"))
            .build();
        let mixed = Service::builder()
            .capacity_provider_strategy(on("FARGATE"))
            .capacity_provider_strategy(on("my-ec2-asg"))
            .build();
        assert!(super::runs_on_fargate(&fargate));
        assert!(super::runs_on_fargate(&spot));
        assert!(!super::runs_on_fargate(&ec2));
        assert!(!super::runs_on_fargate(&mixed));
        assert!(!super::runs_on_fargate(&Service::builder().build()));
    }
}
