//! The schema model: what attributes and nested blocks a provider, resource or data source has,
//! how Terraform should treat them (required, optional, computed, sensitive), and the few plan
//! behaviours that belong with an attribute (a default, "changing this replaces the object",
//! "keep the prior value while unknown"). Rendered to `tfplugin6.Schema` for Terraform.

use std::collections::BTreeMap;

use super::proto::tfplugin6 as pb;
use super::validator::Validator;
use super::value::{Type, Value};

/// How a description is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DescriptionKind {
    /// Plain text.
    Plain,
    /// Markdown (the default: what the registry's documentation renders).
    #[default]
    Markdown,
}

/// Whether the user sets an attribute, the provider does, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeMode {
    /// The configuration must set it.
    Required,
    /// The configuration may set it; null when unset.
    Optional,
    /// The configuration may set it; the provider chooses a value when unset.
    OptionalComputed,
    /// Only the provider sets it.
    Computed,
}

/// One attribute of a block.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// Its value type.
    pub ty: Type,
    /// Who sets it.
    pub mode: AttributeMode,
    /// What it is for (shown in docs and `terraform providers schema`).
    pub description: String,
    /// The description's format.
    pub description_kind: DescriptionKind,
    /// Whether Terraform must hide its value in output.
    pub sensitive: bool,
    /// Set when the attribute is deprecated.
    pub deprecated: bool,
    /// A change to this attribute replaces the remote object.
    pub requires_replace: bool,
    /// The value planned when the configuration leaves the attribute unset.
    pub default: Option<Value>,
    /// A computed value that never changes once set: plans keep the prior value rather than
    /// marking it unknown when something else changes.
    pub stable: bool,
    /// Checks on a configured value, run at `terraform validate` and shown in the docs.
    pub validators: Vec<Validator>,
    /// What the attribute is, in words, for error summaries ("Invalid image tag"); the
    /// attribute's name when unset.
    pub subject: Option<String>,
}

impl Attribute {
    fn new(name: &str, ty: Type, mode: AttributeMode) -> Self {
        Self {
            name: name.to_owned(),
            ty,
            mode,
            description: String::new(),
            description_kind: DescriptionKind::Markdown,
            sensitive: false,
            deprecated: false,
            requires_replace: false,
            default: None,
            stable: false,
            validators: Vec::new(),
            subject: None,
        }
    }

    /// An attribute the configuration must set.
    pub fn required(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttributeMode::Required)
    }

    /// An attribute the configuration may set.
    pub fn optional(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttributeMode::Optional)
    }

    /// An attribute the configuration may set, and the provider fills in otherwise.
    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttributeMode::OptionalComputed)
    }

    /// An attribute only the provider sets.
    pub fn computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttributeMode::Computed)
    }

    /// Sets the (markdown) description.
    pub fn describe(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    /// Marks the description as plain text.
    pub fn plain_description(mut self) -> Self {
        self.description_kind = DescriptionKind::Plain;
        self
    }

    /// Marks the value as sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated.
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// A change to this attribute replaces the object.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// The value used when the configuration leaves it unset (makes the attribute computed).
    pub fn default(mut self, value: Value) -> Self {
        if self.mode == AttributeMode::Optional {
            self.mode = AttributeMode::OptionalComputed;
        }
        self.default = Some(value);
        self
    }

    /// Keeps the prior value in plans instead of marking it unknown.
    pub fn stable(mut self) -> Self {
        self.stable = true;
        self
    }

    /// Adds a check on the configured value.
    pub fn validate(mut self, validator: Validator) -> Self {
        self.validators.push(validator);
        self
    }

    /// Names the attribute in words in error summaries: `subject("image tag")` gives
    /// "Invalid image tag".
    pub fn subject(mut self, subject: &str) -> Self {
        self.subject = Some(subject.to_owned());
        self
    }

    /// What error summaries call the attribute: its subject, else its name.
    pub fn error_subject(&self) -> &str {
        self.subject.as_deref().unwrap_or(&self.name)
    }

    /// Whether the provider may set the value.
    pub fn is_computed(&self) -> bool {
        matches!(
            self.mode,
            AttributeMode::Computed | AttributeMode::OptionalComputed
        )
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; the value is an object (or null).
    Single,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks.
    Set,
}

/// A nested block type such as `endpoints { ... }`.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    /// The block type name.
    pub name: String,
    /// How it repeats.
    pub nesting: Nesting,
    /// Its content.
    pub block: Block,
    /// Fewest blocks allowed (0 = optional).
    pub min_items: i64,
    /// Most blocks allowed (0 = unlimited).
    pub max_items: i64,
    /// A change inside this block replaces the remote object.
    pub requires_replace: bool,
}

impl NestedBlock {
    /// A block that appears at most once.
    pub fn single(name: &str, block: Block) -> Self {
        Self {
            name: name.to_owned(),
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
            requires_replace: false,
        }
    }

    /// A block that may repeat, in order.
    pub fn list(name: &str, block: Block) -> Self {
        Self {
            nesting: Nesting::List,
            ..Self::single(name, block)
        }
    }

    /// A block that may repeat, unordered.
    pub fn set(name: &str, block: Block) -> Self {
        Self {
            nesting: Nesting::Set,
            ..Self::single(name, block)
        }
    }

    /// Limits the number of blocks.
    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }

    /// A change inside this block replaces the object.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// The value type of this block as an attribute of its parent object.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }
}

/// A block: attributes and nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// What the block is for.
    pub description: String,
    /// The description's format.
    pub description_kind: DescriptionKind,
    /// Set when the whole block is deprecated.
    pub deprecated: bool,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Its nested block types.
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    /// An empty block with a (markdown) description.
    pub fn new(description: &str) -> Self {
        Self {
            description: description.to_owned(),
            ..Self::default()
        }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block type.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type of a value of this block.
    pub fn value_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .chain(self.blocks.iter().map(|b| (b.name.clone(), b.value_type())));
        Type::object(attributes)
    }

    /// An attribute by name.
    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// A nested block type by name.
    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }
}

/// The schema of a provider configuration, resource or data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// The schema version; bump it when stored state needs an upgrade.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A schema at version 0.
    pub fn new(block: Block) -> Self {
        Self { version: 0, block }
    }

    /// The same schema with another version.
    pub fn with_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// The object type of a value of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// The wire form Terraform reads.
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(block_to_proto(&self.block, self.version)),
        }
    }
}

fn kind_to_proto(kind: DescriptionKind) -> i32 {
    match kind {
        DescriptionKind::Plain => pb::StringKind::Plain as i32,
        DescriptionKind::Markdown => pb::StringKind::Markdown as i32,
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    // Terraform expects attributes and block types in a stable order; sort by name.
    let attributes: BTreeMap<&str, &Attribute> = block
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    let blocks: BTreeMap<&str, &NestedBlock> =
        block.blocks.iter().map(|b| (b.name.as_str(), b)).collect();
    pb::schema::Block {
        version,
        attributes: attributes.values().map(|a| attribute_to_proto(a)).collect(),
        block_types: blocks.values().map(|b| nested_to_proto(b)).collect(),
        description: block.description.clone(),
        description_kind: kind_to_proto(block.description_kind),
        deprecated: block.deprecated,
    }
}

fn attribute_to_proto(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: attribute.ty.to_json(),
        nested_type: None,
        description: attribute.description.clone(),
        required: attribute.mode == AttributeMode::Required,
        optional: matches!(
            attribute.mode,
            AttributeMode::Optional | AttributeMode::OptionalComputed
        ),
        computed: attribute.is_computed(),
        sensitive: attribute.sensitive,
        description_kind: kind_to_proto(attribute.description_kind),
        deprecated: attribute.deprecated,
        write_only: false,
    }
}

fn nested_to_proto(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
    };
    pb::schema::NestedBlock {
        type_name: nested.name.clone(),
        block: Some(block_to_proto(&nested.block, 0)),
        nesting: nesting as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_make_an_optional_attribute_computed() {
        let attribute =
            Attribute::optional("mode", Type::String).default(Value::String("MUTABLE".into()));
        assert_eq!(attribute.mode, AttributeMode::OptionalComputed);
        let proto = attribute_to_proto(&attribute);
        assert!(proto.optional && proto.computed && !proto.required);
    }

    #[test]
    fn nested_blocks_shape_the_value_type() {
        let schema = Schema::new(
            Block::new("r")
                .attribute(Attribute::required("name", Type::String))
                .block(NestedBlock::list(
                    "filter",
                    Block::new("f").attribute(Attribute::required("value", Type::String)),
                )),
        );
        let expected = Type::object([
            ("name".to_owned(), Type::String),
            (
                "filter".to_owned(),
                Type::list(Type::object([("value".to_owned(), Type::String)])),
            ),
        ]);
        assert_eq!(schema.value_type(), expected);
        let proto = schema.to_proto();
        let block = proto.block.unwrap_or_default();
        assert_eq!(block.block_types.len(), 1);
        assert_eq!(block.attributes[0].r#type, b"\"string\"".to_vec());
    }
}
