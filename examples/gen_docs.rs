//! Writes the provider's registry documentation (`index.md`, `resources/*.md`,
//! `data-sources/*.md`, `ephemeral-resources/*.md`, `list-resources/*.md`, `functions/*.md`,
//! `actions/*.md`) into a directory, `docs` unless another is given:
//!
//! ```text
//! cargo run --example gen_docs -- docs
//! ```
//!
//! Pages in the generated directories that the provider no longer documents are removed,
//! so a renamed or dropped type leaves no stale page behind.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use terraform_provider_todo::provider::docs::render_all;

/// The subdirectories whose Markdown files are all generated.
const GENERATED_DIRS: [&str; 6] = [
    "resources",
    "data-sources",
    "ephemeral-resources",
    "list-resources",
    "functions",
    "actions",
];

fn main() -> ExitCode {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs".to_owned()));
    match generate(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen_docs: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(dir: &Path) -> Result<(), String> {
    let pages = render_all();
    let mut written = BTreeSet::new();
    for (relative, content) in &pages {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let unchanged = fs::read_to_string(&path).is_ok_and(|old| old == *content);
        if unchanged {
            println!("unchanged {}", path.display());
        } else {
            fs::write(&path, content)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote     {}", path.display());
        }
        written.insert(path);
    }
    for sub in GENERATED_DIRS {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_page = path.extension().is_some_and(|ext| ext == "md");
            if is_page && !written.contains(&path) {
                fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
                println!("removed   {}", path.display());
            }
        }
    }
    println!("{} pages in {}", pages.len(), dir.display());
    Ok(())
}
