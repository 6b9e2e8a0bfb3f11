//! The import graph of a crate's files, and its circles.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use super::files::{read, relative, rust_files, workspace};
use super::reader::{Token, blank_comments_and_literals, is_name, text, tokens, without_test_items};

/// Each file of a crate (relative to the workspace) and the files it
/// depends on.
pub(super) type Graph = BTreeMap<String, BTreeSet<String>>;

pub(super) fn import_graph(src: &Path) -> Graph {
    let files = rust_files(src);
    let mut test_only = BTreeSet::new();
    let mut read_files = Vec::new();
    for file in &files {
        let (tokens, test_mods) = without_test_items(tokens(&blank_comments_and_literals(&read(file))));
        let module = module_path(src, file);
        for name in test_mods {
            let child: Vec<String> = module.iter().cloned().chain([name]).collect();
            test_only.insert(file_of(src, &child, &files));
        }
        read_files.push((file, module, tokens));
    }
    let mut graph = Graph::new();
    for (file, module, tokens) in read_files.into_iter().filter(|(file, ..)| !test_only.contains(*file)) {
        let targets = graph.entry(relative(file)).or_default();
        for path in references(&tokens, &module) {
            let target = file_of(src, &path, &files);
            if &target != file && !test_only.contains(&target) {
                targets.insert(relative(&target));
            }
        }
    }
    graph
}

/// Whether a circle is a folder's module file (`mod.rs`, or `lib.rs` for
/// the crate's top-level modules) with some of its own children only.
pub(super) fn is_one_folder(src: &Path, circle: &[String]) -> bool {
    let workspace = workspace();
    let modules: Vec<Vec<String>> =
        circle.iter().map(|file| module_path(src, &workspace.join(file))).collect();
    modules.iter().any(|parent| {
        modules.iter().all(|module| {
            module == parent || (module.len() == parent.len() + 1 && module.starts_with(parent))
        })
    })
}

/// The module path of a file: `lib.rs` is `[]`, `a/mod.rs` and `a.rs` are
/// `[a]`, `a/b.rs` is `[a, b]`.
pub(super) fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut path: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if matches!(path.last().map(String::as_str), Some("mod")) || path == ["lib"] {
        path.pop();
    }
    path
}

/// The deepest file of `files` that defines a prefix of `path`, else the
/// crate root.
pub(super) fn file_of(src: &Path, path: &[String], files: &[PathBuf]) -> PathBuf {
    for length in (1..=path.len()).rev() {
        let base = src.join(path[..length].join("/"));
        for candidate in [base.with_extension("rs"), base.join("mod.rs")] {
            if files.contains(&candidate) {
                return candidate;
            }
        }
    }
    src.join("lib.rs")
}

/// The crate-absolute module paths a file's tokens refer to (see the
/// module documentation), in `module`.
pub(super) fn references(tokens: &[Token], module: &[String]) -> Vec<Vec<String>> {
    let declared = declared_modules(tokens, module);
    let mut found = Vec::new();
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let here: Vec<String> =
            module.iter().cloned().chain(scopes.iter().map(|(name, _)| name.clone())).collect();
        match tokens[i].text.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                scopes.retain(|(_, level)| *level < depth + 1);
            }
            "mod" if text(tokens, i + 2) == "{" => {
                scopes.push((text(tokens, i + 1).to_owned(), depth + 1));
                depth += 1;
                i += 3;
                continue;
            }
            "use" => {
                let end = (i..tokens.len()).find(|&j| tokens[j].text == ";").unwrap_or(tokens.len());
                let tree: Vec<&str> = tokens[i + 1..end].iter().map(|t| t.text.as_str()).collect();
                let mut paths = Vec::new();
                use_tree(&tree, &mut 0, &[], &mut paths);
                found.extend(paths.iter().filter_map(|path| absolute(path, &here, &declared)));
                i = end + 1;
                continue;
            }
            "crate" | "super" | "self"
                if text(tokens, i + 1) == "::" && text(tokens, i.wrapping_sub(1)) != "in" =>
            {
                let (path, j) = path_at(tokens, i);
                found.extend(absolute(&path, &here, &declared));
                i = j;
                continue;
            }
            name if is_name(name)
                && text(tokens, i + 1) == "::"
                && text(tokens, i.wrapping_sub(1)) != "::" =>
            {
                let candidate: Vec<String> = here.iter().cloned().chain([name.to_owned()]).collect();
                if declared.contains(&candidate) {
                    let (path, j) = path_at(tokens, i);
                    found.extend(absolute(&path, &here, &declared));
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The path `a::b::c` that starts at token `at`, and the token after it.
fn path_at(tokens: &[Token], at: usize) -> (Vec<String>, usize) {
    let mut path = vec![text(tokens, at).to_owned()];
    let mut next = at + 1;
    while text(tokens, next) == "::" && is_name(text(tokens, next + 1)) {
        path.push(text(tokens, next + 1).to_owned());
        next += 2;
    }
    (path, next)
}

/// The modules declared in a file (`mod x;` or `mod x { ... }`), as
/// crate-absolute paths.
pub(super) fn declared_modules(tokens: &[Token], module: &[String]) -> BTreeSet<Vec<String>> {
    let mut declared = BTreeSet::new();
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token.text.as_str() {
            "{" if text(tokens, i.wrapping_sub(2)) == "mod" => {
                depth += 1;
                scopes.push((text(tokens, i - 1).to_owned(), depth));
            }
            "{" => depth += 1,
            "}" => {
                scopes.retain(|(_, level)| *level < depth);
                depth -= 1;
            }
            "mod" if is_name(text(tokens, i + 1)) => {
                let path = module.iter().cloned().chain(scopes.iter().map(|(name, _)| name.clone()));
                declared.insert(path.chain([text(tokens, i + 1).to_owned()]).collect());
            }
            _ => {}
        }
    }
    declared
}

/// Expands a `use` tree (the tokens between `use` and `;`) into paths.
pub(super) fn use_tree(tree: &[&str], at: &mut usize, prefix: &[String], paths: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        match tree.get(*at).copied() {
            Some("{") => {
                *at += 1;
                while let Some(token) = tree.get(*at).copied() {
                    match token {
                        "}" => break,
                        "," => *at += 1,
                        _ => use_tree(tree, at, &path, paths),
                    }
                }
                *at += 1;
                return;
            }
            Some("::") if path.is_empty() => return, // `::name`: another crate
            Some(name) if is_name(name) || name == "*" => {
                // `a::{self}` is `a`; a leading `self` stays, for `absolute`.
                let inner_self = name == "self" && !path.is_empty();
                if name != "*" && !inner_self {
                    path.push(name.to_owned());
                }
                *at += 1;
                if tree.get(*at) == Some(&"::") {
                    *at += 1;
                    continue;
                }
                if tree.get(*at) == Some(&"as") {
                    *at += 2;
                }
                paths.push(path);
                return;
            }
            _ => {
                *at += 1;
                return;
            }
        }
    }
}

/// A path made crate-absolute, if it is one of this crate's: `crate::`,
/// `super::` and `self::` resolved from `here`, a first segment declared
/// as a module in `here` taken as relative.
pub(super) fn absolute(
    path: &[String],
    here: &[String],
    declared: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let first = path.first()?.as_str();
    match first {
        "crate" => Some(path[1..].to_vec()),
        "self" => Some(here.iter().chain(&path[1..]).cloned().collect()),
        "super" => {
            let ups = path.iter().take_while(|segment| *segment == "super").count();
            let base = here.get(..here.len().checked_sub(ups)?)?;
            Some(base.iter().chain(&path[ups..]).cloned().collect())
        }
        _ => {
            let candidate: Vec<String> = here.iter().cloned().chain([first.to_owned()]).collect();
            declared.contains(&candidate).then(|| here.iter().chain(path).cloned().collect())
        }
    }
}

/// The files of each circle (strongly connected set of two files or more),
/// sorted (Tarjan's algorithm).
pub(super) fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct Search<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Search<'g> {
        fn visit(&mut self, file: &'g str) {
            let index = self.index.len();
            self.index.insert(file, index);
            self.low.insert(file, index);
            self.stack.push(file);
            let graph = self.graph;
            for next in graph.get(file).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[file].min(self.low[next.as_str()]);
                    self.low.insert(file, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[file].min(self.index[next.as_str()]);
                    self.low.insert(file, low);
                }
            }
            if self.low[file] == index {
                let at = self.stack.iter().rposition(|f| *f == file).unwrap_or(0);
                let mut circle: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
                if circle.len() > 1 {
                    circle.sort();
                    self.found.push(circle);
                }
            }
        }
    }
    let mut search =
        Search { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for file in graph.keys() {
        if !search.index.contains_key(file.as_str()) {
            search.visit(file);
        }
    }
    search.found.sort();
    search.found
}

/// A shortest cycle in `circle` that leaves the folder of its first file,
/// when there is one (else one within it), as `a -> b -> a`.
pub(super) fn example_cycle(src: &Path, graph: &Graph, circle: &[String]) -> String {
    let cycles: Vec<Vec<&str>> =
        circle.iter().filter_map(|start| shortest_cycle(graph, circle, start)).collect();
    let within_one_folder = |cycle: &Vec<&str>| {
        let files: Vec<String> = cycle.iter().map(|file| (*file).to_owned()).collect();
        is_one_folder(src, &files)
    };
    let example = cycles.iter().find(|cycle| !within_one_folder(cycle)).or(cycles.first());
    example.map_or_else(String::new, |cycle| cycle.join(" -> "))
}

/// A shortest cycle through `start` within `circle` (breadth first), from
/// `start` back to it.
pub(super) fn shortest_cycle<'g>(
    graph: &'g Graph,
    circle: &[String],
    start: &'g String,
) -> Option<Vec<&'g str>> {
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(file) = queue.pop_front() {
        for next in graph.get(file).into_iter().flatten().filter(|next| circle.contains(next)) {
            if next == start {
                let mut path = vec![start.as_str()];
                let mut at = file;
                while at != start {
                    path.push(at);
                    at = came_from[at];
                }
                path[1..].reverse();
                path.push(start);
                return Some(path);
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, file);
                queue.push_back(next);
            }
        }
    }
    None
}
