//! Resource identity (Terraform 1.12+): a small, versioned object that names one remote object
//! (a repository's name, a service's cluster and name), kept by Terraform beside the state.
//!
//! A resource declares its [`IdentitySchema`] and derives its identity from its state
//! ([`Resource::identity`](super::Resource::identity)); the server sends it with every read,
//! plan, apply and import, answers GetResourceIdentitySchemas and UpgradeResourceIdentity, and
//! imports by identity (`import { to = ..., identity = { ... } }`). Once an identity is stored it
//! does not change: [`settle`] keeps it stable and refuses a derived identity that contradicts it.

use super::diag::{Diagnostic, Diagnostics};
use super::proto::tfplugin6 as pb;
use super::value::{Attributes, Type, Value};

/// One attribute of an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAttribute {
    /// Its name, such as `name` or `account_id`.
    pub name: String,
    /// Its type (identities hold primitive values).
    pub ty: Type,
    /// Whether an `import` block's `identity` must set it.
    pub required_for_import: bool,
    /// Whether an `import` block's `identity` may leave it out (the provider fills it in).
    pub optional_for_import: bool,
    /// What it means (markdown).
    pub description: String,
}

/// The identity schema of a resource type: its attributes and its version (separate from the
/// resource schema's version).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentitySchema {
    /// The version; an identity stored at an older one goes through
    /// [`Resource::upgrade_identity`](super::Resource::upgrade_identity).
    pub version: i64,
    /// The attributes, in the order the documentation lists them.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// An identity schema at `version` without attributes yet.
    pub fn new(version: i64) -> Self {
        Self {
            version,
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute an import must name.
    pub fn required(mut self, name: &str, ty: Type, description: &str) -> Self {
        self.attributes.push(IdentityAttribute {
            name: name.to_owned(),
            ty,
            required_for_import: true,
            optional_for_import: false,
            description: description.to_owned(),
        });
        self
    }

    /// Adds an attribute an import may leave out.
    pub fn optional(mut self, name: &str, ty: Type, description: &str) -> Self {
        self.attributes.push(IdentityAttribute {
            name: name.to_owned(),
            ty,
            required_for_import: false,
            optional_for_import: true,
            description: description.to_owned(),
        });
        self
    }

    /// The object type of an identity value.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }

    /// The wire form GetResourceIdentitySchemas answers.
    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.clone(),
                    r#type: a.ty.to_json(),
                    required_for_import: a.required_for_import,
                    optional_for_import: a.optional_for_import,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}

/// A derived identity that contradicts the identity Terraform has stored: the remote object is
/// not the one the state was about (another region or account).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the identity attribute {attribute:?} is stored as {stored} but the remote object has {found}"
)]
pub struct IdentityChanged {
    /// The attribute that differs.
    pub attribute: String,
    /// Its stored value (as HCL text).
    pub stored: String,
    /// The value derived from the remote object (as HCL text).
    pub found: String,
}

impl IdentityChanged {
    /// The error diagnostic for this change during `operation` ("refresh", "apply", "import").
    pub fn diagnostic(&self, operation: &str) -> Diagnostics {
        Diagnostic::error(
            "Unexpected identity change",
            format!(
                "During {operation}, {self}. A resource's identity never changes once stored, so \
                 the provider refuses to treat this object as the one in the state. Check the \
                 provider's region and credentials: they must reach the account and region the \
                 object lives in."
            ),
        )
        .into()
    }
}

/// The identity to report, given the one Terraform holds (`stored`, `None` when there is none
/// yet or the import named only some attributes) and the one `derived` from the remote object:
/// every attribute the stored identity has set keeps its value, and must agree with the derived
/// one where that is set too; attributes the stored identity lacks are filled from the derived
/// one. So an identity stays as it was first recorded, and gains only what was unknown then.
pub fn settle(stored: Option<&Value>, derived: Value) -> Result<Value, IdentityChanged> {
    let Some(Value::Object(stored)) = stored else {
        return Ok(derived);
    };
    let Value::Object(derived) = derived else {
        return Ok(Value::Object(stored.clone()));
    };
    let mut settled = Attributes::new();
    let names = stored.keys().chain(derived.keys());
    for name in names {
        if settled.contains_key(name) {
            continue;
        }
        let kept = stored.get(name).filter(|v| !v.is_null());
        let found = derived.get(name).filter(|v| !v.is_null());
        let value = match (kept, found) {
            (Some(kept), Some(found)) if kept != found => {
                return Err(IdentityChanged {
                    attribute: name.clone(),
                    stored: super::docs::value_literal(kept),
                    found: super::docs::value_literal(found),
                });
            }
            (Some(kept), _) => kept.clone(),
            (None, Some(found)) => found.clone(),
            (None, None) => Value::Null,
        };
        settled.insert(name.clone(), value);
    }
    Ok(Value::Object(settled))
}

/// The error for an identity stored at a version a resource cannot upgrade from.
pub fn unsupported_identity_version(type_name: &str, version: i64, current: i64) -> Diagnostics {
    Diagnostic::error(
        "Unsupported identity version",
        format!(
            "The {type_name} identity in the state is at version {version}; this provider reads \
             identity versions up to {current}. Use the provider version that wrote this state."
        ),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(pairs: &[(&str, Option<&str>)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.map_or(Value::Null, Value::from)))
                .collect(),
        )
    }

    #[test]
    fn the_schema_goes_over_the_wire_with_its_import_flags() {
        let schema = IdentitySchema::new(0)
            .required("name", Type::String, "The name.")
            .optional("region", Type::String, "The region.");
        let proto = schema.to_proto();
        assert_eq!(proto.version, 0);
        let names: Vec<&str> = proto
            .identity_attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["name", "region"]);
        assert!(proto.identity_attributes[0].required_for_import);
        assert!(!proto.identity_attributes[0].optional_for_import);
        assert!(proto.identity_attributes[1].optional_for_import);
        assert_eq!(proto.identity_attributes[1].r#type, b"\"string\"".to_vec());
        assert_eq!(
            schema.value_type(),
            Type::object([
                ("name".to_owned(), Type::String),
                ("region".to_owned(), Type::String)
            ])
        );
    }

    #[test]
    fn a_stored_identity_keeps_its_values_and_gains_the_missing_ones() {
        let stored = identity(&[("name", Some("app")), ("account_id", None)]);
        let derived = identity(&[("name", Some("app")), ("account_id", Some("123456789012"))]);
        let settled = settle(Some(&stored), derived.clone());
        assert_eq!(settled, Ok(derived.clone()));
        // Nothing stored: the derived identity as it is.
        assert_eq!(settle(None, derived.clone()), Ok(derived.clone()));
        // Derived lacks a value the stored one has: the stored value stays.
        let partial = identity(&[("name", Some("app")), ("account_id", None)]);
        assert_eq!(settle(Some(&derived), partial), Ok(derived));
    }

    #[test]
    fn a_contradicting_identity_is_refused() {
        let stored = identity(&[("name", Some("app")), ("region", Some("eu-west-1"))]);
        let derived = identity(&[("name", Some("app")), ("region", Some("us-east-1"))]);
        let error = settle(Some(&stored), derived).expect_err("region differs");
        assert_eq!(error.attribute, "region");
        assert_eq!(error.stored, "\"eu-west-1\"");
        assert_eq!(error.found, "\"us-east-1\"");
        let text = format!("{:?}", error.diagnostic("refresh"));
        assert!(text.contains("Unexpected identity change"), "{text}");
    }
}
