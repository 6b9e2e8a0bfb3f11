//! The workspace's files.

use std::path::{Path, PathBuf};

pub(super) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace holds the tests crate").to_path_buf()
}

/// A path relative to the workspace, with `/`.
pub(super) fn relative(file: &Path) -> String {
    let relative = file.strip_prefix(workspace()).unwrap_or(file);
    relative.iter().map(|part| part.to_string_lossy()).collect::<Vec<_>>().join("/")
}

pub(super) fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()))
}

/// The `.rs` files under `folder`, sorted.
pub(super) fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("cannot list {}: {error}", folder.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// For a file of a test folder whose binary is `main.rs`: the file that
/// must declare it, and the module name it declares.
pub(super) fn declared_by(root: &Path, file: &Path) -> (PathBuf, String) {
    let relative = file.strip_prefix(root).unwrap_or(file);
    let parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let stem = |name: &str| name.trim_end_matches(".rs").to_owned();
    match parts.as_slice() {
        [file] => (root.join("main.rs"), stem(file)),
        [.., folder, file] if file == "mod.rs" => {
            let parent = &parts[..parts.len() - 2];
            (parent_declaring(root, parent), folder.clone())
        }
        [.., file] => (parent_declaring(root, &parts[..parts.len() - 1]), stem(file)),
        [] => (root.join("main.rs"), String::new()),
    }
}

/// The file of the module that is the folder `parts` (`main.rs` for the
/// root): `parts.rs` or `parts/mod.rs`.
pub(super) fn parent_declaring(root: &Path, parts: &[String]) -> PathBuf {
    if parts.is_empty() {
        return root.join("main.rs");
    }
    let base = root.join(parts.join("/"));
    let non_mod_rs = base.with_extension("rs");
    if non_mod_rs.exists() { non_mod_rs } else { base.join("mod.rs") }
}
