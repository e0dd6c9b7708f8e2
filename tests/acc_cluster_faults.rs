//! Fault acceptance tests of `todo_ecs_cluster` (ministack behind the fault-injecting proxy,
//! the real Terraform): a CreateCluster whose answer never arrives, a PutClusterCapacityProviders
//! that keeps failing, and a provider panic right after CreateCluster. Since a create is one
//! CreateCluster and an update only its writes, these are the cases where the provider must
//! read the cluster back: whatever happens, the state ends up as ECS has the cluster, nothing
//! is orphaned, and the next apply converges.
//!
//! Run: `TF_ACC=1 cargo test --features test-hooks --test acc_cluster_faults -- --include-ignored`.

mod support;

use std::time::Duration;

use aws_sdk_ecs::types::Cluster;
use serde_json::Value;
use support::fixture::{Acc, named_resource};
use support::proxy::{FaultProxy, Times, target};
use support::terraform::combined_output;
use support::{EmulatorKind, PROVIDER, Terraform, require_acc};

const ADDRESS: &str = "todo_ecs_cluster.main";
/// `terraform apply` without questions, for runs whose failure is inspected.
const APPLY: [&str; 4] = ["apply", "-input=false", "-no-color", "-auto-approve"];
/// What Terraform prints when a provider crashes instead of returning an error.
const CRASH_SIGNS: [&str; 3] = [
    "Plugin did not respond",
    "plugin exited",
    "Stack trace from the terraform-provider-todo plugin",
];

/// ministack, the proxy in front of it, and [`Acc`] whose Terraform talks to the proxy (its
/// SDK clients talk to ministack directly); the cluster is called `name`.
struct ClusterFaults {
    /// Declared first, so dropped before the emulator it forwards to.
    proxy: FaultProxy,
    acc: Acc,
    name: String,
}

impl ClusterFaults {
    fn start(base: &str) -> ClusterFaults {
        let mut acc = Acc::start(EmulatorKind::Ministack);
        let proxy = FaultProxy::start(&acc.emu);
        acc.tf = Terraform::with_endpoint(&proxy.endpoint(), PROVIDER);
        let name = acc.name(base);
        ClusterFaults { proxy, acc, name }
    }

    /// Writes the cluster on FARGATE and FARGATE_SPOT with the spot weight `spot_weight`,
    /// with `provider_extra` in the provider block.
    fn write(&self, provider_extra: &str, spot_weight: u32) {
        let extra = format!(
            "  capacity_providers = [\"FARGATE\", \"FARGATE_SPOT\"]\n  default_capacity_provider_strategy {{\n    capacity_provider = \"FARGATE\"\n    base              = 1\n    weight            = 1\n  }}\n  default_capacity_provider_strategy {{\n    capacity_provider = \"FARGATE_SPOT\"\n    weight            = {spot_weight}\n  }}\n"
        );
        let cluster = named_resource("todo_ecs_cluster", "main", &self.name, &extra);
        self.acc.config(provider_extra, &cluster);
    }

    /// The cluster as ministack reports it; panics if it is not ACTIVE.
    fn remote(&self) -> Cluster {
        let cluster = self
            .acc
            .aws
            .cluster(&self.name)
            .expect("the cluster in ECS");
        assert_eq!(cluster.status(), Some("ACTIVE"), "{cluster:?}");
        cluster
    }

    /// FARGATE_SPOT's weight in ECS's default strategy.
    fn remote_spot_weight(&self) -> i32 {
        spot_weight(&self.remote())
    }

    /// The state's cluster.
    fn state(&self) -> Value {
        self.acc.tf.state_resource(ADDRESS)
    }

    /// The state records the cluster ECS has: same ARN, same FARGATE_SPOT weight.
    fn assert_state_matches_ecs(&self, when: &str) {
        let remote = self.remote();
        let state = self.state();
        assert_eq!(
            state["arn"].as_str(),
            remote.cluster_arn(),
            "{when}: {state:#}"
        );
        let weights: Vec<i64> = state["default_capacity_provider_strategy"]
            .as_array()
            .expect("strategy blocks")
            .iter()
            .filter(|s| s["capacity_provider"] == "FARGATE_SPOT")
            .filter_map(|s| s["weight"].as_i64())
            .collect();
        assert_eq!(
            weights,
            [i64::from(spot_weight(&remote))],
            "{when}: the state's FARGATE_SPOT weight is not ECS's: {state:#}"
        );
    }
}

fn spot_weight(cluster: &Cluster) -> i32 {
    cluster
        .default_capacity_provider_strategy()
        .iter()
        .find(|s| s.capacity_provider() == "FARGATE_SPOT")
        .map(|s| s.weight())
        .unwrap_or_else(|| panic!("no FARGATE_SPOT in {cluster:?}"))
}

/// Every CreateCluster answer is held back past the call time limit: ECS made the cluster but
/// the provider never hears so. The read-back finds it: the apply succeeds with a warning,
/// the state records the cluster, and the next plan is empty.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn lost_create_answer_still_records_the_cluster() {
    require_acc();
    let f = ClusterFaults::start("lost");
    let limits = "  attempt_timeout   = \"2s\"\n  operation_timeout = \"5s\"\n  retry_mode        = \"standard\"\n";
    f.write(limits, 4);
    let create = target::ecs("CreateCluster");
    f.proxy.hold_response(&create, Duration::from_secs(8));
    let out = f.acc.tf.run(&APPLY);
    let text = combined_output(&out);
    f.proxy.clear();
    assert!(
        f.proxy.counts().faults(&create) > 0,
        "CreateCluster was not held: {text}"
    );
    assert!(out.status.success(), "the apply failed: {text}");
    assert!(
        text.contains("Warning"),
        "the lost answer is not mentioned: {text}"
    );
    f.assert_state_matches_ecs("after the lost answer");
    f.acc.tf.assert_plan_empty(&[]);
    f.acc.tf.destroy(&[]);
    assert!(
        f.acc
            .aws
            .cluster(&f.name)
            .is_none_or(|c| c.status() != Some("ACTIVE"))
    );
}

/// PutClusterCapacityProviders fails every time during new weights: the apply fails naming
/// the call, the state still holds what ECS has (read back), and once the fault is gone the
/// next apply puts the new weights.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn failing_put_keeps_state_matching_ecs() {
    require_acc();
    let f = ClusterFaults::start("put-500");
    f.write("", 4);
    f.acc.apply_clean();
    let put = target::ecs("PutClusterCapacityProviders");
    f.proxy.server_error(&put, 500, Times::Always);
    f.write("", 2);
    let text = combined_output(&f.acc.tf.expect_error("apply", &[]));
    assert!(
        f.proxy.counts().faults(&put) > 0,
        "no fault injected: {text}"
    );
    assert!(
        text.contains("PutClusterCapacityProviders"),
        "which call failed? {text}"
    );
    assert_eq!(
        f.remote_spot_weight(),
        4,
        "the refused update changed the weights in ECS"
    );
    f.assert_state_matches_ecs("after the failed update");
    f.proxy.clear();
    f.acc.apply_clean();
    assert_eq!(f.remote_spot_weight(), 2);
    f.assert_state_matches_ecs("after the next apply");
    f.acc.tf.destroy(&[]);
}

/// The provider panics right after CreateCluster succeeded (the test-only hook
/// `TODO_TEST_PANIC_AFTER_CREATE`, feature `test-hooks`): the apply fails with an error
/// instead of a crash, the state holds the cluster (tainted), and the next apply converges.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn panic_after_create_keeps_the_cluster_in_state() {
    require_acc();
    if !cfg!(feature = "test-hooks") {
        panic!("the panic hook needs `--features test-hooks` (make test and make testacc pass it)");
    }
    let mut f = ClusterFaults::start("panic");
    f.write("", 4);
    f.acc
        .tf
        .set_env("TODO_TEST_PANIC_AFTER_CREATE", Some("todo_ecs_cluster"));
    let out = f.acc.tf.run(&APPLY);
    let text = combined_output(&out);
    assert!(!out.status.success(), "the apply succeeded: {text}");
    for sign in CRASH_SIGNS {
        assert!(
            !text.contains(sign),
            "the provider crashed ({sign:?}): {text}"
        );
    }
    assert!(text.contains("Provider error after create"), "{text}");
    let remote = f.remote();
    assert_eq!(
        f.state()["name"],
        f.name.as_str(),
        "ECS has the cluster but the state does not hold it (orphaned): {text}"
    );
    assert!(
        f.acc.tf.is_tainted(ADDRESS),
        "the failed create is not tainted"
    );
    f.acc.tf.set_env("TODO_TEST_PANIC_AFTER_CREATE", None);
    f.acc.apply_clean();
    assert_eq!(f.remote_spot_weight(), spot_weight(&remote));
    f.assert_state_matches_ecs("after the next apply");
    f.acc.tf.destroy(&[]);
}
