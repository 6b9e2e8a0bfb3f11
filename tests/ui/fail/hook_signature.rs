use lambda_batch::batch_handler;
use lambda_batch::sqs::SqsRecord;
use lambda_batch::{Context, RecordError};

// `on_success` gets the record, its status and the context; this one
// takes the error `on_failure` gets.
async fn record_done(_record: &SqsRecord<'_>, _error: &RecordError, _cx: &Context) -> Result<(), String> {
    Ok(())
}

#[batch_handler(sqs, on_success = record_done)]
async fn wrong_parameter(_body: &str) {}

// A hook is asynchronous and returns a `Result`.
fn record_failed(_record: &SqsRecord<'_>, _error: &RecordError, _cx: &Context) -> bool {
    true
}

#[batch_handler(sqs, on_failure = record_failed)]
async fn not_async(_body: &str) {}

// `metrics` returns `&Metrics`.
fn metrics() -> &'static str {
    "Orders"
}

#[batch_handler(sqs, metrics = metrics)]
async fn wrong_metrics(_body: &str) {}

fn main() {}
