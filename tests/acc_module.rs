//! Acceptance tests of the HCL under `examples/` against ministack, with the real Terraform:
//! the registry and app root configurations applied as a user would (the app composing a
//! cluster and the `todo-service` module, with `image_tag` as its input), and the module's own
//! `terraform test` file.
//!
//! The examples are copied into the test's temporary directory with their relative layout
//! (`app/`, `registry/`, `modules/todo-service/`), and Terraform runs in each with `-chdir`, so
//! `source = "../modules/todo-service"` resolves exactly as in the repository.
//!
//! Gated like every acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use std::fs;
use std::process::Output;

use serde_json::Value;
use support::sdk::default_family;
use support::terraform::with_vars;
use support::{Aws, Emulator, EmulatorKind, PROVIDER, Running, Terraform, repo_root, require_acc};

/// Copies `examples/<each of dirs>` into the Terraform directory, keeping the layout.
fn copy_examples(tf: &Terraform, dirs: &[&str]) {
    for dir in dirs {
        tf.copy_dir(&repo_root().join("examples").join(dir), dir);
    }
}

/// `terraform -chdir=<dir> ...`: one root configuration among the copied examples, with its
/// own state in its directory.
struct Root<'a> {
    tf: &'a Terraform,
    dir: &'static str,
}

impl Root<'_> {
    fn args(&self, command: &[&str], vars: &[(&str, &str)]) -> Vec<String> {
        let mut args = vec![format!("-chdir={}", self.dir)];
        args.extend(with_vars(command, vars));
        args
    }

    fn run_ok(&self, command: &[&str], vars: &[(&str, &str)]) -> Output {
        self.tf.run_ok(&self.args(command, vars))
    }

    fn init(&self) {
        self.run_ok(&["init", "-input=false", "-no-color"], &[]);
    }

    fn apply(&self, vars: &[(&str, &str)]) {
        self.run_ok(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            vars,
        );
    }

    fn destroy(&self, vars: &[(&str, &str)]) {
        self.run_ok(
            &["destroy", "-input=false", "-no-color", "-auto-approve"],
            vars,
        );
    }

    /// Panics, with the planned changes, unless `terraform plan -detailed-exitcode` is empty.
    fn assert_plan_empty(&self, vars: &[(&str, &str)]) {
        let args = self.args(
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
            vars,
        );
        let out = self.tf.run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "expected an empty plan in {}:\n{}\n{}",
            self.dir,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `terraform output -json`.
    fn outputs(&self) -> Value {
        let out = self.run_ok(&["output", "-json", "-no-color"], &[]);
        serde_json::from_slice(&out.stdout).expect("terraform output -json")
    }

    fn output(&self, name: &str) -> String {
        let outputs = self.outputs();
        outputs[name]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no string output {name} in {}: {outputs:#}", self.dir))
            .to_string()
    }
}

/// Scenario 9: the workflow of the examples. `examples/registry` creates the repository, two
/// builds are pushed, `examples/app` (a cluster and the `todo-service` module) deploys the first
/// tag with `-var image_tag=...`, then rolls forward to the second in place; destroy leaves
/// nothing behind.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn examples_app_deploys_the_image_tag_through_the_module() {
    require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let tf = Terraform::new(&emu, PROVIDER);
    let aws = Aws::new(&emu);
    copy_examples(&tf, &["registry", "app", "modules"]);
    let registry = Root {
        tf: &tf,
        dir: "registry",
    };
    let app = Root {
        tf: &tf,
        dir: "app",
    };
    // What examples/app and the module call things.
    let (cluster, service, repository) = ("todo", "todo-service-demo", "todo-service");

    let registry_vars = [("force_delete", "true")];
    registry.apply(&registry_vars);
    registry.assert_plan_empty(&registry_vars);
    let url = registry.output("repository_url");
    assert_eq!(registry.output("repository_name"), repository);
    assert!(url.ends_with("/todo-service"), "{url}");

    // CI pushes each build under its short git SHA.
    aws.push(repository, "1a2b3c4", "build one");
    aws.push(repository, "5d6e7f8", "build two");

    app.init();
    let first_vars = [("image_tag", "1a2b3c4")];
    app.apply(&first_vars);
    app.assert_plan_empty(&first_vars);
    let Running {
        service_arn: arn,
        task_definition_arn: first_td,
        image,
        ..
    } = aws.running(cluster, service);
    assert_eq!(image, format!("{url}:1a2b3c4"));
    assert_eq!(app.output("image"), image);
    assert_eq!(app.output("service_arn"), arn);
    assert_eq!(app.output("task_definition_arn"), first_td);

    let second_vars = [("image_tag", "5d6e7f8")];
    app.apply(&second_vars);
    app.assert_plan_empty(&second_vars);
    let Running {
        service_arn: same_arn,
        task_definition_arn: second_td,
        image,
        ..
    } = aws.running(cluster, service);
    assert_eq!(same_arn, arn, "rolled forward in place");
    assert_ne!(second_td, first_td);
    assert_eq!(image, format!("{url}:5d6e7f8"));
    assert_eq!(app.output("image"), image);

    app.destroy(&second_vars);
    let left = aws.service(cluster, service);
    assert!(
        left.as_ref().is_none_or(|s| s.status() != Some("ACTIVE")),
        "{left:?}"
    );
    assert_eq!(
        aws.active_revisions(&default_family(cluster, service)),
        Vec::<String>::new()
    );
    registry.destroy(&registry_vars);
    let repositories = aws.repositories();
    assert!(
        !repositories.iter().any(|r| r == repository),
        "{repositories:?}"
    );
}

/// Scenario 10: `terraform test` of `examples/modules/todo-service` (its `tests/*.tftest.hcl`)
/// passes against ministack, every run, and leaves nothing behind.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn module_terraform_test_passes() {
    require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let tf = Terraform::new(&emu, PROVIDER);
    let aws = Aws::new(&emu);
    tf.copy_dir(&repo_root().join("examples/modules/todo-service"), ".");
    let test_file = fs::read_to_string(tf.dir().join("tests/service.tftest.hcl"))
        .expect("read the module's test file");
    let runs: Vec<&str> = test_file
        .lines()
        .filter_map(|l| l.trim().strip_prefix("run \""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert!(runs.len() >= 4, "runs in the test file: {runs:?}");

    tf.init();
    let out = tf.run(&["test", "-no-color"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "terraform test failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("Success! {} passed, 0 failed.", runs.len())),
        "not every run passed:\n{stdout}"
    );
    for run in &runs {
        assert!(
            stdout.contains(&format!("run \"{run}\"... pass")),
            "run {run} did not pass:\n{stdout}"
        );
    }
    // terraform test destroys what its runs created.
    let left = aws.service("todo-module-test", "todo-service-test");
    assert!(
        left.as_ref().is_none_or(|s| s.status() != Some("ACTIVE")),
        "{left:?}"
    );
    assert_eq!(
        aws.active_revisions(&default_family("todo-module-test", "todo-service-test")),
        Vec::<String>::new()
    );
}

/// Scenario 11: build once, deploy everywhere. `examples/registry` creates the repository, two
/// builds are pushed, `examples/environments` deploys the first tag to staging and prod (one
/// module instance each, prod bigger) with `-var image_tag=...`, then promotes the second tag to
/// both in place; destroy leaves no service, revision, cluster or repository behind.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn examples_environments_deploy_one_tag_to_staging_and_prod() {
    require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let tf = Terraform::new(&emu, PROVIDER);
    let aws = Aws::new(&emu);
    copy_examples(&tf, &["registry", "environments", "modules"]);
    let registry = Root {
        tf: &tf,
        dir: "registry",
    };
    let environments = Root {
        tf: &tf,
        dir: "environments",
    };
    // What examples/environments and the module call things.
    let (cluster, repository) = ("todo-environments", "todo-service");
    let (staging, prod) = ("todo-service-staging", "todo-service-prod");

    let registry_vars = [("force_delete", "true")];
    registry.apply(&registry_vars);
    registry.assert_plan_empty(&registry_vars);
    let url = registry.output("repository_url");
    assert!(url.ends_with("/todo-service"), "{url}");
    aws.push(repository, "1a2b3c4", "build one");
    aws.push(repository, "5d6e7f8", "build two");

    // The task definition's cpu and the service's desired count, as ECS reports them.
    let sizing = |service: &str, td_arn: &str| {
        let desired = aws
            .service(cluster, service)
            .unwrap_or_else(|| panic!("ECS reports no service {cluster}/{service}"))
            .desired_count();
        let cpu = aws
            .task_definition(td_arn)
            .cpu()
            .unwrap_or_default()
            .to_string();
        (desired, cpu)
    };

    environments.init();
    let first_vars = [("image_tag", "1a2b3c4")];
    environments.apply(&first_vars);
    environments.assert_plan_empty(&first_vars);
    let Running {
        service_arn: staging_arn,
        task_definition_arn: staging_td,
        image,
        ..
    } = aws.running(cluster, staging);
    assert_eq!(image, format!("{url}:1a2b3c4"), "staging");
    assert_eq!(sizing(staging, &staging_td), (1, "256".to_string()));
    let Running {
        service_arn: prod_arn,
        task_definition_arn: prod_td,
        image,
        ..
    } = aws.running(cluster, prod);
    assert_eq!(image, format!("{url}:1a2b3c4"), "prod");
    assert_eq!(sizing(prod, &prod_td), (2, "512".to_string()));
    let images = &environments.outputs()["images"]["value"];
    assert_eq!(images["staging"], format!("{url}:1a2b3c4"), "{images:#}");
    assert_eq!(images["prod"], format!("{url}:1a2b3c4"), "{images:#}");

    let second_vars = [("image_tag", "5d6e7f8")];
    environments.apply(&second_vars);
    environments.assert_plan_empty(&second_vars);
    for (service, arn, old_td, desired, cpu) in [
        (staging, &staging_arn, &staging_td, 1, "256"),
        (prod, &prod_arn, &prod_td, 2, "512"),
    ] {
        let Running {
            service_arn: same_arn,
            task_definition_arn: td,
            image,
            ..
        } = aws.running(cluster, service);
        assert_eq!(&same_arn, arn, "{service} moved in place");
        assert_ne!(&td, old_td, "{service} runs a new revision");
        assert_eq!(image, format!("{url}:5d6e7f8"), "{service}");
        assert_eq!(
            sizing(service, &td),
            (desired, cpu.to_string()),
            "{service}"
        );
    }

    environments.destroy(&second_vars);
    for service in [staging, prod] {
        let left = aws.service(cluster, service);
        assert!(
            left.as_ref().is_none_or(|s| s.status() != Some("ACTIVE")),
            "{left:?}"
        );
        assert_eq!(
            aws.active_revisions(&default_family(cluster, service)),
            Vec::<String>::new()
        );
    }
    let left = aws.cluster(cluster);
    assert!(
        left.as_ref().is_none_or(|c| c.status() != Some("ACTIVE")),
        "{left:?}"
    );
    registry.destroy(&registry_vars);
    let repositories = aws.repositories();
    assert!(
        !repositories.iter().any(|r| r == repository),
        "{repositories:?}"
    );
}
