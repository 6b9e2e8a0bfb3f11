//! Example batch handlers for lambda-batch, deployable as Lambda functions
//! (see `src/bin/`), and the demo the README runs. The payment function,
//! which needs lambda-batch's `dynamodb-store` feature, is a package of its
//! own (`idempotent-payments/`), so these binaries do not get that
//! feature's dependencies (cargo unifies features per package).

pub mod clicks;
pub mod inventory;
pub mod orders;
pub mod telemetry;

/// Every Rust block of the README (collected by `build.rs`), compiled (and
/// run, unless marked `no_run`) as a doc test, so the README cannot drift
/// from the code.
#[doc = include_str!(concat!(env!("OUT_DIR"), "/readme_snippets.md"))]
#[cfg(doctest)]
pub struct ReadmeSnippets;

/// Every Rust block of the guide (`book/src/`, collected by `build.rs`, each
/// labelled with its file and line), compiled (and run, unless marked
/// `no_run`) as a doc test, so the guide cannot drift from the code.
#[doc = include_str!(concat!(env!("OUT_DIR"), "/book_snippets.md"))]
#[cfg(doctest)]
pub struct BookSnippets;
