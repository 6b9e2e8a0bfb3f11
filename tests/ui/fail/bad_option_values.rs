use lambda_batch::batch_handler;

#[batch_handler(sqs_fifo, fifo_policy = "skip_group")]
async fn bad_policy(_body: &str) {}

#[batch_handler(sqs, all_failed = "raise")]
async fn bad_all_failed(_body: &str) {}

#[batch_handler(sqs = true)]
async fn flag_with_value(_body: &str) {}

#[batch_handler(sqs, fifo_policy = skip_failed_group)]
async fn not_a_string(_body: &str) {}

#[batch_handler(sqs, crate = "not a path")]
async fn bad_crate(_body: &str) {}

fn main() {}
