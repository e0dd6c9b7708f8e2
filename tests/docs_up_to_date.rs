//! Fails when `docs/` no longer matches what the schemas render: a page differs, is missing, or
//! documents a type the provider no longer has. Fix it with `make docs`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use terraform_provider_todo::provider::docs::render_all;

/// The `docs/` subdirectories whose Markdown files are all generated.
const GENERATED_DIRS: [&str; 6] = [
    "resources",
    "data-sources",
    "ephemeral-resources",
    "list-resources",
    "functions",
    "actions",
];

#[test]
fn docs_match_the_schemas() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let pages = render_all();
    let mut problems = Vec::new();
    for (relative, expected) in &pages {
        match fs::read_to_string(docs.join(relative)) {
            Ok(actual) if actual == *expected => {}
            Ok(actual) => problems.push(format!(
                "docs/{relative} is stale (first difference at line {})",
                first_difference(&actual, expected)
            )),
            Err(_) => problems.push(format!("docs/{relative} is missing")),
        }
    }
    let generated: BTreeSet<&str> = pages.iter().map(|(path, _)| path.as_str()).collect();
    for sub in GENERATED_DIRS {
        let Ok(entries) = fs::read_dir(docs.join(sub)) else {
            continue;
        };
        let mut extra: Vec<String> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let relative = format!("{sub}/{name}");
                (name.ends_with(".md") && !generated.contains(relative.as_str()))
                    .then_some(relative)
            })
            .collect();
        extra.sort();
        problems.extend(
            extra
                .into_iter()
                .map(|relative| format!("docs/{relative} documents no current type")),
        );
    }
    assert!(
        problems.is_empty(),
        "the documentation is out of date; run `make docs` \
         (cargo run --example gen_docs -- docs) and commit the result:\n  {}",
        problems.join("\n  ")
    );
}

/// The 1-based number of the first line where two texts differ.
fn first_difference(actual: &str, expected: &str) -> usize {
    let mut actual_lines = actual.lines();
    let mut expected_lines = expected.lines();
    let mut line = 1;
    loop {
        match (actual_lines.next(), expected_lines.next()) {
            (Some(a), Some(e)) if a == e => line += 1,
            (None, None) => return line,
            _ => return line,
        }
    }
}
