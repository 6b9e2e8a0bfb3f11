use lambda_batch::batch_handler;

#[batch_handler(kinesis, fifo_policy = "skip_failed_group")]
async fn skip_group_on_a_stream(_data: &[u8]) {}

#[batch_handler(sqs_fifo, stream_policy = "continue")]
async fn stream_policy_on_sqs(_body: &str) {}

#[batch_handler(dynamodb, stream_policy = "bisect")]
async fn unknown_stream_policy(_name: lambda_batch::dynamodb::EventName) {}

fn main() {}
