//! A list resource's page (`docs/list-resources/<name>.md`), in the registry's layout: what it
//! finds, an example `.tfquery.hcl`, the arguments of its `config` block, and what each result
//! carries (the managed resource type's identity, and its state with `include_resource`).

use std::fmt::Write as _;

use super::super::identity::IdentitySchema;
use super::super::schema::Schema;
use super::{arguments, example, finish, front_matter, one_line, paragraph, type_label};

/// Everything needed to render one list resource page.
#[derive(Debug, Clone, Copy)]
pub struct ListPage<'a> {
    /// The provider's local name, such as `todo`.
    pub provider: &'a str,
    /// The type name, the managed resource type it lists, such as `todo_ecs_cluster`.
    pub type_name: &'a str,
    /// The schema of the `list` block's `config` block.
    pub schema: &'a Schema,
    /// The identity schema of the managed resource type (what every result carries).
    pub identity: Option<&'a IdentitySchema>,
    /// An example `.tfquery.hcl`, without code fences.
    pub example: &'a str,
}

/// Renders a list resource page.
pub fn render_list_page(page: &ListPage<'_>) -> String {
    let block = &page.schema.block;
    let type_name = page.type_name;
    let mut out = String::new();
    front_matter(
        &mut out,
        &format!("{type_name} List Resource - {}", page.provider),
        &block.description,
    );
    let _ = writeln!(out, "# {type_name} (List Resource)\n");
    paragraph(&mut out, &block.description);
    paragraph(
        &mut out,
        &format!(
            "Use it in a `list` block of a `.tfquery.hcl` file and run `terraform query` \
             (Terraform 1.14 or later); `terraform query -generate-config-out=<file>` writes a \
             `{type_name}` resource block and an `import` block for every result. The arguments \
             below go in the `list` block's `config` block."
        ),
    );
    example(&mut out, page.example);
    arguments(&mut out, block, false);
    out.push_str(
        "The `list` block itself also takes Terraform's `include_resource` (each result with \
         the whole object, as the resource records it; implied by `-generate-config-out`) and \
         `limit` (at most this many results, 100 by default) arguments.\n\n",
    );
    out.push_str("## Results\n\n");
    let _ = writeln!(
        out,
        "Each result is shown by its name and carries the resource identity of a \
         `{type_name}`:\n"
    );
    for attribute in page.identity.iter().flat_map(|i| &i.attributes) {
        let _ = writeln!(
            out,
            "- `{}` ({}) {}",
            attribute.name,
            type_label(&attribute.ty),
            one_line(&attribute.description)
        );
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::{Attribute, Block};
    use crate::plugin::value::Type;

    #[test]
    fn a_list_page_has_its_arguments_and_the_identity_of_its_results() {
        let schema = Schema::new(
            Block::new("Finds widgets.")
                .attribute(Attribute::optional("name_prefix", Type::String).describe("A prefix.")),
        );
        let identity = IdentitySchema::new(0).required("name", Type::String, "The name.");
        let page = render_list_page(&ListPage {
            provider: "acme",
            type_name: "acme_widget",
            schema: &schema,
            identity: Some(&identity),
            example: "list \"acme_widget\" \"all\" {\n  provider = acme\n}",
        });
        assert!(page.starts_with("---\npage_title: \"acme_widget List Resource - acme\"\n"));
        assert!(page.contains("# acme_widget (List Resource)\n\nFinds widgets.\n"));
        assert!(page.contains("```terraform\nlist \"acme_widget\" \"all\" {"));
        assert!(
            page.contains(
                "## Argument Reference\n\n- `name_prefix` (String, Optional) A prefix.\n"
            )
        );
        assert!(page.contains("## Results\n"));
        assert!(page.contains("- `name` (String) The name.\n"));
        assert!(page.ends_with("- `name` (String) The name.\n"));
    }
}
