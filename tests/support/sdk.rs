//! The SDK side of a test, callable from a plain `#[test]`: [`Aws`] holds a tokio runtime and
//! ECR and ECS clients for an emulator, and asks the emulator itself what exists — an image
//! "push", what a service runs ([`Running`]), task-definition revisions, clusters, repositories.
//!
//! Every query panics with the SDK error's whole source chain if the call fails.

use std::future::Future;

use aws_sdk_ecs::types::{Cluster, ClusterField, Service, TaskDefinition, TaskDefinitionStatus};

use super::aws::{aws_error, ecr_client, ecs_client, push_image};
use super::emulator::Emulator;

/// SDK clients for an emulator and a current-thread runtime to drive them synchronously.
#[derive(Debug)]
pub struct Aws {
    rt: tokio::runtime::Runtime,
    /// ECR client for the emulator's endpoint.
    pub ecr: aws_sdk_ecr::Client,
    /// ECS client for the emulator's endpoint.
    pub ecs: aws_sdk_ecs::Client,
}

/// What the emulator reports an ACTIVE service runs (see [`Aws::running`]).
#[derive(Debug, Clone)]
pub struct Running {
    /// The service's ARN.
    pub service_arn: String,
    /// The service's desired task count.
    pub desired_count: i32,
    /// The task definition revision the service runs.
    pub task_definition_arn: String,
    /// That revision's number.
    pub revision: i32,
    /// The image of the task definition's only container.
    pub image: String,
    /// The ID of the PRIMARY deployment: a new one starts whenever ECS replaces the tasks.
    pub primary_deployment: String,
}

impl Aws {
    /// Clients for `emu`'s endpoint (see [`super::aws::aws_config`]) and a new runtime.
    pub fn new(emu: &Emulator) -> Aws {
        Aws {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime"),
            ecr: ecr_client(&emu.endpoint()),
            ecs: ecs_client(&emu.endpoint()),
        }
    }

    /// Runs `work` (typically an SDK call's `send()`) to completion on the runtime.
    pub fn block_on<F: Future>(&self, work: F) -> F::Output {
        self.rt.block_on(work)
    }

    /// "Pushes" `repository:tag` (ECR PutImage of a manifest derived from `seed`, see
    /// [`push_image`]); returns its digest.
    pub fn push(&self, repository: &str, tag: &str, seed: &str) -> String {
        self.block_on(push_image(&self.ecr, repository, tag, seed))
    }

    /// The names of the ECR repositories (one DescribeRepositories page).
    pub fn repositories(&self) -> Vec<String> {
        self.block_on(self.ecr.describe_repositories().send())
            .unwrap_or_else(|e| panic!("DescribeRepositories: {}", aws_error(&e)))
            .repositories()
            .iter()
            .filter_map(|r| r.repository_name().map(str::to_string))
            .collect()
    }

    /// The cluster as DescribeClusters (with SETTINGS and TAGS) reports it, whatever its
    /// status; `None` if ECS does not report it at all.
    pub fn cluster(&self, name: &str) -> Option<Cluster> {
        self.block_on(
            self.ecs
                .describe_clusters()
                .clusters(name)
                .include(ClusterField::Settings)
                .include(ClusterField::Tags)
                .send(),
        )
        .unwrap_or_else(|e| panic!("DescribeClusters {name}: {}", aws_error(&e)))
        .clusters()
        .iter()
        .find(|c| c.cluster_name() == Some(name))
        .cloned()
    }

    /// The service as DescribeServices reports it (whatever its status); `None` if ECS reports
    /// no such service or no such cluster.
    pub fn service(&self, cluster: &str, name: &str) -> Option<Service> {
        let result = self.block_on(
            self.ecs
                .describe_services()
                .cluster(cluster)
                .services(name)
                .send(),
        );
        match result {
            Ok(out) => out
                .services()
                .iter()
                .find(|s| s.service_name() == Some(name))
                .cloned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_cluster_not_found_exception()) =>
            {
                None
            }
            Err(e) => panic!("DescribeServices {cluster}/{name}: {}", aws_error(&e)),
        }
    }

    /// The task definition `arn` as DescribeTaskDefinition reports it.
    pub fn task_definition(&self, arn: &str) -> TaskDefinition {
        self.block_on(
            self.ecs
                .describe_task_definition()
                .task_definition(arn)
                .send(),
        )
        .unwrap_or_else(|e| panic!("DescribeTaskDefinition {arn}: {}", aws_error(&e)))
        .task_definition
        .unwrap_or_else(|| panic!("DescribeTaskDefinition {arn}: no task definition"))
    }

    /// Registers a revision in `family` the way someone outside Terraform would: a copy of the
    /// revision `template` (its sizes, platform and container), running `image` when given.
    /// Returns the new revision's ARN.
    pub fn register_like(&self, template: &str, family: &str, image: Option<&str>) -> String {
        let td = self.task_definition(template);
        let mut containers = td.container_definitions().to_vec();
        if let (Some(image), Some(container)) = (image, containers.first_mut()) {
            container.image = Some(image.to_owned());
        }
        let request = self
            .ecs
            .register_task_definition()
            .family(family)
            .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
            .set_network_mode(td.network_mode().cloned())
            .set_cpu(td.cpu().map(str::to_string))
            .set_memory(td.memory().map(str::to_string))
            .set_runtime_platform(td.runtime_platform().cloned())
            .set_container_definitions(Some(containers));
        self.block_on(request.send())
            .unwrap_or_else(|e| panic!("RegisterTaskDefinition {family}: {}", aws_error(&e)))
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap_or_else(|| panic!("RegisterTaskDefinition {family}: no ARN"))
            .to_string()
    }

    /// What the ACTIVE service `cluster/name` runs; panics if ECS has no active such service,
    /// if it has no PRIMARY deployment, or if its task definition has not exactly one container.
    pub fn running(&self, cluster: &str, name: &str) -> Running {
        let service = self
            .service(cluster, name)
            .unwrap_or_else(|| panic!("ECS reports no service {cluster}/{name}"));
        let status = service.status().unwrap_or_default().to_string();
        assert_eq!(
            status, "ACTIVE",
            "ECS service {cluster}/{name}: {service:?}"
        );
        let td_arn = service
            .task_definition()
            .unwrap_or_else(|| panic!("service {name} has no task definition"))
            .to_string();
        let td = self.task_definition(&td_arn);
        let primary_deployment = service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.id())
            .unwrap_or_else(|| panic!("no PRIMARY deployment: {service:?}"))
            .to_string();
        let containers = td.container_definitions();
        assert_eq!(containers.len(), 1, "one container in {td:?}");
        Running {
            service_arn: service.service_arn().unwrap_or_default().to_string(),
            desired_count: service.desired_count(),
            task_definition_arn: td_arn,
            revision: td.revision(),
            image: containers[0].image().unwrap_or_default().to_string(),
            primary_deployment,
        }
    }

    /// The revisions of `family` that ECS lists with `status`, family-exact (ListTaskDefinitions
    /// matches prefixes), all pages.
    pub fn revisions(&self, family: &str, status: TaskDefinitionStatus) -> Vec<String> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .block_on(
                    self.ecs
                        .list_task_definitions()
                        .family_prefix(family)
                        .status(status.clone())
                        .set_next_token(token)
                        .send(),
                )
                .unwrap_or_else(|e| panic!("ListTaskDefinitions {family}: {}", aws_error(&e)));
            arns.extend(
                out.task_definition_arns()
                    .iter()
                    .filter(|arn| family_of(arn) == family)
                    .cloned(),
            );
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return arns;
            }
        }
    }

    /// The ACTIVE revisions of exactly `family`.
    pub fn active_revisions(&self, family: &str) -> Vec<String> {
        self.revisions(family, TaskDefinitionStatus::Active)
    }
}

/// The task definition family the provider gives a new service named `service` in the
/// cluster named `cluster` when the configuration sets no `family`.
pub fn default_family(cluster: &str, service: &str) -> String {
    format!("{cluster}-{service}")
}

/// The family of a task definition ARN (`...:task-definition/<family>:<revision>`).
pub fn family_of(arn: &str) -> &str {
    arn.rsplit_once('/')
        .and_then(|(_, rest)| rest.rsplit_once(':'))
        .map_or("", |(family, _)| family)
}
