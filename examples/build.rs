//! Collects the Rust blocks of the README and of the guide (`book/src/`,
//! every Markdown file, sorted by path) into Markdown files that
//! `src/lib.rs` hands to rustdoc, so every snippet a reader may copy is
//! compiled (and run, unless marked `no_run`) by `cargo test`. Only fenced
//! ```` ```rust ```` blocks are taken, each labelled with its file and line:
//! indented shell commands and `toml` / `sh` blocks are not Rust.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("..");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());

    let readme = root.join("README.md");
    println!("cargo::rerun-if-changed={}", readme.display());
    write(&out_dir.join("readme_snippets.md"), &snippets(&root, &[readme]));

    // A directory: cargo reruns this script when any file under it changes.
    let book = root.join("book/src");
    println!("cargo::rerun-if-changed={}", book.display());
    let mut chapters = Vec::new();
    markdown_files(&book, &mut chapters);
    chapters.sort();
    write(&out_dir.join("book_snippets.md"), &snippets(&root, &chapters));
}

/// Every Markdown file under `dir`, recursively (none if there is no `dir`).
fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "md") {
            found.push(path);
        }
    }
}

/// The ```` ```rust ```` blocks of `files`, each after a line naming its
/// file (relative to the repository) and the line of its opening fence.
fn snippets(root: &Path, files: &[PathBuf]) -> String {
    let mut out = String::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|error| {
            panic!("cannot read {} to compile its snippets: {error}", file.display())
        });
        let name = file.strip_prefix(root).unwrap_or(file).display().to_string();
        let mut block: Option<(usize, String)> = None;
        for (number, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start().starts_with("```rust") => {
                    let info = line.trim_start().trim_start_matches("```");
                    block = Some((number + 1, format!("```{info}\n")));
                }
                None => {}
                Some((start, code)) if line.trim_start() == "```" => {
                    let _ = write!(out, "{name}, line {start}:\n\n{code}```\n\n");
                    block = None;
                }
                Some((_, code)) => {
                    code.push_str(line);
                    code.push('\n');
                }
            }
        }
        if let Some((start, _)) = block {
            panic!("{name}, line {start}: a ```rust block that is never closed");
        }
    }
    out
}

fn write(target: &Path, text: &str) {
    std::fs::write(target, text).unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
}
