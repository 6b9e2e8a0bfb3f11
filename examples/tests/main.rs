//! The examples' integration tests, in one test binary: one module per file
//! of this folder (`cargo test -p lambda-batch-examples --test main clicks::`
//! runs one file's tests).

mod clicks;
mod json_logs;
mod runtime_api;
