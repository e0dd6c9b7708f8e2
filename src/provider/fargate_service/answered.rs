//! The state of `todo_fargate_service` from answers already received, so that no call is made
//! for what is known (issue 11): the service as the last write or the rollout wait's last poll
//! answered it, the task definition as RegisterTaskDefinition answered it, and, where the
//! service still runs the revision the prior state records, that state's task definition
//! attributes (a registered revision never changes, so reading it again tells nothing new).
//!
//! A refresh trusts the recorded attributes only when this provider build read them from that
//! revision itself: the private state records which revision that was and which build read it
//! ([`ReadRevision`]). A state written by another build (an upgrade may add attributes that
//! come from the task definition) has its revision read again, once.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use aws_sdk_ecs::types::{Service, TaskDefinition};
use serde::{Deserialize, Serialize};

use super::find::RemoteService;
use super::flatten::flatten_service;
use super::model::ServiceModel;
use super::schema;
use crate::plugin::{Known, Private};
use crate::provider::tags;

/// The private state key of [`ReadRevision`].
const READ_REVISION_KEY: &str = "read_revision";

/// Which revision the state's task definition attributes were read from, and by which provider
/// build.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ReadRevision {
    /// The task definition revision's ARN.
    pub task_definition_arn: String,
    /// The provider build that read it ([`build_fingerprint`]).
    pub build: String,
}

impl ReadRevision {
    /// Records in `private` that this build read the state's task definition attributes from
    /// the revision `arn`.
    pub fn record(arn: &str, private: &mut Private) {
        let read = ReadRevision {
            task_definition_arn: arn.to_owned(),
            build: build_fingerprint().to_owned(),
        };
        if let Err(error) = private.set(READ_REVISION_KEY, &read) {
            // Without the record the next refresh reads the revision again: only a call more.
            crate::log_warn!(%error, "cannot record the revision read");
        }
    }

    /// Whether `private` says this build read the state's task definition attributes from the
    /// revision `arn`.
    pub fn recorded(private: &Private, arn: &str) -> bool {
        let read: Option<ReadRevision> = private.get(READ_REVISION_KEY).ok().flatten();
        read.is_some_and(|read| {
            read.task_definition_arn == arn && read.build == build_fingerprint()
        })
    }
}

/// This provider build: its version and a hash of the resource's schema. Another build may
/// flatten a task definition into other attributes, so what it recorded is not trusted. (The
/// hash may also differ between Rust versions: then a revision is read once more, no harm.)
pub fn build_fingerprint() -> &'static str {
    static FINGERPRINT: OnceLock<String> = OnceLock::new();
    FINGERPRINT.get_or_init(|| {
        let mut hasher = DefaultHasher::new();
        format!("{:?}", schema::schema().value_type()).hash(&mut hasher);
        format!("{}-{:016x}", env!("CARGO_PKG_VERSION"), hasher.finish())
    })
}

/// `state`, flattened from a service that runs the revision `prior` records, with every
/// attribute that comes from the task definition taken from `prior`.
///
/// The destructuring below names every attribute of the model on purpose: a new attribute does
/// not compile until it is sorted into those of the task definition (copied from `prior`) or
/// those of the service and of Terraform's own state (kept from `state`).
pub fn with_revision_of(state: ServiceModel, prior: &ServiceModel) -> ServiceModel {
    let ServiceModel {
        // The task definition's.
        family,
        repository_url,
        image_tag,
        pin_digest,
        image,
        image_digest,
        container_name,
        container_port,
        cpu,
        memory,
        cpu_architecture,
        environment,
        secrets,
        command,
        log_group,
        log_stream_prefix,
        execution_role_arn,
        task_role_arn,
        task_definition_revision,
        stop_timeout,
        readonly_root_filesystem,
        user,
        working_directory,
        health_check,
        ulimits,
        linux_parameters,
        container_depends_on,
        log_configuration,
        ephemeral_storage,
        sidecar,
        // The service's, or only Terraform's.
        launch_type: _,
        capacity_provider_strategy: _,
        id: _,
        name: _,
        cluster: _,
        desired_count: _,
        subnets: _,
        security_groups: _,
        assign_public_ip: _,
        health_check_grace_period_seconds: _,
        deployment_minimum_healthy_percent: _,
        deployment_maximum_percent: _,
        propagate_tags: _,
        enable_execute_command: _,
        platform_version: _,
        wait_for_steady_state: _,
        tags: _,
        tags_all: _,
        arn: _,
        task_definition_arn: _,
        load_balancer: _,
        deployment_circuit_breaker: _,
        timeouts: _,
    } = prior.clone();
    ServiceModel {
        family,
        repository_url,
        image_tag,
        pin_digest,
        image,
        image_digest,
        container_name,
        container_port,
        cpu,
        memory,
        cpu_architecture,
        environment,
        secrets,
        command,
        log_group,
        log_stream_prefix,
        execution_role_arn,
        task_role_arn,
        task_definition_revision,
        stop_timeout,
        readonly_root_filesystem,
        user,
        working_directory,
        health_check,
        ulimits,
        linux_parameters,
        container_depends_on,
        log_configuration,
        ephemeral_storage,
        sidecar,
        ..state
    }
}

/// Whether `service` runs the revision the state records (`recorded`, a known ARN), and this
/// build read the state's task definition attributes from that revision (`private`).
pub fn runs_recorded_revision(
    service: &Service,
    recorded: &Known<String>,
    private: &Private,
) -> bool {
    match recorded {
        Known::Value(arn) => {
            service.task_definition() == Some(arn.as_str()) && ReadRevision::recorded(private, arn)
        }
        _ => false,
    }
}

/// The state of a service as a refresh sees it when it still runs the revision `prior`
/// records: the service from DescribeServices, the task definition attributes from `prior`.
pub fn refreshed(
    service: Service,
    prior: &ServiceModel,
    default_tags: &BTreeMap<String, String>,
) -> ServiceModel {
    let remote = RemoteService {
        service,
        task_definition: None,
    };
    let state = flatten_service(&remote, Some(prior), &prior.cluster, default_tags);
    with_revision_of(state, prior)
}

/// What the writes of a create or update answered.
#[derive(Debug, Default)]
pub struct Answers {
    /// The service as CreateService or UpdateService answered it, then as the rollout wait's
    /// last poll did; `None` when no such call was sent, or its answer was lost.
    pub service: Option<Box<Service>>,
    /// The revision RegisterTaskDefinition answered, when this apply registered one.
    pub task_definition: Option<Box<TaskDefinition>>,
}

/// A state built from answers.
#[derive(Debug)]
pub struct AnsweredState {
    /// The state.
    pub state: ServiceModel,
    /// Whether its task definition attributes come from a revision ECS answered (to record as
    /// [`ReadRevision`]), not from the prior state.
    pub revision_answered: bool,
}

/// The state after a create or update whose every write answered, from those answers: the
/// service, the revision it runs (this apply's registration, or the one `prior` records, whose
/// attributes the plan kept) and the tags `tags_all` it was given (a write's answer may omit
/// tags, or a later read serve older ones). `None` when the answers do not tell: the service is
/// then read back.
pub fn after_writes(
    answers: Answers,
    planned: &ServiceModel,
    prior: Option<&ServiceModel>,
    tags_all: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
) -> Option<AnsweredState> {
    let mut service = *answers.service?;
    service.tags = tags::ecs_tags(tags_all).or_else(|| Some(Vec::new()));
    let runs = service.task_definition().map(str::to_owned);
    let registered = answers.task_definition.filter(|td| {
        td.task_definition_arn().is_some() && td.task_definition_arn() == runs.as_deref()
    });
    if let Some(task_definition) = registered {
        let remote = RemoteService {
            service,
            task_definition: Some(*task_definition),
        };
        let state = flatten_service(&remote, Some(planned), &planned.cluster, default_tags);
        return Some(AnsweredState {
            state,
            revision_answered: true,
        });
    }
    let prior = prior.filter(|prior| {
        matches!(&prior.task_definition_arn, Known::Value(arn) if Some(arn.as_str()) == runs.as_deref())
    })?;
    let remote = RemoteService {
        service,
        task_definition: None,
    };
    let state = flatten_service(&remote, Some(planned), &planned.cluster, default_tags);
    Some(AnsweredState {
        state: with_revision_of(state, prior),
        revision_answered: false,
    })
}
