//! List resources (Terraform 1.14+): `list` blocks in `.tfquery.hcl` files, run by
//! `terraform query`, find the remote objects of a managed resource type that exist, each with
//! its resource identity, and optionally its whole state. `terraform query
//! -generate-config-out` then writes a `resource` and an `import` block per object, with the
//! configuration from [`config_from_state`] (GenerateResourceConfig).
//!
//! A provider implements [`ListResource`] under the type name of the managed resource it lists
//! (whose identity schema the results follow) and sends what it finds into a [`ListSink`], page
//! by page: the sink counts against Terraform's `limit` and says when to stop, so a list never
//! reads more pages than Terraform wants.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::diag::Diagnostics;
use super::resource::CallContext;
use super::schema::{AttributeMode, Block, Schema};
use super::value::Value;

/// One remote object a list found.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// Its resource identity: an object of the managed resource type's identity schema.
    pub identity: Value,
    /// How `terraform query` shows it, such as its name.
    pub display_name: String,
    /// Its state, as the managed resource's read records it; `None` unless the sink asks for
    /// it ([`ListSink::include_resource`]).
    pub state: Option<Value>,
}

/// Where a [`ListResource`] sends the objects it finds.
#[derive(Debug)]
pub struct ListSink {
    found: mpsc::Sender<Listed>,
    remaining: usize,
    include_resource: bool,
}

impl ListSink {
    /// A sink that takes at most `limit` objects into `found`; `include_resource` says whether
    /// Terraform wants each object's state.
    pub fn new(found: mpsc::Sender<Listed>, limit: usize, include_resource: bool) -> Self {
        Self {
            found,
            remaining: limit,
            include_resource,
        }
    }

    /// Whether Terraform asked for each object's state (`include_resource = true`, or
    /// `-generate-config-out`); without it, a list may skip the reads that only the state needs.
    pub fn include_resource(&self) -> bool {
        self.include_resource
    }

    /// How many more objects Terraform takes: the page size to ask AWS for, at most.
    pub fn remaining(&self) -> usize {
        if self.found.is_closed() {
            0
        } else {
            self.remaining
        }
    }

    /// Whether Terraform takes more objects (its `limit` is not reached and it still listens).
    pub fn wants_more(&self) -> bool {
        self.remaining() > 0
    }

    /// Sends one object; `false` when Terraform takes no more (the list should stop).
    pub async fn push(&mut self, listed: Listed) -> bool {
        if !self.wants_more() {
            return false;
        }
        if self.found.send(listed).await.is_err() {
            self.remaining = 0;
            return false;
        }
        self.remaining -= 1;
        self.wants_more()
    }
}

/// A list resource type.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The managed resource type it lists, such as `todo_ecs_cluster`.
    fn type_name(&self) -> &'static str;

    /// The schema of the `list` block's `config` block (its filters).
    fn schema(&self) -> Schema;

    /// Checks a `config` block beyond its attributes' own validators.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Finds the objects `config` asks for and sends them into `sink` until it wants no more;
    /// answers what went wrong (after the objects already sent).
    async fn list(&self, config: &Value, sink: &mut ListSink, ctx: &CallContext) -> Diagnostics;
}

/// The configuration `terraform query -generate-config-out` (and `plan -generate-config-out`)
/// writes for an object whose state is `state`: every attribute the configuration may set, as
/// the state has it, except values equal to the attribute's default (left out, since the plan
/// fills them in the same); computed-only attributes are null, so Terraform leaves them out.
/// Applied with the `import` block, it plans no change.
pub fn config_from_state(block: &Block, state: &Value) -> Value {
    let Value::Object(attributes) = state else {
        return state.clone();
    };
    let mut config = attributes.clone();
    for attribute in &block.attributes {
        let Some(value) = config.get_mut(&attribute.name) else {
            continue;
        };
        let is_default = attribute.default.as_ref() == Some(&*value);
        if attribute.mode == AttributeMode::Computed || is_default {
            *value = Value::Null;
        }
    }
    for nested in &block.blocks {
        let Some(value) = config.get_mut(&nested.name) else {
            continue;
        };
        *value = match std::mem::replace(value, Value::Null) {
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| config_from_state(&nested.block, item))
                    .collect(),
            ),
            Value::Set(items) => Value::Set(
                items
                    .iter()
                    .map(|item| config_from_state(&nested.block, item))
                    .collect(),
            ),
            single => config_from_state(&nested.block, &single),
        };
    }
    Value::Object(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::{Attribute, NestedBlock};
    use crate::plugin::value::Type;

    #[test]
    fn generated_configuration_keeps_what_a_configuration_sets() {
        let block = Block::new("thing")
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::required("name", Type::String))
            .attribute(Attribute::optional("port", Type::Number).default(Value::from(3000)))
            .attribute(Attribute::optional("count", Type::Number).default(Value::from(1)))
            .attribute(Attribute::optional_computed("family", Type::String))
            .attribute(Attribute::optional("note", Type::String))
            .block(NestedBlock::single(
                "breaker",
                Block::new("b")
                    .attribute(Attribute::required("enable", Type::Bool))
                    .attribute(Attribute::computed("since", Type::String)),
            ));
        let state = Value::object(vec![
            ("id", Value::from("arn:x")),
            ("name", Value::from("web")),
            ("port", Value::from(3000)),
            ("count", Value::from(2)),
            ("family", Value::from("web-family")),
            ("note", Value::Null),
            (
                "breaker",
                Value::object(vec![
                    ("enable", Value::Bool(true)),
                    ("since", Value::from("now")),
                ]),
            ),
        ]);
        let expected = Value::object(vec![
            ("id", Value::Null),
            ("name", Value::from("web")),
            ("port", Value::Null),
            ("count", Value::from(2)),
            ("family", Value::from("web-family")),
            ("note", Value::Null),
            (
                "breaker",
                Value::object(vec![("enable", Value::Bool(true)), ("since", Value::Null)]),
            ),
        ]);
        assert_eq!(config_from_state(&block, &state), expected);
        assert_eq!(config_from_state(&block, &Value::Null), Value::Null);
    }

    #[tokio::test]
    async fn the_sink_stops_at_the_limit_and_when_terraform_stops_listening() {
        let listed = |n: usize| Listed {
            identity: Value::object(vec![("name", Value::from(format!("o{n}")))]),
            display_name: format!("o{n}"),
            state: None,
        };
        let (tx, mut rx) = mpsc::channel(8);
        let mut sink = ListSink::new(tx, 2, false);
        assert_eq!(sink.remaining(), 2);
        assert!(sink.push(listed(1)).await, "one more wanted");
        assert!(!sink.push(listed(2)).await, "the limit is reached");
        assert!(!sink.push(listed(3)).await, "nothing past the limit");
        assert_eq!(rx.recv().await.map(|l| l.display_name), Some("o1".into()));
        assert_eq!(rx.recv().await.map(|l| l.display_name), Some("o2".into()));
        assert!(rx.try_recv().is_err());

        let (tx, rx) = mpsc::channel(8);
        let mut sink = ListSink::new(tx, 100, true);
        assert!(sink.include_resource());
        drop(rx);
        assert!(!sink.wants_more(), "Terraform hung up");
        assert!(!sink.push(listed(1)).await);
    }
}
