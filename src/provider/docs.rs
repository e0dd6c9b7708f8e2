//! The `todo` provider's documentation: the parts a schema cannot carry (example configurations
//! and import instructions) and [`render_all`], which renders the registry pages under `docs/`
//! with [`crate::plugin::docs`].
//!
//! Regenerate the pages with `make docs` (`cargo run --example gen_docs -- docs`); the
//! `docs_up_to_date` test fails while `docs/` differs from what [`render_all`] produces.

use crate::plugin::Provider;
use crate::plugin::docs::{
    ListPage, Page, PageKind, identity_import, render_action_page, render_function_page,
    render_index, render_list_page, render_page,
};

use super::TodoProvider;

/// The provider's local name, as page titles and type name prefixes use it.
pub const PROVIDER_NAME: &str = "todo";

/// The example on the index page: requiring the provider and configuring it.
const INDEX_EXAMPLE: &str = r#"
terraform {
  required_providers {
    todo = {
      source = "todo/todo"
    }
  }
}

# Credentials and region come from the AWS default chain (environment variables, shared
# config and credentials files, SSO, container or instance role) unless set here.
provider "todo" {
  region = "eu-central-1"

  default_tags {
    tags = {
      project = "todo-service"
    }
  }

  # For a local emulator such as ministack or moto:
  # endpoints {
  #   ecr = "http://127.0.0.1:4566"
  #   ecs = "http://127.0.0.1:4566"
  # }
}
"#;

/// What a page needs besides the schema.
struct Extras {
    example: &'static str,
    import: Option<String>,
}

const ECR_REPOSITORY_EXAMPLE: &str = r#"
# The repository lives apart from the deployment: CI pushes an image tagged with the short
# git SHA before any deployment uses it.
resource "todo_ecr_repository" "app" {
  name                 = "todo-service"
  image_tag_mutability = "IMMUTABLE" # a git-SHA tag always names the same image
  keep_images          = 30          # expire all but the 30 newest images
  scan_on_push         = true

  tags = {
    team = "platform"
  }
}

# docker push "$(terraform output -raw repository_url):$(git rev-parse --short HEAD)"
output "repository_url" {
  value = todo_ecr_repository.app.repository_url
}
"#;

const ECS_CLUSTER_EXAMPLE: &str = r#"
resource "todo_ecs_cluster" "main" {
  name               = "todo"
  container_insights = true
}
"#;

const FARGATE_SERVICE_EXAMPLE: &str = r#"
# Deploy a build:   terraform apply -var image_tag=$(git rev-parse --short HEAD)
# Roll back:        terraform apply -var image_tag=<an earlier SHA>
variable "image_tag" {
  description = "The image tag to run: the short git SHA of a build pushed to the repository."
  type        = string
}

resource "todo_ecr_repository" "app" {
  name                 = "todo-service"
  image_tag_mutability = "IMMUTABLE"
  keep_images          = 30
}

resource "todo_ecs_cluster" "main" {
  name = "todo"
}

resource "todo_fargate_service" "app" {
  name           = "todo-service"
  cluster        = todo_ecs_cluster.main.name
  repository_url = todo_ecr_repository.app.repository_url
  image_tag      = var.image_tag

  container_port = 3000
  cpu            = 256
  memory         = 512
  desired_count  = 2

  subnets          = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  security_groups  = ["sg-0123456789abcdef0"]
  assign_public_ip = true

  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  log_group          = "/ecs/todo-service"

  environment = {
    NODE_ENV = "production"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}

# Staging: the application logs through a FireLens router sidecar and runs on FARGATE_SPOT,
# with its first task on FARGATE. A new image_tag moves only the application's image.
resource "todo_fargate_service" "staging" {
  name           = "todo-service-staging"
  cluster        = todo_ecs_cluster.main.name
  repository_url = todo_ecr_repository.app.repository_url
  image_tag      = var.image_tag

  cpu           = 512
  memory        = 1024
  desired_count = 2
  subnets       = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]

  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"

  health_check {
    command  = ["CMD-SHELL", "wget -qO- http://localhost:3000/health || exit 1"]
    interval = 15
  }
  log_configuration {
    log_driver = "awsfirelens"
    options    = { Name = "cloudwatch_logs", region = "eu-central-1", log_group_name = "/ecs/todo-service-staging", log_stream_prefix = "app/" }
  }
  container_depends_on {
    container_name = "log_router"
    condition      = "START"
  }

  sidecar {
    name      = "log_router"
    image     = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    essential = true
    cpu       = 64
    memory    = 128
    log_group = "/ecs/todo-service-staging/firelens"
    firelens_configuration {
      type    = "fluentbit"
      options = { enable-ecs-log-metadata = "true" }
    }
  }

  capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = 1
  }
  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
}
"#;

const ECR_IMAGE_EXAMPLE: &str = r#"
variable "image_tag" {
  description = "The image tag to deploy: the short git SHA of a pushed build."
  type        = string
}

# Fails the plan when no image with this tag was pushed to the repository.
data "todo_ecr_image" "release" {
  repository_name = "todo-service"
  image_tag       = var.image_tag
}

output "image_uri" {
  value = data.todo_ecr_image.release.image_uri # <repository_url>@sha256:...
}
"#;

const ECR_AUTHORIZATION_TOKEN_EXAMPLE: &str = r#"
# A registry login that never reaches the state or a plan file: Terraform opens it in every
# plan and apply, and forgets it when the run ends.
ephemeral "todo_ecr_authorization_token" "ecr" {}

# `docker login` for the pushes that follow, in place of `aws ecr get-login-password`.
resource "terraform_data" "docker_login" {
  triggers_replace = [timestamp()]

  provisioner "local-exec" {
    command = "printf '%s' \"$PASSWORD\" | docker login --username \"$USER_NAME\" --password-stdin \"$REGISTRY\""
    environment = {
      REGISTRY  = ephemeral.todo_ecr_authorization_token.ecr.proxy_endpoint
      USER_NAME = ephemeral.todo_ecr_authorization_token.ecr.user_name
      PASSWORD  = ephemeral.todo_ecr_authorization_token.ecr.password
    }
  }
}

# The same login can configure a provider, for instance the Docker provider's registry
# credentials.
provider "docker" {
  registry_auth {
    address  = trimprefix(ephemeral.todo_ecr_authorization_token.ecr.proxy_endpoint, "https://")
    username = ephemeral.todo_ecr_authorization_token.ecr.user_name
    password = ephemeral.todo_ecr_authorization_token.ecr.password
  }
}
"#;

/// The Import section of a resource page: `how` the ID is formed, an `import` block and the
/// `terraform import` command for `address` and `id`, then `notes`.
fn import_section(how: &str, address: &str, id: &str, notes: &str) -> String {
    format!(
        "\n{how} With Terraform 1.5 or later, use an `import` block:\n\n```terraform\nimport {{\n  \
         to = {address}\n  id = \"{id}\"\n}}\n```\n\nOr the `terraform import` command:\n\n```shell\n\
         terraform import {address} {id}\n```\n{notes}"
    )
}

/// The example and import text of a resource type; `None` for a type without hand-written
/// documentation.
fn resource_extras(type_name: &str) -> Option<Extras> {
    let (example, import) = match type_name {
        "todo_ecr_repository" => (
            ECR_REPOSITORY_EXAMPLE,
            import_section(
                "Import a repository by its name.",
                "todo_ecr_repository.app",
                "todo-service",
                "\n`force_delete` is a setting of this provider, not of ECR: it is `false` after an \
                 import until\nan apply records the configured value.\n",
            ),
        ),
        "todo_ecs_cluster" => (
            ECS_CLUSTER_EXAMPLE,
            import_section(
                "Import a cluster by its name.",
                "todo_ecs_cluster.main",
                "todo",
                "",
            ),
        ),
        "todo_fargate_service" => (
            FARGATE_SERVICE_EXAMPLE,
            import_section(
                "Import a service by `<cluster>/<service>`, with the cluster written as in the \
                 configuration's\n`cluster` (its name, or its ARN).",
                "todo_fargate_service.app",
                "todo/todo-service",
                "\nThe state is rebuilt from the service and its task definition, including \
                 `repository_url` and\n`image_tag` split from the container image. A \
                 `deployment_circuit_breaker` block with the\ndefault setting (enabled, with \
                 rollback) is read as absent: leave it out of the configuration\nfor an empty \
                 plan right after import. An import by identity (below) records `cluster` as the \
                 cluster's\nname: configure it by name, since a cluster ARN in the configuration \
                 would then replace the\nservice.\n",
            ),
        ),
        _ => return None,
    };
    Some(Extras {
        example,
        import: Some(import),
    })
}

/// The address and the `identity` object body of a resource type's import-by-identity example.
fn identity_example(type_name: &str) -> Option<(&'static str, &'static str)> {
    match type_name {
        "todo_ecr_repository" => Some(("todo_ecr_repository.app", "name = \"todo-service\"")),
        "todo_ecs_cluster" => Some(("todo_ecs_cluster.main", "name = \"todo\"")),
        "todo_fargate_service" => Some((
            "todo_fargate_service.app",
            "cluster = \"todo\" # the cluster's name, also for a cluster configured by ARN\n\
             name    = \"todo-service\"",
        )),
        _ => None,
    }
}

/// The example `.tfquery.hcl` of a list resource type; `None` for a type without one.
fn list_example(type_name: &str) -> Option<&'static str> {
    match type_name {
        "todo_ecr_repository" => Some(
            r#"
# repositories.tfquery.hcl: `terraform query` lists the repositories named todo-*.
list "todo_ecr_repository" "todo" {
  provider = todo

  config {
    name_prefix = "todo-"
  }
}
"#,
        ),
        "todo_ecs_cluster" => Some(
            r#"
# clusters.tfquery.hcl: every cluster of the provider's account and region.
list "todo_ecs_cluster" "all" {
  provider = todo
  limit    = 50
}
"#,
        ),
        "todo_fargate_service" => Some(
            r#"
# services.tfquery.hcl: the services of the cluster "todo", adopted with
#   terraform query -generate-config-out=services.tf && terraform apply
list "todo_fargate_service" "todo" {
  provider         = todo
  include_resource = true

  config {
    cluster     = "todo"
    name_prefix = "todo-"
  }
}
"#,
        ),
        _ => None,
    }
}

/// The example of a data source type; `None` for a type without hand-written documentation.
fn data_source_extras(type_name: &str) -> Option<Extras> {
    match type_name {
        "todo_ecr_image" => Some(Extras {
            example: ECR_IMAGE_EXAMPLE,
            import: None,
        }),
        _ => None,
    }
}

/// The example of an ephemeral resource type; `None` for a type without hand-written
/// documentation.
fn ephemeral_resource_extras(type_name: &str) -> Option<Extras> {
    match type_name {
        "todo_ecr_authorization_token" => Some(Extras {
            example: ECR_AUTHORIZATION_TOKEN_EXAMPLE,
            import: None,
        }),
        _ => None,
    }
}

/// The page path of a type under `docs/`, such as `resources/ecr_repository.md`.
fn page_path(kind: PageKind, type_name: &str) -> String {
    let prefix = format!("{PROVIDER_NAME}_");
    let short = type_name.strip_prefix(&prefix).unwrap_or(type_name);
    format!("{}/{short}.md", kind.directory())
}

/// Renders one type's page; a type without hand-written extras gets a bare example.
fn render_type(
    kind: PageKind,
    type_name: &str,
    schema: &crate::plugin::Schema,
    extras: Option<Extras>,
) -> (String, String) {
    let keyword = kind.keyword();
    let fallback = format!("{keyword} \"{type_name}\" \"example\" {{\n}}");
    let (example, import) = match &extras {
        Some(extras) => (extras.example, extras.import.as_deref()),
        None => (fallback.as_str(), None),
    };
    let content = render_page(&Page {
        provider: PROVIDER_NAME,
        kind,
        type_name,
        schema,
        example,
        import,
    });
    (page_path(kind, type_name), content)
}

/// Every documentation page of the provider, as (path relative to `docs/`, Markdown content):
/// `index.md`, then `resources/<name>.md` for each resource, `data-sources/<name>.md` for each
/// data source, `ephemeral-resources/<name>.md` for each ephemeral resource and
/// `functions/<name>.md` for each function, in the order the provider lists them.
pub fn render_all() -> Vec<(String, String)> {
    let provider = TodoProvider::new();
    let mut pages = vec![(
        "index.md".to_owned(),
        render_index(PROVIDER_NAME, &provider.schema(), INDEX_EXAMPLE),
    )];
    for resource in provider.resources() {
        let type_name = resource.type_name();
        let mut extras = resource_extras(type_name);
        if let (Some(extras), Some(schema), Some((address, identity))) = (
            extras.as_mut(),
            resource.identity_schema(),
            identity_example(type_name),
        ) {
            let by_identity = identity_import(&schema, address, identity);
            extras.import = Some(format!(
                "{}\n{by_identity}",
                extras.import.take().unwrap_or_default()
            ));
        }
        pages.push(render_type(
            PageKind::Resource,
            type_name,
            &resource.schema(),
            extras,
        ));
    }
    for data_source in provider.data_sources() {
        let type_name = data_source.type_name();
        pages.push(render_type(
            PageKind::DataSource,
            type_name,
            &data_source.schema(),
            data_source_extras(type_name),
        ));
    }
    for ephemeral in provider.ephemeral_resources() {
        let type_name = ephemeral.type_name();
        pages.push(render_type(
            PageKind::EphemeralResource,
            type_name,
            &ephemeral.schema(),
            ephemeral_resource_extras(type_name),
        ));
    }
    let identities: Vec<_> = provider
        .resources()
        .iter()
        .map(|r| (r.type_name(), r.identity_schema()))
        .collect();
    for list in provider.list_resources() {
        let type_name = list.type_name();
        let identity = identities
            .iter()
            .find(|(name, _)| *name == type_name)
            .and_then(|(_, identity)| identity.as_ref());
        let fallback = format!("list \"{type_name}\" \"example\" {{\n  provider = todo\n}}");
        let content = render_list_page(&ListPage {
            provider: PROVIDER_NAME,
            type_name,
            schema: &list.schema(),
            identity,
            example: list_example(type_name).unwrap_or(&fallback),
        });
        let short = type_name
            .strip_prefix(&format!("{PROVIDER_NAME}_"))
            .unwrap_or(type_name);
        pages.push((format!("list-resources/{short}.md"), content));
    }
    for function in provider.functions() {
        let name = function.name();
        let example = function_example(name);
        pages.push((
            format!("functions/{name}.md"),
            render_function_page(PROVIDER_NAME, function.as_ref(), example),
        ));
    }
    for action in provider.actions() {
        let type_name = action.type_name();
        let short = type_name
            .strip_prefix(&format!("{PROVIDER_NAME}_"))
            .unwrap_or(type_name);
        pages.push((
            format!("actions/{short}.md"),
            render_action_page(PROVIDER_NAME, action.as_ref(), action_example(type_name)),
        ));
    }
    pages
}

/// The hand-written example of an action's page.
fn action_example(type_name: &str) -> &'static str {
    match type_name {
        "todo_fargate_service_redeploy" => FARGATE_SERVICE_REDEPLOY_EXAMPLE,
        _ => "",
    }
}

const FARGATE_SERVICE_REDEPLOY_EXAMPLE: &str = r#"
# Pick up a rotated secret without a new image tag:
#   terraform apply -invoke=action.todo_fargate_service_redeploy.app
action "todo_fargate_service_redeploy" "app" {
  config {
    cluster = todo_ecs_cluster.main.name
    service = todo_fargate_service.app.name
    timeout = "30m"
  }
}

# Or redeploy whenever the secret's version changes in the same apply.
resource "terraform_data" "db_password_version" {
  input = aws_secretsmanager_secret_version.db_password.version_id

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.todo_fargate_service_redeploy.app]
    }
  }
}
"#;

/// The hand-written example of a function's page.
fn function_example(name: &str) -> &'static str {
    match name {
        "image_uri" => {
            r#"output "image" {
  # "123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service:3f2a1bc"
  value = provider::todo::image_uri(todo_ecr_repository.app.repository_url, var.image_tag)
}"#
        }
        "parse_image_uri" => {
            r#"locals {
  running = provider::todo::parse_image_uri(todo_fargate_service.app.image)
}

output "running_tag" {
  value = local.running.tag # "3f2a1bc"; local.running.digest is null
}"#
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Schema;

    #[test]
    fn every_type_has_a_page_with_a_hand_written_example() {
        let provider = TodoProvider::new();
        for resource in provider.resources() {
            assert!(
                resource_extras(resource.type_name()).is_some(),
                "{} has no example in src/provider/docs.rs",
                resource.type_name()
            );
        }
        for data_source in provider.data_sources() {
            assert!(
                data_source_extras(data_source.type_name()).is_some(),
                "{} has no example in src/provider/docs.rs",
                data_source.type_name()
            );
        }
        for ephemeral in provider.ephemeral_resources() {
            assert!(
                ephemeral_resource_extras(ephemeral.type_name()).is_some(),
                "{} has no example in src/provider/docs.rs",
                ephemeral.type_name()
            );
        }
        for list in provider.list_resources() {
            assert!(
                list_example(list.type_name()).is_some(),
                "list resource {} has no example in src/provider/docs.rs",
                list.type_name()
            );
        }
        for function in provider.functions() {
            assert!(
                !function_example(function.name()).is_empty(),
                "function {} has no example in src/provider/docs.rs",
                function.name()
            );
        }
        for action in provider.actions() {
            assert!(
                !action_example(action.type_name()).is_empty(),
                "action {} has no example in src/provider/docs.rs",
                action.type_name()
            );
        }
        let paths: Vec<String> = render_all().into_iter().map(|(path, _)| path).collect();
        assert_eq!(
            paths,
            [
                "index.md",
                "resources/ecr_repository.md",
                "resources/ecs_cluster.md",
                "resources/fargate_service.md",
                "data-sources/ecr_image.md",
                "ephemeral-resources/ecr_authorization_token.md",
                "list-resources/ecr_repository.md",
                "list-resources/ecs_cluster.md",
                "list-resources/fargate_service.md",
                "functions/image_uri.md",
                "functions/parse_image_uri.md",
                "actions/fargate_service_redeploy.md",
            ]
        );
    }

    #[test]
    fn pages_carry_the_workflow_and_import_instructions() {
        let pages = render_all();
        let page = |path: &str| {
            pages
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, content)| content.clone())
                .unwrap_or_default()
        };
        let index = page("index.md");
        assert!(index.contains("source = \"todo/todo\""));
        assert!(index.contains("page_title: \"todo Provider\""));

        let repository = page("resources/ecr_repository.md");
        assert!(repository.contains("page_title: \"todo_ecr_repository Resource - todo\""));
        assert!(repository.contains("image_tag_mutability = \"IMMUTABLE\""));
        assert!(repository.contains("keep_images          = 30"));
        assert!(repository.contains("terraform import todo_ecr_repository.app todo-service"));
        assert!(repository.contains("import {\n  to = todo_ecr_repository.app"));

        let service = page("resources/fargate_service.md");
        assert!(service.contains("image_tag      = var.image_tag"));
        assert!(service.contains("repository_url = todo_ecr_repository.app.repository_url"));
        assert!(service.contains("terraform import todo_fargate_service.app todo/todo-service"));

        let cluster = page("resources/ecs_cluster.md");
        assert!(cluster.contains("terraform import todo_ecs_cluster.main todo"));
        assert!(
            cluster.contains("identity = {\n    name = \"todo\"\n  }"),
            "{cluster}"
        );
        assert!(service.contains("- `cluster` (String, Required) The name of the service's"));
        assert!(repository.contains("- `account_id` (String, Optional) The AWS account"));

        let image = page("data-sources/ecr_image.md");
        assert!(image.contains("page_title: \"todo_ecr_image Data Source - todo\""));
        assert!(image.contains("image_tag       = var.image_tag"));
        assert!(!image.contains("## Import"));

        let token = page("ephemeral-resources/ecr_authorization_token.md");
        assert!(
            token
                .contains("page_title: \"todo_ecr_authorization_token Ephemeral Resource - todo\"")
        );
        assert!(token.contains("ephemeral \"todo_ecr_authorization_token\" \"ecr\" {}"));
        assert!(token.contains("docker login --username"));
        assert!(token.contains("- `password` (String, Sensitive)"));
        assert!(!token.contains("## Import"));
        let redeploy = page("actions/fargate_service_redeploy.md");
        assert!(redeploy.contains("page_title: \"todo_fargate_service_redeploy Action - todo\""));
        assert!(redeploy.contains("# todo_fargate_service_redeploy (Action)"));
        assert!(redeploy.contains("-invoke=action.todo_fargate_service_redeploy.app"));
        assert!(redeploy.contains("events  = [after_update]"));
        assert!(redeploy.contains("- `wait_for_steady_state` (Bool, Optional)"));
        assert!(!redeploy.contains("## Attribute Reference"));
    }

    /// The attributes and blocks an example sets directly inside `<keyword> "<type_name>"`
    /// blocks (two-space indentation, as `terraform fmt` writes it).
    fn example_arguments(example: &str, keyword: &str, type_name: &str) -> Vec<String> {
        let opening = format!("{keyword} \"{type_name}\" ");
        let mut inside = false;
        let mut names = Vec::new();
        for line in example.lines() {
            if line.starts_with(&opening) {
                // `{}` on the opening line: a block that sets nothing.
                inside = !line.ends_with("{}");
            } else if line == "}" {
                inside = false;
            } else if inside
                && let Some(rest) = line.strip_prefix("  ")
                && !rest.starts_with([' ', '#', '}'])
                && let Some(name) = rest.split([' ', '=', '{']).next()
                && !name.is_empty()
            {
                names.push(name.to_owned());
            }
        }
        names
    }

    fn assert_example_matches(example: &str, keyword: &str, type_name: &str, schema: &Schema) {
        let names = example_arguments(example, keyword, type_name);
        assert!(
            !names.is_empty(),
            "no {type_name} block found in its example"
        );
        assert_settable(&names, type_name, schema);
    }

    /// Panics unless every one of `names` is an argument or block of `schema`.
    fn assert_settable(names: &[String], type_name: &str, schema: &Schema) {
        for name in names {
            let settable = schema
                .block
                .find_attribute(name)
                .is_some_and(|a| a.mode != crate::plugin::schema::AttributeMode::Computed)
                || schema.block.find_block(name).is_some();
            assert!(
                settable,
                "the {type_name} example sets {name:?}, which the schema has no argument for"
            );
        }
    }

    #[test]
    fn examples_only_set_arguments_the_schemas_have() {
        let provider = TodoProvider::new();
        let examples = [
            ECR_REPOSITORY_EXAMPLE,
            ECS_CLUSTER_EXAMPLE,
            FARGATE_SERVICE_EXAMPLE,
        ];
        for resource in provider.resources() {
            let type_name = resource.type_name();
            let schema = resource.schema();
            // Each resource's own example, and every other example that uses the resource.
            for example in examples {
                if example.contains(&format!("resource \"{type_name}\" ")) {
                    assert_example_matches(example, "resource", type_name, &schema);
                }
            }
        }
        for data_source in provider.data_sources() {
            let type_name = data_source.type_name();
            if let Some(extras) = data_source_extras(type_name) {
                assert_example_matches(extras.example, "data", type_name, &data_source.schema());
            }
        }
        for ephemeral in provider.ephemeral_resources() {
            let type_name = ephemeral.type_name();
            if let Some(extras) = ephemeral_resource_extras(type_name) {
                assert!(
                    extras
                        .example
                        .contains(&format!("ephemeral \"{type_name}\" ")),
                    "no {type_name} block found in its example"
                );
                // Its block may set nothing (`{}`): check what it sets, if anything.
                let names = example_arguments(extras.example, "ephemeral", type_name);
                assert_settable(&names, type_name, &ephemeral.schema());
            }
        }
        assert_example_matches(INDEX_EXAMPLE, "provider", "todo", &provider.schema());
    }
}
