//! Acceptance tests of `todo_fargate_service` (with `todo_ecs_cluster` and
//! `todo_ecr_repository`) against ministack, driven by the real Terraform: the image tag flows
//! into the running service, a new tag rolls it forward in place, an older one rolls it back, a
//! tag that was never pushed never reaches it, drift and import, digest pinning, and destroy.
//!
//! Every scenario checks the plan right after each apply is empty, and asks the emulator itself
//! (ECS DescribeServices / DescribeTaskDefinition / ListTaskDefinitions) what runs.
//!
//! Each scenario runs on the shared fixture ([`Acc`](support::fixture::Acc)), on ministack only
//! (moto's ECS is shallow, see `EmulatorKind::Moto`), with names unique to the run.
//!
//! Gated like every acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use aws_sdk_ecs::types::TaskDefinitionStatus;
use serde_json::Value;
use support::aws::aws_error;
use support::fixture::{Acc, named_resource};
use support::plan::{actions, planned_change, resource_drift};
use support::sdk::default_family;
use support::terraform::REQUIRED_PROVIDERS;
use support::{EmulatorKind, Running, Terraform, line_of, require_acc, unwrap_lines};

/// The repository (MUTABLE, so a tag can be re-pushed; force_delete, so destroy works with
/// images in it). Applied on its own first: images can only be pushed once it exists.
fn repository_tf(name: &str) -> String {
    named_resource(
        "todo_ecr_repository",
        "app",
        name,
        "  image_tag_mutability = \"MUTABLE\"\n  force_delete         = true\n",
    )
}

/// A cluster and a service both called `name`, running `var.image_tag` from the repository;
/// `extra` goes into the service block.
fn service_tf(name: &str, extra: &str) -> String {
    format!(
        r#"
variable "image_tag" {{
  type = string
}}

resource "todo_ecs_cluster" "main" {{
  name = "{name}"
}}

resource "todo_fargate_service" "svc" {{
  name           = "{name}"
  cluster        = todo_ecs_cluster.main.name
  repository_url = todo_ecr_repository.app.repository_url
  image_tag      = var.image_tag
  subnets        = ["subnet-0123456789abcdef0"]
{extra}
}}
"#
    )
}

const SVC: &str = "todo_fargate_service.svc";

/// One scenario on the shared fixture: [`Acc`] on ministack, and the repository, cluster and
/// service of the scenario, all called `name` (unique to the run, see [`Acc::name`]).
struct Fargate {
    acc: Acc,
    name: String,
}

/// The service queries of these scenarios.
impl Fargate {
    /// Starts ministack and creates the repository `acc.name(base)` with Terraform; the plan
    /// after is empty.
    fn start(base: &str) -> Fargate {
        let acc = Acc::start(EmulatorKind::Ministack);
        let name = acc.name(base);
        acc.config("", &repository_tf(&name));
        acc.apply_clean();
        Fargate { acc, name }
    }

    /// Writes the cluster and service (see [`service_tf`]).
    fn write_service(&self, extra: &str) {
        self.acc
            .tf
            .write("service.tf", &service_tf(&self.name, extra));
    }

    fn push(&self, tag: &str, seed: &str) -> String {
        self.acc.aws.push(&self.name, tag, seed)
    }

    fn repository_url(&self) -> String {
        let url = self.acc.tf.state_resource("todo_ecr_repository.app")["repository_url"]
            .as_str()
            .expect("repository_url in the state")
            .to_string();
        assert!(!url.is_empty());
        url
    }

    /// `terraform apply -var image_tag=<tag>`, then the plan with the same tag must be empty.
    fn apply_tag(&self, tag: &str) {
        self.acc.tf.apply(&[("image_tag", tag)]);
        self.acc.tf.assert_plan_empty(&[("image_tag", tag)]);
    }

    fn running(&self) -> Running {
        self.acc.aws.running(&self.name, &self.name)
    }

    /// The family of the service's revisions: `<cluster>-<name>`, the cluster being `name`.
    fn family(&self) -> String {
        default_family(&self.name, &self.name)
    }

    fn active_revisions(&self) -> Vec<String> {
        self.acc.aws.active_revisions(&self.family())
    }

    fn state(&self) -> Value {
        self.acc.tf.state_resource(SVC)
    }
}

/// `terraform <command> -var image_tag=<tag>` that must fail; its combined output with every run
/// of whitespace collapsed to one space.
fn expect_failure(tf: &Terraform, command: &str, tag: &str) -> String {
    let out = tf.expect_error(command, &[("image_tag", tag)]);
    // Terraform wraps diagnostics to its terminal width: compare words, not lines.
    unwrap_lines(&format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Scenario 1: tag A runs; tag B rolls forward in place; A again rolls back
/// in place. Each step: the same service ARN, a newer revision, the image from the tag.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn image_tag_rolls_forward_and_back_in_place() {
    require_acc();
    let f = Fargate::start("roll");
    f.push("aaa1111", "a");
    f.push("bbb2222", "b");
    let url = f.repository_url();
    f.write_service("");

    f.apply_tag("aaa1111");
    let first = f.running();
    assert_eq!(first.image, format!("{url}:aaa1111"));
    assert_eq!(first.desired_count, 1);
    let state = f.state();
    assert_eq!(state["image"], first.image);
    assert_eq!(state["arn"], first.service_arn);
    assert_eq!(state["id"], first.service_arn);
    assert_eq!(state["task_definition_arn"], first.task_definition_arn);
    assert_eq!(state["task_definition_revision"], first.revision);
    assert_eq!(
        state["family"],
        f.family(),
        "a new service's family is <cluster>-<name>"
    );
    assert!(state["image_digest"].is_null(), "{state:#}");
    assert_eq!(
        f.active_revisions(),
        vec![first.task_definition_arn.clone()]
    );

    // The plan for tag B: an in-place update of image_tag, image and the task definition.
    let plan = f.acc.tf.plan_json(&[("image_tag", "bbb2222")]);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(change["before"]["image_tag"], "aaa1111");
    assert_eq!(change["after"]["image_tag"], "bbb2222");
    assert_eq!(change["after"]["image"], format!("{url}:bbb2222"));
    assert_eq!(change["after"]["arn"], first.service_arn);
    assert_eq!(change["after_unknown"]["task_definition_arn"], true);
    for other in ["todo_ecs_cluster.main", "todo_ecr_repository.app"] {
        assert_eq!(actions(planned_change(&plan, other)), ["no-op"]);
    }

    f.apply_tag("bbb2222");
    let second = f.running();
    assert_eq!(
        second.service_arn, first.service_arn,
        "rolled forward in place"
    );
    assert!(
        second.revision > first.revision,
        "{second:?} after {first:?}"
    );
    assert_eq!(second.image, format!("{url}:bbb2222"));
    assert_ne!(second.primary_deployment, first.primary_deployment);
    let state = f.state();
    assert_eq!(state["image"], second.image);
    assert_eq!(state["task_definition_arn"], second.task_definition_arn);

    f.apply_tag("aaa1111");
    let third = f.running();
    assert_eq!(third.service_arn, first.service_arn, "rolled back in place");
    assert!(
        third.revision > second.revision,
        "{third:?} after {second:?}"
    );
    assert_eq!(third.image, format!("{url}:aaa1111"));
    assert_eq!(f.state()["task_definition_revision"], third.revision);
}

/// Scenario 2: a tag that was never pushed fails the plan (and the apply) on `image_tag`,
/// naming the tag and the repository, before anything changes.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn unpushed_tag_fails_the_plan_before_any_change() {
    require_acc();
    let f = Fargate::start("unpushed");
    f.push("v1", "one");
    f.write_service("");
    f.apply_tag("v1");
    let before = f.running();
    let revisions = f.active_revisions();

    let line = line_of(&service_tf(&f.name, ""), "image_tag      = var.image_tag");
    for command in ["plan", "apply"] {
        let text = expect_failure(&f.acc.tf, command, "never-pushed");
        assert!(text.contains("Image tag not found"), "{text}");
        assert!(text.contains("\"never-pushed\""), "names the tag: {text}");
        assert!(
            text.contains(&format!("\"{}\"", f.name)),
            "names the repository: {text}"
        );
        assert!(text.contains("Push the image first"), "{text}");
        // The diagnostic points at the image_tag argument of the service.
        assert!(
            text.contains(&format!(
                "with todo_fargate_service.svc, on service.tf line {line}, in resource \
                 \"todo_fargate_service\" \"svc\": {line}: image_tag = var.image_tag"
            )),
            "{text}"
        );
        assert!(!text.contains("Apply complete"), "{text}");
        let after = f.running();
        assert_eq!(after.task_definition_arn, before.task_definition_arn);
        assert_eq!(after.image, before.image);
        assert_eq!(f.active_revisions(), revisions, "no revision registered");
    }
    f.acc.tf.assert_plan_empty(&[("image_tag", "v1")]);

    // A repository created in the same apply is not known at plan time: the check happens at
    // apply, before any task definition is registered or service created.
    let late = &f.acc.name("unpushed-late");
    f.acc.tf.write(
        "late.tf",
        &format!(
            r#"
resource "todo_ecr_repository" "late" {{
  name         = "{late}"
  force_delete = true
}}

resource "todo_fargate_service" "late" {{
  name           = "{late}"
  cluster        = todo_ecs_cluster.main.name
  repository_url = todo_ecr_repository.late.repository_url
  image_tag      = "v1"
  subnets        = ["subnet-0123456789abcdef0"]
}}
"#
        ),
    );
    let text = expect_failure(&f.acc.tf, "apply", "v1");
    assert!(text.contains("Image tag not found"), "{text}");
    assert!(
        text.contains(&format!(
            "Image tag \"v1\" was not found in ECR repository \"{late}\""
        )),
        "{text}"
    );
    assert!(text.contains("with todo_fargate_service.late,"), "{text}");
    assert!(
        f.acc
            .aws
            .service(&f.name, late)
            .is_none_or(|s| s.status() != Some("ACTIVE")),
        "no service was created"
    );
    assert_eq!(
        f.acc.aws.active_revisions(&default_family(&f.name, late)),
        Vec::<String>::new(),
        "no revision registered"
    );
    let addresses = f.acc.tf.state_addresses();
    assert!(
        !addresses.iter().any(|a| a == "todo_fargate_service.late"),
        "{addresses:?}"
    );
    f.acc.tf.remove("late.tf");
    f.apply_tag("v1");
    assert_eq!(f.running().task_definition_arn, before.task_definition_arn);
}

/// Scenario 3: invalid Fargate sizes, a bad tag, port 0 and a negative desired count fail at
/// `terraform validate`, each on its attribute (the snippet shows that attribute's line).
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn invalid_settings_fail_validate_with_attribute_paths() {
    require_acc();
    let acc = Acc::start(EmulatorKind::Ministack);
    let tf = &acc.tf;
    let service = |name: &str, setting: &str| {
        format!(
            r#"
resource "todo_fargate_service" "{name}" {{
  name           = "{name}"
  cluster        = "acc"
  repository_url = "000000000000.dkr.ecr.us-east-1.localhost.localstack.cloud:4566/acc"
  subnets        = ["subnet-0123456789abcdef0"]
  {setting}
}}
"#
        )
    };
    // (resource, the offending line, the attribute it must point at, the summary)
    let cases = [
        (
            "pair",
            "image_tag = \"v1\"\n  cpu = 256\n  memory = 4096",
            "memory = 4096",
            "Invalid Fargate cpu/memory combination",
        ),
        (
            "pair2",
            "image_tag = \"v1\"\n  cpu = 1024\n  memory = 512",
            "memory = 512",
            "Invalid Fargate cpu/memory combination",
        ),
        (
            "cpu",
            "image_tag = \"v1\"\n  cpu = 300\n  memory = 512",
            "cpu = 300",
            "Invalid Fargate cpu",
        ),
        (
            "tag",
            "image_tag = \"-not:a/tag\"",
            "image_tag = \"-not:a/tag\"",
            "Invalid image tag",
        ),
        (
            "port",
            "image_tag = \"v1\"\n  container_port = 0",
            "container_port = 0",
            "Invalid container_port",
        ),
        (
            "count",
            "image_tag = \"v1\"\n  desired_count = -1",
            "desired_count = -1",
            "Invalid desired_count",
        ),
    ];
    let mut config = String::from(REQUIRED_PROVIDERS);
    for (name, setting, _, _) in &cases {
        config.push_str(&service(name, setting));
    }
    tf.write("main.tf", &config);

    let result = tf.validate_json();
    assert_eq!(result["valid"], false, "{result:#}");
    let diagnostics = result["diagnostics"].as_array().expect("diagnostics");
    let errors: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), cases.len(), "one error per case: {result:#}");
    for (name, _, attribute_line, summary) in &cases {
        let line = line_of(&config, attribute_line);
        let found = errors
            .iter()
            .find(|d| d["range"]["start"]["line"] == line)
            .unwrap_or_else(|| {
                panic!("no error on line {line} ({name}: {attribute_line}): {result:#}")
            });
        assert_eq!(found["summary"], *summary, "{name}: {found:#}");
        assert_eq!(found["range"]["filename"], "main.tf", "{found:#}");
        let code = found["snippet"]["code"].as_str().unwrap_or_default();
        assert!(
            code.contains(attribute_line),
            "{name}: the snippet shows {code:?}, not {attribute_line:?}"
        );
    }

    // The same configuration cannot reach AWS: the plan stops at validation, too.
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    assert!(!plan.status.success());
    let stderr = String::from_utf8_lossy(&plan.stderr);
    assert!(stderr.contains("Invalid desired_count"), "{stderr}");
    assert!(
        acc.aws.service("acc", "count").is_none(),
        "nothing was created"
    );
}

/// Scenario 4: a task definition changed outside Terraform shows as an update back to the
/// configured tag; a service deleted outside Terraform leaves the state on refresh and the plan
/// creates it again.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn out_of_band_changes_show_as_drift() {
    require_acc();
    let f = Fargate::start("drift");
    f.push("good", "good");
    f.push("other", "other");
    let url = f.repository_url();
    f.write_service("");
    f.apply_tag("good");
    let managed = f.running();

    // Someone registers another revision of the family with another image and points the
    // service at it.
    let other = format!("{url}:other");
    let out_of_band =
        f.acc
            .aws
            .register_like(&managed.task_definition_arn, &f.family(), Some(&other));
    f.acc
        .aws
        .block_on(
            f.acc
                .aws
                .ecs
                .update_service()
                .cluster(&f.name)
                .service(&f.name)
                .task_definition(&out_of_band)
                .send(),
        )
        .unwrap_or_else(|e| panic!("UpdateService: {}", aws_error(&e)));
    assert_eq!(f.running().image, format!("{url}:other"));

    let vars = [("image_tag", "good")];
    let plan = f.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(change["before"]["image_tag"], "other", "{change:#}");
    assert_eq!(change["before"]["task_definition_arn"], out_of_band);
    assert_eq!(change["after"]["image_tag"], "good");
    assert_eq!(change["after"]["image"], format!("{url}:good"));
    assert_eq!(change["after"]["arn"], managed.service_arn);
    assert_eq!(change["after_unknown"]["task_definition_arn"], true);

    f.acc.tf.apply(&vars);
    f.acc.tf.assert_plan_empty(&vars);
    let restored = f.running();
    assert_eq!(restored.service_arn, managed.service_arn);
    assert_eq!(restored.image, format!("{url}:good"));
    assert_ne!(restored.task_definition_arn, out_of_band);

    // Someone deletes the service.
    f.acc
        .aws
        .block_on(
            f.acc
                .aws
                .ecs
                .delete_service()
                .cluster(&f.name)
                .service(&f.name)
                .force(true)
                .send(),
        )
        .unwrap_or_else(|e| panic!("DeleteService: {}", aws_error(&e)));
    let gone = f.acc.aws.service(&f.name, &f.name);
    assert!(
        gone.as_ref()
            .is_none_or(|s| matches!(s.status(), Some("INACTIVE" | "DRAINING"))),
        "{gone:?}"
    );

    let plan = f.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["create"], "{change:#}");
    assert_eq!(change["after"]["image"], format!("{url}:good"));
    let drift = resource_drift(&plan, SVC)
        .unwrap_or_else(|| panic!("the deletion shows as drift: {plan:#}"));
    assert_eq!(actions(&drift["change"]), ["delete"], "{drift:#}");
    // A refresh drops the service from the state.
    f.acc.tf.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-var",
        "image_tag=good",
    ]);
    assert!(
        !f.acc.tf.state_addresses().iter().any(|a| a == SVC),
        "{:?}",
        f.acc.tf.state_addresses()
    );

    f.acc.tf.apply(&vars);
    f.acc.tf.assert_plan_empty(&vars);
    let recreated = f.running();
    assert_eq!(recreated.image, format!("{url}:good"));
    assert_eq!(f.state()["arn"], recreated.service_arn);
}

/// Scenario 5: `terraform import todo_fargate_service.svc <cluster>/<service>` rebuilds the
/// state from ECS (repository URL and tag split from the image), then a matching configuration
/// plans no change.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn import_by_cluster_and_service_then_empty_plan() {
    require_acc();
    let f = Fargate::start("import");
    f.push("3f2a1bc", "x");
    let url = f.repository_url();
    f.write_service(
        r#"  cpu           = 512
  memory        = 2048
  desired_count = 2
  environment   = { APP_ENV = "acc" }
  tags          = { team = "web" }"#,
    );
    let vars = [("image_tag", "3f2a1bc")];
    f.apply_tag("3f2a1bc");
    let created = f.state();
    let running = f.running();

    f.acc.tf.run_ok(&["state", "rm", SVC]);
    assert!(!f.acc.tf.state_addresses().iter().any(|a| a == SVC));
    let id = format!("{0}/{0}", f.name);
    f.acc.tf.import(SVC, &id, &vars);
    let imported = f.state();
    for attribute in [
        "arn",
        "name",
        "cluster",
        "family",
        "repository_url",
        "image_tag",
        "image",
        "task_definition_arn",
        "task_definition_revision",
        "cpu",
        "memory",
        "desired_count",
        "environment",
        "tags",
        "subnets",
        "container_name",
        "container_port",
    ] {
        assert_eq!(
            imported[attribute], created[attribute],
            "{attribute} after import: {imported:#}"
        );
    }
    assert_eq!(imported["repository_url"], url);
    assert_eq!(imported["image_tag"], "3f2a1bc");
    f.acc.tf.assert_plan_empty(&vars);
    // Nothing changed in ECS.
    let after = f.running();
    assert_eq!(after.task_definition_arn, running.task_definition_arn);

    // A malformed ID is refused with the expected form.
    let bad = f.acc.tf.run(&[
        "import",
        "-input=false",
        "-no-color",
        "-var",
        "image_tag=3f2a1bc",
        "todo_fargate_service.other",
        "just-a-name",
    ]);
    assert!(!bad.status.success());
}

/// Scenario 6: `pin_digest = true` records the digest the tag resolved to; re-pushing the tag
/// to another manifest shows as drift in the next plan, and the apply runs the new digest.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn pin_digest_records_the_digest_and_a_moved_tag_shows_as_drift() {
    require_acc();
    let f = Fargate::start("pin");
    let first = f.push("stable", "first build");
    let url = f.repository_url();
    f.write_service("  pin_digest = true");
    f.apply_tag("stable");
    let state = f.state();
    assert_eq!(state["image"], format!("{url}@{first}"), "{state:#}");
    assert_eq!(state["image_digest"], first);
    assert_eq!(state["image_tag"], "stable");
    let running = f.running();
    assert_eq!(running.image, format!("{url}@{first}"));

    // The tag moves to another manifest.
    let second = f.push("stable", "second build");
    assert_ne!(first, second);
    let vars = [("image_tag", "stable")];
    assert!(
        !f.acc.tf.plan_is_empty(&vars),
        "a moved tag must show as drift"
    );
    let plan = f.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(change["before"]["image_digest"], first);
    assert_eq!(change["after"]["image_digest"], second);
    assert_eq!(change["after"]["image"], format!("{url}@{second}"));
    assert_eq!(change["after"]["arn"], running.service_arn);
    assert_eq!(change["after_unknown"]["task_definition_arn"], true);
    // Until then the service still runs the first digest.
    assert_eq!(f.running().image, format!("{url}@{first}"));

    f.apply_tag("stable");
    let moved = f.running();
    assert_eq!(moved.image, format!("{url}@{second}"));
    assert_eq!(moved.service_arn, running.service_arn);
    assert!(moved.revision > running.revision);
    assert_eq!(f.state()["image_digest"], second);

    // What is planned is what is applied: the tag moves again between a saved plan and its
    // apply; the apply deploys the planned digest and says that the tag moved.
    let third = f.push("stable", "third build");
    f.acc.tf.run_ok(&[
        "plan",
        "-input=false",
        "-no-color",
        "-out=pinned.tfplan",
        "-var",
        "image_tag=stable",
    ]);
    let fourth = f.push("stable", "fourth build");
    assert_ne!(third, fourth);
    let out = f
        .acc
        .tf
        .run_ok(&["apply", "-input=false", "-no-color", "pinned.tfplan"]);
    let text = unwrap_lines(&format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ));
    assert!(
        text.contains("The image tag moved since the plan"),
        "{text}"
    );
    assert!(
        text.contains(&fourth),
        "the warning names the new digest: {text}"
    );
    assert_eq!(
        f.running().image,
        format!("{url}@{third}"),
        "the planned digest runs"
    );
    assert_eq!(f.state()["image_digest"], third);
}

/// Scenario 7: destroy leaves no active service and none of the revisions it registered
/// ACTIVE; a revision someone else registered in the same family is untouched.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn destroy_leaves_no_service_and_no_active_revision() {
    require_acc();
    let f = Fargate::start("destroy");
    f.push("one", "1");
    f.push("two", "2");
    f.write_service("");
    f.apply_tag("one");
    let first = f.running();
    f.apply_tag("two");
    let registered = f.running();
    assert!(registered.revision >= 2);
    let owned = vec![
        first.task_definition_arn.clone(),
        registered.task_definition_arn.clone(),
    ];
    assert_eq!(
        f.active_revisions(),
        owned,
        "the revisions this resource registered"
    );

    // Someone else registers a revision in the same family: it is theirs.
    let foreign = f
        .acc
        .aws
        .register_like(&registered.task_definition_arn, &f.family(), None);

    f.acc.tf.destroy(&[("image_tag", "two")]);
    assert!(f.acc.tf.state_addresses().is_empty(), "state after destroy");
    let left = f.acc.aws.service(&f.name, &f.name);
    assert!(
        left.as_ref().is_none_or(|s| s.status() != Some("ACTIVE")),
        "an active service is left: {left:?}"
    );
    assert_eq!(
        f.active_revisions(),
        vec![foreign],
        "only the revision someone else registered stays ACTIVE"
    );
    let inactive = f
        .acc
        .aws
        .revisions(&f.family(), TaskDefinitionStatus::Inactive);
    for arn in &owned {
        assert!(
            inactive.contains(arn),
            "{arn} was deregistered: {inactive:?}"
        );
    }
    let clusters = f
        .acc
        .aws
        .block_on(f.acc.aws.ecs.list_clusters().send())
        .expect("ListClusters");
    assert!(
        !clusters
            .cluster_arns()
            .iter()
            .any(|c| c.ends_with(&format!("/{}", f.name))),
        "{clusters:?}"
    );
}

/// Scenario 8: a change of service settings only (desired_count, then the circuit breaker)
/// updates the service in place: no new task definition revision, no new deployment.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn service_only_change_keeps_the_revision() {
    require_acc();
    let f = Fargate::start("scale");
    f.push("v1", "v1");
    f.write_service("  desired_count = 1");
    f.apply_tag("v1");
    let before = f.running();
    let revisions = f.active_revisions();

    f.write_service("  desired_count = 2");
    let vars = [("image_tag", "v1")];
    let plan = f.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(change["before"]["desired_count"], 1);
    assert_eq!(change["after"]["desired_count"], 2);
    assert_eq!(
        change["after"]["task_definition_arn"], before.task_definition_arn,
        "no new revision planned: {change:#}"
    );
    assert_eq!(change["after"]["image"], before.image);

    f.apply_tag("v1");
    let after = f.running();
    assert_eq!(after.desired_count, 2);
    assert_eq!(after.service_arn, before.service_arn);
    assert_eq!(after.task_definition_arn, before.task_definition_arn);
    assert_eq!(
        after.primary_deployment, before.primary_deployment,
        "scaling must not start a new deployment"
    );
    assert_eq!(f.active_revisions(), revisions, "no revision registered");
    assert_eq!(f.state()["task_definition_arn"], before.task_definition_arn);

    // The circuit breaker is a service setting too.
    f.write_service(
        "  desired_count = 2\n  deployment_circuit_breaker {\n    enable   = true\n    rollback = false\n  }",
    );
    let plan = f.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(
        change["after"]["task_definition_arn"],
        before.task_definition_arn
    );
    f.apply_tag("v1");
    let service = f.acc.aws.service(&f.name, &f.name).expect("the service");
    let breaker = service
        .deployment_configuration()
        .and_then(|d| d.deployment_circuit_breaker())
        .unwrap_or_else(|| panic!("no circuit breaker: {service:?}"));
    assert!(breaker.enable() && !breaker.rollback(), "{breaker:?}");
    let last = f.running();
    assert_eq!(last.task_definition_arn, before.task_definition_arn);
    assert_eq!(last.primary_deployment, before.primary_deployment);
    assert_eq!(f.active_revisions(), revisions);
}
