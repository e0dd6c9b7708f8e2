//! Tests of the acceptance-test harness itself (tests/support): the emulators start, answer,
//! reset and go away; the image "push" gives the digests it promises; Terraform runs in its
//! temporary working directory. Gated like every acceptance test: `TF_ACC=1` and
//! `--include-ignored` (see `make testacc`).

mod support;

use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use support::{Emulator, EmulatorKind, Terraform, process};

async fn emulator_lifecycle(kind: EmulatorKind) {
    support::require_acc();
    let emu = Emulator::start(kind);
    eprintln!(
        "{kind}: ready at {} after {:?}",
        emu.endpoint(),
        emu.startup_time()
    );
    let ecr = support::ecr_client(&emu.endpoint());
    let external = emu.is_external();

    // A unique name, so the test also works against a shared external endpoint.
    let repo = format!("todo-acc-harness-{kind}-{}", std::process::id());
    let created = ecr
        .create_repository()
        .repository_name(&repo)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRepository: {}", support::aws::aws_error(&e)));
    let arn = created
        .repository()
        .and_then(|r| r.repository_arn())
        .expect("repository ARN");
    if let Some(account) = emu.account_id() {
        assert!(arn.contains(account), "{arn} should name account {account}");
    }

    assert_eq!(
        support::image_digest(&ecr, &repo, "v1").await,
        None,
        "no tag yet"
    );
    let v1 = support::push_image(&ecr, &repo, "v1", "one").await;
    let v2 = support::push_image(&ecr, &repo, "v2", "two").await;
    assert_ne!(v1, v2, "different seeds give different digests");
    assert_eq!(
        support::push_image(&ecr, &repo, "v1-again", "one").await,
        v1,
        "same seed, same digest"
    );
    assert_eq!(
        support::push_image(&ecr, &repo, "v1", "one").await,
        v1,
        "pushing again is a no-op"
    );
    assert_eq!(
        support::image_digest(&ecr, &repo, "v1").await.as_deref(),
        Some(v1.as_str())
    );
    assert_eq!(
        support::image_digest(&ecr, &repo, "v2").await.as_deref(),
        Some(v2.as_str())
    );
    assert_eq!(support::image_digest(&ecr, &repo, "missing").await, None);

    if external {
        ecr.delete_repository()
            .repository_name(&repo)
            .force(true)
            .send()
            .await
            .expect("DeleteRepository");
        return;
    }

    let pid = emu.pid().expect("pid");
    let port = emu.port().expect("port");
    let listening = process::listening_addrs(pid);
    assert!(
        listening.iter().any(|a| a.port() == port),
        "{kind} listens on {port}: {listening:?}"
    );
    assert!(
        listening.iter().all(|a| a.ip().is_loopback()),
        "{kind} listens beyond 127.0.0.1: {listening:?}"
    );

    emu.reset();
    let repos = ecr
        .describe_repositories()
        .send()
        .await
        .expect("DescribeRepositories");
    assert!(
        repos.repositories().is_empty(),
        "reset left {:?}",
        repos.repositories()
    );

    let dir = emu.dir().expect("temp dir").to_path_buf();
    let dropped = Instant::now();
    drop(emu);
    eprintln!("{kind}: stopped in {:?}", dropped.elapsed());
    assert!(
        !process::pid_alive(pid),
        "{kind} (pid {pid}) still runs after drop"
    );
    assert!(process::descendants(pid).is_empty());
    assert!(
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(1))
            .is_err(),
        "port {port} still accepts connections"
    );
    assert!(!dir.exists(), "{} was not removed", dir.display());
}

#[tokio::test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
async fn ministack_lifecycle() {
    emulator_lifecycle(EmulatorKind::Ministack).await;
}

#[tokio::test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
async fn moto_lifecycle() {
    emulator_lifecycle(EmulatorKind::Moto).await;
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn terraform_runs_in_its_working_directory() {
    support::require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let tf = Terraform::new(&emu, support::PROVIDER);
    assert!(tf.dir().join(".terraformrc").is_file());

    let version = tf.run_ok(&["version"]);
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("Terraform v1."), "{version}");

    let validate = tf.validate_json();
    assert_eq!(validate["valid"], true, "{validate:#}");
    assert_eq!(validate["error_count"], 0, "{validate:#}");
    // The dev override is in effect and points at Cargo's binary.
    let provider_dir = tf.provider_dir().to_string_lossy().into_owned();
    assert!(
        validate["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["detail"]
                .as_str()
                .is_some_and(|s| s.contains(&provider_dir))),
        "{validate:#}"
    );

    // Invalid configuration: validate reports it as JSON rather than failing the call.
    tf.write("bad.tf", "resource {\n");
    let invalid = tf.validate_json();
    assert_eq!(invalid["valid"], false, "{invalid:#}");
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn terraform_helpers_drive_a_configuration() {
    support::require_acc();
    // terraform_data is built into Terraform: this exercises the helpers without the provider.
    let tf = Terraform::with_endpoint("http://127.0.0.1:9", support::PROVIDER);
    tf.write(
        "main.tf",
        r#"
variable "v" {
  type = string
}

resource "terraform_data" "root" {
  input = var.v
  lifecycle {
    precondition {
      condition     = var.v != "bad"
      error_message = "The value bad is refused."
    }
  }
}

module "child" {
  source = "./modules/child"
  v      = var.v
}
"#,
    );
    tf.write(
        "modules/child/main.tf",
        "variable \"v\" {}\nresource \"terraform_data\" \"inner\" { input = \"child-${var.v}\" }\n",
    );
    tf.init();
    tf.apply(&[("v", "one")]);
    assert_eq!(tf.state_resource("terraform_data.root")["input"], "one");
    assert_eq!(
        tf.state_resource("module.child.terraform_data.inner")["output"],
        "child-one"
    );
    let mut addresses = tf.state_addresses();
    addresses.sort();
    assert_eq!(
        addresses,
        ["module.child.terraform_data.inner", "terraform_data.root"]
    );
    assert!(tf.plan_is_empty(&[("v", "one")]));
    tf.assert_plan_empty(&[("v", "one")]);
    assert!(!tf.plan_is_empty(&[("v", "two")]));
    let plan = tf.plan_json(&[("v", "two")]);
    let actions: Vec<&str> = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| c["change"]["actions"][0].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["update", "update"], "{plan:#}");

    let stderr = tf.apply_expect_error(&[("v", "bad")]);
    assert!(stderr.contains("The value bad is refused."), "{stderr}");

    tf.destroy(&[("v", "one")]);
    assert!(tf.state_addresses().is_empty());
}

#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn terraform_runs_are_bounded() {
    support::require_acc();
    let mut tf = Terraform::with_endpoint("http://127.0.0.1:9", support::PROVIDER);
    tf.set_timeout(Duration::from_millis(1));
    let started = Instant::now();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tf.run(&["version"])))
        .expect_err("a 1 ms limit stops terraform");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("timed out"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
