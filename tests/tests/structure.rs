//! Structure rules for the library sources (`runtime/`, `macros/`,
//! `testkit/`, `bridge/`), checked on their text:
//!
//! - no import cycle among the files of `runtime/src`, nor among those of
//!   `testkit/src`;
//! - no source file over [`MAX_FILE_LINES`] lines;
//! - no function over [`MAX_FN_LINES`] lines, except the tables in
//!   [`LONG_TABLES`];
//! - every file of a test folder (`tests/tests`, `examples/tests`) is a
//!   module of its test binary (with `autotests = false` a file nobody
//!   declares would never be compiled, silently).
//!
//! What fails today is listed in `KNOWN_CYCLES_TO_REMOVE`,
//! `KNOWN_LONG_FILES_TO_SPLIT` and `KNOWN_LONG_FNS_TO_SPLIT`: tolerated
//! while it lasts, and an entry that is no longer needed fails the test
//! until it is removed, so the lists only shrink.
//!
//! This is not a Rust parser. What the reader understands:
//!
//! - Comments (line, doc and nested block comments), string literals
//!   (escapes, raw strings with any number of `#`) and char literals are
//!   blanked first (lines are kept), so nothing in them counts; a lifetime
//!   is told from a char literal by the quote after one character.
//! - An item after `#[cfg(test)]` (other attributes may follow) is dropped
//!   up to its `;` or the end of its braced body; a file declared by a
//!   `#[cfg(test)] mod x;` is left out.
//! - Module paths: `lib.rs` is the crate, `a.rs` and `a/mod.rs` are `a`,
//!   `a/b.rs` is `a::b`; inline `mod x { ... }` blocks are followed (for
//!   `super` and `self` inside them).
//! - Dependencies of a file: every `use` tree (braces, `self`, `as`, `*`)
//!   and every path in code starting with `crate::`, `$crate::`, `super::`
//!   (repeated) or `self::`, and paths (in `use` or code) whose first
//!   segment is a module declared in the same scope. Other paths are
//!   another crate's or go through a name imported by a `use`, which the
//!   `use` itself already counts. `pub(in crate::x)` is a visibility, not a
//!   dependency.
//! - A path maps to the deepest file that exists for it: `crate::a::b::C`
//!   to `a/b.rs`, `a/b/mod.rs`, `a.rs` or `a/mod.rs`, else `lib.rs`. An item
//!   re-exported by a module counts as that module's.
//! - `mod x;` is not a dependency (it makes the module tree). A module
//!   file's uses of its own children count, but a circle of a folder's
//!   module file (`a/mod.rs` or `a.rs` for `a/`, `lib.rs` for the crate's
//!   top-level files) with some of its own children only is allowed: a
//!   `mod.rs` re-exporting its files, which use `super::`. Re-exports are not
//!   followed, so a file that joins a wider circle only through its own
//!   `mod.rs` is listed with that circle.
//! - Functions: an `fn` keyword followed by a name, to the matching brace
//!   of its body (no body: not counted), from the line of `fn` to the line
//!   of that brace. `#[cfg(test)]` items are left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Longest source file allowed, in lines (all of its lines).
const MAX_FILE_LINES: usize = 400;
/// Longest function allowed, in lines (`fn` to closing brace).
const MAX_FN_LINES: usize = 80;
/// The library sources the size rules apply to.
const SOURCE_FOLDERS: [&str; 4] = ["runtime/src", "macros/src", "testkit/src", "bridge/src"];
/// The crates that must have no import cycle between their files.
const CYCLE_FREE_CRATES: [&str; 2] = ["runtime/src", "testkit/src"];

/// Functions allowed over [`MAX_FN_LINES`]: tables, one line per row, that
/// read best whole. Path, function name, why.
const LONG_TABLES: &[(&str, &str, &str)] = &[(
    "runtime/src/validate/finding.rs",
    "advice",
    "one match arm of advice text per problem of a batch response",
)];

/// Import cycles that exist today and are being removed: each the files of
/// one circle (a strongly connected set), sorted. Remove an entry when its
/// circle is gone; when a circle shrinks, the test says what to write.
const KNOWN_CYCLES_TO_REMOVE: &[&[&str]] = &[
    &[
        "runtime/src/dynamodb/mod.rs",
        "runtime/src/dynamodb/record.rs",
        "runtime/src/engine/call.rs",
        "runtime/src/engine/layer.rs",
        "runtime/src/engine/mod.rs",
        "runtime/src/engine/observe.rs",
        "runtime/src/extract.rs",
        "runtime/src/fault.rs",
        "runtime/src/handler.rs",
        "runtime/src/kafka/extract.rs",
        "runtime/src/kafka/mod.rs",
        "runtime/src/kafka/record.rs",
        "runtime/src/kinesis/mod.rs",
        "runtime/src/kinesis/record.rs",
        "runtime/src/outcome.rs",
        "runtime/src/report.rs",
        "runtime/src/response.rs",
        "runtime/src/source.rs",
        "runtime/src/sqs/mod.rs",
        "runtime/src/sqs/record.rs",
        "runtime/src/stream.rs",
    ],
    &["testkit/src/sim/function.rs", "testkit/src/sim/render.rs"],
];

/// Files over [`MAX_FILE_LINES`] today, being split.
const KNOWN_LONG_FILES_TO_SPLIT: &[&str] = &["testkit/src/sim/check.rs"];

/// Functions over [`MAX_FN_LINES`] today (path, name), being split.
const KNOWN_LONG_FNS_TO_SPLIT: &[(&str, &str)] = &[
    ("macros/src/args.rs", "parse_one"),
    ("macros/src/expand.rs", "expand"),
    ("runtime/src/engine/mod.rs", "run"),
    ("testkit/src/check/invariants.rs", "exactly_the_failed_reported"),
    ("testkit/src/sim/kafka_mapping.rs", "on_outcome"),
    ("testkit/src/sim/sqs_mapping.rs", "on_outcome"),
    ("testkit/src/sim/timeline/mod.rs", "html"),
];

#[test]
fn no_import_cycle_among_the_files_of_the_runtime_or_the_testkit() {
    let mut found = Vec::new();
    for folder in CYCLE_FREE_CRATES {
        let src = workspace().join(folder);
        let graph = import_graph(&src);
        for circle in circles(&graph).into_iter().filter(|circle| !is_one_folder(&src, circle)) {
            eprintln!(
                "import cycle: {} (for example {})",
                circle.join(", "),
                example_cycle(&src, &graph, &circle)
            );
            found.push(circle);
        }
    }
    let known: Vec<Vec<String>> =
        KNOWN_CYCLES_TO_REMOVE.iter().map(|files| files.iter().map(|f| (*f).to_owned()).collect()).collect();
    let mut problems = Vec::new();
    for circle in &found {
        let is_within = |entry: &Vec<String>| circle.iter().all(|file| entry.contains(file));
        match known.iter().find(|entry| is_within(entry)) {
            Some(entry) if entry == circle => {}
            Some(_) => problems.push(format!(
                "a known import cycle shrank: in KNOWN_CYCLES_TO_REMOVE replace its entry by {circle:?}"
            )),
            None => problems.push(format!("new import cycle among {circle:?}")),
        }
    }
    for entry in &known {
        if !found.iter().any(|circle| circle.iter().all(|file| entry.contains(file))) {
            problems.push(format!("this import cycle is gone: remove {entry:?} from KNOWN_CYCLES_TO_REMOVE"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_source_file_over_400_lines() {
    let mut long = BTreeSet::new();
    for file in SOURCE_FOLDERS.iter().flat_map(|folder| rust_files(&workspace().join(folder))) {
        let lines = read(&file).lines().count();
        if lines > MAX_FILE_LINES {
            eprintln!("long file: {} ({lines} lines)", relative(&file));
            long.insert(relative(&file));
        }
    }
    let known: BTreeSet<String> = KNOWN_LONG_FILES_TO_SPLIT.iter().map(|f| (*f).to_owned()).collect();
    let problems: Vec<String> = long
        .difference(&known)
        .map(|file| format!("{file} is over {MAX_FILE_LINES} lines: split it"))
        .chain(known.difference(&long).map(|file| {
            format!(
                "{file} is no longer over {MAX_FILE_LINES} lines: remove it from KNOWN_LONG_FILES_TO_SPLIT"
            )
        }))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_function_over_80_lines_except_tables() {
    let mut long = BTreeSet::new();
    for file in SOURCE_FOLDERS.iter().flat_map(|folder| rust_files(&workspace().join(folder))) {
        let (tokens, _) = without_test_items(tokens(&blank_comments_and_literals(&read(&file))));
        for function in functions(&tokens).into_iter().filter(|f| f.lines > MAX_FN_LINES) {
            eprintln!(
                "long function: {}::{} ({} lines, from line {})",
                relative(&file),
                function.name,
                function.lines,
                function.line
            );
            long.insert((relative(&file), function.name));
        }
    }
    let tables: BTreeSet<(String, String)> =
        LONG_TABLES.iter().map(|(file, name, _why)| ((*file).to_owned(), (*name).to_owned())).collect();
    let known: BTreeSet<(String, String)> =
        KNOWN_LONG_FNS_TO_SPLIT.iter().map(|(file, name)| ((*file).to_owned(), (*name).to_owned())).collect();
    let mut problems = Vec::new();
    for (file, name) in &long {
        let entry = (file.clone(), name.clone());
        if !tables.contains(&entry) && !known.contains(&entry) {
            problems.push(format!("{file}::{name} is over {MAX_FN_LINES} lines: split it"));
        }
    }
    for ((file, name), list) in
        tables.iter().map(|e| (e, "LONG_TABLES")).chain(known.iter().map(|e| (e, "KNOWN_LONG_FNS_TO_SPLIT")))
    {
        if !long.contains(&(file.clone(), name.clone())) {
            problems.push(format!(
                "{file}::{name} is no longer over {MAX_FN_LINES} lines: remove it from {list}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_file_of_a_test_folder_is_a_module_of_its_test_binary() {
    let mut problems = Vec::new();
    for folder in ["tests/tests", "examples/tests"] {
        let root = workspace().join(folder);
        for file in rust_files(&root).into_iter().filter(|file| *file != root.join("main.rs")) {
            let (declaring, name) = declared_by(&root, &file);
            let declared = declaring.exists() && {
                let (tokens, _) = without_test_items(tokens(&blank_comments_and_literals(&read(&declaring))));
                tokens.windows(2).any(|pair| pair[0].text == "mod" && pair[1].text == name)
            };
            if !declared {
                problems.push(format!(
                    "{} is not declared (`mod {name};`) in {}",
                    relative(&file),
                    relative(&declaring)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Checks the reader on a sample that has each thing it claims to
/// understand.
#[test]
fn the_source_reader_understands_what_it_documents() {
    let sample = r##"
        //! use crate::in_a_doc_comment;
        use crate::{a::{self, X as Y}, b::*};
        use super::super::c;
        use local::Z;
        mod local;
        pub(in crate::vis) struct S { s: &'static str }
        /* use crate::in_a /* nested */ block; */
        const T: &str = "use crate::in_a_string; }";
        const R: &str = r#"crate::in_a_raw_string "}"#;
        const C: char = '}';
        fn f<'a>(x: &'a str) -> usize {
            let _ = crate::d::e::CONSTANT;
            x.len()
        }
        mod inline {
            fn g() { super::h(); self::k(); }
        }
        #[cfg(test)]
        #[allow(unused)]
        mod tests { use crate::only_in_tests; fn long() {} }
        #[cfg(test)]
        mod test_file;
    "##;
    let (tokens, test_only) = without_test_items(tokens(&blank_comments_and_literals(sample)));
    assert_eq!(test_only, ["test_file"]);
    let module = ["p".to_owned(), "q".to_owned()];
    let paths: BTreeSet<String> = references(&tokens, &module).iter().map(|path| path.join("::")).collect();
    let expected = ["a", "a::X", "b", "c", "d::e::CONSTANT", "p::q::local::Z", "p::q::h", "p::q::inline::k"];
    assert_eq!(paths, expected.iter().map(|p| (*p).to_owned()).collect::<BTreeSet<_>>());
    let functions: Vec<(String, usize)> = functions(&tokens).into_iter().map(|f| (f.name, f.lines)).collect();
    assert_eq!(functions, [("f".to_owned(), 4), ("g".to_owned(), 1)]);

    let edges = [("a/mod", "a/b"), ("a/b", "a/mod"), ("c", "d"), ("d", "e"), ("e", "c"), ("f", "c")];
    let file = |name: &str| format!("runtime/src/{name}.rs");
    let mut graph = Graph::new();
    for (from, to) in edges {
        graph.entry(file(from)).or_default().insert(file(to));
    }
    let found = circles(&graph);
    assert_eq!(found, [vec![file("a/b"), file("a/mod")], vec![file("c"), file("d"), file("e")]]);
    let src = workspace().join("runtime/src");
    assert!(is_one_folder(&src, &found[0]) && !is_one_folder(&src, &found[1]));
    let example = "runtime/src/c.rs -> runtime/src/d.rs -> runtime/src/e.rs -> runtime/src/c.rs";
    assert_eq!(example_cycle(&src, &graph, &found[1]), example);
}

// --- the import graph ---------------------------------------------------

/// Each file of a crate (relative to the workspace) and the files it
/// depends on.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn import_graph(src: &Path) -> Graph {
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
fn is_one_folder(src: &Path, circle: &[String]) -> bool {
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
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut path: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if matches!(path.last().map(String::as_str), Some("mod")) || path == ["lib"] {
        path.pop();
    }
    path
}

/// The deepest file of `files` that defines a prefix of `path`, else the
/// crate root.
fn file_of(src: &Path, path: &[String], files: &[PathBuf]) -> PathBuf {
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
fn references(tokens: &[Token], module: &[String]) -> Vec<Vec<String>> {
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
            first @ ("crate" | "super" | "self")
                if text(tokens, i + 1) == "::" && text(tokens, i.wrapping_sub(1)) != "in" =>
            {
                let mut path = vec![first.to_owned()];
                let mut j = i + 1;
                while text(tokens, j) == "::" && is_name(text(tokens, j + 1)) {
                    path.push(text(tokens, j + 1).to_owned());
                    j += 2;
                }
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
                    let mut path = vec![name.to_owned()];
                    let mut j = i + 1;
                    while text(tokens, j) == "::" && is_name(text(tokens, j + 1)) {
                        path.push(text(tokens, j + 1).to_owned());
                        j += 2;
                    }
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

/// The modules declared in a file (`mod x;` or `mod x { ... }`), as
/// crate-absolute paths.
fn declared_modules(tokens: &[Token], module: &[String]) -> BTreeSet<Vec<String>> {
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
fn use_tree(tree: &[&str], at: &mut usize, prefix: &[String], paths: &mut Vec<Vec<String>>) {
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
fn absolute(path: &[String], here: &[String], declared: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
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
fn circles(graph: &Graph) -> Vec<Vec<String>> {
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
fn example_cycle(src: &Path, graph: &Graph, circle: &[String]) -> String {
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
fn shortest_cycle<'g>(graph: &'g Graph, circle: &[String], start: &'g String) -> Option<Vec<&'g str>> {
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

// --- functions ------------------------------------------------------------

struct Function {
    name: String,
    /// The line of its `fn`.
    line: usize,
    /// From the line of `fn` to the line of the body's closing brace.
    lines: usize,
}

/// Every function with a body.
fn functions(tokens: &[Token]) -> Vec<Function> {
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.text != "fn" || !is_name(text(tokens, i + 1)) {
            continue;
        }
        let mut nesting = 0i32;
        for j in i + 2..tokens.len() {
            match tokens[j].text.as_str() {
                "(" | "[" => nesting += 1,
                ")" | "]" => nesting -= 1,
                ";" if nesting == 0 => break,
                "{" if nesting == 0 => {
                    let end = matching_brace(tokens, j);
                    let name = tokens[i + 1].text.clone();
                    found.push(Function { name, line: token.line, lines: tokens[end].line - token.line + 1 });
                    break;
                }
                _ => {}
            }
        }
    }
    found
}

// --- reading sources --------------------------------------------------------

struct Token {
    text: String,
    line: usize,
}

/// The text of the token at `i`, or `""` past either end.
fn text(tokens: &[Token], i: usize) -> &str {
    tokens.get(i).map_or("", |token| token.text.as_str())
}

fn is_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// Words, `::`, and single punctuation characters, with their line.
fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        i += 1;
        if c == '\n' {
            line += 1;
        } else if c.is_alphanumeric() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token { text: chars[start..i].iter().collect(), line });
        } else if c == ':' && chars.get(i) == Some(&':') {
            i += 1;
            tokens.push(Token { text: "::".to_owned(), line });
        } else if !c.is_whitespace() {
            tokens.push(Token { text: c.to_string(), line });
        }
    }
    tokens
}

/// The source with comments and the insides of string and char literals
/// replaced by spaces (line breaks kept).
fn blank_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let after_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let end = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => (i..chars.len()).find(|&j| chars[j] == '\n').unwrap_or(chars.len()),
            ('/', Some('*')) => block_comment_end(&chars, i),
            ('"', _) => string_end(&chars, i + 1),
            ('r' | 'b', _) if !after_word && raw_string_start(&chars, i).is_some() => {
                let (quote, hashes) = raw_string_start(&chars, i).unwrap_or((i, 0));
                raw_string_end(&chars, quote + 1, hashes)
            }
            ('\'', Some('\\')) => {
                (i + 3..chars.len()).find(|&j| chars[j] == '\'').map_or(chars.len(), |j| j + 1)
            }
            ('\'', Some(_)) if chars.get(i + 2) == Some(&'\'') => i + 3,
            (c, _) => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        out.extend(chars[i..end].iter().map(|&c| blank(c)));
        i = end;
    }
    out
}

/// Just past the `*/` closing the (nested) block comment opened at `at`.
fn block_comment_end(chars: &[char], at: usize) -> usize {
    let (mut depth, mut i) = (0, at);
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => (depth, i) = (depth + 1, i + 2),
            ('*', '/') if depth == 1 => return i + 2,
            ('*', '/') => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    chars.len()
}

/// Just past the `"` closing a string whose text starts at `from`.
fn string_end(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// For `r"`, `r#"`, `br##"`...: the index of the quote and the number of `#`.
fn raw_string_start(chars: &[char], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if chars.get(i) == Some(&'b') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
    (chars.get(i + hashes) == Some(&'"')).then_some((i + hashes, hashes))
}

/// Just past the `"#...` closing a raw string whose text starts at `from`.
fn raw_string_end(chars: &[char], from: usize, hashes: usize) -> usize {
    (from..chars.len())
        .find(|&i| {
            chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes
        })
        .map_or(chars.len(), |i| i + 1 + hashes)
}

/// The tokens without `#[cfg(test)]` items, and the names of the modules
/// declared `#[cfg(test)] mod name;` (test-only files).
fn without_test_items(tokens: Vec<Token>) -> (Vec<Token>, Vec<String>) {
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut dropped = Vec::new();
    let mut test_modules = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_cfg_test = CFG_TEST.iter().enumerate().all(|(k, expected)| text(&tokens, i + k) == *expected);
        if !is_cfg_test {
            i += 1;
            continue;
        }
        let start = i;
        i += CFG_TEST.len();
        while text(&tokens, i) == "#" && text(&tokens, i + 1) == "[" {
            i = matching(&tokens, i + 1, "[", "]") + 1;
        }
        let item = i;
        let mut nesting = 0i32;
        while i < tokens.len() {
            match tokens[i].text.as_str() {
                "(" | "[" => nesting += 1,
                ")" | "]" => nesting -= 1,
                ";" if nesting == 0 => break,
                "{" if nesting == 0 => {
                    i = matching_brace(&tokens, i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let words: Vec<&str> = tokens[item..i.min(tokens.len())].iter().map(|t| t.text.as_str()).collect();
        if let [.., "mod", name] = words.as_slice() {
            test_modules.push((*name).to_owned());
        }
        dropped.push(start..=i);
        i += 1;
    }
    let tokens = tokens
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !dropped.iter().any(|r| r.contains(i)))
        .map(|(_, t)| t)
        .collect();
    (tokens, test_modules)
}

/// The index of the `}` closing the `{` at `open` (the last token if none).
fn matching_brace(tokens: &[Token], open: usize) -> usize {
    matching(tokens, open, "{", "}")
}

fn matching(tokens: &[Token], open: usize, opening: &str, closing: &str) -> usize {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.text == opening {
            depth += 1;
        } else if token.text == closing {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len().saturating_sub(1)
}

// --- files ------------------------------------------------------------------

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace holds the tests crate").to_path_buf()
}

/// A path relative to the workspace, with `/`.
fn relative(file: &Path) -> String {
    let relative = file.strip_prefix(workspace()).unwrap_or(file);
    relative.iter().map(|part| part.to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()))
}

/// The `.rs` files under `folder`, sorted.
fn rust_files(folder: &Path) -> Vec<PathBuf> {
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
fn declared_by(root: &Path, file: &Path) -> (PathBuf, String) {
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
fn parent_declaring(root: &Path, parts: &[String]) -> PathBuf {
    if parts.is_empty() {
        return root.join("main.rs");
    }
    let base = root.join(parts.join("/"));
    let non_mod_rs = base.with_extension("rs");
    if non_mod_rs.exists() { non_mod_rs } else { base.join("mod.rs") }
}
