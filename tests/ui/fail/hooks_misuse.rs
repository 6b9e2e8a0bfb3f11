use lambda_batch::batch_handler;
use lambda_batch::metrics::Metrics;

// A hook option needs a function.
#[batch_handler(sqs, on_success)]
async fn no_function(_body: &str) {}

// A path, not a string.
#[batch_handler(sqs, on_failure = "record_failed")]
async fn a_string(_body: &str) {}

async fn batch_done(
    _report: &lambda_batch::BatchReport<'_>,
    _cx: &lambda_batch::Context,
) -> Result<(), String> {
    Ok(())
}

// Given twice.
#[batch_handler(sqs, on_batch_end = batch_done, on_batch_end = batch_done)]
async fn twice(_body: &str) {}

// A near miss is pointed at the right name.
#[batch_handler(sqs, on_error = batch_done)]
async fn near_miss(_body: &str) {}

// `metrics` takes a function, not a number.
#[batch_handler(sqs, metrics = 5)]
async fn a_number(_body: &str) {}

fn metrics() -> &'static Metrics {
    unimplemented!()
}

// `metrics` needs its `=`.
#[batch_handler(sqs, metrics)]
async fn no_equals(_body: &str) {}

fn main() {
    let _ = metrics;
}
