//! Acceptance tests of `todo_ecs_cluster` against ministack and moto, driven by the real
//! Terraform: create with Container Insights and tags merged over the provider's default tags,
//! an in-place update, import by name, an out-of-band delete, and a rename; capacity providers
//! and a default strategy (create, new weights in place, an out-of-band change, import), their
//! validation at `terraform validate`, and the AWS calls each operation costs (through the
//! counting proxy, ministack only).
//!
//! Every scenario runs against both emulators: `scenario!` turns one function into a module
//! with a `ministack` and a `moto` test, so a failure names the emulator
//! (`rename_replaces::moto`). Each scenario checks that the plan right after every apply is
//! empty, asks the emulator itself (ECS DescribeClusters with SETTINGS and TAGS) what exists,
//! and at the end that destroy leaves no ACTIVE cluster. With `TODO_ACC_ENDPOINT` set, both
//! variants run against that endpoint instead.
//!
//! Run: `TF_ACC=1 cargo test --test acc_cluster -- --include-ignored` (after `make tools`).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, Cluster, ClusterSetting, ClusterSettingName, Tag,
};
use serde_json::Value;
use support::aws::aws_error;
use support::fixture::{Acc, DEFAULT_TAGS, named_resource, scenario};
use support::maps::{map, string_map};
use support::plan::planned_change;
use support::proxy::FaultProxy;
use support::terraform::REQUIRED_PROVIDERS;
use support::{EmulatorKind, PROVIDER, Terraform, line_of, require_acc};

const ADDRESS: &str = "todo_ecs_cluster.main";

/// The cluster queries of these scenarios, on the shared fixture.
impl Acc {
    /// Destroy, then the state must be empty and the emulator must report no ACTIVE cluster.
    fn destroy_clean(&self) {
        self.destroy_to_empty_state();
        self.assert_none_left("ACTIVE clusters", self.active_clusters());
    }

    /// The names of the ACTIVE clusters (ListClusters, then DescribeClusters for the status).
    fn active_clusters(&self) -> Vec<String> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .aws
                .block_on(self.aws.ecs.list_clusters().set_next_token(token).send())
                .unwrap_or_else(|e| panic!("{}: ListClusters: {}", self.kind, aws_error(&e)));
            arns.extend(out.cluster_arns().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        if arns.is_empty() {
            return Vec::new();
        }
        let mut active = Vec::new();
        // DescribeClusters takes at most 100 clusters.
        for chunk in arns.chunks(100) {
            let out = self
                .aws
                .block_on(
                    self.aws
                        .ecs
                        .describe_clusters()
                        .set_clusters(Some(chunk.to_vec()))
                        .send(),
                )
                .unwrap_or_else(|e| panic!("{}: DescribeClusters: {}", self.kind, aws_error(&e)));
            active.extend(
                out.clusters()
                    .iter()
                    .filter(|c| c.status() == Some("ACTIVE"))
                    .filter_map(|c| c.cluster_name().map(str::to_owned)),
            );
        }
        active
    }

    /// True if the emulator reports `name` as ACTIVE.
    fn is_active(&self, name: &str) -> bool {
        self.aws
            .cluster(name)
            .is_some_and(|c| c.status() == Some("ACTIVE"))
    }

    /// The ACTIVE cluster `name`; panics if there is none.
    fn active(&self, name: &str) -> Cluster {
        let cluster = self
            .aws
            .cluster(name)
            .unwrap_or_else(|| panic!("{}: ECS reports no cluster {name}", self.kind));
        assert_eq!(
            cluster.status(),
            Some("ACTIVE"),
            "{}: cluster {name}: {cluster:?}",
            self.kind
        );
        cluster
    }

    /// The state's attributes of [`ADDRESS`].
    fn state(&self) -> Value {
        self.tf.state_resource(ADDRESS)
    }
}

/// The value of the `containerInsights` setting, if the cluster reports one.
fn insights(cluster: &Cluster) -> Option<String> {
    cluster
        .settings()
        .iter()
        .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value().map(str::to_owned))
}

fn cluster_tags(cluster: &Cluster) -> BTreeMap<String, String> {
    cluster
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// A `todo_ecs_cluster.main` block; `extra` goes inside it.
fn cluster_tf(name: &str, extra: &str) -> String {
    named_resource("todo_ecs_cluster", "main", name, extra)
}

// a. Container Insights on, and the resource's tags merged over the provider's default tags.
scenario!(create_with_insights_and_default_tags);
fn create_with_insights_and_default_tags(acc: &Acc) {
    let name = acc.name("create");
    acc.config(
        DEFAULT_TAGS,
        &cluster_tf(
            &name,
            "  container_insights = true\n  tags = {\n    owner = \"todo-team\"\n    app   = \"todo\"\n  }\n",
        ),
    );
    acc.apply_clean();

    let merged = map(&[("env", "acc"), ("owner", "todo-team"), ("app", "todo")]);
    let remote = acc.active(&name);
    assert_eq!(
        insights(&remote).as_deref(),
        Some("enabled"),
        "{}: containerInsights: {remote:?}",
        acc.kind
    );
    assert_eq!(cluster_tags(&remote), merged, "{}: ECS tags", acc.kind);

    let state = acc.state();
    assert_eq!(state["id"], name.as_str(), "{}", acc.kind);
    assert_eq!(state["name"], name.as_str(), "{}", acc.kind);
    assert_eq!(state["arn"].as_str(), remote.cluster_arn(), "{}", acc.kind);
    assert_eq!(state["container_insights"], true, "{}", acc.kind);
    assert_eq!(
        string_map(&state["tags_all"]),
        merged,
        "{}: tags_all",
        acc.kind
    );
    assert_eq!(
        string_map(&state["tags"]),
        map(&[("owner", "todo-team"), ("app", "todo")]),
        "{}: tags",
        acc.kind
    );
    if let Some(account) = acc.emu.account_id() {
        assert_eq!(
            state["arn"],
            format!("arn:aws:ecs:us-east-1:{account}:cluster/{name}"),
            "{}",
            acc.kind
        );
    }
    acc.destroy_clean();
}

// b. Container Insights off and other tags: an in-place update of the same cluster.
scenario!(update_in_place);
fn update_in_place(acc: &Acc) {
    let name = acc.name("update");
    let write = |insights_on: bool| {
        acc.config(
            DEFAULT_TAGS,
            &cluster_tf(
                &name,
                &format!(
                    "  container_insights = {insights_on}\n  tags = {{\n    keep  = \"2\"\n    added = \"y\"\n  }}\n"
                ),
            ),
        )
    };
    acc.config(
        DEFAULT_TAGS,
        &cluster_tf(
            &name,
            "  container_insights = true\n  tags = {\n    keep = \"1\"\n    gone = \"x\"\n  }\n",
        ),
    );
    acc.apply_clean();
    let arn = acc.state()["arn"].as_str().expect("arn").to_owned();
    assert_eq!(
        insights(&acc.active(&name)).as_deref(),
        Some("enabled"),
        "{}",
        acc.kind
    );
    let before = map(&[
        ("env", "acc"),
        ("owner", "platform"),
        ("keep", "1"),
        ("gone", "x"),
    ]);
    assert_eq!(cluster_tags(&acc.active(&name)), before, "{}", acc.kind);

    write(false);
    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(
        actions,
        ["update"],
        "{}: an in-place update: {change:#}",
        acc.kind
    );
    let insights_on = false;
    acc.apply_clean();

    let remote = acc.active(&name);
    assert_eq!(
        remote.cluster_arn(),
        Some(arn.as_str()),
        "{}: the same cluster",
        acc.kind
    );
    assert_eq!(
        insights(&remote).as_deref(),
        Some(if insights_on { "enabled" } else { "disabled" }),
        "{}: containerInsights: {remote:?}",
        acc.kind
    );
    let expected = map(&[
        ("env", "acc"),
        ("owner", "platform"),
        ("keep", "2"),
        ("added", "y"),
    ]);
    assert_eq!(cluster_tags(&remote), expected, "{}: ECS tags", acc.kind);
    let state = acc.state();
    assert_eq!(state["arn"], arn.as_str(), "{}", acc.kind);
    assert_eq!(state["container_insights"], insights_on, "{}", acc.kind);
    assert_eq!(string_map(&state["tags_all"]), expected, "{}", acc.kind);
    assert_eq!(
        string_map(&state["tags"]),
        map(&[("keep", "2"), ("added", "y")]),
        "{}",
        acc.kind
    );
    acc.destroy_clean();
}

// c. `terraform import todo_ecs_cluster.main <name>` of a cluster created with the SDK, then a
// matching configuration plans nothing.
scenario!(import_by_name_then_empty_plan);
fn import_by_name_then_empty_plan(acc: &Acc) {
    let name = acc.name("import");
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let created = acc
        .aws
        .block_on(
            acc.aws
                .ecs
                .create_cluster()
                .cluster_name(&name)
                .settings(
                    ClusterSetting::builder()
                        .name(ClusterSettingName::ContainerInsights)
                        .value("enabled")
                        .build(),
                )
                // A default tag with the provider's value is not one of the resource's own.
                .tags(tag("env", "acc"))
                .tags(tag("team", "web"))
                .send(),
        )
        .unwrap_or_else(|e| panic!("{}: CreateCluster: {}", acc.kind, aws_error(&e)));
    let arn = created
        .cluster()
        .and_then(|c| c.cluster_arn())
        .expect("the new cluster's ARN")
        .to_owned();

    acc.config(
        "  default_tags {\n    tags = {\n      env = \"acc\"\n    }\n  }\n",
        &cluster_tf(
            &name,
            "  container_insights = true\n  tags = {\n    team = \"web\"\n  }\n",
        ),
    );
    acc.tf.import(ADDRESS, &name, &[]);
    let state = acc.state();
    assert_eq!(state["id"], name.as_str(), "{}", acc.kind);
    assert_eq!(state["name"], name.as_str(), "{}", acc.kind);
    assert_eq!(state["arn"], arn.as_str(), "{}", acc.kind);
    assert_eq!(state["container_insights"], true, "{}", acc.kind);
    assert_eq!(
        string_map(&state["tags"]),
        map(&[("team", "web")]),
        "{}: tags",
        acc.kind
    );
    assert_eq!(
        string_map(&state["tags_all"]),
        map(&[("env", "acc"), ("team", "web")]),
        "{}: tags_all",
        acc.kind
    );
    acc.tf.assert_plan_empty(&[]);
    // Import changed nothing in ECS.
    let remote = acc.active(&name);
    assert_eq!(remote.cluster_arn(), Some(arn.as_str()), "{}", acc.kind);
    assert_eq!(
        insights(&remote).as_deref(),
        Some("enabled"),
        "{}",
        acc.kind
    );
    acc.destroy_clean();
}

// d. A cluster deleted outside Terraform is planned for creation again.
scenario!(out_of_band_delete_recreates);
fn out_of_band_delete_recreates(acc: &Acc) {
    let name = acc.name("oob-delete");
    acc.config(
        "",
        &cluster_tf(&name, "  tags = {\n    app = \"todo\"\n  }\n"),
    );
    acc.apply_clean();

    acc.aws
        .block_on(acc.aws.ecs.delete_cluster().cluster(&name).send())
        .unwrap_or_else(|e| panic!("{}: DeleteCluster: {}", acc.kind, aws_error(&e)));
    assert!(
        !acc.is_active(&name),
        "{}: {name} is still ACTIVE after DeleteCluster",
        acc.kind
    );

    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["create"], "{}: {change:#}", acc.kind);
    acc.apply_clean();
    let remote = acc.active(&name);
    assert_eq!(
        acc.state()["arn"].as_str(),
        remote.cluster_arn(),
        "{}",
        acc.kind
    );
    assert_eq!(
        cluster_tags(&remote),
        map(&[("app", "todo")]),
        "{}",
        acc.kind
    );
    acc.destroy_clean();
}

// e. A new name replaces the cluster.
scenario!(rename_replaces);
fn rename_replaces(acc: &Acc) {
    let (old, new) = (acc.name("before"), acc.name("after"));
    acc.config("", &cluster_tf(&old, ""));
    acc.apply_clean();
    let old_arn = acc.state()["arn"].as_str().expect("arn").to_owned();

    acc.config("", &cluster_tf(&new, ""));
    acc.assert_plan_replaces(ADDRESS, "name");
    acc.apply_clean();
    assert!(!acc.is_active(&old), "{}: {old} is still ACTIVE", acc.kind);
    let remote = acc.active(&new);
    let state = acc.state();
    assert_eq!(state["name"], new.as_str(), "{}", acc.kind);
    assert_eq!(state["arn"].as_str(), remote.cluster_arn(), "{}", acc.kind);
    assert_ne!(state["arn"], old_arn.as_str(), "{}", acc.kind);
    acc.destroy_clean();
}

// f. Provider settings known only at apply (they come from a resource): the plan sends no call
// to a guessed region and plans tags_all unknown; the apply then uses the real values.
scenario!(provider_settings_known_only_at_apply);
fn provider_settings_known_only_at_apply(acc: &Acc) {
    let name = acc.name("later");
    let settings = r#"  region = terraform_data.settings.output.region
  default_tags {
    tags = { run = terraform_data.settings.output.run }
  }
"#;
    let body = format!(
        "resource \"terraform_data\" \"settings\" {{\n  input = {{ region = \"us-east-1\", run = \"r1\" }}\n}}\n\n{}",
        cluster_tf(&name, "")
    );
    acc.config(settings, &body);
    let plan = acc.tf.plan_json(&[]);
    let change = planned_change(&plan, ADDRESS);
    assert_eq!(
        change["after_unknown"]["tags_all"], true,
        "{}: tags_all depends on the unknown default tags: {change:#}",
        acc.kind
    );
    acc.apply_clean();
    let remote = acc.active(&name);
    assert_eq!(
        cluster_tags(&remote),
        map(&[("run", "r1")]),
        "{}: the default tags known at apply",
        acc.kind
    );
    assert_eq!(string_map(&acc.state()["tags_all"]), map(&[("run", "r1")]));
    acc.destroy_clean();
}

// g. Only the region is known at apply; the default tags are known at plan and planned exactly.
scenario!(known_default_tags_with_a_region_known_only_at_apply);
fn known_default_tags_with_a_region_known_only_at_apply(acc: &Acc) {
    let name = acc.name("region");
    let settings = r#"  region = terraform_data.settings.output
  default_tags {
    tags = { team = "a" }
  }
"#;
    let body = format!(
        "resource \"terraform_data\" \"settings\" {{\n  input = \"us-east-1\"\n}}\n\n{}",
        cluster_tf(&name, "")
    );
    acc.config(settings, &body);
    let plan = acc.tf.plan_json(&[]);
    let change = planned_change(&plan, ADDRESS);
    assert_eq!(
        string_map(&change["after"]["tags_all"]),
        map(&[("team", "a")]),
        "{}: known default tags are planned as they are: {change:#}",
        acc.kind
    );
    acc.apply_clean();
    assert_eq!(cluster_tags(&acc.active(&name)), map(&[("team", "a")]));
    acc.destroy_clean();
}

/// A default strategy item: (capacity provider, weight, base).
type Item = (String, i64, i64);

fn items(items: &[(&str, i64, i64)]) -> BTreeSet<Item> {
    items
        .iter()
        .map(|(p, w, b)| ((*p).to_owned(), *w, *b))
        .collect()
}

/// The cluster's capacity providers and default strategy, as ECS reports them.
fn capacity(cluster: &Cluster) -> (BTreeSet<String>, BTreeSet<Item>) {
    let providers = cluster.capacity_providers().iter().cloned().collect();
    let strategy = cluster
        .default_capacity_provider_strategy()
        .iter()
        .map(|i| {
            let (weight, base) = (i64::from(i.weight()), i64::from(i.base()));
            (i.capacity_provider().to_owned(), weight, base)
        })
        .collect();
    (providers, strategy)
}

/// The state's capacity providers and default strategy.
fn state_capacity(state: &Value) -> (BTreeSet<String>, BTreeSet<Item>) {
    let providers = state["capacity_providers"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let strategy = state["default_capacity_provider_strategy"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|i| {
                    let provider = i["capacity_provider"].as_str().unwrap_or_default();
                    let number = |name: &str| i[name].as_i64().expect("a whole number");
                    (provider.to_owned(), number("weight"), number("base"))
                })
                .collect()
        })
        .unwrap_or_default();
    (providers, strategy)
}

/// HCL: `capacity_providers` with both Fargate providers, and one strategy block per item.
fn capacity_hcl(strategy: &[(&str, i64, i64)]) -> String {
    let mut hcl = String::from("  capacity_providers = [\"FARGATE\", \"FARGATE_SPOT\"]\n");
    for (provider, weight, base) in strategy {
        hcl.push_str(&format!(
            "  default_capacity_provider_strategy {{\n    capacity_provider = \"{provider}\"\n    weight            = {weight}\n    base              = {base}\n  }}\n"
        ));
    }
    hcl
}

fn both() -> BTreeSet<String> {
    BTreeSet::from(["FARGATE".to_owned(), "FARGATE_SPOT".to_owned()])
}

// h. FARGATE_SPOT with a base of 1 on FARGATE: created with the cluster, new weights in place
// (same cluster), and a strategy changed outside Terraform shows in the next plan.
scenario!(capacity_providers_in_place_and_drift);
fn capacity_providers_in_place_and_drift(acc: &Acc) {
    let name = acc.name("capacity");
    let first = [("FARGATE", 1, 1), ("FARGATE_SPOT", 4, 0)];
    acc.config("", &cluster_tf(&name, &capacity_hcl(&first)));
    acc.apply_clean();
    let remote = acc.active(&name);
    let arn = remote.cluster_arn().expect("arn").to_owned();
    assert_eq!(capacity(&remote), (both(), items(&first)), "{}", acc.kind);
    assert_eq!(
        state_capacity(&acc.state()),
        (both(), items(&first)),
        "{}",
        acc.kind
    );

    let second = [("FARGATE", 2, 1), ("FARGATE_SPOT", 3, 0)];
    acc.config("", &cluster_tf(&name, &capacity_hcl(&second)));
    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}: in place: {change:#}", acc.kind);
    acc.apply_clean();
    let remote = acc.active(&name);
    assert_eq!(
        remote.cluster_arn(),
        Some(arn.as_str()),
        "{}: same cluster",
        acc.kind
    );
    assert_eq!(capacity(&remote), (both(), items(&second)), "{}", acc.kind);

    // Someone moves the cluster to FARGATE only.
    let fargate = CapacityProviderStrategyItem::builder()
        .capacity_provider("FARGATE")
        .weight(1)
        .build()
        .expect("strategy item");
    acc.aws
        .block_on(
            acc.aws
                .ecs
                .put_cluster_capacity_providers()
                .cluster(&name)
                .capacity_providers("FARGATE")
                .default_capacity_provider_strategy(fargate)
                .send(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{}: PutClusterCapacityProviders: {}",
                acc.kind,
                aws_error(&e)
            )
        });
    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}: drift: {change:#}", acc.kind);
    let before = &change["change"]["before"];
    assert_eq!(
        state_capacity(before),
        (
            BTreeSet::from(["FARGATE".to_owned()]),
            items(&[("FARGATE", 1, 0)])
        ),
        "{}: the plan shows what ECS now has: {change:#}",
        acc.kind
    );
    acc.apply_clean();
    assert_eq!(
        capacity(&acc.active(&name)),
        (both(), items(&second)),
        "{}",
        acc.kind
    );
    acc.destroy_clean();
}

// i. Import of a cluster with capacity providers and a default strategy, then no changes.
scenario!(import_with_capacity_providers_then_empty_plan);
fn import_with_capacity_providers_then_empty_plan(acc: &Acc) {
    let name = acc.name("import-cp");
    let item = |provider: &str, weight: i32, base: i32| {
        CapacityProviderStrategyItem::builder()
            .capacity_provider(provider)
            .weight(weight)
            .base(base)
            .build()
            .expect("strategy item")
    };
    acc.aws
        .block_on(
            acc.aws
                .ecs
                .create_cluster()
                .cluster_name(&name)
                .capacity_providers("FARGATE")
                .capacity_providers("FARGATE_SPOT")
                .default_capacity_provider_strategy(item("FARGATE", 1, 2))
                .default_capacity_provider_strategy(item("FARGATE_SPOT", 5, 0))
                .send(),
        )
        .unwrap_or_else(|e| panic!("{}: CreateCluster: {}", acc.kind, aws_error(&e)));
    let strategy = [("FARGATE", 1, 2), ("FARGATE_SPOT", 5, 0)];
    acc.config("", &cluster_tf(&name, &capacity_hcl(&strategy)));
    acc.tf.import(ADDRESS, &name, &[]);
    assert_eq!(
        state_capacity(&acc.state()),
        (both(), items(&strategy)),
        "{}",
        acc.kind
    );
    acc.tf.assert_plan_empty(&[]);
    acc.destroy_clean();
}

// j. Invalid capacity providers and strategies fail at `terraform validate`, on the attribute
// they are about (inside the block when there is one strategy block). Validation needs no
// emulator.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and terraform (make testacc)"]
fn invalid_capacity_settings_fail_validate_with_their_paths() {
    require_acc();
    let tf = Terraform::with_endpoint("http://127.0.0.1:9", PROVIDER);
    // (label, body, the line the error points at, summary)
    let cases = [
        (
            "ec2",
            "  capacity_providers = [\"EC2\"]\n",
            "capacity_providers = [\"EC2\"]",
            "Invalid capacity provider",
        ),
        (
            "weight",
            "  capacity_providers = [\"FARGATE\"]\n  default_capacity_provider_strategy {\n    capacity_provider = \"FARGATE\"\n    weight = 1001\n  }\n",
            "weight = 1001",
            "Invalid weight",
        ),
        (
            "missing",
            "  capacity_providers = [\"FARGATE\"]\n  default_capacity_provider_strategy {\n    capacity_provider = \"FARGATE_SPOT\" # missing\n    weight = 1\n  }\n",
            "capacity_provider = \"FARGATE_SPOT\" # missing",
            "Capacity provider not associated with the cluster",
        ),
        (
            "bases",
            "  capacity_providers = [\"FARGATE\", \"FARGATE_SPOT\"]\n  default_capacity_provider_strategy {\n    capacity_provider = \"FARGATE\" # bases\n    base = 1\n  }\n  default_capacity_provider_strategy {\n    capacity_provider = \"FARGATE_SPOT\"\n    base = 2\n    weight = 1\n  }\n",
            // Two blocks of a set: the protocol's paths cannot name one element, so Terraform
            // points at the resource.
            "resource \"todo_ecs_cluster\" \"bases\"",
            "More than one base",
        ),
    ];
    let mut config = String::from(REQUIRED_PROVIDERS);
    for (label, body, _, _) in &cases {
        config.push_str(&named_resource("todo_ecs_cluster", label, label, body));
    }
    tf.write("main.tf", &config);
    let result = tf.validate_json();
    assert_eq!(result["valid"], false, "{result:#}");
    let errors: Vec<&Value> = result["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), cases.len(), "one error per case: {result:#}");
    for (label, _, line_text, summary) in &cases {
        let line = line_of(&config, line_text);
        let found = errors
            .iter()
            .find(|d| d["summary"] == *summary)
            .unwrap_or_else(|| panic!("{label}: no {summary:?} error: {result:#}"));
        assert_eq!(found["range"]["filename"], "main.tf", "{label}: {found:#}");
        assert_eq!(
            found["range"]["start"]["line"], line,
            "{label}: the error points at {line_text:?}: {found:#}"
        );
    }
}

/// `terraform <command>` (apply or destroy) without questions and without a refresh.
fn no_refresh(command: &str) -> [&str; 5] {
    [
        command,
        "-input=false",
        "-no-color",
        "-auto-approve",
        "-refresh=false",
    ]
}

/// The ECS calls the proxy saw, by operation, without the zeros.
fn ecs_calls(proxy: &FaultProxy) -> BTreeMap<String, u64> {
    let prefix = "AmazonEC2ContainerServiceV20141113.";
    proxy
        .counts()
        .seen
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(target, n)| (target.trim_start_matches(prefix).to_owned(), n))
        .collect()
}

fn calls(expected: &[(&str, u64)]) -> BTreeMap<String, u64> {
    expected
        .iter()
        .map(|(o, n)| ((*o).to_owned(), *n))
        .collect()
}

// k. What each operation costs in AWS calls (ministack behind the counting proxy): create is
// one CreateCluster, a refresh one DescribeClusters, an update only its writes, destroy one
// DeleteCluster; no read-back after a write that answered.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn each_operation_costs_only_its_own_calls() {
    require_acc();
    let mut acc = Acc::start(EmulatorKind::Ministack);
    let proxy = FaultProxy::start(&acc.emu);
    acc.tf = Terraform::with_endpoint(&proxy.endpoint(), PROVIDER);
    let name = acc.name("calls");
    let write = |extra: &str| acc.config("", &cluster_tf(&name, extra));

    write(&capacity_hcl(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 4, 0)]));
    proxy.reset();
    acc.tf.apply(&[]);
    assert_eq!(ecs_calls(&proxy), calls(&[("CreateCluster", 1)]), "create");

    proxy.reset();
    acc.tf.assert_plan_empty(&[]);
    assert_eq!(
        ecs_calls(&proxy),
        calls(&[("DescribeClusters", 1)]),
        "refresh"
    );

    write(&capacity_hcl(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 2, 0)]));
    proxy.reset();
    acc.tf.run_ok(&no_refresh("apply"));
    assert_eq!(
        ecs_calls(&proxy),
        calls(&[("PutClusterCapacityProviders", 1)]),
        "update of the weights"
    );

    let strategy = capacity_hcl(&[("FARGATE", 1, 1), ("FARGATE_SPOT", 2, 0)]);
    write(&format!(
        "  container_insights = true\n  tags = {{ team = \"web\" }}\n{strategy}"
    ));
    proxy.reset();
    acc.tf.run_ok(&no_refresh("apply"));
    assert_eq!(
        ecs_calls(&proxy),
        calls(&[("TagResource", 1), ("UpdateCluster", 1)]),
        "update of the settings and tags"
    );
    // What the updates recorded without reading back is what ECS has.
    acc.tf.assert_plan_empty(&[]);
    let remote = acc.active(&name);
    assert_eq!(insights(&remote).as_deref(), Some("enabled"));
    assert_eq!(cluster_tags(&remote), map(&[("team", "web")]));

    proxy.reset();
    acc.tf.run_ok(&no_refresh("destroy"));
    assert_eq!(ecs_calls(&proxy), calls(&[("DeleteCluster", 1)]), "destroy");
    assert!(!acc.is_active(&name), "{name} is still ACTIVE");
}
