//! Compile-fail and compile-pass cases for `#[batch_handler]`.
//!
//! The `.stderr` files are the compiler's exact messages for the toolchain
//! the project builds with. After a compiler upgrade, regenerate them with
//! `TRYBUILD=overwrite cargo test -p lambda-batch-tests --test ui`, then read
//! every diff before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
