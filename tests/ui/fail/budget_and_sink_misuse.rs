use lambda_batch::batch_handler;

#[batch_handler(kinesis, max_receive_count = 3)]
async fn budget_on_a_stream(_data: &[u8]) {}

#[batch_handler(sqs, max_receive_count = 0)]
async fn zero_budget(_body: &str) {}

#[batch_handler(sqs, poison_sink = "store")]
async fn sink_as_string(_body: &str) {}

fn main() {}
