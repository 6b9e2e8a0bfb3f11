//! The click counter as a Lambda binary behind an Amazon MSK or
//! self-managed Kafka event source mapping (provisioned mode, with
//! `ReportBatchItemFailures` on).

use lambda_batch_examples::clicks::count_click;

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    // Lambda's log level and format (`AWS_LAMBDA_LOG_FORMAT=JSON`: one JSON object per
    // line, so each failed record is one line with its fields).
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(lambda_runtime::service_fn(count_click)).await
}
