//! The schema of `todo_fargate_service`: every attribute once, with its default, its
//! validators and what it means. The docs generator adds defaults, "forces a new resource" and
//! the validators' rules to the descriptions, so the descriptions do not repeat them.

use super::containers::{basic_settings_schema, runtime_settings_schema};
use super::sidecar::sidecar_block;
use super::strategy::{launch_type_attribute, strategy_block};
use crate::plugin::validator::Validator;
use crate::plugin::{Attribute, AttributePath, Block, NestedBlock, Schema, Type, Value};
use crate::provider::ecr_image;
use crate::provider::{tags, validate};

/// Fargate's task CPU sizes.
pub const FARGATE_CPU: [i64; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// The container name when the configuration sets none; also the log stream prefix then.
pub const DEFAULT_CONTAINER_NAME: &str = "app";

/// The CPU architecture when the configuration sets none, and what ECS runs when a task
/// definition names no runtime platform.
pub const DEFAULT_CPU_ARCHITECTURE: &str = "X86_64";

/// Whether apply waits for the rollout when the configuration does not say.
pub const DEFAULT_WAIT_FOR_STEADY_STATE: bool = true;

/// The schema version: 1 added `family` (states at version 0 get `family = name`, the family
/// those versions registered revisions in).
pub const SCHEMA_VERSION: i64 = 1;

/// The path of `image_tag`, where image and rollout errors point.
pub fn image_tag_path() -> AttributePath {
    AttributePath::root("image_tag")
}

fn computed(name: &str, ty: Type, text: &str) -> Attribute {
    Attribute::computed(name, ty).describe(text)
}

fn number(n: i64) -> Value {
    Value::from(n)
}

/// Checks a repository URL: a repository without scheme, tag or digest.
pub fn check_repository_url(url: &str) -> Result<(), String> {
    let has_reference = url.contains('@')
        || url
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
    if url.is_empty() || url.contains("://") || url.contains(char::is_whitespace) || has_reference {
        Err(format!(
            "{url:?} must be a repository without scheme, tag or digest, such as \
             123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service; set the tag in \
             image_tag."
        ))
    } else {
        Ok(())
    }
}

/// The `todo_fargate_service` schema.
pub fn schema() -> Schema {
    let block = Block::new(
            "An ECS Fargate service whose application container's image is \
             `<repository_url>:<image_tag>`, with optional `sidecar` containers beside it. Pass \
             the image tag at apply time \
             (`terraform apply -var image_tag=$(git rev-parse --short HEAD)`): a new tag rolls the \
             service forward in place, an older tag rolls it back, and a tag that was never pushed \
             is refused before anything changes. The application container's settings are the \
             top-level attributes and blocks (`environment`, `health_check`, `ulimits`, ...).",
        )
        .attribute(computed("id", Type::String, "The service ARN.").stable())
        .attribute(
            Attribute::required("name", Type::String)
                .requires_replace()
                .validate(validate::ecs_name())
                .subject("service name")
                .describe("Service name."),
        )
        .attribute(
            Attribute::optional_computed("family", Type::String)
                .stable()
                .validate(validate::ecs_name())
                .subject("task definition family")
                .describe(
                    "The task definition family the service's revisions are registered in. \
                     Defaults to `<cluster name>-<name>`, so that services of the same name in \
                     different clusters (staging and prod) never share a family; an imported \
                     service keeps the family it runs. Destroy deregisters only the revisions \
                     this resource registered, never other revisions of the family.",
                ),
        )
        .attribute(
            Attribute::required("cluster", Type::String)
                .requires_replace()
                .validate(validate::cluster_reference())
                .describe("Cluster name or ARN."),
        )
        .attribute(
            Attribute::required("repository_url", Type::String)
                .validate(Validator::custom(
                    "A repository without scheme, tag or digest.",
                    check_repository_url,
                ))
                .subject("repository URL")
                .describe("The image repository, normally `todo_ecr_repository.<name>.repository_url`."),
        )
        .attribute(
            Attribute::required("image_tag", Type::String)
                .validate(ecr_image::image_tag())
                .subject("image tag")
                .describe(
                    "The image tag the application container runs, such as the short git SHA. \
                     Changing it rolls the service to a new task definition revision in place; \
                     the sidecars' images do not change.",
                ),
        )
        .attribute(
            Attribute::optional("pin_digest", Type::Bool)
                .default(Value::Bool(false))
                .describe(
                    "Run `<repository_url>@<digest>`: the tag is resolved to its digest and recorded, \
                     so a later push to a mutable tag cannot change what runs; a moved tag shows as \
                     a change in the next plan.",
                ),
        )
        .attribute(computed(
            "image",
            Type::String,
            "The image the task definition runs: `<repository_url>:<image_tag>`, or \
             `<repository_url>@<digest>` with `pin_digest`.",
        ))
        .attribute(computed(
            "image_digest",
            Type::String,
            "With `pin_digest`, the digest that `image_tag` resolved to.",
        ))
        .attribute(
            Attribute::optional("container_name", Type::String)
                .default(Value::from(DEFAULT_CONTAINER_NAME))
                .validate(validate::container_name())
                .describe("The container name."),
        )
        .attribute(
            Attribute::optional("container_port", Type::Number)
                .default(number(3000))
                .validate(Validator::Between(1, 65535))
                .describe("The port the container listens on."),
        )
        .attribute(
            Attribute::optional("cpu", Type::Number)
                .default(number(256))
                .validate(Validator::OneOfNumbers(&FARGATE_CPU))
                .subject("Fargate cpu")
                .describe("Task CPU units."),
        )
        .attribute(
            Attribute::optional("memory", Type::Number)
                .default(number(512))
                .validate(Validator::Between(512, 122_880))
                .describe("Task memory in MiB; must be valid for `cpu` on Fargate."),
        )
        .attribute(
            Attribute::optional("cpu_architecture", Type::String)
                .default(Value::from(DEFAULT_CPU_ARCHITECTURE))
                .validate(Validator::OneOf(&["X86_64", "ARM64"]))
                .describe("The CPU architecture: must match the image's platform."),
        )
        .attribute(
            Attribute::optional("execution_role_arn", Type::String)
                .validate(Validator::Arn(&["iam"]))
                .describe("Role ECS uses to pull the image, write logs and read secrets."),
        )
        .attribute(
            Attribute::optional("task_role_arn", Type::String)
                .validate(Validator::Arn(&["iam"]))
                .describe("Role the application's AWS calls use."),
        )
        .attribute(
            Attribute::optional("desired_count", Type::Number)
                .default(number(1))
                .validate(Validator::Between(0, 10_000))
                .describe("How many tasks to run. Updated in place."),
        )
        .attribute(
            Attribute::required("subnets", Type::set(Type::String))
                .validate(Validator::MinItems(1))
                .describe("Subnet IDs for the tasks' network interfaces."),
        )
        .attribute(
            Attribute::optional("security_groups", Type::set(Type::String))
                .describe("Security group IDs for the tasks."),
        )
        .attribute(
            Attribute::optional("assign_public_ip", Type::Bool)
                .default(Value::Bool(false))
                .describe("Give tasks a public IP (needed in public subnets without NAT)."),
        )
        .attribute(
            Attribute::optional("health_check_grace_period_seconds", Type::Number)
                .validate(Validator::Between(0, 2_147_483_647))
                .describe("Seconds to ignore failing load balancer health checks after a task starts."),
        )
        .attribute(
            Attribute::optional("deployment_minimum_healthy_percent", Type::Number)
                .default(number(100))
                .validate(Validator::Between(0, 100))
                .describe("Lower bound of running tasks during a deployment, in percent of `desired_count`."),
        )
        .attribute(
            Attribute::optional("deployment_maximum_percent", Type::Number)
                .default(number(200))
                .validate(Validator::Between(100, 200))
                .describe("Upper bound of tasks during a deployment, in percent of `desired_count`."),
        )
        .attribute(
            Attribute::optional("propagate_tags", Type::String)
                .default(Value::from("SERVICE"))
                .validate(Validator::OneOf(&["SERVICE", "TASK_DEFINITION", "NONE"]))
                .describe("Where tasks copy their tags from."),
        )
        .attribute(
            Attribute::optional("enable_execute_command", Type::Bool)
                .default(Value::Bool(false))
                .describe("Allow `aws ecs execute-command` into the tasks."),
        )
        .attribute(
            Attribute::optional("platform_version", Type::String)
                .default(Value::from("LATEST"))
                .validate(Validator::Pattern {
                    regex: r"^(LATEST|[0-9]+\.[0-9]+\.[0-9]+)$",
                    meaning: "`LATEST` or a version such as `1.4.0`",
                })
                .describe("Fargate platform version."),
        )
        .attribute(
            Attribute::optional("wait_for_steady_state", Type::Bool)
                .default(Value::Bool(DEFAULT_WAIT_FOR_STEADY_STATE))
                .describe(
                    "Wait until the deployment's rollout is COMPLETED. A rollout the circuit breaker \
                     stops fails the apply with ECS's reason.",
                ),
        )
        .attribute(tags::tags_attribute("Tags for the service and its task definitions."))
        .attribute(tags::tags_all_attribute("The tags including the provider's `default_tags`."))
        .attribute(computed("arn", Type::String, "The service ARN.").stable())
        .attribute(computed("task_definition_arn", Type::String, "The task definition revision the service runs."))
        .attribute(computed("task_definition_revision", Type::Number, "The revision number of that task definition."))
        .block(NestedBlock::single(
            "load_balancer",
            Block::new("Registers the container (`container_name`:`container_port`) with a load balancer target group.")
                .attribute(
                    Attribute::required("target_group_arn", Type::String)
                        .validate(Validator::Arn(&["elasticloadbalancing"]))
                        .subject("target group ARN")
                        .describe("The target group ARN."),
                ),
        ))
        .block(NestedBlock::single(
            "deployment_circuit_breaker",
            Block::new(
                "Stops a deployment whose tasks keep failing, and rolls back to the last working \
                 revision. Without this block: enabled, with rollback.",
            )
            .attribute(Attribute::required("enable", Type::Bool).describe("Enable the circuit breaker."))
            .attribute(Attribute::required("rollback", Type::Bool).describe("Roll back a failed deployment.")),
        ))
        .block(NestedBlock::single(
            "timeouts",
            Block::new("How long to wait (20 minutes each when unset).")
                .attribute(timeout("create", "For create."))
                .attribute(timeout("update", "For update."))
                .attribute(timeout("delete", "For delete.")),
        ))
        .block(NestedBlock::single(
            "ephemeral_storage",
            Block::new("The task's ephemeral storage (20 GiB when unset), shared by its containers.")
                .attribute(
                    Attribute::required("size_in_gib", Type::Number)
                        .validate(Validator::Between(21, 200))
                        .describe("The size in GiB."),
                ),
        ))
        .block(sidecar_block())
        .block(strategy_block())
        .attribute(launch_type_attribute());
    Schema::new(runtime_settings_schema(basic_settings_schema(block))).with_version(SCHEMA_VERSION)
}

/// The family a new service's revisions go into when the configuration names none:
/// `<cluster name>-<service name>` (the cluster given by name or ARN), at most 255 characters.
pub fn default_family(cluster: &str, name: &str) -> String {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    let mut family = format!("{cluster}-{name}");
    family.truncate(255);
    family
}

fn timeout(name: &str, text: &str) -> Attribute {
    Attribute::optional(name, Type::String)
        .validate(Validator::Duration)
        .subject("duration")
        .describe(text)
}
