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
//! until it is removed, so the lists only shrink. A known circle must match
//! exactly: when it shrinks, the test says the entry to write instead.
//!
//! This is not a Rust parser. What the reader understands:
//!
//! - Comments (line, doc and nested block comments), string literals
//!   (escapes, raw strings with any number of `#`) and char literals are
//!   blanked first (lines are kept), so nothing in them counts; a lifetime
//!   is told from a char literal by the quote after one character.
//! - An item after `#[cfg(test)]` (that attribute exactly; others may
//!   follow) is dropped up to its `;` or the end of its braced body; a
//!   file declared by a `#[cfg(test)] mod x;` is left out.
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

mod files;
mod imports;
mod reader;

use std::collections::BTreeSet;

use files::{declared_by, read, relative, rust_files, workspace};
use imports::{Graph, circles, example_cycle, import_graph, is_one_folder, references};
use reader::{blank_comments_and_literals, functions, tokens, without_test_items};

/// Longest source file allowed, in lines (all of them, unit tests too).
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
const KNOWN_CYCLES_TO_REMOVE: &[&[&str]] = &[];

/// Files over [`MAX_FILE_LINES`] today, being split.
const KNOWN_LONG_FILES_TO_SPLIT: &[&str] = &[];

/// Functions over [`MAX_FN_LINES`] today (path, name), being split.
const KNOWN_LONG_FNS_TO_SPLIT: &[(&str, &str)] = &[];

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

/// The files that may name a [`lambda_batch::SourceKind`] variant: where it
/// is defined, the one dispatch over the sources, each source's own
/// module, the testkit's one table of field paths, and the validator's
/// type documentation. Everything else asks the source model (its methods,
/// or a source marker's `KIND`), so a new source is not edits spread
/// everywhere.
const MAY_NAME_SOURCE_KINDS: &[&str] = &[
    "runtime/src/dynamodb/mod.rs",
    "runtime/src/identify.rs",
    "runtime/src/kafka/mod.rs",
    "runtime/src/kind.rs",
    "runtime/src/kinesis/mod.rs",
    "runtime/src/sqs/mod.rs",
    "runtime/src/validate/batch.rs",
    "testkit/src/wire.rs",
];

#[test]
fn source_kinds_are_named_in_few_places() {
    let variants = ["Sqs", "SqsFifo", "Kinesis", "DynamoDb", "Kafka"];
    let naming: Vec<String> = SOURCE_FOLDERS
        .iter()
        .chain(["fuzz/src", "examples/src", "examples/idempotent-payments/src"].iter())
        .flat_map(|folder| rust_files(&workspace().join(folder)))
        .filter(|file| {
            let text = read(file);
            variants.iter().any(|variant| {
                text.match_indices(&format!("SourceKind::{variant}")).any(|(at, found)| {
                    !text[at + found.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            })
        })
        .map(|file| relative(&file))
        .filter(|file| !MAY_NAME_SOURCE_KINDS.contains(&file.as_str()))
        .collect();
    assert!(
        naming.is_empty(),
        "these files name a SourceKind variant: ask the source model instead (a SourceKind method, or \
         `<Source>::KIND`), or add the file to MAY_NAME_SOURCE_KINDS with a reason: {naming:?}"
    );
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
