//! Runs Lambda binaries, unchanged, against a stand-in for the Lambda
//! Runtime API on loopback ([`runtime_api`]), each as a [`function::Function`]
//! stopped when dropped. Used by the examples' tests and by the cold-start
//! bench (`benches/cold_start.rs`), which compares the example functions'
//! binary sizes and times to first response with the same functions
//! written by hand (the `lambda-batch-baselines` package). Not published.

pub mod function;
pub mod runtime_api;
