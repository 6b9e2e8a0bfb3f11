//! Compile-fail and compile-pass cases for `#[batch_handler]`.
//!
//! The `.stderr` files are the compiler's exact messages for the toolchain
//! the project builds with. After a compiler upgrade, regenerate them with
//! `TRYBUILD=overwrite cargo test -p lambda-batch-tests --test main ui::`,
//! then read every diff before committing it.

/// One `TestCases` run for both kinds: trybuild builds them together.
#[test]
fn pass_and_compile_fail_cases() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
