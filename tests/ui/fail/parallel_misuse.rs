use std::rc::Rc;

use lambda_batch::{Json, RecordMeta, batch_handler};

struct Config;

// `parallel` needs a plain `fn`: an `async fn` waits rather than computes.
#[batch_handler(sqs, parallel)]
async fn waits(_body: String) {}

// Borrowed parameters cannot move to a worker thread.
#[batch_handler(sqs, parallel)]
fn borrows(_body: &str, _meta: RecordMeta<'_>) {}

// Nor can the state, which the caller lends.
#[batch_handler(sqs, parallel)]
fn with_state(#[state] _config: &Config, _body: String) {}

// FIFO + stop at the first failure runs one record at a time.
#[batch_handler(sqs_fifo, parallel)]
fn fifo_stops(_body: String) {}

#[batch_handler(sqs, standard_policy = "stop_at_first_failure", parallel)]
fn standard_stops(_body: String) {}

#[batch_handler(sqs, parallel, parallel)]
fn twice(_body: String) {}

#[batch_handler(sqs, parallel = "fast")]
fn unknown_mode(_body: String) {}

#[batch_handler(sqs, parallel(engine_helps))]
fn list_form(_body: String) {}

// A parameter that is not `Send` cannot move either.
#[derive(serde::Deserialize)]
struct Shared(#[serde(skip)] Option<Rc<u8>>);

#[batch_handler(sqs, parallel)]
fn not_send(_value: Json<Shared>) {}

fn main() {}
