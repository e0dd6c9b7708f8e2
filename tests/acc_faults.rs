//! Fault acceptance tests (issue 9): the real Terraform drives the provider against ministack
//! behind a fault-injecting proxy ([`FaultProxy`]) that throttles, fails with 5xx, hangs or
//! holds back chosen AWS operations, while the test interrupts Terraform with a real SIGINT or
//! has the provider panic (a test-only hook). Faults must never orphan an object, taint a
//! healthy one, or touch another environment's objects.
//!
//! Each test compares what the emulator itself reports (the SDK straight to ministack, not
//! through the proxy) with `terraform show -json`, checks the proxy's counters (the fault
//! really happened), and then that the next plan converges (empty, or an apply that converges
//! and then an empty plan). Names are unique per run ([`Acc::name`]); services do not wait for
//! steady state except where that wait is the point.
//!
//! Gated like every acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`,
//! which also builds the provider with the `test-hooks` feature the panic test needs).

mod support;

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode, TaskDefinitionStatus};
use serde_json::Value;
use support::aws::aws_error;
use support::fixture::{Acc, named_resource};
use support::proxy::{Counts, FaultProxy, Times, target};
use support::terraform::{Background, REQUIRED_PROVIDERS, combined_output, describe_output};
use support::{EmulatorKind, Terraform, line_of, require_acc};

const SVC: &str = "todo_fargate_service.svc";
const NO_WAIT: &str = "  wait_for_steady_state = false\n";
/// `terraform apply` without questions, for runs whose failure is inspected.
const APPLY: [&str; 4] = ["apply", "-input=false", "-no-color", "-auto-approve"];
/// The limit of each Terraform command in these tests.
const COMMAND_LIMIT: Duration = Duration::from_secs(150);
/// How long a held-back answer is held.
const HOLD: Duration = Duration::from_secs(4);
/// The limit of a background Terraform after its SIGINT.
const AFTER_INTERRUPT: Duration = Duration::from_secs(60);

/// One fault scenario: ministack, the proxy in front of it, and [`Acc`] whose Terraform talks
/// to the proxy (its SDK clients talk to ministack directly). Repository, cluster and service
/// are all called `name`.
struct Faults {
    /// Declared first, so dropped before the emulator it forwards to.
    proxy: FaultProxy,
    acc: Acc,
    name: String,
}

impl Faults {
    fn start(base: &str) -> Faults {
        let mut acc = Acc::start(EmulatorKind::Ministack);
        let proxy = FaultProxy::start(&acc.emu);
        acc.tf = proxy_terraform(&proxy);
        let name = acc.name(base);
        Faults { proxy, acc, name }
    }

    fn tf(&self) -> &Terraform {
        &self.acc.tf
    }

    /// Writes `main.tf`: the provider block (with `provider_extra`), the repository and the
    /// cluster, and the variable `image_tag`.
    fn write_infra(&self, provider_extra: &str) {
        let repository = named_resource(
            "todo_ecr_repository",
            "app",
            &self.name,
            "  image_tag_mutability = \"MUTABLE\"\n  force_delete         = true\n",
        );
        let cluster = named_resource("todo_ecs_cluster", "main", &self.name, "");
        let body = format!(
            "variable \"image_tag\" {{\n  type    = string\n  default = \"v1\"\n}}\n\n{repository}\n{cluster}"
        );
        self.acc.config(provider_extra, &body);
    }

    /// The repository and the cluster applied (plan empty after), and the images `v1` and
    /// `v2` pushed straight to the emulator.
    fn infra(&self) {
        self.write_infra("");
        self.acc.apply_clean();
        self.acc.aws.push(&self.name, "v1", "one");
        self.acc.aws.push(&self.name, "v2", "two");
    }

    /// Writes `service.tf`: the service running `var.image_tag`, with `extra` inside.
    fn write_service(&self, extra: &str) {
        let repository_url = "todo_ecr_repository.app.repository_url";
        let service = service_hcl(&self.name, repository_url, "var.image_tag", extra);
        self.tf().write("service.tf", &service);
    }

    /// [`Faults::infra`], then the service (not waiting for steady state) running `v1`.
    fn service_running_v1(&self) {
        self.infra();
        self.write_service(NO_WAIT);
        self.acc.apply_clean();
        self.assert_state_matches_ecs("after the first apply");
    }

    fn repository_url(&self) -> String {
        self.tf().state_resource("todo_ecr_repository.app")["repository_url"]
            .as_str()
            .expect("repository_url in the state")
            .to_string()
    }

    /// The service's status as ECS reports it (`None`: not reported at all).
    fn ecs_status(&self) -> Option<String> {
        self.acc
            .aws
            .service(&self.name, &self.name)
            .map(|s| s.status().unwrap_or_default().to_string())
    }

    /// Whether ECS reports the service ACTIVE.
    fn ecs_runs_service(&self) -> bool {
        self.ecs_status().as_deref() == Some("ACTIVE")
    }

    /// After a destroy: the state is empty, ECS runs no such service, and no revision running
    /// an image of `repository_url` is left ACTIVE.
    fn destroy_leaves_nothing(&self, repository_url: &str) {
        self.acc.destroy_to_empty_state();
        assert!(!self.ecs_runs_service(), "the service is still ACTIVE");
        let left = active_revisions_running(&self.acc.aws, &format!("{repository_url}:"));
        assert!(
            left.is_empty(),
            "the service's revisions are left ACTIVE (orphaned) after the destroy: {left:?}"
        );
    }

    fn state_holds_service(&self) -> bool {
        self.tf().state_addresses().iter().any(|a| a == SVC)
    }

    /// The state's service is the one ECS runs: same ARN, task definition, image and count.
    fn assert_state_matches_ecs(&self, when: &str) {
        let running = self.acc.aws.running(&self.name, &self.name);
        let state = self.tf().state_resource(SVC);
        for (attribute, ecs) in [
            ("arn", Value::from(running.service_arn.clone())),
            (
                "task_definition_arn",
                running.task_definition_arn.clone().into(),
            ),
            ("image", running.image.clone().into()),
            ("desired_count", running.desired_count.into()),
        ] {
            assert_eq!(
                state[attribute], ecs,
                "{when}: the state's {attribute} is not what ECS runs ({running:?})\nstate: {state:#}"
            );
        }
    }

    /// ACTIVE task definition revisions (any family) whose container runs an image of this
    /// scenario's repository: what would be orphaned if no service used them.
    fn active_revisions_of_repository(&self) -> Vec<String> {
        let prefix = format!("{}:", self.repository_url());
        active_revisions_running(&self.acc.aws, &prefix)
    }

    /// Panics unless the proxy injected at least one fault into `operation`.
    fn assert_faulted(&self, operation: &str) -> u64 {
        let counts = self.proxy.counts();
        let n = counts.faults(operation);
        assert!(
            n > 0,
            "the proxy injected no fault into {operation}: {counts:#?}"
        );
        n
    }

    /// Waits until the held answer to `operation` is in flight, then interrupts Terraform and
    /// waits for it; clears the rules. Returns its combined output, checked to show that
    /// Terraform did receive the interrupt.
    fn interrupt_while_held(&self, mut running: Background, operation: &str) -> String {
        let what = format!("the held-back answer to {operation}");
        self.proxy
            .wait_until(&what, COMMAND_LIMIT, |c| c.holding(operation) > 0);
        running.interrupt();
        let out = running.wait(AFTER_INTERRUPT);
        self.proxy.clear();
        let text = combined_output(&out);
        assert!(
            text.contains("Interrupt received"),
            "terraform did not get the SIGINT\n{}",
            describe_output(&["(background)"], &out)
        );
        text
    }
}

/// The service `todo_fargate_service.svc` called `name` in `todo_ecs_cluster.main`, running
/// `<repository_url>:<image_tag>` (HCL expressions), with `extra` (whole lines) inside.
fn service_hcl(name: &str, repository_url: &str, image_tag: &str, extra: &str) -> String {
    format!(
        "resource \"todo_fargate_service\" \"svc\" {{
  name           = \"{name}\"
  cluster        = todo_ecs_cluster.main.name
  repository_url = {repository_url}
  image_tag      = {image_tag}
  subnets        = [\"subnet-0123456789abcdef0\"]
{extra}}}
"
    )
}

/// A Terraform directory whose AWS endpoint is the proxy.
fn proxy_terraform(proxy: &FaultProxy) -> Terraform {
    let mut tf = Terraform::with_endpoint(&proxy.endpoint(), support::PROVIDER);
    tf.set_timeout(COMMAND_LIMIT);
    tf
}

/// ACTIVE revisions (all families, all pages) whose first container's image starts with
/// `image_prefix`.
fn active_revisions_running(aws: &support::Aws, image_prefix: &str) -> Vec<String> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let request = aws
            .ecs
            .list_task_definitions()
            .status(TaskDefinitionStatus::Active)
            .set_next_token(token);
        let out = aws
            .block_on(request.send())
            .unwrap_or_else(|e| panic!("ListTaskDefinitions: {}", aws_error(&e)));
        arns.extend(out.task_definition_arns().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    arns.into_iter()
        .filter(|arn| {
            aws.task_definition(arn)
                .container_definitions()
                .iter()
                .any(|c| c.image().is_some_and(|i| i.starts_with(image_prefix)))
        })
        .collect()
}

fn is_active(aws: &support::Aws, arn: &str) -> bool {
    aws.task_definition(arn).status() == Some(&TaskDefinitionStatus::Active)
}

/// Terraform's words when the provider process crashed instead of answering.
const CRASH_SIGNS: [&str; 4] = [
    "Plugin did not respond",
    "plugin exited",
    "Stack trace from the terraform-provider-todo plugin",
    "unexpected EOF",
];

/// Scenario 1: staging and prod, each a cluster with a service of the same name running the
/// same repository; destroying staging leaves prod's service and revision ACTIVE and a revision
/// someone else registered into staging's family, and deregisters staging's own revision.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn destroying_staging_leaves_prod_and_foreign_revisions_active() {
    require_acc();
    let f = Faults::start("shared");
    let (acc, api) = (&f.acc, f.acc.name("api"));
    let created = acc
        .aws
        .block_on(
            acc.aws
                .ecr
                .create_repository()
                .repository_name(&f.name)
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateRepository: {}", aws_error(&e)));
    let url = created
        .repository()
        .and_then(|r| r.repository_uri())
        .expect("repositoryUri")
        .to_string();
    acc.aws.push(&f.name, "v1", "one");
    let environment = |env: &str| {
        let cluster = named_resource("todo_ecs_cluster", "main", &acc.name(env), "");
        let service = service_hcl(&api, &format!("\"{url}\""), "\"v1\"", NO_WAIT);
        format!("{REQUIRED_PROVIDERS}\nprovider \"todo\" {{}}\n\n{cluster}\n{service}")
    };
    let staging = &acc.tf;
    let prod = proxy_terraform(&f.proxy);
    staging.write("main.tf", &environment("staging"));
    prod.write("main.tf", &environment("prod"));
    for tf in [staging, &prod] {
        tf.apply(&[]);
        tf.assert_plan_empty(&[]);
    }
    let prod_running = acc.aws.running(&acc.name("prod"), &api);
    let staging_state = staging.state_resource(SVC);
    let staging_revision = staging_state["task_definition_arn"]
        .as_str()
        .expect("task_definition_arn")
        .to_string();
    assert_ne!(prod_running.task_definition_arn, staging_revision);

    let mut problems = Vec::new();
    let family = match staging_state["family"].as_str() {
        Some(family) => {
            if family != support::sdk::family_of(&staging_revision) {
                problems.push(format!(
                    "family {family:?} is not that of {staging_revision}"
                ));
            }
            family.to_string()
        }
        None => {
            problems.push(
                "the service has no `family` attribute in the state (issue 9 adds it); the \
                 foreign revision went into the family of its task definition instead"
                    .to_string(),
            );
            support::sdk::family_of(&staging_revision).to_string()
        }
    };
    let container = ContainerDefinition::builder()
        .name("app")
        .image(format!("{url}:v1"))
        .essential(true)
        .build();
    let foreign = acc
        .aws
        .block_on(
            acc.aws
                .ecs
                .register_task_definition()
                .family(&family)
                .requires_compatibilities(Compatibility::Fargate)
                .network_mode(NetworkMode::Awsvpc)
                .cpu("256")
                .memory("512")
                .container_definitions(container)
                .send(),
        )
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition {family}: {}", aws_error(&e)))
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .expect("the foreign revision's ARN")
        .to_string();

    staging.destroy(&[]);
    assert!(
        staging.state_addresses().is_empty(),
        "staging's state after destroy"
    );
    match acc.aws.service(&acc.name("prod"), &api) {
        Some(s) if s.status() == Some("ACTIVE") => {}
        other => problems.push(format!("prod's service is no longer ACTIVE: {other:?}")),
    }
    if !is_active(&acc.aws, &prod_running.task_definition_arn) {
        problems.push(format!(
            "staging's destroy deregistered prod's running revision {}",
            prod_running.task_definition_arn
        ));
    }
    if !is_active(&acc.aws, &foreign) {
        problems.push(format!(
            "staging's destroy deregistered {foreign}, registered by someone else into {family}"
        ));
    }
    if is_active(&acc.aws, &staging_revision) {
        problems.push(format!(
            "staging's own revision {staging_revision} is still ACTIVE"
        ));
    }
    prod.assert_plan_empty(&[]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Scenario 2: 8 ThrottlingException answers to DescribeServices during the rollout wait of a
/// create: the apply succeeds, the service is not tainted, and the next plan is empty.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn throttled_rollout_wait_neither_fails_nor_taints() {
    require_acc();
    let f = Faults::start("throttle");
    f.infra();
    f.write_service("  wait_for_steady_state = true\n  timeouts {\n    create = \"3m\"\n  }\n");
    // Throttle only once CreateService has gone out (its answer held back a moment), so the
    // throttled calls are those of the rollout wait.
    let (create, describe) = (
        target::ecs("CreateService"),
        target::ecs("DescribeServices"),
    );
    f.proxy.hold_response(&create, Duration::from_secs(1));
    let apply = f.tf().spawn_apply(&[]);
    let held = |c: &Counts| c.holding(&create) > 0;
    f.proxy
        .wait_until("the held CreateService", COMMAND_LIMIT, held);
    f.proxy.throttle(&describe, 8);
    let out = apply.wait(COMMAND_LIMIT);
    let counts = f.proxy.counts();
    assert_eq!(counts.faults(&describe), 8, "{counts:#?}");
    assert!(
        out.status.success(),
        "the apply failed under 8 throttled DescribeServices\n{}",
        describe_output(&["apply"], &out)
    );
    assert!(!f.tf().is_tainted(SVC), "the healthy service is tainted");
    f.assert_state_matches_ecs("after the throttled rollout wait");
    f.tf().assert_plan_empty(&[]);
}

/// Scenario 3: Ctrl-C while CreateService is in flight (its answer held back): ECS runs the
/// service and the state holds it (tainted is fine); the next apply converges without an
/// "already exists" error, and the plan after it is empty.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn ctrl_c_during_create_service_keeps_the_service_in_state() {
    require_acc();
    let f = Faults::start("ctrlc-create");
    f.infra();
    f.write_service(NO_WAIT);
    let create = target::ecs("CreateService");
    f.proxy.hold_response(&create, HOLD);
    let output = f.interrupt_while_held(f.tf().spawn_apply(&[]), &create);
    assert!(f.ecs_runs_service(), "ECS does not run the service");
    assert!(
        f.state_holds_service(),
        "ECS runs the service but the state does not hold it (orphaned): {output}"
    );
    let state = f.tf().state_resource(SVC);
    let running = f.acc.aws.running(&f.name, &f.name);
    assert_eq!(state["arn"], running.service_arn.as_str(), "{state:#}");
    f.acc.apply_clean();
    f.assert_state_matches_ecs("after the next apply");
}

/// Scenario 4: a create timeout far beyond any sensible wait is refused by validate, at the
/// attribute, and nothing panics.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn huge_create_timeout_is_refused_at_validate() {
    require_acc();
    // validate configures no provider and calls no AWS endpoint: nothing listens here.
    let tf = Terraform::with_endpoint("http://127.0.0.1:9", support::PROVIDER);
    let config = format!(
        "{REQUIRED_PROVIDERS}\nresource \"todo_fargate_service\" \"svc\" {{\n  name           = \"api\"\n  cluster        = \"main\"\n  repository_url = \"000000000000.dkr.ecr.us-east-1.amazonaws.com/api\"\n  image_tag      = \"v1\"\n  subnets        = [\"subnet-0123456789abcdef0\"]\n  timeouts {{\n    create = \"9999999999999999999s\"\n  }}\n}}\n"
    );
    tf.write("main.tf", &config);
    let result = tf.validate_json();
    let text = result.to_string();
    assert!(!text.to_lowercase().contains("panic"), "{result:#}");
    assert_eq!(
        result["valid"], false,
        "validate accepted timeouts.create = \"9999999999999999999s\": {result:#}"
    );
    let line = line_of(&config, "9999999999999999999s");
    let at_create = result["diagnostics"].as_array().is_some_and(|ds| {
        ds.iter()
            .any(|d| d["severity"] == "error" && d["range"]["start"]["line"] == line)
    });
    assert!(
        at_create,
        "no error points at timeouts.create (line {line}): {result:#}"
    );
}

/// Scenario 5: `log_group = ""` is either refused by validate at the attribute, or applied
/// and stored exactly as given with an empty plan after it; never an inconsistent result.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn empty_log_group_is_refused_or_kept_exactly() {
    require_acc();
    let f = Faults::start("empty-log");
    f.infra();
    f.write_service(&format!("{NO_WAIT}  log_group = \"\"\n"));
    let validated = f.tf().validate_json();
    if validated["valid"] == false {
        let service = std::fs::read_to_string(f.tf().dir().join("service.tf")).expect("service.tf");
        let line = line_of(&service, "log_group");
        let at_log_group = validated["diagnostics"].as_array().is_some_and(|ds| {
            ds.iter().any(|d| {
                d["severity"] == "error"
                    && d["range"]["filename"] == "service.tf"
                    && d["range"]["start"]["line"] == line
            })
        });
        assert!(at_log_group, "refused, but not at log_group: {validated:#}");
        return;
    }
    let out = f.tf().run(&APPLY);
    let text = combined_output(&out);
    assert!(
        !text.contains("inconsistent result"),
        "log_group = \"\" gives an inconsistent result: {text}"
    );
    assert!(
        out.status.success(),
        "{}",
        describe_output(&["apply"], &out)
    );
    assert_eq!(
        f.tf().state_resource(SVC)["log_group"],
        "",
        "stored exactly as given"
    );
    f.tf().assert_plan_empty(&[]);
}

/// Scenario 6a: two 500 answers to CreateRepository and to CreateService are retried and the
/// apply succeeds, with one repository, one service and one revision.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn transient_500s_on_create_are_retried() {
    require_acc();
    let f = Faults::start("create-500");
    let (create_repository, create_service) = (
        target::ecr("CreateRepository"),
        target::ecs("CreateService"),
    );
    f.proxy.server_error(&create_repository, 500, 2);
    f.write_infra("");
    f.acc.apply_clean();
    assert_eq!(f.assert_faulted(&create_repository), 2);
    assert_eq!(f.acc.aws.repositories(), [f.name.as_str()]);
    f.acc.aws.push(&f.name, "v1", "one");
    f.write_service(NO_WAIT);
    f.proxy.server_error(&create_service, 500, 2);
    f.acc.apply_clean();
    assert_eq!(f.assert_faulted(&create_service), 2);
    f.assert_state_matches_ecs("after the retried create");
    assert_eq!(f.active_revisions_of_repository().len(), 1);
}

/// Scenario 6b: CreateService answers 503 every time: the apply fails with a clear error, no
/// service exists and no revision registered for it is left ACTIVE; once the fault is gone
/// the next apply converges.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn persistent_503_on_create_service_leaves_nothing_behind() {
    require_acc();
    let f = Faults::start("create-503");
    f.infra();
    f.write_service(NO_WAIT);
    let create = target::ecs("CreateService");
    f.proxy.server_error(&create, 503, Times::Always);
    let text = combined_output(&f.tf().expect_error("apply", &[]));
    f.assert_faulted(&create);
    assert!(
        text.contains("CreateService")
            && (text.contains("503") || text.contains("ServiceUnavailable")),
        "the error does not say which call failed and how: {text}"
    );
    assert_eq!(f.ecs_status(), None, "no service was created");
    assert!(
        !f.state_holds_service(),
        "the state holds a service that does not exist"
    );
    let orphans = f.active_revisions_of_repository();
    assert!(orphans.is_empty(), "revisions left ACTIVE: {orphans:?}");
    f.proxy.clear();
    f.acc.apply_clean();
    f.assert_state_matches_ecs("after the fault was cleared");
}

/// Scenario 6c: 500 answers to DescribeServices and DescribeRepositories while refreshing: a
/// few are retried (the plan stays empty); persistent ones fail the refresh with a clear error
/// and leave the state as it was.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn server_errors_on_refresh_are_retried_or_reported_and_keep_the_state() {
    require_acc();
    let f = Faults::start("read-500");
    f.service_running_v1();
    let before = f.tf().show_json()["values"].clone();
    let reads = [
        target::ecs("DescribeServices"),
        target::ecr("DescribeRepositories"),
    ];
    for read in &reads {
        f.proxy.server_error(read, 500, 2);
    }
    let plan = f
        .tf()
        .run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    let text = combined_output(&plan);
    match plan.status.code() {
        Some(0) => {}
        Some(1) => assert!(
            text.contains("500") || text.contains("InternalFailure"),
            "the refresh failed without saying why: {text}"
        ),
        _ => panic!("two 500s made the plan change something: {text}"),
    }
    for read in &reads {
        assert_eq!(f.assert_faulted(read), 2, "{read}");
        f.proxy.server_error(read, 500, Times::Always);
    }
    let refresh = f.tf().run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    let text = combined_output(&refresh);
    assert!(
        !refresh.status.success(),
        "the refresh ignored persistent 500s: {text}"
    );
    assert!(
        text.contains("500") || text.contains("InternalFailure"),
        "the refresh failed without saying why: {text}"
    );
    f.proxy.clear();
    assert_eq!(f.tf().show_json()["values"], before, "the state changed");
    f.tf().assert_plan_empty(&[]);
}

/// Scenario 6d: UpdateService fails every time during an image tag change: the state still
/// matches what ECS runs, the revision registered for the new tag is not left ACTIVE, and once
/// the fault is gone the next apply rolls forward.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn persistent_500_on_update_service_keeps_state_matching_ecs() {
    require_acc();
    let f = Faults::start("update-500");
    f.service_running_v1();
    let update = target::ecs("UpdateService");
    f.proxy.server_error(&update, 500, Times::Always);
    let text = combined_output(&f.tf().expect_error("apply", &[("image_tag", "v2")]));
    f.assert_faulted(&update);
    assert!(text.contains("UpdateService"), "which call failed? {text}");
    f.assert_state_matches_ecs("after the failed update");
    let v2 = format!("{}:v2", f.repository_url());
    let orphans = active_revisions_running(&f.acc.aws, &v2);
    assert!(
        orphans.is_empty(),
        "revisions for v2 left ACTIVE: {orphans:?}"
    );
    f.proxy.clear();
    f.tf().apply(&[("image_tag", "v2")]);
    f.tf().assert_plan_empty(&[("image_tag", "v2")]);
    assert_eq!(f.acc.aws.running(&f.name, &f.name).image, v2);
    f.assert_state_matches_ecs("after the next apply");
}

/// Scenario 6e: DeleteService fails every time during destroy: the service stays in the state
/// (and in ECS); once the fault is gone the next destroy completes and leaves nothing.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn persistent_500_on_delete_service_keeps_the_service_in_state() {
    require_acc();
    let f = Faults::start("delete-500");
    f.service_running_v1();
    let delete = target::ecs("DeleteService");
    f.proxy.server_error(&delete, 500, Times::Always);
    let text = combined_output(&f.tf().expect_error("destroy", &[]));
    f.assert_faulted(&delete);
    assert!(text.contains("DeleteService"), "which call failed? {text}");
    assert!(
        f.state_holds_service(),
        "the service left the state: {text}"
    );
    assert!(f.ecs_runs_service(), "ECS no longer runs the service");
    f.proxy.clear();
    let url = f.repository_url();
    f.destroy_leaves_nothing(&url);
}

/// Scenario 7: a hung CreateRepository is ended by the provider's call time limits
/// (`attempt_timeout`, `operation_timeout`): the apply fails within a bound, saying the call
/// timed out, and nothing is orphaned; without the fault the next apply converges.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn hung_create_repository_is_ended_by_the_call_time_limit() {
    require_acc();
    let f = Faults::start("hung");
    let settings = "  attempt_timeout   = \"2s\"\n  operation_timeout = \"6s\"\n  retry_mode        = \"standard\"\n";
    f.write_infra(settings);
    let create = target::ecr("CreateRepository");
    f.proxy.hang(&create);
    let started = Instant::now();
    let out = f.tf().run(&APPLY);
    let took = started.elapsed();
    let text = combined_output(&out);
    assert!(
        !text.contains("Unsupported argument"),
        "the provider does not know attempt_timeout, operation_timeout and retry_mode yet (issue \
         9 adds them): {text}"
    );
    assert!(
        !out.status.success(),
        "the apply succeeded against a hung endpoint: {text}"
    );
    f.assert_faulted(&create);
    assert!(took < Duration::from_secs(60), "the apply took {took:?}");
    let lower = text.to_lowercase();
    assert!(
        lower.contains("timed out") || lower.contains("timeout"),
        "the error does not say the call timed out: {text}"
    );
    f.proxy.clear();
    assert!(f.acc.aws.repositories().is_empty(), "a repository was left");
    assert!(
        !f.tf()
            .state_addresses()
            .iter()
            .any(|a| a == "todo_ecr_repository.app"),
        "the state holds a repository that does not exist"
    );
    f.acc.apply_clean();
    assert_eq!(f.acc.aws.repositories(), [f.name.as_str()]);
}

/// Scenario 8a: Ctrl-C while UpdateService for a new image tag is in flight: the state
/// matches what ECS runs afterwards, and the next apply converges.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn ctrl_c_during_update_service_keeps_state_matching_ecs() {
    require_acc();
    let f = Faults::start("ctrlc-update");
    f.service_running_v1();
    let update = target::ecs("UpdateService");
    f.proxy.hold_response(&update, HOLD);
    f.interrupt_while_held(f.tf().spawn_apply(&[("image_tag", "v2")]), &update);
    f.assert_state_matches_ecs("after the interrupted update");
    f.tf().apply(&[("image_tag", "v2")]);
    f.tf().assert_plan_empty(&[("image_tag", "v2")]);
    let v2 = format!("{}:v2", f.repository_url());
    assert_eq!(f.acc.aws.running(&f.name, &f.name).image, v2);
    f.assert_state_matches_ecs("after the next apply");
}

/// Scenario 8b: Ctrl-C while DeleteService is in flight: the state still holds the service
/// unless ECS no longer runs it, and the next destroy completes and leaves nothing.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn ctrl_c_during_delete_service_keeps_state_matching_ecs() {
    require_acc();
    let f = Faults::start("ctrlc-delete");
    f.service_running_v1();
    let url = f.repository_url();
    let delete = target::ecs("DeleteService");
    f.proxy.hold_response(&delete, HOLD);
    let output = f.interrupt_while_held(f.tf().spawn_destroy(&[]), &delete);
    let status = f.ecs_status();
    assert!(
        f.state_holds_service() || status.as_deref() != Some("ACTIVE"),
        "ECS still runs the service ({status:?}) but the state dropped it: {output}"
    );
    f.destroy_leaves_nothing(&url);
}

/// Scenario 9: the provider panics right after CreateService succeeded (the test-only hook
/// `TODO_TEST_PANIC_AFTER_CREATE`, feature `test-hooks`): the apply fails with an error
/// diagnostic instead of a crash, the state records the service, and the next apply converges.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn panic_after_create_is_an_error_and_keeps_the_service() {
    require_acc();
    if !cfg!(feature = "test-hooks") {
        panic!(
            "the panic hook needs the provider built with `--features test-hooks` (make test \
             and make testacc pass it)"
        );
    }
    let mut f = Faults::start("panic");
    f.infra();
    f.write_service(NO_WAIT);
    f.acc
        .tf
        .set_env("TODO_TEST_PANIC_AFTER_CREATE", Some("todo_fargate_service"));
    let out = f.tf().run(&APPLY);
    let text = combined_output(&out);
    assert!(
        !out.status.success(),
        "the apply succeeded: the provider has no TODO_TEST_PANIC_AFTER_CREATE hook yet \
         (feature test-hooks, issue 9): {text}"
    );
    for sign in CRASH_SIGNS {
        assert!(
            !text.contains(sign),
            "the provider crashed ({sign:?}): {text}"
        );
    }
    assert!(text.contains("Error:"), "no error diagnostic: {text}");
    assert!(f.ecs_runs_service(), "ECS does not run the service");
    assert!(
        f.state_holds_service(),
        "ECS runs the service but the state does not hold it (orphaned): {text}"
    );
    f.acc.tf.set_env("TODO_TEST_PANIC_AFTER_CREATE", None);
    f.acc.apply_clean();
    f.assert_state_matches_ecs("after the next apply");
}
