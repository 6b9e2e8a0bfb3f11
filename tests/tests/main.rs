//! The integration tests of lambda-batch, in one test binary: one module
//! per file of this folder (`common` holds the shared helpers), so the
//! workspace is linked once rather than once per file. A test's name is its
//! module path: `cargo test -p lambda-batch-tests --test main sqs_fifo::`
//! runs one file's tests.
//!
//! Tests share this process: nothing here may set process-wide state that
//! another module's test could observe (log capture is per thread, see
//! `common::capture_logs`; a check that needs a fresh process, as
//! `deadline_absurd`, runs itself again in a child process).

mod common;

mod batch_handler;
mod check_gaps;
mod check_observed_rules;
mod concurrency;
mod concurrent_invocations;
mod contained_panics;
mod counterexamples;
mod deadline;
mod deadline_absurd;
mod defects;
mod duplicate_keys;
mod envelope_properties;
mod envelopes;
mod exhaustive;
mod failure_log;
mod fallible_extractors;
mod fixtures;
mod hooks;
mod hostile_inputs;
mod idempotency;
mod idempotency_async;
mod idempotency_dynamodb;
mod idempotency_dynamodb_cancellations;
mod idempotency_sources;
mod identity_tables;
mod json_bodies;
mod kafka;
mod kafka_formats;
mod metrics;
mod observe;
mod outcomes_and_state;
mod parallel;
mod properties;
mod rare_identifiers;
mod record_reading;
mod simulator_idempotency;
mod simulator_kafka;
mod simulator_properties;
mod simulator_schedules;
mod simulator_sqs;
mod simulator_streams_async;
mod simulator_time;
mod source_model;
mod sqs_event_reading;
mod sqs_fifo;
mod sqs_standard;
mod standard_policy_check;
mod streams;
mod structure;
mod ui;
mod validator;
