//! The telemetry function as a Lambda binary behind a Kinesis event source
//! mapping with `ReportBatchItemFailures` on.

use lambda_batch_examples::telemetry::store_reading;

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    tracing_subscriber::fmt().without_time().with_target(false).init();
    lambda_runtime::run(lambda_runtime::service_fn(store_reading)).await
}
