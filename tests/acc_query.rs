//! Acceptance tests of the list resources and `terraform query` against ministack, driven by
//! the real Terraform: repositories and services created outside Terraform (with the SDK, as a
//! console or CDK user leaves them) are listed by a `.tfquery.hcl` file, filtered by
//! `name_prefix` and capped by `limit`; `terraform query -generate-config-out` writes resource
//! and import blocks that `terraform apply` imports with no change, and the plan after is empty.
//!
//! Ministack only: services need its ECS (see `EmulatorKind::Moto`). Gated like every
//! acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
    NetworkConfiguration, NetworkMode, PortMapping,
};
use serde_json::{Value, json};
use support::aws::aws_error;
use support::fixture::Acc;
use support::{EmulatorKind, require_acc};

/// The objects one scenario creates outside Terraform: two repositories (and one more that the
/// prefix leaves out), a cluster and three services running an image from the first
/// repository.
struct Outside {
    acc: Acc,
    /// Every name starts with it.
    prefix: String,
    repositories: [String; 2],
    cluster: String,
    services: [String; 3],
}

impl Outside {
    /// Starts ministack and creates the objects with the SDK.
    fn create(base: &str) -> Outside {
        let acc = Acc::start(EmulatorKind::Ministack);
        let prefix = acc.name(base);
        let repositories = [format!("{prefix}-repo-a"), format!("{prefix}-repo-b")];
        for name in repositories.iter().chain([&format!("other-{prefix}")]) {
            let request = acc.aws.ecr.create_repository().repository_name(name);
            acc.aws
                .block_on(request.send())
                .unwrap_or_else(|e| panic!("CreateRepository {name}: {}", aws_error(&e)));
        }
        acc.aws.push(&repositories[0], "v1", "outside");
        let cluster = format!("{prefix}-cluster");
        let request = acc.aws.ecs.create_cluster().cluster_name(&cluster);
        acc.aws
            .block_on(request.send())
            .unwrap_or_else(|e| panic!("CreateCluster {cluster}: {}", aws_error(&e)));
        let services = [1, 2, 3].map(|n| format!("{prefix}-svc-{n}"));
        let outside = Outside {
            acc,
            prefix,
            repositories,
            cluster,
            services,
        };
        let image = format!("{}:v1", outside.repository_url(0));
        for (index, name) in outside.services.iter().enumerate() {
            outside.create_service(name, &image, index + 1);
        }
        outside
    }

    /// The URL of repository `index`, as ECR reports it.
    fn repository_url(&self, index: usize) -> String {
        let name = &self.repositories[index];
        let request = self
            .acc
            .aws
            .ecr
            .describe_repositories()
            .repository_names(name);
        let output = self
            .acc
            .aws
            .block_on(request.send())
            .unwrap_or_else(|e| panic!("DescribeRepositories {name}: {}", aws_error(&e)));
        output.repositories()[0]
            .repository_uri()
            .unwrap_or_else(|| panic!("{name} has no URI"))
            .to_owned()
    }

    /// A service running `image` in a family of its own, with `count` tasks.
    fn create_service(&self, name: &str, image: &str, count: usize) {
        let ecs = &self.acc.aws.ecs;
        let container = ContainerDefinition::builder()
            .name("web")
            .image(image)
            .essential(true)
            .port_mappings(PortMapping::builder().container_port(8080).build())
            .build();
        let register = ecs
            .register_task_definition()
            .family(name)
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu("256")
            .memory("512")
            .container_definitions(container);
        let task_definition = self
            .acc
            .aws
            .block_on(register.send())
            .unwrap_or_else(|e| panic!("RegisterTaskDefinition {name}: {}", aws_error(&e)))
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap_or_else(|| panic!("RegisterTaskDefinition {name}: no ARN"))
            .to_owned();
        let network = AwsVpcConfiguration::builder()
            .subnets("subnet-0123456789abcdef0")
            .assign_public_ip(AssignPublicIp::Disabled)
            .build()
            .unwrap_or_else(|e| panic!("network configuration: {e}"));
        let create = ecs
            .create_service()
            .cluster(&self.cluster)
            .service_name(name)
            .task_definition(task_definition)
            .desired_count(i32::try_from(count).unwrap_or(1))
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(network)
                    .build(),
            );
        self.acc
            .aws
            .block_on(create.send())
            .unwrap_or_else(|e| panic!("CreateService {name}: {}", aws_error(&e)));
    }

    /// Writes `main.tf` (the provider) and `find.tfquery.hcl` with `lists`.
    fn write_query(&self, lists: &str) {
        self.acc.config("", "");
        self.acc.tf.write("find.tfquery.hcl", lists);
    }

    /// The list blocks that find this scenario's two repositories (with their states when
    /// `include_resource`) and its services (at most `limit`, 100 by default).
    fn lists(&self, include_resource: bool, limit: u32) -> String {
        format!(
            r#"
list "todo_ecr_repository" "repos" {{
  provider         = todo
  include_resource = {include_resource}

  config {{
    name_prefix = "{prefix}-repo-"
  }}
}}

list "todo_fargate_service" "services" {{
  provider = todo
  limit    = {limit}

  config {{
    cluster = "{cluster}"
  }}
}}
"#,
            prefix = self.prefix,
            cluster = self.cluster
        )
    }

    /// `terraform query -json` with `args`: its `list_resource_found` results by list address.
    fn query(&self, args: &[&str]) -> Vec<Value> {
        let mut command = vec!["query", "-json", "-no-color"];
        command.extend_from_slice(args);
        let out = self.acc.tf.run_ok(&command);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|message| message["type"] == "list_resource_found")
            .map(|message| message["list_resource_found"].clone())
            .collect()
    }
}

/// The display names of the results of the list at `address`.
fn names(results: &[Value], address: &str) -> BTreeSet<String> {
    results
        .iter()
        .filter(|r| r["address"] == address)
        .filter_map(|r| r["display_name"].as_str().map(str::to_owned))
        .collect()
}

/// Two repositories and three services created outside Terraform are listed with their
/// identities (the repository states only where `include_resource` asks); `limit` caps a list.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn terraform_query_lists_what_exists_outside_terraform() {
    require_acc();
    let outside = Outside::create("query");
    outside.write_query(&outside.lists(true, 100));
    let results = outside.query(&[]);
    let repositories: BTreeSet<String> = outside.repositories.iter().cloned().collect();
    let services: BTreeSet<String> = outside.services.iter().cloned().collect();
    assert_eq!(
        names(&results, "list.todo_ecr_repository.repos"),
        repositories
    );
    assert_eq!(
        names(&results, "list.todo_fargate_service.services"),
        services
    );
    for result in &results {
        let identity = &result["identity"];
        assert_eq!(identity["region"], "us-east-1", "{result:#}");
        assert_eq!(identity["account_id"], "000000000000", "{result:#}");
        assert_eq!(identity["name"], result["display_name"], "{result:#}");
        if result["resource_type"] == "todo_fargate_service" {
            assert_eq!(identity["cluster"], outside.cluster.as_str(), "{result:#}");
            assert!(
                result.get("resource_object").is_none(),
                "not asked: {result:#}"
            );
        } else {
            let object = &result["resource_object"];
            assert_eq!(object["name"], result["display_name"], "{result:#}");
            assert_eq!(object["image_tag_mutability"], "MUTABLE", "{result:#}");
        }
    }

    // `limit` caps a list; the other one is not affected.
    outside.write_query(&outside.lists(false, 2));
    let results = outside.query(&[]);
    assert_eq!(
        names(&results, "list.todo_fargate_service.services").len(),
        2
    );
    assert_eq!(names(&results, "list.todo_ecr_repository.repos").len(), 2);
}

/// `terraform query -generate-config-out` writes resource and import blocks for the five
/// objects; `terraform apply` imports them all without changing any, and the plan after is
/// empty.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn generated_configuration_imports_all_five_then_an_empty_plan() {
    require_acc();
    let outside = Outside::create("adopt");
    outside.write_query(&outside.lists(false, 100));
    outside
        .acc
        .tf
        .run_ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let generated =
        std::fs::read_to_string(outside.acc.tf.dir().join("generated.tf")).expect("generated.tf");
    let imports = generated.lines().filter(|l| l.trim() == "import {").count();
    assert_eq!(imports, 5, "{generated}");
    assert!(generated.contains("identity = {"), "{generated}");

    let plan = outside.acc.tf.plan_json(&[]);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), 5, "{generated}\n{plan:#}");
    for change in changes {
        assert_eq!(
            change["change"]["actions"],
            json!(["no-op"]),
            "an import without change: {generated}\n{change:#}"
        );
        assert!(
            change["change"]["importing"]["identity"].is_object(),
            "{change:#}"
        );
    }
    let running = |service: &String| outside.acc.aws.running(&outside.cluster, service);
    let before: Vec<_> = outside.services.iter().map(running).collect();
    outside.acc.tf.apply(&[]);
    let addresses = outside.acc.tf.state_addresses();
    assert_eq!(addresses.len(), 5, "{addresses:?}");
    outside.acc.tf.assert_plan_empty(&[]);
    // The services run what they ran: the import deployed nothing.
    for (service, before) in outside.services.iter().zip(before) {
        let after = running(service);
        assert_eq!(after.task_definition_arn, before.task_definition_arn);
        assert_eq!(after.primary_deployment, before.primary_deployment);
        assert!(after.image.ends_with(":v1"), "{after:?}");
    }
}
