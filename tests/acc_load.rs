//! Load acceptance test (issue 9, item 8): the real Terraform applies 100
//! `todo_ecr_repository` and 20 `todo_fargate_service` (in two `todo_ecs_cluster`s) at
//! `-parallelism=20` against ministack behind the fault-injecting proxy ([`FaultProxy`]),
//! which answers `ThrottlingException` to one call in twenty, whatever the operation. Then,
//! still throttled, a plan must find nothing to change, and a destroy must leave nothing in the
//! emulator: no repository, no ACTIVE service or cluster, no ACTIVE task definition revision in
//! the services' families.
//!
//! What exists is asked of ministack itself (the SDK straight to the emulator, not through the
//! proxy); the proxy's counters show the throttling really happened in every phase. The wall
//! time of each phase is printed (`eprintln!`, visible with `--nocapture` or on failure).
//!
//! Gated like every acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use support::aws::aws_error;
use support::fixture::Acc;
use support::proxy::{Counts, Fault, FaultProxy, target};
use support::sdk::default_family;
use support::terraform::{REQUIRED_PROVIDERS, describe_output};
use support::{EmulatorKind, Terraform, require_acc};

/// How many repositories the configuration declares.
const REPOSITORIES: usize = 100;
/// How many services the configuration declares.
const SERVICES: usize = 20;
/// How many clusters the services are spread over.
const CLUSTERS: usize = 2;
/// Terraform's `-parallelism` for every phase.
const PARALLELISM: &str = "-parallelism=20";
/// The proxy throttles one call in this many.
const THROTTLE_ONE_IN: u32 = 20;
/// The limit of each Terraform command (apply, plan, destroy).
const COMMAND_LIMIT: Duration = Duration::from_secs(600);

/// The configuration: the repositories `<prefix>-repo-<i>`, the clusters `<prefix>-cluster-<c>`
/// and the services `<prefix>-svc-<i>` (service `i` in cluster `i % CLUSTERS`), each service
/// running `<image_url>:v1` and waiting for steady state (ministack completes a rollout at once,
/// so the wait costs a few polls, which the proxy throttles too).
fn load_config(prefix: &str, image_url: &str) -> String {
    format!(
        r#"{REQUIRED_PROVIDERS}
provider "todo" {{}}

resource "todo_ecr_repository" "load" {{
  count        = {REPOSITORIES}
  name         = "{prefix}-repo-${{count.index}}"
  force_delete = true
}}

resource "todo_ecs_cluster" "load" {{
  count = {CLUSTERS}
  name  = "{prefix}-cluster-${{count.index}}"
}}

resource "todo_fargate_service" "load" {{
  count                 = {SERVICES}
  name                  = "{prefix}-svc-${{count.index}}"
  cluster               = todo_ecs_cluster.load[count.index % {CLUSTERS}].name
  repository_url        = "{image_url}"
  image_tag             = "v1"
  subnets               = ["subnet-0123456789abcdef0"]
  wait_for_steady_state = true
}}
"#
    )
}

fn repository_name(prefix: &str, i: usize) -> String {
    format!("{prefix}-repo-{i}")
}

fn cluster_name(prefix: &str, c: usize) -> String {
    format!("{prefix}-cluster-{c}")
}

/// Service `i`'s name and the name of the cluster it runs in.
fn service_names(prefix: &str, i: usize) -> (String, String) {
    (
        format!("{prefix}-svc-{i}"),
        cluster_name(prefix, i % CLUSTERS),
    )
}

/// Runs `terraform <args>` and returns its output and wall time; panics with the output unless
/// `accept` holds for the exit code.
fn timed(
    tf: &Terraform,
    args: &[&str],
    accept: impl Fn(Option<i32>) -> bool,
) -> (Output, Duration) {
    let started = Instant::now();
    let out = tf.run(args);
    let took = started.elapsed();
    assert!(
        accept(out.status.code()),
        "after {took:?}:\n{}",
        describe_output(args, &out)
    );
    (out, took)
}

/// Requests and faults the proxy counted between two snapshots.
fn delta(before: &Counts, after: &Counts) -> (u64, u64) {
    (
        after.total_seen() - before.total_seen(),
        after.total_faults() - before.total_faults(),
    )
}

/// Every ECR repository name ministack reports (all pages).
fn all_repositories(acc: &Acc) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = acc
            .aws
            .block_on(
                acc.aws
                    .ecr
                    .describe_repositories()
                    .set_next_token(token)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("DescribeRepositories: {}", aws_error(&e)));
        names.extend(
            out.repositories()
                .iter()
                .filter_map(|r| r.repository_name().map(str::to_string)),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return names;
        }
    }
}

/// Creates the repository `name` straight in the emulator, pushes `v1` into it, and returns
/// its URL: the image every service runs.
fn image_repository(acc: &Acc, name: &str) -> String {
    let created = acc
        .aws
        .block_on(acc.aws.ecr.create_repository().repository_name(name).send())
        .unwrap_or_else(|e| panic!("CreateRepository {name}: {}", aws_error(&e)));
    let url = created
        .repository()
        .and_then(|r| r.repository_uri())
        .expect("repositoryUri")
        .to_string();
    acc.aws.push(name, "v1", "load");
    url
}

/// The state's resources of type `kind` (their `values`), in the state's order.
fn state_resources(tf: &Terraform, kind: &str) -> Vec<serde_json::Value> {
    let state = tf.show_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|r| r["type"] == kind)
                .map(|r| r["values"].clone())
                .collect()
        })
        .unwrap_or_default()
}

/// 100 repositories and 20 services in one throttled apply at `-parallelism=20`, an empty
/// throttled re-plan, and a throttled destroy that leaves nothing in ministack.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn hundred_repositories_and_twenty_services_under_throttling() {
    require_acc();
    let mut acc = Acc::start(EmulatorKind::Ministack);
    // Declared after `acc`, so dropped before the emulator it forwards to.
    let proxy = FaultProxy::start(&acc.emu);
    let mut tf = Terraform::with_endpoint(&proxy.endpoint(), support::PROVIDER);
    tf.set_timeout(COMMAND_LIMIT);
    acc.tf = tf;
    let prefix = acc.name("load");
    let image_repo = format!("{prefix}-image");
    let image_url = image_repository(&acc, &image_repo);
    acc.tf.write("main.tf", &load_config(&prefix, &image_url));

    proxy.one_in(target::ANY, THROTTLE_ONE_IN, Fault::Throttle);
    let start = proxy.counts();

    // Apply.
    let apply = [
        "apply",
        "-input=false",
        "-no-color",
        "-auto-approve",
        PARALLELISM,
    ];
    let (_, apply_time) = timed(&acc.tf, &apply, |code| code == Some(0));
    let applied = proxy.counts();
    let (apply_calls, apply_throttles) = delta(&start, &applied);
    eprintln!(
        "load: apply of {REPOSITORIES} repositories, {CLUSTERS} clusters and {SERVICES} services \
         took {:.1} s ({apply_calls} calls, {apply_throttles} throttled)",
        apply_time.as_secs_f64()
    );

    let repositories = all_repositories(&acc);
    let missing: Vec<String> = (0..REPOSITORIES)
        .map(|i| repository_name(&prefix, i))
        .filter(|n| !repositories.contains(n))
        .collect();
    assert!(missing.is_empty(), "repositories not created: {missing:?}");
    let services = state_resources(&acc.tf, "todo_fargate_service");
    assert_eq!(services.len(), SERVICES, "services in the state");
    assert_eq!(
        state_resources(&acc.tf, "todo_ecr_repository").len(),
        REPOSITORIES,
        "repositories in the state"
    );
    let mut families = Vec::new();
    for i in 0..SERVICES {
        let (name, cluster) = service_names(&prefix, i);
        let running = acc.aws.running(&cluster, &name);
        let state = services
            .iter()
            .find(|s| s["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no service {name} in the state"));
        assert_eq!(state["arn"], running.service_arn.as_str(), "{name}: arn");
        assert_eq!(
            state["task_definition_arn"],
            running.task_definition_arn.as_str(),
            "{name}: the state's revision is the one ECS runs"
        );
        assert_eq!(running.image, format!("{image_url}:v1"), "{name}: image");
        assert_eq!(state["family"], default_family(&cluster, &name), "{name}");
        families.push(default_family(&cluster, &name));
    }

    // Re-plan: nothing to change.
    let plan = [
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        PARALLELISM,
    ];
    let (plan_out, plan_time) = timed(&acc.tf, &plan, |code| matches!(code, Some(0 | 2)));
    assert_eq!(
        plan_out.status.code(),
        Some(0),
        "the re-plan after the apply is not empty:\n{}",
        describe_output(&plan, &plan_out)
    );
    let planned = proxy.counts();
    let (plan_calls, plan_throttles) = delta(&applied, &planned);
    eprintln!(
        "load: re-plan (no changes) took {:.1} s ({plan_calls} calls, {plan_throttles} throttled)",
        plan_time.as_secs_f64()
    );

    // Destroy.
    let destroy = [
        "destroy",
        "-input=false",
        "-no-color",
        "-auto-approve",
        PARALLELISM,
    ];
    let (_, destroy_time) = timed(&acc.tf, &destroy, |code| code == Some(0));
    let destroyed = proxy.counts();
    let (destroy_calls, destroy_throttles) = delta(&planned, &destroyed);
    eprintln!(
        "load: destroy took {:.1} s ({destroy_calls} calls, {destroy_throttles} throttled)",
        destroy_time.as_secs_f64()
    );
    eprintln!(
        "load: total {:.1} s; {} calls, {} throttled",
        (apply_time + plan_time + destroy_time).as_secs_f64(),
        destroyed.total_seen(),
        destroyed.total_faults()
    );
    eprintln!("load: throttled per operation: {:?}", destroyed.faults);

    // The proxy throttled exactly one call in twenty, in every phase.
    assert_eq!(
        destroyed.total_faults(),
        destroyed.total_seen() / u64::from(THROTTLE_ONE_IN),
        "one call in {THROTTLE_ONE_IN} throttled: {destroyed:#?}"
    );
    for (phase, throttles) in [
        ("apply", apply_throttles),
        ("re-plan", plan_throttles),
        ("destroy", destroy_throttles),
    ] {
        assert!(
            throttles > 0,
            "no call was throttled during the {phase}: {destroyed:#?}"
        );
    }
    let throttled_operations = destroyed.faults.len();
    assert!(
        throttled_operations >= 3,
        "throttles hit only {throttled_operations} operation(s): {:?}",
        destroyed.faults
    );

    // Nothing is left: the state, then ministack itself.
    let addresses = acc.tf.state_addresses();
    assert!(addresses.is_empty(), "state after destroy: {addresses:?}");
    let left: Vec<String> = all_repositories(&acc)
        .into_iter()
        .filter(|n| n.starts_with(&prefix) && *n != image_repo)
        .collect();
    assert!(left.is_empty(), "repositories left: {left:?}");
    for i in 0..SERVICES {
        let (name, cluster) = service_names(&prefix, i);
        let service = acc.aws.service(&cluster, &name);
        assert!(
            service
                .as_ref()
                .is_none_or(|s| s.status() != Some("ACTIVE")),
            "service {cluster}/{name} is still ACTIVE: {service:?}"
        );
    }
    for family in &families {
        let active = acc.aws.active_revisions(family);
        assert!(
            active.is_empty(),
            "ACTIVE revisions of {family} left: {active:?}"
        );
    }
    for c in 0..CLUSTERS {
        let name = cluster_name(&prefix, c);
        let cluster = acc.aws.cluster(&name);
        assert!(
            cluster
                .as_ref()
                .is_none_or(|c| c.status() != Some("ACTIVE")),
            "cluster {name} is still ACTIVE: {cluster:?}"
        );
    }
    acc.aws
        .block_on(
            acc.aws
                .ecr
                .delete_repository()
                .repository_name(&image_repo)
                .force(true)
                .send(),
        )
        .unwrap_or_else(|e| panic!("DeleteRepository {image_repo}: {}", aws_error(&e)));
}
