//! Shared support for the acceptance tests.
//!
//! Every acceptance test file includes this module with `mod support;` and then:
//!
//! ```ignore
//! #[tokio::test]
//! #[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
//! async fn creates_a_repository() {
//!     support::require_acc();
//!     let emu = support::Emulator::start(support::EmulatorKind::Ministack);
//!     let tf = support::Terraform::new(&emu, support::PROVIDER);
//!     tf.write("main.tf", r#"resource "todo_ecr_repository" "r" { name = "app" }"#);
//!     tf.apply(&[]);
//!     assert!(tf.plan_is_empty(&[]));
//! }
//! ```
//!
//! - [`emulator`]: an AWS emulator (ministack or moto) on a free loopback port, or an external
//!   endpoint from `TODO_ACC_ENDPOINT`.
//! - [`aws`]: SDK clients pointed at an emulator, and an image "push" without Docker.
//! - [`terraform`]: a temporary Terraform working directory wired to the locally built provider.
//! - [`sdk`]: the SDK clients with a runtime for plain `#[test]`s, and what the emulator reports
//!   (services, task definitions, clusters, repositories).
//! - [`fixture`]: one scenario against one emulator, and `scenario!` to run it against both.
//! - [`plan`]: reading Terraform's plan JSON.
//! - [`maps`]: string maps (tags) from the state or written out, for comparisons.
//! - [`process`]: process-tree and socket inspection through `/proc` (Linux).
//! - [`proxy`]: a fault-injecting proxy (mitmproxy) between the provider and an emulator:
//!   throttling, 5xx, hung and held-back answers per AWS operation, with counters.
//! - [`ecr`]: ECR queries on [`fixture::Acc`]: a repository, its tags, its lifecycle policy.
//! - [`stub`]: stand-in endpoints on 127.0.0.1: a fixed answer with a request count, and a hung
//!   port.
//! - [`release`]: release artifacts from `scripts/release.sh` with a throwaway GPG key, and
//!   the hashes Terraform should record for them.
//! - [`https_site`]: a static HTTPS file server on 127.0.0.1 with a throwaway CA, serving a
//!   private provider registry.
//!
//! Each test binary uses only part of this module, hence the `dead_code`, `unused_imports` and
//! `unused_macros` allowances.

#![allow(dead_code, unused_imports, unused_macros)]

pub mod aws;
pub mod ecr;
pub mod emulator;
pub mod fixture;
mod http;
pub mod https_site;
pub mod maps;
pub mod plan;
pub mod process;
pub mod proxy;
pub mod release;
pub mod sdk;
pub mod stub;
pub mod terraform;

use std::path::{Path, PathBuf};

pub use aws::{aws_config, ecr_client, ecs_client, image_digest, image_manifest, push_image};
pub use emulator::{Emulator, EmulatorKind};
pub use proxy::FaultProxy;
pub use sdk::{Aws, Running};
pub use terraform::{Terraform, line_of, unwrap_lines};

/// The provider binary Cargo built for the tests, for [`Terraform::new`].
pub const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-todo");

/// The variable that enables acceptance tests, as in Terraform providers written in Go.
pub const TF_ACC: &str = "TF_ACC";

/// Panics unless `TF_ACC=1`.
///
/// Call it first in every acceptance test. The tests are `#[ignore]`d, so a plain `cargo test`
/// does not run them; a run that asked for them (`--include-ignored`) without `TF_ACC=1` fails
/// loudly instead of passing without having tested anything.
pub fn require_acc() {
    match std::env::var(TF_ACC) {
        Ok(v) if v == "1" => {}
        other => panic!(
            "acceptance tests need {TF_ACC}=1 (found {other:?}); run them with `make testacc`, or \
             `TF_ACC=1 cargo test -- --include-ignored` after `make tools`"
        ),
    }
}

/// The repository root (the crate's manifest directory).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A tool installed by `make tools` under `<repo>/.tools/`; panics if it is missing.
pub(crate) fn tool(relative: &str) -> PathBuf {
    let path = repo_root().join(".tools").join(relative);
    if !path.exists() {
        panic!(
            "{} is missing: run `make tools` first (scripts/install-tools.sh)",
            path.display()
        );
    }
    path
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
