//! Acceptance tests of resource identity against ministack, driven by the real Terraform: the
//! identity in `terraform show -json`, `import` blocks by identity followed by an empty plan, a
//! state without identities (as older provider versions wrote it) gaining them on refresh, a
//! service configured by cluster ARN identified by the cluster's name, and import identities
//! that name another region or account refused.
//!
//! Ministack only: services need its ECS (see `EmulatorKind::Moto`). Gated like every
//! acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use serde_json::{Value, json};
use support::fixture::Acc;
use support::{EmulatorKind, require_acc, unwrap_lines};

const REPOSITORY: &str = "todo_ecr_repository.app";
const CLUSTER: &str = "todo_ecs_cluster.main";
const SERVICE: &str = "todo_fargate_service.svc";

/// The emulator's region (the tests' `AWS_REGION`) and ministack's account.
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "000000000000";

/// A repository, a cluster and a service all called `name`; the service names its cluster by
/// `cluster_reference` (`name` or `arn` of `todo_ecs_cluster.main`) and runs the tag `v1`.
fn stack_tf(name: &str, cluster_reference: &str) -> String {
    format!(
        r#"
resource "todo_ecr_repository" "app" {{
  name                 = "{name}"
  image_tag_mutability = "MUTABLE"
  force_delete         = true
}}

resource "todo_ecs_cluster" "main" {{
  name = "{name}"
}}

resource "todo_fargate_service" "svc" {{
  name           = "{name}"
  cluster        = todo_ecs_cluster.main.{cluster_reference}
  repository_url = todo_ecr_repository.app.repository_url
  image_tag      = "v1"
  subnets        = ["subnet-0123456789abcdef0"]
}}
"#
    )
}

/// The repository alone (so an image can be pushed before the service needs it).
fn repository_tf(name: &str) -> String {
    format!(
        "resource \"todo_ecr_repository\" \"app\" {{\n  name                 = \"{name}\"\n  \
         image_tag_mutability = \"MUTABLE\"\n  force_delete         = true\n}}\n"
    )
}

/// Starts ministack and creates the stack `acc.name(base)` with Terraform (the service naming
/// its cluster by `cluster_reference`); the plan after is empty.
fn create_stack(base: &str, cluster_reference: &str) -> (Acc, String) {
    let acc = Acc::start(EmulatorKind::Ministack);
    let name = acc.name(base);
    acc.config("", &repository_tf(&name));
    acc.tf.apply(&[]);
    acc.aws.push(&name, "v1", "identity");
    acc.config("", &stack_tf(&name, cluster_reference));
    acc.apply_clean();
    (acc, name)
}

/// The resource at `address` in `terraform show -json` (its `values`, `identity`, ...).
fn shown(acc: &Acc, address: &str) -> Value {
    let state = acc.tf.show_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["address"] == address))
        .cloned()
        .unwrap_or_else(|| panic!("no {address} in {state:#}"))
}

/// The identities `terraform show -json` must carry for the stack `name`.
fn expected_identities(name: &str) -> [(&'static str, Value); 3] {
    let named = json!({"name": name, "region": REGION, "account_id": ACCOUNT});
    let service = json!({"cluster": name, "name": name, "region": REGION, "account_id": ACCOUNT});
    [
        (REPOSITORY, named.clone()),
        (CLUSTER, named),
        (SERVICE, service),
    ]
}

fn assert_identities(acc: &Acc, name: &str, when: &str) {
    for (address, expected) in expected_identities(name) {
        let resource = shown(acc, address);
        assert_eq!(
            resource["identity"], expected,
            "{when}: {address}: {resource:#}"
        );
        assert_eq!(resource["identity_schema_version"], 0, "{when}: {address}");
    }
}

/// Removes every identity from `terraform.tfstate`, as provider versions before identities
/// wrote it.
fn strip_identities(acc: &Acc) {
    let path = acc.tf.dir().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path).expect("read terraform.tfstate");
    let mut state: Value = serde_json::from_str(&text).expect("state JSON");
    let mut stripped = 0;
    for resource in state["resources"].as_array_mut().expect("resources") {
        for instance in resource["instances"].as_array_mut().expect("instances") {
            let instance = instance.as_object_mut().expect("an instance object");
            stripped += usize::from(instance.remove("identity").is_some());
            instance.remove("identity_schema_version");
        }
    }
    assert_eq!(stripped, 3, "three identities in {text}");
    let text = serde_json::to_string_pretty(&state).expect("state JSON");
    std::fs::write(&path, text).expect("write terraform.tfstate");
}

/// `terraform <command>` that must fail; its combined output on one line.
fn failure(acc: &Acc, args: &[&str]) -> String {
    let out = acc.tf.run(args);
    assert!(!out.status.success(), "terraform {args:?} succeeded");
    unwrap_lines(&format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// The identity is in `show -json`; a state without identities gains them on refresh;
/// `import` blocks by identity (some attributes left out) import all three with no change and
/// record the complete identity; an identity in another region or account is refused.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn import_by_identity_then_an_empty_plan() {
    require_acc();
    let (acc, name) = create_stack("ident", "name");
    assert_identities(&acc, &name, "after create");

    strip_identities(&acc);
    assert!(shown(&acc, SERVICE).get("identity").is_none());
    acc.tf.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    assert_identities(&acc, &name, "after a refresh of a state without identities");
    acc.tf.assert_plan_empty(&[]);

    for address in [SERVICE, CLUSTER, REPOSITORY] {
        acc.tf.run_ok(&["state", "rm", address]);
    }
    acc.tf.write(
        "imports.tf",
        &format!(
            r#"
import {{
  to       = {REPOSITORY}
  identity = {{ name = "{name}" }}
}}

import {{
  to       = {CLUSTER}
  identity = {{ name = "{name}", region = "{REGION}" }}
}}

import {{
  to       = {SERVICE}
  identity = {{ cluster = "{name}", name = "{name}", account_id = "{ACCOUNT}" }}
}}
"#
        ),
    );
    let plan = acc.tf.plan_json(&[]);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), 3, "{plan:#}");
    for change in changes {
        let address = change["address"].as_str().unwrap_or_default();
        if address == REPOSITORY {
            // `force_delete` is the provider's setting, not ECR's: an import reads it as false,
            // and the apply records the configured value without calling ECR.
            assert_eq!(change["change"]["actions"], json!(["update"]), "{change:#}");
            let mut before = change["change"]["before"].clone();
            before["force_delete"] = json!(true);
            assert_eq!(
                before, change["change"]["after"],
                "only force_delete changes"
            );
        } else {
            assert_eq!(change["change"]["actions"], json!(["no-op"]), "{change:#}");
        }
        assert!(
            change["change"]["importing"]["identity"]["name"] == name.as_str(),
            "{address} imported by identity: {change:#}"
        );
    }
    acc.tf.apply(&[]);
    assert_identities(&acc, &name, "after import by identity");
    acc.tf.assert_plan_empty(&[]);
    acc.tf.remove("imports.tf");
    acc.tf.assert_plan_empty(&[]);

    // Another region or account is not this provider's object.
    let other = format!(
        r#"
resource "todo_ecs_cluster" "other" {{
  name = "{name}"
}}

import {{
  to       = todo_ecs_cluster.other
  identity = {{ name = "{name}", region = "eu-west-1" }}
}}
"#
    );
    acc.tf.write("other.tf", &other);
    let output = failure(&acc, &["plan", "-input=false", "-no-color"]);
    assert!(output.contains("Identity in another region"), "{output}");
    assert!(output.contains("configured for \"us-east-1\""), "{output}");
    acc.tf.write(
        "other.tf",
        &other.replace("region = \"eu-west-1\"", "account_id = \"111111111111\""),
    );
    let output = failure(&acc, &["plan", "-input=false", "-no-color"]);
    assert!(output.contains("Unexpected identity change"), "{output}");
    assert!(output.contains("\"111111111111\""), "{output}");
    acc.tf.remove("other.tf");

    acc.destroy_to_empty_state();
}

/// A service configured by its cluster's ARN is identified by the cluster's name, after create
/// and after an import by ID with the cluster ARN; the plan after that import is empty.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn a_service_configured_by_cluster_arn_is_identified_by_the_cluster_name() {
    require_acc();
    let (acc, name) = create_stack("ident-arn", "arn");
    let state = acc.tf.state_resource(SERVICE);
    let cluster_arn = state["cluster"].as_str().expect("cluster").to_owned();
    assert!(cluster_arn.starts_with("arn:aws:ecs:"), "{state:#}");
    assert_identities(&acc, &name, "after create with the cluster ARN");

    // `providers schema -json` lists the three identity schemas.
    let out = acc.tf.run_ok(&["providers", "schema", "-json"]);
    let schemas: Value = serde_json::from_slice(&out.stdout).expect("schema JSON");
    let identities = &schemas["provider_schemas"]["registry.terraform.io/todo/todo"]["resource_identity_schemas"];
    for (address, expected) in expected_identities(&name) {
        let type_name = address.split('.').next().unwrap_or_default();
        let attributes = identities[type_name]["attributes"]
            .as_object()
            .unwrap_or_else(|| panic!("no identity schema for {type_name}: {identities:#}"));
        let mut names: Vec<&String> = attributes.keys().collect();
        names.sort();
        let mut wanted: Vec<&String> = expected.as_object().expect("an object").keys().collect();
        wanted.sort();
        assert_eq!(names, wanted, "{type_name}");
        assert_eq!(identities[type_name]["version"], 0);
    }
    assert_eq!(
        identities["todo_fargate_service"]["attributes"]["cluster"]["required_for_import"],
        true
    );

    acc.tf.run_ok(&["state", "rm", SERVICE]);
    acc.tf
        .import(SERVICE, &format!("{cluster_arn}/{name}"), &[]);
    assert_eq!(
        acc.tf.state_resource(SERVICE)["cluster"],
        cluster_arn.as_str()
    );
    assert_identities(&acc, &name, "after import by ID with the cluster ARN");
    acc.tf.assert_plan_empty(&[]);

    acc.destroy_to_empty_state();
}
