//! The resource identities of the provider's resources: `todo_ecr_repository` and
//! `todo_ecs_cluster` are identified by `name`, `todo_fargate_service` by `cluster` (always the
//! cluster's name, also when the configuration or the import names it by ARN) and `name`; each
//! also by `region` (the provider's) and `account_id` (from the object's ARN), which an import
//! may leave out.
//!
//! Identities are derived from the state, so resources in states written before identities
//! existed gain theirs on the next refresh.

use serde::{Deserialize, Serialize};

use super::ClientSlot;
use super::config::AwsClients;
use crate::plugin::model::{from_value, to_value};
use crate::plugin::{Diagnostic, Diagnostics, IdentitySchema, Known, Type, Value};

/// The version of every identity schema here.
pub const IDENTITY_VERSION: i64 = 0;

/// `region` and `account_id`, which every identity ends with.
fn with_location(schema: IdentitySchema) -> IdentitySchema {
    schema
        .optional(
            "region",
            Type::String,
            "The AWS region of the object: the provider's region. An import may leave it out; \
             given, it must be the provider's region.",
        )
        .optional(
            "account_id",
            Type::String,
            "The AWS account that owns the object (from its ARN). An import may leave it out; \
             given, it must be the account the object is found in.",
        )
}

/// The identity schema of a type identified by its name alone; `what` names the object, such
/// as "repository".
pub fn named_schema(what: &str) -> IdentitySchema {
    with_location(IdentitySchema::new(IDENTITY_VERSION).required(
        "name",
        Type::String,
        &format!("The {what} name."),
    ))
}

/// The identity schema of `todo_fargate_service`.
pub fn service_schema() -> IdentitySchema {
    with_location(
        IdentitySchema::new(IDENTITY_VERSION)
            .required(
                "cluster",
                Type::String,
                "The name of the service's cluster (its name, also for a cluster configured by \
                 ARN).",
            )
            .required("name", Type::String, "The service name."),
    )
}

/// The identity of a repository or cluster.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct NamedIdentity {
    /// The object's name.
    pub name: String,
    /// Its region.
    pub region: Option<String>,
    /// Its account.
    pub account_id: Option<String>,
}

/// The identity of a service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ServiceIdentity {
    /// The cluster's name.
    pub cluster: String,
    /// The service's name.
    pub name: String,
    /// Its region.
    pub region: Option<String>,
    /// Its account.
    pub account_id: Option<String>,
}

/// What a repository's or cluster's state says about its identity.
#[derive(Debug, Deserialize)]
struct NamedState {
    name: Known<String>,
    arn: Known<String>,
}

/// What a service's state says about its identity.
#[derive(Debug, Deserialize)]
struct ServiceState {
    cluster: Known<String>,
    name: Known<String>,
    arn: Known<String>,
}

/// The account of an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`).
pub fn account_of(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4)?;
    (arn.starts_with("arn:") && !account.is_empty()).then(|| account.to_owned())
}

/// The cluster's name from a cluster reference: a name as it is, an ARN
/// (`arn:aws:ecs:<region>:<account>:cluster/<name>`) by what follows its last `/`.
pub fn cluster_name(reference: &str) -> &str {
    if reference.starts_with("arn:") {
        reference.rsplit('/').next().unwrap_or(reference)
    } else {
        reference
    }
}

/// The identity of the repository or cluster a state describes; `None` while the provider's
/// region is not known, or while the state lacks its name.
pub fn named_identity(clients: &ClientSlot, state: &Value) -> Result<Option<Value>, Diagnostics> {
    let Some(aws) = clients.for_plan() else {
        return Ok(None);
    };
    let state: NamedState = from_value(state)?;
    let Known::Value(name) = state.name else {
        return Ok(None);
    };
    let identity = NamedIdentity {
        name,
        region: Some(aws.region.clone()),
        account_id: state.arn.as_ref().and_then(|arn| account_of(arn)),
    };
    Ok(Some(to_value(&identity)?))
}

/// The identity of the service a state describes; `None` while the provider's region is not
/// known, or while the state lacks its cluster or name.
pub fn service_identity(clients: &ClientSlot, state: &Value) -> Result<Option<Value>, Diagnostics> {
    let Some(aws) = clients.for_plan() else {
        return Ok(None);
    };
    let state: ServiceState = from_value(state)?;
    let (Known::Value(cluster), Known::Value(name)) = (state.cluster, state.name) else {
        return Ok(None);
    };
    let identity = ServiceIdentity {
        cluster: cluster_name(&cluster).to_owned(),
        name,
        region: Some(aws.region.clone()),
        account_id: state.arn.as_ref().and_then(|arn| account_of(arn)),
    };
    Ok(Some(to_value(&identity)?))
}

/// Refuses an import identity whose `region` is not the provider's: this provider reaches one
/// region, and would otherwise look for the object in the wrong one.
pub fn check_region(region: Option<&str>, clients: &AwsClients) -> Result<(), Diagnostics> {
    match region {
        Some(region) if region != clients.region => Err(Diagnostic::error(
            "Identity in another region",
            format!(
                "The import identity names region {region:?}, but this provider is configured for \
                 {:?}. Import with a provider configured for {region:?} (an aliased provider \
                 block and `provider = todo.<alias>` in the import block), or leave `region` out.",
                clients.region
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// An import identity of a repository or cluster, read, with its region checked.
pub fn requested_named(
    clients: &ClientSlot,
    identity: &Value,
) -> Result<NamedIdentity, Diagnostics> {
    let requested: NamedIdentity = from_value(identity)?;
    check_region(requested.region.as_deref(), clients.get()?)?;
    Ok(requested)
}

/// An import identity of a service, read, with its region checked and its cluster a name.
pub fn requested_service(
    clients: &ClientSlot,
    identity: &Value,
) -> Result<ServiceIdentity, Diagnostics> {
    let requested: ServiceIdentity = from_value(identity)?;
    check_region(requested.region.as_deref(), clients.get()?)?;
    if requested.cluster.starts_with("arn:") {
        return Err(Diagnostic::error(
            "Cluster ARN in an identity",
            format!(
                "A todo_fargate_service identity names its cluster by name, not by ARN: use \
                 cluster = {:?}.",
                cluster_name(&requested.cluster)
            ),
        )
        .into());
    }
    Ok(requested)
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::provider::config::{ProviderConfig, build_clients};

    async fn slot(region: &str) -> ClientSlot {
        let config = ProviderConfig {
            region: Some(region.to_owned()),
            static_credentials: Some(("AKIA".to_owned(), "secret".to_owned())),
            ..ProviderConfig::default()
        };
        let clients = build_clients(config)
            .await
            .unwrap_or_else(|d| panic!("{:?}", d.iter().collect::<Vec<_>>()));
        ClientSlot::ready(clients)
    }

    fn state(pairs: &[(&str, &str)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect::<crate::plugin::Attributes>(),
        )
    }

    #[test]
    fn accounts_and_cluster_names_come_from_arns() {
        let arn = "arn:aws:ecs:eu-central-1:123456789012:cluster/todo";
        assert_eq!(account_of(arn).as_deref(), Some("123456789012"));
        assert_eq!(cluster_name(arn), "todo");
        assert_eq!(cluster_name("todo"), "todo");
        let repository = "arn:aws:ecr:eu-central-1:123456789012:repository/team/app";
        assert_eq!(account_of(repository).as_deref(), Some("123456789012"));
        assert_eq!(account_of("not-an-arn"), None);
        assert_eq!(account_of("arn:aws:iam:::role"), None);
    }

    #[tokio::test]
    async fn a_service_configured_by_cluster_arn_is_identified_by_the_cluster_name() {
        let clients = slot("eu-central-1").await;
        let by_arn = state(&[
            (
                "cluster",
                "arn:aws:ecs:eu-central-1:123456789012:cluster/todo",
            ),
            ("name", "todo-service"),
            (
                "arn",
                "arn:aws:ecs:eu-central-1:123456789012:service/todo/todo-service",
            ),
        ]);
        let identity = service_identity(&clients, &by_arn).unwrap().unwrap();
        let expected = ServiceIdentity {
            cluster: "todo".into(),
            name: "todo-service".into(),
            region: Some("eu-central-1".into()),
            account_id: Some("123456789012".into()),
        };
        assert_eq!(from_value::<ServiceIdentity>(&identity).unwrap(), expected);
        // The same service configured by cluster name has the same identity.
        let by_name = state(&[
            ("cluster", "todo"),
            ("name", "todo-service"),
            (
                "arn",
                "arn:aws:ecs:eu-central-1:123456789012:service/todo/todo-service",
            ),
        ]);
        assert_eq!(
            service_identity(&clients, &by_name).unwrap(),
            Some(identity)
        );
    }

    #[tokio::test]
    async fn a_named_identity_has_the_provider_region_and_the_arn_account() {
        let clients = slot("us-east-1").await;
        let repository = state(&[
            ("name", "team/app"),
            (
                "arn",
                "arn:aws:ecr:us-east-1:000000000000:repository/team/app",
            ),
        ]);
        let identity = named_identity(&clients, &repository).unwrap().unwrap();
        let expected = NamedIdentity {
            name: "team/app".into(),
            region: Some("us-east-1".into()),
            account_id: Some("000000000000".into()),
        };
        assert_eq!(from_value::<NamedIdentity>(&identity).unwrap(), expected);
    }

    #[test]
    fn no_identity_before_the_region_is_known() {
        let unconfigured = ClientSlot::default();
        let cluster = state(&[("name", "todo"), ("arn", "arn:aws:ecs:r:1:cluster/todo")]);
        assert_eq!(named_identity(&unconfigured, &cluster).unwrap(), None);
    }

    #[tokio::test]
    async fn an_import_identity_in_another_region_or_with_a_cluster_arn_is_refused() {
        let clients = slot("us-east-1").await;
        let elsewhere = to_value(&NamedIdentity {
            name: "app".into(),
            region: Some("eu-west-1".into()),
            account_id: None,
        })
        .unwrap();
        let error = requested_named(&clients, &elsewhere).expect_err("other region");
        assert!(format!("{error:?}").contains("Identity in another region"));
        let here = to_value(&NamedIdentity {
            name: "app".into(),
            region: None,
            account_id: None,
        })
        .unwrap();
        assert_eq!(requested_named(&clients, &here).unwrap().name, "app");
        let by_arn = to_value(&ServiceIdentity {
            cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/todo".into(),
            name: "svc".into(),
            region: None,
            account_id: None,
        })
        .unwrap();
        let error = requested_service(&clients, &by_arn).expect_err("cluster ARN");
        assert!(
            format!("{error:?}").contains("cluster = \\\"todo\\\""),
            "{error:?}"
        );
    }

    #[test]
    fn every_resource_has_an_identity_at_version_0_that_upgrades_as_it_is() {
        use crate::plugin::Provider;
        let provider = crate::provider::TodoProvider::new();
        let mut names = Vec::new();
        for resource in provider.resources() {
            let schema = resource.identity_schema().expect("an identity schema");
            assert_eq!(schema.version, IDENTITY_VERSION);
            let stored = to_value(&NamedIdentity {
                name: "app".into(),
                region: Some("us-east-1".into()),
                account_id: None,
            })
            .unwrap();
            assert_eq!(
                resource.upgrade_identity(0, stored.clone()).unwrap(),
                stored
            );
            assert!(resource.upgrade_identity(1, stored).is_err());
            names.push((resource.type_name(), schema.attributes.len()));
        }
        assert_eq!(
            names,
            [
                ("todo_ecr_repository", 3),
                ("todo_ecs_cluster", 3),
                ("todo_fargate_service", 4)
            ]
        );
    }
}
