//! Acceptance tests of the action `todo_fargate_service_redeploy` against ministack, driven by
//! the real Terraform: `terraform apply -invoke=action.todo_fargate_service_redeploy.<name>` on
//! a running service starts a new deployment of the same task definition (ministack's PRIMARY
//! deployment ID changes, the revision does not), streams its progress into Terraform's output
//! and leaves the next plan empty; the same from a resource's `lifecycle { action_trigger }` on
//! `after_update`; and a service that does not exist fails the invocation with a diagnostic on
//! the action's `config`. Invalid settings fail `terraform validate` on their line inside
//! `config` (ValidateActionConfig), before anything runs.
//!
//! The service, its cluster and its repository are created by Terraform in each scenario, with
//! names unique to the run (see [`Acc::name`]); ministack only (moto's ECS starts no
//! deployments).
//!
//! Run: `TF_ACC=1 cargo test --features test-hooks --test acc_action -- --include-ignored`.

mod support;

use support::fixture::{Acc, named_resource};
use support::terraform::{REQUIRED_PROVIDERS, combined_output};
use support::{EmulatorKind, PROVIDER, Running, Terraform, require_acc};

const ACTION: &str = "action.todo_fargate_service_redeploy.r";
const TAG: &str = "v1";

/// The cluster and the service both called `name`, running `<repository>:v1`; `lifecycle` goes
/// into the service block, `tags` is its `tags` map (HCL).
fn service_tf(name: &str, lifecycle: &str, tags: &str) -> String {
    format!(
        r#"
resource "todo_ecs_cluster" "main" {{
  name = "{name}"
}}

resource "todo_fargate_service" "svc" {{
  name           = "{name}"
  cluster        = todo_ecs_cluster.main.name
  repository_url = todo_ecr_repository.app.repository_url
  image_tag      = "{TAG}"
  subnets        = ["subnet-0123456789abcdef0"]
  tags           = {tags}
{lifecycle}
}}
"#
    )
}

/// The action `r` on the service above, plus `missing`, an action on a service that does not
/// exist in the same cluster.
fn action_tf(name: &str) -> String {
    format!(
        r#"
action "todo_fargate_service_redeploy" "r" {{
  config {{
    cluster = todo_ecs_cluster.main.name
    service = todo_fargate_service.svc.name
    timeout = "5m"
  }}
}}

action "todo_fargate_service_redeploy" "missing" {{
  config {{
    cluster = "{name}"
    service = "{name}-missing"
  }}
}}
"#
    )
}

/// One scenario: ministack, the repository with the image pushed, and the names.
struct Redeploy {
    acc: Acc,
    name: String,
}

impl Redeploy {
    /// Starts ministack, creates the repository `acc.name(base)` and pushes `v1` to it.
    fn start(base: &str) -> Redeploy {
        let acc = Acc::start(EmulatorKind::Ministack);
        let name = acc.name(base);
        let repository = named_resource(
            "todo_ecr_repository",
            "app",
            &name,
            "  force_delete = true\n",
        );
        acc.config("", &repository);
        acc.apply_clean();
        acc.aws.push(&name, TAG, "redeploy");
        Redeploy { acc, name }
    }

    fn running(&self) -> Running {
        self.acc.aws.running(&self.name, &self.name)
    }

    /// The rollout state of the PRIMARY deployment.
    fn primary_rollout(&self) -> String {
        let service = self
            .acc
            .aws
            .service(&self.name, &self.name)
            .expect("the service");
        service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.rollout_state())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()
    }

    /// `terraform apply -invoke=<action>`: its whole output, whitespace collapsed; panics if
    /// the invocation fails.
    fn invoke(&self, action: &str) -> String {
        let out = self.acc.tf.run_ok(&[
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            &format!("-invoke={action}"),
        ]);
        combined_output(&out)
    }
}

/// `-invoke` on a running service: a new PRIMARY deployment of the same revision whose rollout
/// completed, its progress in Terraform's output, nothing in the state changed, an empty plan.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn invoke_starts_a_new_deployment_of_the_running_revision() {
    require_acc();
    let r = Redeploy::start("redeploy");
    r.acc.tf.write("service.tf", &service_tf(&r.name, "", "{}"));
    r.acc.tf.write("action.tf", &action_tf(&r.name));
    r.acc.apply_clean();
    let before = r.running();
    let state_before = r.acc.tf.state_resource("todo_fargate_service.svc");

    let output = r.invoke(ACTION);
    let after = r.running();
    assert_ne!(
        after.primary_deployment, before.primary_deployment,
        "a new deployment: {output}"
    );
    assert_eq!(after.task_definition_arn, before.task_definition_arn);
    assert_eq!(after.service_arn, before.service_arn);
    assert_eq!(r.primary_rollout(), "COMPLETED", "waited for the rollout");
    // The progress messages reach Terraform's output, naming the new deployment.
    let started = format!("Started deployment {}", after.primary_deployment);
    assert!(output.contains(&started), "{output}");
    assert!(
        output.contains(&format!(
            "Deployment {} completed",
            after.primary_deployment
        )),
        "{output}"
    );
    assert!(output.contains("rollout COMPLETED"), "{output}");
    assert_eq!(
        r.acc.tf.state_resource("todo_fargate_service.svc"),
        state_before,
        "an action changes no state"
    );
    r.acc.tf.assert_plan_empty(&[]);

    // Again: another deployment.
    r.invoke(ACTION);
    let again = r.running();
    assert_ne!(again.primary_deployment, after.primary_deployment);
    assert_eq!(again.task_definition_arn, before.task_definition_arn);

    // A service that does not exist: the invocation fails on the action's config.
    let out = r.acc.tf.run(&[
        "apply",
        "-input=false",
        "-no-color",
        "-auto-approve",
        "-invoke=action.todo_fargate_service_redeploy.missing",
    ]);
    let text = combined_output(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("Cannot start a new deployment"), "{text}");
    assert!(
        text.contains(&format!("ECS has no active service \"{}-missing\"", r.name)),
        "{text}"
    );
    assert_eq!(r.running().primary_deployment, again.primary_deployment);
    r.acc.tf.assert_plan_empty(&[]);
}

/// `action_trigger` on `after_update`: creating the service runs nothing; an in-place update
/// (a tag, which by itself starts no deployment) runs the action after it, which starts one.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn an_action_trigger_after_update_redeploys() {
    require_acc();
    let r = Redeploy::start("trigger");
    let lifecycle = format!(
        "  lifecycle {{\n    action_trigger {{\n      events  = [after_update]\n      \
         actions = [{ACTION}]\n    }}\n  }}"
    );
    r.acc.tf.write(
        "service.tf",
        &service_tf(&r.name, &lifecycle, "{ rev = \"1\" }"),
    );
    r.acc.tf.write("action.tf", &action_tf(&r.name));
    let created = combined_output(&r.acc.tf.apply(&[]));
    assert!(
        !created.contains("Started deployment"),
        "no action on create: {created}"
    );
    r.acc.tf.assert_plan_empty(&[]);
    let before = r.running();

    // A tag changes in place: no new deployment by itself.
    r.acc.tf.write(
        "service.tf",
        &service_tf(&r.name, &lifecycle, "{ rev = \"2\" }"),
    );
    let updated = combined_output(&r.acc.tf.apply(&[]));
    let after = r.running();
    assert_ne!(
        after.primary_deployment, before.primary_deployment,
        "the action ran after the update: {updated}"
    );
    assert_eq!(after.task_definition_arn, before.task_definition_arn);
    assert!(
        updated.contains(&format!("Started deployment {}", after.primary_deployment)),
        "{updated}"
    );
    assert_eq!(r.primary_rollout(), "COMPLETED");
    assert_eq!(
        r.acc.tf.state_resource("todo_fargate_service.svc")["tags"]["rev"],
        "2"
    );
    r.acc.tf.assert_plan_empty(&[]);
}

/// `terraform validate -json` of one action block: each invalid setting is reported on its own
/// line inside `config`, and a timeout without a wait is a warning there.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn invalid_settings_fail_validate_on_their_line_in_config() {
    require_acc();
    // Nothing is called: validation needs no endpoint.
    let tf = Terraform::with_endpoint("http://127.0.0.1:9", PROVIDER);
    let config = |settings: &str| {
        format!(
            "{REQUIRED_PROVIDERS}\naction \"todo_fargate_service_redeploy\" \"r\" {{\n  \
             config {{\n{settings}  }}\n}}\n"
        )
    };
    tf.write(
        "main.tf",
        &config("    cluster = \"a/b\"\n    service = \"my service\"\n    timeout = \"soon\"\n"),
    );
    let validate = tf.validate_json();
    assert_eq!(validate["valid"], false, "{validate:#}");
    let diagnostics = validate["diagnostics"].as_array().expect("diagnostics");
    for (summary, code) in [
        ("Invalid cluster", "cluster = \"a/b\""),
        ("Invalid service name", "service = \"my service\""),
        ("Invalid duration", "timeout = \"soon\""),
    ] {
        let found = diagnostics
            .iter()
            .find(|d| d["summary"] == summary)
            .unwrap_or_else(|| panic!("no {summary:?} in {validate:#}"));
        assert_eq!(found["severity"], "error");
        assert!(
            found["snippet"]["code"]
                .as_str()
                .is_some_and(|c| c.contains(code)),
            "{summary} on its line: {found:#}"
        );
    }

    tf.write(
        "main.tf",
        &config(
            "    cluster = \"main\"\n    service = \"svc\"\n    \
             wait_for_steady_state = false\n    timeout = \"5m\"\n",
        ),
    );
    let validate = tf.validate_json();
    assert_eq!(validate["valid"], true, "{validate:#}");
    let warning = &validate["diagnostics"][0];
    assert_eq!(warning["severity"], "warning", "{validate:#}");
    assert_eq!(warning["summary"], "Timeout without a wait");
    assert!(
        warning["snippet"]["code"]
            .as_str()
            .is_some_and(|c| c.contains("timeout = \"5m\"")),
        "{warning:#}"
    );
}
