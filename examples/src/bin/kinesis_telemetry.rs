//! The telemetry function as a Lambda binary behind a Kinesis event source
//! mapping with `ReportBatchItemFailures` on.

use lambda_batch_examples::telemetry::store_reading;

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    // Lambda's log level and format (`AWS_LAMBDA_LOG_FORMAT=JSON`: one JSON object per
    // line, so each failed record is one line with its fields).
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(lambda_runtime::service_fn(store_reading)).await
}
