use lambda_batch::{batch_handler, RecordOutcome};

#[batch_handler(sqs)]
fn sync_fallible(body: &str) -> Result<(), std::io::Error> {
    let _ = body;
    Ok(())
}

#[batch_handler(sqs)]
fn sync_infallible(_body: &str) {}

#[batch_handler(sqs)]
async fn async_unit(_body: &str) -> () {}

#[batch_handler(sqs)]
async fn explicit_outcome(body: &str) -> RecordOutcome {
    if body.is_empty() { RecordOutcome::failure("empty") } else { RecordOutcome::Success }
}

#[batch_handler(sqs)]
async fn boxed_error(_body: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Ok(())
}

fn main() {
    let _ = lambda_runtime::service_fn(sync_fallible);
    let _ = lambda_runtime::service_fn(sync_infallible);
    let _ = lambda_runtime::service_fn(async_unit);
    let _ = lambda_runtime::service_fn(explicit_outcome);
    let _ = lambda_runtime::service_fn(boxed_error);
}
