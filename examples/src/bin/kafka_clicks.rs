//! The click counter as a Lambda binary behind an Amazon MSK or
//! self-managed Kafka event source mapping (provisioned mode, with
//! `ReportBatchItemFailures` on).

use lambda_batch_examples::clicks::count_click;

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    tracing_subscriber::fmt().without_time().with_target(false).init();
    lambda_runtime::run(lambda_runtime::service_fn(count_click)).await
}
