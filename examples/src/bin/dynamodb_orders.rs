//! The order projection as a Lambda binary behind a DynamoDB Streams event
//! source mapping with `ReportBatchItemFailures` on; the projection is
//! shared state created once per execution environment.

use lambda_batch_examples::inventory::{Projection, project_order};

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    // Lambda's log level and format (`AWS_LAMBDA_LOG_FORMAT=JSON`: one JSON object per
    // line, so each failed record is one line with its fields).
    lambda_runtime::tracing::init_default_subscriber();
    let projection = Projection::default();
    lambda_runtime::run(lambda_runtime::service_fn(|event| project_order(&projection, event))).await
}
