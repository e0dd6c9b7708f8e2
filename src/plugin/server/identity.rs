//! Resource identity on the wire: GetResourceIdentitySchemas and UpgradeResourceIdentity, and
//! what the Read, Plan, Apply and Import handlers (in `handlers`) send as the identity: derived
//! from the state by the [`Resource`](super::super::Resource), kept stable against the identity
//! Terraform holds ([`settle`]), encoded under the identity schema's type.

use std::collections::HashMap;

use super::super::diag::{Diagnostic, Diagnostics};
use super::super::identity::{IdentitySchema, settle};
use super::super::resource::Imported;
use super::super::value::{self, Type, Value};
use super::convert::{decode, encode};
use super::handlers::handler;
use super::{ProviderService, WithDiagnostics, pb};

/// A resource type's identity schema with its value type, computed once.
pub(super) struct IdentityEntry {
    schema: IdentitySchema,
    ty: Type,
}

/// The identity schemas of the resource types that have one, by type name.
pub(super) type Identities = HashMap<&'static str, IdentityEntry>;

/// The identity schemas of `resources` (type name and identity schema, if any).
pub(super) fn by_type(
    resources: impl IntoIterator<Item = (&'static str, Option<IdentitySchema>)>,
) -> Identities {
    resources
        .into_iter()
        .filter_map(|(type_name, schema)| {
            let schema = schema?;
            let ty = schema.value_type();
            Some((type_name, IdentityEntry { schema, ty }))
        })
        .collect()
}

// GetResourceIdentitySchemas: the identity schema of every resource type that has one.
handler!(get_resource_identity_schemas, |this, _request| {
    pb::get_resource_identity_schemas::Response {
        identity_schemas: this
            .shared
            .identities
            .iter()
            .map(|(name, entry)| ((*name).to_owned(), entry.schema.to_proto()))
            .collect(),
        diagnostics: vec![],
    }
});

// UpgradeResourceIdentity: a stored identity (JSON) read with the current identity type, then
// upgraded by the resource from the version it was written at.
handler!(upgrade_resource_identity, |this, request| {
    pb::upgrade_resource_identity::Response::from_result(
        this.upgrade_identity(&request),
        |response, identity| response.upgraded_identity = Some(identity),
    )
});

impl ProviderService {
    /// The identity entry of `type_name`, or an error if the type has no identity.
    fn identity_entry(&self, type_name: &str) -> Result<&IdentityEntry, Diagnostics> {
        self.shared.identities.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "No resource identity",
                format!("The resource type {type_name:?} has no identity in this provider."),
            )
            .into()
        })
    }

    fn upgrade_identity(
        &self,
        request: &pb::upgrade_resource_identity::Request,
    ) -> Result<pb::ResourceIdentityData, Diagnostics> {
        let resource = &self.resource(&request.type_name)?.implementation;
        let entry = self.identity_entry(&request.type_name)?;
        let raw = request
            .raw_identity
            .as_ref()
            .map(|r| r.json.as_slice())
            .unwrap_or_default();
        if raw.is_empty() {
            return Err(Diagnostic::error(
                "Unsupported identity format",
                "The stored identity is not JSON.",
            )
            .into());
        }
        // Attributes the current identity no longer has are dropped, as for states.
        let options = value::JsonDecodeOptions {
            ignore_undefined_attributes: true,
        };
        let stored = value::decode_json_with_options(raw, &entry.ty, options).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Unreadable identity",
                format!("The stored identity does not match the identity schema: {e}"),
            ))
        })?;
        let upgraded = resource.upgrade_identity(request.version, stored)?;
        encode_identity(upgraded, &entry.ty)
    }

    /// The identity Terraform sent (`data`), decoded; `None` when it sent none, or for a type
    /// without identity.
    pub(super) fn stored_identity(
        &self,
        type_name: &str,
        data: Option<&pb::ResourceIdentityData>,
    ) -> Result<Option<Value>, Diagnostics> {
        let (Some(entry), Some(data)) = (self.shared.identities.get(type_name), data) else {
            return Ok(None);
        };
        let identity = decode(data.identity_data.as_ref(), &entry.ty, "identity")?;
        Ok((!identity.is_null()).then_some(identity))
    }

    /// The identity to answer for `state` after `operation` (such as "refresh"): the one the
    /// resource derives, settled against the `stored` one; the stored one when the resource
    /// cannot tell yet; none for a type without identity or a state that is gone.
    pub(super) fn identity_of(
        &self,
        type_name: &str,
        state: &Value,
        stored: Option<Value>,
        operation: &str,
    ) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
        let Some(entry) = self.shared.identities.get(type_name) else {
            return Ok(None);
        };
        if state.is_null() {
            return Ok(None);
        }
        let resource = &self.resource(type_name)?.implementation;
        let identity = match resource.identity(state)? {
            Some(derived) => {
                settle(stored.as_ref(), derived).map_err(|changed| changed.diagnostic(operation))?
            }
            None => match stored {
                Some(stored) => stored,
                None => return Ok(None),
            },
        };
        encode_identity(identity, &entry.ty).map(Some)
    }

    /// The identity Terraform sent, re-encoded unchanged (for a plan that keeps it).
    pub(super) fn same_identity(
        &self,
        type_name: &str,
        stored: Option<Value>,
    ) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
        match (self.shared.identities.get(type_name), stored) {
            (Some(entry), Some(stored)) => encode_identity(stored, &entry.ty).map(Some),
            _ => Ok(None),
        }
    }

    /// ImportResourceState's object: found by the import ID, or by the identity of an `import`
    /// block (Terraform sends one or the other); with the identity to record beside it.
    pub(super) async fn import_object(
        &self,
        request: &pb::import_resource_state::Request,
    ) -> Result<(pb::DynamicValue, Vec<u8>, Option<pb::ResourceIdentityData>), Diagnostics> {
        let type_name = request.type_name.as_str();
        let entry = self.resource(type_name)?;
        let ctx = self.context();
        let requested = match &request.identity {
            Some(data) => {
                let identity_entry = self.identity_entry(type_name)?;
                let identity = decode(
                    data.identity_data.as_ref(),
                    &identity_entry.ty,
                    "import identity",
                )?;
                (!identity.is_null()).then_some(identity)
            }
            None => None,
        };
        let Imported { state, private } = match &requested {
            Some(identity) => {
                entry
                    .implementation
                    .import_by_identity(identity, &ctx)
                    .await?
            }
            None => entry.implementation.import(&request.id, &ctx).await?,
        };
        let by_identity = requested.is_some();
        let identity = self.identity_of(type_name, &state, requested, "import")?;
        if by_identity && identity.is_none() {
            return Err(Diagnostic::error(
                "Import by identity incomplete",
                format!(
                    "The provider found the {type_name} but cannot tell its identity yet (its \
                     region is not known). Configure the provider with known settings."
                ),
            )
            .into());
        }
        let state = encode(state, entry.ty(), "imported state")?;
        Ok((state, private.to_bytes(), identity))
    }
}

/// An identity value as the protocol carries it.
fn encode_identity(identity: Value, ty: &Type) -> Result<pb::ResourceIdentityData, Diagnostics> {
    if !identity.is_wholly_known() {
        return Err(Diagnostic::error(
            "Provider produced an unknown identity",
            "The resource identity holds unknown values. This is a bug in the provider.",
        )
        .into());
    }
    Ok(pb::ResourceIdentityData {
        identity_data: Some(encode(identity, ty, "resource identity")?),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use tonic::Request;

    use super::super::super::private::Private;
    use super::super::super::resource::{Applied, CallContext, DataSource, Provider, Resource};
    use super::super::super::schema::{Attribute, Block, Schema};
    use super::super::ProviderRpc as _;
    use super::*;

    /// A provider with one resource, `test_named`, identified by `name` and `region` (always
    /// "r1", as if the provider were configured for it).
    struct NamedProvider;

    struct Named;

    fn schema() -> Schema {
        Schema::new(
            Block::new("named")
                .attribute(Attribute::required("name", Type::String).requires_replace())
                .attribute(Attribute::optional("size", Type::Number)),
        )
    }

    fn identity_schema() -> IdentitySchema {
        IdentitySchema::new(0)
            .required("name", Type::String, "The name.")
            .optional("region", Type::String, "The region.")
    }

    fn object(pairs: &[(&str, Option<&str>)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.map_or(Value::Null, Value::from)))
                .collect::<crate::plugin::Attributes>(),
        )
    }

    fn state(name: &str) -> Value {
        object(&[("name", Some(name)), ("size", None)])
    }

    fn identity(name: &str, region: Option<&str>) -> Value {
        object(&[("name", Some(name)), ("region", region)])
    }

    #[async_trait]
    impl Provider for NamedProvider {
        fn schema(&self) -> Schema {
            Schema::new(Block::new("provider"))
        }
        async fn configure(&self, _config: &Value, _version: &str) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Named)]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            vec![]
        }
    }

    #[async_trait]
    impl Resource for Named {
        fn type_name(&self) -> &'static str {
            "test_named"
        }
        fn schema(&self) -> Schema {
            schema()
        }
        async fn create(&self, planned: &Value, _ctx: &CallContext) -> Applied {
            Applied::ok(planned.clone())
        }
        async fn read(
            &self,
            state: &Value,
            _private: &mut Private,
            _ctx: &CallContext,
        ) -> Result<Option<Value>, Diagnostics> {
            Ok(Some(state.clone()))
        }
        async fn update(
            &self,
            _prior: &Value,
            planned: &Value,
            _private: &Private,
            _ctx: &CallContext,
        ) -> Applied {
            Applied::ok(planned.clone())
        }
        async fn delete(&self, _prior: &Value, _p: &Private, _ctx: &CallContext) -> Diagnostics {
            Diagnostics::new()
        }
        async fn import(&self, id: &str, _ctx: &CallContext) -> Result<Imported, Diagnostics> {
            Ok(state(id).into())
        }
        fn identity_schema(&self) -> Option<IdentitySchema> {
            Some(identity_schema())
        }
        fn identity(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
            let name = state.attr("name").and_then(Value::as_str);
            Ok(name.map(|name| identity(name, Some("r1"))))
        }
        async fn import_by_identity(
            &self,
            identity: &Value,
            ctx: &CallContext,
        ) -> Result<Imported, Diagnostics> {
            let name = identity.attr("name").and_then(Value::as_str);
            self.import(name.unwrap_or_default(), ctx).await
        }
    }

    fn service() -> ProviderService {
        ProviderService::new(Arc::new(NamedProvider))
    }

    fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: value::encode_msgpack(value, ty).expect("encode"),
            json: vec![],
        })
    }

    fn identity_data(value: &Value) -> Option<pb::ResourceIdentityData> {
        Some(pb::ResourceIdentityData {
            identity_data: dynamic(value, &identity_schema().value_type()),
        })
    }

    /// The identity value of an answer; panics when there is none.
    fn answered(data: Option<pb::ResourceIdentityData>) -> Value {
        let data = data
            .expect("an identity")
            .identity_data
            .expect("identity data");
        value::decode_msgpack(&data.msgpack, &identity_schema().value_type()).expect("decode")
    }

    fn errors(diagnostics: &[pb::Diagnostic]) -> String {
        diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn read(current: Option<Value>) -> pb::read_resource::Response {
        let request = pb::read_resource::Request {
            type_name: "test_named".into(),
            current_state: dynamic(&state("app"), &schema().value_type()),
            current_identity: current.as_ref().and_then(identity_data),
            ..Default::default()
        };
        let response = service().read_resource(Request::new(request)).await;
        response.expect("a response").into_inner()
    }

    async fn import(
        request: pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        let response = service().import_resource_state(Request::new(request)).await;
        response.expect("a response").into_inner()
    }

    #[tokio::test]
    async fn identity_schemas_are_listed_by_type() {
        let service = service();
        let response = service
            .get_resource_identity_schemas(Request::new(Default::default()))
            .await
            .expect("a response")
            .into_inner();
        let schema = &response.identity_schemas["test_named"];
        assert_eq!(schema.version, 0);
        assert_eq!(schema.identity_attributes.len(), 2);
        assert!(schema.identity_attributes[0].required_for_import);
    }

    #[tokio::test]
    async fn an_identity_stored_at_version_0_is_upgraded() {
        let upgrade = |version: i64, json: &str| pb::upgrade_resource_identity::Request {
            type_name: "test_named".into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                flatmap: Default::default(),
            }),
        };
        let service = service();
        // An attribute the identity no longer has is dropped.
        let stored = r#"{"name":"app","region":"r1","retired":"x"}"#;
        let response = service
            .upgrade_resource_identity(Request::new(upgrade(0, stored)))
            .await
            .expect("a response")
            .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{}",
            errors(&response.diagnostics)
        );
        assert_eq!(
            answered(response.upgraded_identity),
            identity("app", Some("r1"))
        );

        let response = service
            .upgrade_resource_identity(Request::new(upgrade(3, stored)))
            .await
            .expect("a response")
            .into_inner();
        assert!(response.upgraded_identity.is_none());
        assert!(errors(&response.diagnostics).contains("Unsupported identity version"));
    }

    #[tokio::test]
    async fn a_refresh_derives_the_identity_and_keeps_it_stable() {
        // An older state without identity gains it.
        let response = read(None).await;
        assert!(
            response.diagnostics.is_empty(),
            "{}",
            errors(&response.diagnostics)
        );
        assert_eq!(answered(response.new_identity), identity("app", Some("r1")));
        // A stored identity lacking the region gets it.
        let response = read(Some(identity("app", None))).await;
        assert_eq!(answered(response.new_identity), identity("app", Some("r1")));
        // A stored identity in another region is not silently replaced.
        let response = read(Some(identity("app", Some("r2")))).await;
        let text = errors(&response.diagnostics);
        assert!(text.contains("Unexpected identity change"), "{text}");
        assert!(text.contains("\"r2\""), "{text}");
        assert_eq!(answered(response.new_identity), identity("app", Some("r2")));
    }

    #[tokio::test]
    async fn an_import_by_identity_or_id_answers_the_complete_identity() {
        let by_identity = import(pb::import_resource_state::Request {
            type_name: "test_named".into(),
            identity: identity_data(&identity("app", None)),
            ..Default::default()
        })
        .await;
        assert!(
            by_identity.diagnostics.is_empty(),
            "{}",
            errors(&by_identity.diagnostics)
        );
        let imported = by_identity
            .imported_resources
            .into_iter()
            .next()
            .expect("one");
        assert_eq!(answered(imported.identity), identity("app", Some("r1")));

        let by_id = import(pb::import_resource_state::Request {
            type_name: "test_named".into(),
            id: "web".into(),
            ..Default::default()
        })
        .await;
        let imported = by_id.imported_resources.into_iter().next().expect("one");
        assert_eq!(answered(imported.identity), identity("web", Some("r1")));

        let elsewhere = import(pb::import_resource_state::Request {
            type_name: "test_named".into(),
            identity: identity_data(&identity("app", Some("r2"))),
            ..Default::default()
        })
        .await;
        assert!(elsewhere.imported_resources.is_empty());
        assert!(errors(&elsewhere.diagnostics).contains("Unexpected identity change"));
    }

    #[tokio::test]
    async fn plans_keep_the_identity_and_applies_record_it() {
        let ty = schema().value_type();
        let service = service();
        let prior = state("app");
        let mut grown = prior.clone();
        if let Value::Object(attributes) = &mut grown {
            attributes.insert("size".into(), Value::from(2));
        }
        let stored = identity("app", Some("r1"));
        let update = pb::plan_resource_change::Request {
            type_name: "test_named".into(),
            prior_state: dynamic(&prior, &ty),
            proposed_new_state: dynamic(&grown, &ty),
            config: dynamic(&grown, &ty),
            prior_identity: identity_data(&stored),
            ..Default::default()
        };
        let planned = service
            .plan_resource_change(Request::new(update))
            .await
            .expect("a response")
            .into_inner();
        assert!(
            planned.diagnostics.is_empty(),
            "{}",
            errors(&planned.diagnostics)
        );
        assert_eq!(answered(planned.planned_identity), stored);

        let create = pb::plan_resource_change::Request {
            type_name: "test_named".into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(&prior, &ty),
            config: dynamic(&prior, &ty),
            ..Default::default()
        };
        let planned = service
            .plan_resource_change(Request::new(create))
            .await
            .expect("a response")
            .into_inner();
        assert!(
            planned.planned_identity.is_none(),
            "no identity before create"
        );

        let apply = pb::apply_resource_change::Request {
            type_name: "test_named".into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: dynamic(&prior, &ty),
            config: dynamic(&prior, &ty),
            ..Default::default()
        };
        let applied = service
            .apply_resource_change(Request::new(apply))
            .await
            .expect("a response")
            .into_inner();
        assert_eq!(answered(applied.new_identity), stored);
    }
}
