//! The order function as a Lambda binary: build it with `cargo lambda build`
//! (or `cargo build --release`) and deploy it behind an SQS event source
//! mapping with `ReportBatchItemFailures` on.

use lambda_batch_examples::orders::handle_order;

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    tracing_subscriber::fmt().without_time().with_target(false).init();
    lambda_runtime::run(lambda_runtime::service_fn(handle_order)).await
}
