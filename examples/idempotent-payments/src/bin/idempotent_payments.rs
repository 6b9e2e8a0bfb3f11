//! The payment function as a Lambda binary: build it with `cargo lambda
//! build -p lambda-batch-idempotent-payments` (its package alone) and
//! deploy it with `deploy/idempotent_payments/template.yaml` (an SQS queue
//! with a DLQ, and the DynamoDB table named by `IDEMPOTENCY_TABLE`).

use lambda_batch_idempotent_payments::{Payments, charge};

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    // Lambda's log level and format (`AWS_LAMBDA_LOG_FORMAT=JSON`: one JSON object per
    // line, so each failed record is one line with its fields).
    lambda_runtime::tracing::init_default_subscriber();
    // Once per execution environment: the DynamoDB client and its connections.
    let payments = Payments::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| charge(&payments, event))).await
}
