use lambda_batch::batch_handler;

#[batch_handler(sqs_fifo, standard_policy = "stop_at_first_failure")]
async fn standard_policy_on_a_fifo_queue(_body: &str) {}

#[batch_handler(kinesis, standard_policy = "continue")]
async fn standard_policy_on_a_stream(_data: &[u8]) {}

#[batch_handler(sqs, standard_policy = "stop_at_first_failure", concurrency = 4)]
async fn stop_at_first_failure_with_concurrency(_body: &str) {}

#[batch_handler(sqs, standard_policy = "stop_at_first")]
async fn unknown_standard_policy(_body: &str) {}

fn main() {}
