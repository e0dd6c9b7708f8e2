//! The `sidecar` blocks of `todo_fargate_service`: containers that run beside the application
//! in the same task (a FireLens log router, a metrics or tracing agent, a proxy). Their images
//! are full references from any registry and are not checked; `image_tag` never touches them.
//! Here are their model, schema, expand and flatten sides.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ContainerDefinition, PortMapping, TransportProtocol};
use serde::{Deserialize, Serialize};

use super::containers::{
    ContainerSettings, ContainerSpec, DependencyModel, HealthCheckModel, LinuxParametersModel,
    LogConfigurationModel, UlimitModel, basic_settings_schema, flatten_settings, like_prior,
    runtime_settings_schema,
};
use crate::plugin::validator::Validator;
use crate::plugin::{Attribute, Block, NestedBlock, Type};
use crate::provider::aws_error::CallError;
use crate::provider::validate;

/// The FireLens router types.
pub const FIRELENS_TYPES: [&str; 2] = ["fluentbit", "fluentd"];

/// A `port_mappings` block of a sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PortMappingModel {
    pub container_port: i32,
    pub protocol: Option<String>,
}

/// The `firelens_configuration` block of a sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FirelensModel {
    #[serde(rename = "type")]
    pub kind: String,
    pub options: Option<BTreeMap<String, String>>,
}

/// A `sidecar` block.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SidecarModel {
    pub name: String,
    pub image: String,
    pub essential: Option<bool>,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
    pub environment: Option<BTreeMap<String, String>>,
    pub secrets: Option<BTreeMap<String, String>>,
    pub command: Option<Vec<String>>,
    pub log_group: Option<String>,
    pub log_stream_prefix: Option<String>,
    pub stop_timeout: Option<i32>,
    pub readonly_root_filesystem: Option<bool>,
    pub user: Option<String>,
    pub working_directory: Option<String>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub port_mappings: Vec<PortMappingModel>,
    pub health_check: Option<HealthCheckModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub ulimits: Vec<UlimitModel>,
    pub linux_parameters: Option<LinuxParametersModel>,
    #[serde(default, deserialize_with = "crate::plugin::model::null_as_default")]
    pub container_depends_on: Vec<DependencyModel>,
    pub log_configuration: Option<LogConfigurationModel>,
    pub firelens_configuration: Option<FirelensModel>,
}

impl SidecarModel {
    /// The settings it shares with the application container.
    pub fn settings(&self) -> ContainerSettings {
        ContainerSettings {
            environment: self.environment.clone(),
            secrets: self.secrets.clone(),
            command: self.command.clone(),
            log_group: self.log_group.clone(),
            log_stream_prefix: self.log_stream_prefix.clone(),
            log_configuration: self.log_configuration.clone(),
            health_check: self.health_check.clone(),
            stop_timeout: self.stop_timeout,
            readonly_root_filesystem: self.readonly_root_filesystem,
            user: self.user.clone(),
            working_directory: self.working_directory.clone(),
            ulimits: self.ulimits.clone(),
            linux_parameters: self.linux_parameters.clone(),
            container_depends_on: self.container_depends_on.clone(),
        }
    }

    /// The container definition; `region` is where awslogs writes. A sidecar is not
    /// essential unless it says so (ECS's own default is essential).
    pub fn container_definition(&self, region: &str) -> Result<ContainerDefinition, CallError> {
        let settings = self.settings();
        let port_mappings = self
            .port_mappings
            .iter()
            .map(|p| {
                PortMapping::builder()
                    .container_port(p.container_port)
                    .protocol(TransportProtocol::from(
                        p.protocol.as_deref().unwrap_or("tcp"),
                    ))
                    .build()
            })
            .collect();
        ContainerSpec {
            name: &self.name,
            image: &self.image,
            essential: self.essential.unwrap_or(false),
            cpu: self.cpu,
            memory: self.memory,
            port_mappings,
            firelens: self
                .firelens_configuration
                .as_ref()
                .map(|f| (f.kind.as_str(), f.options.as_ref())),
            settings: &settings,
        }
        .definition(region)
    }
}

/// The sidecars of a task definition: every container but the application's (`app`), in the
/// order ECS reports them. Each is read back the way the prior sidecar of the same name
/// (none on import) wrote it.
pub fn flatten_sidecars(
    containers: &[ContainerDefinition],
    app: &str,
    prior: &[SidecarModel],
) -> Vec<SidecarModel> {
    containers
        .iter()
        .filter(|c| c.name() != Some(app))
        .map(|c| {
            let name = c.name().unwrap_or_default();
            let before = prior.iter().find(|p| p.name == name);
            flatten_sidecar(c, before)
        })
        .collect()
}

fn flatten_sidecar(c: &ContainerDefinition, prior: Option<&SidecarModel>) -> SidecarModel {
    let settings = flatten_settings(c, prior.map(SidecarModel::settings).as_ref());
    let port_mappings = c
        .port_mappings()
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let protocol = p.protocol().map(|t| t.as_str().to_owned());
            let prior_protocol = prior
                .and_then(|s| s.port_mappings.get(i))
                .and_then(|m| m.protocol.as_ref());
            Some(PortMappingModel {
                container_port: p.container_port()?,
                protocol: protocol.filter(|t| !(t == "tcp" && prior_protocol.is_none())),
            })
        })
        .collect();
    let firelens = c.firelens_configuration().map(|f| FirelensModel {
        kind: f.r#type().as_str().to_owned(),
        options: like_prior(
            f.options()
                .map(|o| o.clone().into_iter().collect())
                .unwrap_or_default(),
            prior
                .and_then(|s| s.firelens_configuration.as_ref())
                .and_then(|f| f.options.as_ref()),
        ),
    });
    SidecarModel {
        name: c.name().unwrap_or_default().to_owned(),
        image: c.image().unwrap_or_default().to_owned(),
        essential: c
            .essential()
            .filter(|e| *e || prior.is_some_and(|p| p.essential.is_some())),
        // ECS reports 0 for a container that reserves no CPU units.
        cpu: Some(c.cpu()).filter(|cpu| *cpu != 0 || prior.is_some_and(|p| p.cpu.is_some())),
        memory: c.memory(),
        environment: settings.environment,
        secrets: settings.secrets,
        command: settings.command,
        log_group: settings.log_group,
        log_stream_prefix: settings.log_stream_prefix,
        stop_timeout: settings.stop_timeout,
        readonly_root_filesystem: settings.readonly_root_filesystem,
        user: settings.user,
        working_directory: settings.working_directory,
        port_mappings,
        health_check: settings.health_check,
        ulimits: settings.ulimits,
        linux_parameters: settings.linux_parameters,
        container_depends_on: settings.container_depends_on,
        log_configuration: settings.log_configuration,
        firelens_configuration: firelens,
    }
}

/// The `sidecar` block.
pub fn sidecar_block() -> NestedBlock {
    let block = Block::new(
        "A container that runs beside the application in every task: a FireLens log router, a \
         metrics or tracing agent, a proxy. A change registers a new task definition revision \
         and updates the service in place, like a change to the application's settings; \
         `image_tag` changes only the application's image.",
    )
    .attribute(
        Attribute::required("name", Type::String)
            .validate(validate::container_name())
            .subject("container name")
            .describe("The container name; unique in the task, and not the application's `container_name`."),
    )
    .attribute(
        Attribute::required("image", Type::String)
            .validate(Validator::Length(1, 1024))
            .describe(
                "The full image reference, from any registry, such as \
                 `public.ecr.aws/aws-observability/aws-for-fluent-bit:stable`. It is not \
                 checked before apply.",
            ),
    )
    .attribute(
        Attribute::optional("essential", Type::Bool).describe(
            "Whether the task stops when this container stops (false when unset: the \
             application is the task's essential container).",
        ),
    )
    .attribute(
        Attribute::optional("cpu", Type::Number)
            .validate(Validator::Between(0, 16384))
            .describe("CPU units reserved for the container, out of the task's `cpu`."),
    )
    .attribute(
        Attribute::optional("memory", Type::Number)
            .validate(Validator::Between(6, 122_880))
            .describe("Hard memory limit of the container in MiB, out of the task's `memory`."),
    )
    .block(NestedBlock::list(
        "port_mappings",
        Block::new("A port the container listens on.")
            .attribute(
                Attribute::required("container_port", Type::Number)
                    .validate(Validator::Between(1, 65535))
                    .describe("The port."),
            )
            .attribute(
                Attribute::optional("protocol", Type::String)
                    .validate(Validator::OneOf(&["tcp", "udp"]))
                    .describe("The protocol (`tcp` when unset)."),
            ),
    ))
    .block(NestedBlock::single(
        "firelens_configuration",
        Block::new(
            "Makes this container the task's FireLens log router: containers whose \
             `log_configuration` uses the `awsfirelens` driver send their logs through it.",
        )
        .attribute(
            Attribute::required("type", Type::String)
                .validate(Validator::OneOf(&FIRELENS_TYPES))
                .describe("The router."),
        )
        .attribute(
            Attribute::optional("options", Type::map(Type::String)).describe(
                "The router's options, such as `enable-ecs-log-metadata = \"true\"` or \
                 `config-file-type = \"s3\"`.",
            ),
        ),
    ));
    NestedBlock::list(
        "sidecar",
        runtime_settings_schema(basic_settings_schema(block)),
    )
    .items(0, 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> SidecarModel {
        SidecarModel {
            name: "log_router".into(),
            image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable".into(),
            essential: None,
            cpu: Some(64),
            memory: Some(128),
            environment: None,
            secrets: None,
            command: None,
            log_group: Some("/ecs/router".into()),
            log_stream_prefix: None,
            stop_timeout: None,
            readonly_root_filesystem: None,
            user: None,
            working_directory: None,
            port_mappings: vec![PortMappingModel {
                container_port: 2020,
                protocol: None,
            }],
            health_check: None,
            ulimits: Vec::new(),
            linux_parameters: None,
            container_depends_on: Vec::new(),
            log_configuration: None,
            firelens_configuration: Some(FirelensModel {
                kind: "fluentbit".into(),
                options: Some(BTreeMap::from([(
                    "enable-ecs-log-metadata".into(),
                    "true".into(),
                )])),
            }),
        }
    }

    #[test]
    fn a_sidecar_reads_back_as_written_and_is_not_essential_by_default() {
        let written = router();
        let mut definition = written.container_definition("eu-west-1").unwrap();
        assert_eq!(definition.essential(), Some(false));
        assert_eq!(definition.user(), None);
        // What ECS answers for a FireLens router that names no user (terraform-provider-aws
        // PR #41394).
        definition.user = Some("0".into());
        let app = ContainerDefinition::builder()
            .name("app")
            .image("x:1")
            .build();
        let containers = [app, definition];
        let read = flatten_sidecars(&containers, "app", std::slice::from_ref(&written));
        assert_eq!(read, vec![written.clone()]);
        // Import: no prior state.
        assert_eq!(flatten_sidecars(&containers, "app", &[]), vec![written]);
    }

    #[test]
    fn an_out_of_band_image_change_reads_back() {
        let written = router();
        let mut definition = written.container_definition("eu-west-1").unwrap();
        definition.image = Some("fluent/fluent-bit:3".into());
        let read = flatten_sidecars(&[definition], "app", std::slice::from_ref(&written));
        assert_eq!(read[0].image, "fluent/fluent-bit:3");
    }
}
