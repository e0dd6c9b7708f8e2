//! Acceptance tests of the list resources and `terraform query` against ministack, driven by
//! the real Terraform: repositories and services created outside Terraform (with the SDK, as a
//! console or CDK user leaves them) are listed by a `.tfquery.hcl` file, filtered by
//! `name_prefix` and capped by `limit`; `terraform query -generate-config-out` writes resource
//! and import blocks that `terraform apply` imports with no change, and the plan after is empty.
//! `examples/adopt` does the same for a deployment shaped like the demo's.
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

/// A repository created with the SDK.
fn create_repository(acc: &Acc, name: &str) {
    let request = acc.aws.ecr.create_repository().repository_name(name);
    acc.aws
        .block_on(request.send())
        .unwrap_or_else(|e| panic!("CreateRepository {name}: {}", aws_error(&e)));
}

/// Pushes the tag `v1` to the repository `name`; its image URI without the tag.
fn push_v1(acc: &Acc, name: &str) -> String {
    acc.aws.push(name, "v1", "outside");
    let request = acc.aws.ecr.describe_repositories().repository_names(name);
    let output = acc
        .aws
        .block_on(request.send())
        .unwrap_or_else(|e| panic!("DescribeRepositories {name}: {}", aws_error(&e)));
    output.repositories()[0]
        .repository_uri()
        .unwrap_or_else(|| panic!("{name} has no URI"))
        .to_owned()
}

/// A cluster created with the SDK.
fn create_cluster(acc: &Acc, name: &str) {
    let request = acc.aws.ecs.create_cluster().cluster_name(name);
    acc.aws
        .block_on(request.send())
        .unwrap_or_else(|e| panic!("CreateCluster {name}: {}", aws_error(&e)));
}

/// A Fargate service created with the SDK, as a console user leaves it: `count` tasks of
/// `image` (container `web`, port 8080) in a task definition family of its own.
fn create_service(acc: &Acc, cluster: &str, name: &str, image: &str, count: i32) {
    let ecs = &acc.aws.ecs;
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
    let task_definition = acc
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
        .cluster(cluster)
        .service_name(name)
        .task_definition(task_definition)
        .desired_count(count)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(network)
                .build(),
        );
    acc.aws
        .block_on(create.send())
        .unwrap_or_else(|e| panic!("CreateService {name}: {}", aws_error(&e)));
}

/// `terraform query -json` with `args`: its `list_resource_found` results.
fn query(acc: &Acc, args: &[&str]) -> Vec<Value> {
    let mut command = vec!["query", "-json", "-no-color"];
    command.extend_from_slice(args);
    let out = acc.tf.run_ok(&command);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["type"] == "list_resource_found")
        .map(|message| message["list_resource_found"].clone())
        .collect()
}

/// `terraform query -generate-config-out=generated.tf` with `args`; the file it wrote, which
/// must hold `imports` import blocks.
fn generate(acc: &Acc, args: &[&str], imports: usize) -> String {
    let mut command = vec!["query", "-no-color", "-generate-config-out=generated.tf"];
    command.extend_from_slice(args);
    acc.tf.run_ok(&command);
    let generated =
        std::fs::read_to_string(acc.tf.dir().join("generated.tf")).expect("generated.tf");
    let blocks = generated.lines().filter(|l| l.trim() == "import {").count();
    assert_eq!(blocks, imports, "{generated}");
    generated
}

/// The plan of the generated configuration imports `count` objects by identity and changes
/// none of them.
fn assert_imports_only(acc: &Acc, vars: &[(&str, &str)], count: usize, generated: &str) {
    let plan = acc.tf.plan_json(vars);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), count, "{generated}\n{plan:#}");
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
}

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
            create_repository(&acc, name);
        }
        let image = format!("{}:v1", push_v1(&acc, &repositories[0]));
        let cluster = format!("{prefix}-cluster");
        create_cluster(&acc, &cluster);
        let services = [1, 2, 3].map(|n| format!("{prefix}-svc-{n}"));
        for (count, name) in (1..).zip(&services) {
            create_service(&acc, &cluster, name, &image, count);
        }
        Outside {
            acc,
            prefix,
            repositories,
            cluster,
            services,
        }
    }

    /// Writes `main.tf` (the provider) and `find.tfquery.hcl` with `lists`.
    fn write_query(&self, lists: &str) {
        self.acc.config("", "");
        self.acc.tf.write("find.tfquery.hcl", lists);
    }

    /// The list blocks that find this scenario's two repositories (with their states when
    /// `include_resource`) and its services (at most `limit`).
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
    let results = query(&outside.acc, &[]);
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
    let results = query(&outside.acc, &[]);
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
    let generated = generate(&outside.acc, &[], 5);
    assert!(generated.contains("identity = {"), "{generated}");
    assert_imports_only(&outside.acc, &[], 5, &generated);
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

/// `examples/adopt` finds a cluster, service and repository shaped like the demo's (named after
/// its variables), and the configuration it generates imports the three with no change.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn the_adopt_example_finds_and_imports_a_demo_shaped_deployment() {
    require_acc();
    let acc = Acc::start(EmulatorKind::Ministack);
    // The demo's names are "todo", "todo-service" and "todo-service-demo"; these are unique.
    let cluster = acc.name("adopt-ex");
    let name_prefix = format!("{cluster}-service");
    let service = format!("{name_prefix}-demo");
    create_repository(&acc, &name_prefix);
    let image = format!("{}:v1", push_v1(&acc, &name_prefix));
    create_cluster(&acc, &cluster);
    create_service(&acc, &cluster, &service, &image, 2);
    acc.tf
        .copy_dir(&support::repo_root().join("examples/adopt"), ".");
    let vars = [
        ("cluster", cluster.as_str()),
        ("name_prefix", name_prefix.as_str()),
    ];
    let var_args: Vec<String> = vars.iter().map(|(k, v)| format!("-var={k}={v}")).collect();
    let var_args: Vec<&str> = var_args.iter().map(String::as_str).collect();

    let results = query(&acc, &var_args);
    let found: BTreeSet<(String, String)> = results
        .iter()
        .map(|r| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&r["resource_type"]), text(&r["display_name"]))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("todo_ecr_repository", &name_prefix),
        ("todo_ecs_cluster", &cluster),
        ("todo_fargate_service", &service),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_owned(), n.clone()))
    .collect();
    assert_eq!(found, expected);

    let generated = generate(&acc, &var_args, 3);
    assert_imports_only(&acc, &[], 3, &generated);
    acc.tf.apply(&[]);
    acc.tf.assert_plan_empty(&[]);
}
