//! Unit tests of the container settings: what the expand side writes reads back as the
//! configuration wrote it, with ECS's defaults and additions (a FireLens router's root user)
//! read back as unset; and the schema's limits.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    ContainerDefinition, FirelensConfiguration, FirelensConfigurationType, HealthCheck,
};

use super::containers::*;
use crate::plugin::{Block, Value};

fn settings() -> ContainerSettings {
    ContainerSettings {
        health_check: Some(HealthCheckModel {
            command: vec!["CMD-SHELL".into(), "true".into()],
            interval: Some(10),
            timeout: None,
            retries: None,
            start_period: None,
        }),
        stop_timeout: Some(20),
        readonly_root_filesystem: Some(true),
        user: Some("1000".into()),
        working_directory: Some("/app".into()),
        ulimits: vec![UlimitModel {
            name: "nofile".into(),
            soft_limit: 1024,
            hard_limit: 4096,
        }],
        linux_parameters: Some(LinuxParametersModel {
            init_process_enabled: Some(true),
        }),
        container_depends_on: vec![DependencyModel {
            container_name: "log_router".into(),
            condition: "START".into(),
        }],
        log_configuration: Some(LogConfigurationModel {
            log_driver: "awsfirelens".into(),
            options: Some(BTreeMap::from([("Name".into(), "cloudwatch".into())])),
        }),
        ..ContainerSettings::default()
    }
}

#[test]
fn settings_read_back_as_written() {
    let written = settings();
    let spec = ContainerSpec {
        name: "app",
        image: "x:1",
        essential: true,
        cpu: None,
        memory: None,
        port_mappings: Vec::new(),
        firelens: None,
        settings: &written,
    };
    let definition = spec.definition("eu-west-1").unwrap();
    assert_eq!(flatten_settings(&definition, Some(&written)), written);
    // On import (no prior state) too.
    assert_eq!(flatten_settings(&definition, None), written);
}

#[test]
fn defaults_ecs_fills_in_read_back_as_unset() {
    let written = ContainerSettings {
        health_check: Some(HealthCheckModel {
            command: vec!["CMD".into(), "true".into()],
            interval: None,
            timeout: None,
            retries: None,
            start_period: None,
        }),
        ..ContainerSettings::default()
    };
    // What real ECS answers: the defaults filled in.
    let reported = ContainerDefinition::builder()
        .name("app")
        .health_check(
            HealthCheck::builder()
                .command("CMD")
                .command("true")
                .interval(30)
                .timeout(5)
                .retries(3)
                .build()
                .unwrap(),
        )
        .readonly_root_filesystem(false)
        .build();
    assert_eq!(flatten_settings(&reported, Some(&written)), written);
    // A changed interval is drift.
    let drifted = ContainerDefinition::builder()
        .name("app")
        .health_check(
            HealthCheck::builder()
                .command("CMD")
                .command("true")
                .interval(60)
                .build()
                .unwrap(),
        )
        .build();
    let read = flatten_settings(&drifted, Some(&written));
    assert_eq!(read.health_check.and_then(|h| h.interval), Some(60));
}

#[test]
fn awslogs_reads_back_as_log_group_unless_written_as_a_block() {
    let as_group = ContainerSettings {
        log_group: Some("/ecs/todo".into()),
        ..ContainerSettings::default()
    };
    let spec = ContainerSpec {
        name: "app",
        image: "x:1",
        essential: true,
        cpu: None,
        memory: None,
        port_mappings: Vec::new(),
        firelens: None,
        settings: &as_group,
    };
    let definition = spec.definition("eu-west-1").unwrap();
    assert_eq!(flatten_settings(&definition, Some(&as_group)), as_group);
    let as_block = ContainerSettings {
        log_configuration: Some(LogConfigurationModel {
            log_driver: "awslogs".into(),
            options: Some(BTreeMap::from([
                ("awslogs-group".into(), "/ecs/todo".into()),
                ("awslogs-region".into(), "eu-west-1".into()),
                ("awslogs-stream-prefix".into(), "app".into()),
            ])),
        }),
        ..ContainerSettings::default()
    };
    assert_eq!(flatten_settings(&definition, Some(&as_block)), as_block);
}

#[test]
fn an_explicit_default_ecs_leaves_out_reads_back_as_written() {
    let written = ContainerSettings {
        health_check: Some(HealthCheckModel {
            command: vec!["CMD".into(), "true".into()],
            interval: None,
            timeout: None,
            retries: None,
            start_period: Some(0),
        }),
        readonly_root_filesystem: Some(false),
        ..ContainerSettings::default()
    };
    // ECS leaves the zero start period and the false flag out of its answer.
    let reported = ContainerDefinition::builder()
        .name("app")
        .health_check(
            HealthCheck::builder()
                .command("CMD")
                .command("true")
                .build()
                .unwrap(),
        )
        .build();
    assert_eq!(flatten_settings(&reported, Some(&written)), written);
    // Nothing written, nothing read.
    let unset = flatten_settings(&reported, None);
    assert_eq!(unset.health_check.and_then(|h| h.start_period), None);
    assert_eq!(unset.readonly_root_filesystem, None);
}

#[test]
fn the_root_user_ecs_gives_a_firelens_router_reads_back_as_unset() {
    let written = ContainerSettings::default();
    let router = |user: &str| {
        ContainerDefinition::builder()
            .name("log_router")
            .user(user)
            .firelens_configuration(
                FirelensConfiguration::builder()
                    .r#type(FirelensConfigurationType::Fluentbit)
                    .build()
                    .unwrap(),
            )
            .build()
    };
    assert_eq!(flatten_settings(&router("0"), Some(&written)), written);
    assert_eq!(flatten_settings(&router("0"), None).user, None);
    // Written as "0", it stays; another user is drift.
    let as_root = ContainerSettings {
        user: Some("0".into()),
        ..ContainerSettings::default()
    };
    assert_eq!(flatten_settings(&router("0"), Some(&as_root)), as_root);
    let drifted = flatten_settings(&router("1000"), Some(&written));
    assert_eq!(drifted.user.as_deref(), Some("1000"));
    // A container that is no router keeps its root user.
    let plain = ContainerDefinition::builder().name("app").user("0").build();
    assert_eq!(flatten_settings(&plain, None).user.as_deref(), Some("0"));
}

#[test]
fn a_health_check_timeout_is_at_most_60_seconds() {
    use crate::plugin::validator::validate_block;
    let block = runtime_settings_schema(Block::new("container"));
    let with_timeout = |timeout: i64| {
        let health_check = Value::Object(crate::plugin::Attributes::from([
            (
                "command".to_owned(),
                Value::List(vec![Value::from("CMD"), Value::from("true")]),
            ),
            ("timeout".to_owned(), Value::from(timeout)),
        ]));
        Value::Object(crate::plugin::Attributes::from([(
            "health_check".to_owned(),
            health_check,
        )]))
    };
    let root = crate::plugin::AttributePath::default();
    assert!(validate_block(&block, &with_timeout(60), &root).is_empty());
    let refused = validate_block(&block, &with_timeout(61), &root);
    let paths: Vec<String> = refused
        .iter()
        .filter_map(|d| d.path.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(paths, ["health_check.timeout"]);
}
