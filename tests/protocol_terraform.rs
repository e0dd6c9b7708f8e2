//! The real `terraform` (from `make tools`) loading the provider binary through dev_overrides:
//! validate, plan, the schema it reports, diagnostics with attribute paths, and a graceful
//! exit after GRPCController.Shutdown. No emulator: nothing here calls AWS (the endpoint is a
//! closed port, so any call would fail the test).

mod support;

use support::Terraform;

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-todo");
/// Nothing listens here: a test that reached AWS would fail.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

const CONFIG: &str = r#"
terraform {
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {
  region = "eu-central-1"
  default_tags {
    tags = { project = "todo" }
  }
}

variable "image_tag" {
  type    = string
  default = "3f2a1bc"
}

resource "todo_ecr_repository" "app" {
  name                 = "todo-service"
  image_tag_mutability = "IMMUTABLE"
  keep_images          = 30
  tags                 = { team = "web" }
}

resource "todo_ecs_cluster" "main" {
  name = "todo"
}

resource "todo_fargate_service" "app" {
  name           = "todo-service"
  cluster        = todo_ecs_cluster.main.name
  repository_url = todo_ecr_repository.app.repository_url
  image_tag      = var.image_tag
  subnets        = ["subnet-0123456789abcdef0"]
}
"#;

#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn validate_and_plan_succeed_through_dev_overrides() {
    let tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", CONFIG);
    let validate = tf.validate_json();
    assert_eq!(validate["valid"], true, "{validate:#}");

    let plan = tf.plan_json(&[]);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), 3, "{plan:#}");
    for change in changes {
        assert_eq!(change["change"]["actions"], serde_json::json!(["create"]));
    }
    let repository = changes
        .iter()
        .find(|c| c["address"] == "todo_ecr_repository.app")
        .expect("repository change");
    let after = &repository["change"]["after"];
    assert_eq!(after["image_tag_mutability"], "IMMUTABLE");
    assert_eq!(after["encryption_type"], "AES256", "default planned");
    assert_eq!(
        after["tags_all"],
        serde_json::json!({"project": "todo", "team": "web"})
    );
    assert_eq!(
        repository["change"]["after_unknown"]["repository_url"],
        true
    );
    let service = changes
        .iter()
        .find(|c| c["address"] == "todo_fargate_service.app")
        .expect("service change");
    assert_eq!(service["change"]["after"]["container_port"], 3000);
    assert_eq!(
        service["change"]["after_unknown"]["image"], true,
        "repository_url is unknown"
    );
}

#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn schema_lists_every_type_with_descriptions() {
    let tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", CONFIG);
    let out = tf.run_ok(&["providers", "schema", "-json"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema json");
    let provider = &schema["provider_schemas"]["registry.terraform.io/todo/todo"];
    assert!(provider["provider"]["block"]["attributes"]["region"].is_object());
    assert_eq!(
        provider["provider"]["block"]["attributes"]["secret_key"]["sensitive"],
        true
    );
    let expected = [
        ("resource_schemas", "todo_ecr_repository", "repository_url"),
        ("resource_schemas", "todo_ecs_cluster", "container_insights"),
        ("resource_schemas", "todo_fargate_service", "image_tag"),
        ("data_source_schemas", "todo_ecr_image", "image_digest"),
        ("action_schemas", "todo_fargate_service_redeploy", "service"),
        (
            "ephemeral_resource_schemas",
            "todo_ecr_authorization_token",
            "password",
        ),
        (
            "list_resource_schemas",
            "todo_ecr_repository",
            "name_prefix",
        ),
        ("list_resource_schemas", "todo_ecs_cluster", "name_prefix"),
        ("list_resource_schemas", "todo_fargate_service", "cluster"),
    ];
    for (kind, name, attribute) in expected {
        let block = &provider[kind][name]["block"];
        assert!(
            block["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name} has a description"
        );
        let attributes = block["attributes"].as_object().expect("attributes");
        assert!(attributes.contains_key(attribute), "{name}.{attribute}");
        for (attr_name, attr) in attributes {
            assert!(
                attr["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{name}.{attr_name} has a description"
            );
            assert_eq!(attr["description_kind"], "markdown", "{name}.{attr_name}");
        }
    }
    for name in [
        "todo_ecr_repository",
        "todo_ecs_cluster",
        "todo_fargate_service",
    ] {
        let identity = &provider["resource_identity_schemas"][name]["attributes"];
        assert!(
            identity["name"].is_object(),
            "{name} identity: {identity:#}"
        );
    }
    for function in ["image_uri", "parse_image_uri"] {
        assert!(
            provider["functions"][function].is_object(),
            "function {function}"
        );
    }
    let service = &provider["resource_schemas"]["todo_fargate_service"]["block"];
    for block in ["load_balancer", "deployment_circuit_breaker", "timeouts"] {
        assert!(
            service["block_types"][block].is_object(),
            "fargate block {block}"
        );
    }
}

/// The diagnostics of `terraform validate -json` on `config`, which must be invalid.
fn validate_errors(config: &str) -> serde_json::Value {
    let tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", config);
    let validate = tf.validate_json();
    assert_eq!(validate["valid"], false, "{validate:#}");
    validate
}

/// The diagnostic with `summary`; Terraform maps its attribute path to the HCL line, which
/// must contain `line_contains`.
fn assert_diagnostic_at(validate: &serde_json::Value, summary: &str, line_contains: &str) {
    let diagnostics = validate["diagnostics"].as_array().expect("diagnostics");
    let found = diagnostics
        .iter()
        .find(|d| d["summary"].as_str().is_some_and(|s| s.contains(summary)))
        .unwrap_or_else(|| panic!("no {summary:?} diagnostic in {validate:#}"));
    assert!(
        found["snippet"]["code"]
            .as_str()
            .is_some_and(|c| c.contains(line_contains)),
        "{summary} points at the wrong line: {found:#}"
    );
}

#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn invalid_values_fail_validate_with_attribute_paths() {
    let repository = validate_errors(&CONFIG.replace(
        "name                 = \"todo-service\"",
        "name = \"Todo_Service!\"",
    ));
    assert_diagnostic_at(&repository, "Invalid repository name", "Todo_Service!");

    let service = validate_errors(&CONFIG.replace(
        "image_tag      = var.image_tag",
        "image_tag = \".bad tag\"\n  cpu = 256\n  memory = 4096\n  container_port = 0\n  desired_count = -1",
    ));
    assert_diagnostic_at(&service, "Invalid image tag", ".bad tag");
    assert_diagnostic_at(&service, "Invalid Fargate cpu/memory combination", "memory");
    assert_diagnostic_at(&service, "Invalid container_port", "container_port");
    assert_diagnostic_at(&service, "Invalid desired_count", "desired_count");
}

/// Validators on attributes reach Terraform with full paths: inside a nested block, on a map
/// key, on the provider block, and for formats AWS only rejects at run time.
#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn validators_point_into_blocks_map_keys_and_the_provider_block() {
    let service = validate_errors(&CONFIG.replace(
        "image_tag      = var.image_tag",
        "image_tag      = var.image_tag\n  log_group = \"/ecs/todo service\"\n  \
         environment = { \"1BAD\" = \"x\" }\n  timeouts {\n    create = \"soon\"\n  }",
    ));
    assert_diagnostic_at(&service, "Invalid log group", "/ecs/todo service");
    assert_diagnostic_at(&service, "Invalid duration", "create = \"soon\"");
    assert_diagnostic_at(&service, "Invalid environment variable name", "1BAD");

    let provider = validate_errors(&CONFIG.replace(
        "tags = { project = \"todo\" }",
        "tags = { \"aws:reserved\" = \"todo\" }",
    ));
    assert_diagnostic_at(&provider, "Invalid tag", "aws:reserved");
}

/// `TF_DISABLE_PLUGIN_TLS=1` (test frameworks, TLS-intercepting antivirus): Terraform talks
/// plaintext to the provider, which serves it on the private unix socket only and says so.
#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn without_plugin_tls_terraform_plans_over_the_private_unix_socket() {
    let mut tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", CONFIG);
    tf.set_env("TF_DISABLE_PLUGIN_TLS", Some("1"));
    tf.set_log(Some("TRACE"));
    let out = tf.run_ok(&["plan", "-input=false", "-no-color"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("address=unix|"), "a unix socket: {log}");
    assert!(!log.contains("address=tcp|"), "never TCP");
    assert!(
        log.contains("[WARN]  provider.terraform-provider-todo: TLS is off"),
        "the provider warns: {log}"
    );
}

/// The issue's `timeouts { create = "9999999999999999999s" }` passed validate and panicked at
/// apply; now it fails validate, at the attribute, saying the limit.
#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn timeouts_over_24_hours_fail_validate_at_the_attribute() {
    let service = validate_errors(&CONFIG.replace(
        "image_tag      = var.image_tag",
        "image_tag      = var.image_tag\n  timeouts {\n    create = \"9999999999999999999s\"\n    \
         update = \"25h\"\n    delete = \"24h\"\n  }",
    ));
    let diagnostics: Vec<&serde_json::Value> = service["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(diagnostics.len(), 2, "24h itself is allowed: {service:#}");
    for line in ["create = \"9999999999999999999s\"", "update = \"25h\""] {
        let found = diagnostics.iter().find(|d| {
            d["snippet"]["code"]
                .as_str()
                .is_some_and(|code| code.contains(line))
        });
        let Some(diagnostic) = found else {
            panic!("no diagnostic at {line:?}: {service:#}");
        };
        assert_eq!(diagnostic["summary"], "Invalid duration", "{diagnostic:#}");
        let detail = diagnostic["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("longer than 24h"), "{diagnostic:#}");
    }
}

#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn provider_exits_on_its_own_after_shutdown() {
    let mut tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", CONFIG);
    tf.set_log(Some("TRACE"));
    let out = tf.run_ok(&["plan", "-input=false", "-no-color"]);
    let log = String::from_utf8_lossy(&out.stderr);
    let starts = log.matches("provider: plugin started").count();
    let exits = log.matches("provider: plugin process exited").count();
    assert!(starts >= 2, "terraform started the provider {starts} times");
    assert_eq!(starts, exits, "every start ends in an exit");
    assert!(
        log.contains("GRPCController.Shutdown received"),
        "provider logs reach terraform"
    );
    assert!(
        !log.contains("plugin failed to exit gracefully"),
        "no forced kill"
    );
    assert!(!log.contains("killed"), "no forced kill");
    // Provider logs arrive as hclog JSON and are levelled by Terraform.
    assert!(
        log.contains("[DEBUG] provider.terraform-provider-todo: received request"),
        "hclog levels"
    );
}

/// go-plugin's client opens `plugin.GRPCStdio/StreamStdio` on every start; a provider without
/// the service made Terraform's debug log say `received EOF, stopping recv loop:
/// err="rpc error: code = Unimplemented ..."` each time. The provider serves the stream now
/// (open, silent, closed at shutdown), so a `TF_LOG=debug` plan has no such line; the provider
/// logs each stream it opens, which shows that go-plugin asked for it.
#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn debug_log_has_no_unimplemented_stdio_stream() {
    let mut tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", CONFIG);
    tf.set_log(Some("DEBUG"));
    let out = tf.run_ok(&["plan", "-input=false", "-no-color"]);
    let log = String::from_utf8_lossy(&out.stderr);
    let starts = log.matches("provider: plugin started").count();
    assert!(starts >= 2, "terraform started the provider {starts} times");
    let unimplemented: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("Unimplemented"))
        .collect();
    assert!(
        unimplemented.is_empty(),
        "Unimplemented in the debug log:\n{}",
        unimplemented.join("\n")
    );
    let stdio_warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("stdio") && line.contains("[WARN]"))
        .collect();
    assert!(
        stdio_warnings.is_empty(),
        "go-plugin warns about stdio:\n{}",
        stdio_warnings.join("\n")
    );
    let streams = log.matches("GRPCStdio.StreamStdio opened").count();
    assert_eq!(
        streams, starts,
        "go-plugin opened the stdio stream at every start"
    );
}
