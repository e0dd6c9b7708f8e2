//! Acceptance tests of `todo_fargate_service` as production runs it (issue 13), against
//! ministack with the real Terraform: sidecar containers (a FireLens log router and an agent)
//! with health checks and dependencies, an `image_tag` change that moves only the
//! application's image, FARGATE_SPOT through a capacity provider strategy updated in place,
//! drift of both, import, and the rules `terraform validate` checks with attribute paths.
//!
//! Every apply is followed by a plan that must be empty, and the emulator itself (ECS
//! DescribeServices / DescribeTaskDefinition) is asked what runs.
//!
//! Gated like every acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use aws_sdk_ecs::types::{CapacityProviderStrategyItem, ContainerDefinition, TaskDefinition};
use serde_json::Value;
use support::aws::aws_error;
use support::fixture::{Acc, named_resource};
use support::plan::{actions, planned_change};
use support::terraform::with_vars;
use support::{EmulatorKind, line_of, repo_root, require_acc};

const SVC: &str = "todo_fargate_service.svc";
const ROUTER_IMAGE: &str = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable";
const AGENT_IMAGE: &str = "public.ecr.aws/datadog/agent:7";

/// The application (`web`, logging through FireLens, waiting for the router to start and the
/// agent to be healthy) with two sidecars: the FireLens log router and an agent with a health
/// check.
const WITH_SIDECARS: &str = r#"  container_name           = "web"
  cpu                      = 512
  memory                   = 1024
  stop_timeout             = 30
  user                     = "1000"
  readonly_root_filesystem = true
  health_check {
    command      = ["CMD-SHELL", "wget -qO- http://localhost:3000/health || exit 1"]
    interval     = 10
    retries      = 5
    start_period = 20
  }
  ulimits {
    name       = "nofile"
    soft_limit = 4096
    hard_limit = 8192
  }
  linux_parameters {
    init_process_enabled = true
  }
  log_configuration {
    log_driver = "awsfirelens"
    options    = { Name = "cloudwatch_logs", region = "us-east-1", log_group_name = "/ecs/web" }
  }
  container_depends_on {
    container_name = "log_router"
    condition      = "START"
  }
  container_depends_on {
    container_name = "agent"
    condition      = "HEALTHY"
  }
  ephemeral_storage {
    size_in_gib = 30
  }
  sidecar {
    name      = "log_router"
    image     = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    essential = true
    cpu       = 64
    memory    = 128
    firelens_configuration {
      type    = "fluentbit"
      options = { enable-ecs-log-metadata = "true" }
    }
  }
  sidecar {
    name        = "agent"
    image       = "public.ecr.aws/datadog/agent:7"
    cpu         = 128
    memory      = 256
    environment = { DD_APM_ENABLED = "true" }
    port_mappings {
      container_port = 8125
      protocol       = "udp"
    }
    health_check {
      command = ["CMD-SHELL", "agent health"]
    }
    log_configuration {
      log_driver = "awsfirelens"
    }
  }"#;

/// FARGATE runs the first task, FARGATE_SPOT `spot_weight` of every `spot_weight + 1`
/// further tasks (FARGATE keeps weight 1).
fn spot_strategy(spot_weight: u32) -> String {
    format!(
        r#"  desired_count = 3
  capacity_provider_strategy {{
    capacity_provider = "FARGATE"
    base              = 1
    weight            = 1
  }}
  capacity_provider_strategy {{
    capacity_provider = "FARGATE_SPOT"
    weight            = {spot_weight}
  }}"#
    )
}

/// One scenario: [`Acc`] on ministack, with the repository, cluster and service all called
/// `name`.
struct Production {
    acc: Acc,
    name: String,
}

impl Production {
    /// Starts ministack, creates the repository with Terraform and pushes `tags`.
    fn start(base: &str, tags: &[&str]) -> Production {
        let acc = Acc::start(EmulatorKind::Ministack);
        let name = acc.name(base);
        acc.config(
            "",
            &named_resource(
                "todo_ecr_repository",
                "app",
                &name,
                "  image_tag_mutability = \"MUTABLE\"\n  force_delete         = true\n",
            ),
        );
        acc.apply_clean();
        for tag in tags {
            acc.aws.push(&name, tag, tag);
        }
        Production { acc, name }
    }

    /// Writes the cluster and the service, with `extra` inside the service block.
    fn write_service(&self, extra: &str) {
        let name = &self.name;
        self.acc.tf.write(
            "service.tf",
            &format!(
                r#"
variable "image_tag" {{
  type = string
}}

resource "todo_ecs_cluster" "main" {{
  name               = "{name}"
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
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
            ),
        );
    }

    /// Apply with `image_tag`, then the plan with the same tag must be empty.
    fn apply_tag(&self, tag: &str) {
        self.acc.tf.apply(&[("image_tag", tag)]);
        self.acc.tf.assert_plan_empty(&[("image_tag", tag)]);
    }

    fn service(&self) -> aws_sdk_ecs::types::Service {
        self.acc
            .aws
            .service(&self.name, &self.name)
            .unwrap_or_else(|| panic!("ECS reports no service {}", self.name))
    }

    /// The task definition the service runs, as ECS reports it.
    fn task_definition(&self) -> TaskDefinition {
        let service = self.service();
        let arn = service
            .task_definition()
            .expect("the service's task definition");
        self.acc.aws.task_definition(arn)
    }

    fn state(&self) -> Value {
        self.acc.tf.state_resource(SVC)
    }

    fn repository_url(&self) -> String {
        self.acc.tf.state_resource("todo_ecr_repository.app")["repository_url"]
            .as_str()
            .expect("repository_url")
            .to_owned()
    }
}

fn container<'a>(td: &'a TaskDefinition, name: &str) -> &'a ContainerDefinition {
    td.container_definitions()
        .iter()
        .find(|c| c.name() == Some(name))
        .unwrap_or_else(|| panic!("no container {name} in {td:#?}"))
}

fn images(td: &TaskDefinition) -> Vec<(String, String)> {
    td.container_definitions()
        .iter()
        .map(|c| {
            (
                c.name().unwrap_or_default().to_owned(),
                c.image().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The strategy as ECS reports it: (provider, weight, base), sorted.
fn strategy_of(service: &aws_sdk_ecs::types::Service) -> Vec<(String, i32, i32)> {
    let mut items: Vec<(String, i32, i32)> = service
        .capacity_provider_strategy()
        .iter()
        .map(|i| (i.capacity_provider().to_owned(), i.weight(), i.base()))
        .collect();
    items.sort();
    items
}

/// The id of the service's PRIMARY deployment (the one a new deployment replaces).
fn primary_deployment_id(service: &aws_sdk_ecs::types::Service) -> Option<String> {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.id())
        .map(str::to_owned)
}

/// The application and two sidecars: ECS's task definition has the three containers with
/// their health checks, dependencies and FireLens router; a new `image_tag` moves only the
/// application's image (same service, sidecar images unchanged); an out-of-band change to a
/// sidecar shows in the next plan as an in-place update, which puts it back.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn sidecars_with_health_checks_and_a_tag_change_that_moves_only_the_application() {
    require_acc();
    let p = Production::start("sidecars", &["v1", "v2"]);
    let url = p.repository_url();
    p.write_service(WITH_SIDECARS);
    p.apply_tag("v1");

    let td = p.task_definition();
    assert_eq!(
        images(&td),
        [
            ("web".to_owned(), format!("{url}:v1")),
            ("log_router".to_owned(), ROUTER_IMAGE.to_owned()),
            ("agent".to_owned(), AGENT_IMAGE.to_owned()),
        ]
    );
    let web = container(&td, "web");
    assert_eq!(web.essential(), Some(true));
    let health = web.health_check().expect("the application's health check");
    assert_eq!(health.interval(), Some(10));
    assert_eq!(health.retries(), Some(5));
    assert_eq!(health.start_period(), Some(20));
    let depends: Vec<(String, String)> = web
        .depends_on()
        .iter()
        .map(|d| {
            (
                d.container_name().to_owned(),
                d.condition().as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        depends,
        [
            ("log_router".to_owned(), "START".to_owned()),
            ("agent".to_owned(), "HEALTHY".to_owned())
        ]
    );
    assert_eq!(web.stop_timeout(), Some(30));
    assert_eq!(web.user(), Some("1000"));
    assert_eq!(web.readonly_root_filesystem(), Some(true));
    assert_eq!(web.ulimits().len(), 1);
    assert_eq!(
        web.linux_parameters()
            .and_then(|l| l.init_process_enabled()),
        Some(true)
    );
    assert_eq!(
        web.log_configuration().map(|l| l.log_driver().as_str()),
        Some("awsfirelens")
    );
    let router = container(&td, "log_router");
    assert_eq!(
        router.firelens_configuration().map(|f| f.r#type().as_str()),
        Some("fluentbit")
    );
    assert_eq!(router.essential(), Some(true));
    assert_eq!((router.cpu(), router.memory()), (64, Some(128)));
    let agent = container(&td, "agent");
    assert_eq!(agent.essential(), Some(false));
    assert_eq!(
        agent.health_check().map(|h| h.command().to_vec()),
        Some(vec!["CMD-SHELL".to_owned(), "agent health".to_owned()])
    );
    assert_eq!(td.ephemeral_storage().map(|e| e.size_in_gib()), Some(30));
    let service_arn = p.service().service_arn().map(str::to_owned);

    // A new tag: a new revision in place, only the application's image moves.
    p.apply_tag("v2");
    let rolled = p.task_definition();
    assert_eq!(p.service().service_arn().map(str::to_owned), service_arn);
    assert!(rolled.revision() > td.revision());
    assert_eq!(
        images(&rolled),
        [
            ("web".to_owned(), format!("{url}:v2")),
            ("log_router".to_owned(), ROUTER_IMAGE.to_owned()),
            ("agent".to_owned(), AGENT_IMAGE.to_owned()),
        ]
    );
    assert_eq!(p.state()["sidecar"][1]["image"], AGENT_IMAGE);

    // Someone moves the agent's image outside Terraform: the next plan puts it back in place.
    let mut containers = rolled.container_definitions().to_vec();
    for c in &mut containers {
        if c.name() == Some("agent") {
            c.image = Some("public.ecr.aws/datadog/agent:6".to_owned());
        }
    }
    let aws = &p.acc.aws;
    let registered = aws
        .block_on(
            aws.ecs
                .register_task_definition()
                .family(rolled.family().unwrap_or_default())
                .set_requires_compatibilities(Some(rolled.requires_compatibilities().to_vec()))
                .set_network_mode(rolled.network_mode().cloned())
                .set_cpu(rolled.cpu().map(str::to_owned))
                .set_memory(rolled.memory().map(str::to_owned))
                .set_ephemeral_storage(rolled.ephemeral_storage().cloned())
                .set_container_definitions(Some(containers))
                .send(),
        )
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", aws_error(&e)));
    let drifted = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("the drifted revision")
        .to_owned();
    aws.block_on(
        aws.ecs
            .update_service()
            .cluster(&p.name)
            .service(&p.name)
            .task_definition(&drifted)
            .send(),
    )
    .unwrap_or_else(|e| panic!("UpdateService: {}", aws_error(&e)));
    let vars = [("image_tag", "v2")];
    let plan = p.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(
        change["before"]["sidecar"][1]["image"], "public.ecr.aws/datadog/agent:6",
        "{change:#}"
    );
    assert_eq!(
        change["after"]["sidecar"][1]["image"], AGENT_IMAGE,
        "{change:#}"
    );
    p.apply_tag("v2");
    assert_eq!(
        images(&p.task_definition())[2],
        ("agent".to_owned(), AGENT_IMAGE.to_owned())
    );
    assert_eq!(p.service().service_arn().map(str::to_owned), service_arn);

    p.acc.tf.destroy(&vars);
    assert!(p.acc.tf.state_addresses().is_empty());
}

/// Import of a service with sidecars reads them (and the application's settings) back: the
/// configuration that made it plans no change.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn import_of_a_service_with_sidecars_then_an_empty_plan() {
    require_acc();
    let p = Production::start("import-sidecars", &["v1"]);
    p.write_service(WITH_SIDECARS);
    p.apply_tag("v1");
    let created = p.state();

    p.acc.tf.run_ok(&["state", "rm", SVC]);
    let vars = [("image_tag", "v1")];
    p.acc.tf.import(SVC, &format!("{0}/{0}", p.name), &vars);
    let imported = p.state();
    for attribute in [
        "sidecar",
        "health_check",
        "container_depends_on",
        "ulimits",
        "linux_parameters",
        "log_configuration",
        "ephemeral_storage",
        "stop_timeout",
        "user",
        "readonly_root_filesystem",
        "container_name",
        "image",
    ] {
        assert_eq!(
            imported[attribute], created[attribute],
            "{attribute} after import: {imported:#}"
        );
    }
    p.acc.tf.assert_plan_empty(&vars);
    p.acc.tf.destroy(&vars);
}

/// FARGATE_SPOT with a base of 1 on FARGATE: the emulator's service carries the strategy;
/// new weights update it in place (same service); an out-of-band change shows in the next
/// plan; removing the strategy replaces the service.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn fargate_spot_strategy_updates_in_place() {
    require_acc();
    let p = Production::start("spot", &["v1"]);
    let vars = [("image_tag", "v1")];
    p.write_service(&spot_strategy(1));
    p.apply_tag("v1");
    let service = p.service();
    assert_eq!(
        strategy_of(&service),
        [
            ("FARGATE".to_owned(), 1, 1),
            ("FARGATE_SPOT".to_owned(), 1, 0)
        ]
    );
    assert!(service.launch_type().is_none(), "{service:#?}");
    let arn = service.service_arn().map(str::to_owned);
    let revision = p.state()["task_definition_revision"].clone();
    let deployment = primary_deployment_id(&service);

    p.write_service(&spot_strategy(3));
    let plan = p.acc.tf.plan_json(&vars);
    assert_eq!(actions(planned_change(&plan, SVC)), ["update"]);
    p.apply_tag("v1");
    let updated = p.service();
    assert_eq!(updated.service_arn().map(str::to_owned), arn);
    assert_eq!(
        strategy_of(&updated),
        [
            ("FARGATE".to_owned(), 1, 1),
            ("FARGATE_SPOT".to_owned(), 3, 0)
        ]
    );
    // The strategy is the service's: no new revision, but a new deployment (ECS requires it
    // forced for a strategy change).
    assert_eq!(p.state()["task_definition_revision"], revision);
    let redeployed = primary_deployment_id(&updated);
    assert!(
        deployment.is_some() && redeployed.is_some() && redeployed != deployment,
        "the strategy change did not force a new deployment: {deployment:?} -> {redeployed:?}"
    );

    // Out of band: all on FARGATE_SPOT. The next plan puts the configured strategy back.
    let aws = &p.acc.aws;
    let item = CapacityProviderStrategyItem::builder()
        .capacity_provider("FARGATE_SPOT")
        .weight(1)
        .build()
        .expect("strategy item");
    aws.block_on(
        aws.ecs
            .update_service()
            .cluster(&p.name)
            .service(&p.name)
            .capacity_provider_strategy(item)
            .force_new_deployment(true)
            .send(),
    )
    .unwrap_or_else(|e| panic!("UpdateService: {}", aws_error(&e)));
    let plan = p.acc.tf.plan_json(&vars);
    let change = planned_change(&plan, SVC);
    assert_eq!(actions(change), ["update"], "{change:#}");
    assert_eq!(
        change["before"]["capacity_provider_strategy"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{change:#}"
    );
    p.apply_tag("v1");
    assert_eq!(strategy_of(&p.service()).len(), 2);

    // Without a strategy the service runs on the launch type: that is a new service.
    p.write_service("  desired_count = 3");
    // The fixture's plan passes no variables: the tag comes from a variables file.
    p.acc.tf.write("terraform.tfvars", "image_tag = \"v1\"\n");
    p.acc
        .assert_plan_replaces(SVC, "capacity_provider_strategy");
    p.acc.tf.destroy(&vars);
}

/// Each rule fails at `terraform validate`, pointing at the offending attribute: sidecars
/// larger than the task, a `container_depends_on` naming no container or waiting for an
/// essential container to exit, a health-check interval out of range, a health-check command
/// that starts with neither CMD, CMD-SHELL nor NONE, a ulimit's soft limit above its hard one,
/// and a strategy beside a launch type.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn invalid_containers_and_placement_fail_at_validate_with_their_paths() {
    require_acc();
    let acc = Acc::start(EmulatorKind::Ministack);
    let config = r#"
resource "todo_fargate_service" "bad" {
  name           = "bad"
  cluster        = "main"
  repository_url = "000000000000.dkr.ecr.us-east-1.amazonaws.com/app"
  image_tag      = "v1"
  subnets        = ["subnet-0123456789abcdef0"]
  cpu            = 256
  memory         = 512
  launch_type    = "FARGATE"
  health_check {
    command  = ["CMD", "true"]
    interval = 3
  }
  container_depends_on {
    container_name = "nginx"
    condition      = "START"
  }
  container_depends_on {
    container_name = "log_router"
    condition      = "COMPLETE"
  }
  sidecar {
    name      = "log_router"
    image     = "fluent/fluent-bit:3"
    essential = true
    cpu       = 128
    memory    = 256
  }
  sidecar {
    name   = "agent"
    image  = "datadog/agent:7"
    cpu    = 192
    memory = 128
    health_check {
      command = ["agent", "health"]
    }
    ulimits {
      name       = "nofile"
      soft_limit = 8192
      hard_limit = 4096
    }
  }
  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
}
"#;
    acc.config("", config);
    let main_tf = std::fs::read_to_string(acc.tf.dir().join("main.tf")).expect("main.tf");
    let validate = acc.tf.validate_json();
    assert_eq!(validate["valid"], false, "{validate:#}");
    let diagnostics = validate["diagnostics"].as_array().expect("diagnostics");
    let line_of_error = |summary: &str| -> u64 {
        let found = diagnostics
            .iter()
            .find(|d| d["severity"] == "error" && d["summary"] == summary)
            .unwrap_or_else(|| panic!("no error {summary:?} in {validate:#}"));
        found["range"]["start"]["line"]
            .as_u64()
            .unwrap_or_else(|| panic!("{summary:?} has no range: {found:#}"))
    };
    assert_eq!(
        line_of_error("Sidecars larger than the task"),
        line_of(&main_tf, "cpu    = 192"),
        "{validate:#}"
    );
    assert_eq!(
        line_of_error("No such container"),
        line_of(&main_tf, "container_name = \"nginx\""),
        "{validate:#}"
    );
    assert_eq!(
        line_of_error("Invalid interval"),
        line_of(&main_tf, "interval = 3"),
        "{validate:#}"
    );
    assert_eq!(
        line_of_error("launch_type and capacity_provider_strategy conflict"),
        line_of(&main_tf, "launch_type    = \"FARGATE\""),
        "{validate:#}"
    );
    assert_eq!(
        line_of_error("An essential container cannot be waited for to exit"),
        line_of(&main_tf, "condition      = \"COMPLETE\""),
        "{validate:#}"
    );
    assert_eq!(
        line_of_error("Invalid health check command"),
        line_of(&main_tf, "command = [\"agent\", \"health\"]"),
        "{validate:#}"
    );
    assert_eq!(
        line_of_error("Soft limit above the hard limit"),
        line_of(&main_tf, "soft_limit = 8192"),
        "{validate:#}"
    );
    assert_eq!(
        diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .count(),
        7,
        "{validate:#}"
    );
}

/// `examples/production` (through the `todo-service` module) as a user applies it: staging
/// runs on FARGATE_SPOT with a base on FARGATE, prod on the FARGATE launch type, both with the
/// FireLens log router beside the application; a new tag moves only the application's image;
/// the plans after the applies are empty.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn examples_production_runs_a_firelens_router_and_fargate_spot_for_staging() {
    require_acc();
    let acc = Acc::start(EmulatorKind::Ministack);
    for dir in ["production", "modules"] {
        acc.tf
            .copy_dir(&repo_root().join("examples").join(dir), dir);
    }
    let repository = acc.name("production");
    acc.aws
        .block_on(
            acc.aws
                .ecr
                .create_repository()
                .repository_name(&repository)
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateRepository: {}", aws_error(&e)));
    acc.aws.push(&repository, "1a2b3c4", "one");
    acc.aws.push(&repository, "5d6e7f8", "two");
    let terraform = |command: &[&str], tag: &str| {
        let mut args = vec!["-chdir=production".to_owned()];
        args.extend(with_vars(
            command,
            &[("image_tag", tag), ("repository_name", &repository)],
        ));
        acc.tf.run(&args)
    };
    let ok = |command: &[&str], tag: &str| {
        let out = terraform(command, tag);
        assert!(
            out.status.success(),
            "terraform {command:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let plan_empty = |tag: &str| {
        let out = terraform(
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
            tag,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "expected an empty plan:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let apply = ["apply", "-input=false", "-no-color", "-auto-approve"];
    acc.tf
        .run_ok(&["-chdir=production", "init", "-input=false", "-no-color"]);
    ok(&apply, "1a2b3c4");
    plan_empty("1a2b3c4");

    let cluster = "todo-production";
    let staging = acc
        .aws
        .service(cluster, "todo-service-staging")
        .expect("the staging service");
    assert_eq!(
        strategy_of(&staging),
        [
            ("FARGATE".to_owned(), 0, 1),
            ("FARGATE_SPOT".to_owned(), 1, 0)
        ]
    );
    let prod = acc
        .aws
        .service(cluster, "todo-service-prod")
        .expect("the prod service");
    assert!(prod.capacity_provider_strategy().is_empty(), "{prod:#?}");
    assert_eq!(prod.launch_type().map(|l| l.as_str()), Some("FARGATE"));
    let url_prefix = format!("/{repository}:");
    for service in [&staging, &prod] {
        let td = acc
            .aws
            .task_definition(service.task_definition().expect("a task definition"));
        let names: Vec<&str> = td
            .container_definitions()
            .iter()
            .filter_map(|c| c.name())
            .collect();
        assert_eq!(names, ["app", "log_router"], "{td:#?}");
        let app = container(&td, "app");
        assert!(
            app.image()
                .is_some_and(|i| i.contains(&url_prefix) && i.ends_with(":1a2b3c4")),
            "{td:#?}"
        );
        assert_eq!(
            app.log_configuration().map(|l| l.log_driver().as_str()),
            Some("awsfirelens")
        );
        assert!(app.health_check().is_some(), "{td:#?}");
        assert_eq!(
            container(&td, "log_router")
                .firelens_configuration()
                .map(|f| f.r#type().as_str()),
            Some("fluentbit")
        );
    }

    // The next build: only the application's image moves, in place.
    ok(&apply, "5d6e7f8");
    plan_empty("5d6e7f8");
    let rolled = acc
        .aws
        .service(cluster, "todo-service-staging")
        .expect("the staging service");
    assert_eq!(rolled.service_arn(), staging.service_arn());
    let td = acc
        .aws
        .task_definition(rolled.task_definition().expect("a task definition"));
    assert!(
        container(&td, "app")
            .image()
            .is_some_and(|i| i.ends_with(":5d6e7f8"))
    );
    assert_eq!(container(&td, "log_router").image(), Some(ROUTER_IMAGE));

    ok(
        &["destroy", "-input=false", "-no-color", "-auto-approve"],
        "5d6e7f8",
    );
}
