use lambda_batch::batch_handler;

// FIFO + stop at the first failure cannot run records side by side.
#[batch_handler(sqs_fifo, concurrency = 8)]
async fn fifo_parallel(_body: &str) {}

#[batch_handler(sqs, concurrency = 0)]
async fn zero(_body: &str) {}

#[batch_handler(sqs, concurrency = "8", record_timeout_ms = -5)]
async fn not_numbers(_body: &str) {}

#[batch_handler(sqs, parallelism = 4)]
async fn other_name(_body: &str) {}

fn main() {}
