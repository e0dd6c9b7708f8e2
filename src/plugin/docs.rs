//! Documentation pages from schemas, in the layout of the Terraform Registry.
//!
//! A provider hands in its schemas plus what a schema cannot say (an example configuration and
//! how to import), and gets back Markdown with the registry's YAML front matter:
//!
//! * [`render_index`]: the provider page (`docs/index.md`) with the provider block's arguments;
//! * [`render_page`]: a resource, data source or ephemeral resource page
//!   (`docs/resources/<name>.md`, `docs/data-sources/<name>.md`,
//!   `docs/ephemeral-resources/<name>.md`) with Example Usage, Argument Reference (required,
//!   then optional arguments, then each nested block in its own subsection), Attribute
//!   Reference (the computed-only attributes) and, for resources, Import;
//! * [`render_list_page`]: a list resource page (`docs/list-resources/<name>.md`);
//! * [`render_function_page`]: a provider function's page (`docs/functions/<name>.md`);
//! * [`render_action_page`]: an action's page (`docs/actions/<name>.md`) with Example Usage and
//!   the arguments of its `config` block.
//!
//! Attributes and blocks appear in the order the schema lists them, so the output is
//! deterministic and a schema change shows as a small diff. This module knows nothing of any
//! particular provider.

use std::fmt::Write as _;

use super::action::Action;
use super::function::Function;
use super::identity::IdentitySchema;

mod list_page;

use super::schema::{Attribute, AttributeMode, Block, NestedBlock, Nesting, Schema};
use super::value::{Type, Value};
pub use list_page::{ListPage, render_list_page};

/// Whether a page documents a managed resource, a data source or an ephemeral resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// A managed resource (`resource "..." "..." {}`).
    Resource,
    /// A data source (`data "..." "..." {}`).
    DataSource,
    /// An ephemeral resource (`ephemeral "..." "..." {}`).
    EphemeralResource,
}

impl PageKind {
    /// The name the registry uses in titles: `Resource`, `Data Source` or `Ephemeral Resource`.
    pub fn title(self) -> &'static str {
        match self {
            PageKind::Resource => "Resource",
            PageKind::DataSource => "Data Source",
            PageKind::EphemeralResource => "Ephemeral Resource",
        }
    }

    /// The `docs/` subdirectory for this kind of page: `resources`, `data-sources` or
    /// `ephemeral-resources`.
    pub fn directory(self) -> &'static str {
        match self {
            PageKind::Resource => "resources",
            PageKind::DataSource => "data-sources",
            PageKind::EphemeralResource => "ephemeral-resources",
        }
    }

    /// The HCL block keyword of this kind: `resource`, `data` or `ephemeral`.
    pub fn keyword(self) -> &'static str {
        match self {
            PageKind::Resource => "resource",
            PageKind::DataSource => "data",
            PageKind::EphemeralResource => "ephemeral",
        }
    }
}

/// Everything needed to render one resource or data source page.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The provider's local name, such as `todo` (shown in the page title).
    pub provider: &'a str,
    /// Resource, data source or ephemeral resource.
    pub kind: PageKind,
    /// The full type name, such as `todo_ecr_repository`.
    pub type_name: &'a str,
    /// The type's schema.
    pub schema: &'a Schema,
    /// An example configuration in HCL, without code fences.
    pub example: &'a str,
    /// Markdown explaining how to import an existing object; `None` when the type cannot be
    /// imported. Ignored for data sources and ephemeral resources.
    pub import: Option<&'a str>,
}

/// Renders a resource, data source or ephemeral resource page.
pub fn render_page(page: &Page<'_>) -> String {
    let block = &page.schema.block;
    let mut out = String::new();
    front_matter(
        &mut out,
        &format!(
            "{} {} - {}",
            page.type_name,
            page.kind.title(),
            page.provider
        ),
        &block.description,
    );
    let _ = writeln!(out, "# {} ({})\n", page.type_name, page.kind.title());
    paragraph(&mut out, &block.description);
    example(&mut out, page.example);
    arguments(&mut out, block, page.kind == PageKind::Resource);

    out.push_str("## Attribute Reference\n\n");
    let exported: Vec<&Attribute> = block
        .attributes
        .iter()
        .filter(|a| a.mode == AttributeMode::Computed)
        .collect();
    if exported.is_empty() {
        out.push_str("This type exports no attributes besides its arguments.\n");
    } else {
        out.push_str(
            "In addition to the arguments above, the following attributes are exported:\n\n",
        );
        for attribute in exported {
            attribute_line(&mut out, attribute, None, false);
        }
    }

    if page.kind == PageKind::Resource
        && let Some(import) = page.import
    {
        out.push_str("\n## Import\n\n");
        paragraph(&mut out, import);
    }
    finish(out)
}

/// Renders the provider's index page from the schema of its `provider` block.
pub fn render_index(provider: &str, schema: &Schema, example_hcl: &str) -> String {
    let block = &schema.block;
    let mut out = String::new();
    front_matter(
        &mut out,
        &format!("{provider} Provider"),
        &block.description,
    );
    let _ = writeln!(out, "# {provider} Provider\n");
    paragraph(&mut out, &block.description);
    example(&mut out, example_hcl);
    arguments(&mut out, block, false);
    finish(out)
}

/// The registry's name for a value type: `String`, `Number`, `Bool`, `Map of String`,
/// `List of String`, `Set of Number`, `Object`, `Tuple` or `Dynamic`.
pub fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".to_owned(),
        Type::Number => "Number".to_owned(),
        Type::Bool => "Bool".to_owned(),
        Type::Dynamic => "Dynamic".to_owned(),
        Type::List(element) => format!("List of {}", type_label(element)),
        Type::Set(element) => format!("Set of {}", type_label(element)),
        Type::Map(element) => format!("Map of {}", type_label(element)),
        Type::Tuple(_) => "Tuple".to_owned(),
        Type::Object(_) => "Object".to_owned(),
    }
}

/// A value as an HCL literal, for "Defaults to ..." sentences: `"MUTABLE"`, `3000`, `false`,
/// `["a", "b"]`, `{ key = "value" }`.
pub fn value_literal(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Unknown(_) => "(known after apply)".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let items: Vec<String> = items.iter().map(value_literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(entries) => entries_literal(entries.iter()),
        Value::Object(attributes) => entries_literal(attributes.iter()),
        Value::Dynamic(_, inner) => value_literal(inner),
    }
}

/// A map's or object's entries as an HCL object literal.
fn entries_literal<'a>(entries: impl ExactSizeIterator<Item = (&'a String, &'a Value)>) -> String {
    if entries.len() == 0 {
        return "{}".to_owned();
    }
    let entries: Vec<String> = entries
        .map(|(key, value)| format!("{} = {}", quote(key), value_literal(value)))
        .collect();
    format!("{{ {} }}", entries.join(", "))
}

/// A string in double quotes with HCL's escapes.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `${` and `%{` start templates; HCL escapes them as `$${` and `%%{`.
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The YAML front matter the registry reads.
fn front_matter(out: &mut String, title: &str, description: &str) {
    out.push_str("---\n");
    let title = title.replace('\\', "\\\\").replace('"', "\\\"");
    let _ = writeln!(out, "page_title: \"{title}\"");
    out.push_str("subcategory: \"\"\n");
    out.push_str("description: |-\n");
    for line in description.trim().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push_str("---\n\n");
}

/// A provider function's page (`docs/functions/<name>.md`), in the registry's layout: the
/// summary, an example, the signature, the arguments and the result.
pub fn render_function_page(provider: &str, function: &dyn Function, example_hcl: &str) -> String {
    let name = function.name();
    let signature = function.signature();
    let mut out = String::new();
    front_matter(
        &mut out,
        &format!("{name} function - {provider}"),
        signature.summary,
    );
    let _ = writeln!(out, "# function: {name}\n");
    paragraph(&mut out, signature.description);
    example(&mut out, example_hcl);
    let parameters: Vec<String> = signature
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, type_label(&p.ty)))
        .collect();
    let returns = type_label(&signature.returns);
    let _ = writeln!(
        out,
        "## Signature\n\n```text\n{name}({}) {returns}\n```\n\n## Arguments\n",
        parameters.join(", ")
    );
    for (index, parameter) in signature.parameters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. `{}` ({}) {}",
            index + 1,
            parameter.name,
            type_label(&parameter.ty),
            one_line(parameter.description)
        );
    }
    let _ = writeln!(out, "\n## Result\n\n{returns}");
    if let Type::Object(object) = &signature.returns {
        out.push('\n');
        for (attribute, ty) in &object.attributes {
            let _ = writeln!(
                out,
                "- `{attribute}` ({}, null when absent)",
                type_label(ty)
            );
        }
    }
    finish(out)
}

/// The import-by-identity part of a resource page's Import section (Terraform 1.12+): an
/// `import` block for `address` with `example` (the body of its `identity` object, one
/// `name = value` per line), then the identity's attributes.
pub fn identity_import(schema: &IdentitySchema, address: &str, example: &str) -> String {
    let mut out = String::new();
    let body: Vec<String> = example
        .trim()
        .lines()
        .map(|line| format!("    {}", line.trim()))
        .collect();
    let _ = writeln!(
        out,
        "With Terraform 1.12 or later, an `import` block may name the object by its resource \
         identity instead:\n\n```terraform\nimport {{\n  to = {address}\n  identity = {{\n{}\n  \
         }}\n}}\n```\n\nThe identity's attributes:\n",
        body.join("\n")
    );
    for attribute in &schema.attributes {
        let need = if attribute.required_for_import {
            "Required"
        } else {
            "Optional"
        };
        let _ = writeln!(
            out,
            "- `{}` ({}, {need}) {}",
            attribute.name,
            type_label(&attribute.ty),
            one_line(&attribute.description)
        );
    }
    out
}

/// An action's page (`docs/actions/<name>.md`), in the registry's layout: the description, an
/// example, and the arguments of the action's `config` block. An action exports nothing.
pub fn render_action_page(provider: &str, action: &dyn Action, example_hcl: &str) -> String {
    let type_name = action.type_name();
    let schema = action.schema();
    let block = &schema.block;
    let mut out = String::new();
    front_matter(
        &mut out,
        &format!("{type_name} Action - {provider}"),
        &block.description,
    );
    let _ = writeln!(
        out,
        "# {type_name} (Action)
"
    );
    paragraph(&mut out, &block.description);
    example(&mut out, example_hcl);
    arguments(&mut out, block, false);
    paragraph(
        &mut out,
        &format!(
            "The arguments go in the action's `config` block. Run the action with \
             `terraform apply -invoke=action.{type_name}.<name>`, or from a resource's \
             `lifecycle {{ action_trigger {{ ... }} }}` (Terraform 1.14 or later). An action \
             changes nothing in the Terraform state."
        ),
    );
    finish(out)
}

/// A paragraph of Markdown followed by a blank line; nothing when empty.
fn paragraph(out: &mut String, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        out.push_str(text);
        out.push_str("\n\n");
    }
}

/// The Example Usage section.
fn example(out: &mut String, hcl: &str) {
    out.push_str("## Example Usage\n\n```terraform\n");
    out.push_str(hcl.trim_matches('\n'));
    out.push_str("\n```\n\n");
}

/// The Argument Reference section: required, then optional arguments of the top-level block,
/// then a subsection per nested block (depth first).
fn arguments(out: &mut String, block: &Block, replaces: bool) {
    out.push_str("## Argument Reference\n\n");
    let before = out.len();
    argument_lines(out, block, "", replaces);
    if out.len() == before {
        out.push_str("This type takes no arguments.\n");
    }
    out.push('\n');
    nested_sections(out, block, "", replaces);
}

/// The argument lines of a block: required attributes and blocks, then optional ones.
fn argument_lines(out: &mut String, block: &Block, path: &str, replaces: bool) {
    for required in [true, false] {
        for attribute in &block.attributes {
            let is_required = attribute.mode == AttributeMode::Required;
            if attribute.mode != AttributeMode::Computed && is_required == required {
                attribute_line(out, attribute, Some(required), replaces);
            }
        }
        for nested in &block.blocks {
            if (nested.min_items > 0) == required {
                block_line(out, nested, path, replaces);
            }
        }
    }
}

/// One attribute: `` - `name` (Type, Required) Description. Defaults to `x`. ``.
/// `required` is `None` for exported (computed-only) attributes.
fn attribute_line(out: &mut String, attribute: &Attribute, required: Option<bool>, replaces: bool) {
    let mut labels = vec![type_label(&attribute.ty)];
    match required {
        Some(true) => labels.push("Required".to_owned()),
        Some(false) => labels.push("Optional".to_owned()),
        None => {}
    }
    if attribute.sensitive {
        labels.push("Sensitive".to_owned());
    }
    if attribute.deprecated {
        labels.push("Deprecated".to_owned());
    }
    let mut sentences = Vec::new();
    if attribute.deprecated {
        sentences.push("**Deprecated.**".to_owned());
    }
    let description = attribute.description.trim();
    if !description.is_empty() {
        sentences.push(one_line(description));
    }
    sentences.extend(attribute.validators.iter().map(|v| one_line(&v.describe())));
    if required.is_some()
        && let Some(default) = &attribute.default
    {
        sentences.push(format!("Defaults to `{}`.", value_literal(default)));
    }
    if replaces && attribute.requires_replace {
        sentences.push("Changing this forces a new resource.".to_owned());
    }
    if attribute.sensitive {
        sentences.push("Sensitive.".to_owned());
    }
    line(out, &attribute.name, &labels, &sentences);
}

/// One nested block, pointing to its subsection.
fn block_line(out: &mut String, nested: &NestedBlock, path: &str, replaces: bool) {
    let mut labels = vec![
        match nested.nesting {
            Nesting::Single => "Block",
            Nesting::List => "Block List",
            Nesting::Set => "Block Set",
        }
        .to_owned(),
    ];
    labels.push(
        if nested.min_items > 0 {
            "Required"
        } else {
            "Optional"
        }
        .to_owned(),
    );
    if nested.min_items > 1 {
        labels.push(format!("Min: {}", nested.min_items));
    }
    if nested.max_items > 0 && nested.nesting != Nesting::Single {
        labels.push(format!("Max: {}", nested.max_items));
    }
    if nested.block.deprecated {
        labels.push("Deprecated".to_owned());
    }
    let mut sentences = Vec::new();
    let description = nested.block.description.trim();
    if !description.is_empty() {
        sentences.push(one_line(description));
    }
    if replaces && nested.requires_replace {
        sentences.push("Changing this forces a new resource.".to_owned());
    }
    let full = join_path(path, &nested.name);
    sentences.push(format!("See [below](#{}).", anchor(&full)));
    line(out, &nested.name, &labels, &sentences);
}

/// A subsection per nested block: its arguments, then its computed-only attributes, then its
/// own nested blocks.
fn nested_sections(out: &mut String, block: &Block, path: &str, replaces: bool) {
    for nested in &block.blocks {
        let full = join_path(path, &nested.name);
        let _ = writeln!(out, "<a id=\"{}\"></a>", anchor(&full));
        let _ = writeln!(out, "### Nested block: {full}\n");
        let before = out.len();
        argument_lines(out, &nested.block, &full, replaces);
        for attribute in &nested.block.attributes {
            if attribute.mode == AttributeMode::Computed {
                let mut attribute = attribute.clone();
                attribute.description = join_sentences(&attribute.description, "Read-only.");
                attribute_line(out, &attribute, None, replaces);
            }
        }
        if out.len() == before {
            out.push_str("This block has no attributes.\n");
        }
        out.push('\n');
        nested_sections(out, &nested.block, &full, replaces);
    }
}

/// A list item: `` - `name` (label, label) sentence sentence ``.
fn line(out: &mut String, name: &str, labels: &[String], sentences: &[String]) {
    let _ = write!(out, "- `{name}` ({})", labels.join(", "));
    for sentence in sentences {
        out.push(' ');
        out.push_str(sentence);
    }
    out.push('\n');
}

/// A description on one line, so it stays inside its list item.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn join_sentences(first: &str, second: &str) -> String {
    let first = first.trim();
    if first.is_empty() {
        second.to_owned()
    } else {
        format!("{first} {second}")
    }
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The HTML anchor of a nested block subsection.
fn anchor(path: &str) -> String {
    format!("nestedblock--{}", path.replace('.', "--"))
}

/// Collapses runs of blank lines and ends the page with exactly one newline.
fn finish(out: String) -> String {
    let mut text = out.trim_end().to_owned();
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let id = Attribute::computed("id", Type::String).describe("The widget ID.");
        let speed = Attribute::optional("speed", Type::Number).default(Value::from_i64(3));
        let name = Attribute::required("name", Type::String).requires_replace();
        let token = Attribute::optional("token", Type::String).sensitive();
        let mode = Attribute::optional("mode", Type::String).default(Value::String("FAST".into()));
        let rule = Block::new("A rule.")
            .attribute(Attribute::required("value", Type::set(Type::String)))
            .attribute(Attribute::computed("hash", Type::String));
        Schema::new(
            Block::new("A widget.\n\nIt spins.")
                .attribute(id)
                .attribute(speed.describe("Turns per second."))
                .attribute(name.describe("The widget name."))
                .attribute(token.describe("A secret."))
                .attribute(Attribute::optional("labels", Type::map(Type::String)))
                .attribute(mode)
                .block(NestedBlock::list("rule", rule).items(0, 5)),
        )
    }

    #[test]
    fn resource_page_has_the_registry_layout() {
        let schema = schema();
        let page = render_page(&Page {
            provider: "acme",
            kind: PageKind::Resource,
            type_name: "acme_widget",
            schema: &schema,
            example: "resource \"acme_widget\" \"w\" {\n  name = \"w\"\n}\n",
            import: Some("```shell\nterraform import acme_widget.w w\n```"),
        });
        let expected = r#"---
page_title: "acme_widget Resource - acme"
subcategory: ""
description: |-
  A widget.

  It spins.
---

# acme_widget (Resource)

A widget.

It spins.

## Example Usage

```terraform
resource "acme_widget" "w" {
  name = "w"
}
```

## Argument Reference

- `name` (String, Required) The widget name. Changing this forces a new resource.
- `speed` (Number, Optional) Turns per second. Defaults to `3`.
- `token` (String, Optional, Sensitive) A secret. Sensitive.
- `labels` (Map of String, Optional)
- `mode` (String, Optional) Defaults to `"FAST"`.
- `rule` (Block List, Optional, Max: 5) A rule. See [below](#nestedblock--rule).

<a id="nestedblock--rule"></a>
### Nested block: rule

- `value` (Set of String, Required)
- `hash` (String) Read-only.

## Attribute Reference

In addition to the arguments above, the following attributes are exported:

- `id` (String) The widget ID.

## Import

```shell
terraform import acme_widget.w w
```
"#;
        assert_eq!(page, expected);
        // Rendering is deterministic.
        let again = render_page(&Page {
            provider: "acme",
            kind: PageKind::Resource,
            type_name: "acme_widget",
            schema: &schema,
            example: "resource \"acme_widget\" \"w\" {\n  name = \"w\"\n}\n",
            import: Some("```shell\nterraform import acme_widget.w w\n```"),
        });
        assert_eq!(page, again);
    }

    #[test]
    fn data_source_pages_have_no_import_and_no_replacement_notes() {
        let schema = schema();
        let page = render_page(&Page {
            provider: "acme",
            kind: PageKind::DataSource,
            type_name: "acme_widget",
            schema: &schema,
            example: "data \"acme_widget\" \"w\" {}",
            import: Some("ignored"),
        });
        assert!(page.starts_with("---\npage_title: \"acme_widget Data Source - acme\"\n"));
        assert!(page.contains("# acme_widget (Data Source)\n"));
        assert!(!page.contains("## Import"));
        assert!(!page.contains("ignored"));
        assert!(!page.contains("forces a new resource"));
    }

    #[test]
    fn ephemeral_resource_pages_have_their_title_and_no_import() {
        let schema = schema();
        let page = render_page(&Page {
            provider: "acme",
            kind: PageKind::EphemeralResource,
            type_name: "acme_widget",
            schema: &schema,
            example: "ephemeral \"acme_widget\" \"w\" {}",
            import: Some("ignored"),
        });
        assert!(page.starts_with("---\npage_title: \"acme_widget Ephemeral Resource - acme\"\n"));
        assert!(page.contains("# acme_widget (Ephemeral Resource)\n"));
        assert!(page.contains("- `token` (String, Optional, Sensitive) A secret. Sensitive.\n"));
        assert!(!page.contains("## Import"));
        assert!(!page.contains("forces a new resource"));
        assert_eq!(
            PageKind::EphemeralResource.directory(),
            "ephemeral-resources"
        );
        assert_eq!(PageKind::EphemeralResource.keyword(), "ephemeral");
    }

    #[test]
    fn index_lists_the_provider_arguments() {
        let schema = Schema::new(
            Block::new("The acme provider.")
                .attribute(Attribute::optional("region", Type::String).describe("Region."))
                .block(NestedBlock::single(
                    "endpoints",
                    Block::new("Endpoints.").attribute(Attribute::optional("api", Type::String)),
                )),
        );
        let page = render_index("acme", &schema, "provider \"acme\" {}");
        assert!(page.starts_with("---\npage_title: \"acme Provider\"\n"));
        assert!(page.contains("# acme Provider\n\nThe acme provider.\n"));
        assert!(page.contains("- `region` (String, Optional) Region.\n"));
        assert!(page.contains(
            "- `endpoints` (Block, Optional) Endpoints. See [below](#nestedblock--endpoints).\n"
        ));
        assert!(page.contains("### Nested block: endpoints\n\n- `api` (String, Optional)\n"));
        assert!(!page.contains("## Attribute Reference"));
    }

    #[test]
    fn types_and_values_read_like_the_registry() {
        assert_eq!(type_label(&Type::map(Type::String)), "Map of String");
        assert_eq!(type_label(&Type::list(Type::String)), "List of String");
        assert_eq!(type_label(&Type::set(Type::Number)), "Set of Number");
        assert_eq!(type_label(&Type::Bool), "Bool");
        assert_eq!(value_literal(&Value::String("a\"b".into())), "\"a\\\"b\"");
        assert_eq!(value_literal(&Value::Bool(false)), "false");
        assert_eq!(
            value_literal(&Value::List(vec![Value::from_i64(1), Value::from_i64(2)])),
            "[1, 2]"
        );
    }

    #[test]
    fn validators_read_as_sentences_after_the_description() {
        let schema = Schema::new(
            Block::new("A widget.").attribute(
                Attribute::optional("mode", Type::String)
                    .validate(crate::plugin::Validator::OneOf(&["FAST", "SLOW"]))
                    .default(Value::from("FAST"))
                    .describe("How it spins."),
            ),
        );
        let page = render_page(&Page {
            provider: "acme",
            kind: PageKind::Resource,
            type_name: "acme_widget",
            schema: &schema,
            example: "",
            import: None,
        });
        assert!(
            page.contains(
                "- `mode` (String, Optional) How it spins. One of `FAST` or `SLOW`. Defaults to `\"FAST\"`."
            ),
            "{page}"
        );
    }
}
