//! Collects the README's Rust blocks into one Markdown file that
//! `src/lib.rs` hands to rustdoc, so every snippet a reader may copy is
//! compiled (and run, unless marked `no_run`) by `cargo test`. Only fenced
//! ```` ```rust ```` blocks are taken: the README's indented shell commands
//! are not Rust.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let readme =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../README.md");
    println!("cargo::rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme)
        .unwrap_or_else(|error| panic!("cannot read {} to compile its snippets: {error}", readme.display()));
    let mut out = String::new();
    let mut block: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match &mut block {
            None if line.trim_start().starts_with("```rust") => {
                let info = line.trim_start().trim_start_matches("```");
                block = Some((number + 1, format!("```{info}\n")));
            }
            None => {}
            Some((start, code)) if line.trim_start() == "```" => {
                let _ = write!(out, "README.md, line {start}:\n\n{code}```\n\n");
                block = None;
            }
            Some((_, code)) => {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    let target = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("readme_snippets.md");
    std::fs::write(&target, out).unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
}
