//! One acceptance scenario against one emulator, and the [`scenario!`] macro that runs a
//! scenario against both ministack and moto.
//!
//! ```ignore
//! use support::fixture::{Acc, named_resource, scenario};
//!
//! scenario!(create_with_defaults);
//! fn create_with_defaults(acc: &Acc) {
//!     let name = acc.name("defaults");
//!     acc.config("", &named_resource("todo_ecr_repository", "r", &name, ""));
//!     acc.apply_clean();
//!     // ... ask the emulator through `acc.aws`, read the state through `acc.tf` ...
//!     acc.destroy_to_empty_state();
//!     acc.assert_none_left("repositories", acc.aws.repositories());
//! }
//! ```
//!
//! [`Acc`] holds what every scenario needs; a test file adds the queries of its own resource
//! type in an `impl Acc` block of its own (the test binary is one crate, so it may).

use serde_json::Value;

use super::emulator::{Emulator, EmulatorKind};
use super::plan;
use super::sdk::Aws;
use super::terraform::{REQUIRED_PROVIDERS, Terraform};

/// The provider's `default_tags` block (`env = "acc"`, `owner = "platform"`), for the
/// `provider_extra` of [`Acc::config`].
pub const DEFAULT_TAGS: &str = "  default_tags {\n    tags = {\n      env   = \"acc\"\n      owner = \"platform\"\n    }\n  }\n";

/// A `resource "<kind>" "<label>"` block setting `name`, with `extra` (whole lines, indented by
/// two spaces) after that.
pub fn named_resource(kind: &str, label: &str, name: &str, extra: &str) -> String {
    format!("resource \"{kind}\" \"{label}\" {{\n  name = \"{name}\"\n{extra}}}\n")
}

/// One scenario against one emulator: the emulator, a Terraform working directory pointed at
/// it, and SDK clients (with their runtime) for the emulator's own answers.
#[derive(Debug)]
pub struct Acc {
    /// The Terraform working directory, wired to the emulator and the provider under test.
    pub tf: Terraform,
    /// SDK clients for the emulator.
    pub aws: Aws,
    /// Which emulator this scenario runs against (failure messages name it).
    pub kind: EmulatorKind,
    /// Names are unique per run and emulator, so the tests also work on a shared endpoint.
    suffix: String,
    /// Declared last, so dropped last: kills the emulator.
    pub emu: Emulator,
}

impl Acc {
    /// Starts an emulator of `kind` (on the calling thread: the emulator dies with it, so call
    /// this from the test itself), a Terraform directory and SDK clients for it.
    pub fn start(kind: EmulatorKind) -> Acc {
        let emu = Emulator::start(kind);
        let tf = Terraform::new(&emu, super::PROVIDER);
        let aws = Aws::new(&emu);
        Acc {
            tf,
            aws,
            kind,
            suffix: format!("{}-{kind}", std::process::id()),
            emu,
        }
    }

    /// A name unique to this run and emulator: `todo-acc-<base>-<pid>-<emulator>`.
    pub fn name(&self, base: &str) -> String {
        format!("todo-acc-{base}-{}", self.suffix)
    }

    /// True if `name` may belong to this run: always on an emulator of our own, only names from
    /// [`Acc::name`] on a shared endpoint (which may hold others' objects).
    pub fn is_ours(&self, name: &str) -> bool {
        !self.emu.is_external() || name.ends_with(&self.suffix)
    }

    /// Writes `main.tf`: the provider requirement, the provider block (with `provider_extra`
    /// inside, e.g. [`DEFAULT_TAGS`]) and `body`.
    pub fn config(&self, provider_extra: &str, body: &str) {
        self.tf.write(
            "main.tf",
            &format!("{REQUIRED_PROVIDERS}\nprovider \"todo\" {{\n{provider_extra}}}\n\n{body}"),
        );
    }

    /// Apply, then the plan right after it must be empty.
    pub fn apply_clean(&self) {
        self.tf.apply(&[]);
        self.tf.assert_plan_empty(&[]);
    }

    /// The planned actions for `address` (`["update"]`, `["delete", "create"]`, ...) and its
    /// whole entry in the plan's `resource_changes`; panics if the plan has no change for it.
    pub fn planned_actions(&self, address: &str) -> (Vec<String>, Value) {
        let plan = self.tf.plan_json(&[]);
        let change = plan::resource_change(&plan, address)
            .unwrap_or_else(|| panic!("{}: no change for {address} in {plan:#}", self.kind))
            .clone();
        let actions = plan::actions(&change["change"])
            .into_iter()
            .map(str::to_owned)
            .collect();
        (actions, change)
    }

    /// The plan must replace `address` (delete and create, in either order) because of
    /// `attribute`.
    pub fn assert_plan_replaces(&self, address: &str, attribute: &str) {
        let (actions, change) = self.planned_actions(address);
        assert!(
            actions == ["delete", "create"] || actions == ["create", "delete"],
            "{}: expected a replacement, got {actions:?}: {change:#}",
            self.kind
        );
        assert!(
            change["change"]["replace_paths"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p == &serde_json::json!([attribute]))),
            "{}: the replacement is due to {attribute}: {change:#}",
            self.kind
        );
    }

    /// Destroy, then the state must be empty. Follow it with [`Acc::assert_none_left`] for what
    /// the emulator still reports.
    pub fn destroy_to_empty_state(&self) {
        self.tf.destroy(&[]);
        let addresses = self.tf.state_addresses();
        assert!(
            addresses.is_empty(),
            "{}: state after destroy: {addresses:?}",
            self.kind
        );
    }

    /// Panics, naming `what`, if any of `names` (what the emulator reports, e.g. its ACTIVE
    /// clusters) is this run's (see [`Acc::is_ours`]).
    pub fn assert_none_left(&self, what: &str, names: Vec<String>) {
        let left: Vec<String> = names.into_iter().filter(|n| self.is_ours(n)).collect();
        assert!(
            left.is_empty(),
            "{}: {what} left after destroy: {left:?}",
            self.kind
        );
    }
}

/// One scenario, two tests: `scenario!(name)` next to `fn name(acc: &Acc)` makes the module
/// `name` with the tests `name::ministack` and `name::moto`. Each is an ignored acceptance test
/// that first calls [`require_acc`](super::require_acc), then runs the scenario against a fresh
/// [`Acc`] of that emulator.
macro_rules! scenario {
    ($name:ident) => {
        mod $name {
            $crate::support::fixture::scenario!(@test $name, ministack, Ministack);
            $crate::support::fixture::scenario!(@test $name, moto, Moto);
        }
    };
    (@test $name:ident, $test:ident, $kind:ident) => {
        #[test]
        #[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
        fn $test() {
            $crate::support::require_acc();
            super::$name(&$crate::support::fixture::Acc::start(
                $crate::support::EmulatorKind::$kind,
            ));
        }
    };
}
pub(crate) use scenario;
