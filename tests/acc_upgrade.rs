//! Acceptance test of the state upgrade of `todo_fargate_service` (issue 9): a real state file
//! written by the provider at commit 35c168d (`tests/fixtures/state_v0/`, schema version 0,
//! before the `family` attribute existed), driven by the real Terraform against ministack.
//!
//! The test recreates in a fresh emulator the objects that state describes (the list is in the
//! fixture's README), copies the fixture's `main.tf` and `terraform.tfstate` into the Terraform
//! directory, and checks that the upgraded state keeps `family = "api"` (the family those
//! versions registered in) with nothing to change, that a refresh writes it back at schema
//! version 1, and that destroy deregisters the revision the old state named while a revision
//! someone else registered in the same family stays ACTIVE.
//!
//! The fixture's names are fixed (`state-v0-app`, `state-v0`, `api`): no other test uses them,
//! and this file holds the only test, so nothing else shares its emulator. Gated like every
//! acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use std::fs;
use std::path::PathBuf;

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ClusterSetting, ClusterSettingName, Compatibility,
    ContainerDefinition, CpuArchitecture, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, NetworkConfiguration, NetworkMode, OsFamily, PortMapping, PropagateTags,
    RuntimePlatform, Tag, TaskDefinitionStatus, TransportProtocol,
};
use serde_json::Value;
use support::aws::aws_error;
use support::fixture::Acc;
use support::plan::{actions, planned_change};
use support::terraform::{describe_output, with_vars};
use support::{Aws, EmulatorKind, repo_root, require_acc};

/// The repository of the fixture.
const REPOSITORY: &str = "state-v0-app";
/// The cluster of the fixture.
const CLUSTER: &str = "state-v0";
/// The service of the fixture.
const SERVICE: &str = "api";
/// The family the provider registered a service's revisions in before schema version 1: the
/// service's name.
const FAMILY: &str = "api";
/// The tag the fixture was applied with (`-var image_tag=v1`).
const IMAGE_TAG: &str = "v1";
/// The subnet in the fixture's configuration.
const SUBNET: &str = "subnet-0123456789abcdef0";
/// The service's address in the fixture's configuration.
const SERVICE_ADDRESS: &str = "todo_fargate_service.api";
/// Every resource address in the fixture's state.
const ADDRESSES: [&str; 3] = [
    "todo_ecr_repository.app",
    "todo_ecs_cluster.main",
    SERVICE_ADDRESS,
];

/// The fixture's folder.
fn fixture_dir() -> PathBuf {
    repo_root().join("tests/fixtures/state_v0")
}

/// The ARNs and URL the emulator gave the recreated objects.
#[derive(Debug)]
struct Recreated {
    repository_arn: String,
    registry_id: String,
    repository_url: String,
    cluster_arn: String,
    task_definition_arn: String,
    task_definition_revision: i32,
    service_arn: String,
}

/// Recreates, in the order of the fixture's README, what the provider at 35c168d created for
/// the fixture's `main.tf`: the repository with the image `v1`, the cluster, revision 1 of
/// family `api` and the service, with the settings that provider sent for that configuration.
fn recreate_fixture_objects(aws: &Aws, cleanup: &mut Cleanup) -> Recreated {
    let repository = aws
        .block_on(
            aws.ecr
                .create_repository()
                .repository_name(REPOSITORY)
                .image_tag_mutability(ImageTagMutability::Mutable)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(false)
                        .build(),
                )
                .encryption_configuration(
                    EncryptionConfiguration::builder()
                        .encryption_type(EncryptionType::Aes256)
                        .build()
                        .expect("encryption configuration"),
                )
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateRepository {REPOSITORY}: {}", aws_error(&e)))
        .repository
        .expect("CreateRepository returns the repository");
    let repository_url = repository
        .repository_uri()
        .expect("repositoryUri")
        .to_string();
    aws.push(REPOSITORY, IMAGE_TAG, "state-v0 v1");

    let cluster = aws
        .block_on(
            aws.ecs
                .create_cluster()
                .cluster_name(CLUSTER)
                .settings(
                    ClusterSetting::builder()
                        .name(ClusterSettingName::ContainerInsights)
                        .value("disabled")
                        .build(),
                )
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateCluster {CLUSTER}: {}", aws_error(&e)))
        .cluster
        .expect("CreateCluster returns the cluster");

    let staging = Tag::builder().key("env").value("staging").build();
    let container = ContainerDefinition::builder()
        .name("app")
        .image(format!("{repository_url}:{IMAGE_TAG}"))
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(3000)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .build();
    let task_definition = aws
        .block_on(
            aws.ecs
                .register_task_definition()
                .family(FAMILY)
                .requires_compatibilities(Compatibility::Fargate)
                .network_mode(NetworkMode::Awsvpc)
                .cpu("256")
                .memory("512")
                .runtime_platform(
                    RuntimePlatform::builder()
                        .cpu_architecture(CpuArchitecture::X8664)
                        .operating_system_family(OsFamily::Linux)
                        .build(),
                )
                .container_definitions(container)
                .tags(staging.clone())
                .send(),
        )
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition {FAMILY}: {}", aws_error(&e)))
        .task_definition
        .expect("RegisterTaskDefinition returns the task definition");
    let task_definition_arn = task_definition
        .task_definition_arn()
        .expect("taskDefinitionArn")
        .to_string();
    cleanup.registered.push(task_definition_arn.clone());

    let network = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets(SUBNET)
                .assign_public_ip(AssignPublicIp::Disabled)
                .build()
                .expect("awsvpc configuration"),
        )
        .build();
    let deployment = DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(true)
                .build(),
        )
        .minimum_healthy_percent(100)
        .maximum_percent(200)
        .build();
    let service = aws
        .block_on(
            aws.ecs
                .create_service()
                .cluster(CLUSTER)
                .service_name(SERVICE)
                .task_definition(&task_definition_arn)
                .desired_count(1)
                .launch_type(LaunchType::Fargate)
                .platform_version("LATEST")
                .network_configuration(network)
                .deployment_configuration(deployment)
                .propagate_tags(PropagateTags::Service)
                .enable_execute_command(false)
                .tags(staging)
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateService {CLUSTER}/{SERVICE}: {}", aws_error(&e)))
        .service
        .expect("CreateService returns the service");

    Recreated {
        repository_arn: repository.repository_arn().expect("repositoryArn").into(),
        registry_id: repository.registry_id().expect("registryId").into(),
        repository_url,
        cluster_arn: cluster.cluster_arn().expect("clusterArn").into(),
        task_definition_revision: task_definition.revision(),
        task_definition_arn,
        service_arn: service.service_arn().expect("serviceArn").into(),
    }
}

/// The attributes of `address` in a state file (`resources[].instances[0].attributes`), with
/// the instance's `schema_version`.
fn state_file_instance(state: &Value, address: &str) -> (i64, Value) {
    let (kind, name) = address.split_once('.').expect("<type>.<name>");
    let instance = state["resources"]
        .as_array()
        .and_then(|resources| {
            resources
                .iter()
                .find(|r| r["mode"] == "managed" && r["type"] == kind && r["name"] == name)
        })
        .map(|r| &r["instances"][0])
        .unwrap_or_else(|| panic!("no {address} in the state file: {state:#}"));
    let version = instance["schema_version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no schema_version for {address}: {instance:#}"));
    (version, instance["attributes"].clone())
}

/// The fixture's `terraform.tfstate`, its ARNs, URL and revision rewritten where the emulator
/// gave the recreated objects other ones (on ministack it gives the same: the text is then the
/// fixture's, byte for byte). Every instance in it is at schema version 0.
fn fixture_state(recreated: &Recreated) -> String {
    let path = fixture_dir().join("terraform.tfstate");
    let original =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let parsed: Value = serde_json::from_str(&original).expect("the fixture state is JSON");
    let (_, repository) = state_file_instance(&parsed, "todo_ecr_repository.app");
    let (_, cluster) = state_file_instance(&parsed, "todo_ecs_cluster.main");
    let (_, service) = state_file_instance(&parsed, SERVICE_ADDRESS);
    for address in ADDRESSES {
        let (version, _) = state_file_instance(&parsed, address);
        assert_eq!(
            version, 0,
            "{address} in the fixture is at schema version 0"
        );
    }
    let fixture_string = |attributes: &Value, name: &str| {
        attributes[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in the fixture: {attributes:#}"))
            .to_string()
    };
    // Longest first, so that an ARN is rewritten before the account inside it.
    let mut rewrites = vec![
        (
            fixture_string(&service, "arn"),
            recreated.service_arn.clone(),
        ),
        (
            fixture_string(&service, "task_definition_arn"),
            recreated.task_definition_arn.clone(),
        ),
        (
            fixture_string(&repository, "arn"),
            recreated.repository_arn.clone(),
        ),
        (
            fixture_string(&cluster, "arn"),
            recreated.cluster_arn.clone(),
        ),
        (
            fixture_string(&repository, "repository_url"),
            recreated.repository_url.clone(),
        ),
        (
            format!("\"{}\"", fixture_string(&repository, "registry_id")),
            format!("\"{}\"", recreated.registry_id),
        ),
    ];
    rewrites.retain(|(from, to)| from != to);
    let mut text = original.clone();
    for (from, to) in &rewrites {
        eprintln!("the emulator gave other names than the fixture's: {from} -> {to}");
        text = text.replace(from.as_str(), to);
    }
    if service["task_definition_revision"] != recreated.task_definition_revision {
        eprintln!(
            "the emulator registered revision {} of {FAMILY}, not 1",
            recreated.task_definition_revision
        );
        text = text.replace(
            "\"task_definition_revision\": 1,",
            &format!(
                "\"task_definition_revision\": {},",
                recreated.task_definition_revision
            ),
        );
    }
    text
}

/// Deletes what the test made in the emulator under the fixture's fixed names: the service,
/// the cluster, the repository, and deregisters the revisions the test registered. The
/// emulator is normally the test's own and dies with it; on a shared `TODO_ACC_ENDPOINT` these
/// names must not stay behind, whether the test passes ([`Cleanup::finish`]) or fails (drop).
struct Cleanup<'a> {
    aws: &'a Aws,
    /// The revisions the test registered itself (the fixture's `api:1`, the foreign one).
    registered: Vec<String>,
    done: bool,
}

impl Cleanup<'_> {
    /// Deletes everything (each call bounded by the SDK's operation time limit), ignoring
    /// what is already gone.
    fn delete_all(&mut self) {
        self.done = true;
        let (ecs, ecr) = (&self.aws.ecs, &self.aws.ecr);
        let _ = self.aws.block_on(
            ecs.delete_service()
                .cluster(CLUSTER)
                .service(SERVICE)
                .force(true)
                .send(),
        );
        let _ = self
            .aws
            .block_on(ecs.delete_cluster().cluster(CLUSTER).send());
        for arn in &self.registered {
            let _ = self
                .aws
                .block_on(ecs.deregister_task_definition().task_definition(arn).send());
        }
        let _ = self.aws.block_on(
            ecr.delete_repository()
                .repository_name(REPOSITORY)
                .force(true)
                .send(),
        );
    }

    /// Cleans up after a passing test, then checks nothing under the fixed names is left.
    fn finish(mut self) {
        self.delete_all();
        assert_eq!(
            self.aws.active_revisions(FAMILY),
            Vec::<String>::new(),
            "ACTIVE revisions of {FAMILY} after the clean-up"
        );
    }
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.delete_all();
        }
    }
}

/// The plan of `terraform plan -refresh=false` as JSON: what Terraform makes of the upgraded
/// state alone, without reading anything back from ECS.
fn plan_without_refresh(acc: &Acc) -> Value {
    let plan_file = "norefresh.tfplan";
    acc.tf.run_ok(&with_vars(
        &[
            "plan",
            "-refresh=false",
            "-input=false",
            "-no-color",
            &format!("-out={plan_file}"),
        ],
        &[("image_tag", IMAGE_TAG)],
    ));
    let args = ["show", "-json", "-no-color", plan_file];
    let out = acc.tf.run_ok(&args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e})\n{}", describe_output(&args, &out)))
}

/// Every planned change of the fixture's resources is a no-op.
fn assert_all_no_op(plan: &Value, what: &str) {
    for address in ADDRESSES {
        let change = planned_change(plan, address);
        assert_eq!(actions(change), ["no-op"], "{what}: {address}: {change:#}");
    }
}

/// A state written at schema version 0 (no `family`) by the provider at commit 35c168d is
/// upgraded to `family = "api"`: no change planned, no revision registered; a refresh writes it
/// at schema version 1; destroy deregisters the revision the old state named (it has no record
/// of registered revisions, so it owns that one) and leaves a foreign revision of the family
/// ACTIVE.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn schema_v0_state_from_35c168d_upgrades_in_place() {
    require_acc();
    let acc = Acc::start(EmulatorKind::Ministack);
    let vars = [("image_tag", IMAGE_TAG)];
    assert!(
        acc.repository(REPOSITORY).is_none()
            && acc.aws.service(CLUSTER, SERVICE).is_none()
            && acc.aws.active_revisions(FAMILY).is_empty(),
        "the fixture's fixed names are already in use at {}",
        acc.emu.endpoint()
    );
    let mut cleanup = Cleanup {
        aws: &acc.aws,
        registered: Vec::new(),
        done: false,
    };
    let recreated = recreate_fixture_objects(&acc.aws, &mut cleanup);
    let running = acc.aws.running(CLUSTER, SERVICE);
    assert_eq!(running.task_definition_arn, recreated.task_definition_arn);

    let main_tf = fixture_dir().join("main.tf");
    acc.tf.write(
        "main.tf",
        &fs::read_to_string(&main_tf).unwrap_or_else(|e| panic!("read {}: {e}", main_tf.display())),
    );
    acc.tf
        .write("terraform.tfstate", &fixture_state(&recreated));

    // The upgraded state alone, before any read: family "api", nothing to change.
    let plan = plan_without_refresh(&acc);
    assert_all_no_op(&plan, "plan -refresh=false");
    let before = &planned_change(&plan, SERVICE_ADDRESS)["before"];
    assert_eq!(before["family"], FAMILY, "the upgraded state: {before:#}");
    assert_eq!(before["task_definition_arn"], recreated.task_definition_arn);

    // With the refresh: the same, and the detailed exit code says no changes.
    let plan = acc.tf.plan_json(&vars);
    assert_all_no_op(&plan, "plan");
    let after = &planned_change(&plan, SERVICE_ADDRESS)["after"];
    assert_eq!(after["family"], FAMILY, "{after:#}");
    assert_eq!(after["task_definition_arn"], recreated.task_definition_arn);
    acc.tf.assert_plan_empty(&vars);

    // A refresh writes the upgraded state back, at schema version 1.
    acc.tf.run_ok(&with_vars(
        &[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ],
        &vars,
    ));
    let state = acc.tf.state_resource(SERVICE_ADDRESS);
    assert_eq!(state["family"], FAMILY, "{state:#}");
    assert_eq!(state["task_definition_arn"], recreated.task_definition_arn);
    assert_eq!(state["arn"], recreated.service_arn);
    let written: Value = serde_json::from_str(
        &fs::read_to_string(acc.tf.dir().join("terraform.tfstate")).expect("terraform.tfstate"),
    )
    .expect("the state file is JSON");
    let (version, attributes) = state_file_instance(&written, SERVICE_ADDRESS);
    assert_eq!(version, 1, "the service's schema_version in the state file");
    assert_eq!(attributes["family"], FAMILY);
    acc.tf.assert_plan_empty(&vars);

    // Nothing was registered or rolled out: the service still runs api:1, the only revision.
    let still = acc.aws.running(CLUSTER, SERVICE);
    assert_eq!(still.task_definition_arn, recreated.task_definition_arn);
    assert_eq!(still.primary_deployment, running.primary_deployment);
    assert_eq!(
        acc.aws.active_revisions(FAMILY),
        vec![recreated.task_definition_arn.clone()]
    );

    // Someone else registers a revision of family api: it is theirs.
    let td = acc.aws.task_definition(&recreated.task_definition_arn);
    let foreign = acc
        .aws
        .block_on(
            acc.aws
                .ecs
                .register_task_definition()
                .family(FAMILY)
                .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
                .set_network_mode(td.network_mode().cloned())
                .set_cpu(td.cpu().map(str::to_string))
                .set_memory(td.memory().map(str::to_string))
                .set_runtime_platform(td.runtime_platform().cloned())
                .set_container_definitions(Some(td.container_definitions().to_vec()))
                .send(),
        )
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", aws_error(&e)))
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("the foreign revision's ARN")
        .to_string();
    cleanup.registered.push(foreign.clone());

    acc.tf.destroy(&vars);
    assert!(acc.tf.state_addresses().is_empty(), "state after destroy");
    let left = acc.aws.service(CLUSTER, SERVICE);
    assert!(
        left.as_ref().is_none_or(|s| s.status() != Some("ACTIVE")),
        "an active service is left: {left:?}"
    );
    let inactive = acc.aws.revisions(FAMILY, TaskDefinitionStatus::Inactive);
    assert!(
        inactive.contains(&recreated.task_definition_arn),
        "the revision the old state named is deregistered: INACTIVE {inactive:?}"
    );
    assert_eq!(
        acc.aws.active_revisions(FAMILY),
        vec![foreign],
        "only the revision someone else registered stays ACTIVE"
    );
    assert!(
        acc.repository(REPOSITORY).is_none(),
        "the repository is left"
    );
    let cluster = acc.aws.cluster(CLUSTER);
    assert!(
        cluster
            .as_ref()
            .is_none_or(|c| c.status() != Some("ACTIVE")),
        "the cluster is left: {cluster:?}"
    );
    cleanup.finish();
}
